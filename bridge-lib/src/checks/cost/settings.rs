//! Settings of the cost reconciliation check (#2): one field and one line of
//! [`CostConfig::from_lookup`] each (the default included), plus its README line.

use crate::setting::{self, Lookup};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Column names of the allocated-cost ledger (a table or CSV/Parquet files).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerColumns {
    /// The tenant (`BRIDGE_COST_COL_TENANT`, default `tenant_id`).
    pub tenant: String,
    /// The provider, such as `openai` (`BRIDGE_COST_COL_PROVIDER`, default `provider`).
    pub provider: String,
    /// The model (`BRIDGE_COST_COL_MODEL`, default `model`).
    pub model: String,
    /// When the cost was incurred, in UTC (`BRIDGE_COST_COL_TIME`, default `occurred_at`).
    pub time: String,
    /// The allocated cost in the billing currency (`BRIDGE_COST_COL_COST`, default `cost_usd`).
    pub cost: String,
}

impl LedgerColumns {
    /// Each column with the variable that names it, in ledger order.
    pub fn by_variable(&self) -> [(&'static str, &str); 5] {
        [
            ("BRIDGE_COST_COL_TENANT", &self.tenant),
            ("BRIDGE_COST_COL_PROVIDER", &self.provider),
            ("BRIDGE_COST_COL_MODEL", &self.model),
            ("BRIDGE_COST_COL_TIME", &self.time),
            ("BRIDGE_COST_COL_COST", &self.cost),
        ]
    }

    fn from_lookup(get: Lookup) -> Result<Self> {
        Ok(LedgerColumns {
            tenant: setting::name(get, "BRIDGE_COST_COL_TENANT", "tenant_id")?,
            provider: setting::name(get, "BRIDGE_COST_COL_PROVIDER", "provider")?,
            model: setting::name(get, "BRIDGE_COST_COL_MODEL", "model")?,
            time: setting::name(get, "BRIDGE_COST_COL_TIME", "occurred_at")?,
            cost: setting::name(get, "BRIDGE_COST_COL_COST", "cost_usd")?,
        })
    }
}

/// Settings of the cost reconciliation check (#2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostConfig {
    /// The provider exports that are the truth: plain invoice CSV, FOCUS CSV/Parquet, OpenAI
    /// costs JSON, Anthropic cost report JSON (`BRIDGE_BILLED_FILES`, comma-separated; default
    /// none, and the check skips).
    pub billed_files: Vec<PathBuf>,
    /// Ledger files (CSV/Parquet) to use as the allocated side instead of the database
    /// (`BRIDGE_ALLOCATED_FILES`, comma-separated; default none: the database table).
    pub allocated_files: Vec<PathBuf>,
    /// The allocated-cost table (`BRIDGE_COST_TABLE`, default `usage_events`), read through
    /// `BRIDGE_ADMIN_DATABASE_URL`, else `DATABASE_URL`.
    pub table: String,
    /// The ledger's columns.
    pub columns: LedgerColumns,
    /// Variance above which a provider-period warns (`BRIDGE_COST_WARN`, default 0.05).
    pub warn: f64,
    /// Variance above which a provider-period fails (`BRIDGE_COST_FAIL`, default 0.10).
    pub fail: f64,
    /// The currency of the ledger; billed lines in another currency are not reconciled
    /// (`BRIDGE_COST_CURRENCY`, default `USD`).
    pub currency: String,
    /// Known provider names (`BRIDGE_COST_PROVIDERS`, default `openai,anthropic,pinecone`).
    pub providers: Vec<String>,
    /// Billed charge categories that no tenant consumed and that are reported apart
    /// (`BRIDGE_COST_UNALLOCATABLE`, default `tax,credit,minimum,purchase`).
    pub unallocatable: Vec<String>,
    /// FOCUS columns that name the provider, tried in order per row; the first naming a known
    /// provider wins (`BRIDGE_COST_FOCUS_PROVIDER_COLUMNS`, default
    /// `ServiceProviderName,ProviderName,PublisherName`: a marketplace row names the
    /// marketplace in `ProviderName` and the seller in `PublisherName`).
    pub focus_provider_columns: Vec<String>,
    /// How many top tenants by cost to show (`BRIDGE_COST_TOP_TENANTS`, default 10).
    pub top_tenants: usize,
    /// The gap explanation's settings (`BRIDGE_USAGE_FILES`, `BRIDGE_COST_ACCOUNTS`, token columns).
    #[serde(default)]
    pub explain: super::explain::ExplainConfig,
}

impl Default for CostConfig {
    fn default() -> Self {
        Self::from_lookup(&setting::nothing_set).expect("the defaults parse")
    }
}

impl CostConfig {
    /// Reads the `BRIDGE_COST_*`, `BRIDGE_BILLED_FILES` and `BRIDGE_ALLOCATED_FILES` variables;
    /// an unset one takes its default.
    pub fn from_lookup(get: Lookup) -> Result<Self> {
        let paths = |var: &str| -> Result<Vec<PathBuf>> {
            setting::list(get, var, &[]).into_iter().map(|p| crate::files::configured(var, PathBuf::from(p))).collect()
        };
        let lower = |var, default| setting::list(get, var, default).iter().map(|s| s.to_lowercase()).collect();
        let fraction = |var, default| {
            setting::number(
                get,
                var,
                default,
                |x| (0.0..=1.0).contains(x),
                "a fraction between 0 and 1",
                "set it like 0.05 (5%)",
            )
        };
        let c = CostConfig {
            billed_files: paths("BRIDGE_BILLED_FILES")?,
            allocated_files: paths("BRIDGE_ALLOCATED_FILES")?,
            table: setting::table_name(get, "BRIDGE_COST_TABLE", "usage_events")?,
            columns: LedgerColumns::from_lookup(get)?,
            warn: fraction("BRIDGE_COST_WARN", 0.05)?,
            fail: fraction("BRIDGE_COST_FAIL", 0.10)?,
            currency: setting::text(get, "BRIDGE_COST_CURRENCY", "USD").trim().to_uppercase(),
            providers: lower("BRIDGE_COST_PROVIDERS", &["openai", "anthropic", "pinecone"]),
            unallocatable: lower("BRIDGE_COST_UNALLOCATABLE", &["tax", "credit", "minimum", "purchase"]),
            focus_provider_columns: setting::list(
                get,
                "BRIDGE_COST_FOCUS_PROVIDER_COLUMNS",
                &["ServiceProviderName", "ProviderName", "PublisherName"],
            ),
            top_tenants: setting::number(
                get,
                "BRIDGE_COST_TOP_TENANTS",
                10,
                |_| true,
                "a whole number",
                "set it like 10",
            )?,
            explain: super::explain::ExplainConfig::from_lookup(get)?,
        };
        if c.warn > c.fail {
            return Err(Error::config(
                format!("BRIDGE_COST_WARN ({}) is above BRIDGE_COST_FAIL ({})", c.warn, c.fail),
                "set the warning threshold at or below the failure threshold, e.g. 0.05 and 0.10",
            ));
        }
        Ok(c)
    }
}
