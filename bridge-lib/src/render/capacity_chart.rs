//! The capacity check's chart: one horizontal bar per tenant, its namespace's size as a
//! percent of its quota, with a dashed line at the warn share and status colours, then one row
//! per orphan namespace (no tenant, so no quota). Hand-written inline SVG, drawn from the typed
//! [`CapacityData`].

use crate::render::html::{colour, esc, fmt_count, note, warning, Html};
use crate::report::data::{parse, CapacityData};
use crate::report::{CheckId, CheckOutcome};
use std::fmt::Write;

const ROW: f64 = 26.0;
const LABEL: f64 = 150.0;
const BAR: f64 = 420.0;
const TOP: f64 = 28.0;

/// Draws the usage bars from the capacity check's outcome; any other outcome, or one without
/// rows, gives a one-line note instead (a warning when its data has another shape).
pub fn capacity_chart(outcome: &CheckOutcome) -> Html {
    draw_capacity(outcome, usage_chart)
}

/// Draws `chart` from the capacity check's outcome when it measured tenants; any other outcome,
/// or one without rows, gives a one-line note instead (a warning when its data has another
/// shape). Every capacity picture starts here.
pub(crate) fn draw_capacity(outcome: &CheckOutcome, chart: fn(&CapacityData) -> Html) -> Html {
    let none = || Html(note("no capacity data: the check did not measure any tenant"));
    if outcome.check != CheckId::Capacity {
        return none();
    }
    match parse::<CapacityData>(&outcome.data) {
        Some(Ok(d)) if !d.tenants.is_empty() => chart(&d),
        Some(Err(e)) => Html(warning(&format!("the capacity data could not be read: {e}"))),
        _ => none(),
    }
}

