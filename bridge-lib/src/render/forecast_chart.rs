//! The capacity check's forecast: each namespace's size as a percent of its quota from today to
//! the forecast horizon, at the growth the check fitted on the saved snapshots (a straight line,
//! as the check's fit is linear), with the warn line and the quota. Hand-written inline SVG, drawn
//! from the typed [`CapacityData`] (no value is computed here that the check did not compute).

use crate::render::html::{colour, esc, note, Html};
use crate::report::data::{CapacityData, TenantUsage};
use crate::report::CheckOutcome;
use std::fmt::Write;

const LEFT: f64 = 44.0;
const PLOT_W: f64 = 420.0;
const PLOT_H: f64 = 220.0;
const TOP: f64 = 54.0;
/// Room on the right for the tenants' names at the lines' ends.
const RIGHT: f64 = 236.0;
/// The least vertical distance between two names at the lines' ends.
const LABEL_GAP: f64 = 13.0;

/// Draws the forecast from the capacity check's outcome; any other outcome, or one without
/// data, gives a one-line note instead (a warning when its data has another shape).
pub fn forecast_chart(outcome: &CheckOutcome) -> Html {
    super::capacity_chart::draw_capacity(outcome, growth_chart)
}

/// A tenant's line: percent of quota today and at the horizon.
fn line(t: &TenantUsage, horizon: f64) -> Option<(f64, f64)> {
    let (p, g, q) = (t.percent?, t.growth_per_day?, t.quota?);
    (q > 0).then(|| (p, p + g * horizon * 100.0 / q as f64))
}

/// The forecast of [`CapacityData`]; a note when there is no growth to draw (fewer than two
/// snapshots in the history).
pub fn growth_chart(d: &CapacityData) -> Html {
    let h = d.horizon_days.max(1.0);
    let lines: Vec<(&TenantUsage, (f64, f64))> = d.tenants.iter().filter_map(|t| Some((t, line(t, h)?))).collect();
    if lines.is_empty() {
        return Html(note(&format!(
            "no forecast: the capacity history has {} snapshot(s) and the fit needs two or more; run \
             `bridge capacity snapshot --history FILE` daily and set BRIDGE_CAPACITY_HISTORY",
            d.history_points
        )));
    }
    // the y axis goes to 100%, or further for a line that ends above it (at most 200%)
    let top = lines.iter().map(|(_, (a, b))| a.max(*b)).fold(100.0_f64, f64::max).min(200.0);
    let max = (top / 20.0).ceil() * 20.0;
    let x = |day: f64| LEFT + PLOT_W * day / h;
    let y = |p: f64| TOP + PLOT_H - PLOT_H * p.clamp(0.0, max) / max;
    let (width, height) = (LEFT + PLOT_W + RIGHT, TOP + PLOT_H + 48.0);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"namespace forecast as percent of quota\">\
         <text x=\"{LEFT}\" y=\"14\" fill=\"#24292f\">forecast: namespace size as % of quota over the next {h:.0} days</text>\
         <text x=\"{LEFT}\" y=\"29\" fill=\"#57606a\">linear growth fitted on {} snapshot(s); a dot marks the day a line reaches {:.0}%</text>",
        d.history_points, d.warn_percent
    );
    axes(&mut s, d, max, &x, &y);
    let mut labels = Vec::new();
    for (t, (start, end)) in &lines {
        let c = colour(t.status.as_str());
        let _ = write!(
            s,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{c}\" stroke-width=\"2\"><title>{}: {start:.1}% today, {end:.1}% in {h:.0} days</title></line>",
            x(0.0),
            y(*start),
            x(h),
            y(*end),
            esc(&t.tenant)
        );
        if let Some(day) = t.days_to_80.filter(|d| *d > 0.0 && *d <= h) {
            let _ = write!(s, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{c}\"/>", x(day), y(d.warn_percent));
        }
        let when = match t.days_to_80 {
            _ if *start >= 100.0 => "over quota".to_string(),
            Some(day) if day <= 0.0 => format!("at or over {:.0}%", d.warn_percent),
            Some(day) if day > 365.0 => format!("{:.0}% in over a year", d.warn_percent),
            Some(day) => format!("{:.0}% in {day:.0} d", d.warn_percent),
            None => "not growing".to_string(),
        };
        labels.push((y(*end), c, format!("{} {end:.1}% ({when})", t.tenant)));
    }
    // the names at the lines' ends, moved up apart from the lowest so none overlaps another
    // (or the day labels under the plot)
    labels.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut last = f64::MAX;
    for (ly, c, text) in labels {
        let ly = ly.min(last - LABEL_GAP);
        last = ly;
        let _ = write!(s, "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{c}\">{}</text>", x(h) + 6.0, ly + 4.0, esc(&text));
    }
    let flat: Vec<&str> = d.tenants.iter().filter(|t| line(t, h).is_none()).map(|t| t.tenant.as_str()).collect();
    if !flat.is_empty() {
        let _ = write!(
            s,
            "<text x=\"{LEFT}\" y=\"{:.1}\" fill=\"#57606a\">not drawn (no namespace, quota or growth): {}</text>",
            height - 6.0,
            esc(&flat.join(", "))
        );
    }
    s.push_str("</svg>");
    Html(s)
}

