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
    /// Tier → per-tenant quota in bytes stored (`BRIDGE_TIER_QUOTA_BYTES`, `tier=size,…` with
    /// `KB`, `MB`, `GB`, `TB` or `KiB`…`TiB`), judged where the namespace listing gives
    /// `size_bytes`; default none.
    #[serde(default)]
    pub tier_byte_quotas: BTreeMap<String, u64>,
    /// Days without ledger activity after which a tenant is dormant (`BRIDGE_DORMANT_DAYS`);
    /// also the window of the spend the reconciliation reports; default 30.
    #[serde(default = "default_dormant_days")]
    pub dormant_days: u32,
    /// The moment dormancy and the 80% dates are counted from (`BRIDGE_CAPACITY_AS_OF`, an
    /// RFC 3339 time such as `2026-12-01T00:00:00Z`); default none: the database's `now()`.
    #[serde(default)]
    pub as_of: Option<String>,
}

fn default_dormant_days() -> u32 {
    30
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
            tier_byte_quotas: setting::or(get, "BRIDGE_TIER_QUOTA_BYTES", BTreeMap::new(), parse_tier_byte_quotas)?,
            dormant_days: setting::number(
                get,
                "BRIDGE_DORMANT_DAYS",
                default_dormant_days(),
                |d: &u32| *d > 0 && *d <= 3650,
                "a whole number of days from 1 to 3650",
                "set it to a number such as 30",
            )?,
            as_of: get("BRIDGE_CAPACITY_AS_OF").map(|v| as_of(&v)).transpose()?,
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

/// Parses `starter=2GiB,pro=20GB` (also `:` and `;`; a plain number is bytes).
pub fn parse_tier_byte_quotas(v: &str) -> Result<BTreeMap<String, u64>> {
    let bad = |part: &str| {
        Error::config(
            format!("BRIDGE_TIER_QUOTA_BYTES entry `{part}` is not `tier=size`"),
            "write it as starter=2GiB,pro=20GiB,enterprise=200GiB (units KB, MB, GB, TB, KiB, MiB, GiB, TiB)",
        )
    };
    let mut out = BTreeMap::new();
    for part in v.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        let (tier, size) = part.split_once(['=', ':']).ok_or_else(|| bad(part))?;
        let n = parse_size(size).filter(|n| *n > 0).ok_or_else(|| bad(part))?;
        if tier.trim().is_empty() {
            return Err(bad(part));
        }
        out.insert(tier.trim().to_string(), n);
    }
    Ok(out)
}

/// `2GiB`, `500 MB`, `1048576` → bytes.
fn parse_size(v: &str) -> Option<u64> {
    let v = v.trim().replace('_', "");
    let split = v.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024f64.powi(2),
        "gib" => 1024f64.powi(3),
        "tib" => 1024f64.powi(4),
        _ => return None,
    };
    let bytes = (n * mult).round();
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

/// An RFC 3339 time, checked by shape here (the database parses it).
fn as_of(v: &str) -> Result<String> {
    let v = v.trim();
    let ok = v.len() >= 10
        && v.as_bytes()[..10]
            .iter()
            .enumerate()
            .all(|(i, b)| if i == 4 || i == 7 { *b == b'-' } else { b.is_ascii_digit() });
    if ok {
        Ok(v.to_string())
    } else {
        Err(Error::config(
            format!("BRIDGE_CAPACITY_AS_OF `{v}` is not a date or an RFC 3339 time"),
            "set it like 2026-12-01T00:00:00Z, or unset it to count from now",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_quotas_take_units_and_bad_ones_name_the_entry() {
        let q = parse_tier_byte_quotas("starter=2GiB, pro=20 GB;free=1048576").unwrap();
        assert_eq!((q["starter"], q["pro"], q["free"]), (2 * 1024 * 1024 * 1024, 20_000_000_000, 1_048_576));
        let e = parse_tier_byte_quotas("pro=lots").unwrap_err().to_string();
        assert!(e.contains("`pro=lots`"), "{e}");
        assert!(parse_tier_byte_quotas("pro=0").is_err());
    }

    #[test]
    fn dormant_days_and_as_of_parse() {
        let get = |k: &str| match k {
            "BRIDGE_DORMANT_DAYS" => Some("45".to_string()),
            "BRIDGE_CAPACITY_AS_OF" => Some("2026-12-01T00:00:00Z".to_string()),
            _ => None,
        };
        let c = CapacityConfig::from_lookup(&get).unwrap();
        assert_eq!((c.dormant_days, c.as_of.as_deref()), (45, Some("2026-12-01T00:00:00Z")));
        assert_eq!(CapacityConfig::default().dormant_days, 30);
        let bad = |k: &str| (k == "BRIDGE_CAPACITY_AS_OF").then(|| "yesterday".to_string());
        assert!(CapacityConfig::from_lookup(&bad).unwrap_err().to_string().contains("BRIDGE_CAPACITY_AS_OF"));
    }
}
