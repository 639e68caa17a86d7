//! `bridge tenants provision`: idempotent, dry run changes nothing, seeded tenants pass.

mod common;

use bridge_lib::demo::{data_dir, Variant};
use bridge_lib::{provision, run_check, CheckId, CheckStatus};

#[tokio::test]
async fn provisions_the_missing_tenant_once_and_the_check_then_passes() {
    let demo = common::demo(Variant::Broken).await;
    let cfg = demo.config();
    let seed = std::fs::read_to_string(data_dir().join("seed_tenant.sql")).unwrap();

    let before = common::fingerprint(&demo.admin).await;
    let plan = provision::plan(&cfg, 3, Some(&seed)).await.unwrap();
    assert_eq!(plan.existing, vec!["test-alpha", "test-beta"]);
    assert_eq!(plan.new_tenants.len(), 1);
    assert_eq!(plan.new_tenants[0].1, "enterprise", "a tier no test tenant uses yet comes first");
    assert!(plan.script().starts_with("BEGIN;\nINSERT INTO \"tenants\""), "{}", plan.script());
    assert_eq!(before, common::fingerprint(&demo.admin).await, "planning changed data");

    provision::apply(&cfg, &plan).await.unwrap();
    let again = provision::plan(&cfg, 3, Some(&seed)).await.unwrap();
    assert!(again.new_tenants.is_empty() && again.statements.is_empty(), "{again:?}");

    let o = run_check(&cfg, CheckId::Tenants).await;
    assert_eq!(o.findings.iter().find(|f| f.code == "TEN001").unwrap().status, bridge_lib::Status::Pass, "{o:#?}");
    assert_ne!(o.status, CheckStatus::Fail);
}

#[tokio::test]
async fn cli_dry_run_prints_sql_and_changes_nothing() {
    let demo = common::demo(Variant::Broken).await;
    let before = common::fingerprint(&demo.admin).await;
    let out = common::bridge_bin()
        .args(["tenants", "provision", "--count", "5", "--dry-run"])
        .env(
            "DATABASE_URL",
            common::url(&demo, "postgres", "x")
                .replace("host=127.0.0.1", &format!("host={}", demo.cluster().pg.socket_dir().display())),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout.matches("INSERT INTO").count(), 3, "{stdout}");
    assert_eq!(before, common::fingerprint(&demo.admin).await);
}
