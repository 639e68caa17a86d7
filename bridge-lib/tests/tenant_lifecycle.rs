//! Issue #14 on a real throwaway PostgreSQL and a local Pinecone stand-in: the three-way
//! reconciliation of the capacity check (registry, namespaces, ledger aggregated in the
//! database), `deprovision` (idempotent, refuses real tenants) and the lifecycle run (end to end
//! on the demo, and a failed step that still cleans up).

mod common;
#[path = "gate/schema.rs"]
mod schema;

use bridge_lib::checks::capacity::gather_usage;
use bridge_lib::demo::{PineconeStandIn, Variant, SEED_TENANT_SQL};
use bridge_lib::deprovision::{deprovision, NamespaceAction};
use bridge_lib::report::data::{parse, CapacityData, ScalingAction};
use bridge_lib::{lifecycle, provision, run_check, CheckId, CheckStatus, Status};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Violations of `value` against `schema/report.schema.json`'s definition `def`.
fn violations(def: &str, value: &serde_json::Value) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/report.schema.json");
    let root: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let wrapper = json!({ "$ref": format!("#/definitions/{def}"), "definitions": root["definitions"].clone() });
    schema::validate(&wrapper, value)
}

fn keys(o: &bridge_lib::CheckOutcome, code: &str) -> Vec<String> {
    o.findings.iter().filter(|f| f.code == code && f.status != Status::Pass).map(|f| f.key.clone()).collect()
}

#[tokio::test]
async fn clean_demo_reconciles_all_three_stores_and_decides_nothing() {
    let demo = common::demo(Variant::Clean).await;
    let before = common::fingerprint(&demo.admin).await;
    let o = run_check(&demo.config(), CheckId::Capacity).await;
    assert_eq!(o.status, CheckStatus::Pass, "{o:#?}");
    assert_eq!(before, common::fingerprint(&demo.admin).await, "the capacity check changed data");
    let d: CapacityData = parse(&o.data).unwrap().unwrap();
    let ledger = d.ledger.expect("the demo's usage_events was read");
    assert_eq!((ledger.tenants, ledger.window_days, ledger.as_of.as_str()), (6, 30, "2026-12-01T00:00:00Z"));
    assert!(ledger.source.contains("one GROUP BY"), "{}", ledger.source);
    assert_eq!(d.stores.len(), 6);
    assert!(d.stores.iter().all(|s| s.spend.unwrap() > 0.0 && !s.dormant && s.records.is_some()), "{:#?}", d.stores);
    assert!(d.scaling.iter().all(|s| s.action == ScalingAction::Nothing), "{:#?}", d.scaling);
    let f = o.findings.iter().find(|f| f.code == "CAP009").unwrap();
    assert_eq!(f.status, Status::Pass);
}

/// Each reconciliation rule fires on the real stores: CAP009 (a spender without a namespace,
/// and one the registry does not have), CAP010 (an inactive tenant keeps its namespace),
/// CAP011 (a dormant tenant, with its storage).
#[tokio::test]
async fn each_three_way_rule_fires_on_the_demo_and_nothing_is_written() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        "INSERT INTO tenants (id, name, tier) VALUES ('umbrella', 'Umbrella', 'pro');
         ALTER TABLE usage_events DROP CONSTRAINT usage_events_tenant_id_fkey;
         INSERT INTO usage_events (tenant_id, id, occurred_at, provider, model, input_tokens, output_tokens, cost_usd)
         VALUES ('umbrella', 1, '2026-11-20', 'openai', 'gpt-4o', 10, 10, 1.5),
                ('ghost', 1, '2026-11-21', 'openai', 'gpt-4o', 10, 10, 2.5);
         UPDATE tenants SET active = false WHERE id = 'initech';
         DELETE FROM usage_events WHERE tenant_id = 'acme' AND occurred_at >= '2026-11-01';",
    )
    .await;
    let before = common::fingerprint(&demo.admin).await;
    let o = run_check(&demo.config(), CheckId::Capacity).await;
    assert_eq!(before, common::fingerprint(&demo.admin).await, "the capacity check changed data");
    assert_eq!(o.status, CheckStatus::Fail, "{o:#?}");
    assert_eq!(keys(&o, "CAP009"), ["CAP009:umbrella", "CAP009:ghost"]);
    assert_eq!(keys(&o, "CAP010"), ["CAP010:initech"]);
    assert_eq!(keys(&o, "CAP011"), ["CAP011:acme"]);
    assert!(keys(&o, "CAP005").is_empty(), "umbrella is CAP009's");
    // the typed parts of the data keep to the schema's definitions
    assert_eq!(violations("capacity_ledger", &o.data["ledger"]), Vec::<String>::new());
    for (def, list) in [("capacity_tenant_stores", "stores"), ("capacity_scaling_decision", "scaling")] {
        for row in o.data[list].as_array().unwrap() {
            assert_eq!(violations(def, row), Vec::<String>::new(), "{row}");
        }
    }
    assert!(!violations("capacity_scaling_decision", &json!({"tenant": "a"})).is_empty(), "the schema has teeth");
    let acme = o.findings.iter().find(|f| f.code == "CAP011").unwrap();
    assert!(acme.detail.contains("keeps 2450000 records"), "{}", acme.detail);
    assert!(acme.evidence["last_activity"].as_str().unwrap().starts_with("2026-10-31T"), "{}", acme.evidence);
}

