//! Readiness check #3 on the demo: offline on the shipped Pinecone snapshots, tenants and tiers
//! read from a real PostgreSQL through the application role.

mod common;

use bridge_lib::demo::Variant;
use bridge_lib::{run_check, CheckId, CheckStatus, Status};

#[tokio::test]
async fn clean_demo_passes_with_every_tenant_measured_and_forecast() {
    let demo = common::demo(Variant::Clean).await;
    let o = run_check(&demo.config(), CheckId::Capacity).await;
    assert_eq!(o.status, CheckStatus::Pass, "{o:#?}");
    let tenants = o.data["tenants"].as_array().unwrap();
    assert_eq!(tenants.len(), 6);
    for t in tenants {
        assert!(t["percent"].as_f64().unwrap() < 80.0, "{t}");
        assert!(t["days_to_80"].as_f64().unwrap() > 30.0, "{t}");
    }
    assert_eq!(o.data["history_points"], 5);
    assert!(o.data["orphans"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn broken_demo_catches_the_namespace_over_80_percent_and_the_orphan() {
    let demo = common::demo(Variant::Broken).await;
    let o = run_check(&demo.config(), CheckId::Capacity).await;
    assert_eq!(o.status, CheckStatus::Warn, "{o:#?}");
    let near = o.findings.iter().find(|f| f.code == "CAP001" && f.status == Status::Warn).unwrap();
    assert_eq!(near.key, "CAP001:globex");
    assert!(near.detail.contains("870,000 of 1,000,000 records (87.0%)"), "{}", near.detail);
    let orphan = o.findings.iter().find(|f| f.code == "CAP006").unwrap();
    assert_eq!((orphan.key.as_str(), orphan.status), ("CAP006:hooli", Status::Warn));
    let chart = bridge_lib::render::capacity_chart(&o).0;
    assert!(chart.contains("<svg") && chart.contains("globex") && chart.contains("87.0%"), "{chart}");
    assert!(bridge_lib::render::outcome_html(&o).contains(&chart), "the chart is in the check's output");
}

#[tokio::test]
async fn a_deactivated_tenant_without_a_namespace_is_fine_an_active_one_fails() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        "INSERT INTO tenants (id, name, tier) VALUES ('umbrella', 'Umbrella', 'pro');
         INSERT INTO tenants (id, name, tier, active) VALUES ('old-co', 'Old Co', 'pro', false);",
    )
    .await;
    let o = run_check(&demo.config(), CheckId::Capacity).await;
    assert_eq!(o.status, CheckStatus::Fail, "{o:#?}");
    let keys: Vec<&str> = o.findings.iter().filter(|f| f.code == "CAP005").map(|f| f.key.as_str()).collect();
    assert_eq!(keys, vec!["CAP005:umbrella"]);
}

#[tokio::test]
async fn no_key_and_no_snapshot_is_a_skip_naming_pinecone_api_key() {
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.capacity.snapshot = None;
    let o = run_check(&cfg, CheckId::Capacity).await;
    assert_eq!(o.status, CheckStatus::Skip);
    assert!(o.findings[0].detail.contains("PINECONE_API_KEY"), "{}", o.findings[0].detail);
    assert!(o.findings[0].remedy.as_deref().unwrap().contains("PINECONE_API_KEY"));
}

#[tokio::test]
async fn an_unreadable_snapshot_is_an_error_that_names_the_file() {
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.capacity.snapshot = Some(bridge_lib::demo::data_dir().join("schema.sql"));
    let o = run_check(&cfg, CheckId::Capacity).await;
    assert_eq!(o.status, CheckStatus::Error);
    let e = o.error.unwrap();
    assert!(e.contains("schema.sql") && e.contains("not a describe_index_stats response"), "{e}");
}
