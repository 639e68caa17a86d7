//! Settings of the capacity check (#3): one field and one line of [`CapacityConfig::from_lookup`]
//! each (the default included), plus its README line.

use crate::setting::{self, Lookup};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Settings of the capacity check (#3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CapacityConfig {
    /// A saved `describe_index_stats` response to read instead of calling Pinecone
    /// (`BRIDGE_PINECONE_SNAPSHOT`, offline mode); default none.
    pub snapshot: Option<PathBuf>,
    /// Snapshots over time, one JSON line each, for the forecast (`BRIDGE_CAPACITY_HISTORY`);
    /// default none (no forecast).
    pub history: Option<PathBuf>,
    /// Tier → per-tenant record quota (`BRIDGE_TIER_QUOTAS`, `tier=records,…`); default
    /// `starter=100000,pro=1000000,enterprise=10000000`.
    pub tier_quotas: BTreeMap<String, u64>,
    /// Prefix before the tenant id in the namespace name (`BRIDGE_NAMESPACE_PREFIX`); default empty.
    pub namespace_prefix: String,
    /// Namespaces the plan allows per serverless index (`BRIDGE_NAMESPACE_LIMIT`: a number or
    /// `starter` 100, `builder` 1000, `standard` 100000, `enterprise` 100000); default 100000.
    pub namespace_limit: u64,
    /// Days ahead the forecast looks (`BRIDGE_CAPACITY_HORIZON_DAYS`); default 30.
    pub horizon_days: f64,
}

impl Default for CapacityConfig {
    fn default() -> Self {
        Self::from_lookup(&setting::nothing_set).expect("the defaults parse")
    }
}

/// `var` as a path that is not a device or a pipe ([`crate::files::configured`]).
fn configured(get: Lookup, var: &str) -> Result<Option<PathBuf>> {
    get(var).map(|p| crate::files::configured(var, PathBuf::from(p))).transpose()
}

impl CapacityConfig {
    /// Reads the capacity variables; an unset one takes its default.
    pub fn from_lookup(get: Lookup) -> Result<Self> {
        Ok(CapacityConfig {
            snapshot: configured(get, "BRIDGE_PINECONE_SNAPSHOT")?,
            history: configured(get, "BRIDGE_CAPACITY_HISTORY")?,
            tier_quotas: setting::or(get, "BRIDGE_TIER_QUOTAS", default_quotas(), parse_tier_quotas)?,
            namespace_prefix: setting::text(get, "BRIDGE_NAMESPACE_PREFIX", ""),
            namespace_limit: setting::or(get, "BRIDGE_NAMESPACE_LIMIT", 100_000, namespace_limit)?,
            horizon_days: setting::number(
                get,
                "BRIDGE_CAPACITY_HORIZON_DAYS",
                30.0,
                |d: &f64| *d > 0.0 && d.is_finite(),
                "a positive number of days",
                "set it to a number such as 30",
            )?,
        })
    }
}

fn default_quotas() -> BTreeMap<String, u64> {
    [("starter", 100_000), ("pro", 1_000_000), ("enterprise", 10_000_000)]
        .into_iter()
        .map(|(t, q)| (t.to_string(), q))
        .collect()
}

/// A plan name or a positive number.
fn namespace_limit(v: &str) -> Result<u64> {
    Ok(match v.trim().to_ascii_lowercase().as_str() {
        "starter" => 100,
        "builder" => 1_000,
        "standard" | "enterprise" => 100_000,
        n => n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            Error::config(
                format!("BRIDGE_NAMESPACE_LIMIT `{v}` is not a plan name or a positive number"),
                "set starter, builder, standard, enterprise or the limit from your Pinecone contract",
            )
        })?,
    })
}

/// Parses `starter=100000,pro=1000000` (also `:` and `;`, and `_` in numbers).
pub fn parse_tier_quotas(v: &str) -> Result<BTreeMap<String, u64>> {
    let bad = |part: &str| {
        Error::config(
            format!("BRIDGE_TIER_QUOTAS entry `{part}` is not `tier=records`"),
            "write it as starter=100000,pro=1000000,enterprise=10000000",
        )
    };
    let mut out = BTreeMap::new();
    for part in v.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        let (tier, n) = part.split_once(['=', ':']).ok_or_else(|| bad(part))?;
        let n: u64 = n.trim().replace('_', "").parse().map_err(|_| bad(part))?;
        if tier.trim().is_empty() || n == 0 {
            return Err(bad(part));
        }
        out.insert(tier.trim().to_string(), n);
    }
    Ok(out)
}
