//! The cost check's variance chart: inline SVG, written by hand (no chart crate), so it builds
//! without the `cost` feature; it reads only the outcome's `data`.

use crate::display::Html;
use crate::render::html::esc;
use crate::report::CheckOutcome;
use std::fmt::Write;

const W: f64 = 640.0;
const H: f64 = 300.0;
const LEFT: f64 = 56.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 64.0;

/// Variance per provider and billing period as bars, with the pass band (±warn) and the warn
/// band (±fail) shaded. Bars are coloured by band; a provider-period with no bill is marked.
pub fn cost_chart(outcome: &CheckOutcome) -> Html {
    let d = &outcome.data;
    let rows = d["variance"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    if rows.is_empty() {
        return Html("<p><em>no variance to chart: the cost check produced no reconciliation</em></p>".into());
    }
    let warn = d["thresholds"]["warn"].as_f64().unwrap_or(0.05);
    let fail = d["thresholds"]["fail"].as_f64().unwrap_or(0.10);
    let worst = rows.iter().filter_map(|r| r["variance"].as_f64()).fold(0.0_f64, |m, v| m.max(v.abs()));
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
        let label = format!("{} {}", r["provider"].as_str().unwrap_or("?"), r["period"].as_str().unwrap_or("?"));
        let colour = match r["band"].as_str().unwrap_or("") {
            "pass" => "#1a7f37",
            "warn" => "#9a6700",
            _ => "#cf222e",
        };
        match r["variance"].as_f64() {
            Some(v) => {
                let (top, bottom) = (y(v.max(0.0)), y(v.min(0.0)));
                let _ = write!(
                    s,
                    "<rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{}: {:+.1}% (billed {:.2}, allocated {:.2})</title></rect>\
                     <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{:+.1}%</text>",
                    (bottom - top).max(1.0),
                    esc(&label),
                    v * 100.0,
                    r["billed"].as_f64().unwrap_or(0.0),
                    r["allocated"].as_f64().unwrap_or(0.0),
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
        "<text x=\"{LEFT}\" y=\"{:.1}\" fill=\"#57606a\">variance = (billed − allocated) / billed; green ±{:.0}% passes, amber to ±{:.0}% warns</text></svg>",
        H - 4.0,
        warn * 100.0,
        fail * 100.0
    );
    Html(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CheckId;
    use serde_json::json;

    #[test]
    fn bars_bands_and_missing_bills() {
        let o = CheckOutcome::from_findings(CheckId::Cost, vec![]).with_data(json!({
            "thresholds": {"warn": 0.05, "fail": 0.10},
            "variance": [
                {"provider": "openai", "period": "2026-10", "variance": 0.021, "band": "pass", "billed": 12.9, "allocated": 12.6},
                {"provider": "anthropic", "period": "2026-11", "variance": -0.27, "band": "fail", "billed": 11.9, "allocated": 8.7},
                {"provider": "pinecone", "period": "2026-11", "variance": null, "band": "warn"}
            ]
        }));
        let svg = cost_chart(&o).0;
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect").count(), 3 + 2, "three bands and two bars");
        assert!(svg.contains("+2.1%") && svg.contains("-27.0%") && svg.contains("no bill") && svg.contains("#cf222e"));
        let empty = cost_chart(&CheckOutcome::from_findings(CheckId::Cost, vec![]));
        assert!(empty.0.contains("no variance"));
    }
}