#[tokio::test]
async fn under_rls_the_ledger_is_aggregated_per_tenant_under_its_context() {
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.admin_database = None; // the application role: RLS applies to usage_events
    let o = run_check(&cfg, CheckId::Capacity).await;
    let d: CapacityData = parse(&o.data).unwrap().unwrap();
    let ledger = d.ledger.unwrap();
    assert!(ledger.source.contains("per tenant under its own context (6 tenants"), "{}", ledger.source);
    assert_eq!(ledger.tenants, 6);
    assert_eq!(o.status, CheckStatus::Pass, "{o:#?}");
}

async fn seeded_test_tenant(cfg: &bridge_lib::Config) -> String {
    let plan = provision::plan(cfg, 4, Some(SEED_TENANT_SQL)).await.unwrap();
    let done = provision::apply(cfg, &plan).await.unwrap();
    done.new_tenants[0].0.clone()
}

#[tokio::test]
async fn deprovision_removes_rows_and_namespace_once_and_is_idempotent() {
    let demo = common::demo(Variant::Clean).await;
    let pristine = common::fingerprint(&demo.admin).await;
    let standin = PineconeStandIn::start([("acme".to_string(), 5)].into()).await.unwrap();
    let cfg = demo.config_with(&standin);
    let id = seeded_test_tenant(&cfg).await;
    standin_upsert(&standin, &id).await;

    let dry = deprovision(&cfg, std::slice::from_ref(&id), true, false).await.unwrap();
    assert_eq!(dry.tenants[0].rows["public.documents"], 2, "{dry:?}");
    assert_eq!(dry.tenants[0].namespace_action, NamespaceAction::WouldDelete);
    assert!(dry.statements.iter().any(|s| s.starts_with("DELETE FROM \"public\".\"chunks\"")), "{:?}", dry.statements);
    assert!(standin.namespaces().contains_key(&id), "a dry run deletes nothing");

    let d = deprovision(&cfg, std::slice::from_ref(&id), false, false).await.unwrap();
    let r = &d.tenants[0];
    assert_eq!((r.rows["public.chunks"], r.rows["public.usage_events"], r.rows["tenants"]), (2, 1, 1), "{r:?}");
    assert_eq!(r.namespace_action, NamespaceAction::Deleted);
    assert!(!standin.namespaces().contains_key(&id));
    assert_eq!(pristine, common::fingerprint(&demo.admin).await, "every row of the tenant is gone");

    let again = deprovision(&cfg, std::slice::from_ref(&id), false, false).await.unwrap();
    assert!(!again.tenants[0].registered && again.tenants[0].rows.values().all(|n| *n == 0));
    assert_eq!(again.tenants[0].namespace_action, NamespaceAction::AlreadyGone);

    let mut no_key = cfg.clone();
    no_key.pinecone = None;
    let told = deprovision(&no_key, std::slice::from_ref(&id), false, false).await.unwrap();
    assert!(matches!(&told.tenants[0].namespace_action, NamespaceAction::RunThis(c) if c.contains("curl -X DELETE")));
}

async fn standin_upsert(standin: &PineconeStandIn, ns: &str) {
    let client = bridge_lib::pinecone::Client::new(&standin.config()).unwrap();
    client.upsert_probe(&standin.url, ns, "v1", 8).await.unwrap();
}

#[tokio::test]
async fn deprovision_refuses_a_real_tenant_without_force_and_changes_nothing() {
    let demo = common::demo(Variant::Clean).await;
    let cfg = demo.config();
    let before = common::fingerprint(&demo.admin).await;
    let e = deprovision(&cfg, &["test-alpha".into(), "acme".into()], false, false).await.unwrap_err().to_string();
    assert!(e.contains("refused: acme not a test tenant") && e.contains("--force"), "{e}");
    assert_eq!(before, common::fingerprint(&demo.admin).await, "a refusal removes nothing, not even test-alpha");
    let forced = deprovision(&cfg, &["acme".into()], false, true).await.unwrap();
    assert_eq!(forced.tenants[0].rows["tenants"], 1);
}

