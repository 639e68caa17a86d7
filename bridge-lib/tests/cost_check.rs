//! Readiness check #2 against a real PostgreSQL and the shipped provider exports. The
//! database route with CSV and JSON bills needs no polars; the tests that read ledger files
//! need the `cost` feature.

mod common;

use bridge_lib::demo::{data_dir, Variant};
use bridge_lib::{run_check, CheckId, CheckStatus, Status};

fn status(o: &bridge_lib::CheckOutcome, code: &str) -> Vec<Status> {
    o.findings.iter().filter(|f| f.code == code).map(|f| f.status).collect()
}

fn allocated(o: &bridge_lib::CheckOutcome, provider: &str, period: &str) -> f64 {
    let rows = o.data["variance"].as_array().expect("variance table");
    let r = rows.iter().find(|r| r["provider"] == provider && r["period"] == period).expect("row");
    r["allocated"].as_f64().unwrap()
}

#[tokio::test]
async fn clean_demo_reconciles_within_five_percent() {
    let demo = common::demo(Variant::Clean).await;
    let o = run_check(&demo.config(), CheckId::Cost).await;
    assert_eq!(o.status, CheckStatus::Pass, "{o:#?}");
    assert_eq!(status(&o, "COST001"), vec![Status::Pass; 6]);
    assert_eq!(status(&o, "COST005"), vec![Status::Pass], "the platform minimum and taxes are excluded");
    // the seed's totals, as data/demo/cost/make_exports.py computes them
    for (p, m, v) in
        [("openai", "2026-10", 3.207242), ("anthropic", "2026-11", 6.881597), ("pinecone", "2026-10", 3.244)]
    {
        assert!((allocated(&o, p, m) - v).abs() < 1e-9, "{p} {m}: {}", allocated(&o, p, m));
    }
    assert_eq!(o.data["unallocatable"].as_array().unwrap().len(), 4);
    assert!(o.data["sources"]["allocated"].as_str().unwrap().contains("one GROUP BY"));
    let top = o.data["top_tenants"].as_array().unwrap();
    assert!(["acme", "test-gamma"].contains(&top[0]["tenant"].as_str().unwrap()), "{top:?}");
    assert_eq!(o.data["tenants"].as_array().unwrap().len(), 6 * 3 * 2, "tenant x provider/model x month");
    let chart = bridge_lib::render::cost_chart(&o).0;
    assert_eq!(chart.matches("#1a7f37").count(), 6, "six green bars");
    let shown = bridge_lib::render::outcome_html(&o);
    assert!(
        shown.contains("<svg") && shown.contains("cost variance by provider and period"),
        "the chart is in the output"
    );
}

#[tokio::test]
async fn broken_demo_fails_on_dropped_anthropic_spend() {
    let demo = common::demo(Variant::Broken).await;
    let o = run_check(&demo.config(), CheckId::Cost).await;
    assert_eq!(o.status, CheckStatus::Fail, "{o:#?}");
    let f = o.findings.iter().find(|f| f.code == "COST001" && f.status == Status::Fail).expect("a failing variance");
    assert_eq!(f.key, "COST001:anthropic/2026-11");
    assert!(f.detail.contains("expected |variance| <= 5.0%") && f.detail.contains("found 2"), "{}", f.detail);
    assert_eq!(o.findings.iter().filter(|f| f.status == Status::Fail).count(), 1);
}

#[tokio::test]
async fn application_role_aggregates_per_tenant_under_rls() {
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.admin_database = None; // only DATABASE_URL, the app role that RLS restricts
    let o = run_check(&cfg, CheckId::Cost).await;
    assert_eq!(o.status, CheckStatus::Pass, "{o:#?}");
    assert!(o.data["sources"]["allocated"].as_str().unwrap().contains("per tenant"), "{}", o.data["sources"]);
    assert!((allocated(&o, "openai", "2026-10") - 3.207242).abs() < 1e-9);
}

#[tokio::test]
async fn one_focus_export_gives_the_same_verdict() {
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.cost.billed_files = vec![data_dir().join("cost").join("focus.csv")];
    let o = run_check(&cfg, CheckId::Cost).await;
    assert_eq!(o.status, CheckStatus::Pass, "{o:#?}");
    assert_eq!(status(&o, "COST001").len(), 6);
}

#[tokio::test]
async fn missing_bill_and_usage_outside_periods_are_reported() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        "INSERT INTO usage_events VALUES ('acme', 9001, '2026-12-02T00:00:00Z', 'openai', 'gpt-4o-mini', 1, 1, 0.5)",
    )
    .await;
    let mut cfg = demo.config();
    cfg.cost.billed_files.retain(|p| !p.ends_with("pinecone_invoice.csv"));
    let o = run_check(&cfg, CheckId::Cost).await;
    assert_eq!(status(&o, "COST003"), vec![Status::Warn, Status::Warn], "{o:#?}");
    assert_eq!(status(&o, "COST006"), vec![Status::Warn]);
    assert_eq!(o.status, CheckStatus::Warn);
}

