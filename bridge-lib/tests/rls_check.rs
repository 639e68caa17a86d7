//! Readiness check #1 against a real PostgreSQL: one fixture that triggers each RLS rule and
//! one that does not, all through a role that is not a superuser and owns no table.

mod common;

use bridge_lib::demo::{Demo, Variant, APP_PASSWORD};
use bridge_lib::{run_check, CheckId, CheckOutcome, CheckStatus, Config, Status};

fn has(o: &CheckOutcome, code: &str, status: Status) -> bool {
    o.findings.iter().any(|f| f.code == code && f.status == status)
}

fn keyed<'a>(o: &'a CheckOutcome, code: &str) -> Vec<&'a str> {
    o.findings.iter().filter(|f| f.code == code && f.status != Status::Pass).map(|f| f.key.as_str()).collect()
}

async fn audit(demo: &Demo) -> CheckOutcome {
    audit_with(demo.config()).await
}

async fn audit_with(cfg: Config) -> CheckOutcome {
    let o = run_check(&cfg, CheckId::Rls).await;
    assert!(o.error.is_none(), "the audit could not run: {:?}", o.error);
    o
}

/// A login role unique to this test's database, member of the demo app role.
async fn role(demo: &Demo, suffix: &str, extra: &str) -> Config {
    let name = format!("{}_{suffix}", demo.app.dbname());
    common::admin_exec(
        demo,
        &format!("CREATE ROLE {name} LOGIN PASSWORD '{APP_PASSWORD}' {extra}; GRANT bridge_app TO {name};"),
    )
    .await;
    let mut cfg = demo.config();
    cfg.database = Some(demo.app.with_user(&name, Some(APP_PASSWORD)));
    cfg
}

#[tokio::test]
async fn clean_demo_passes_with_a_full_access_matrix() {
    let demo = common::demo(Variant::Clean).await;
    let o = audit(&demo).await;
    assert_eq!(o.status, CheckStatus::Pass, "{:#?}", o.findings);
    for code in ["RLS001", "RLS004", "RLS021", "RLS022", "RLS023", "RLS024"] {
        assert!(has(&o, code, Status::Pass), "{code} should pass: {:#?}", o.findings);
    }
    let matrix = o.data["matrix"].as_array().unwrap();
    assert_eq!(matrix.len(), 3);
    for row in matrix {
        assert_eq!(row["other_tenant_rows"], 0, "{row}");
        assert_eq!(row["no_context_rows"], 0, "{row}");
        assert!(row["own_rows"].as_i64().unwrap() > 0, "{row}");
        assert_eq!(row["insert_for_other"], "denied (42501)", "{row}");
        assert_eq!(row["move_to_other"], "denied (42501)", "{row}");
        assert_eq!(row["delete_other"], "denied (0 rows)", "{row}");
    }
}

#[tokio::test]
async fn broken_demo_owner_without_force_is_caught_statically_and_live() {
    let demo = common::demo(Variant::Broken).await;
    let o = audit(&demo).await;
    assert_eq!(o.status, CheckStatus::Fail);
    for code in ["RLS005", "RLS020", "RLS021", "RLS022", "RLS023"] {
        assert!(keyed(&o, code).iter().any(|k| k.contains("usage_events")), "{code}: {:#?}", o.findings);
    }
    let f = o.findings.iter().find(|f| f.code == "RLS005").unwrap();
    assert!(f.remedy.as_deref().unwrap().contains("ALTER TABLE public.usage_events FORCE ROW LEVEL SECURITY;"));
}

#[tokio::test]
async fn table_without_rls_and_dead_policies() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        "CREATE TABLE notes (tenant_id text NOT NULL, body text);
         INSERT INTO notes SELECT id, 'note' FROM tenants;
         GRANT SELECT, INSERT ON notes TO bridge_app;
         ALTER TABLE documents DISABLE ROW LEVEL SECURITY;",
    )
    .await;
    let o = audit(&demo).await;
    assert_eq!(keyed(&o, "RLS001"), ["RLS001:public.notes"]);
    assert_eq!(keyed(&o, "RLS002"), ["RLS002:public.documents"]);
    assert!(keyed(&o, "RLS021").contains(&"RLS021:public.notes"), "live probe confirms: {:#?}", o.findings);
    assert!(keyed(&o, "RLS022").contains(&"RLS022:public.documents"));
}

