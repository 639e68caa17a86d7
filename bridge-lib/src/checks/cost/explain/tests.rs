use super::model::{LedgerDay, LedgerTenant};
use super::*;
use crate::checks::cost::model::fixtures::{alloc, line};
use crate::checks::cost::reconcile;
use crate::report::data::GapKind;

fn inputs(usage: Result<Vec<UsageRow>, String>, ledger: Result<LedgerUsage, String>) -> Inputs {
    Inputs { usage, ledger, accounts: vec![], top_tenants: 5 }
}

/// A tiny deterministic generator, so the property runs the same cases every time.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn components_and_remainder_sum_exactly_to_the_gap() {
    let mut rng = Lcg(7);
    let c = CostConfig::default();
    let mut explained = 0;
    for case in 0..300 {
        let mut g = Gathered::default();
        for i in 0..1 + rng.next(4) {
            let mut a = alloc("openai", "2026-10", 0);
            a.micros = rng.next(90_000_000) as i64 + 1;
            a.tenant = format!("t{i}");
            g.allocated.push(a);
        }
        for row in 0..1 + rng.next(5) {
            let cat = ["usage", "usage", "tax", "credit", "minimum"][rng.next(5) as usize];
            let mut l = line("openai", "2026-10", 0, cat, row as usize);
            l.micros = rng.next(120_000_000) as i64 * if cat == "credit" { -1 } else { 1 };
            l.identity = format!("{case}-{row}");
            l.open = rng.next(2) == 0;
            if rng.next(6) == 0 {
                l.charge_class = "correction".into();
            }
            if rng.next(3) == 0 {
                // an invoice met again in another file is a repeat
                (l.invoice_id, l.source) = (format!("INV-{}", rng.next(2)), format!("{}.csv", rng.next(2)));
            }
            g.billed.push(l);
        }
        let (start, end) = timing::period_days("2026-10").unwrap();
        let usage = (rng.next(3) > 0).then(|| {
            vec![UsageRow {
                provider: "openai".into(),
                period: "2026-10".into(),
                start_day: start,
                end_day: start + 1 + rng.next((end - start) as u64) as i64,
                input_tokens: rng.next(1_000_000),
                output_tokens: rng.next(1_000_000),
                ..Default::default()
            }]
        });
        let ledger = LedgerUsage {
            days: (0..3)
                .map(|d| LedgerDay {
                    provider: "openai".into(),
                    model: "m".into(),
                    day: start + rng.next(31) as i64 + d,
                    tokens: rng.next(900_000) + 1,
                    events: 3,
                    micros: rng.next(30_000_000) as i64,
                })
                .collect(),
            tenants: vec![LedgerTenant {
                tenant: "t0".into(),
                provider: "openai".into(),
                model: "m".into(),
                period: "2026-10".into(),
                tokens: 5,
            }],
        };
        let r = reconcile(&g, &c);
        let i = inputs(usage.ok_or_else(|| "BRIDGE_USAGE_FILES is not set".to_string()), Ok(ledger));
        for e in explain(&g, &r, &c, &i) {
            explained += 1;
            let sum: i64 = e.components.iter().map(|c| c.micros).sum();
            assert_eq!(sum, e.gap_micros, "case {case}: {e:?}");
            assert_eq!(e.gap_micros, e.billed_micros - e.allocated_micros);
            let kinds: Vec<GapKind> = e.components.iter().map(|c| c.kind).collect();
            assert_eq!(kinds, GapKind::ALL.to_vec());
            let v = r.variance.iter().find(|v| v.provider == e.provider && v.period == e.period).unwrap();
            let corrections: i64 = (r.corrections.iter())
                .filter(|l| l.provider == e.provider && l.period == e.period)
                .map(|l| l.micros)
                .sum();
            let billed = micros(v.billed) + micros(v.unallocatable) + corrections;
            assert_eq!(e.gap_micros, billed - micros(v.allocated));
        }
    }
    assert!(explained > 100, "most cases are outside the band: {explained}");
}

#[test]
fn a_period_inside_the_band_is_not_explained() {
    let g = Gathered {
        allocated: vec![alloc("openai", "2026-10", 100)],
        billed: vec![line("openai", "2026-10", 102, "usage", 2)],
        ..Default::default()
    };
    let c = CostConfig::default();
    let r = reconcile(&g, &c);
    assert!(explain(&g, &r, &c, &inputs(Err("x".into()), Err("y".into()))).is_empty());
}

#[test]
fn without_usage_exports_the_split_says_what_it_could_not_compute() {
    let g = Gathered {
        allocated: vec![alloc("pinecone", "2026-10", 80)],
        billed: vec![line("pinecone", "2026-10", 100, "usage", 2), line("pinecone", "2026-10", 8, "tax", 3)],
        ..Default::default()
    };
    let c = CostConfig::default();
    let r = reconcile(&g, &c);
    let e = &explain(&g, &r, &c, &inputs(Err("BRIDGE_USAGE_FILES is not set".into()), Err("not read".into())))[0];
    assert_eq!(e.gap_micros, 28_000_000);
    let get = |k: GapKind| e.components.iter().find(|c| c.kind == k).unwrap();
    assert!(!get(GapKind::Volume).computed && get(GapKind::Volume).detail.contains("BRIDGE_USAGE_FILES is not set"));
    assert!(!get(GapKind::Rate).computed);
    assert_eq!(get(GapKind::Excluded).micros, 8_000_000);
    assert_eq!(get(GapKind::Timing).micros, 0, "a final bill reaches the month's end");
    let rest = get(GapKind::Remainder);
    assert_eq!(rest.micros, 20_000_000, "shown, never hidden");
    assert!(rest.detail.contains("not computed: volume, rate"), "{}", rest.detail);
    let text = lines(e, "USD");
    assert_eq!(text.len(), 6);
    assert!(
        text[0].starts_with("volume: not computed: needs") && text[4].starts_with("excluded: +8.00 USD: 1 billed"),
        "{text:?}"
    );
    assert!(text[4].ends_with("; invoice.csv, line 3: tax: pinecone tax"), "its largest parts: {text:?}");
}

#[test]
fn the_variance_finding_carries_the_explanation() {
    let g = Gathered {
        allocated: vec![alloc("openai", "2026-10", 80)],
        billed: vec![line("openai", "2026-10", 100, "usage", 2)],
        ..Default::default()
    };
    let c = CostConfig::default();
    let r = reconcile(&g, &c);
    let ex = explain(&g, &r, &c, &inputs(Err("BRIDGE_USAGE_FILES is not set".into()), Err("x".into())));
    let mut findings = crate::checks::cost::evaluate(&r);
    annotate(&mut findings, &ex, "USD");
    let f = findings.iter().find(|f| f.code == "COST001").unwrap();
    let lines = f.evidence["explanation"].as_array().unwrap();
    assert_eq!(lines.len(), 6);
    assert!(lines[5].as_str().unwrap().starts_with("remainder: +20.00 USD"), "{lines:?}");
    assert_eq!(f.evidence["provider"], "openai", "the variance row is still there");
}
