//! The typed check data (`bridge_lib::report::data`) has exactly the shape each check writes
//! into `CheckOutcome.data`: read back and written again, it is the same JSON. The renderers
//! read only the typed data, so a field renamed on one side shows here, not as an empty chart.

mod common;

use bridge_lib::demo::Variant;
use bridge_lib::report::data::{parse, CapacityData, CostData, RlsData};
use bridge_lib::{run_check, CheckId, Config};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

fn round_trips<T: DeserializeOwned + Serialize>(data: &Value) -> T {
    let typed: T = parse(data).expect("the check attached data").unwrap_or_else(|e| panic!("{e}: {data:#}"));
    assert_eq!(&serde_json::to_value(&typed).unwrap(), data, "the typed data drops or adds a field");
    typed
}

#[tokio::test]
async fn capacity_and_rls_data_read_back_as_written() {
    for variant in [Variant::Clean, Variant::Broken] {
        let demo = common::demo(variant).await;
        let capacity = run_check(&demo.config(), CheckId::Capacity).await;
        let d: CapacityData = round_trips(&capacity.data);
        assert_eq!((d.tenants.len(), d.warn_percent), (6, 80.0), "{variant:?}");
        let rls = run_check(&demo.config(), CheckId::Rls).await;
        let d: RlsData = round_trips(&rls.data);
        assert!(!d.matrix.is_empty(), "{variant:?}");
        assert_eq!(
            d.tenant_reads.len(),
            d.probe_tenants.len() * d.matrix.iter().filter(|m| m.own_rows.is_some()).count(),
            "{variant:?}: every probe tenant's reads of every readable relation"
        );
    }
}

#[test]
fn cost_data_reads_back_as_written() {
    use bridge_lib::checks::cost::{outcome_data, reconcile, AllocatedRow, BilledLine, Gathered};
    let cfg = Config::default();
    let line = |period: &str, micros: i64, category: &str| BilledLine {
        source: "bill.csv".into(),
        location: "line 2".into(),
        provider: "openai".into(),
        period: period.into(),
        micros,
        currency: "USD".into(),
        category: category.into(),
        description: "gpt".into(),
        open: false,
        identity: format!("{period}{micros}{category}"),
        more_pages: false,
        ..BilledLine::default()
    };
    let g = Gathered {
        allocated_source: "files ledger.csv".into(),
        billed_sources: vec!["bill.csv".into()],
        allocated: vec![
            AllocatedRow {
                tenant: "acme".into(),
                provider: "openai".into(),
                model: "gpt".into(),
                period: "2026-10".into(),
                micros: 9_000_000,
                events: 3,
            },
            AllocatedRow {
                tenant: "acme".into(),
                provider: "openai".into(),
                model: "gpt".into(),
                period: "2026-12".into(),
                micros: 1_000_000,
                events: 1,
            },
        ],
        billed: vec![line("2026-10", 10_000_000, "usage"), line("2026-10", 500_000, "tax")],
        unknown_providers: Vec::new(),
    };
    let r = reconcile(&g, &cfg.cost);
    let mut data = outcome_data(&g, &r, 5);
    let inputs = bridge_lib::checks::cost::explain::Inputs {
        usage: Err("BRIDGE_USAGE_FILES is not set".into()),
        ledger: Err("not read".into()),
        accounts: vec![],
        top_tenants: 5,
    };
    data["explanations"] = serde_json::json!(bridge_lib::checks::cost::explain::explain(&g, &r, &cfg.cost, &inputs));
    let d: CostData = round_trips(&data);
    assert_eq!(d.explanations.len(), 1, "the 2026-10 gap of 10%");
    assert_eq!(d.variance.len(), 1);
    assert!(!d.top_tenants.is_empty() && !d.tenants.is_empty());
    assert!(!d.unallocatable.is_empty() && !d.outside_periods.is_empty(), "{data:#}");
}
