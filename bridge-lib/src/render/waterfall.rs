//! The gap explanation's waterfall: inline SVG from the allocated cost to the billed cost, one
//! floating bar per component of the gap (volume, rate, unattributed, timing, the remainder,
//! then the subtotal "billed usage", the excluded lines and the bill). Written by hand like
//! [`super::cost_chart`], so it builds without the `cost` feature; it reads only the typed
//! [`GapExplanation`]s of [`CostData`]. Also the tables under it: the components and the
//! tenants behind the volume.

use crate::render::html::{esc, note, Html};
use crate::report::data::{CostData, GapExplanation, GapKind};
use std::fmt::Write;

const W: f64 = 640.0;
const H: f64 = 340.0;
const LEFT: f64 = 72.0;
// the caption and the legend sit above the plot, out of the way of the rotated labels below it
const TOP: f64 = 50.0;
const BOTTOM: f64 = 74.0;
const UP: &str = "#bc4c00";
const DOWN: &str = "#0969da";
const TOTAL: &str = "#57606a";
const REST: &str = "#8c959f";
const ZERO: &str = "#d0d7de";

struct Bar {
    label: String,
    from: i64,
    to: i64,
    fill: &'static str,
    computed: bool,
}

fn units(m: i64) -> f64 {
    m as f64 / 1e6
}

/// The bars, in drawing order: totals from zero, components floating from the running total.
fn bars(e: &GapExplanation) -> Vec<Bar> {
    let mut out = vec![Bar { label: "allocated".into(), from: 0, to: e.allocated_micros, fill: TOTAL, computed: true }];
    let mut run = e.allocated_micros;
    let order =
        [GapKind::Volume, GapKind::Rate, GapKind::Unattributed, GapKind::Timing, GapKind::Remainder, GapKind::Excluded];
    for kind in order {
        if kind == GapKind::Excluded {
            out.push(Bar { label: "billed usage".into(), from: 0, to: run, fill: TOTAL, computed: true });
        }
        let Some(c) = e.components.iter().find(|c| c.kind == kind) else { continue };
        let fill = match (kind, c.micros >= 0) {
            (GapKind::Remainder, _) => REST,
            _ if c.micros == 0 => ZERO,
            (_, true) => UP,
            (_, false) => DOWN,
        };
        out.push(Bar { label: kind.as_str().into(), from: run, to: run + c.micros, fill, computed: c.computed });
        run += c.micros;
    }
    out.push(Bar { label: "billed".into(), from: 0, to: e.billed_micros, fill: TOTAL, computed: true });
    out
}

