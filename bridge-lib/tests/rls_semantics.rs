//! RLS verdicts for the right reason (issue #15, classes 5 to 8), on the fixtures in
//! `tests/fixtures/rls/`, each verified to leak (or not) on PostgreSQL 15: shared rows, tenant
//! defaults that fail closed, side channels without the noise, and ownership, empty-setting
//! escapes and restrictive-only tables reported as what they are. Every audit must leave the
//! data exactly as it found it.

mod common;

use bridge_lib::config::ProbeWrites;
use bridge_lib::demo::{Demo, Variant};
use bridge_lib::{run_check, CheckId, CheckOutcome, CheckStatus, Config, Status};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/rls/{name}.sql", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The non-pass keys of `code`.
fn keyed<'a>(o: &'a CheckOutcome, code: &str) -> Vec<&'a str> {
    o.findings.iter().filter(|f| f.code == code && f.status != Status::Pass).map(|f| f.key.as_str()).collect()
}

/// The codes of every finding that is not a pass.
fn problems(o: &CheckOutcome) -> Vec<&str> {
    o.findings.iter().filter(|f| f.status != Status::Pass).map(|f| f.code.as_str()).collect()
}

/// A fresh demo with `name` loaded as the superuser.
async fn demo_with(name: &str) -> Demo {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(&demo, &fixture(name)).await;
    demo
}

/// Runs the RLS check with `cfg` and asserts it ran and changed no row.
async fn audit_with(demo: &Demo, cfg: Config) -> CheckOutcome {
    let before = common::fingerprint(&demo.admin).await;
    let o = run_check(&cfg, CheckId::Rls).await;
    assert!(o.error.is_none(), "the audit could not run: {:?}", o.error);
    assert_eq!(before, common::fingerprint(&demo.admin).await, "the audit changed data");
    o
}

async fn audit(demo: &Demo) -> CheckOutcome {
    audit_with(demo, demo.config()).await
}

// 5. Shared rows ---------------------------------------------------------------------------

#[tokio::test]
async fn l5_shared_rows_writable_fails_for_the_write_not_the_read() {
    let demo = demo_with("l5_shared_rows_writable").await;
    let o = audit(&demo).await;
    assert_eq!(o.status, CheckStatus::Fail, "{:#?}", o.findings);
    let keys = keyed(&o, "RLS040");
    assert!(keys.contains(&"RLS040:public.prompt_templates/update shared rows"), "{:#?}", o.findings);
    assert!(keys.contains(&"RLS040:public.prompt_templates/delete shared rows"), "{:#?}", o.findings);
    assert!(keyed(&o, "RLS021").is_empty(), "shared rows are not another tenant's: {:#?}", o.findings);
    assert!(keyed(&o, "RLS022").is_empty(), "shared rows are for every session: {:#?}", o.findings);
}

#[tokio::test]
async fn ok5_shared_rows_read_only_passes_and_reports_them_as_shared() {
    let demo = demo_with("ok5_shared_rows_read_only").await;
    let o = audit(&demo).await;
    assert_eq!(o.status, CheckStatus::Pass, "{:#?}", problems(&o));
    let pass = o.findings.iter().find(|f| f.code == "RLS021" && f.status == Status::Pass).expect("RLS021 pass");
    assert!(pass.detail.contains("shared rows every tenant reads"), "{}", pass.detail);
    let row = o.data["matrix"].as_array().unwrap().iter().find(|r| r["relation"] == "public.prompt_templates").unwrap();
    assert_eq!(row["shared_rows"], 2, "{row}");
    assert_eq!(row["update_shared"], "denied (0 rows)", "{row}");
}

