use super::rules::*;
use super::*;
use crate::finding::Status;

fn tenant(id: &str, tier: &str, active: bool, rows: &[(&str, i64)]) -> TestTenant {
    TestTenant {
        id: id.into(),
        tier: tier.into(),
        active,
        rows: rows.iter().map(|(t, n)| (t.to_string(), *n)).collect(),
    }
}

fn status_of(fs: &[Finding], code: &str) -> Vec<Status> {
    fs.iter().filter(|f| f.code == code).map(|f| f.status).collect()
}

const DOCS: &str = "public.documents";

/// Three tenants provisioned end to end on two tiers: every rule quiet or passing.
fn ready() -> Vec<TestTenant> {
    vec![
        tenant("a", "starter", true, &[(DOCS, 3)]),
        tenant("b", "pro", true, &[(DOCS, 1)]),
        tenant("c", "pro", true, &[(DOCS, 2)]),
    ]
}

/// The flawed fixture: two provisioned on one tier, one inactive, one without data.
fn flawed() -> Vec<TestTenant> {
    vec![
        tenant("a", "starter", true, &[(DOCS, 3)]),
        tenant("b", "starter", true, &[(DOCS, 1)]),
        tenant("c", "pro", false, &[(DOCS, 1)]),
        tenant("d", "pro", true, &[(DOCS, 0)]),
    ]
}

fn run_rule(rule: fn(&Ctx) -> Vec<Finding>, cfg: &Config, tables: &[String], tenants: &[TestTenant]) -> Vec<Finding> {
    rule(&Ctx { tenancy: &cfg.tenancy, settings: &cfg.tenants, tables, tenants })
}

fn tables() -> Vec<String> {
    vec![DOCS.to_string()]
}

#[test]
fn three_provisioned_on_different_tiers_pass() {
    let fs = evaluate(&Config::default(), &tables(), &ready());
    assert!(fs.iter().all(|f| f.status == Status::Pass), "{fs:#?}");
}

#[test]
fn too_few_fails_and_one_tier_warns() {
    let fs = evaluate(&Config::default(), &tables(), &flawed());
    assert_eq!(status_of(&fs, "TEN001"), vec![Status::Fail]);
    assert_eq!(status_of(&fs, "TEN002"), vec![Status::Warn]);
    assert_eq!(status_of(&fs, "TEN003"), vec![Status::Warn]);
    assert_eq!(status_of(&fs, "TEN004"), vec![Status::Warn]);
    let too_few = fs.iter().find(|f| f.code == "TEN001").unwrap();
    assert!(too_few.detail.contains("expected at least 3") && too_few.detail.contains("found 2"), "{}", too_few.detail);
    assert!(too_few.remedy.as_deref().unwrap().contains("bridge tenants provision --count 3"));
}

#[test]
fn no_tables_warns() {
    let fs = evaluate(&Config::default(), &[], &[]);
    assert_eq!(status_of(&fs, "TEN005"), vec![Status::Warn]);
    assert_eq!(status_of(&fs, "TEN001"), vec![Status::Fail]);
}

#[test]
fn ten000_tenants_check_skipped_fires() {
    let o = ten000_skipped();
    assert_eq!(status_of(&o.findings, "TEN000"), vec![Status::Skip]);
    assert!(o.findings[0].remedy.as_deref().unwrap().contains("DATABASE_URL"));
}

#[test]
fn ten000_tenants_check_skipped_quiet() {
    // with a database the check reads it: evaluate never emits the skip
    let fs = evaluate(&Config::default(), &tables(), &flawed());
    assert!(status_of(&fs, "TEN000").is_empty(), "{fs:#?}");
}

