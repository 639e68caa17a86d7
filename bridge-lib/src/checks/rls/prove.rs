//! `bridge check --prove`: a probe that proves itself. A `pass` can be vacuous (the probe may
//! simply not reach a flaw), so this plants known flaws (mutants) in the user's real schema and
//! re-runs the live probe's reads and writes under each one, reporting which it caught.
//!
//! Everything is planted through the privileged connection (`BRIDGE_ADMIN_DATABASE_URL`) inside
//! ONE transaction that is always rolled back, one mutant at a time under a savepoint:
//! - on each tenant table the application reads: a permissive `USING (true)` policy for the
//!   application role (`permissive-using-true`); RLS disabled where it is on (`rls-disabled`);
//!   FORCE off where it is on and the application role owns the table or can become its owner
//!   (`force-off`);
//! - after planting, `SET LOCAL ROLE <app>`, the probe's steps 1–4 ([`probe::observe`]) on that
//!   table alone, `RESET ROLE`, `ROLLBACK TO SAVEPOINT` (which also releases the mutant's
//!   locks);
//! - on the context (`session-set`): the context set with a session-level
//!   `set_config(…, false)` instead of a transaction-local one, then the probe's
//!   context-after-commit step on a fresh connection of the application role (it only sets and
//!   reads a setting, in read-only transactions; a commit is what it tests, so it cannot run in
//!   the rolled-back transaction).
//!
//! A mutant is caught when the live rules fail on its relation (or RLS024 fails for the
//! context). The transaction sets `lock_timeout` and `statement_timeout`; the DDL takes ACCESS
//! EXCLUSIVE locks on each table for the length of its probe, so run it against staging.
//! Afterwards the catalog is read again: a policy or RLS flag that did not come back as it was
//! is an error naming the SQL that undoes it.

use super::catalog::{Catalog, Relation};
use super::probe;
use super::repro::literal;
use crate::config::Config;
use crate::db::{self, quote_ident};
use crate::finding::Status;
use crate::{Error, Result};
use tokio_postgres::Client;

/// How long a mutant's DDL waits for its table's lock before it is reported as not planted.
pub const LOCK_TIMEOUT: &str = "2s";
/// The longest any statement of the proving transaction may run.
pub const STATEMENT_TIMEOUT: &str = "30s";
/// The name of the planted policy.
pub const MUTANT_POLICY: &str = "bridge_prove_mutant";

/// One planted flaw and whether the probe caught it.
pub use crate::report::data::MutantData as Mutant;

impl Mutant {
    /// Planted and probed (a mutant with a note was not).
    pub fn planted(&self) -> bool {
        self.note.is_none()
    }
}

/// The table mutants for `r`: (name, DDL).
pub fn table_mutants(r: &Relation, app: &str) -> Vec<(&'static str, String)> {
    let t = &r.name;
    let mut out = vec![(
        "permissive-using-true",
        format!(
            "CREATE POLICY {MUTANT_POLICY} ON {t} AS PERMISSIVE FOR ALL TO {} USING (true) WITH CHECK (true)",
            quote_ident(app)
        ),
    )];
    if r.rls {
        out.push(("rls-disabled", format!("ALTER TABLE {t} DISABLE ROW LEVEL SECURITY")));
    }
    if r.force && (r.app_has_owner_privs || r.app_can_become_owner) {
        out.push(("force-off", format!("ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY")));
    }
    out
}

/// The tables mutants are planted on: tenant tables the application role can read.
fn targets(cat: &Catalog) -> Vec<&Relation> {
    cat.relations.iter().filter(|r| r.is_table() && r.select).collect()
}

async fn exec(client: &Client, sql: &str, what: &str) -> Result<()> {
    client.batch_execute(sql).await.map_err(|e| Error::query(what, &e))
}

/// Plants every mutant in turn and reports which the probe caught. Needs
/// `BRIDGE_ADMIN_DATABASE_URL` (refused without it) whose role can `SET ROLE` to the
/// application role; changes nothing (checked afterwards).
pub async fn run(cfg: &Config, cat: &Catalog, tenants: &[String]) -> Result<Vec<Mutant>> {
    let target = cfg.admin_database.as_ref().ok_or_else(|| {
        Error::config(
            "--prove needs BRIDGE_ADMIN_DATABASE_URL: it plants mutants (policies, RLS flags) as a privileged role",
            "set BRIDGE_ADMIN_DATABASE_URL to a role that owns the tenant tables (or a superuser) and is a member of \
             the application role, on a staging copy: the mutants take ACCESS EXCLUSIVE locks while they are probed",
        )
    })?;
    let app = cat.role.name.clone();
    if cat.role.bypasses() {
        // every table leaks already and RLS025 says the probe is inconclusive: nothing to prove
        return Ok(Vec::new());
    }
    let admin = db::connect(target).await?;
    can_become(&admin, &app).await?;
    let before = catalog_state(&admin, cat).await?;
    let result = mutate_and_probe(&admin, cfg, cat, tenants, &app).await;
    // always rolled back, also when a step failed (the connection is dropped on any error)
    let rollback = admin.batch_execute("ROLLBACK").await;
    let after = catalog_state(&admin, cat).await?;
    if before != after {
        return Err(Error::Query {
            context: "checking that --prove left the schema as it was".into(),
            reason: format!(
                "the policies or RLS flags differ after the rollback: before {before:?}, after {after:?}; drop any policy \
                 named {MUTANT_POLICY} and restore ENABLE/FORCE ROW LEVEL SECURITY as before"
            ),
        });
    }
    rollback.map_err(|e| Error::query("rolling back the proving transaction", &e))?;
    let mut mutants = result?;
    mutants.push(session_set(cfg, cat, tenants).await?);
    Ok(mutants)
}

