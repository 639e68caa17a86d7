//! Human text for the terminal.

use crate::finding::Status;
use crate::report::{CheckOutcome, CheckStatus, Report};
use std::fmt::Write;

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
        let _ = writeln!(s, "    could not run: {e}");
    }
    for f in &c.findings {
        let sup = f.suppressed.as_ref().map(|r| format!(" (suppressed: {r})")).unwrap_or_default();
        let _ = writeln!(s, "  {} {} {}: {}{sup}", finding_mark(f.status), f.code, f.name, f.detail);
        if f.status != Status::Pass && f.suppressed.is_none() {
            if let Some(r) = &f.remedy {
                for (i, line) in r.lines().enumerate() {
                    let _ = writeln!(s, "       {} {line}", if i == 0 { "fix:" } else { "    " });
                }
            }
        }
    }
    s
}

/// The report as plain text: one block per check, then the verdict and the must-fix list.
pub fn report_text(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "bridge readiness report ({})", report.environment);
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
            let _ = writeln!(s, "  - {m}");
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