#[tokio::test]
async fn lifecycle_runs_end_to_end_on_the_demo_and_leaves_nothing() {
    let demo = common::demo(Variant::Clean).await;
    let standin = PineconeStandIn::from_stats(&bridge_lib::demo::data_dir().join("pinecone_stats.json")).await.unwrap();
    let (db_before, ns_before) = (common::fingerprint(&demo.admin).await, standin.namespaces());
    let report = lifecycle::run(&demo.config_with(&standin), Some(SEED_TENANT_SQL)).await.unwrap();
    let o = &report.checks[0];
    let steps: Vec<(&str, Status)> = o.findings.iter().map(|f| (f.code.as_str(), f.status)).collect();
    let pass = Status::Pass;
    assert_eq!(
        steps,
        [("TEN101", pass), ("TEN102", pass), ("TEN103", pass), ("TEN104", pass), ("TEN105", pass)],
        "{o:#?}"
    );
    assert_eq!(report.exit_code(), 0);
    assert!(o.findings[1].detail.contains("none of another tenant"), "{}", o.findings[1].detail);
    assert!(o.findings[2].detail.contains("reaches the aggregate"), "{}", o.findings[2].detail);
    assert!(o.findings[4].detail.contains("deleted"), "{}", o.findings[4].detail);
    assert_eq!(db_before, common::fingerprint(&demo.admin).await, "the test tenant left rows");
    assert_eq!(ns_before, standin.namespaces(), "the test tenant left a namespace");
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["checks"][0]["findings"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn a_failed_step_still_cleans_up() {
    let demo = common::demo(Variant::Clean).await;
    let standin = PineconeStandIn::start(Default::default()).await.unwrap();
    standin.fail("POST /vectors/upsert", 400);
    let db_before = common::fingerprint(&demo.admin).await;
    let report = lifecycle::run(&demo.config_with(&standin), Some(SEED_TENANT_SQL)).await.unwrap();
    let o = &report.checks[0];
    let tracked = o.findings.iter().find(|f| f.code == "TEN104").unwrap();
    assert_eq!(tracked.status, Status::Fail, "{o:#?}");
    assert!(tracked.detail.contains("told to fail"), "{}", tracked.detail);
    let offboarded = o.findings.iter().find(|f| f.code == "TEN105").unwrap();
    assert_eq!(offboarded.status, Status::Pass, "{offboarded:#?}");
    assert!(offboarded.detail.contains("cleanup after `lifecycle-namespace-not-tracked`"), "{}", offboarded.detail);
    assert_eq!(report.exit_code(), 1);
    assert_eq!(db_before, common::fingerprint(&demo.admin).await, "the failed run left rows");
    assert!(standin.namespaces().is_empty());
}

#[tokio::test]
async fn cli_lifecycle_on_the_demo_prints_json_and_refuses_to_run_unasked() {
    let out = common::bridge_bin().args(["tenants", "lifecycle", "--demo", "--format", "json"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let report = bridge_lib::Report::from_json(&stdout).unwrap();
    assert_eq!(report.checks[0].findings.len(), 5);
    let unasked = common::bridge_bin().args(["tenants", "lifecycle"]).output().unwrap();
    assert_eq!(unasked.status.code(), Some(78), "{}", String::from_utf8_lossy(&unasked.stderr));
    let dry =
        common::bridge_bin().args(["tenants", "deprovision", "--demo", "--dry-run", "test-alpha"]).output().unwrap();
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(dry.status.success() && text.contains("would remove") && text.contains("DELETE FROM"), "{text}");
}

/// The namespace listing of API 2026-07 gives `size_bytes` (a string, as proto3 int64): it
/// reaches the capacity check's reading, and `DELETE /namespaces/{ns}` treats 404 as gone.
#[tokio::test]
async fn size_bytes_from_the_listing_and_delete_namespace_against_the_documented_api() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/indexes/rag"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": "rag", "host": server.uri(),
            "spec": {"serverless": {"cloud": "aws", "region": "us-east-1"}}, "status": {"state": "Ready"}})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/describe_index_stats"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"namespaces": {"a": {"vectorCount": 3}}})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/namespaces"))
        .and(header("X-Pinecone-Api-Version", "2026-07"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"namespaces": [{"name": "a", "record_count": "3", "size_bytes": "1048576"}], "total_count": 1}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/namespaces/a%20b"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/namespaces/gone"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"code": 5, "message": "Namespace not found"})))
        .mount(&server)
        .await;
    let mut p = bridge_lib::config::PineconeConfig::new("pcsk_k");
    p.controller_url = server.uri();
    p.index = Some("rag".into());
    p.api_version = "2026-07".into();
    let cfg = bridge_lib::Config { pinecone: Some(p.clone()), ..Default::default() };
    let usage = gather_usage(&cfg).await.unwrap();
    assert_eq!(usage.stats.namespaces["a"].size_bytes, Some(1_048_576));
    let client = bridge_lib::pinecone::Client::new(&p).unwrap();
    assert!(client.delete_namespace(&server.uri(), "a b").await.unwrap());
    assert!(!client.delete_namespace(&server.uri(), "gone").await.unwrap());
}
