//! One test that fires each rule and one that keeps it quiet, on hand-built reconciliations
//! (pure, no files, no database); the band edges; and the whole pipeline on gathered inputs.

use super::*;
use crate::checks::cost::model::fixtures::{alloc, line};
use crate::checks::cost::model::{Duplicate, Gathered, Outside, UnknownProvider};
use crate::checks::cost::{outcome_data, reconcile};
use crate::config::CostConfig;

fn row(provider: &str, billed: f64, allocated: f64, band: Status) -> VarianceRow {
    VarianceRow {
        provider: provider.into(),
        period: "2026-10".into(),
        allocated,
        billed,
        unallocatable: 0.0,
        variance: (billed != 0.0).then(|| (billed - allocated) / billed),
        band,
        open: false,
        sources: vec!["invoice.csv".into()],
    }
}

fn recon(variance: Vec<VarianceRow>) -> Reconciliation {
    Reconciliation {
        currency: "USD".into(),
        warn: 0.05,
        fail: 0.10,
        variance,
        unallocatable: Vec::new(),
        other_currency: Vec::new(),
        duplicates: Vec::new(),
        outside: Vec::new(),
        unknown_providers: Vec::new(),
        corrections: Vec::new(),
        invoices: Vec::new(),
    }
}

fn statuses(fs: &[Finding]) -> Vec<Status> {
    fs.iter().map(|f| f.status).collect()
}

#[test]
fn cost000_cost_check_skipped_fires() {
    let mut cfg = Config::default();
    let o = cost_check_skipped(&cfg).expect("nothing billed: skipped");
    let f = &o.findings[0];
    assert_eq!((f.code.as_str(), f.status), ("COST000", Status::Skip));
    assert_eq!(f.detail, "skipped: no provider bills configured (BRIDGE_BILLED_FILES is not set)");
    assert_eq!(
        f.remedy.as_deref(),
        Some(
            "set BRIDGE_BILLED_FILES to the providers' exports (invoice CSV, FOCUS CSV/Parquet, OpenAI costs JSON, \
             Anthropic cost report JSON), or run with --demo"
        )
    );
    cfg.cost.billed_files = vec!["invoice.csv".into()];
    let o = cost_check_skipped(&cfg).expect("no allocated side: skipped");
    assert!(o.findings[0].detail.contains("no allocated side"), "{:?}", o.findings);
    assert!(o.findings[0].remedy.as_deref().unwrap().contains("BRIDGE_ALLOCATED_FILES"));
}

#[test]
fn cost000_cost_check_skipped_quiet() {
    let mut cfg = Config::default();
    cfg.cost.billed_files = vec!["invoice.csv".into()];
    cfg.cost.allocated_files = vec!["ledger.csv".into()];
    assert!(cost_check_skipped(&cfg).is_none());
}

#[test]
fn cost001_allocation_variance_over_threshold_fires() {
    let r = recon(vec![row("openai", 100.0, 88.0, Status::Fail), row("anthropic", 100.0, 93.0, Status::Warn)]);
    let fail = allocation_variance_over_threshold(&r, &r.variance[0]).unwrap();
    assert_eq!(
        (fail.code.as_str(), fail.status, fail.key.as_str()),
        ("COST001", Status::Fail, "COST001:openai/2026-10")
    );
    assert_eq!(
        fail.detail,
        "openai 2026-10: expected |variance| <= 5.0% (warn <= 10.0%), found 12.0% (billed 100.00 USD, allocated 88.00 USD)"
    );
    assert!(fail.remedy.as_deref().unwrap().contains("openai's usage export for 2026-10"));
    assert_eq!(fail.evidence["band"], "fail");
    let warn = allocation_variance_over_threshold(&r, &r.variance[1]).unwrap();
    assert_eq!(warn.status, Status::Warn);
    assert!(warn.remedy.is_some());
}

