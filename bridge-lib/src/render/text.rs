//! Human text for the terminal.

use crate::finding::Status;
use crate::report::{CheckOutcome, CheckStatus, Report};
use std::borrow::Cow;
use std::fmt::Write;

/// `s` with every control character (C0, DEL, C1) written as an escape (`\n`, `\t`, `\u{1b}`),
/// so a value from the data cannot start a line, move the cursor or colour the terminal: a
/// tenant id with a newline cannot forge a `verdict:` line.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        match ch {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Each line of a multi-line text (a remedy, an error) with its controls escaped.
fn escaped_lines(s: &str) -> impl Iterator<Item = Cow<'_, str>> {
    s.lines().map(escape_controls)
}

fn mark(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Pass => "PASS ",
        CheckStatus::Skip => "SKIP ",
        CheckStatus::Warn => "WARN ",
        CheckStatus::Fail => "FAIL ",
        CheckStatus::Error => "ERROR",
    }
}

fn finding_mark(s: Status) -> &'static str {
    match s {
        Status::Pass => "ok  ",
        Status::Skip => "skip",
        Status::Warn => "warn",
        Status::Fail => "FAIL",
    }
}

/// One check's block: its status and title, its error, then each finding with its fix.
pub fn outcome_text(c: &CheckOutcome) -> String {
    let mut s = format!("[{}] {}\n", mark(c.status), c.check.title());
    if let Some(e) = &c.error {
        for (i, line) in escaped_lines(e).enumerate() {
            let _ = writeln!(s, "    {}{line}", if i == 0 { "could not run: " } else { "    " });
        }
    }
    for f in &c.findings {
        let sup = f.suppressed.as_ref().map(|r| format!(" (suppressed: {})", escape_controls(r))).unwrap_or_default();
        let _ = writeln!(
            s,
            "  {} {} {}: {}{sup}",
            finding_mark(f.status),
            escape_controls(&f.code),
            escape_controls(&f.name),
            escape_controls(&f.detail)
        );
        if f.status != Status::Pass && f.suppressed.is_none() {
            if let Some(r) = &f.remedy {
                for (i, line) in escaped_lines(r).enumerate() {
                    let _ = writeln!(s, "       {} {line}", if i == 0 { "fix:" } else { "    " });
                }
            }
            // the cost gap's split (checks::cost::explain), one line per component
            let why = f.evidence.get("explanation").and_then(|v| v.as_array()).map(Vec::as_slice).unwrap_or(&[]);
            for line in why.iter().filter_map(|l| l.as_str()) {
                let _ = writeln!(s, "       why: {}", escape_controls(line));
            }
        }
    }
    s
}

/// The report as plain text: one block per check, then the verdict and the must-fix list.
pub fn report_text(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "bridge readiness report ({})", escape_controls(&report.environment));
    if report.nothing_checked {
        let _ = writeln!(s, "\n{}", crate::Report::NOTHING_CHECKED);
    }
    for c in &report.checks {
        let _ = write!(s, "\n{}", outcome_text(c));
    }
    let _ = writeln!(s, "\nverdict: {}", report.verdict.as_str());
    if let Some(b) = &report.baseline {
        let _ = writeln!(s, "baseline: {} finding(s) baselined in {}, {} new", b.baselined, b.file, b.new);
    }
    let must = report.must_fix();
    if !must.is_empty() {
        let _ = writeln!(s, "must fix:");
        for m in must {
            let _ = writeln!(s, "  - {}", escape_controls(&m));
        }
    }
    if let Some(g) = report.gate.as_ref().filter(|g| !g.reasons.is_empty()) {
        let _ = writeln!(s, "gate: exit {}:", g.exit_code);
        for r in &g.reasons {
            let _ = writeln!(s, "  - {r}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::escape_controls;

    #[test]
    fn controls_from_the_data_are_escaped() {
        assert_eq!(
            escape_controls("evil\nverdict: ready\u{1b}[2K\u{7f}\u{85}"),
            "evil\\nverdict: ready\\u{1b}[2K\\u{7f}\\u{85}"
        );
        assert_eq!(escape_controls("plain ü"), "plain ü");
    }
}