/// The waterfall of one provider and period, amounts in `currency`.
pub fn waterfall(e: &GapExplanation, currency: &str) -> Html {
    let bars = bars(e);
    let (mut lo, mut hi) =
        bars.iter().fold((i64::MAX, i64::MIN), |(lo, hi), b| (lo.min(b.from.min(b.to)), hi.max(b.from.max(b.to))));
    let floats_lo = bars.iter().filter(|b| b.fill != TOTAL).map(|b| b.from.min(b.to)).min().unwrap_or(lo);
    // when the gap is small against the totals, the axis starts near the smallest running
    // total (said in the caption) so the components stay readable
    let broken = lo == 0 && floats_lo > 0 && (hi - floats_lo) * 3 < hi;
    if broken {
        lo = floats_lo - (hi - floats_lo) / 4;
    }
    if hi == lo {
        hi = lo + 1;
    }
    let pad = (hi - lo) / 10;
    let (lo, hi) = (if lo == 0 { 0 } else { lo - pad }, hi + pad);
    let plot_h = H - TOP - BOTTOM;
    let y = |m: i64| TOP + plot_h - (m - lo) as f64 / (hi - lo) as f64 * plot_h;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" \
         font-family=\"sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"cost gap waterfall {} {}\">",
        esc(&e.provider),
        esc(&e.period)
    );
    for i in 0..=4 {
        let m = lo + (hi - lo) * i / 4;
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#d0d7de\" stroke-width=\"0.5\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{:.2}</text>",
            W - 8.0,
            LEFT - 4.0,
            y(m) + 4.0,
            units(m),
            yy = y(m)
        );
    }
    let slot = (W - LEFT - 8.0) / bars.len() as f64;
    for (i, b) in bars.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let bw = slot * 0.7;
        let from = if b.fill == TOTAL { b.from.max(lo) } else { b.from };
        let (top, bottom) = (y(from.max(b.to)), y(from.min(b.to)));
        let delta =
            if b.fill == TOTAL { format!("{:.2}", units(b.to)) } else { format!("{:+.2}", units(b.to - b.from)) };
        // a component that could not be computed is a dashed outline with a dash (legend)
        let shown = if b.computed { delta.clone() } else { "—".into() };
        let dash = if b.computed { "" } else { " stroke=\"#57606a\" stroke-dasharray=\"3,2\" fill-opacity=\"0.2\"" };
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{}\"{dash}><title>{}: {} {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text transform=\"translate({:.1},{:.1}) rotate(-30)\" text-anchor=\"end\">{}</text>",
            (bottom - top).max(1.0),
            b.fill,
            esc(&b.label),
            esc(&delta),
            esc(currency),
            x + bw / 2.0,
            top - 3.0,
            esc(&shown),
            x + bw / 2.0,
            H - BOTTOM + 14.0,
            esc(&b.label)
        );
    }
    let axis = if broken { "; the axis does not start at 0" } else { "" };
    let _ = write!(
        s,
        "<text x=\"{LEFT}\" y=\"14\" fill=\"#24292f\">{} {}: allocated {:.2} to billed {:.2} {} (gap {:+.2}){axis}</text>\
         <rect x=\"{LEFT}\" y=\"24\" width=\"10\" height=\"10\" fill=\"{UP}\"/><text x=\"{:.1}\" y=\"33\">raises the bill</text>\
         <rect x=\"{:.1}\" y=\"24\" width=\"10\" height=\"10\" fill=\"{DOWN}\"/><text x=\"{:.1}\" y=\"33\">lowers it</text>\
         <rect x=\"{:.1}\" y=\"24\" width=\"10\" height=\"10\" fill=\"{REST}\"/><text x=\"{:.1}\" y=\"33\">remainder (not attributed)</text>\
         <rect x=\"{:.1}\" y=\"24\" width=\"10\" height=\"10\" fill=\"{TOTAL}\"/><text x=\"{:.1}\" y=\"33\">totals</text>\
         <rect x=\"{:.1}\" y=\"24\" width=\"10\" height=\"10\" fill=\"{ZERO}\" stroke=\"#57606a\" stroke-dasharray=\"3,2\"/>\
         <text x=\"{:.1}\" y=\"33\">not computed</text></svg>",
        esc(&e.provider),
        esc(&e.period),
        units(e.allocated_micros),
        units(e.billed_micros),
        esc(currency),
        units(e.gap_micros),
        LEFT + 14.0,
        LEFT + 112.0,
        LEFT + 126.0,
        LEFT + 190.0,
        LEFT + 204.0,
        LEFT + 370.0,
        LEFT + 384.0,
        LEFT + 440.0,
        LEFT + 454.0,
    );
    Html(s)
}

/// Every explanation of the cost data: its waterfall, its components (one row each, with how
/// it was found or why it could not be) and the tenants behind its volume. Empty when every
/// provider and period is inside the pass band.
pub fn explanations_html(d: &CostData) -> String {
    let mut h = String::new();
    for e in &d.explanations {
        let _ =
            write!(h, "<h5>why {} {} differs</h5>{}", esc(&e.provider), esc(&e.period), waterfall(e, &d.currency).0);
        h.push_str("<table><thead><tr><th>component</th><th>amount</th><th>how</th></tr></thead><tbody>");
        for c in &e.components {
            let amount = if c.computed { format!("{:+.2}", units(c.micros)) } else { "—".into() };
            let _ = write!(h, "<tr><td>{}</td><td>{amount}</td><td>{}</td></tr>", c.kind.as_str(), esc(&c.detail));
        }
        h.push_str("</tbody></table>");
        if e.volume_tenants.is_empty() {
            continue;
        }
        h.push_str(&note(
            "the tenants behind the volume: each model's volume shared by the tenants' share of its ledger tokens",
        ));
        h.push_str("<table><thead><tr><th>tenant</th><th>volume</th><th>ledger tokens</th></tr></thead><tbody>");
        for t in &e.volume_tenants {
            let _ =
                write!(h, "<tr><td>{}</td><td>{:+.2}</td><td>{}</td></tr>", esc(&t.tenant), units(t.micros), t.tokens);
        }
        h.push_str("</tbody></table>");
    }
    h
}

#[cfg(test)]
mod tests;
