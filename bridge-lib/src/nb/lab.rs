//! The notebook as a lab: look at the mechanism a check relies on (the same query as tenant A,
//! as tenant B and with no tenant context), plant one known flaw in the demo and watch the check
//! catch it, repair it, and check an exercise.
//!
//! Planting changes the demo's database (as its superuser) or this notebook's configuration, and
//! is refused outside the embedded demo: a lab never touches a configured database. Every query
//! a learner runs here is read-only and rolled back.

use super::{block_on, CheckId, CheckOutcome, CheckStatus, Env, Html};
use crate::db::{quote_literal, quote_qualified};
use crate::render::html::{badge, esc, warning};
use crate::{Error, Result};
use std::fmt::Write;
use tokio_postgres::SimpleQueryMessage;

/// A flaw the lab can plant in the demo, one check's worth each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// RLS: a permissive `USING (true)` policy named `lab_open` on this table. Permissive
    /// policies are OR-ed, so it opens every tenant's rows to every tenant.
    OpenPolicy(&'static str),
    /// RLS: the application role owns this table and FORCE is off, so the owner bypasses every
    /// policy on it.
    NoForce(&'static str),
    /// RLS: the application sets the tenant with a session-level `SET` instead of
    /// `set_config(…, true)`, so a pooled connection carries the last tenant into the next request
    /// (a configuration change only; nothing in the database).
    SessionContext,
    /// Tenants: this test tenant is deactivated.
    InactiveTenant(&'static str),
    /// Capacity: this tenant's namespace is pushed to 110% of its tier's quota, in a copy of the
    /// demo's index snapshot that the capacity check then reads.
    OverQuota(&'static str),
    /// Cost: this day's usage events (`YYYY-MM-DD`) go missing from the ledger; they are kept
    /// aside in `bridge_lab.usage_stash` (invisible to the application) until the repair puts
    /// them back and drops it.
    DropUsageDay(&'static str),
}

impl Flaw {
    /// The check that should catch it.
    pub fn check(self) -> CheckId {
        match self {
            Flaw::OpenPolicy(_) | Flaw::NoForce(_) | Flaw::SessionContext => CheckId::Rls,
            Flaw::InactiveTenant(_) => CheckId::Tenants,
            Flaw::OverQuota(_) => CheckId::Capacity,
            Flaw::DropUsageDay(_) => CheckId::Cost,
        }
    }

    /// What planting it does, in a sentence.
    pub fn describe(self) -> String {
        match self {
            Flaw::OpenPolicy(t) => format!("a permissive policy `lab_open` on {t} with USING (true)"),
            Flaw::NoForce(t) => format!("{t} owned by the application role, FORCE ROW LEVEL SECURITY off"),
            Flaw::SessionContext => "the tenant context set with a session-level SET".into(),
            Flaw::InactiveTenant(t) => format!("test tenant {t} deactivated"),
            Flaw::OverQuota(t) => format!("the namespace of {t} at 110% of its quota (in a snapshot copy)"),
            Flaw::DropUsageDay(d) => format!("the usage events of {d} dropped from the ledger"),
        }
    }
}

/// The session-level context statement [`Flaw::SessionContext`] configures.
const SESSION_SET: &str = "SET app.current_tenant = {tenant}";

impl Env {
    /// Runs `sql` (one or more statements) read-only on the application's connection, under
    /// `tenant`'s context (`""`: no tenant context), and shows one table per statement. The
    /// transaction is rolled back. A problem is shown in the output, not raised.
    pub fn sql_as(&self, tenant: &str, sql: &str) -> Html {
        let heading = if tenant.is_empty() {
            "with no tenant context".to_string()
        } else {
            format!("as tenant <code>{}</code>", esc(tenant))
        };
        let run = || -> Result<Vec<SimpleQueryMessage>> {
            let target = self.config.database.clone().ok_or_else(|| {
                Error::config("DATABASE_URL is not set", "set it to the application's connection, or use the demo")
            })?;
            let (cfg, tenant, sql) = (self.config.clone(), tenant.to_string(), sql.to_string());
            block_on(async move {
                let mut c = crate::db::connect(&target).await?;
                let tx = crate::db::read_only_session(&mut c).await?;
                if !tenant.is_empty() {
                    cfg.tenancy.context.set(&tx, &tenant).await?;
                }
                let rows = crate::db::run_typed_sql(&tx, &sql).await?;
                let _ = tx.rollback().await;
                Ok(rows)
            })
        };
        Html(match run() {
            Ok(rows) => format!("<p><b>{heading}</b></p>{}", statement_tables(&rows)),
            Err(e) => format!("<p><b>{heading}</b></p>{}", warning(&self.config.scrub(&e.to_string()))),
        })
    }

    /// The same query as each of `tenants` (`""`: no tenant context), side by side: what the
    /// policies let each one see.
    pub fn compare(&self, tenants: &[&str], sql: &str) -> Html {
        let mut h = format!("<pre>{}</pre><div style=\"display:flex;gap:2em;flex-wrap:wrap\">", esc(sql.trim()));
        for t in tenants {
            let _ = write!(h, "<div>{}</div>", self.sql_as(t, sql).0);
        }
        h.push_str("</div>");
        Html(h)
    }

    /// Runs `sql` read-only as the demo's superuser (no row-level security): the whole ledger
    /// as a billing job sees it. Refused outside the demo.
    pub fn sql_admin(&self, sql: &str) -> Html {
        let Some(demo) = &self.demo else { return Html(refused("reading as the superuser")) };
        let (target, sql) = (demo.admin.clone(), sql.to_string());
        let out = block_on(async move {
            let mut c = crate::db::connect(&target).await?;
            let tx = crate::db::read_only_session(&mut c).await?;
            let rows = crate::db::run_typed_sql(&tx, &sql).await?;
            let _ = tx.rollback().await;
            Ok::<_, Error>(rows)
        });
        Html(match out {
            Ok(rows) => statement_tables(&rows),
            Err(e) => warning(&e.to_string()),
        })
    }

    /// Changes the demo as its superuser (for an exercise: a policy, FORCE, a grant). Refused
    /// outside the demo. Shows what happened.
    pub fn admin_sql(&self, sql: &str) -> Html {
        let Some(demo) = &self.demo else { return Html(refused("changing the database")) };
        if sql.trim().is_empty() || sql.trim_start().starts_with("--") && !sql.contains('\n') {
            return Html(warning("nothing to run: write your SQL in the string"));
        }
        match block_on(admin_batch(demo.admin.clone(), sql.to_string())) {
            Ok(()) => Html(format!("<p>ran on the demo as its superuser:</p><pre>{}</pre>", esc(sql.trim()))),
            Err(e) => Html(warning(&e.to_string())),
        }
    }

    /// Plants `flaw` in the demo. Refused outside the demo, with the reason.
    pub fn plant(&mut self, flaw: Flaw) -> Html {
        self.lab_step(flaw, true)
    }

    /// Undoes [`Env::plant`] for `flaw`.
    pub fn repair(&mut self, flaw: Flaw) -> Html {
        self.lab_step(flaw, false)
    }

    /// Undoes every flaw planted and not yet repaired, newest first: the "Break it" cell's
    /// repair, whichever flaw that cell planted (edit the flaw in one cell, not two).
    pub fn repair_planted(&mut self) -> Html {
        if self.planted.is_empty() {
            return Html(warning("nothing to repair: no flaw is planted (run the cell that plants one first)"));
        }
        let mut out = Html(String::new());
        while let Some(flaw) = self.planted.last().copied() {
            let step = self.repair(flaw);
            let stuck = self.planted.last() == Some(&flaw);
            out = out.then(step);
            if stuck {
                // the repair failed and said why; stop rather than loop
                break;
            }
        }
        out
    }

    fn lab_step(&mut self, flaw: Flaw, plant: bool) -> Html {
        let verb = if plant { "planted" } else { "repaired" };
        if self.demo.is_none() {
            return Html(refused(&format!("planting a flaw ({})", flaw.describe())));
        }
        match self.apply(flaw, plant) {
            Ok(()) => {
                self.planted.retain(|f| *f != flaw);
                if plant {
                    self.planted.push(flaw);
                }
                Html(format!(
                    "<p>{} {}; the {} check should now {}</p>",
                    badge(if plant { "fail" } else { "pass" }),
                    esc(&format!("{verb}: {}", flaw.describe())),
                    flaw.check(),
                    if plant { "catch it" } else { "pass again" }
                ))
            }
            Err(e) => Html(warning(&format!("could not {}: {e}", if plant { "plant it" } else { "repair it" }))),
        }
    }

    fn apply(&mut self, flaw: Flaw, plant: bool) -> Result<()> {
        let demo = self.demo.clone().ok_or_else(|| Error::demo("no demo", "use the demo"))?;
        let sql = match flaw {
            Flaw::SessionContext => {
                self.config.tenancy.context.template = plant.then(|| SESSION_SET.to_string());
                return Ok(());
            }
            Flaw::OverQuota(tenant) => return self.over_quota(tenant, plant),
            Flaw::OpenPolicy(t) if plant => format!("CREATE POLICY lab_open ON {} TO bridge_app USING (true)", q(t)),
            Flaw::OpenPolicy(t) => format!("DROP POLICY IF EXISTS lab_open ON {}", q(t)),
            Flaw::NoForce(t) if plant => {
                format!("ALTER TABLE {0} NO FORCE ROW LEVEL SECURITY; ALTER TABLE {0} OWNER TO bridge_app", q(t))
            }
            // handing the table back moves the app's grants to the owner: grant them again
            Flaw::NoForce(t) => format!(
                "ALTER TABLE {0} OWNER TO bridge_owner; ALTER TABLE {0} FORCE ROW LEVEL SECURITY; \
                 GRANT SELECT, INSERT, UPDATE, DELETE ON {0} TO bridge_app",
                q(t)
            ),
            Flaw::InactiveTenant(t) => format!(
                "UPDATE {} SET active = {} WHERE id = {}",
                self.config.tenancy.table_sql(),
                !plant,
                quote_literal(t)
            ),
            Flaw::DropUsageDay(day) if plant => {
                let d = quote_literal(day);
                format!(
                    "CREATE SCHEMA IF NOT EXISTS bridge_lab;
                     CREATE TABLE IF NOT EXISTS bridge_lab.usage_stash (LIKE public.usage_events);
                     WITH gone AS (DELETE FROM public.usage_events
                                    WHERE occurred_at >= {d}::date AND occurred_at < {d}::date + 1 RETURNING *)
                     INSERT INTO bridge_lab.usage_stash SELECT * FROM gone;"
                )
            }
            Flaw::DropUsageDay(_) => "DO $$ BEGIN
                   IF to_regclass('bridge_lab.usage_stash') IS NOT NULL THEN
                     INSERT INTO public.usage_events SELECT * FROM bridge_lab.usage_stash ON CONFLICT DO NOTHING;
                   END IF; END $$;
                 DROP SCHEMA IF EXISTS bridge_lab CASCADE;"
                .to_string(),
        };
        block_on(admin_batch(demo.admin.clone(), sql))
    }

    /// Points the capacity check at a copy of the demo's snapshot with `tenant`'s namespace at
    /// 110% of its quota, or back at the demo's own snapshot.
    fn over_quota(&mut self, tenant: &str, plant: bool) -> Result<()> {
        let demo = self.demo.clone().ok_or_else(|| Error::demo("no demo", "use the demo"))?;
        let original = demo.capacity_config().snapshot;
        if !plant {
            if let Some(p) = self.config.capacity.snapshot.take().filter(|p| Some(p) != original.as_ref()) {
                let _ = std::fs::remove_file(p);
            }
            self.config.capacity.snapshot = original;
            return Ok(());
        }
        let src = original.ok_or_else(|| Error::demo("the demo has no snapshot", "use the demo"))?;
        let tier = self.tier_of(tenant)?;
        let quota = *self.config.capacity.tier_quotas.get(&tier).ok_or_else(|| {
            Error::config(format!("tier {tier} has no quota"), "add it to env.config.capacity.tier_quotas")
        })?;
        let text = std::fs::read_to_string(&src)
            .map_err(|e| Error::demo(format!("reading {}: {e}", src.display()), "run it again"))?;
        let mut v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::demo(format!("{}: {e}", src.display()), "restore the file"))?;
        let ns = format!("{}{tenant}", self.config.capacity.namespace_prefix);
        v["namespaces"][ns.as_str()]["vectorCount"] = serde_json::json!(quota + quota / 10);
        let dst = std::env::temp_dir().join(format!("bridge-lab-snapshot-{}.json", std::process::id()));
        std::fs::write(&dst, v.to_string())
            .map_err(|e| Error::demo(format!("writing {}: {e}", dst.display()), "check the temporary folder"))?;
        self.config.capacity.snapshot = Some(dst);
        Ok(())
    }

    fn tier_of(&self, tenant: &str) -> Result<String> {
        let target =
            self.config.database.clone().ok_or_else(|| Error::config("DATABASE_URL is not set", "use the demo"))?;
        let sql = format!("SELECT tier::text FROM {} WHERE id::text = $1", self.config.tenancy.table_sql());
        let tenant = tenant.to_string();
        block_on(async move {
            let c = crate::db::connect(&target).await?;
            let rows = c.query(&sql, &[&tenant]).await.map_err(|e| Error::query("reading the tenant's tier", &e))?;
            rows.first()
                .map(|r| r.get::<_, String>(0))
                .ok_or_else(|| Error::config(format!("no tenant `{tenant}`"), "use a tenant id from the recap's table"))
        })
    }

    /// An exercise's self-check: runs `id` and says whether it passes, naming what still fails.
    pub fn self_check(&self, id: CheckId) -> Html {
        let o: CheckOutcome = self.check(id);
        Html(self_check_html(&o))
    }
}

/// The self-check line for an outcome.
pub fn self_check_html(o: &CheckOutcome) -> String {
    let mut failing: Vec<String> = o
        .findings
        .iter()
        .filter(|f| matches!(f.effective_status(), crate::finding::Status::Fail))
        .map(|f| format!("{} {}", f.code, f.name))
        .collect();
    failing.dedup();
    match o.status {
        CheckStatus::Pass | CheckStatus::Warn | CheckStatus::Skip if failing.is_empty() => {
            format!("<p>{} self-check: the {} check passes again ({})</p>", badge("pass"), o.check, o.status.as_str())
        }
        _ => format!(
            "<p>{} self-check: not yet, the {} check still says {}: {}</p>",
            badge("fail"),
            o.check,
            o.status.as_str(),
            esc(&if failing.is_empty() { o.error.clone().unwrap_or_default() } else { failing.join(", ") })
        ),
    }
}

fn q(table: &str) -> String {
    quote_qualified(table)
}

fn refused(what: &str) -> String {
    warning(&format!(
        "refused: {what} works only on the embedded demo, never on a configured database; \
         start one with `let mut env: Env = Env::demo(Variant::Clean).expect(\"the demo\");` to try it"
    ))
}

async fn admin_batch(target: crate::config::DbTarget, sql: String) -> Result<()> {
    let c = crate::db::connect(&target).await?;
    c.batch_execute(&sql).await.map_err(|e| Error::query("changing the demo", &e))
}

/// One table per statement of a simple-query result (a statement without rows shows its
/// command tag's row count).
pub fn statement_tables(msgs: &[SimpleQueryMessage]) -> String {
    let mut h = String::new();
    let mut open = false;
    for m in msgs {
        match m {
            SimpleQueryMessage::RowDescription(cols) => {
                h.push_str("<table><thead><tr>");
                for c in cols.iter() {
                    let _ = write!(h, "<th style=\"text-align:left\">{}</th>", esc(c.name()));
                }
                h.push_str("</tr></thead><tbody>");
                open = true;
            }
            SimpleQueryMessage::Row(r) => {
                h.push_str("<tr>");
                for i in 0..r.len() {
                    let _ = write!(h, "<td style=\"text-align:left\">{}</td>", esc(r.get(i).unwrap_or("NULL")));
                }
                h.push_str("</tr>");
            }
            SimpleQueryMessage::CommandComplete(n) => {
                if open {
                    h.push_str("</tbody></table>");
                    open = false;
                } else {
                    let _ = write!(h, "<p><i>done ({n} rows)</i></p>");
                }
            }
            _ => {}
        }
    }
    if open {
        h.push_str("</tbody></table>");
    }
    h
}