#[tokio::test]
async fn bad_ledger_table_is_an_error_naming_the_fix() {
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.cost.columns.cost = "price".into();
    let o = run_check(&cfg, CheckId::Cost).await;
    assert_eq!(o.status, CheckStatus::Error);
    let e = o.error.unwrap();
    assert!(e.contains("no column `price`") && e.contains("BRIDGE_COST_COL_COST"), "{e}");

    common::admin_exec(&demo, "UPDATE usage_events SET cost_usd = -1 WHERE tenant_id = 'acme' AND id = 7").await;
    let o = run_check(&demo.config(), CheckId::Cost).await;
    let e = o.error.unwrap();
    assert!(e.contains("table usage_events") && e.contains("1 rows have a negative") && e.contains("acme"), "{e}");
}

#[tokio::test]
async fn nothing_billed_is_a_skip_that_says_what_to_set() {
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.cost.billed_files.clear();
    let o = run_check(&cfg, CheckId::Cost).await;
    assert_eq!(o.status, CheckStatus::Skip);
    assert!(o.findings[0].remedy.as_deref().unwrap().contains("BRIDGE_BILLED_FILES"));
}

/// A ledger table `name` (float8 costs) with `rows` of (tenant, time as written, cost).
async fn ledger_table(demo: &bridge_lib::demo::Demo, name: &str, rows: &[(&str, &str, &str)]) {
    let values: Vec<String> =
        rows.iter().map(|(t, at, cost)| format!("('{t}', 'openai', 'gpt-4o', '{at}'::timestamptz, {cost})")).collect();
    common::admin_exec(
        demo,
        &format!(
            "CREATE TABLE {name} (tenant_id text, provider text, model text, occurred_at timestamptz, cost_usd float8);
             INSERT INTO {name} VALUES {};",
            values.join(", ")
        ),
    )
    .await;
}

#[tokio::test]
async fn the_database_sums_exactly_and_rounds_once() {
    let demo = common::demo(Variant::Clean).await;
    // 1000 calls at 0.0000015: rounded per row to micro-units that is 2000, summed exactly 1500
    let rows: Vec<(&str, &str, &str)> = (0..1000).map(|_| ("acme", "2026-10-05T00:00:00Z", "0.0000015")).collect();
    ledger_table(&demo, "exact_ledger", &rows).await;
    let mut cfg = demo.config();
    cfg.cost.table = "exact_ledger".into();
    let g = bridge_lib::checks::cost::gather(&cfg).await.unwrap();
    assert_eq!(g.allocated.iter().map(|a| a.micros).collect::<Vec<_>>(), vec![1500], "{:?}", g.allocated);
}

#[cfg(feature = "cost")]
#[tokio::test]
async fn utc_offsets_give_the_same_months_through_the_database_and_files() {
    let demo = common::demo(Variant::Clean).await;
    let rows = [
        ("acme", "2026-10-01T03:00:00+05:30", "1"),  // September 30 in UTC
        ("acme", "2026-10-31T22:00:00-05:00", "10"), // November 1 in UTC
        ("acme", "2026-10-15 12:00:00+02", "100"),
        ("acme", "2026-11-01T00:00:00Z", "1000"),
    ];
    ledger_table(&demo, "tz_ledger", &rows).await;
    let mut cfg = demo.config();
    cfg.cost.table = "tz_ledger".into();
    let by_db = bridge_lib::checks::cost::gather(&cfg).await.unwrap().allocated;
    let dir = std::env::temp_dir().join(format!("bridge-tz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("tz.csv");
    let body: String = rows.iter().map(|(t, at, c)| format!("{t},openai,gpt-4o,{at},{c}\n")).collect();
    std::fs::write(&csv, format!("tenant_id,provider,model,occurred_at,cost_usd\n{body}")).unwrap();
    cfg.cost.allocated_files = vec![csv];
    let by_file = bridge_lib::checks::cost::gather(&cfg).await.unwrap().allocated;
    let months = |rows: &[bridge_lib::checks::cost::AllocatedRow]| {
        rows.iter().map(|r| (r.period.clone(), r.micros)).collect::<Vec<_>>()
    };
    let want =
        vec![("2026-09".to_string(), 1_000_000), ("2026-10".into(), 100_000_000), ("2026-11".into(), 1_010_000_000)];
    assert_eq!(months(&by_db), want);
    assert_eq!(months(&by_file), want);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_malformed_bill_is_one_short_error_line_that_quotes_nothing() {
    let demo = common::demo(Variant::Clean).await;
    let dir = std::env::temp_dir().join(format!("bridge-malformed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bill = dir.join("bill.csv");
    let rest: String = (0..2000).map(|i| format!("SECRET-tenant-{i},2026-10,1,USD\n")).collect();
    std::fs::write(&bill, format!("provider,billing_period,billed_cost,currency\nopenai,\"2026-10,5,USD\n{rest}"))
        .unwrap();
    let mut cfg = demo.config();
    cfg.cost.billed_files = vec![bill];
    let o = run_check(&cfg, CheckId::Cost).await;
    assert_eq!(o.status, CheckStatus::Error, "an error: the CLI exits 2");
    let e = o.error.unwrap();
    assert!(e.contains("bill.csv, line 2") && e.contains("never closed"), "{e}");
    assert!(e.len() < 300 && !e.contains("SECRET"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
