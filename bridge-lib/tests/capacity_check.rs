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

/// The ledger as the first three-way version read it: one GROUP BY over every row at or
/// before `$1` (`$2` = the window's start), kept here to show the window + probe reading
/// returns the same.
const WHOLE_LEDGER_SQL: &str =
    "SELECT tenant_id::text, coalesce(sum(cost_usd) FILTER (WHERE occurred_at > $2), 0)::float8,
        count(*) FILTER (WHERE occurred_at > $2), to_char(max(occurred_at), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
        (extract(epoch FROM $1 - max(occurred_at)) / 86400)::float8
   FROM ledger_fx WHERE occurred_at <= $1 GROUP BY 1";

#[tokio::test]
async fn the_window_and_the_probe_read_what_the_whole_ledger_says() {
    use bridge_lib::checks::capacity::{ledger::Activity, read_ledger};
    let demo = common::demo(Variant::Clean).await;
    // as of 2026-12-01, 30 days: the window is (2026-11-01, 2026-12-01]
    common::admin_exec(
        &demo,
        "CREATE TABLE ledger_fx (tenant_id text NOT NULL, occurred_at timestamptz NOT NULL, cost_usd numeric(14,6) NOT NULL);
         CREATE INDEX ON ledger_fx (occurred_at); CREATE INDEX ON ledger_fx (tenant_id, occurred_at);
         INSERT INTO ledger_fx VALUES
           ('hot', '2026-10-01T00:00:00Z', 5), ('hot', '2026-11-15T12:00:00Z', 1.25),
           ('hot', '2026-12-01T00:00:00Z', 0.5), ('hot', '2026-12-02T00:00:00Z', 9),
           ('edge', '2026-10-20T00:00:00Z', 2), ('edge', '2026-11-01T00:00:00Z', 3),
           ('edge_in', '2026-11-01T00:00:00.000001Z', 0.75),
           ('cold', '2026-09-01T08:30:00Z', 4),
           ('future', '2026-12-05T00:00:00Z', 1),
           ('ghost', '2026-11-20T00:00:00Z', 0.125),
           ('relic', '2026-01-01T00:00:00Z', 7);",
    )
    .await;
    let mut cfg = demo.config();
    cfg.cost.table = "ledger_fx".into();
    cfg.capacity.as_of = Some("2026-12-01T00:00:00Z".into());
    let known = ["hot", "edge", "edge_in", "cold", "never", "future"];
    let new = read_ledger(&cfg, &known).await.unwrap().unwrap();

    let c = bridge_lib::db::connect(&demo.admin).await.unwrap();
    c.batch_execute("SET TimeZone = 'UTC'").await.unwrap();
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_796_083_200); // 2026-12-01
    let since = at - std::time::Duration::from_secs(30 * 86_400);
    let old: std::collections::BTreeMap<String, Activity> = c
        .query(WHOLE_LEDGER_SQL, &[&at, &since])
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let a = Activity {
                spend: r.get(1),
                events: r.get::<_, i64>(2) as u64,
                last_activity: r.get(3),
                idle_days: r.get(4),
            };
            (r.get(0), a)
        })
        .collect();
    assert_eq!(new.as_of_unix, 1_796_083_200);
    // the one difference: a tenant only the ledger names, with nothing in the window, is no
    // longer looked up (it spends nothing now and no rule reads it)
    let mut expected = old.clone();
    assert!(expected.remove("relic").is_some(), "{old:#?}");
    assert_eq!(new.tenants, expected);
    // and the cases it covers, spelled out
    let get = |id: &str| new.tenants.get(id).map(|a| (a.spend, a.events, a.last_activity.clone().unwrap()));
    assert_eq!(get("hot"), Some((1.75, 2, "2026-12-01T00:00:00Z".into())), "as_of counts, after it does not");
    assert_eq!(get("edge"), Some((0.0, 0, "2026-11-01T00:00:00Z".into())), "the window's start is outside it");
    assert_eq!(get("edge_in"), Some((0.75, 1, "2026-11-01T00:00:00Z".into())));
    assert_eq!(get("cold"), Some((0.0, 0, "2026-09-01T08:30:00Z".into())));
    assert_eq!(get("ghost"), Some((0.125, 1, "2026-11-20T00:00:00Z".into())), "ledger-only, in the window");
    assert_eq!((get("never"), get("future")), (None, None), "no row at or before as_of");
    assert!(new.source.contains("one GROUP BY over the window"), "{}", new.source);
}

#[tokio::test]
async fn under_rls_per_tenant_the_ledger_reads_the_same_as_the_reporting_role() {
    use bridge_lib::checks::capacity::read_ledger;
    // acme made dormant: the per-tenant path probes its last activity
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        "DELETE FROM usage_events WHERE tenant_id = 'acme' AND occurred_at > '2026-10-31T12:00:00Z'",
    )
    .await;
    let cfg = demo.config();
    let known = ["acme", "globex", "initech", "test-alpha", "test-beta", "test-gamma", "nobody"];
    let once = read_ledger(&cfg, &known).await.unwrap().unwrap();
    let mut app = cfg.clone();
    app.admin_database = None; // the application role: RLS applies to usage_events
    let each = read_ledger(&app, &known).await.unwrap().unwrap();
    assert!(each.source.contains("per tenant under its own context"), "{}", each.source);
    assert!(once.source.contains("one GROUP BY"), "{}", once.source);
    assert_eq!(each.tenants, once.tenants);
    let acme = &once.tenants["acme"];
    assert_eq!((acme.events, acme.spend), (0, 0.0));
    assert!(acme.last_activity.as_deref().unwrap() <= "2026-10-31T12:00:00Z", "{acme:?}");
    assert_eq!(once.tenants.len(), 6, "{:#?}", once.tenants);
}