#[test]
fn cost001_allocation_variance_over_threshold_quiet() {
    let mut r = recon(vec![row("openai", 100.0, 98.0, Status::Pass)]);
    let f = allocation_variance_over_threshold(&r, &r.variance[0]).unwrap();
    assert_eq!((f.status, f.remedy.as_deref()), (Status::Pass, None));
    assert!(f.detail.contains("found 2.0%"), "{}", f.detail);
    // nothing billed, or nothing allocated: other rules speak
    r.variance = vec![row("openai", 0.0, 5.0, Status::Warn), row("openai", 100.0, 0.0, Status::Fail)];
    assert!(r.variance.iter().all(|v| allocation_variance_over_threshold(&r, v).is_none()));
}

/// The band of one provider billed 100 USD against `allocated` micro-units.
fn band_of(allocated_micros: i64, open: bool) -> Status {
    let mut bill = line("openai", "2026-10", 100, "usage", 2);
    bill.open = open;
    let mut a = alloc("openai", "2026-10", 0);
    a.micros = allocated_micros;
    let g = Gathered { allocated: vec![a], billed: vec![bill], ..Gathered::default() };
    reconcile(&g, &CostConfig::default()).variance[0].band
}

#[test]
fn cost001_exactly_five_percent_passes_and_just_over_warns() {
    assert_eq!(band_of(95_000_000, false), Status::Pass, "5% under");
    assert_eq!(band_of(105_000_000, false), Status::Pass, "5% over");
    assert_eq!(band_of(94_999_999, false), Status::Warn);
    assert_eq!(band_of(105_000_001, false), Status::Warn);
}

#[test]
fn cost001_exactly_ten_percent_warns_and_just_over_fails() {
    assert_eq!(band_of(90_000_000, false), Status::Warn, "10% under");
    assert_eq!(band_of(110_000_000, false), Status::Warn, "10% over");
    assert_eq!(band_of(89_999_999, false), Status::Fail);
    assert_eq!(band_of(110_000_001, false), Status::Fail);
    assert_eq!(band_of(50_000_000, true), Status::Warn, "an open period never fails");
}

#[test]
fn cost002_billed_without_allocation_fires() {
    let mut r = recon(vec![row("cohere", 20.0, 0.0, Status::Fail)]);
    let f = billed_without_allocation(&r, &r.variance[0]).unwrap();
    assert_eq!((f.code.as_str(), f.status), ("COST002", Status::Fail));
    assert_eq!(f.detail, "cohere 2026-10: billed 20.00 USD but the ledger allocates nothing to any tenant");
    assert!(f.remedy.as_deref().unwrap().starts_with("meter cohere calls"));
    r.variance[0].open = true;
    let f = billed_without_allocation(&r, &r.variance[0]).unwrap();
    assert_eq!(f.status, Status::Warn, "open: warns");
    assert!(f.detail.ends_with("(period still open)"), "{}", f.detail);
}

#[test]
fn cost002_billed_without_allocation_quiet() {
    let r = recon(vec![row("openai", 100.0, 98.0, Status::Pass), row("openai", 0.0, 5.0, Status::Warn)]);
    assert!(r.variance.iter().all(|v| billed_without_allocation(&r, v).is_none()));
}

#[test]
fn cost003_allocation_without_bill_fires() {
    let r = recon(vec![row("pinecone", 0.0, 5.0, Status::Warn)]);
    let f = allocation_without_bill(&r, &r.variance[0]).unwrap();
    assert_eq!((f.code.as_str(), f.status), ("COST003", Status::Warn));
    assert_eq!(f.detail, "pinecone 2026-10: allocated 5.00 USD but no billed usage found in the exports");
    assert_eq!(
        f.remedy.as_deref(),
        Some("add pinecone's export for 2026-10 to BRIDGE_BILLED_FILES (invoice CSV, FOCUS, or its cost API JSON)")
    );
}

#[test]
fn cost003_allocation_without_bill_quiet() {
    let r = recon(vec![row("openai", 100.0, 98.0, Status::Pass), row("openai", 100.0, 0.0, Status::Fail)]);
    assert!(r.variance.iter().all(|v| allocation_without_bill(&r, v).is_none()));
}

