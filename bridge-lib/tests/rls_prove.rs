//! A probe that proves itself (issue #15): `bridge check --only rls --prove` plants mutants in
//! one transaction that is always rolled back, reports which the probe caught, names the blind
//! spots, and leaves every row and the catalog (policies, RLS and FORCE flags) as it was.

mod common;

use bridge_lib::demo::{Demo, Variant, APP_PASSWORD};
use serde_json::Value;

/// The rows of every table, and every table's RLS/FORCE flags, owner and policies.
async fn fingerprint(demo: &Demo) -> Vec<(String, String)> {
    let mut out = common::fingerprint(&demo.admin).await;
    let c = bridge_lib::db::connect(&demo.admin).await.expect("superuser connection");
    let rows = c
        .query(
            "SELECT format('table %s', c.oid::regclass),
                    format('rls=%s force=%s owner=%s', c.relrowsecurity, c.relforcerowsecurity, c.relowner::regrole)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             UNION ALL
             SELECT format('policy %s on %s', p.polname, p.polrelid::regclass),
                    format('%s %s %s %s %s', p.polpermissive, p.polcmd, p.polroles::regrole[],
                           pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
               FROM pg_policy p
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    out.extend(rows.iter().map(|r| (r.get(0), r.get(1))));
    out
}

/// The superuser over the cluster's unix socket.
fn admin_url(demo: &Demo) -> String {
    common::url(demo, "postgres", "x")
        .replace("host=127.0.0.1", &format!("host={}", demo.cluster().pg.socket_dir().display()))
}

/// `bridge check --only rls --prove --format json` as the application role; (exit code,
/// report, stderr).
fn prove(demo: &Demo, admin: Option<String>) -> (i32, Value, String) {
    let mut cmd = common::bridge_bin();
    cmd.args(["check", "--only", "rls", "--prove", "--format", "json"])
        .env("DATABASE_URL", common::url(demo, "bridge_app", APP_PASSWORD));
    if let Some(a) = admin {
        cmd.env("BRIDGE_ADMIN_DATABASE_URL", a);
    }
    let out = cmd.output().expect("run bridge");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr).into_owned());
    let report = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), report, stderr)
}

fn rls(report: &Value) -> &Value {
    report["checks"].as_array().unwrap().iter().find(|c| c["check"] == "rls").expect("the rls check ran")
}

/// (mutant, relation) → caught, for the planted mutants.
fn caught(report: &Value) -> Vec<(String, String, bool)> {
    let mutants = rls(report)["data"]["mutants"].as_array().unwrap_or_else(|| panic!("no mutants: {report}"));
    mutants
        .iter()
        .filter(|m| m.get("note").is_none())
        .map(|m| (m["mutant"].as_str().unwrap().into(), m["relation"].as_str().unwrap().into(), m["caught"] == true))
        .collect()
}

