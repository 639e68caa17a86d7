//! HTML for the notebook: tables with status colours, no scripts.

use crate::finding::{Finding, Status};
use crate::report::{CheckOutcome, CheckStatus, Report, Verdict};
use std::fmt::Write;

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn colour(s: &str) -> &'static str {
    match s {
        "pass" | "ready" => "#1a7f37",
        "warn" | "ready with warnings" => "#9a6700",
        "skip" => "#57606a",
        _ => "#cf222e",
    }
}

/// A coloured status badge.
pub fn badge(word: &str) -> String {
    format!(
        "<span style=\"background:{};color:white;border-radius:4px;padding:1px 6px;font-weight:600\">{}</span>",
        colour(word),
        esc(word)
    )
}

/// A visible warning paragraph (a check that skips, a section that could not load).
pub fn warning(text: &str) -> String {
    format!("<p style=\"color:{}\">&#9888; {}</p>", colour("warn"), esc(text))
}

/// A table of findings.
pub fn findings_html(findings: &[Finding]) -> String {
    let mut h = String::from(
        "<table><thead><tr><th>status</th><th>code</th><th>name</th><th style=\"text-align:left\">detail</th><th style=\"text-align:left\">remedy</th></tr></thead><tbody>",
    );
    for f in findings {
        let status = if f.suppressed.is_some() { "suppressed".to_string() } else { f.status.as_str().to_string() };
        let remedy = if f.status == Status::Pass { String::new() } else { f.remedy.clone().unwrap_or_default() };
        let _ = write!(
            h,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td style=\"text-align:left\">{}</td><td style=\"text-align:left\"><code>{}</code></td></tr>",
            if f.suppressed.is_some() { badge("skip") } else { badge(&status) },
            esc(&f.code),
            esc(&f.name),
            esc(&f.detail),
            esc(&remedy)
        );
    }
    h.push_str("</tbody></table>");
    h
}

/// One check's outcome: a heading with its status, then its findings or its error.
pub fn outcome_html(o: &CheckOutcome) -> String {
    let mut h = format!("<h4>{} {}</h4>", esc(o.check.title()), badge(o.status.as_str()));
    if let Some(e) = &o.error {
        let _ = write!(h, "<p style=\"color:{}\">could not run: {}</p>", colour("fail"), esc(e));
    }
    if !o.findings.is_empty() {
        h.push_str(&findings_html(&o.findings));
    }
    // each check's picture under its findings, when the check measured something
    match o.check {
        crate::CheckId::Rls => h.push_str(&super::rls_matrix_html(o)),
        crate::CheckId::Cost if o.data["variance"].as_array().is_some_and(|v| !v.is_empty()) => {
            h.push_str(&super::cost_chart(o).0)
        }
        crate::CheckId::Capacity if o.data["tenants"].as_array().is_some_and(|v| !v.is_empty()) => {
            h.push_str(&super::capacity_chart(o).0)
        }
        _ => {}
    }
    h
}

/// The whole report: verdict, a summary row per check, the must-fix list, then every check.
pub fn report_html(r: &Report) -> String {
    let mut h = format!(
        "<div><h3>Readiness verdict: {} <small>({})</small></h3><table><thead><tr><th>check</th><th>status</th><th>findings</th></tr></thead><tbody>",
        badge(r.verdict.as_str()),
        esc(&r.environment)
    );
    for c in &r.checks {
        let counts = [Status::Fail, Status::Warn, Status::Pass, Status::Skip]
            .iter()
            .map(|s| (s, c.findings.iter().filter(|f| f.effective_status() == *s).count()))
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {}", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(c.check.title()),
            badge(c.status.as_str()),
            esc(if c.status == CheckStatus::Error { "could not run" } else { &counts })
        );
    }
    h.push_str("</tbody></table>");
    let must = r.must_fix();
    if r.verdict == Verdict::NotReady && !must.is_empty() {
        h.push_str("<p><b>Must fix before per-tenant customization:</b></p><ul>");
        for m in must {
            let _ = write!(h, "<li>{}</li>", esc(&m));
        }
        h.push_str("</ul>");
    }
    for c in &r.checks {
        h.push_str(&outcome_html(c));
    }
    h.push_str("</div>");
    h
}
