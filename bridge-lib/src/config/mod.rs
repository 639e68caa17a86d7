//! Configuration: from the environment and an optional `.env`, with conventions that have
//! defaults and can be overridden. Secrets are held in [`Secret`](crate::Secret) and never
//! printed.
//!
//! [`Config`] is the aggregate; each part lives with its owner and reads its own variables:
//! the connection target in [`crate::db`], where tenants live in [`crate::tenant`], each
//! check's settings beside the check (`checks/<check>/settings.rs`), Pinecone's in
//! [`crate::pinecone`]. Adding a setting is a field with its doc comment, one line of its
//! owner's `from_lookup` (the default included), and its README line: the notebook's child
//! process gets it through the serialised configuration ([`child`]) without another edit.

pub mod child;
pub mod suppressions;
#[cfg(test)]
mod tests;

pub use crate::checks::capacity::{parse_tier_quotas, CapacityConfig};
pub use crate::checks::cost::{CostConfig, LedgerColumns};
pub use crate::checks::rls::{ProbeWrites, RlsConfig};
pub use crate::checks::tenants::TenantsConfig;
pub use crate::db::{redact_url, DbTarget, TlsMode};
pub use crate::pinecone::PineconeConfig;
pub use crate::tenant::{Tenancy, TenantContext};

use crate::setting;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Everything the checks need. Build it with [`Config::from_env`] or by hand.
///
/// Serialising it leaves out the secrets (the connection targets and the Pinecone key); the
/// one path that carries them is the child hand-off ([`child`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// The application's database (`DATABASE_URL`): the role the app really uses.
    #[serde(skip)]
    pub database: Option<DbTarget>,
    /// A privileged connection for provisioning (`BRIDGE_ADMIN_DATABASE_URL`), default the same
    /// as `database`.
    #[serde(skip)]
    pub admin_database: Option<DbTarget>,
    /// Where tenants live and how the tenant context is set (`BRIDGE_TENANTS_TABLE`,
    /// `BRIDGE_TENANT_COLUMN`, `BRIDGE_TENANT_SETTING`, `BRIDGE_TENANT_CONTEXT_SQL`).
    pub tenancy: Tenancy,
    /// The RLS check's probe tenants, relations, tenant key names, shared-row markers and write
    /// probes (`BRIDGE_PROBE_TENANTS`, `BRIDGE_TENANT_TABLES`, `BRIDGE_TENANT_COLUMNS`,
    /// `BRIDGE_SHARED_TENANT`, `BRIDGE_PROBE_WRITES`), and whether it proves its probe (`--prove`).
    pub rls: RlsConfig,
    /// The tenants check's settings (`BRIDGE_MIN_TEST_TENANTS`).
    pub tenants: TenantsConfig,
    /// Pinecone, when `PINECONE_API_KEY` is set.
    pub pinecone: Option<PineconeConfig>,
    /// The capacity check's quotas, snapshot and forecast settings.
    pub capacity: CapacityConfig,
    /// Cost reconciliation settings (`BRIDGE_COST_*`, `BRIDGE_BILLED_FILES`, `BRIDGE_ALLOCATED_FILES`).
    pub cost: CostConfig,
    /// Suppressed findings: (key, reason), from the file in `BRIDGE_SUPPRESSIONS`.
    pub suppressions: Vec<(String, String)>,
    /// Where the demo's data files live (cost exports, the Pinecone snapshot), when running
    /// on the demo (`BRIDGE_DATA_DIR`).
    pub data_dir: Option<PathBuf>,
    /// A label for reports: `configured`, `demo`, `demo broken`.
    pub environment: String,
}

impl Default for Config {
    fn default() -> Self {
        Self::from_lookup(setting::nothing_set).expect("the defaults parse")
    }
}