fn finding_keys(report: &Value, code: &str, status: &str) -> Vec<String> {
    rls(report)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code && f["status"] == status)
        .map(|f| f["key"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn prove_without_an_admin_url_is_refused_clearly() {
    let demo = common::demo(Variant::Clean).await;
    let (code, _, err) = prove(&demo, None);
    assert_eq!(code, 78, "{err}");
    assert!(err.contains("--prove needs BRIDGE_ADMIN_DATABASE_URL"), "{err}");
}

#[tokio::test]
async fn an_admin_role_that_cannot_become_the_app_role_is_refused_clearly() {
    let demo = common::demo(Variant::Clean).await;
    let name = format!("{}_outsider", demo.app.dbname());
    common::admin_exec(&demo, &format!("CREATE ROLE {name} LOGIN PASSWORD '{APP_PASSWORD}'")).await;
    let before = fingerprint(&demo).await;
    let (code, report, err) = prove(&demo, Some(common::url(&demo, &name, APP_PASSWORD)));
    // a configuration error found by the check (the admin role is not a member of the app
    // role): exit 78, as a configuration error found before the checks run
    assert_eq!(code, 78, "{err}");
    assert_eq!(rls(&report)["error_kind"], "config");
    let error = rls(&report)["error"].as_str().unwrap_or_default().to_string();
    assert!(error.contains(&format!("`{name}`, cannot SET ROLE `bridge_app`")), "{error}");
    assert!(error.contains(&format!("GRANT \"bridge_app\" TO \"{name}\"")), "{error}");
    assert_eq!(before, fingerprint(&demo).await);
}

#[tokio::test]
async fn clean_demo_every_mutant_is_caught_and_nothing_survives() {
    let demo = common::demo(Variant::Clean).await;
    let before = fingerprint(&demo).await;
    let (code, report, err) = prove(&demo, Some(admin_url(&demo)));
    assert_eq!(code, 0, "{err}\n{report}");
    let got = caught(&report);
    for table in ["public.documents", "public.chunks", "public.usage_events"] {
        for mutant in ["permissive-using-true", "rls-disabled"] {
            assert!(got.contains(&(mutant.into(), table.into(), true)), "{mutant} on {table}: {got:?}");
        }
    }
    assert!(got.contains(&("session-set".into(), "app.current_tenant".into(), true)), "{got:?}");
    assert_eq!(finding_keys(&report, "RLS050", "pass"), ["RLS050"]);
    assert_eq!(before, fingerprint(&demo).await, "--prove left a mutant or changed rows");
}

#[tokio::test]
async fn an_empty_table_is_a_blind_spot_and_force_off_is_planted_where_the_app_owns() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        "CREATE TABLE drafts (tenant_id text NOT NULL REFERENCES tenants (id), body text);
         ALTER TABLE drafts ENABLE ROW LEVEL SECURITY; ALTER TABLE drafts FORCE ROW LEVEL SECURITY;
         CREATE POLICY tenant_isolation ON drafts TO bridge_app
           USING (tenant_id = current_setting('app.current_tenant', true))
           WITH CHECK (tenant_id = current_setting('app.current_tenant', true));
         GRANT SELECT, INSERT, UPDATE, DELETE ON drafts TO bridge_app;
         ALTER TABLE documents OWNER TO bridge_app;",
    )
    .await;
    let before = fingerprint(&demo).await;
    let (_, report, err) = prove(&demo, Some(admin_url(&demo)));
    let got = caught(&report);
    assert!(got.contains(&("permissive-using-true".into(), "public.drafts".into(), false)), "{err}\n{got:?}");
    assert!(got.contains(&("force-off".into(), "public.documents".into(), true)), "{got:?}");
    assert_eq!(finding_keys(&report, "RLS050", "warn"), ["RLS050:public.drafts/permissive-using-true"]);
    assert_eq!(before, fingerprint(&demo).await, "--prove left a mutant or changed rows");
}

#[tokio::test]
async fn broken_demo_nothing_survives_where_the_probe_leaks() {
    let demo = common::demo(Variant::Broken).await;
    let before = fingerprint(&demo).await;
    let (code, report, err) = prove(&demo, Some(admin_url(&demo)));
    assert_eq!(code, 1, "{err}\n{report}");
    assert!(!caught(&report).is_empty(), "{report}");
    assert_eq!(before, fingerprint(&demo).await, "--prove left a mutant or changed rows");
}

#[tokio::test]
async fn a_context_statement_that_commits_stops_prove_before_anything_is_planted() {
    use bridge_lib::checks::rls::{catalog, prove};
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.tenancy.context.template = Some("SELECT set_config('app.current_tenant', {tenant}, true); COMMIT".into());
    let client = bridge_lib::db::connect(&demo.app).await.unwrap();
    let cat = catalog::read(&client, &cfg).await.unwrap();
    let before = fingerprint(&demo).await;
    let err = prove::run(&cfg, &cat, &["acme".into(), "globex".into()]).await.unwrap_err().to_string();
    // refused before anything runs: the template is checked as it is read (one statement, no
    // transaction control), ahead of prove's own check that its transaction is still open
    assert!(err.contains("ended the transaction") && err.contains("nothing was run"), "{err}");
    assert_eq!(before, fingerprint(&demo).await);
}
