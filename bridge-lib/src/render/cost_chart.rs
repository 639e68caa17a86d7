//! The cost check's variance chart: inline SVG, written by hand (no chart crate), so it builds
//! without the `cost` feature; it reads only the outcome's typed [`CostData`].

use crate::finding::Status;
use crate::render::html::{colour, esc, warning, Html};
use crate::report::data::{parse, CostData};
use crate::report::{CheckId, CheckOutcome};
use std::fmt::Write;

const W: f64 = 640.0;
const H: f64 = 330.0;
const LEFT: f64 = 56.0;
// the legend sits above the plot, out of the way of the rotated labels below it
const TOP: f64 = 44.0;
const BOTTOM: f64 = 72.0;

/// Variance per provider and billing period as bars, with the pass band (±warn) and the warn
/// band (±fail) shaded. Bars are coloured by band; a provider-period with no bill is marked.
pub fn cost_chart(outcome: &CheckOutcome) -> Html {
    let none = || Html("<p><em>no variance to chart: the cost check produced no reconciliation</em></p>".into());
    if outcome.check != CheckId::Cost {
        return none();
    }
    match parse::<CostData>(&outcome.data) {
        Some(Ok(d)) if !d.variance.is_empty() => variance_chart(&d),
        Some(Err(e)) => Html(warning(&format!("the cost data could not be read: {e}"))),
        _ => none(),
    }
}

/// The variance chart of [`CostData`] (one bar per provider and period).
pub fn variance_chart(d: &CostData) -> Html {
    let rows = &d.variance;
    let (warn, fail) = (d.thresholds.warn, d.thresholds.fail);
    let worst = rows.iter().filter_map(|r| r.variance).fold(0.0_f64, |m, v| m.max(v.abs()));
    let span = (fail * 1.5).max(worst * 1.1);
    let plot_h = H - TOP - BOTTOM;
    let y = |v: f64| TOP + plot_h / 2.0 - v / span * plot_h / 2.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" \
         font-family=\"sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"cost variance by provider and period\">"
    );
    let band = |s: &mut String, lo: f64, hi: f64, fill: &str| {
        let _ = write!(
            s,
            "<rect x=\"{LEFT}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"/>",
            y(hi),
            W - LEFT - 8.0,
            y(lo) - y(hi)
        );
    };
    band(&mut s, -span, span, "#fbe3e4");
    band(&mut s, -fail, fail, "#fff5d6");
    band(&mut s, -warn, warn, "#dff3e4");
    for v in [-fail, -warn, 0.0, warn, fail] {
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#8c959f\" stroke-width=\"{}\" stroke-dasharray=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{:+.0}%</text>",
            W - 8.0,
            if v == 0.0 { 1.0 } else { 0.5 },
            if v == 0.0 { "" } else { "3,3" },
            LEFT - 4.0,
            y(v) + 4.0,
            v * 100.0,
            yy = y(v)
        );
    }
    let slot = (W - LEFT - 8.0) / rows.len() as f64;
    for (i, r) in rows.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot * 0.2;
        let bw = slot * 0.6;
        let label = format!("{} {}", r.provider, r.period);
        // a band is pass, warn or fail; anything else is drawn as a failure
        let colour = colour(if r.band == Status::Skip { "fail" } else { r.band.as_str() });
        match r.variance {
            Some(v) => {
                let (top, bottom) = (y(v.max(0.0)), y(v.min(0.0)));
                let _ = write!(
                    s,
                    "<rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{}: {:+.1}% (billed ${:.2}, allocated ${:.2} {})</title></rect>\
                     <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{:+.1}%</text>",
                    (bottom - top).max(1.0),
                    esc(&label),
                    v * 100.0,
                    r.billed,
                    r.allocated,
                    esc(&d.currency),
                    x + bw / 2.0,
                    if v >= 0.0 { top - 3.0 } else { bottom + 11.0 },
                    v * 100.0
                );
            }
            None => {
                let _ = write!(
                    s,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{colour}\">no bill</text>",
                    x + bw / 2.0,
                    y(0.0) - 4.0
                );
            }
        }
        let _ = write!(
            s,
            "<text transform=\"translate({:.1},{:.1}) rotate(-30)\" text-anchor=\"end\">{}</text>",
            x + bw / 2.0,
            H - BOTTOM + 14.0,
            esc(&label)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{LEFT}\" y=\"14\" fill=\"#24292f\">variance = (billed − allocated) / billed, per provider and month (amounts in {})</text>\
         <text x=\"{LEFT}\" y=\"30\" fill=\"#57606a\">green ±{:.0}% passes, amber to ±{:.0}% warns, red beyond ±{:.0}% fails (critical)</text></svg>",
        esc(&d.currency),
        warn * 100.0,
        fail * 100.0,
        fail * 100.0
    );
    Html(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::data::{CostSources, CostThresholds, CostTotals, VarianceRow};

    fn row(
        provider: &str,
        period: &str,
        variance: Option<f64>,
        band: Status,
        billed: f64,
        allocated: f64,
    ) -> VarianceRow {
        VarianceRow {
            provider: provider.into(),
            period: period.into(),
            allocated,
            billed,
            unallocatable: 0.0,
            variance,
            band,
            open: false,
            sources: Vec::new(),
        }
    }

    fn data(variance: Vec<VarianceRow>) -> CostData {
        CostData {
            currency: "USD".into(),
            thresholds: CostThresholds { warn: 0.05, fail: 0.10 },
            sources: CostSources { allocated: "files ledger.csv".into(), billed: Vec::new() },
            variance,
            unallocatable: Vec::new(),
            outside_periods: Vec::new(),
            corrections: Vec::new(),
            invoices: Vec::new(),
            totals: CostTotals { allocated: 0.0, billed: 0.0, unallocatable: 0.0, coverage: None },
            top_tenants: Vec::new(),
            tenants: Vec::new(),
            explanations: Vec::new(),
        }
    }

    #[test]
    fn bars_bands_and_missing_bills() {
        let d = data(vec![
            row("openai", "2026-10", Some(0.021), Status::Pass, 12.9, 12.6),
            row("anthropic", "2026-11", Some(-0.27), Status::Fail, 11.9, 8.7),
            row("pinecone", "2026-11", None, Status::Warn, 0.0, 0.0),
        ]);
        let o = CheckOutcome::from_findings(CheckId::Cost, vec![]).with_data(serde_json::to_value(&d).unwrap());
        let svg = cost_chart(&o).0;
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect").count(), 3 + 2, "three bands and two bars");
        assert!(svg.contains("+2.1%") && svg.contains("-27.0%") && svg.contains("no bill") && svg.contains("#cf222e"));
        let empty = cost_chart(&CheckOutcome::from_findings(CheckId::Cost, vec![]));
        assert!(empty.0.contains("no variance"));
    }

    #[test]
    fn the_bands_are_the_datas_thresholds_not_defaults() {
        let mut d = data(vec![row("openai", "2026-10", Some(0.021), Status::Pass, 12.9, 12.6)]);
        d.thresholds = CostThresholds { warn: 0.02, fail: 0.03 };
        let svg = variance_chart(&d).0;
        assert!(svg.contains("green ±2% passes, amber to ±3% warns"), "{svg}");
        let old = CheckOutcome::from_findings(CheckId::Cost, vec![])
            .with_data(serde_json::json!({ "variance": [{ "provider": "openai" }] }));
        assert!(cost_chart(&old).0.contains("could not be read"), "another shape is said, not drawn");
    }
}