#[tokio::test]
async fn a_configured_shared_marker_counts_as_shared() {
    let demo = demo_with("ok5_shared_rows_read_only").await;
    common::admin_exec(
        &demo,
        "INSERT INTO tenants (id, name, tier) VALUES ('global', 'shared', 'pro');
         CREATE POLICY read_global ON prompt_templates FOR SELECT TO bridge_app USING (tenant_id = 'global');
         INSERT INTO prompt_templates VALUES ('global', 'house style', 'Be brief.');",
    )
    .await;
    let mut cfg = demo.config();
    cfg.rls.probe_tenants = vec!["acme".into(), "globex".into()];
    let o = audit_with(&demo, cfg.clone()).await;
    assert_eq!(keyed(&o, "RLS021"), ["RLS021:public.prompt_templates"], "without the marker 'global' is a tenant");
    cfg.rls.shared_tenants = vec!["global".into()];
    let o = audit_with(&demo, cfg).await;
    assert_eq!(o.status, CheckStatus::Pass, "{:#?}", problems(&o));
}

// 6. Defaults that fail closed --------------------------------------------------------------

#[tokio::test]
async fn l6_a_default_naming_a_real_tenant_fails() {
    let demo = demo_with("l6_default_real_tenant").await;
    let o = audit(&demo).await;
    assert_eq!(o.status, CheckStatus::Fail);
    let f = o.findings.iter().find(|f| f.code == "RLS015").expect("RLS015");
    assert_eq!(f.status, Status::Fail);
    assert!(f.detail.contains("it names tenant `acme`"), "{}", f.detail);
    assert!(!keyed(&o, "RLS022").is_empty(), "a session with no context sees acme's rows");
}

#[tokio::test]
async fn ok6_an_empty_default_fails_closed_and_passes() {
    let demo = demo_with("ok6_default_empty_setting").await;
    let o = audit(&demo).await;
    assert_eq!(o.status, CheckStatus::Pass, "{:#?}", problems(&o));
    assert!(keyed(&o, "RLS015").is_empty());
}

#[tokio::test]
async fn an_empty_default_that_opens_an_escape_fails() {
    let demo = demo_with("ok6_default_empty_setting").await;
    common::admin_exec(&demo, &fixture("l8b_empty_setting_escape")).await;
    let o = audit(&demo).await;
    let f = o.findings.iter().find(|f| f.code == "RLS015").expect("RLS015");
    assert!(f.detail.contains("policy `tenant_isolation` on `public.feedback` fails open with it"), "{}", f.detail);
    assert!(keyed(&o, "RLS022").contains(&"RLS022:public.feedback"), "live: {:#?}", o.findings);
}

// 7. Side channels without the noise --------------------------------------------------------

#[tokio::test]
async fn l7_an_exclusion_constraint_without_the_tenant_warns() {
    let demo = demo_with("l7_exclusion_constraint").await;
    let o = audit(&demo).await;
    assert_eq!(o.status, CheckStatus::Warn, "{:#?}", problems(&o));
    assert_eq!(keyed(&o, "RLS041"), ["RLS041:public.bookings/bookings_slot_excl"]);
    assert_eq!(problems(&o), ["RLS041"]);
}

#[tokio::test]
async fn ok7_generated_keys_pass() {
    let demo = demo_with("ok7_bigserial_ids").await;
    let o = audit(&demo).await;
    assert_eq!(o.status, CheckStatus::Pass, "{:#?}", problems(&o));
    assert!(keyed(&o, "RLS013").is_empty());
}

// 8. Right verdict, right reason ------------------------------------------------------------

#[tokio::test]
async fn l8a_the_app_owning_a_forced_table_fails() {
    let demo = demo_with("l8a_app_owns_table").await;
    let o = audit(&demo).await;
    assert_eq!(o.status, CheckStatus::Fail);
    assert_eq!(keyed(&o, "RLS042"), ["RLS042:public.app_settings"]);
    let f = o.findings.iter().find(|f| f.code == "RLS042").unwrap();
    assert!(f.detail.contains("NO FORCE ROW LEVEL SECURITY"), "{}", f.detail);
    assert!(keyed(&o, "RLS012").is_empty(), "TRUNCATE is revoked: not the reason");
}

