//! Settings of the RLS check (#1): one field and one line of [`RlsConfig::from_lookup`] each
//! (the default included), plus its README line.

use crate::setting::{self, Lookup};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Settings of the RLS check (#1). Where tenants live and how their context is set are shared
/// with the other checks: [`crate::tenant::Tenancy`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RlsConfig {
    /// Tenants the RLS probe uses (`BRIDGE_PROBE_TENANTS=a,b`); default: read from the tenants
    /// table, test tenants first.
    pub probe_tenants: Vec<String>,
    /// How many tenants the RLS probe reads from the tenants table (no variable; default 3).
    pub probe_tenant_count: usize,
    /// Limits the RLS audit to these relations (`BRIDGE_TENANT_TABLES=documents,chunks`);
    /// default: every relation with the tenant column.
    pub tenant_tables: Vec<String>,
    /// More names of tenant key columns the RLS audit looks for (`BRIDGE_TENANT_COLUMNS=
    /// tenant_id,org_id,account_id`); default: only the tenant column. Columns with a foreign
    /// key to the tenants table are tenant keys whatever their name.
    pub tenant_columns: Vec<String>,
    /// Tenant values that mark rows shared by every tenant (`BRIDGE_SHARED_TENANT=global,*`);
    /// a NULL tenant always counts as shared.
    pub shared_tenants: Vec<String>,
    /// Which cross-tenant write probes the RLS check runs (`BRIDGE_PROBE_WRITES`, default `safe`).
    pub probe_writes: ProbeWrites,
    /// The RLS check also proves its probe (no variable: `bridge check --prove`): it plants
    /// mutants through `admin_database` in one transaction that is rolled back. Default off.
    pub prove: bool,
}

impl Default for RlsConfig {
    fn default() -> Self {
        Self::from_lookup(&setting::nothing_set).expect("the defaults parse")
    }
}

impl RlsConfig {
    /// Reads `BRIDGE_PROBE_TENANTS`, `BRIDGE_TENANT_TABLES`, `BRIDGE_TENANT_COLUMNS`,
    /// `BRIDGE_SHARED_TENANT` and `BRIDGE_PROBE_WRITES`; an unset one takes its default.
    pub fn from_lookup(get: Lookup) -> Result<Self> {
        Ok(RlsConfig {
            probe_tenants: setting::list(get, "BRIDGE_PROBE_TENANTS", &[]),
            probe_tenant_count: 3,
            tenant_tables: setting::list(get, "BRIDGE_TENANT_TABLES", &[]),
            tenant_columns: setting::list(get, "BRIDGE_TENANT_COLUMNS", &[])
                .iter()
                .map(|n| setting::checked_name("BRIDGE_TENANT_COLUMNS", n))
                .collect::<Result<_>>()?,
            shared_tenants: setting::list(get, "BRIDGE_SHARED_TENANT", &[]),
            probe_writes: setting::or(get, "BRIDGE_PROBE_WRITES", ProbeWrites::Safe, str::parse)?,
            prove: false,
        })
    }
}

/// Which cross-tenant write probes the RLS check runs (`BRIDGE_PROBE_WRITES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProbeWrites {
    /// Every write probe, even one that fires a trigger or rule (whose sequence advances and
    /// outside effects a rollback cannot undo).
    All,
    /// Only write probes that fire no trigger or rule (the default): nothing survives the rollback.
    #[default]
    Safe,
    /// No write probe.
    Off,
}

impl ProbeWrites {
    /// `all`, `safe` or `off`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeWrites::All => "all",
            ProbeWrites::Safe => "safe",
            ProbeWrites::Off => "off",
        }
    }
}

impl FromStr for ProbeWrites {
    type Err = Error;
    fn from_str(v: &str) -> Result<Self> {
        match v.trim().to_ascii_lowercase().as_str() {
            "all" => Ok(ProbeWrites::All),
            "safe" => Ok(ProbeWrites::Safe),
            "off" => Ok(ProbeWrites::Off),
            _ => Err(Error::config(
                format!("BRIDGE_PROBE_WRITES `{v}` is not all, safe or off"),
                "set BRIDGE_PROBE_WRITES=safe (the default), all or off",
            )),
        }
    }
}