impl Config {
    /// Reads `.env` in the working directory (if present), then the environment.
    /// A `.env` that exists but cannot be read or parsed is a configuration error.
    pub fn from_env() -> Result<Self> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => {
                let reason = match &e {
                    dotenvy::Error::LineParse(_, index) => format!("line parse error at byte {index}"),
                    dotenvy::Error::Io(io) => io.to_string(),
                    _ => "it does not parse".to_string(),
                };
                return Err(Error::config(
                    format!("the .env file in the working directory cannot be used: {reason}"),
                    "write one NAME=value per line (or remove .env)",
                ));
            }
        }
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Builds the configuration from any variable lookup (for tests and embedding). A blank
    /// variable counts as unset, except a connection string (`DATABASE_URL`,
    /// `BRIDGE_ADMIN_DATABASE_URL`): present but blank is what a missing CI secret expands to,
    /// and is a configuration error.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        for var in ["DATABASE_URL", "BRIDGE_ADMIN_DATABASE_URL"] {
            if get(var).is_some_and(|v| v.trim().is_empty()) {
                return Err(Error::config(
                    format!("{var} is set but blank (what a missing CI secret expands to)"),
                    format!("set {var} to the connection string, or unset it"),
                ));
            }
        }
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let get: setting::Lookup = &get;
        Ok(Config {
            database: get("DATABASE_URL").map(|url| DbTarget::parse(&url)).transpose()?,
            admin_database: get("BRIDGE_ADMIN_DATABASE_URL").map(|url| parse_admin(&url)).transpose()?,
            tenancy: Tenancy::from_lookup(get)?,
            rls: RlsConfig::from_lookup(get)?,
            tenants: TenantsConfig::from_lookup(get)?,
            pinecone: PineconeConfig::from_lookup(get)?,
            capacity: CapacityConfig::from_lookup(get)?,
            cost: CostConfig::from_lookup(get)?,
            suppressions: setting::or(get, "BRIDGE_SUPPRESSIONS", Vec::new(), |p| {
                suppressions::read(std::path::Path::new(p))
            })?,
            data_dir: get("BRIDGE_DATA_DIR").map(PathBuf::from),
            environment: "configured".into(),
        })
    }

    /// True when nothing at all is configured: no database and no Pinecone key. The CLI and the
    /// notebook then use the embedded demo.
    pub fn is_unconfigured(&self) -> bool {
        self.database.is_none()
            && self.pinecone.is_none()
            && self.capacity.snapshot.is_none()
            && self.cost.billed_files.is_empty()
    }

    /// The names of tenant key columns, in order of preference: the tenant column
    /// (`BRIDGE_TENANT_COLUMN`), then `BRIDGE_TENANT_COLUMNS`.
    pub fn tenant_column_names(&self) -> Vec<String> {
        let column = &self.tenancy.column;
        let mut out = vec![column.clone()];
        out.extend(self.rls.tenant_columns.iter().filter(|c| *c != column).cloned());
        out.dedup();
        out
    }

    /// The connection used for provisioning.
    pub fn admin(&self) -> Option<&DbTarget> {
        self.admin_database.as_ref().or(self.database.as_ref())
    }

    /// Replaces every configured password and API key in `text` with `[redacted]` (for output
    /// that comes from elsewhere, such as a child process's stderr, and for error messages).
    pub fn scrub(&self, text: &str) -> String {
        let secrets = [
            self.database.as_ref().and_then(|d| d.password()),
            self.admin_database.as_ref().and_then(|d| d.password()),
            self.pinecone.as_ref().map(|p| &p.api_key),
        ];
        secrets.into_iter().flatten().fold(text.to_string(), |t, s| s.scrub(&t))
    }
}

/// Whether [`Config::from_env`] may read the variable `name`: `DATABASE_URL` and every
/// `BRIDGE_*` and `PINECONE_*` variable. The notebook removes these from its child process's
/// environment (the child gets its configuration on stdin), and tests remove them from the
/// `bridge` commands they run.
pub fn is_config_var(name: &str) -> bool {
    name == "DATABASE_URL" || name.starts_with("BRIDGE_") || name.starts_with("PINECONE_")
}

/// Parses `BRIDGE_ADMIN_DATABASE_URL`; its errors name that variable.
fn parse_admin(url: &str) -> Result<DbTarget> {
    const VAR: &str = "BRIDGE_ADMIN_DATABASE_URL";
    DbTarget::parse(url).map(|t| t.from_variable(VAR)).map_err(|e| match e {
        Error::Config { what, fix } => {
            Error::Config { what: what.replace("DATABASE_URL", VAR), fix: fix.replace("DATABASE_URL", VAR) }
        }
        other => other,
    })
}
