//! `bridge tenants provision`: creates the missing test tenants, idempotently.
//!
//! Counts the active test tenants; if fewer than asked for, plans one INSERT per missing tenant
//! (tiers spread over the tiers in use, so per-tenant configuration can be exercised) and, with
//! a seed file, runs it once per new tenant with the tenant context set transaction-locally.
//! Everything runs in one transaction, planned again under a lock on the tenants table (so a
//! second concurrent run counts the first one's tenants); each INSERT returns what it stored,
//! only stored tenants are seeded and reported, and a stored id that differs from the planned one
//! (a short id column truncating it) rolls everything back. A dry run returns the SQL and changes
//! nothing.

use crate::config::Config;
use crate::db::{self, quote_ident, quote_literal};
use crate::{Error, Result};
use tokio_postgres::GenericClient;

/// What provisioning will do (or did).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Plan {
    /// Active test tenants before.
    pub existing: Vec<String>,
    /// New tenants: (id, tier).
    pub new_tenants: Vec<(String, String)>,
    /// The SQL, in order (one transaction).
    pub statements: Vec<String>,
    /// How many active test tenants were asked for.
    pub count: usize,
    /// Per new tenant: its INSERT, then the seed statements run only if the INSERT stored it.
    #[serde(skip)]
    steps: Vec<Step>,
    #[serde(skip)]
    seed: Option<String>,
    #[serde(skip)]
    id_type: String,
}

/// One new tenant's SQL.
#[derive(Debug, Clone)]
struct Step {
    insert: String,
    seed: Vec<String>,
}

impl Plan {
    /// The SQL as one script.
    pub fn script(&self) -> String {
        if self.statements.is_empty() {
            return "-- nothing to do: enough active test tenants already\n".into();
        }
        format!("BEGIN;\n{};\nCOMMIT;\n", self.statements.join(";\n"))
    }
}

const DEFAULT_TIERS: [&str; 3] = ["starter", "pro", "enterprise"];

/// Plans the provisioning of `count` test tenants, without changing anything.
pub async fn plan(cfg: &Config, count: usize, seed_sql: Option<&str>) -> Result<Plan> {
    let target = cfg.admin().ok_or_else(|| {
        Error::config(
            "no database configured for provisioning",
            "set BRIDGE_ADMIN_DATABASE_URL (or DATABASE_URL), or run with --demo",
        )
    })?;
    if let Some(seed) = seed_sql {
        check_seed(seed)?;
    }
    let client = db::connect(target).await?;
    plan_on(&client, cfg, count, seed_sql).await
}