#[tokio::test]
async fn l8b_an_empty_setting_escape_is_the_policys_fail_open_escape() {
    let demo = demo_with("l8b_empty_setting_escape").await;
    let o = audit(&demo).await;
    assert_eq!(o.status, CheckStatus::Fail);
    assert_eq!(keyed(&o, "RLS043"), ["RLS043:public.feedback/tenant_isolation"]);
    let f = o.findings.iter().find(|f| f.code == "RLS043").unwrap();
    assert!(f.detail.contains("policy `tenant_isolation` lets it through"), "{}", f.detail);
    assert!(f.remedy.as_deref().unwrap().starts_with("ALTER POLICY \"tenant_isolation\" ON public.feedback USING"));
    assert!(keyed(&o, "RLS022").contains(&"RLS022:public.feedback/tenant_isolation"), "static: {:#?}", o.findings);
}

#[tokio::test]
async fn l8c_restrictive_policies_alone_are_deny_all() {
    let demo = demo_with("l8c_restrictive_only").await;
    let o = audit(&demo).await;
    assert_eq!(o.status, CheckStatus::Warn, "{:#?}", problems(&o));
    assert_eq!(keyed(&o, "RLS003"), ["RLS003:public.labels"]);
    assert!(keyed(&o, "RLS025").is_empty(), "not 'the context never took effect': {:#?}", o.findings);
}

// Write probes and their side effects (issue #11) --------------------------------------------

const TRIGGER: &str = "CREATE TABLE trigger_log (id bigserial PRIMARY KEY);
     CREATE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS
       $$ BEGIN INSERT INTO trigger_log DEFAULT VALUES; RETURN NEW; END $$;
     CREATE TRIGGER documents_before BEFORE INSERT OR UPDATE ON documents FOR EACH ROW EXECUTE FUNCTION log_write();";

#[tokio::test]
async fn probe_writes_all_runs_every_probe_and_says_what_may_have_fired() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(&demo, TRIGGER).await;
    let mut cfg = demo.config();
    cfg.rls.probe_writes = ProbeWrites::All;
    let o = audit_with(&demo, cfg).await;
    assert_eq!(keyed(&o, "RLS045"), ["RLS045:public.documents"]);
    assert!(keyed(&o, "RLS044").is_empty());
    let row = o.data["matrix"].as_array().unwrap().iter().find(|r| r["relation"] == "public.documents").unwrap();
    assert_eq!(row["insert_for_other"], "denied (42501)", "{row}");
}

#[tokio::test]
async fn probe_writes_off_probes_nothing_and_warns() {
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.rls.probe_writes = ProbeWrites::Off;
    let o = audit_with(&demo, cfg).await;
    assert_eq!(o.status, CheckStatus::Warn, "{:#?}", problems(&o));
    assert_eq!(keyed(&o, "RLS044"), ["RLS044:off"]);
    assert!(!o.findings.iter().any(|f| f.code == "RLS023" && f.status == Status::Pass), "nothing was probed");
}

/// The RLS half of issue #11's class 2: with `standard_conforming_strings = off` a backslash in a
/// tenant id closed a quoted literal; bound parameters leave nothing to close.
#[tokio::test]
async fn a_backslash_id_under_standard_conforming_strings_off_changes_nothing() {
    let demo = common::demo(Variant::Clean).await;
    let id = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/scs_off_tenant_id.txt"))
        .unwrap()
        .trim_end_matches('\n')
        .to_string();
    let lit = format!("E'{}'", id.replace('\\', "\\\\").replace('\'', "\\'"));
    common::admin_exec(
        &demo,
        &format!(
            "INSERT INTO tenants (id, name, tier, is_test) VALUES ({lit}, 'hostile', 'pro', true);
             INSERT INTO documents (tenant_id, id, title, body) VALUES ({lit}, 1, 't', 'b'), ({lit}, 2, 't', 'b');
             ALTER ROLE bridge_app IN DATABASE {} SET standard_conforming_strings = off;",
            demo.app.dbname()
        ),
    )
    .await;
    let mut cfg = demo.config();
    cfg.rls.probe_tenants = vec![id, "acme".into()];
    let o = audit_with(&demo, cfg).await;
    assert!(keyed(&o, "RLS023").is_empty(), "{:#?}", o.findings);
}