#[tokio::test]
async fn rls_on_without_a_policy_for_the_app_is_deny_all() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        "CREATE TABLE drafts (tenant_id text NOT NULL); ALTER TABLE drafts ENABLE ROW LEVEL SECURITY;
         ALTER TABLE drafts FORCE ROW LEVEL SECURITY; GRANT SELECT ON drafts TO bridge_app;",
    )
    .await;
    let o = audit(&demo).await;
    assert_eq!(keyed(&o, "RLS003"), ["RLS003:public.drafts"]);
    assert!(!has(&o, "RLS003", Status::Fail));
}

#[tokio::test]
async fn bypassrls_role_fails_and_makes_the_probe_inconclusive() {
    let demo = common::demo(Variant::Clean).await;
    let cfg = role(&demo, "bypass", "BYPASSRLS").await;
    let o = audit_with(cfg).await;
    assert!(has(&o, "RLS004", Status::Fail), "{:#?}", o.findings);
    assert!(has(&o, "RLS025", Status::Warn));
    assert!(!has(&o, "RLS021", Status::Pass), "never a silent pass");
}

#[tokio::test]
async fn membership_in_a_bypassing_role_fails() {
    let demo = common::demo(Variant::Clean).await;
    let admin = format!("{}_admin", demo.app.dbname());
    common::admin_exec(&demo, &format!("CREATE ROLE {admin} NOLOGIN BYPASSRLS;")).await;
    let cfg = role(&demo, "member", "").await;
    let name = cfg.database.as_ref().unwrap().user().to_string();
    common::admin_exec(&demo, &format!("GRANT {admin} TO {name};")).await;
    let o = audit_with(cfg).await;
    let f = o.findings.iter().find(|f| f.code == "RLS004").unwrap();
    assert_eq!(f.status, Status::Fail);
    assert!(f.remedy.as_deref().unwrap().contains(&format!("REVOKE \"{admin}\"")), "{f:?}");
}

#[tokio::test]
async fn inheriting_the_owner_without_force_bypasses() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(&demo, "ALTER TABLE documents NO FORCE ROW LEVEL SECURITY;").await;
    let cfg = role(&demo, "heir", "").await;
    let name = cfg.database.as_ref().unwrap().user().to_string();
    common::admin_exec(&demo, &format!("GRANT bridge_owner TO {name};")).await;
    let o = audit_with(cfg).await;
    let f = o.findings.iter().find(|f| f.code == "RLS005" && f.status == Status::Fail).expect("RLS005");
    assert!(f.detail.contains("inherits its owner `bridge_owner`"), "{}", f.detail);
    assert!(keyed(&o, "RLS021").contains(&"RLS021:public.documents"));
    // FORCEd tables are fine even for the heir
    assert!(!keyed(&o, "RLS005").iter().any(|k| k.contains("chunks")));
}

#[tokio::test]
async fn permissive_using_true_widens_reads_but_a_restrictive_tenant_policy_bounds_it() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(&demo, "CREATE POLICY public_read ON documents FOR SELECT TO bridge_app USING (true);").await;
    let o = audit(&demo).await;
    assert_eq!(keyed(&o, "RLS006"), ["RLS006:public.documents/public_read/SELECT"]);
    assert!(keyed(&o, "RLS021").contains(&"RLS021:public.documents"));

    common::admin_exec(
        &demo,
        "CREATE POLICY tenant_bound ON documents AS RESTRICTIVE TO bridge_app
           USING (tenant_id = current_setting('app.current_tenant', true));",
    )
    .await;
    let o = audit(&demo).await;
    assert!(keyed(&o, "RLS006").is_empty(), "{:#?}", o.findings);
    assert!(keyed(&o, "RLS021").is_empty());
}

