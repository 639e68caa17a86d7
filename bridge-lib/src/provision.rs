//! `bridge tenants provision`: creates the missing test tenants, idempotently.
//!
//! Counts the active test tenants; if fewer than asked for, plans one INSERT per missing tenant
//! (tiers spread over the tiers in use, so per-tenant configuration can be exercised) and, with
//! a seed file, runs it once per new tenant with the tenant context set transaction-locally.
//! Everything runs in one transaction. A dry run returns the SQL and changes nothing.

use crate::checks::tenants::describe_tenants_table;
use crate::config::Config;
use crate::db::{self, quote_ident, quote_literal, quote_qualified};
use crate::{Error, Result};

/// What provisioning will do (or did).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Plan {
    /// Active test tenants before.
    pub existing: Vec<String>,
    /// New tenants: (id, tier).
    pub new_tenants: Vec<(String, String)>,
    /// The SQL, in order (one transaction).
    pub statements: Vec<String>,
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
    let client = db::connect(target).await?;
    let table = describe_tenants_table(&client, cfg).await?;
    let t = quote_qualified(&cfg.tenants_table);
    let existing: Vec<String> = db::query(
        &client,
        "listing test tenants",
        &format!("SELECT id::text FROM {t} WHERE is_test AND coalesce({}, false) ORDER BY 1", table.active_expr),
        &[],
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect();
    let mut plan = Plan { existing: existing.clone(), new_tenants: Vec::new(), statements: Vec::new() };
    if existing.len() >= count {
        return Ok(plan);
    }
    let all_ids: Vec<String> = db::query(&client, "listing tenant ids", &format!("SELECT id::text FROM {t}"), &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let test_tiers: Vec<String> =
        db::query(&client, "listing test tiers", &format!("SELECT tier::text FROM {t} WHERE is_test"), &[])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
    let mut tiers: Vec<String> =
        db::query(&client, "listing tiers", &format!("SELECT DISTINCT tier::text FROM {t} ORDER BY 1"), &[])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
    if tiers.is_empty() {
        tiers = DEFAULT_TIERS.iter().map(|s| s.to_string()).collect();
    }
    // tiers not yet used by a test tenant come first
    tiers.sort_by_key(|tier| test_tiers.iter().filter(|x| *x == tier).count());

    let id_type = table.columns.get("id").cloned().unwrap_or_default();
    let max_numeric: i64 = if is_integer(&id_type) {
        db::query(&client, "reading the largest id", &format!("SELECT coalesce(max(id), 0)::bigint FROM {t}"), &[])
            .await?[0]
            .get(0)
    } else {
        0
    };
    let mut n = 0;
    // optional columns: a name, and the active flag in whichever form the table has
    let has_name = table.columns.contains_key("name");
    let active_col = if table.columns.get("active").map(String::as_str) == Some("boolean") {
        Some(("active", "true"))
    } else if table.columns.contains_key("status") {
        Some(("status", "'active'"))
    } else {
        None
    };
    for i in 0..(count - existing.len()) {
        let id = loop {
            n += 1;
            let candidate = if is_integer(&id_type) {
                (max_numeric + n).to_string()
            } else if id_type == "uuid" {
                format!("00000000-0000-4000-8000-{n:012}")
            } else {
                format!("bridge-test-{n}")
            };
            if !all_ids.contains(&candidate) {
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
        plan.statements.push(format!(
            "INSERT INTO {t} ({}) VALUES ({}) ON CONFLICT DO NOTHING",
            cols.join(", "),
            vals.join(", ")
        ));
        if let Some(seed) = seed_sql {
            plan.statements.push(format!(
                "SELECT set_config({}, {}, true)",
                quote_literal(&cfg.tenant_setting),
                quote_literal(&id)
            ));
            plan.statements.push(seed.trim().trim_end_matches(';').to_string());
        }
        plan.new_tenants.push((id, tier));
    }
    Ok(plan)
}

fn is_integer(t: &str) -> bool {
    matches!(t, "integer" | "bigint" | "smallint")
}

/// Applies a plan in one transaction.
pub async fn apply(cfg: &Config, plan: &Plan) -> Result<()> {
    if plan.statements.is_empty() {
        return Ok(());
    }
    let target = cfg
        .admin()
        .ok_or_else(|| Error::config("no database configured for provisioning", "set BRIDGE_ADMIN_DATABASE_URL"))?;
    let mut client = db::connect(target).await?;
    let tx = client.transaction().await.map_err(|e| Error::query("starting the provisioning transaction", &e))?;
    for s in &plan.statements {
        tx.batch_execute(s).await.map_err(|e| Error::query(format!("provisioning (`{}`)", first_line(s)), &e))?;
    }
    tx.commit().await.map_err(|e| Error::query("committing the new test tenants", &e))
}

fn first_line(s: &str) -> String {
    let l = s.lines().next().unwrap_or("");
    if l.chars().count() > 80 {
        format!("{}…", l.chars().take(80).collect::<String>())
    } else {
        l.to_string()
    }
}
