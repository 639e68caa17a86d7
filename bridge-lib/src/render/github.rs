//! GitHub Actions workflow commands: one `::error` per failure or check that could not run,
//! `::warning` per warning or skip, and a closing `::notice` (or `::error`) with the verdict.
//! The title is the finding's code and name; `file=`/`line=` are set when the migrations say
//! where the object was defined. Escaped by GitHub's rules: in the message `%`, `\r`, `\n`; in
//! property values also `:` and `,`.
//!
//! The markdown summary for `$GITHUB_STEP_SUMMARY` is [`super::report_markdown`]; the CLI
//! appends it when that variable is set.

use super::locate::Locator;
use crate::finding::Status;
use crate::report::{Report, Verdict};
use std::fmt::Write;

/// Escapes a workflow command's message (data).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow command's property value (`title=`, `file=`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command: `::{command} {properties}::{message}`.
pub fn command(command: &str, properties: &[(&str, String)], message: &str) -> String {
    let props: Vec<String> = properties.iter().map(|(k, v)| format!("{k}={}", escape_property(v))).collect();
    let sep = if props.is_empty() { "" } else { " " };
    format!("::{command}{sep}{}::{}\n", props.join(","), escape_data(message))
}

/// The report as workflow commands.
pub fn report_github(report: &Report, locator: &Locator) -> String {
    let mut s = String::new();
    if report.nothing_checked {
        s.push_str(&command("warning", &[("title", "bridge: nothing checked".into())], crate::Report::NOTHING_CHECKED));
    }
    for c in &report.checks {
        if let Some(e) = &c.error {
            let title = format!("bridge {}: could not run", c.check);
            s.push_str(&command("error", &[("title", title)], e));
        }
        for f in &c.findings {
            let cmd = match f.effective_status() {
                Status::Fail => "error",
                Status::Warn | Status::Skip => "warning",
                Status::Pass => continue,
            };
            let mut props = Vec::new();
            if let Some(loc) = locator.known(f) {
                props.push(("file", loc.uri));
                if let Some(l) = loc.line {
                    props.push(("line", l.to_string()));
                }
            }
            props.push(("title", format!("{} {}", f.code, f.name)));
            let mut msg = format!("{}: {}", c.check, f.detail);
            if let Some(r) = &f.remedy {
                let _ = write!(msg, "\nfix: {r}");
            }
            s.push_str(&command(cmd, &props, &msg));
        }
    }
    let mut verdict = format!("verdict: {}", report.verdict.as_str());
    if let Some(b) = &report.baseline {
        let _ = write!(verdict, "; {} finding(s) baselined in {}, {} new", b.baselined, b.file, b.new);
    }
    if let Some(g) = report.gate.as_ref().filter(|g| !g.reasons.is_empty()) {
        let _ = write!(verdict, "\ngate: exit {}: {}", g.exit_code, g.reasons.join("; "));
    }
    let red = report.verdict == Verdict::NotReady || report.gate.as_ref().is_some_and(|g| g.exit_code != 0);
    s.push_str(&command(if red { "error" } else { "notice" }, &[("title", "bridge readiness".into())], &verdict));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_githubs_rules() {
        assert_eq!(escape_data("100% done\r\nnext: a, b"), "100%25 done%0D%0Anext: a, b");
        assert_eq!(escape_property("RLS001: a, b%\n"), "RLS001%3A a%2C b%25%0A");
        assert_eq!(
            command("error", &[("file", "db/1.sql".into()), ("title", "T: x,y".into())], "m:1,2\n%"),
            "::error file=db/1.sql,title=T%3A x%2Cy::m:1,2%0A%25\n"
        );
        assert_eq!(command("notice", &[], "hi"), "::notice::hi\n");
    }
}
