//! Readiness check #4: at least three test tenants are provisioned end to end.
//!
//! **What it checks.** The tenants table has at least `min_test_tenants` (default 3) rows
//! flagged `is_test` that are active and that have rows in every tenant-scoped table, visible
//! through the application's own connection with the tenant context set transaction-locally
//! (`set_config('app.current_tenant', id, true)`), and that the test tenants differ in tier.
//!
//! **Why it matters.** Per-tenant customization (model choice, prompt templates) is tested by
//! switching configuration per tenant. With fewer than three tenants, or all on one tier, there
//! is nothing to compare: a change that leaks one tenant's configuration into another's, or
//! that only works for one tier, goes unseen.
//!
//! **Evidence.** Each test tenant's tier, active flag and per-table row counts.
//!
//! **Remedy.** `bridge tenants provision --count 3` creates the missing test tenants (with
//! `--seed-sql` to seed their data); `--dry-run` prints the SQL.
//!
//! Everything runs in one read-only transaction that is rolled back. The tenants table is read
//! through [`crate::tenant`]; each rule is a unit in `rules.rs`.

mod rules;
mod settings;
#[cfg(test)]
mod tests;

pub use rules::{INACTIVE, MISSING_DATA, NO_TABLES, ONE_TIER, SKIPPED, TOO_FEW};
pub use settings::TenantsConfig;

use crate::config::Config;
use crate::db::{self, quote_literal};
use crate::finding::{Finding, Rule};
use crate::report::{CheckId, CheckOutcome};
use crate::tenant::{self, Tenancy};
use crate::{Error, Result};
use serde_json::json;
use std::collections::BTreeMap;

/// The rules of this check.
pub static RULES: [&Rule; 6] = [&SKIPPED, &TOO_FEW, &INACTIVE, &MISSING_DATA, &ONE_TIER, &NO_TABLES];

/// One test tenant as the check saw it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TestTenant {
    /// The tenant id, as text.
    pub id: String,
    /// The tier.
    pub tier: String,
    /// Whether it is active.
    pub active: bool,
    /// Rows visible under its own context, per tenant-scoped table (capped at 1000).
    pub rows: BTreeMap<String, i64>,
}

impl TestTenant {
    fn provisioned(&self) -> bool {
        self.active && self.rows.values().all(|n| *n > 0)
    }
}

/// What the rules read: the settings and what was read from the database.
pub struct Ctx<'a> {
    /// Where tenants live.
    pub tenancy: &'a Tenancy,
    /// This check's settings.
    pub settings: &'a TenantsConfig,
    /// The tenant-scoped tables.
    pub tables: &'a [String],
    /// The test tenants, with their row counts.
    pub tenants: &'a [TestTenant],
}

impl Ctx<'_> {
    /// The test tenants provisioned end to end: active, with rows in every tenant-scoped table.
    fn provisioned(&self) -> Vec<&TestTenant> {
        self.tenants.iter().filter(|t| t.provisioned()).collect()
    }
}

/// Runs the check.
pub async fn run(cfg: &Config) -> Result<CheckOutcome> {
    let Some(target) = &cfg.database else {
        return Ok(rules::ten000_skipped());
    };
    let mut client = db::connect(target).await?;
    let tx = db::read_only(&mut client).await?;
    let listed = tenant::list(&tx, &cfg.tenancy).await?;
    let tables = tenant::scoped_tables(&tx, &cfg.tenancy).await?;
    let mut tenants: Vec<TestTenant> = listed
        .into_iter()
        .filter(|t| t.is_test)
        .map(|t| TestTenant { id: t.id, tier: t.tier, active: t.active, rows: BTreeMap::new() })
        .collect();

    if !tables.is_empty() {
        let count_sql = tables
            .iter()
            .map(|t| {
                format!(
                    "SELECT {lit}::text, (SELECT count(*) FROM (SELECT 1 FROM {t} WHERE {col}::text = $1 LIMIT 1000) s)",
                    lit = quote_literal(t),
                    col = cfg.tenancy.column_sql()
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let stmt = tx.prepare(&count_sql).await.map_err(|e| Error::query("preparing the per-tenant row counts", &e))?;
        for t in &mut tenants {
            cfg.tenancy.context.set(&tx, &t.id).await?;
            for r in tx
                .query(&stmt, &[&t.id])
                .await
                .map_err(|e| Error::query(format!("counting rows of tenant {}", t.id), &e))?
            {
                t.rows.insert(r.get(0), r.get(1));
            }
        }
    }
    tx.rollback().await.map_err(|e| Error::query("rolling back", &e))?;

    let findings = evaluate(cfg, &tables, &tenants);
    Ok(CheckOutcome::from_findings(CheckId::Tenants, findings)
        .with_data(json!({ "tables": tables, "test_tenants": tenants })))
}

/// Turns what was read into findings: one call per rule (pure, so each rule is unit-tested
/// without a database).
pub fn evaluate(cfg: &Config, tables: &[String], tenants: &[TestTenant]) -> Vec<Finding> {
    let ctx = Ctx { tenancy: &cfg.tenancy, settings: &cfg.tenants, tables, tenants };
    [
        rules::ten005_no_tables,
        rules::ten002_inactive,
        rules::ten003_missing_data,
        rules::ten001_too_few,
        rules::ten004_one_tier,
    ]
    .iter()
    .flat_map(|rule| rule(&ctx))
    .collect()
}