#[test]
fn ten001_too_few_test_tenants_fires() {
    let cfg = Config::default();
    let fs = run_rule(ten001_too_few, &cfg, &tables(), &ready()[..2]);
    assert_eq!(status_of(&fs, "TEN001"), vec![Status::Fail]);
    assert!(fs[0].detail.contains("found 2: a (starter), b (pro)"), "{}", fs[0].detail);
    let mut stricter = Config::default();
    stricter.tenants.min_test_tenants = 4;
    assert_eq!(status_of(&run_rule(ten001_too_few, &stricter, &tables(), &ready()), "TEN001"), vec![Status::Fail]);
}

#[test]
fn ten001_too_few_test_tenants_quiet() {
    let fs = run_rule(ten001_too_few, &Config::default(), &tables(), &ready());
    assert_eq!(status_of(&fs, "TEN001"), vec![Status::Pass]);
    assert!(fs[0].remedy.is_none());
}

#[test]
fn ten002_test_tenant_inactive_fires() {
    let mut cfg = Config::default();
    cfg.tenancy.table = "core.orgs".into();
    let fs = run_rule(ten002_inactive, &cfg, &tables(), &flawed());
    assert_eq!(status_of(&fs, "TEN002"), vec![Status::Warn]);
    assert_eq!(fs[0].remedy.as_deref(), Some("UPDATE \"core\".\"orgs\" SET active = true WHERE id::text = 'c';"));
}

#[test]
fn ten002_test_tenant_inactive_quiet() {
    assert!(run_rule(ten002_inactive, &Config::default(), &tables(), &ready()).is_empty());
}

#[test]
fn ten003_test_tenant_missing_data_fires() {
    let fs = run_rule(ten003_missing_data, &Config::default(), &tables(), &flawed());
    assert_eq!(status_of(&fs, "TEN003"), vec![Status::Warn]);
    assert!(fs[0].detail.contains("`d`") && fs[0].detail.contains(DOCS), "{}", fs[0].detail);
}

#[test]
fn ten003_test_tenant_missing_data_quiet() {
    // an inactive tenant without data is TEN002's, not TEN003's
    let t = [tenant("x", "pro", false, &[(DOCS, 0)])];
    assert!(run_rule(ten003_missing_data, &Config::default(), &tables(), &t).is_empty());
    assert!(run_rule(ten003_missing_data, &Config::default(), &tables(), &ready()).is_empty());
}

#[test]
fn ten004_test_tenants_share_one_tier_fires() {
    let fs = run_rule(ten004_one_tier, &Config::default(), &tables(), &flawed());
    assert_eq!(status_of(&fs, "TEN004"), vec![Status::Warn]);
    assert!(fs[0].remedy.as_deref().unwrap().contains("WHERE id::text = 'b'"), "{:?}", fs[0].remedy);
}

#[test]
fn ten004_test_tenants_share_one_tier_quiet() {
    assert_eq!(
        status_of(&run_rule(ten004_one_tier, &Config::default(), &tables(), &ready()), "TEN004"),
        vec![Status::Pass]
    );
    assert!(run_rule(ten004_one_tier, &Config::default(), &tables(), &[]).is_empty(), "no provisioned tenant: nothing");
}

#[test]
fn ten005_no_tenant_scoped_tables_fires() {
    let fs = run_rule(ten005_no_tables, &Config::default(), &[], &ready());
    assert_eq!(status_of(&fs, "TEN005"), vec![Status::Warn]);
    assert!(fs[0].detail.contains("`tenant_id`"), "{}", fs[0].detail);
}

#[test]
fn ten005_no_tenant_scoped_tables_quiet() {
    assert!(run_rule(ten005_no_tables, &Config::default(), &tables(), &ready()).is_empty());
}

#[test]
fn every_rule_is_fired_by_some_fixture() {
    let cfg = Config::default();
    let mut fired: Vec<Finding> = ten000_skipped().findings;
    fired.extend(evaluate(&cfg, &tables(), &flawed()));
    fired.extend(evaluate(&cfg, &[], &[]));
    for rule in RULES {
        assert!(
            fired.iter().any(|f| f.code == rule.code && f.status != Status::Pass),
            "no fixture fires {} {}",
            rule.code,
            rule.name
        );
    }
}
