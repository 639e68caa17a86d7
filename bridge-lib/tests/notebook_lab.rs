//! The notebook as a lab (`bridge_lib::nb::lab`, `evidence`, `models`) against a real demo: the
//! same query as tenant A, B and no tenant; each planted flaw caught by its check and repaired
//! without a trace; planting refused outside the demo; the recap's four accomplishments and the
//! model selection read from the live data; no secret in any of it.

mod common;

use bridge_lib::config::DbTarget;
use bridge_lib::nb::{block_on, CheckId, CheckStatus, Env, Flaw, ModelPlan, Variant};

fn env_on(variant: Variant) -> Env {
    Env::on_demo(block_on(common::demo(variant)))
}

#[test]
fn the_same_query_shows_each_tenant_only_its_rows() {
    let env = env_on(Variant::Clean);
    let sql = "SELECT DISTINCT tenant_id FROM documents; SELECT count(*) AS n FROM chunks";
    let acme = env.sql_as("acme", sql).0;
    assert!(
        acme.contains("as tenant <code>acme</code>") && acme.contains(">acme<") && !acme.contains(">globex<"),
        "{acme}"
    );
    assert_eq!(acme.matches("<table>").count(), 2, "one table per statement: {acme}");
    let none = env.sql_as("", "SELECT count(*) AS n FROM documents").0;
    assert!(none.contains("with no tenant context") && none.contains(">0<"), "{none}");
    let side = env.compare(&["acme", "globex", ""], "SELECT DISTINCT tenant_id FROM documents").0;
    assert!(side.contains(">globex<") && side.contains("with no tenant context"), "{side}");
    let bad = env.sql_as("acme", "SELECT nope FROM documents").0;
    assert!(bad.contains("nope"), "a wrong query is shown, not raised: {bad}");
    let write = env.sql_as("acme", "DELETE FROM documents").0;
    assert!(write.contains("read-only"), "every lab query is read-only: {write}");
}

#[test]
fn each_planted_flaw_is_caught_and_repaired_without_a_trace() {
    let mut env = env_on(Variant::Clean);
    let admin = env.demo.as_ref().unwrap().admin.clone();
    let before = block_on(common::fingerprint(&admin));
    for flaw in [
        Flaw::OpenPolicy("documents"),
        Flaw::NoForce("usage_events"),
        Flaw::SessionContext,
        Flaw::InactiveTenant("test-beta"),
        Flaw::OverQuota("globex"),
    ] {
        let id = flaw.check();
        assert_eq!(env.check(id).status, CheckStatus::Pass, "{flaw:?}: the clean demo passes first");
        let planted = env.plant(flaw).0;
        assert!(planted.contains("planted:"), "{flaw:?}: {planted}");
        let o = env.check(id);
        assert_eq!(o.status, CheckStatus::Fail, "{flaw:?} is caught: {o:#?}");
        let repaired = env.repair(flaw).0;
        assert!(repaired.contains("repaired:"), "{flaw:?}: {repaired}");
        assert_eq!(env.check(id).status, CheckStatus::Pass, "{flaw:?} is repaired");
        assert!(env.self_check(id).0.contains("passes again"), "{flaw:?}");
    }
    // the cost flaw: the day goes and comes back, and the check (in this build, no polars: the
    // demo's ledger is in PostgreSQL and its bills are CSV/JSON) turns amber and green again
    assert!(env.runs_here(CheckId::Cost), "the demo's cost check needs no binary");
    let count = |env: &Env| env.sql_admin("SELECT count(*) AS n FROM usage_events").0;
    let all = count(&env);
    assert_eq!(env.check(CheckId::Cost).status, CheckStatus::Pass);
    env.plant(Flaw::DropUsageDay("2026-11-12"));
    assert_ne!(count(&env), all, "a day of usage is gone");
    let lost = env.check(CheckId::Cost);
    assert_eq!(lost.status, CheckStatus::Warn, "a lost day is about 3% of a month: {lost:#?}");
    env.repair(Flaw::DropUsageDay("2026-11-12"));
    assert_eq!(count(&env), all, "and back");
    assert_eq!(env.check(CheckId::Cost).status, CheckStatus::Pass);
    assert_eq!(env.config.capacity.snapshot, env.demo.as_ref().unwrap().capacity_config().snapshot);
    assert_eq!(env.config.tenancy.context.template, None);
    assert_eq!(block_on(common::fingerprint(&admin)), before, "nothing of the demo's data changed");
}

