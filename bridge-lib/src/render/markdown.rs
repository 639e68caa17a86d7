//! Markdown for a pull-request comment or a GitHub step summary: the verdict, one table row per
//! check, then the findings to look at (failures first), capped so a comment stays readable.

use crate::finding::Status;
use crate::report::{CheckStatus, Report, Verdict};
use std::fmt::Write;

/// How many findings the table lists before it says how many more there are.
pub const MAX_FINDINGS: usize = 50;

fn check_icon(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Pass => "✅ pass",
        CheckStatus::Skip => "⏭️ skip",
        CheckStatus::Warn => "⚠️ warn",
        CheckStatus::Fail => "❌ fail",
        CheckStatus::Error => "💥 error",
    }
}

/// Text safe inside a table cell: pipes escaped, line breaks as `<br>`, HTML's `<` `>` `&`
/// escaped (GitHub renders inline HTML).
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.trim_end().chars() {
        match ch {
            '|' => out.push_str("\\|"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The report as Markdown.
pub fn report_markdown(report: &Report) -> String {
    let mut s = String::new();
    let icon = match report.verdict {
        Verdict::Ready => "✅",
        Verdict::ReadyWithWarnings => "⚠️",
        Verdict::NotReady => "❌",
    };
    let _ = writeln!(s, "## {icon} bridge readiness: {}\n", report.verdict.as_str());
    if report.nothing_checked {
        let _ = writeln!(s, "> [!WARNING]\n> **{}**\n", cell(crate::Report::NOTHING_CHECKED));
    }
    let _ = writeln!(
        s,
        "Environment `{}` · {} {} · started {} · {} ms\n",
        report.environment, report.tool.name, report.tool.version, report.started_at, report.duration_ms
    );
    let _ = writeln!(s, "| check | status | fail | warn | skip | pass | time |\n|---|---|--:|--:|--:|--:|--:|");
    for c in &report.checks {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} ms |",
            c.check.title(),
            check_icon(c.status),
            c.count(Status::Fail),
            c.count(Status::Warn),
            c.count(Status::Skip),
            c.count(Status::Pass),
            c.duration_ms
        );
    }
    findings_table(&mut s, report);
    if let Some(b) = &report.baseline {
        let _ = writeln!(s, "\n{} finding(s) baselined in `{}`; {} new.", b.baselined, b.file, b.new);
    }
    if let Some(g) = &report.gate {
        if g.reasons.is_empty() {
            let _ = writeln!(s, "\nGate: exit {}.", g.exit_code);
        } else {
            let _ = writeln!(s, "\nGate: exit {} because:", g.exit_code);
            for r in &g.reasons {
                let _ = writeln!(s, "- {}", cell(r));
            }
        }
    }
    s
}

fn findings_table(s: &mut String, report: &Report) {
    let mut rows: Vec<(u8, String)> = Vec::new();
    for c in &report.checks {
        if let Some(e) = &c.error {
            rows.push((0, format!("| 💥 error | {} | | could not run: {} |", c.check, cell(e))));
        }
        for f in &c.findings {
            let (rank, word) = match f.effective_status() {
                Status::Fail => (1, "❌ fail"),
                Status::Warn => (2, "⚠️ warn"),
                Status::Skip => (3, "⏭️ skip"),
                Status::Pass => continue,
            };
            let fix = f.remedy.as_deref().map(|r| format!("<br>fix: <code>{}</code>", cell(r))).unwrap_or_default();
            rows.push((rank, format!("| {word} | {} | `{}` {} | {}{fix} |", c.check, f.code, f.name, cell(&f.detail))));
        }
    }
    if rows.is_empty() {
        return;
    }
    rows.sort_by_key(|(rank, _)| *rank);
    let _ = writeln!(s, "\n| | check | finding | detail |\n|---|---|---|---|");
    for (_, r) in rows.iter().take(MAX_FINDINGS) {
        let _ = writeln!(s, "{r}");
    }
    if rows.len() > MAX_FINDINGS {
        let _ = writeln!(s, "\n…and {} more (see the full report).", rows.len() - MAX_FINDINGS);
    }
}