#[tokio::test]
async fn with_check_true_lets_writes_into_another_tenant() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(&demo, "CREATE POLICY open_insert ON chunks FOR INSERT TO bridge_app WITH CHECK (true);").await;
    let o = audit(&demo).await;
    assert_eq!(keyed(&o, "RLS007"), ["RLS007:public.chunks/open_insert/INSERT"]);
    assert!(keyed(&o, "RLS023").contains(&"RLS023:public.chunks/insert row for other tenant"), "{:#?}", o.findings);
}

#[tokio::test]
async fn update_policy_without_with_check_is_no_false_alarm() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        "DROP POLICY tenant_isolation ON chunks;
         CREATE POLICY sel ON chunks FOR SELECT TO bridge_app USING (tenant_id = current_setting('app.current_tenant', true));
         CREATE POLICY upd ON chunks FOR UPDATE TO bridge_app USING (tenant_id = current_setting('app.current_tenant', true));
         CREATE POLICY ins ON chunks FOR INSERT TO bridge_app;",
    )
    .await;
    let o = audit(&demo).await;
    assert!(keyed(&o, "RLS006").is_empty() && keyed(&o, "RLS007").is_empty(), "{:#?}", o.findings);
    assert!(keyed(&o, "RLS023").is_empty(), "the server agrees: {:#?}", o.findings);
}

#[tokio::test]
async fn definer_view_leaks_and_security_invoker_fixes_it() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        "CREATE VIEW all_documents AS SELECT * FROM documents; GRANT SELECT ON all_documents TO bridge_app;",
    )
    .await;
    let o = audit(&demo).await;
    assert!(has(&o, "RLS008", Status::Fail), "{:#?}", o.findings);
    assert!(keyed(&o, "RLS021").contains(&"RLS021:public.all_documents"));
    let f = o.findings.iter().find(|f| f.code == "RLS008").unwrap();
    assert_eq!(f.remedy.as_deref(), Some("ALTER VIEW public.all_documents SET (security_invoker = true);"));

    common::admin_exec(&demo, "ALTER VIEW all_documents SET (security_invoker = true);").await;
    let o = audit(&demo).await;
    assert!(keyed(&o, "RLS008").is_empty() && keyed(&o, "RLS021").is_empty(), "{:#?}", o.findings);
}

#[tokio::test]
async fn materialized_view_of_tenant_data_is_flagged() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(&demo, "CREATE MATERIALIZED VIEW doc_index AS SELECT tenant_id, id FROM documents; GRANT SELECT ON doc_index TO bridge_app;").await;
    let o = audit(&demo).await;
    assert_eq!(keyed(&o, "RLS009"), ["RLS009:public.doc_index"]);
    assert!(keyed(&o, "RLS021").contains(&"RLS021:public.doc_index"));
}

#[tokio::test]
async fn security_definer_function_owned_by_a_superuser_leaks() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        "CREATE FUNCTION all_usage() RETURNS SETOF usage_events LANGUAGE sql STABLE SECURITY DEFINER AS 'SELECT * FROM usage_events';
         CREATE FUNCTION my_usage() RETURNS SETOF usage_events LANGUAGE sql STABLE AS 'SELECT * FROM usage_events';",
    )
    .await;
    let o = audit(&demo).await;
    let f = o.findings.iter().find(|f| f.code == "RLS010").expect("RLS010");
    assert_eq!(f.key, "RLS010:all_usage()");
    assert!(f.detail.contains("search_path is mutable"), "{}", f.detail);
    assert!(keyed(&o, "RLS021").contains(&"RLS021:all_usage()"), "live: {:#?}", o.findings);
    assert!(!o.findings.iter().any(|f| f.key.contains("my_usage")));
}