#[test]
fn repair_planted_undoes_whatever_was_planted() {
    let mut env = env_on(Variant::Clean);
    let admin = env.demo.as_ref().unwrap().admin.clone();
    let before = block_on(common::fingerprint(&admin));
    assert!(env.repair_planted().0.contains("nothing to repair"), "nothing planted yet");
    env.plant(Flaw::OpenPolicy("documents"));
    env.plant(Flaw::InactiveTenant("test-beta"));
    let again = env.plant(Flaw::OpenPolicy("documents")).0;
    assert!(again.contains("could not plant"), "the policy exists already: {again}");
    assert_eq!(env.planted, vec![Flaw::OpenPolicy("documents"), Flaw::InactiveTenant("test-beta")]);
    assert_eq!(env.check(CheckId::Rls).status, CheckStatus::Fail);
    assert_eq!(env.check(CheckId::Tenants).status, CheckStatus::Fail);
    let out = env.repair_planted().0;
    assert_eq!(out.matches("repaired:").count(), 2, "{out}");
    assert!(env.planted.is_empty());
    assert_eq!(env.check(CheckId::Rls).status, CheckStatus::Pass);
    assert_eq!(env.check(CheckId::Tenants).status, CheckStatus::Pass);
    assert_eq!(block_on(common::fingerprint(&admin)), before, "nothing of the demo's data changed");
    // a flaw repaired by name is no longer pending
    env.plant(Flaw::SessionContext);
    env.repair(Flaw::SessionContext);
    assert!(env.planted.is_empty() && env.repair_planted().0.contains("nothing to repair"));
}

#[test]
fn planting_is_refused_outside_the_demo() {
    let mut env = env_on(Variant::Clean);
    env.demo = None; // as if configured: the same database, no demo
    let before = format!("{:?}", env.config);
    for flaw in [Flaw::OpenPolicy("documents"), Flaw::SessionContext, Flaw::OverQuota("globex")] {
        let h = env.plant(flaw).0;
        assert!(h.contains("refused") && h.contains("only on the embedded demo"), "{h}");
    }
    assert!(env.admin_sql("DROP TABLE documents").0.contains("refused"));
    assert!(env.sql_admin("SELECT 1").0.contains("refused"));
    assert_eq!(format!("{:?}", env.config), before, "nothing changed");
    assert_eq!(env.check(CheckId::Rls).status, CheckStatus::Pass);
}

#[test]
fn an_exercise_fix_in_sql_restores_isolation() {
    let env_ = env_on(Variant::Clean);
    let mut env = env_;
    env.plant(Flaw::NoForce("usage_events"));
    assert!(env.admin_sql("-- your SQL here").0.contains("nothing to run"));
    assert!(env.self_check(CheckId::Rls).0.contains("not yet"));
    let fix = "ALTER TABLE usage_events OWNER TO bridge_owner; ALTER TABLE usage_events FORCE ROW LEVEL SECURITY; \
               GRANT SELECT, INSERT, UPDATE, DELETE ON usage_events TO bridge_app";
    assert!(env.admin_sql(fix).0.contains("ran on the demo"));
    assert!(env.self_check(CheckId::Rls).0.contains("passes again"));
}

#[test]
fn the_four_accomplishments_show_live_evidence() {
    let env = env_on(Variant::Broken);
    let h = env.accomplishments().0;
    for part in
        ["RLS forced", "tenant_isolation", "WITH CHECK", "namespace", "hooli", "orphan", "2026-11", "$", "decision"]
    {
        assert!(h.contains(part), "{part} missing: {h}");
    }
    assert!(h.contains("scale, move to tier enterprise"), "globex at 87% of pro scales up: {h}");
    assert!(h.contains("2,450,000"), "counts are formatted: {h}");
    let costs = env.tenant_costs().unwrap();
    assert_eq!(costs.len(), 6);
    assert!(costs.iter().all(|c| c.months.values().sum::<f64>() > 0.0), "{costs:#?}");
}

