//! Readiness check #4 against a real PostgreSQL, through the application role.

mod common;

use bridge_lib::demo::Variant;
use bridge_lib::{run_check, CheckId, CheckStatus, Status};

fn status(o: &bridge_lib::CheckOutcome, code: &str) -> Vec<Status> {
    o.findings.iter().filter(|f| f.code == code).map(|f| f.status).collect()
}

#[tokio::test]
async fn clean_demo_has_three_provisioned_test_tenants_on_three_tiers() {
    let demo = common::demo(Variant::Clean).await;
    let o = run_check(&demo.config(), CheckId::Tenants).await;
    assert_eq!(o.status, CheckStatus::Pass, "{o:#?}");
    assert_eq!(status(&o, "TEN001"), vec![Status::Pass]);
    assert_eq!(status(&o, "TEN004"), vec![Status::Pass]);
    let tenants = o.data["test_tenants"].as_array().unwrap();
    assert_eq!(tenants.len(), 3);
    for t in tenants {
        for (table, n) in t["rows"].as_object().unwrap() {
            assert!(n.as_i64().unwrap() > 0, "{table} has no rows for {t}");
        }
    }
}

#[tokio::test]
async fn broken_demo_fails_with_too_few_and_one_tier() {
    let demo = common::demo(Variant::Broken).await;
    let o = run_check(&demo.config(), CheckId::Tenants).await;
    assert_eq!(o.status, CheckStatus::Fail);
    assert_eq!(status(&o, "TEN001"), vec![Status::Fail]);
    assert_eq!(status(&o, "TEN004"), vec![Status::Warn]);
}

#[tokio::test]
async fn inactive_and_dataless_test_tenants_are_not_provisioned() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        "UPDATE tenants SET active = false WHERE id = 'test-alpha';
         INSERT INTO tenants (id, name, tier, is_test) VALUES ('test-empty', 'no data', 'pro', true);",
    )
    .await;
    let o = run_check(&demo.config(), CheckId::Tenants).await;
    assert_eq!(status(&o, "TEN002"), vec![Status::Warn], "{o:#?}");
    assert_eq!(status(&o, "TEN003"), vec![Status::Warn]);
    let f = o.findings.iter().find(|f| f.code == "TEN003").unwrap();
    assert!(f.detail.contains("test-empty") && f.detail.contains("public.documents"), "{}", f.detail);
    assert_eq!(status(&o, "TEN001"), vec![Status::Fail], "only test-beta and test-gamma remain");
}

#[tokio::test]
async fn rows_are_counted_under_the_tenants_own_context() {
    // If the tenant context setting is wrong, RLS shows the app nothing, so no tenant counts as
    // provisioned: the check must not pass by reading rows it cannot see.
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.tenancy.context.setting = "app.wrong_setting".into();
    let o = run_check(&cfg, CheckId::Tenants).await;
    assert_eq!(status(&o, "TEN001"), vec![Status::Fail], "{o:#?}");
    assert_eq!(status(&o, "TEN003").len(), 3);
}

#[tokio::test]
async fn missing_tenants_table_is_an_error_that_names_the_fix() {
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.tenancy.table = "customers".into();
    let o = run_check(&cfg, CheckId::Tenants).await;
    assert_eq!(o.status, CheckStatus::Error);
    let e = o.error.unwrap();
    assert!(e.contains("tenants table `customers` not found") && e.contains("BRIDGE_TENANTS_TABLE"), "{e}");
}

#[tokio::test]
async fn missing_database_is_a_skip_that_says_what_to_set() {
    let cfg = bridge_lib::Config::default();
    let o = run_check(&cfg, CheckId::Tenants).await;
    assert_eq!(o.status, CheckStatus::Skip);
    assert!(o.findings[0].detail.contains("DATABASE_URL"));
    assert!(o.findings[0].remedy.as_deref().unwrap().contains("DATABASE_URL"));
}

#[tokio::test]
async fn checks_change_no_data() {
    for variant in [Variant::Clean, Variant::Broken] {
        let demo = common::demo(variant).await;
        let before = common::fingerprint(&demo.admin).await;
        assert!(before.len() >= 4);
        let report = bridge_lib::run_checks(&demo.config(), &[]).await;
        assert!(!report.checks.is_empty());
        assert_eq!(before, common::fingerprint(&demo.admin).await, "a check changed data ({variant:?})");
    }
}

#[tokio::test]
async fn suppressed_finding_counts_as_pass_and_keeps_its_reason() {
    let demo = common::demo(Variant::Broken).await;
    let mut cfg = demo.config();
    cfg.suppressions = vec![
        ("TEN001:tenants".into(), "third test tenant arrives next sprint".into()),
        ("TEN004:tenants".into(), "tiers are irrelevant here".into()),
    ];
    let o = run_check(&cfg, CheckId::Tenants).await;
    assert_eq!(o.status, CheckStatus::Pass, "{o:#?}");
    let f = o.findings.iter().find(|f| f.code == "TEN001").unwrap();
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.suppressed.as_deref(), Some("third test tenant arrives next sprint"));
}

#[tokio::test]
async fn the_context_reset_does_what_reset_does() {
    // the probe leaves a leaked context clean with TenantContext::reset (quoted), not an
    // interpolated `RESET <setting>`: both must leave the same value behind
    let demo = common::demo(Variant::Clean).await;
    let ctx = demo.config().tenancy.context;
    let c = bridge_lib::db::connect(&demo.app).await.unwrap();
    let read = format!("SELECT {}", ctx.read_expr());
    let mut after = Vec::new();
    for reset in [format!("RESET {}", ctx.setting), ctx.reset()] {
        c.batch_execute(&format!("SET {} = 'leaked'", ctx.setting)).await.unwrap();
        let v: Option<String> = c.query_one(&read, &[]).await.unwrap().get(0);
        assert_eq!(v.as_deref(), Some("leaked"));
        c.batch_execute(&reset).await.unwrap();
        after.push(c.query_one(&read, &[]).await.unwrap().get::<_, Option<String>>(0));
    }
    assert_eq!(after[0], after[1], "{after:?}");
    assert_ne!(after[1].as_deref(), Some("leaked"));
}

#[tokio::test]
async fn every_reader_sees_the_same_tenants() {
    // one home for tenants: the list, the ids and the scoped tables agree with the table itself
    let demo = common::demo(Variant::Clean).await;
    let cfg = demo.config();
    let c = bridge_lib::db::connect(&demo.app).await.unwrap();
    let all = bridge_lib::tenant::list(&c, &cfg.tenancy).await.unwrap();
    let ids = bridge_lib::tenant::ids(&c, &cfg.tenancy).await.unwrap();
    assert_eq!(all.iter().map(|t| t.id.clone()).collect::<Vec<_>>(), ids);
    assert_eq!(all.iter().filter(|t| t.is_test).count(), 3, "{all:#?}");
    assert!(all.iter().any(|t| t.id == "acme" && !t.is_test && t.active), "{all:#?}");
    let tables = bridge_lib::tenant::scoped_tables(&c, &cfg.tenancy).await.unwrap();
    assert!(tables.contains(&"public.documents".to_string()), "{tables:?}");
}