/// The usage bars of [`CapacityData`] (one per tenant row).
pub fn usage_chart(d: &CapacityData) -> Html {
    let rows = &d.tenants;
    let warn = d.warn_percent;
    // the axis goes to 100%, or further when a tenant is over quota (at most 200%)
    let max = rows.iter().filter_map(|r| r.percent).fold(100.0_f64, f64::max).min(200.0);
    let x = |p: f64| LABEL + BAR * p.min(max) / max;
    let lines = rows.len() + d.orphans.len();
    let height = TOP + ROW * lines as f64 + 44.0;
    let width = LABEL + BAR + 170.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"namespace usage as percent of quota\">\
         <text x=\"{LABEL}\" y=\"14\" fill=\"#24292f\">namespace size as % of the tenant's quota</text>"
    );
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let tenant = r.tenant.as_str();
        let status = r.status.as_str();
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#24292f\">{} <tspan fill=\"#57606a\">({})</tspan></text>",
            LABEL - 8.0,
            y + 14.0,
            esc(tenant),
            esc(&r.tier)
        );
        let _ = write!(s, "<rect x=\"{LABEL}\" y=\"{y:.1}\" width=\"{BAR}\" height=\"18\" fill=\"#eaeef2\"/>");
        let label = match (r.percent, r.vectors, r.quota) {
            (Some(p), Some(v), Some(q)) => {
                let _ = write!(
                    s,
                    "<rect x=\"{LABEL}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"18\" fill=\"{}\"><title>{}: {} of {} records</title></rect>",
                    (x(p) - LABEL).max(1.0),
                    colour(status),
                    esc(tenant),
                    fmt_count(v),
                    fmt_count(q)
                );
                format!("{p:.1}% of {} records", fmt_count(q))
            }
            (_, None, _) => "no namespace".to_string(),
            (_, Some(v), _) => format!("{} records, no quota", fmt_count(v)),
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
    for (i, o) in d.orphans.iter().enumerate() {
        let y = TOP + ROW * (rows.len() + i) as f64;
        let name = if o.namespace.is_empty() { "(default)" } else { o.namespace.as_str() };
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{amber}\">{} <tspan fill=\"#57606a\">(no tenant)</tspan></text>\
             <rect x=\"{LABEL}\" y=\"{y:.1}\" width=\"{BAR}\" height=\"18\" fill=\"none\" stroke=\"{amber}\" stroke-dasharray=\"3,3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{amber}\">orphan: {} records, no quota</text>",
            LABEL - 8.0,
            y + 14.0,
            esc(name),
            LABEL + BAR + 8.0,
            y + 14.0,
            fmt_count(o.vectors),
            amber = colour("warn")
        );
    }
    let bottom = TOP + ROW * lines as f64;
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
    let _ = write!(
        s,
        "<text x=\"{LABEL}\" y=\"{:.1}\" fill=\"#57606a\">green under {warn:.0}%, amber at or over {warn:.0}% (scale up), red over quota or no namespace</text></svg>",
        bottom + 34.0
    );
    Html(s)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::finding::Status;
    use crate::report::data::{CapacityIndex, OrphanNamespace, TenantUsage};

    fn row(tenant: &str, vectors: Option<u64>, quota: Option<u64>, status: Status) -> TenantUsage {
        TenantUsage {
            tenant: tenant.into(),
            namespace: tenant.into(),
            tier: if quota.is_some() { "pro".into() } else { "x".into() },
            active: true,
            vectors,
            quota,
            percent: vectors.zip(quota).map(|(v, q)| v as f64 * 100.0 / q as f64),
            growth_per_day: None,
            days_to_80: None,
            days_to_full: None,
            status,
        }
    }

    fn data(tenants: Vec<TenantUsage>) -> CapacityData {
        data_with_history(tenants, 0)
    }

    /// Capacity data for the pictures' tests: `tenants` on a serverless index.
    pub(crate) fn data_with_history(tenants: Vec<TenantUsage>, history_points: usize) -> CapacityData {
        CapacityData {
            source: "test".into(),
            index: CapacityIndex {
                name: None,
                host: None,
                kind: "serverless".into(),
                dimension: None,
                fullness: None,
                total_vectors: None,
                namespaces: tenants.len(),
                namespace_limit: 100_000,
            },
            warn_percent: 80.0,
            horizon_days: 30.0,
            history_points,
            tenants,
            orphans: Vec::new(),
            ledger: None,
            stores: Vec::new(),
            scaling: Vec::new(),
        }
    }

    #[test]
    fn bars_labels_and_the_dashed_line() {
        let d = data(vec![
            row("acme", Some(870_000), Some(1_000_000), Status::Warn),
            row("a<b", None, Some(1_000_000), Status::Fail),
            row("odd", Some(5), None, Status::Warn),
        ]);
        let o = CheckOutcome::from_findings(CheckId::Capacity, vec![]).with_data(serde_json::to_value(&d).unwrap());
        let svg = capacity_chart(&o).0;
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("87.0% of 1,000,000 records") && svg.contains("#9a6700"));
        assert!(svg.contains("a&lt;b") && svg.contains("no namespace") && svg.contains("5 records, no quota"));
        assert!(svg.contains("stroke-dasharray=\"5,4\""));
        let none = capacity_chart(&CheckOutcome::from_findings(CheckId::Capacity, vec![])).0;
        assert!(none.contains("no capacity data"));
    }

    #[test]
    fn orphan_namespaces_get_a_row_of_their_own() {
        let mut d = data(vec![row("acme", Some(10), Some(100), Status::Pass)]);
        d.orphans = vec![OrphanNamespace { namespace: "hooli".into(), vectors: 64_000 }];
        let svg = usage_chart(&d).0;
        assert!(svg.contains("hooli <tspan") && svg.contains("orphan: 64,000 records, no quota"), "{svg}");
        assert!(svg.contains("height=\"124\""), "two rows tall: {svg}");
    }

    #[test]
    fn the_warn_line_is_the_datas_not_a_default() {
        let mut d = data(vec![row("acme", Some(10), Some(100), Status::Pass)]);
        d.warn_percent = 70.0;
        assert!(usage_chart(&d).0.contains(">70%</text>"));
        let odd = CheckOutcome::from_findings(CheckId::Capacity, vec![])
            .with_data(serde_json::json!({ "tenants": [{ "tenant": "acme" }] }));
        assert!(capacity_chart(&odd).0.contains("could not be read"), "another shape is said, not drawn");
    }
}