#[tokio::test]
async fn partition_without_rls_is_reachable_directly() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        "CREATE TABLE events (tenant_id text NOT NULL, n int) PARTITION BY LIST (tenant_id);
         CREATE TABLE events_acme PARTITION OF events FOR VALUES IN ('acme');
         CREATE TABLE events_rest PARTITION OF events DEFAULT;
         INSERT INTO events SELECT id, 1 FROM tenants;
         ALTER TABLE events ENABLE ROW LEVEL SECURITY; ALTER TABLE events FORCE ROW LEVEL SECURITY;
         CREATE POLICY t ON events TO bridge_app USING (tenant_id = current_setting('app.current_tenant', true));
         ALTER TABLE events_rest ENABLE ROW LEVEL SECURITY; ALTER TABLE events_rest FORCE ROW LEVEL SECURITY;
         CREATE POLICY t ON events_rest TO bridge_app USING (tenant_id = current_setting('app.current_tenant', true));
         GRANT SELECT ON events, events_acme, events_rest TO bridge_app;",
    )
    .await;
    let o = audit(&demo).await;
    assert_eq!(keyed(&o, "RLS011"), ["RLS011:public.events_acme"], "{:#?}", o.findings);
    assert!(keyed(&o, "RLS021").contains(&"RLS021:public.events_acme"));
    assert!(!keyed(&o, "RLS021").contains(&"RLS021:public.events"), "the parent is isolated");
}

#[tokio::test]
async fn truncate_and_key_side_channels() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        "GRANT TRUNCATE ON documents TO bridge_app;
         CREATE UNIQUE INDEX documents_title_key ON documents (title);
         CREATE TABLE links (tenant_id text NOT NULL, title text REFERENCES documents (title));
         ALTER TABLE links ENABLE ROW LEVEL SECURITY; ALTER TABLE links FORCE ROW LEVEL SECURITY;
         CREATE POLICY t ON links TO bridge_app USING (tenant_id = current_setting('app.current_tenant', true));
         GRANT SELECT ON links TO bridge_app;",
    )
    .await;
    let o = audit(&demo).await;
    assert_eq!(keyed(&o, "RLS012"), ["RLS012:public.documents"]);
    assert!(keyed(&o, "RLS013").contains(&"RLS013:public.documents/documents_title_key"), "{:#?}", o.findings);
    assert_eq!(keyed(&o, "RLS014"), ["RLS014:public.links/links_title_fkey"]);
    assert!(has(&o, "RLS013", Status::Warn) && !has(&o, "RLS013", Status::Fail));
}

#[tokio::test]
async fn fail_open_policy_shows_rows_without_context() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        "DROP POLICY tenant_isolation ON chunks;
         CREATE POLICY open_when_unset ON chunks TO bridge_app
           USING (current_setting('app.current_tenant', true) IS NULL OR tenant_id = current_setting('app.current_tenant', true))
           WITH CHECK (tenant_id = current_setting('app.current_tenant', true));",
    )
    .await;
    let o = audit(&demo).await;
    assert!(keyed(&o, "RLS022").contains(&"RLS022:public.chunks"), "live: {:#?}", o.findings);
    assert!(keyed(&o, "RLS022").contains(&"RLS022:public.chunks/open_when_unset"), "static: {:#?}", o.findings);
    assert!(keyed(&o, "RLS021").is_empty());
}

#[tokio::test]
async fn role_default_tenant_is_flagged_and_opens_no_context_reads() {
    let demo = common::demo(Variant::Clean).await;
    let cfg = role(&demo, "dflt", "").await;
    let name = cfg.database.as_ref().unwrap().user().to_string();
    common::admin_exec(&demo, &format!("ALTER ROLE {name} SET app.current_tenant = 'acme';")).await;
    let o = audit_with(cfg).await;
    assert!(has(&o, "RLS015", Status::Fail), "{:#?}", o.findings);
    assert!(!keyed(&o, "RLS022").is_empty(), "a new session sees acme's rows");
}

#[tokio::test]
async fn wrong_tenant_setting_is_named_and_the_probe_is_inconclusive() {
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.tenancy.context.setting = "app.tenant".into();
    let o = audit_with(cfg).await;
    let f = o.findings.iter().find(|f| f.code == "RLS016").expect("RLS016");
    assert!(f.detail.contains("found they read app.current_tenant"), "{}", f.detail);
    assert!(f.remedy.as_deref().unwrap().contains("BRIDGE_TENANT_SETTING=app.current_tenant"));
    assert!(keyed(&o, "RLS025").contains(&"RLS025:context"), "{:#?}", o.findings);
    assert!(!has(&o, "RLS021", Status::Pass));
}

