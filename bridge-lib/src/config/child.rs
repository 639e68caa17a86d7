//! The notebook's hand-off to its child `bridge` process (`bridge check --config-stdin`): the
//! whole configuration as JSON on the child's stdin, secrets included on purpose, suppressions
//! included (the child applies them, once). The child reads no configuration variable and its
//! environment holds none ([`super::is_config_var`]).
//!
//! Every setting travels because [`Config`] is serialised as a whole; only the secrets, which
//! `Config`'s own serialisation leaves out, are added here, by name. [`ChildConfig`] is the
//! one type that serialises them, and what it produces is a [`Secret`]: it never shows in
//! `Debug`, `Display` or a log.

use super::{parse_admin, Config};
use crate::db::DbTarget;
use crate::secret::Secret;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The wire form: the configuration and, apart, its secrets in the clear.
#[derive(Serialize, Deserialize)]
struct ChildConfig {
    /// `DATABASE_URL`: the connection string (password included).
    database: Option<String>,
    /// `BRIDGE_ADMIN_DATABASE_URL`: the connection string (password included).
    admin_database: Option<String>,
    /// `PINECONE_API_KEY`.
    pinecone_api_key: Option<String>,
    /// Everything else.
    config: Config,
}

impl Config {
    /// This configuration as the JSON the child reads with [`Config::from_child_json`]; it
    /// holds the passwords and the API key, so it stays a [`Secret`].
    pub(crate) fn to_child_json(&self) -> Secret {
        let wire = ChildConfig {
            database: self.database.as_ref().map(|d| d.connection_string().expose().to_string()),
            admin_database: self.admin_database.as_ref().map(|d| d.connection_string().expose().to_string()),
            pinecone_api_key: self.pinecone.as_ref().map(|p| p.api_key.expose().to_string()),
            config: self.clone(),
        };
        Secret::new(serde_json::to_string(&wire).expect("a configuration serialises"))
    }

    /// Reads the configuration a parent wrote with `to_child_json` (the `bridge` binary's
    /// hidden `--config-stdin`). Errors name the position, never the text (it holds secrets).
    pub fn from_child_json(text: &str) -> Result<Config> {
        let wire: ChildConfig = serde_json::from_str(text).map_err(|e| {
            Error::config(
                format!(
                    "the configuration on stdin does not parse ({:?} error at line {} column {})",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
                "--config-stdin is for the notebook's child process; configure a terminal run with variables",
            )
        })?;
        let mut cfg = wire.config;
        cfg.database = wire.database.as_deref().map(DbTarget::parse).transpose()?;
        cfg.admin_database = wire.admin_database.as_deref().map(parse_admin).transpose()?;
        match (&mut cfg.pinecone, wire.pinecone_api_key) {
            (Some(p), Some(key)) => p.api_key = Secret::new(key),
            (None, None) => {}
            _ => {
                return Err(Error::config(
                    "the configuration on stdin has Pinecone settings without a key, or a key without settings",
                    "--config-stdin is for the notebook's child process; configure a terminal run with variables",
                ))
            }
        }
        Ok(cfg)
    }
}
