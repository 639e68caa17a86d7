//! The cost check's gap explanation against `schema/report.schema.json` (`gap_explanation`):
//! what the library writes in `data.explanations` is what the schema promises.

mod common;
#[path = "gate/schema.rs"]
mod schema;

use bridge_lib::checks::cost::explain::{explain_one, Inputs};
use bridge_lib::checks::cost::VarianceRow;
use bridge_lib::demo::Variant;
use bridge_lib::report::data::{parse, CostData, GapKind};
use bridge_lib::{run_check, CheckId, Status};
use serde_json::{json, Value};

fn check_schema() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/report.schema.json");
    let root: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json!({ "$ref": "#/definitions/check", "definitions": root["definitions"] })
}

#[test]
fn explanations_match_the_report_schema() {
    let v = VarianceRow {
        provider: "anthropic".into(),
        period: "2026-11".into(),
        allocated: 8.7,
        billed: 11.9,
        unallocatable: 0.5,
        variance: Some(0.27),
        band: Status::Fail,
        open: false,
        sources: vec![],
    };
    let inputs = Inputs {
        usage: Err("BRIDGE_USAGE_FILES is not set".into()),
        ledger: Err("not read".into()),
        accounts: vec![],
        top_tenants: 10,
    };
    let e = explain_one(&v, &[], &[], &inputs);
    assert_eq!(e.components.iter().map(|c| c.micros).sum::<i64>(), e.gap_micros);
    let check = json!({ "check": "cost", "status": "fail", "findings": [], "duration_ms": 3,
                        "data": { "variance": [], "explanations": [e] } });
    assert_eq!(schema::validate(&check_schema(), &check), Vec::<String>::new());
    let mut bad = check.clone();
    bad["data"]["explanations"][0]["components"][0]["kind"] = json!("luck");
    bad["data"]["explanations"][0]["gap_micros"] = json!(1.5);
    assert_eq!(schema::validate(&check_schema(), &bad).len(), 2, "the schema has teeth");
}

#[tokio::test]
async fn the_broken_demo_gap_is_mostly_dropped_volume() {
    let demo = common::demo(Variant::Broken).await;
    let o = run_check(&demo.config(), CheckId::Cost).await;
    let d: CostData = parse(&o.data).expect("data").expect("typed");
    assert_eq!(d.explanations.len(), 1, "only anthropic 2026-11 is outside the band: {:#?}", d.explanations);
    let e = &d.explanations[0];
    assert_eq!((e.provider.as_str(), e.period.as_str()), ("anthropic", "2026-11"));
    assert_eq!(e.components.iter().map(|c| c.micros).sum::<i64>(), e.gap_micros, "exact");
    let get = |k: GapKind| e.components.iter().find(|c| c.kind == k).unwrap();
    let (volume, rate) = (get(GapKind::Volume), get(GapKind::Rate));
    assert!(volume.computed && rate.computed, "{volume:?} {rate:?}");
    assert!(
        volume.micros * 10 > e.gap_micros * 8,
        "dropped spend logs are volume: {} of {}",
        volume.micros,
        e.gap_micros
    );
    assert!(get(GapKind::Remainder).micros.abs() * 20 < e.gap_micros, "little is left unattributed");
    assert_eq!(e.volume_tenants[0].tenant, "acme", "the largest tenant is behind most of the volume");
    let f = o.findings.iter().find(|f| f.key == "COST001:anthropic/2026-11").unwrap();
    assert_eq!(f.evidence["explanation"].as_array().unwrap().len(), 6);
    let text = bridge_lib::render::outcome_text(&o);
    assert!(
        text.contains("       why: volume: +1.72 USD: the usage export's tokens against the ledger's")
            && text.matches("why: ").count() == 6,
        "{text}"
    );
    let html = bridge_lib::render::outcome_html(&o);
    assert!(html.contains("cost gap waterfall anthropic 2026-11") && html.contains("the tenants behind the volume"));
    let check = serde_json::to_value(&o).unwrap();
    assert_eq!(schema::validate(&check_schema(), &check), Vec::<String>::new());
}

#[tokio::test]
async fn the_clean_demo_has_nothing_to_explain() {
    let demo = common::demo(Variant::Clean).await;
    let o = run_check(&demo.config(), CheckId::Cost).await;
    assert_eq!(o.status, bridge_lib::CheckStatus::Pass, "{o:#?}");
    assert!(o.data.get("explanations").is_none());
}

#[tokio::test]
async fn the_ledger_tokens_are_read_per_tenant_under_rls() {
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.admin_database = None; // only DATABASE_URL, the app role that RLS restricts
    (cfg.cost.warn, cfg.cost.fail) = (0.001, 0.5); // every period outside the pass band
    let o = run_check(&cfg, CheckId::Cost).await;
    let d: CostData = parse(&o.data).expect("data").expect("typed");
    let e = d.explanations.iter().find(|e| e.provider == "openai" && e.period == "2026-10").expect("explained");
    let volume = e.components.iter().find(|c| c.kind == GapKind::Volume).unwrap();
    assert!(volume.computed, "{volume:?}");
    // the clean demo's ledger has every token the usage export has: the gap is the bill's rate
    assert_eq!(volume.micros, 0, "{volume:?}");
    assert!(volume.items[0].detail.starts_with("tokens: provider "), "{:?}", volume.items);
    let pinecone = d.explanations.iter().find(|e| e.provider == "pinecone").expect("pinecone explained");
    let v = pinecone.components.iter().find(|c| c.kind == GapKind::Volume).unwrap();
    assert!(!v.computed && v.detail.contains("no usage export"), "{v:?}");
    for e in &d.explanations {
        assert_eq!(e.components.iter().map(|c| c.micros).sum::<i64>(), e.gap_micros, "{e:?}");
    }
}
