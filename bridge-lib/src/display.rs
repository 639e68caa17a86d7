//! Rich display in the Rust Jupyter kernel (evcxr): a value that is the last expression of a
//! cell is shown through its `evcxr_display` method. This is the only place the library writes
//! to stdout, and only in that protocol.
#![allow(clippy::print_stdout)]

use crate::render;
use crate::report::{CheckOutcome, Report};

fn emit(html: &str, text: &str) {
    // The plain text is escaped line by line: a control character from the data (an ANSI code,
    // a carriage return) never reaches the notebook's text/plain output raw.
    let text: Vec<_> = text.trim_end().lines().map(render::text::escape_controls).collect();
    println!("EVCXR_BEGIN_CONTENT text/html\n{html}\nEVCXR_END_CONTENT");
    println!("EVCXR_BEGIN_CONTENT text/plain\n{}\nEVCXR_END_CONTENT", text.join("\n"));
}

impl Report {
    /// Shows the report as an HTML table in the notebook.
    pub fn evcxr_display(&self) {
        emit(&render::report_html(self), &render::report_text(self));
    }
}

impl CheckOutcome {
    /// Shows one check's findings as an HTML table in the notebook.
    pub fn evcxr_display(&self) {
        emit(&render::outcome_html(self), &render::outcome_text(self));
    }
}

/// HTML produced by the library for the notebook (a chart, a table), shown as-is.
#[derive(Debug, Clone)]
pub struct Html(pub String);

impl Html {
    /// Shows the HTML in the notebook.
    pub fn evcxr_display(&self) {
        emit(&self.0, "(html output)");
    }
}

impl crate::nb::Env {
    /// Shows which environment the notebook uses, and why (no secrets).
    pub fn evcxr_display(&self) {
        use render::html::{esc, warning};
        let mut h = String::from("<table><tbody>");
        let mut text = String::new();
        for part in self.describe().split("; ") {
            let (k, v) = part.split_once(": ").unwrap_or((part, ""));
            h.push_str(&format!(
                "<tr><th style=\"text-align:left\">{}</th><td style=\"text-align:left\">{}</td></tr>",
                esc(k),
                esc(v)
            ));
            text.push_str(&format!("{k}: {v}\n"));
        }
        let how = crate::report::CheckId::ALL
            .iter()
            .map(|id| {
                let w = if self.runs_here(*id) { "in the notebook" } else { "through the bridge binary" };
                format!("{id}: {w}")
            })
            .collect::<Vec<_>>()
            .join(", ");
        h.push_str(&format!("<tr><th style=\"text-align:left\">checks run</th><td style=\"text-align:left\">{}</td></tr></tbody></table>", esc(&how)));
        if self.notice.contains("warning") {
            h.push_str(&warning(&self.notice));
        } else {
            h.push_str(&format!("<p>{}</p>", esc(&self.notice)));
        }
        text.push_str(&self.notice);
        emit(&h, &text);
    }
}

impl crate::callforward::Preview {
    /// Shows the per-tenant savings table.
    pub fn evcxr_display(&self) {
        emit(&self.html(), &self.text());
    }
}
