//! Settings of the tenants check (#4): one field and one line of [`TenantsConfig::from_lookup`]
//! each (the default included), plus its README line.

use crate::setting::{self, Lookup};
use crate::Result;
use serde::{Deserialize, Serialize};

/// Settings of the tenants check (#4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantsConfig {
    /// How many test tenants readiness needs (`BRIDGE_MIN_TEST_TENANTS`, default 3).
    pub min_test_tenants: usize,
}

impl Default for TenantsConfig {
    fn default() -> Self {
        Self::from_lookup(&setting::nothing_set).expect("the defaults parse")
    }
}

impl TenantsConfig {
    /// Reads `BRIDGE_MIN_TEST_TENANTS`; unset, it takes its default.
    pub fn from_lookup(get: Lookup) -> Result<Self> {
        Ok(TenantsConfig {
            min_test_tenants: setting::number(
                get,
                "BRIDGE_MIN_TEST_TENANTS",
                3,
                |_| true,
                "a whole number",
                "set it to a number such as 3",
            )?,
        })
    }
}
