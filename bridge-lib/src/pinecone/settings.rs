//! Pinecone settings: one field and one line of [`PineconeConfig::from_lookup`] each (the
//! default included), plus its README line.

use crate::secret::Secret;
use crate::setting::{self, Lookup};
use crate::Result;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Pinecone settings. `Debug` hides the key, and serialising leaves it out (the notebook's
/// child process gets it through the configuration's explicit hand-off, `config/child.rs`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PineconeConfig {
    /// The API key (`PINECONE_API_KEY`).
    #[serde(skip)]
    pub api_key: Secret,
    /// The index name (`PINECONE_INDEX`), resolved to a host through the control plane.
    pub index: Option<String>,
    /// The index host (`PINECONE_INDEX_HOST`), which skips the control-plane call.
    pub host: Option<String>,
    /// The control-plane base URL (`PINECONE_CONTROLLER_URL`), default `https://api.pinecone.io`.
    pub controller_url: String,
    /// The pinned API version sent as `X-Pinecone-Api-Version` (`PINECONE_API_VERSION`), default
    /// [`crate::pinecone::DEFAULT_API_VERSION`].
    pub api_version: String,
    /// The TCP/TLS connect timeout; defaults to 5 s.
    pub connect_timeout: Duration,
    /// The timeout of one request (`BRIDGE_PINECONE_TIMEOUT_SECS`); defaults to 10 s.
    pub request_timeout: Duration,
    /// Retries after a 429, a 5xx or a transport failure (`BRIDGE_PINECONE_RETRIES`); defaults to 3.
    pub max_retries: u32,
}

impl PineconeConfig {
    /// Settings for `api_key` with every default: the public control plane, the pinned API
    /// version, 5 s to connect, 10 s a request, 3 retries.
    pub fn new(api_key: impl Into<String>) -> Self {
        let key = api_key.into();
        Self::read(&setting::nothing_set, key).expect("the defaults parse")
    }

    /// Reads the Pinecone variables: `None` when `PINECONE_API_KEY` is unset; an unset setting
    /// takes its default.
    pub fn from_lookup(get: Lookup) -> Result<Option<Self>> {
        get("PINECONE_API_KEY").map(|key| Self::read(get, key)).transpose()
    }

    fn read(get: Lookup, api_key: String) -> Result<Self> {
        Ok(PineconeConfig {
            api_key: Secret::new(api_key),
            index: get("PINECONE_INDEX"),
            host: get("PINECONE_INDEX_HOST"),
            controller_url: setting::text(get, "PINECONE_CONTROLLER_URL", "https://api.pinecone.io"),
            api_version: setting::text(get, "PINECONE_API_VERSION", super::DEFAULT_API_VERSION).trim().to_string(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: setting::number(
                get,
                "BRIDGE_PINECONE_TIMEOUT_SECS",
                10.0,
                |s: &f64| *s > 0.0 && *s <= 60.0,
                "a number of seconds up to 60",
                "set it to a number such as 10",
            )
            .map(Duration::from_secs_f64)?,
            max_retries: setting::number(
                get,
                "BRIDGE_PINECONE_RETRIES",
                3,
                |n| *n <= 10,
                "a whole number up to 10",
                "set it to a number such as 3",
            )?,
        })
    }
}
