use super::*;
use crate::report::data::{GapComponent, VolumeTenant};

const M: i64 = 1_000_000;

fn explanation() -> GapExplanation {
    let c = |kind, micros, computed| GapComponent {
        kind,
        micros,
        computed,
        detail: format!("{kind:?} <why>"),
        items: vec![],
    };
    GapExplanation {
        provider: "anthropic".into(),
        period: "2026-11".into(),
        allocated_micros: 90 * M,
        billed_micros: 128 * M,
        gap_micros: 38 * M,
        components: vec![
            c(GapKind::Volume, 30 * M, true),
            c(GapKind::Rate, -2 * M, true),
            c(GapKind::Unattributed, 0, false),
            c(GapKind::Timing, -M, true),
            c(GapKind::Excluded, 8 * M, true),
            c(GapKind::Remainder, 3 * M, true),
        ],
        volume_tenants: vec![VolumeTenant { tenant: "acme<1>".into(), micros: 20 * M, tokens: 1234 }],
    }
}

fn ys(svg: &str, anchor: &str) -> Vec<f64> {
    svg.split("<text ")
        .skip(1)
        .filter(|t| t.contains(anchor))
        .filter_map(|t| t.split("y=\"").nth(1)?.split('"').next()?.parse().ok())
        .collect()
}

#[test]
fn the_waterfall_goes_from_allocated_to_billed() {
    let svg = waterfall(&explanation(), "USD").0;
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\"") && svg.ends_with("</svg>"));
    assert!(svg.contains("aria-label=\"cost gap waterfall anthropic 2026-11\""));
    assert_eq!(svg.matches("<rect").count(), 9 + 5, "nine bars and five legend keys");
    for label in
        ["allocated", "volume", "rate", "unattributed", "timing", "remainder", "billed usage", "excluded", "billed"]
    {
        assert!(svg.contains(&format!("rotate(-30)\" text-anchor=\"end\">{label}</text>")), "{label}");
    }
    assert!(svg.contains("+30.00") && svg.contains("-2.00") && svg.contains(">—</text>"), "{svg}");
    assert!(svg.contains("stroke-dasharray=\"3,2\" fill-opacity=\"0.2\"><title>unattributed"), "dashed: {svg}");
    assert!(svg.contains("allocated 90.00 to billed 128.00 USD (gap +38.00)"), "currency in the caption");
    // billed usage is the running total before the excluded lines: 90 + 30 - 2 - 1 + 3 = 120
    assert!(svg.contains("billed usage: 120.00 USD"), "{svg}");
}

#[test]
fn axis_labels_stay_below_the_caption_and_legend() {
    for e in
        [explanation(), GapExplanation { allocated_micros: 10_000 * M, billed_micros: 10_038 * M, ..explanation() }]
    {
        let svg = waterfall(&e, "EUR").0;
        let ticks = ys(&svg, "text-anchor=\"end\">");
        assert!(ticks.len() >= 5 && ticks.iter().all(|y| *y >= TOP), "{ticks:?}");
        let values = ys(&svg, "text-anchor=\"middle\"");
        assert!(values.iter().all(|y| *y > 34.0), "value labels clear the legend: {values:?}");
    }
    let big = GapExplanation { allocated_micros: 10_000 * M, billed_micros: 10_038 * M, ..explanation() };
    assert!(waterfall(&big, "EUR").0.contains("the axis does not start at 0"));
}

#[test]
fn the_tables_name_every_component_and_the_tenants() {
    let d: CostData = serde_json::from_value(serde_json::json!({
        "currency": "USD", "thresholds": {"warn": 0.05, "fail": 0.1},
        "sources": {"allocated": "x", "billed": []}, "variance": [], "unallocatable": [],
        "outside_periods": [], "totals": {"allocated": 0.0, "billed": 0.0, "unallocatable": 0.0, "coverage": null},
        "top_tenants": [], "tenants": [], "explanations": [serde_json::to_value(explanation()).unwrap()]
    }))
    .unwrap();
    let h = explanations_html(&d);
    assert_eq!(h.matches("<svg").count(), 1);
    assert!(h.contains("<td>unattributed</td><td>—</td>") && h.contains("&lt;why&gt;"), "{h}");
    assert!(h.contains("<td>acme&lt;1&gt;</td><td>+20.00</td><td>1234</td>"), "{h}");
    let none = CostData { explanations: vec![], ..d };
    assert!(explanations_html(&none).is_empty());
}