#[tokio::test]
async fn session_level_set_leaks_into_the_next_transaction() {
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.tenancy.context.template = Some("SET app.current_tenant = {tenant}".into());
    let o = audit_with(cfg).await;
    let f = o.findings.iter().find(|f| f.code == "RLS024").unwrap();
    assert_eq!(f.status, Status::Fail, "{f:?}");
    assert!(f.detail.contains("found `test-alpha` after the transaction that set it committed"), "{}", f.detail);
}

#[tokio::test]
async fn leakproof_user_function_warns() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        "CREATE FUNCTION tenant_eq(text, text) RETURNS bool LANGUAGE sql IMMUTABLE LEAKPROOF AS 'SELECT $1 = $2';",
    )
    .await;
    let o = audit(&demo).await;
    assert_eq!(keyed(&o, "RLS017"), ["RLS017:tenant_eq(text,text)"]);
}

#[tokio::test]
async fn unreadable_relation_is_reported_and_the_audit_goes_on() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(&demo, "REVOKE SELECT ON chunks FROM bridge_app;").await;
    let o = audit(&demo).await;
    assert_eq!(keyed(&o, "RLS026"), ["RLS026:public.chunks"]);
    assert!(has(&o, "RLS021", Status::Pass), "the other relations were still probed: {:#?}", o.findings);
}

#[tokio::test]
async fn a_tenant_without_rows_makes_the_probe_inconclusive_not_green() {
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.rls.probe_tenants = vec!["test-alpha".into(), "nobody".into()];
    let o = audit_with(cfg).await;
    assert!(keyed(&o, "RLS025").contains(&"RLS025:rows"), "{:#?}", o.findings);
    assert_eq!(o.status, CheckStatus::Warn);
}

#[tokio::test]
async fn the_audit_changes_no_data_even_when_writes_leak() {
    let demo = common::demo(Variant::Broken).await;
    let before = common::fingerprint(&demo.admin).await;
    let o = audit(&demo).await;
    assert!(keyed(&o, "RLS023").iter().any(|k| k.contains("delete other tenant's rows")), "the delete really ran");
    assert_eq!(before, common::fingerprint(&demo.admin).await);
}

#[tokio::test]
async fn server_going_away_mid_audit_is_an_error_not_a_hang() {
    use bridge_lib::demo::DemoCluster;
    let cluster = tokio::task::spawn_blocking(DemoCluster::start).await.unwrap().unwrap();
    let demo = Demo::create_in(cluster.clone(), "gone", Variant::Clean).await.unwrap();
    // make every read of documents slow, so the server is stopped while the probe runs
    common::admin_exec(
        &demo,
        "CREATE FUNCTION slow(text) RETURNS bool LANGUAGE sql AS 'SELECT pg_sleep(0.05) IS NOT NULL';
         CREATE POLICY slow ON documents AS RESTRICTIVE TO bridge_app USING (slow(tenant_id));",
    )
    .await;
    let cfg = demo.config();
    let started = std::time::Instant::now();
    let audit = tokio::spawn(async move { run_check(&cfg, CheckId::Rls).await });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || {
        let pid = std::fs::read_to_string(c.pg.socket_dir().join("data/postmaster.pid")).unwrap();
        let pid: i32 = pid.lines().next().unwrap().trim().parse().unwrap();
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGQUIT).unwrap();
    })
    .await
    .unwrap();
    let o = audit.await.unwrap();
    assert_eq!(o.status, CheckStatus::Error, "{o:#?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[tokio::test]
async fn a_tenant_column_that_does_not_exist_is_an_error_not_a_pass() {
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.tenancy.column = "org_id".into();
    let o = run_check(&cfg, CheckId::Rls).await;
    assert_eq!(o.status, CheckStatus::Error);
    let e = o.error.unwrap();
    assert!(e.contains("no table or view with column `org_id`") && e.contains("BRIDGE_TENANT_COLUMN"), "{e}");
}