#[test]
fn cost004_billing_period_open_fires() {
    let mut v = row("anthropic", 100.0, 50.0, Status::Warn);
    v.open = true;
    let f = billing_period_open(&v).unwrap();
    assert_eq!((f.code.as_str(), f.status), ("COST004", Status::Warn));
    assert_eq!(f.detail, "anthropic 2026-10 is not final yet; its variance is provisional");
}

#[test]
fn cost004_billing_period_open_quiet() {
    assert!(billing_period_open(&row("anthropic", 100.0, 99.0, Status::Pass)).is_none());
}

#[test]
fn cost005_unallocatable_billed_lines_fires() {
    let mut r = recon(Vec::new());
    r.unallocatable = vec![line("pinecone", "2026-10", 24, "minimum", 4), line("openai", "2026-10", 2, "tax", 5)];
    let f = unallocatable_billed_lines(&r).unwrap();
    assert_eq!((f.code.as_str(), f.status), ("COST005", Status::Pass));
    assert_eq!(
        f.detail,
        "excluded 2 billed lines no tenant consumed (26.00 USD in total): pinecone 2026-10 minimum 24.00 USD; \
         openai 2026-10 tax 2.00 USD"
    );
    assert_eq!(f.evidence.as_array().unwrap().len(), 2);
}

#[test]
fn cost005_unallocatable_billed_lines_quiet() {
    assert!(unallocatable_billed_lines(&recon(Vec::new())).is_none());
}

#[test]
fn cost006_usage_outside_billing_periods_fires() {
    let mut r = recon(Vec::new());
    r.outside = vec![Outside { provider: "openai".into(), period: "2026-12".into(), events: 3, cost: 7.0 }];
    let fs = usage_outside_billing_periods(&r);
    assert_eq!(statuses(&fs), vec![Status::Warn]);
    assert_eq!((fs[0].code.as_str(), fs[0].key.as_str()), ("COST006", "COST006:openai/2026-12"));
    assert_eq!(fs[0].detail, "openai 2026-12: 3 ledger rows (7.00 USD) fall in a period no billed export covers");
}

#[test]
fn cost006_usage_outside_billing_periods_quiet() {
    assert!(usage_outside_billing_periods(&recon(Vec::new())).is_empty());
}

#[test]
fn cost007_duplicate_invoice_lines_fires() {
    let mut r = recon(Vec::new());
    r.duplicates = vec![Duplicate { line: line("openai", "2026-10", 100, "usage", 3), first: "line 2".into() }];
    let fs = duplicate_invoice_lines(&r);
    assert_eq!(statuses(&fs), vec![Status::Warn]);
    assert_eq!(fs[0].key, "COST007:invoice.csv:line 3");
    assert_eq!(
        fs[0].detail,
        "invoice.csv, line 3 repeats line 2 (openai 2026-10 openai usage, 100.00 USD); counted once"
    );
}

#[test]
fn cost007_duplicate_invoice_lines_quiet() {
    assert!(duplicate_invoice_lines(&recon(Vec::new())).is_empty());
}

#[test]
fn cost008_unknown_provider_fires() {
    let mut r = recon(Vec::new());
    r.unknown_providers = vec![UnknownProvider { name: "Cohere".into(), location: "invoice.csv, line 5".into() }];
    let fs = unknown_provider(&r);
    assert_eq!(statuses(&fs), vec![Status::Warn]);
    assert_eq!(fs[0].detail, "provider `Cohere` at invoice.csv, line 5 is not a known provider");
    assert!(fs[0].remedy.as_deref().unwrap().ends_with("BRIDGE_COST_PROVIDERS=openai,anthropic,pinecone,cohere"));
}

#[test]
fn cost008_unknown_provider_quiet() {
    assert!(unknown_provider(&recon(Vec::new())).is_empty());
}

