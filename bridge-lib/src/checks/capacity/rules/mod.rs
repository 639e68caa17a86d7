//! The capacity rules, one file each: the rule's declaration beside the small function that
//! emits its findings. Tenant rules look at one row of the capacity table
//! ([`TenantUsage`]) and are mutually exclusive (a tenant gets at most one finding); index
//! rules look at the index as a whole.

pub mod byte_quota;
pub mod dormant;
pub mod forecast;
pub mod index_full;
pub mod namespace_limit;
pub mod near_quota;
pub mod no_namespace;
pub mod no_quota;
pub mod offboarded_namespace;
pub mod orphan;
pub mod over_quota;
pub mod skipped;
pub mod spends_without_namespace;

pub use self::byte_quota::BYTE_QUOTA;
pub use self::dormant::DORMANT;
pub use self::forecast::FORECAST;
pub use self::index_full::INDEX_FULL;
pub use self::namespace_limit::NAMESPACE_LIMIT;
pub use self::near_quota::NEAR_QUOTA;
pub use self::no_namespace::NO_NAMESPACE;
pub use self::no_quota::NO_QUOTA;
pub use self::offboarded_namespace::OFFBOARDED_NAMESPACE;
pub use self::orphan::ORPHAN;
pub use self::over_quota::OVER_QUOTA;
pub use self::skipped::SKIPPED;
pub use self::spends_without_namespace::SPENDS_WITHOUT_NAMESPACE;

use super::Usage;
use crate::config::{CapacityConfig, Config};
use crate::db::{quote_literal, quote_qualified};
use crate::finding::Status;
use crate::pinecone;
use crate::report::data::TenantUsage;
use serde_json::{json, Value};

/// What every rule may look at.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The configuration (the capacity settings, the tenants table, the Pinecone API version).
    pub cfg: &'a Config,
    /// What was read from the index.
    pub usage: &'a Usage,
}

impl Ctx<'_> {
    /// The capacity settings.
    pub fn cap(&self) -> &CapacityConfig {
        &self.cfg.capacity
    }

    /// The Pinecone API version the remedies' `curl` commands name.
    pub fn api_version(&self) -> &str {
        self.cfg.pinecone.as_ref().map(|p| p.api_version.as_str()).unwrap_or(pinecone::DEFAULT_API_VERSION)
    }
}

/// The measured part of a row: its records and its quota, when it has both.
pub(crate) fn measured(row: &TenantUsage) -> Option<(u64, u64)> {
    row.vectors.zip(row.quota)
}

/// The row as a finding's evidence, with the finding's status as the row's.
pub(crate) fn evidence(row: &TenantUsage, status: Status) -> Value {
    json!(TenantUsage { status, ..row.clone() })
}

/// `n` as a percentage of `of`.
pub(crate) fn pct(n: u64, of: u64) -> f64 {
    n as f64 * 100.0 / of as f64
}

/// A namespace name as shown (the default namespace is `""`).
pub(crate) fn shown(ns: &str) -> &str {
    if ns.is_empty() {
        "(default)"
    } else {
        ns
    }
}

/// Bytes for people: `850.0 MB`, `1.2 GB` (decimal units, as Pinecone bills).
pub(crate) fn human_bytes(b: u64) -> String {
    let units = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)];
    match units.iter().find(|(_, n)| b as f64 >= *n) {
        Some((u, n)) => format!("{:.1} {u}", b as f64 / n),
        None => format!("{b} bytes"),
    }
}

/// ` (850.0 MB)` when the size is known, else nothing.
pub(crate) fn shown_bytes(b: Option<u64>) -> String {
    b.map(|b| format!(" ({})", human_bytes(b))).unwrap_or_default()
}

/// The tier with the next larger quota.
pub(crate) fn next_tier<'a>(cap: &'a CapacityConfig, tier: &str) -> Option<&'a str> {
    let q = cap.tier_quotas.get(tier).copied().unwrap_or(0);
    cap.tier_quotas.iter().filter(|(_, n)| **n > q).min_by_key(|(_, n)| **n).map(|(t, _)| t.as_str())
}

/// The remedy's "move it to the next tier" part (built only for tenants that get a finding).
pub(crate) fn raise_tier(ctx: &Ctx, row: &TenantUsage) -> String {
    match next_tier(ctx.cap(), &row.tier) {
        Some(tier) => format!(
            "move it to tier `{tier}`: UPDATE {} SET tier = {} WHERE id::text = {};",
            quote_qualified(&ctx.cfg.tenancy.table),
            quote_literal(tier),
            quote_literal(&row.tenant)
        ),
        None => format!("raise the `{}` quota in BRIDGE_TIER_QUOTAS (it is the largest tier);", row.tier),
    }
}

/// Hand-built inputs for the rules' unit tests.
#[cfg(test)]
pub(crate) mod fixture {
    use super::*;
    use crate::pinecone::{IndexKind, IndexStats, NamespaceStats};

    /// An index of `kind` with these namespaces and this index fullness.
    pub fn usage(kind: IndexKind, fullness: Option<f64>, ns: &[(&str, u64)]) -> Usage {
        Usage {
            source: "test".into(),
            index: None,
            kind,
            stats: IndexStats {
                namespaces: ns
                    .iter()
                    .map(|(n, v)| (n.to_string(), NamespaceStats { vector_count: *v, size_bytes: None }))
                    .collect(),
                index_fullness: fullness,
                ..IndexStats::default()
            },
        }
    }

    /// A row of the three-way table: `records` in the index, `spend` in the ledger (`None`:
    /// not read), not dormant, status pass.
    pub fn stores(
        tenant: &str,
        registered: bool,
        active: bool,
        records: Option<u64>,
        spend: Option<f64>,
    ) -> crate::report::data::TenantStores {
        crate::report::data::TenantStores {
            tenant: tenant.into(),
            registered,
            active,
            tier: registered.then(|| "pro".to_string()),
            namespace: tenant.into(),
            records,
            bytes: None,
            byte_quota: None,
            spend,
            events: spend.map(|s| if s > 0.0 { 3 } else { 0 }),
            last_activity: None,
            idle_days: None,
            dormant: false,
            status: Status::Pass,
        }
    }

    /// An empty serverless index.
    pub fn empty() -> Usage {
        usage(IndexKind::Serverless, None, &[])
    }

    /// A row of the capacity table, not yet judged (status pass, no growth).
    pub fn row(tenant: &str, tier: &str, active: bool, vectors: Option<u64>, quota: Option<u64>) -> TenantUsage {
        super::super::evaluate::unjudged(tenant, tenant.into(), tier, active, vectors, quota)
    }
}
