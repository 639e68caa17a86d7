//! The four readiness checks' ids: a leaf that findings, rules and reports all name.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The four readiness checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckId {
    /// #1: PostgreSQL row-level security isolates tenants.
    Rls,
    /// #2: allocated cost reconciles with the providers' bills.
    Cost,
    /// #3: every tenant's namespace is found and measured against its capacity.
    Capacity,
    /// #4: at least three test tenants are provisioned end to end.
    Tenants,
}

impl CheckId {
    /// All checks, in readiness-check order.
    pub const ALL: [CheckId; 4] = [CheckId::Rls, CheckId::Cost, CheckId::Capacity, CheckId::Tenants];

    /// The id used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Rls => "rls",
            CheckId::Cost => "cost",
            CheckId::Capacity => "capacity",
            CheckId::Tenants => "tenants",
        }
    }

    /// The human title.
    pub fn title(self) -> &'static str {
        match self {
            CheckId::Rls => "#1 RLS isolation",
            CheckId::Cost => "#2 cost allocation reconciles",
            CheckId::Capacity => "#3 namespace capacity monitoring",
            CheckId::Tenants => "#4 test tenants provisioned",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CheckId {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CheckId::ALL.into_iter().find(|c| c.as_str() == s.trim()).ok_or_else(|| {
            crate::Error::config(
                format!("unknown check `{s}`"),
                "use one or more of rls, cost, capacity, tenants, separated by commas",
            )
        })
    }
}
