//! Readiness check #3: every tenant's Pinecone namespace is found and measured against its
//! capacity.
//!
//! **What it checks.** One namespace per tenant (namespace = `BRIDGE_NAMESPACE_PREFIX` + tenant
//! id). For each tenant in the tenants table, its namespace's record count from
//! `describe_index_stats` (or a saved snapshot of it) against the tenant's quota, looked up by
//! tier in `BRIDGE_TIER_QUOTAS`: 80% warns, 100% fails. Also: index fullness over 80% (pod
//! indexes and dedicated read nodes), the namespace count against the plan's limit, active
//! tenants without a namespace, namespaces without a tenant, tenants whose tier has no quota,
//! and, from snapshots over time, a linear growth fit per namespace that warns now when a
//! namespace will reach 80% within the horizon (30 days by default).
//!
//! **Why it matters.** Serverless Pinecone has no per-namespace limit, so nothing stops one
//! tenant from growing without bound, and per-tenant customization (larger context, more
//! documents for premium tiers) needs per-tenant capacity to be watched first. A tenant with no
//! namespace gets empty retrieval; a namespace with no tenant is data that outlived its
//! offboarding; a pod index that fills up rejects writes for every tenant.
//!
//! **Evidence.** Per tenant: tier, record count, quota, percent, growth per day, days to 80% and
//! to full; the index kind, fullness and namespace count against the plan limit.
//!
//! **Remedy.** Raise the tenant's tier or the tier's quota, split the tenant, scale the pods,
//! create the missing namespace by ingesting the tenant, delete the orphan namespace.
//!
//! The database is read in a read-only transaction that is rolled back; Pinecone is only read.
//!
//! Layout: [`usage`] reads the index (Pinecone or a saved snapshot), [`snapshot`] saves it,
//! [`evaluate`](mod@evaluate) builds the per-tenant table and calls [`rules`], one file per
//! rule, and [`data`] is what the notebook draws.

pub mod data;
pub mod evaluate;
pub mod ledger;
mod lookup;
pub mod rules;
pub mod scaling;
pub mod snapshot;
pub mod stores;
pub mod usage;

pub use self::evaluate::{evaluate, evaluate_with, Evaluation};
pub use self::ledger::{read_ledger, Ledger};
pub use self::rules::{
    BYTE_QUOTA, DORMANT, FORECAST, INDEX_FULL, NAMESPACE_LIMIT, NEAR_QUOTA, NO_NAMESPACE, NO_QUOTA,
    OFFBOARDED_NAMESPACE, ORPHAN, OVER_QUOTA, SKIPPED, SPENDS_WITHOUT_NAMESPACE,
};
pub use self::snapshot::{save_snapshot, Saved};
use self::usage::off_the_workers;
pub use self::usage::{gather_usage, Usage};
pub use crate::report::data::TenantUsage;

mod settings;
pub use settings::{parse_tier_quotas, CapacityConfig};

use crate::config::Config;
use crate::db;
use crate::finding::Rule;
use crate::pinecone::history;
use crate::report::{CheckId, CheckOutcome};
use crate::{Error, Result};
use std::time::Duration;

/// The share of a quota (or limit) that warns.
pub const WARN_RATIO: f64 = 0.8;
/// The longest gathering from Pinecone may take, all calls and retries included.
pub const PINECONE_LIMIT: Duration = Duration::from_secs(crate::pinecone::TOTAL_BUDGET.as_secs() + 1);
/// Above this many namespaces the paginated list is not read (describe_index_stats has them).
pub const LIST_NAMESPACES_UP_TO: usize = 10_000;

/// The rules of this check.
pub static RULES: [&Rule; 13] = [
    &SKIPPED,
    &NEAR_QUOTA,
    &OVER_QUOTA,
    &INDEX_FULL,
    &NAMESPACE_LIMIT,
    &NO_NAMESPACE,
    &ORPHAN,
    &NO_QUOTA,
    &FORECAST,
    &SPENDS_WITHOUT_NAMESPACE,
    &OFFBOARDED_NAMESPACE,
    &DORMANT,
    &BYTE_QUOTA,
];

pub use crate::tenant::Tenant;

/// Reads every tenant (id, tier, active) through the application's connection.
pub async fn read_tenants(cfg: &Config) -> Result<Vec<Tenant>> {
    let Some(target) = &cfg.database else {
        return Err(Error::config("DATABASE_URL is not set", "set DATABASE_URL"));
    };
    let mut client = db::connect(target).await?;
    let tx = db::read_only(&mut client).await?;
    let tenants = crate::tenant::list(&tx, &cfg.tenancy).await?;
    tx.rollback().await.map_err(|e| Error::query("rolling back", &e))?;
    Ok(tenants)
}

/// Reads the tenants and, beside them, the ledger's activity (its quiet tenants are then looked
/// up by id).
pub async fn read_registry_and_ledger(cfg: &Config) -> Result<(Vec<Tenant>, Option<Ledger>)> {
    ledger::read_ledger_beside(cfg, read_tenants(cfg), |tenants: &Vec<Tenant>| {
        tenants.iter().map(|t| t.id.as_str()).collect()
    })
    .await
}

/// Runs the check.
pub async fn run(cfg: &Config) -> Result<CheckOutcome> {
    if let Some(skip) = rules::skipped::not_configured(cfg) {
        return Ok(skip);
    }
    // the three stores are read at once (the index from Pinecone, the registry then the
    // ledger from the database, the history from its file): the check waits for the slowest,
    // not for their sum; errors are still reported in this order
    let history = async {
        match &cfg.capacity.history {
            Some(p) => off_the_workers(p, history::read_history).await,
            None => Ok(Vec::new()),
        }
    };
    let (usage, registry, history) = tokio::join!(gather_usage(cfg), read_registry_and_ledger(cfg), history);
    let (usage, (tenants, ledger), history) = (usage?, registry?, history?);
    let e = evaluate_with(cfg, &usage, &tenants, &history, ledger.as_ref());
    let data = data::outcome_data(&cfg.capacity, &usage, &e, history.len(), ledger.as_ref());
    Ok(CheckOutcome::from_findings(CheckId::Capacity, e.findings).with_data(data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Status;

    /// Every rule of the check is fired (not merely passed) by one of the fixtures: the
    /// unconfigured check, the fixture of [`evaluate::tests::every_rule_triggers`] and the
    /// three-way one.
    #[test]
    fn every_rule_in_rules_fires_on_some_fixture() {
        let mut fired: Vec<String> = Vec::new();
        let skip = rules::skipped::not_configured(&Config::default()).expect("nothing configured skips");
        fired.extend(skip.findings.iter().filter(|f| f.status != Status::Pass).map(|f| f.code.clone()));
        let (cfg, usage, tenants, history) = evaluate::tests::every_rule_fixture();
        let e = evaluate(&cfg, &usage, &tenants, &history);
        fired.extend(e.findings.iter().filter(|f| f.status != Status::Pass).map(|f| f.code.clone()));
        let (cfg, usage, tenants, ledger) = evaluate::tests::three_way_fixture();
        let e = evaluate_with(&cfg, &usage, &tenants, &[], Some(&ledger));
        fired.extend(e.findings.iter().filter(|f| f.status != Status::Pass).map(|f| f.code.clone()));
        for rule in RULES {
            assert!(fired.iter().any(|c| c == rule.code), "{} {} fires on no fixture", rule.code, rule.name);
        }
    }
}
