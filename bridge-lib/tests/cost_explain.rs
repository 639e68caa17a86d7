//! The cost check's gap explanation against `schema/report.schema.json` (`gap_explanation`):
//! what the library writes in `data.explanations` is what the schema promises.

#[path = "gate/schema.rs"]
mod schema;

use bridge_lib::checks::cost::explain::{explain_one, Inputs};
use bridge_lib::checks::cost::VarianceRow;
use bridge_lib::Status;
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