/// The admin connection's role must be able to act as the application role.
async fn can_become(admin: &Client, app: &str) -> Result<()> {
    let row = admin
        .query_one(
            "SELECT current_user::text, coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false) \
                    OR pg_has_role(current_user, $1::text, 'MEMBER')",
            &[&app],
        )
        .await
        .map_err(|e| Error::query(format!("checking that the admin role can SET ROLE {app}"), &e))?;
    let (user, ok): (String, bool) = (row.get(0), row.get(1));
    if ok {
        Ok(())
    } else {
        Err(Error::config(
            format!("--prove: the role of BRIDGE_ADMIN_DATABASE_URL, `{user}`, cannot SET ROLE `{app}` (not a superuser, not a member)"),
            format!("GRANT {} TO {};  -- or connect BRIDGE_ADMIN_DATABASE_URL as a superuser", quote_ident(app), quote_ident(&user)),
        ))
    }
}

/// Every tenant table's RLS and FORCE flags and policy names, sorted: equal before and after.
async fn catalog_state(admin: &Client, cat: &Catalog) -> Result<Vec<String>> {
    let names: Vec<String> = targets(cat).iter().map(|r| r.name.clone()).collect();
    let rows = admin
        .query(
            "SELECT format('%s rls=%s force=%s policies=%s', t, c.relrowsecurity, c.relforcerowsecurity,
                    (SELECT coalesce(string_agg(p.polname, ',' ORDER BY p.polname), '') FROM pg_policy p WHERE p.polrelid = c.oid))
               FROM unnest($1::text[]) t JOIN pg_class c ON c.oid = t::regclass ORDER BY 1",
            &[&names],
        )
        .await
        .map_err(|e| Error::query("reading the tenant tables' policies and RLS flags", &e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// The proving transaction: timeouts, the context statement checked, then each table mutant
/// planted, probed and rolled back to its savepoint. The caller rolls the transaction back.
async fn mutate_and_probe(
    admin: &Client,
    cfg: &Config,
    cat: &Catalog,
    tenants: &[String],
    app: &str,
) -> Result<Vec<Mutant>> {
    exec(
        admin,
        &format!(
            "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'; \
             SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'; SET LOCAL standard_conforming_strings = on; \
             SET LOCAL bridge.prove = 'open'"
        ),
        "starting the proving transaction",
    )
    .await?;
    let role = quote_ident(app);
    context_keeps_transaction(admin, cfg, tenants, &role).await?;
    let mut out = Vec::new();
    for r in targets(cat) {
        let one = Catalog { relations: vec![r.clone()], definers: Vec::new(), ..cat.clone() };
        for (name, ddl) in table_mutants(r, app) {
            exec(admin, "SAVEPOINT bridge_mutant", "creating the mutant's savepoint").await?;
            let outcome = match admin.batch_execute(&ddl).await {
                Err(e) => Err(format!("not planted: {}", crate::error::describe_pg_error(&e))),
                Ok(()) => {
                    let probed = async {
                        exec(admin, &format!("SET LOCAL ROLE {role}"), "switching to the application role").await?;
                        let xid = probe::transaction_id(admin).await?;
                        let obs = probe::observe(admin, cfg, &one, tenants.to_vec(), xid).await?;
                        exec(admin, "RESET ROLE", "switching back from the application role").await?;
                        Ok::<_, Error>(obs)
                    };
                    probed.await.map_err(|e| format!("not probed: {e}"))
                }
            };
            exec(
                admin,
                "ROLLBACK TO SAVEPOINT bridge_mutant; RELEASE SAVEPOINT bridge_mutant",
                "rolling back a mutant",
            )
            .await?;
            still_open(admin).await?;
            out.push(match outcome {
                Ok(obs) => Mutant {
                    mutant: name.into(),
                    relation: r.name.clone(),
                    caught: leaks_on(cfg, &one, &obs, &r.name),
                    note: None,
                },
                Err(note) => Mutant { mutant: name.into(), relation: r.name.clone(), caught: false, note: Some(note) },
            });
        }
    }
    Ok(out)
}

/// The live rules fail on `relation` (its key names it, alone or before `/`).
fn leaks_on(cfg: &Config, one: &Catalog, obs: &probe::Observations, relation: &str) -> bool {
    super::evaluate_live(cfg, one, obs).iter().any(|f| {
        f.status == Status::Fail
            && f.key.split_once(':').is_some_and(|(_, o)| o == relation || o.starts_with(&format!("{relation}/")))
    })
}

/// Runs the application's context statement for every probe tenant as the application role and
/// checks the transaction is still the same one: a statement that commits would commit the
/// mutants, so nothing is planted unless this holds.
async fn context_keeps_transaction(admin: &Client, cfg: &Config, tenants: &[String], role: &str) -> Result<()> {
    exec(admin, &format!("SAVEPOINT bridge_context; SET LOCAL ROLE {role}"), "checking the context statement").await?;
    for t in tenants {
        cfg.tenancy.context.set(admin, t).await?;
        still_open(admin).await?;
    }
    exec(
        admin,
        "ROLLBACK TO SAVEPOINT bridge_context; RELEASE SAVEPOINT bridge_context",
        "checking the context statement",
    )
    .await
}

/// The proving transaction is still open (its marker setting is still there).
async fn still_open(admin: &Client) -> Result<()> {
    let row = admin
        .query_one("SELECT current_setting('bridge.prove', true)", &[])
        .await
        .map_err(|e| Error::query("checking the proving transaction", &e))?;
    match row.get::<_, Option<String>>(0).as_deref() {
        Some("open") => Ok(()),
        _ => Err(Error::Query {
            context: "checking the proving transaction".into(),
            reason:
                "the transaction ended early (the tenant context statement commits or rolls back): --prove stopped \
                     before planting anything more; fix BRIDGE_TENANT_CONTEXT_SQL"
                    .into(),
        }),
    }
}

/// The `session-set` mutant: the context set for the session instead of the transaction; the
/// probe's context-after-commit step on a fresh connection of the application role.
async fn session_set(cfg: &Config, cat: &Catalog, tenants: &[String]) -> Result<Mutant> {
    let setting = cfg.tenancy.context.setting.clone();
    let mut mutant = Mutant { mutant: "session-set".into(), relation: setting.clone(), caught: false, note: None };
    let (Some(first), Some(target)) = (tenants.first(), cfg.database.as_ref()) else {
        mutant.note = Some("not probed: no probe tenant".into());
        return Ok(mutant);
    };
    let mut session = cfg.clone();
    session.tenancy.context.template = Some(format!("SELECT set_config({}, {{tenant}}, false)", literal(&setting)));
    let client = db::connect(target).await?;
    let readable: Vec<&Relation> = cat.relations.iter().filter(|r| r.select).collect();
    let mut obs = probe::Observations { tenants: tenants.to_vec(), ..Default::default() };
    probe::context_after_commit(&client, &session, &readable, first, &mut obs).await?;
    mutant.caught = super::rules::context_leak::context_leak(&session, &obs).is_some_and(|f| f.status == Status::Fail);
    Ok(mutant)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::rls::rules::fixtures;

    #[test]
    fn every_table_gets_the_mutants_that_change_something() {
        let mut r = fixtures::table("docs");
        let names = |r: &Relation| table_mutants(r, "app").into_iter().map(|(n, _)| n).collect::<Vec<_>>();
        assert_eq!(names(&r), ["permissive-using-true", "rls-disabled"]);
        r.app_has_owner_privs = true;
        assert_eq!(names(&r), ["permissive-using-true", "rls-disabled", "force-off"]);
        r.rls = false;
        r.force = false;
        assert_eq!(names(&r), ["permissive-using-true"]);
        assert_eq!(
            table_mutants(&r, "app")[0].1,
            "CREATE POLICY bridge_prove_mutant ON public.docs AS PERMISSIVE FOR ALL TO \"app\" USING (true) WITH CHECK (true)"
        );
    }

    #[test]
    fn a_mutant_is_caught_by_a_failing_live_rule_on_its_relation() {
        let (cfg, cat) = (fixtures::cfg(), fixtures::catalog());
        let mut obs = fixtures::observations();
        assert!(!leaks_on(&cfg, &cat, &obs, fixtures::DOCS));
        obs.reads.get_mut("a").unwrap().insert(fixtures::DOCS.into(), fixtures::count(2, 2));
        assert!(leaks_on(&cfg, &cat, &obs, fixtures::DOCS));
        assert!(!leaks_on(&cfg, &cat, &obs, "public.other"));
    }
}
