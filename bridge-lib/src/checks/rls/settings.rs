//! Settings of the RLS check (#1): one field and one line of [`RlsConfig::from_lookup`] each
//! (the default included), plus its README line.

use crate::setting::{self, Lookup};
use serde::{Deserialize, Serialize};

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
}

impl Default for RlsConfig {
    fn default() -> Self {
        Self::from_lookup(&setting::nothing_set)
    }
}

impl RlsConfig {
    /// Reads `BRIDGE_PROBE_TENANTS` and `BRIDGE_TENANT_TABLES`; an unset one takes its default.
    pub fn from_lookup(get: Lookup) -> Self {
        RlsConfig {
            probe_tenants: setting::list(get, "BRIDGE_PROBE_TENANTS", &[]),
            probe_tenant_count: 3,
            tenant_tables: setting::list(get, "BRIDGE_TENANT_TABLES", &[]),
        }
    }
}