/// Plans on `client` (inside the provisioning transaction when applying).
async fn plan_on(client: &impl GenericClient, cfg: &Config, count: usize, seed_sql: Option<&str>) -> Result<Plan> {
    let table = crate::tenant::describe(client, &cfg.tenancy).await?;
    let t = &table.name_sql;
    let all = table.list(client).await?;
    let existing: Vec<String> = all.iter().filter(|x| x.is_test && x.active).map(|x| x.id.clone()).collect();
    let id_type = table.columns.get("id").cloned().unwrap_or_default();
    let mut plan = Plan {
        existing: existing.clone(),
        new_tenants: Vec::new(),
        statements: Vec::new(),
        count,
        steps: Vec::new(),
        seed: seed_sql.map(str::to_string),
        id_type: id_type.clone(),
    };
    if existing.len() >= count {
        return Ok(plan);
    }
    let all_ids: Vec<&str> = all.iter().map(|x| x.id.as_str()).collect();
    let test_tiers: Vec<&str> = all.iter().filter(|x| x.is_test).map(|x| x.tier.as_str()).collect();
    let mut tiers: Vec<String> =
        all.iter().map(|x| x.tier.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    if tiers.is_empty() {
        tiers = DEFAULT_TIERS.iter().map(|s| s.to_string()).collect();
    }
    // tiers not yet used by a test tenant come first
    tiers.sort_by_key(|tier| test_tiers.iter().filter(|x| **x == tier.as_str()).count());

    // new integer ids go above the largest one (0 when there is none, or the ids are not
    // integers); when no room is left up to the largest bigint, the free ids from 1 up are used
    let max_numeric: i64 = all
        .iter()
        .filter_map(|x| x.id.parse::<i64>().ok())
        .max()
        .filter(|m| is_integer(&id_type) && m.checked_add(count as i64).is_some())
        .unwrap_or(0)
        .max(0);
    let mut n: i64 = 0;
    // optional columns: a name, and the active flag in whichever form the table has
    let has_name = table.columns.contains_key("name");
    let active_col = table.active_column();
    for i in 0..(count - existing.len()) {
        let id = loop {
            n += 1;
            let candidate = if is_integer(&id_type) {
                max_numeric
                    .checked_add(n)
                    .ok_or_else(|| {
                        Error::config(
                            format!("the tenants table's largest id is {max_numeric}: no integer id is left above it"),
                            "provision the test tenants by hand with free ids",
                        )
                    })?
                    .to_string()
            } else if id_type == "uuid" {
                format!("00000000-0000-4000-8000-{n:012}")
            } else {
                format!("bridge-test-{n}")
            };
            if !all_ids.contains(&candidate.as_str()) {
                break candidate;
            }
        };
        let tier = tiers[i % tiers.len()].clone();
        let mut cols = vec!["id".to_string(), "is_test".into(), "tier".into()];
        let mut vals =
            vec![format!("{}::{}", quote_literal(&id), id_type), "true".into(), format!("{}", quote_literal(&tier))];
        if has_name {
            cols.push(quote_ident("name"));
            vals.push(quote_literal(&format!("bridge test tenant {id}")));
        }
        if let Some((c, v)) = active_col {
            cols.push(quote_ident(c));
            vals.push(v.to_string());
        }
        let insert =
            format!("INSERT INTO {t} ({}) VALUES ({}) ON CONFLICT DO NOTHING", cols.join(", "), vals.join(", "));
        let seed = match seed_sql {
            Some(seed) => vec![cfg.tenancy.context.statement(&id), seed.trim().trim_end_matches(';').to_string()],
            None => Vec::new(),
        };
        plan.statements.push(insert.clone());
        plan.statements.extend(seed.iter().cloned());
        plan.steps.push(Step { insert, seed });
        plan.new_tenants.push((id, tier));
    }
    Ok(plan)
}

/// Refuses a seed file that controls the transaction (`COMMIT`, `ROLLBACK`, `BEGIN`, …): run
/// inside the provisioning transaction it would commit part of the work, so it is refused
/// before anything runs.
pub fn check_seed(seed: &str) -> Result<()> {
    if let Some(tc) = db::split_statements(seed).iter().find(|s| db::is_transaction_control(s)) {
        let first = tc.split_whitespace().next().unwrap_or_default();
        return Err(Error::config(
            format!(
                "the seed file (--seed-sql) holds `{first}`: run, it would have ended the transaction \
                 provisioning runs in and committed part of the work, so nothing was run"
            ),
            "remove the transaction control from the seed file: provisioning runs it inside its own transaction",
        ));
    }
    Ok(())
}

fn is_integer(t: &str) -> bool {
    matches!(t, "integer" | "bigint" | "smallint")
}

/// Applies a plan in one transaction: takes `SHARE ROW EXCLUSIVE` on the tenants table (a
/// second run waits for the first), plans again under the lock, inserts each tenant with
/// `RETURNING`, seeds only the tenants stored, and checks that each stored id is the planned one.
/// Returns what was done: `new_tenants` holds only the tenants stored.
pub async fn apply(cfg: &Config, plan: &Plan) -> Result<Plan> {
    if plan.statements.is_empty() {
        return Ok(plan.clone());
    }
    let target = cfg
        .admin()
        .ok_or_else(|| Error::config("no database configured for provisioning", "set BRIDGE_ADMIN_DATABASE_URL"))?;
    let mut client = db::connect(target).await?;
    let tx = client.transaction().await.map_err(|e| Error::query("starting the provisioning transaction", &e))?;
    let lock =
        format!("SET LOCAL lock_timeout = '60s'; LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE", cfg.tenancy.table_sql());
    tx.batch_execute(&lock).await.map_err(|e| Error::query("locking the tenants table for provisioning", &e))?;
    let mut done = plan_on(&tx, cfg, plan.count, plan.seed.as_deref()).await?;
    let mut stored = Vec::new();
    for (step, (id, tier)) in done.steps.iter().zip(&done.new_tenants) {
        let sql = format!("{} RETURNING id::text", step.insert);
        let rows = tx.query(&sql, &[]).await.map_err(|e| Error::query(format!("provisioning test tenant {id}"), &e))?;
        let Some(row) = rows.first() else { continue };
        let got: String = row.get(0);
        if &got != id {
            return Err(Error::config(
                format!(
                    "the tenants table's id column ({}) stored `{got}` for the new test tenant `{id}`: \
                     nothing was provisioned (rolled back)",
                    done.id_type
                ),
                "widen the id column (ALTER TABLE <tenants> ALTER COLUMN id TYPE text) or provision the test tenants by hand",
            ));
        }
        for s in &step.seed {
            tx.batch_execute(s)
                .await
                .map_err(|e| Error::query(format!("seeding test tenant {id} (`{}`)", first_line(s)), &e))?;
        }
        stored.push((id.clone(), tier.clone()));
    }
    tx.commit().await.map_err(|e| Error::query("committing the new test tenants", &e))?;
    done.new_tenants = stored;
    Ok(done)
}

fn first_line(s: &str) -> String {
    let l = s.lines().next().unwrap_or("");
    if l.chars().count() > 80 {
        format!("{}…", l.chars().take(80).collect::<String>())
    } else {
        l.to_string()
    }
}
