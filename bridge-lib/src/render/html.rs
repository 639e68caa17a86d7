//! HTML for the notebook: the vocabulary (the [`Html`] value, escaping, status colours,
//! badges, warnings, key-value tables) and the report's tables. No scripts.

pub use crate::finding::fmt_count;
use crate::finding::{Finding, Status};
use crate::report::data::{parse, CapacityData, CostData};
use crate::report::{CheckId, CheckOutcome, CheckStatus, Report, Verdict};
use std::fmt::Write;

/// HTML produced by the library for the notebook (a chart, a table), shown as-is.
#[derive(Debug, Clone)]
pub struct Html(pub String);

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The colour of a status word (`pass`, `warn`, `skip`, `fail`, `error`) or a verdict
/// (`ready`, `ready with warnings`, `not ready`): green, amber, grey, otherwise red.
pub fn colour(s: &str) -> &'static str {
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

/// A quiet note in italics (a chart with nothing to draw).
pub fn note(text: &str) -> String {
    format!("<p><i>{}</i></p>", esc(text))
}

/// A two-column table, one row per `(key, value)`, both escaped (the environment table).
pub fn key_value_table<'a>(rows: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut h = String::from("<table><tbody>");
    for (k, v) in rows {
        let _ = write!(
            h,
            "<tr><th style=\"text-align:left\">{}</th><td style=\"text-align:left\">{}</td></tr>",
            esc(k),
            esc(v)
        );
    }
    h.push_str("</tbody></table>");
    h
}

/// A table of findings. A passing finding reads as what was ruled out (its rule's title), not
/// as the problem's name; each row opens (a collapsible `<details>`) on its rule's rationale,
/// its remedy and its evidence; a remedy shows only where there is one.
pub fn findings_html(findings: &[Finding]) -> String {
    let rules = crate::checks::all_rules();
    let mut h = String::from(
        "<table><thead><tr><th style=\"text-align:left\">status</th><th style=\"text-align:left\">code</th>\
         <th style=\"text-align:left\">finding</th><th style=\"text-align:left\">detail</th></tr></thead><tbody>",
    );
    for f in findings {
        let rule = rules.iter().find(|r| r.code == f.code);
        let status = if f.suppressed.is_some() { badge("skip") } else { badge(f.status.as_str()) };
        let name = match (f.status, rule) {
            (Status::Pass, Some(r)) => format!("ruled out: {}", esc(r.title)),
            (Status::Pass, None) => format!("ruled out: {}", esc(&f.title)),
            _ => format!("<b>{}</b><br><small>{}</small>", esc(&f.name), esc(&f.title)),
        };
        let remedy = match &f.remedy {
            Some(r) if f.status != Status::Pass && !r.trim().is_empty() => {
                format!("<br><b>fix:</b> <code style=\"white-space:pre-wrap\">{}</code>", esc(r))
            }
            _ => String::new(),
        };
        let _ = write!(
            h,
            "<tr><td style=\"text-align:left\">{status}</td><td style=\"text-align:left\"><code>{}</code></td>\
             <td style=\"text-align:left\">{name}</td><td style=\"text-align:left\">{}{remedy}{}</td></tr>",
            esc(&f.code),
            esc(&f.detail),
            rationale(rule.copied(), f)
        );
    }
    h.push_str("</tbody></table>");
    h
}

/// The collapsible rationale of a finding: its rule's documentation and the evidence.
fn rationale(rule: Option<&crate::finding::Rule>, f: &Finding) -> String {
    let mut h = String::from("<details><summary>why it matters, the usual fix, evidence</summary>");
    if let Some(r) = rule {
        for (k, v) in [
            ("What it checks", r.checks),
            ("Why it matters", r.why),
            ("Usual remedy", r.remedy),
            ("Known limits", r.limits),
        ] {
            if !v.is_empty() {
                let _ = write!(h, "<p style=\"text-align:left\"><b>{k}:</b> {}</p>", esc(v));
            }
        }
    }
    if !f.evidence.is_null() {
        let ev = serde_json::to_string_pretty(&f.evidence).unwrap_or_default();
        let _ = write!(
            h,
            "<p style=\"text-align:left\"><b>Evidence:</b></p><pre style=\"text-align:left\">{}</pre>",
            esc(&ev)
        );
    }
    h.push_str("</details>");
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
    h.push_str(&picture(o));
    h
}

/// Each check's picture under its findings, when the check measured something: the access
/// grid and matrix, the variance chart, the usage bars and the forecast; a warning when its data
/// has another shape.
fn picture(o: &CheckOutcome) -> String {
    let unreadable = |e: serde_json::Error| warning(&format!("the {} check's data could not be read: {e}", o.check));
    match o.check {
        CheckId::Rls => super::rls_matrix_html(o),
        CheckId::Cost => match parse::<CostData>(&o.data) {
            Some(Ok(d)) if !d.variance.is_empty() => {
                super::cost_chart::variance_chart(&d).0 + &super::waterfall::explanations_html(&d)
            }
            Some(Err(e)) => unreadable(e),
            _ => String::new(),
        },
        CheckId::Capacity => match parse::<CapacityData>(&o.data) {
            Some(Ok(d)) if !d.tenants.is_empty() => {
                let tables = super::capacity_scaling::capacity_scaling(o).0;
                super::capacity_chart::usage_chart(&d).0 + &super::forecast_chart::growth_chart(&d).0 + &tables
            }
            Some(Err(e)) => unreadable(e),
            _ => String::new(),
        },
        CheckId::Tenants => String::new(),
    }
}

/// The whole report: verdict, a summary row per check, the must-fix list, then every check.
pub fn report_html(r: &Report) -> String {
    let mut h = verdict_html(r);
    h.insert_str(0, "<div>");
    for c in &r.checks {
        h.push_str(&outcome_html(c));
    }
    h.push_str("</div>");
    h
}

/// The verdict alone: a summary row per check and the must-fix list (what the notebook's
/// verdict cell shows; each check's findings are in its own section above).
pub fn verdict_html(r: &Report) -> String {
    let mut h = format!(
        "<h3>Readiness verdict: {} <small>({})</small></h3><table><thead><tr><th style=\"text-align:left\">check</th><th style=\"text-align:left\">status</th><th style=\"text-align:left\">findings</th></tr></thead><tbody>",
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
            "<tr><td style=\"text-align:left\">{}</td><td style=\"text-align:left\">{}</td><td style=\"text-align:left\">{}</td></tr>",
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
    h
}
