//! Rich display in the Rust Jupyter kernel (evcxr): a value that is the last expression of a
//! cell is shown through its `evcxr_display` method. This is the only place the library writes
//! to stdout, and only in that protocol.
#![allow(clippy::print_stdout)]

use super::callforward::Preview;
use super::env::{Env, Notice};
use crate::render::{self, html::esc, html::key_value_table, html::warning, Html};
use crate::report::{CheckId, CheckOutcome, Report};

fn emit(html: &str, text: &str) {
    // The plain text is escaped line by line: a control character from the data (an ANSI code,
    // a carriage return) never reaches the notebook's text/plain output raw.
    let text: Vec<_> = text.trim_end().lines().map(crate::render::text::escape_controls).collect();
    println!("EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT", for_notebook(html));
    println!("EVCXR_BEGIN_CONTENT text/plain\n{}\nEVCXR_END_CONTENT", text.join("\n"));
}

/// HTML as JupyterLab keeps it in a saved, unsigned notebook: every inline `<svg>` becomes an
/// `<img>` with an SVG data URI (the sanitizer drops inline SVG but keeps images), and table
/// cells without an alignment are left-aligned (JupyterLab's CSS right-aligns them).
pub fn for_notebook(html: &str) -> String {
    let mut out = String::with_capacity(html.len() * 4 / 3);
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        let Some(len) = rest[start..].find("</svg>") else { break };
        let svg = &rest[start..start + len + "</svg>".len()];
        out.push_str(&rest[..start]);
        let alt = svg.split("aria-label=\"").nth(1).and_then(|a| a.split('"').next()).unwrap_or("chart");
        let width = svg.split("width=\"").nth(1).and_then(|a| a.split('"').next()).unwrap_or("640");
        out.push_str(&format!(
            "<img alt=\"{alt}\" width=\"{width}\" style=\"max-width:100%\" src=\"data:image/svg+xml;base64,{}\"/>",
            base64(svg.as_bytes())
        ));
        rest = &rest[start + svg.len()..];
    }
    out.push_str(rest);
    out.replace("<td>", "<td style=\"text-align:left\">").replace("<th>", "<th style=\"text-align:left\">")
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// The text of some HTML, for the `text/plain` alternative: tags dropped, block ends as line
/// breaks, the few entities we write decoded.
pub fn html_text(html: &str) -> String {
    let mut out = String::new();
    let mut tag = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match (in_tag, ch) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                let name = tag.trim_start_matches('/').split([' ', '/']).next().unwrap_or("").to_ascii_lowercase();
                if matches!(name.as_str(), "tr" | "p" | "br" | "h3" | "h4" | "li" | "pre" | "table" | "summary") {
                    out.push('\n');
                } else if matches!(name.as_str(), "td" | "th") && !tag.starts_with('/') {
                    out.push_str("  ");
                }
            }
            (true, c) => tag.push(c),
            (false, c) => out.push(c),
        }
    }
    let out = out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
    out.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n")
}

impl Report {
    /// Shows the verdict in the notebook: a summary row per check and the must-fix list (each
    /// check's findings are in its own section), and as text the `verdict:` and `must fix:`
    /// lines.
    pub fn evcxr_display(&self) {
        let mut text = format!("verdict: {}\n", self.verdict.as_str());
        for m in self.must_fix() {
            text.push_str(&format!("must fix: {m}\n"));
        }
        emit(&render::html::verdict_html(self), &text);
    }

    /// Stops a headless run (CI) when the verdict is *not ready*, after one line that says so.
    /// Headless (`BRIDGE_NOTEBOOK_GATE=exit`, which `scripts/run_notebook.py` sets) it ends the
    /// kernel's process with status 1, which evcxr reports as a failed cell. Elsewhere it unwinds
    /// without a panic message or backtrace: in JupyterLab evcxr catches the unwind and the cell
    /// just ends, and where a runner sets `:preserve_vars_on_panic 0` the unwind fails the cell.
    pub fn gate(&self) {
        if self.verdict == crate::report::Verdict::NotReady {
            println!("not ready: this cell stops a headless run (CI) on purpose; the verdict above lists what to fix");
            if std::env::var(super::GATE_VAR).is_ok_and(|v| v == "exit") {
                std::process::exit(1);
            }
            std::panic::resume_unwind(Box::new("not ready"));
        }
    }
}

impl CheckOutcome {
    /// Shows one check's findings as an HTML table in the notebook.
    pub fn evcxr_display(&self) {
        emit(&render::outcome_html(self), &render::outcome_text(self));
    }
}

impl Html {
    /// Shows the HTML in the notebook.
    pub fn evcxr_display(&self) {
        emit(&self.0, &html_text(&self.0));
    }
}

impl Html {
    /// This output followed by `next`, as one output (a cell shows only its last rich output).
    /// It borrows `self`, so a variable made in the same cell can start the chain: evcxr keeps
    /// a cell's new variables, and one moved into the final expression makes it fall back to
    /// plain text.
    pub fn then(&self, next: Html) -> Html {
        Html(format!("{}{}", self.0, next.0))
    }
}

impl std::ops::Add for Html {
    type Output = Html;
    /// One output from two (a cell shows only its last rich output).
    fn add(self, other: Html) -> Html {
        Html(self.0 + &other.0)
    }
}

impl CheckOutcome {
    /// The outcome as HTML, to put next to another output in one cell.
    pub fn html(&self) -> Html {
        Html(render::outcome_html(self))
    }
}

impl Env {
    /// Shows which environment the notebook uses, and why (no secrets).
    pub fn evcxr_display(&self) {
        let description = self.description();
        let how = CheckId::ALL
            .iter()
            .map(|id| {
                let w = if self.runs_here(*id) { "in the notebook" } else { "through the bridge binary" };
                format!("{id}: {w}")
            })
            .collect::<Vec<_>>()
            .join(", ");
        let rows = description.rows();
        let mut h = key_value_table(rows.iter().copied().chain([("checks run", how.as_str())]));
        let mut text: String = rows.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        match &self.notice {
            Notice::Warning(t) => h.push_str(&warning(t)),
            Notice::Info(t) => h.push_str(&format!("<p>{}</p>", esc(t))),
        }
        text.push_str(self.notice.text());
        emit(&h, &text);
    }
}

impl Preview {
    /// Shows the per-tenant savings table.
    pub fn evcxr_display(&self) {
        emit(&self.html(), &self.text());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn charts_become_images_the_sanitizer_keeps() {
        let html = "<p>a</p><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" aria-label=\"cost chart\"><rect/></svg><table><tr><th>x</th><td>1</td></tr></table>";
        let out = for_notebook(html);
        assert!(!out.contains("<svg"), "{out}");
        assert!(out.contains("<img alt=\"cost chart\" width=\"640\""), "{out}");
        assert!(out.contains("src=\"data:image/svg+xml;base64,PHN2Zy"), "{out}");
        assert!(out.contains("<th style=\"text-align:left\">x</th><td style=\"text-align:left\">1</td>"), "{out}");
        assert_eq!(for_notebook("<svg unclosed"), "<svg unclosed");
    }

    #[test]
    fn plain_text_drops_tags_and_keeps_rows_apart() {
        let t = html_text(
            "<p>verdict: <b>ready</b></p><table><tr><td>a &amp; b</td><td>1</td></tr><tr><td>c</td></tr></table>",
        );
        assert_eq!(t, "verdict: ready\n  a & b  1\n  c");
    }
}