#[test]
fn cost009_billed_currency_mismatch_fires() {
    let mut r = recon(Vec::new());
    let mut eur = line("openai", "2026-11", 10, "usage", 8);
    eur.currency = "EUR".into();
    r.other_currency = vec![eur.clone(), eur];
    let f = billed_currency_mismatch(&r).unwrap();
    assert_eq!((f.code.as_str(), f.status), ("COST009", Status::Fail));
    assert_eq!(
        f.detail,
        "expected billed lines in USD, found 2 in other currencies, first at invoice.csv, line 8 (10.00 EUR openai); left out"
    );
}

#[test]
fn cost009_billed_currency_mismatch_quiet() {
    assert!(billed_currency_mismatch(&recon(Vec::new())).is_none());
}

/// A FOCUS correction billed in November for October.
fn correction() -> crate::checks::cost::BilledLine {
    let mut l = line("openai", "2026-11", -3, "usage", 10);
    l.charge_class = "correction".into();
    l.corrects = "2026-10".into();
    l
}

#[test]
fn cost010_billed_corrections_fires() {
    let mut r = recon(Vec::new());
    r.corrections = vec![correction()];
    let f = billed_corrections(&r);
    assert_eq!(statuses(&f), [Status::Warn]);
    assert_eq!(f[0].key, "COST010:openai/2026-11");
    assert!(f[0].detail.contains("1 correction lines (-3.00 USD) correct 2026-10"), "{}", f[0].detail);
}

#[test]
fn cost010_billed_corrections_quiet() {
    assert!(billed_corrections(&recon(Vec::new())).is_empty());
}

#[test]
fn corrections_and_repeated_invoices_stay_out_of_the_variance() {
    let mut a = line("openai", "2026-10", 100, "usage", 2);
    a.invoice_id = "INV-1".into();
    let mut again = a.clone();
    again.source = "focus.csv".into();
    let g = Gathered {
        billed: vec![a, again, correction()],
        allocated: vec![alloc("openai", "2026-10", 100)],
        ..Gathered::default()
    };
    let r = reconcile(&g, &CostConfig::default());
    assert_eq!(r.variance.iter().map(|v| (v.period.as_str(), v.billed)).collect::<Vec<_>>(), [("2026-10", 100.0)]);
    assert_eq!(r.corrections.len(), 1);
    assert!(r.duplicates[0].first.contains("invoice INV-1 already read from invoice.csv"), "{:?}", r.duplicates);
    assert_eq!((r.invoices.len(), r.invoices[0].billed, r.invoices[0].source.as_str()), (1, 100.0, "invoice.csv"));
}

/// A reconciliation that has every problem.
fn every_problem() -> Gathered {
    let mut open_line = line("anthropic", "2026-11", 100, "usage", 9);
    open_line.open = true;
    let mut eur = line("openai", "2026-11", 10, "usage", 8);
    eur.currency = "EUR".into();
    Gathered {
        allocated: vec![
            alloc("openai", "2026-10", 88),    // 12% under: fail
            alloc("anthropic", "2026-10", 93), // 7%: warn
            alloc("anthropic", "2026-11", 50), // 50% but open: warn
            alloc("pinecone", "2026-11", 5),   // no bill: warn
            alloc("openai", "2026-12", 7),     // no export covers December
        ],
        billed: vec![
            line("openai", "2026-10", 100, "usage", 2),
            line("openai", "2026-10", 100, "usage", 3), // duplicate of line 2
            line("anthropic", "2026-10", 100, "usage", 4),
            line("cohere", "2026-10", 20, "usage", 5), // billed, never allocated
            line("pinecone", "2026-10", 24, "minimum", 6),
            open_line,
            eur,
            correction(),
        ],
        unknown_providers: vec![UnknownProvider { name: "cohere".into(), location: "invoice.csv, line 5".into() }],
        ..Gathered::default()
    }
}

#[test]
fn every_rule_fires_on_some_fixture() {
    let mut fired = evaluate(&reconcile(&every_problem(), &CostConfig::default()));
    fired.extend(cost_check_skipped(&Config::default()).unwrap().findings);
    for rule in RULES {
        assert_eq!(rule.check, CheckId::Cost);
        let firing = |f: &Finding| f.code == rule.code && (f.status != Status::Pass || rule.code == "COST005");
        assert!(fired.iter().any(firing), "no fixture fires {} {}", rule.code, rule.name);
    }
}