#[test]
fn model_selection_leaves_test_tenants_out_and_shows_the_arithmetic() {
    let env = env_on(Variant::Clean);
    let plan = ModelPlan::default();
    let s = block_on(bridge_lib::nb::models::selection(&env.config, &plan)).unwrap();
    assert_eq!(s.left_out, vec!["test-alpha", "test-beta", "test-gamma"]);
    assert_eq!(s.tenants.len(), 3);
    let acme = s.tenants.iter().find(|t| t.tenant == "acme").unwrap();
    assert_eq!(acme.model, "gpt-4");
    assert_eq!(acme.today_cost, acme.planned_cost, "enterprise keeps GPT-4");
    assert!(s.saving() > 0.0 && s.scaled_saving() > s.saving());
    let h = env.model_selection(&plan).0;
    for part in ["gpt-3.5-turbo", "claude-3-sonnet", "gpt-4", "$18,500/month", "1,000,000", "left out (test tenants)"] {
        assert!(h.contains(part), "{part} missing: {h}");
    }
    let bad = ModelPlan { today: "nope".into(), ..ModelPlan::default() };
    assert!(env.model_selection(&bad).0.contains("model `nope` has no price"));
}

#[test]
fn planted_secrets_never_show_in_the_lab() {
    const PW: &str = "planted-pw-lab-5e1b";
    let demo = block_on(common::demo(Variant::Clean));
    let wrong = DbTarget::parse(&common::url(&demo, "bridge_app", PW)).unwrap();
    let mut env = Env::on_demo(demo);
    env.config.database = Some(wrong);
    let shown = [
        env.sql_as("acme", "SELECT 1").0,
        env.compare(&["acme", ""], "SELECT 1").0,
        env.accomplishments().0,
        env.model_selection(&ModelPlan::default()).0,
        env.plant(Flaw::OverQuota("acme")).0,
    ];
    for text in &shown {
        assert!(!text.contains(PW), "a planted secret shows in: {text}");
    }
    assert!(shown[0].contains("password"), "the error says why: {}", shown[0]);
}

#[test]
fn lab_queries_that_end_their_transaction_change_nothing() {
    // was: `sql_as`, `sql` and `sql_admin` promise a read-only, rolled-back query, but ran the
    // text through the simple query protocol: a `COMMIT` in it ended the read-only transaction
    // and the statements after it ran in autocommit, writing to the database
    let env = env_on(Variant::Clean);
    let admin = env.demo.as_ref().unwrap().admin.clone();
    let before = block_on(common::fingerprint(&admin));
    let insert = "INSERT INTO documents (tenant_id, id, title, body) VALUES ('acme', 990001, 'x', 'y')";
    let sneaky = [
        format!("COMMIT; SELECT set_config('app.current_tenant', 'acme', false); {insert}"),
        format!("/* a /* nested */ comment */ COMMIT; SELECT set_config('app.current_tenant', 'acme', false); {insert}"),
        format!("SELECT date'\\'; COMMIT; SELECT set_config('app.current_tenant', 'acme', false); {insert}; SELECT '"),
        format!("END; SET default_transaction_read_only = off; SELECT set_config('app.current_tenant', 'acme', false); {insert}"),
        "DO $$ BEGIN COMMIT; END $$; CREATE TABLE lab_oops (x int)".to_string(),
    ];
    for sql in &sneaky {
        let out = env.sql_as("acme", sql).0;
        assert!(out.contains("read-only") || out.contains("transaction"), "{sql}: {out}");
        let out = env.sql_admin(&sql.replace(&insert.to_string(), "CREATE TABLE lab_oops (x int)")).0;
        assert!(out.contains("read-only") || out.contains("transaction"), "{sql}: {out}");
        let out = env.sql(sql).map(|h| h.0).unwrap_or_else(|e| e.to_string());
        assert!(out.contains("read-only") || out.contains("transaction"), "{sql}: {out}");
    }
    assert_eq!(block_on(common::fingerprint(&admin)), before, "a lab query changed the database");
}