/// The frame: the y grid every 20%, the warn line dashed, the quota solid, the day ticks.
fn axes(s: &mut String, d: &CapacityData, max: f64, x: &dyn Fn(f64) -> f64, y: &dyn Fn(f64) -> f64) {
    let h = d.horizon_days.max(1.0);
    let mut p = 0.0;
    while p <= max {
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{0:.1}\" x2=\"{1:.1}\" y2=\"{0:.1}\" stroke=\"#eaeef2\"/>\
             <text x=\"{2:.1}\" y=\"{3:.1}\" text-anchor=\"end\" fill=\"#57606a\">{p:.0}%</text>",
            y(p),
            x(h),
            LEFT - 4.0,
            y(p) + 4.0
        );
        p += 20.0;
    }
    for (p, dash, what) in [(d.warn_percent, "5,4", "scale"), (100.0, "", "quota")] {
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{0:.1}\" x2=\"{1:.1}\" y2=\"{0:.1}\" stroke=\"#24292f\" stroke-dasharray=\"{dash}\"/>\
             <text x=\"{2:.1}\" y=\"{3:.1}\" fill=\"#57606a\">{what} {p:.0}%</text>",
            y(p),
            x(h),
            LEFT + 4.0,
            y(p) - 3.0
        );
    }
    let step = if h > 60.0 {
        30.0
    } else if h > 20.0 {
        10.0
    } else {
        5.0
    };
    let mut day = 0.0;
    while day <= h + 0.01 {
        let label = if day == 0.0 { "today".to_string() } else { format!("+{day:.0} d") };
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#57606a\">{label}</text>",
            x(day),
            TOP + PLOT_H + 16.0
        );
        day += step;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Status;
    use crate::report::CheckId;

    fn row(tenant: &str, vectors: u64, quota: u64, growth: Option<f64>, days_to_80: Option<f64>) -> TenantUsage {
        TenantUsage {
            tenant: tenant.into(),
            namespace: tenant.into(),
            tier: "pro".into(),
            active: true,
            vectors: Some(vectors),
            quota: Some(quota),
            percent: Some(vectors as f64 * 100.0 / quota as f64),
            growth_per_day: growth,
            days_to_80,
            days_to_full: None,
            status: Status::Pass,
        }
    }

    fn data(tenants: Vec<TenantUsage>, history_points: usize) -> CapacityData {
        crate::render::capacity_chart::tests::data_with_history(tenants, history_points)
    }

    #[test]
    fn lines_run_from_today_to_the_horizon_at_the_fitted_growth() {
        let d = data(
            vec![
                row("acme", 700_000, 1_000_000, Some(5_000.0), Some(20.0)),
                row("a<b", 10_000, 100_000, Some(0.0), None),
                row("slow", 10_000, 100_000, Some(1.0), Some(700.0)),
                row("full", 120_000, 100_000, Some(1.0), Some(0.0)),
                row("flat", 5, 100, None, None),
            ],
            5,
        );
        let o = CheckOutcome::from_findings(CheckId::Capacity, vec![]).with_data(serde_json::to_value(&d).unwrap());
        let svg = forecast_chart(&o).0;
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        // 70% + 5,000 a day × 30 days of 1,000,000 = 85% at the horizon; 80% in 20 days
        assert!(
            svg.contains("acme: 70.0% today, 85.0% in 30 days") && svg.contains("acme 85.0% (80% in 20 d)"),
            "{svg}"
        );
        assert_eq!(svg.matches("<circle").count(), 1, "one line reaches 80% inside the horizon: {svg}");
        assert!(svg.contains("a&lt;b 10.0% (not growing)") && svg.contains("slow 10.0% (80% in over a year)"), "{svg}");
        assert!(svg.contains("full 120.0% (over quota)") && svg.contains(">140%<"), "the axis goes past 100%: {svg}");
        assert!(svg.contains("not drawn (no namespace, quota or growth): flat"), "{svg}");
        assert!(svg.contains(">scale 80%<") && svg.contains(">quota 100%<") && svg.contains(">+30 d<"), "{svg}");
        assert!(svg.contains("fitted on 5 snapshot(s)"), "{svg}");
    }

    #[test]
    fn no_history_is_said_not_drawn() {
        let d = data(vec![row("acme", 10, 100, None, None)], 1);
        let h = growth_chart(&d).0;
        assert!(h.contains("no forecast") && h.contains("1 snapshot(s)") && !h.contains("<svg"), "{h}");
        let odd = CheckOutcome::from_findings(CheckId::Capacity, vec![]).with_data(serde_json::json!({ "tenants": 1 }));
        assert!(forecast_chart(&odd).0.contains("could not be read"));
        assert!(forecast_chart(&CheckOutcome::from_findings(CheckId::Rls, vec![])).0.contains("no capacity data"));
    }

    #[test]
    fn names_at_the_lines_ends_never_overlap() {
        let d = data((0..5).map(|i| row(&format!("t{i}"), 1_000, 100_000, Some(1.0), None)).collect(), 3);
        let svg = growth_chart(&d).0;
        let ys: Vec<f64> = svg
            .split("<text x=\"470.0\" y=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(ys.len(), 5, "{svg}");
        assert!(ys.windows(2).all(|w| (w[1] - w[0]).abs() >= LABEL_GAP - 0.01), "{ys:?}");
        assert!(ys.iter().all(|y| *y <= TOP + PLOT_H + 4.0), "none below the plot: {ys:?}");
    }
}