fn codes(fs: &[Finding], code: &str) -> Vec<Status> {
    fs.iter().filter(|f| f.code == code).map(|f| f.status).collect()
}

#[test]
fn within_five_percent_passes_and_minimums_are_excluded() {
    let g = Gathered {
        allocated: vec![alloc("openai", "2026-10", 98), alloc("pinecone", "2026-10", 25)],
        billed: vec![
            line("openai", "2026-10", 100, "usage", 2),
            line("pinecone", "2026-10", 26, "usage", 3),
            line("pinecone", "2026-10", 24, "minimum", 4),
        ],
        ..Gathered::default()
    };
    let r = reconcile(&g, &CostConfig::default());
    let fs = evaluate(&r);
    assert!(fs.iter().all(|f| f.status == Status::Pass), "{fs:#?}");
    assert_eq!(codes(&fs, "COST001").len(), 2);
    assert_eq!(codes(&fs, "COST005"), vec![Status::Pass]);
    let pc = r.variance.iter().find(|v| v.provider == "pinecone").unwrap();
    assert_eq!((pc.billed, pc.unallocatable), (26.0, 24.0));
    let data = outcome_data(&g, &r, 5);
    assert_eq!(data["top_tenants"][0]["tenant"], "acme");
    assert_eq!(data["variance"].as_array().unwrap().len(), 2);
}

#[test]
fn every_problem_rule_triggers() {
    let mut open_line = line("anthropic", "2026-11", 100, "usage", 9);
    open_line.open = true;
    let mut eur = line("openai", "2026-11", 10, "usage", 8);
    eur.currency = "EUR".into();
    let g = Gathered {
        allocated: vec![
            alloc("openai", "2026-10", 88),    // 12% under: fail
            alloc("anthropic", "2026-10", 93), // 7%: warn
            alloc("anthropic", "2026-11", 50), // 50% but open: warn
            alloc("pinecone", "2026-11", 5),   // no bill: warn
            alloc("openai", "2026-12", 7),     // no export covers December
        ],
        billed: vec![
            line("openai", "2026-10", 100, "usage", 2),
            line("openai", "2026-10", 100, "usage", 3), // duplicate of line 2
            line("anthropic", "2026-10", 100, "usage", 4),
            line("cohere", "2026-10", 20, "usage", 5), // billed, never allocated
            open_line,
            eur,
            correction(),
        ],
        unknown_providers: vec![UnknownProvider { name: "cohere".into(), location: "invoice.csv, line 5".into() }],
        ..Gathered::default()
    };
    let fs = evaluate(&reconcile(&g, &CostConfig::default()));
    let mut cost001 = codes(&fs, "COST001");
    cost001.sort();
    assert_eq!(cost001, vec![Status::Warn, Status::Warn, Status::Fail], "{fs:#?}");
    assert_eq!(codes(&fs, "COST002"), vec![Status::Fail]);
    assert_eq!(codes(&fs, "COST003"), vec![Status::Warn]);
    assert_eq!(codes(&fs, "COST004"), vec![Status::Warn]);
    assert_eq!(codes(&fs, "COST006"), vec![Status::Warn]);
    assert_eq!(codes(&fs, "COST007"), vec![Status::Warn]);
    assert_eq!(codes(&fs, "COST008"), vec![Status::Warn]);
    assert_eq!(codes(&fs, "COST009"), vec![Status::Fail]);
    let fail = fs.iter().find(|f| f.code == "COST001" && f.status == Status::Fail).unwrap();
    assert!(
        fail.detail.contains("expected |variance| <= 5.0%") && fail.detail.contains("found 12.0%"),
        "{}",
        fail.detail
    );
    assert!(fail.remedy.is_some());
    let dup = fs.iter().find(|f| f.code == "COST007").unwrap();
    assert!(dup.detail.contains("line 3 repeats line 2"), "{}", dup.detail);
}
