//! The capacity check's chart: one horizontal bar per tenant, its namespace's size as a
//! percent of its quota, with a dashed line at 80% and status colours. Hand-written inline SVG.

use crate::render::html::esc;
use crate::report::CheckOutcome;
use crate::Html;
use std::fmt::Write;

const ROW: f64 = 26.0;
const LABEL: f64 = 150.0;
const BAR: f64 = 420.0;
const TOP: f64 = 28.0;

fn colour(status: &str) -> &'static str {
    match status {
        "pass" => "#1a7f37",
        "warn" => "#9a6700",
        "skip" => "#57606a",
        _ => "#cf222e",
    }
}

/// Draws the usage bars from `outcome.data.tenants` (the capacity check's outcome); any other
/// outcome, or one without rows, gives a one-line note instead.
pub fn capacity_chart(outcome: &CheckOutcome) -> Html {
    let rows = match outcome.data.get("tenants").and_then(|t| t.as_array()) {
        Some(r) if !r.is_empty() => r,
        _ => return Html("<p><i>no capacity data: the check did not measure any tenant</i></p>".into()),
    };
    let warn = outcome.data.get("warn_percent").and_then(|v| v.as_f64()).unwrap_or(80.0);
    // the axis goes to 100%, or further when a tenant is over quota (at most 200%)
    let max = rows.iter().filter_map(|r| r["percent"].as_f64()).fold(100.0_f64, f64::max).min(200.0);
    let x = |p: f64| LABEL + BAR * p.min(max) / max;
    let height = TOP + ROW * rows.len() as f64 + 24.0;
    let width = LABEL + BAR + 170.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"namespace usage as percent of quota\">\
         <text x=\"{LABEL}\" y=\"14\" fill=\"#24292f\">namespace size as % of the tenant's quota</text>"
    );
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let tenant = r["tenant"].as_str().unwrap_or("?");
        let status = r["status"].as_str().unwrap_or("fail");
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#24292f\">{} <tspan fill=\"#57606a\">({})</tspan></text>",
            LABEL - 8.0,
            y + 14.0,
            esc(tenant),
            esc(r["tier"].as_str().unwrap_or(""))
        );
        let _ = write!(s, "<rect x=\"{LABEL}\" y=\"{y:.1}\" width=\"{BAR}\" height=\"18\" fill=\"#eaeef2\"/>");
        let label = match (r["percent"].as_f64(), r["vectors"].as_u64(), r["quota"].as_u64()) {
            (Some(p), Some(v), Some(q)) => {
                let _ = write!(
                    s,
                    "<rect x=\"{LABEL}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"18\" fill=\"{}\"><title>{}: {v} of {q} records</title></rect>",
                    (x(p) - LABEL).max(1.0),
                    colour(status),
                    esc(tenant)
                );
                format!("{p:.1}% of {q}")
            }
            (_, None, _) => "no namespace".to_string(),
            (_, Some(v), _) => format!("{v} records, no quota"),
        };
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{}\">{}</text>",
            LABEL + BAR + 8.0,
            y + 14.0,
            colour(status),
            esc(&label)
        );
    }
    let bottom = TOP + ROW * rows.len() as f64;
    for (p, dash) in [(warn, "5,4"), (100.0, "")] {
        let _ = write!(
            s,
            "<line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\" stroke=\"#24292f\" stroke-width=\"1\" stroke-dasharray=\"{dash}\"/>\
             <text x=\"{0:.1}\" y=\"{3:.1}\" text-anchor=\"middle\" fill=\"#57606a\">{p:.0}%</text>",
            x(p),
            TOP - 4.0,
            bottom,
            bottom + 14.0
        );
    }
    s.push_str("</svg>");
    Html(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CheckId;
    use serde_json::json;

    #[test]
    fn bars_labels_and_the_dashed_line() {
        let o = CheckOutcome::from_findings(CheckId::Capacity, vec![]).with_data(json!({
            "warn_percent": 80.0,
            "tenants": [
                {"tenant": "acme", "tier": "pro", "vectors": 870000, "quota": 1000000, "percent": 87.0, "status": "warn"},
                {"tenant": "a<b", "tier": "pro", "vectors": null, "quota": 1000000, "percent": null, "status": "fail"},
                {"tenant": "odd", "tier": "x", "vectors": 5, "quota": null, "percent": null, "status": "warn"}
            ]
        }));
        let svg = capacity_chart(&o).0;
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("87.0% of 1000000") && svg.contains("#9a6700"));
        assert!(svg.contains("a&lt;b") && svg.contains("no namespace") && svg.contains("5 records, no quota"));
        assert!(svg.contains("stroke-dasharray=\"5,4\""));
        let none = capacity_chart(&CheckOutcome::from_findings(CheckId::Capacity, vec![])).0;
        assert!(none.contains("no capacity data"));
    }
}
