//! A small async Pinecone client (reqwest over rustls with the ring provider, no OpenSSL) for
//! the capacity check: describe an index on the control plane, `describe_index_stats` and the
//! paginated namespace list on the data plane, or a saved stats response offline.
//!
//! Every request carries `Api-Key` and a pinned `X-Pinecone-Api-Version` (without it Pinecone
//! silently uses its oldest supported version). Connect and request timeouts are set; 429 and
//! 5xx answers and transport failures are retried a bounded number of times with exponential
//! backoff and jitter, honouring `Retry-After`, and one call never takes longer than
//! [`CALL_BUDGET`]. The key is a [`Secret`](crate::Secret): it never appears in `Debug` or in
//! an error.

pub mod history;
mod model;
mod settings;

pub use model::{error_message, IndexDescription, IndexKind, IndexStats, NamespaceInfo, NamespacePage, NamespaceStats};
pub use settings::PineconeConfig;

#[cfg(feature = "pinecone-api")]
mod client;
#[cfg(feature = "pinecone-api")]
pub use client::Client;

use crate::{Error, Result};
use std::path::Path;
use std::time::Duration;

/// The API version pinned when `PINECONE_API_VERSION` is not set (stable, supported into 2027).
pub const DEFAULT_API_VERSION: &str = "2026-04";
/// The first API version with `GET /namespaces`.
pub const NAMESPACES_API_SINCE: &str = "2025-04";
/// The longest one call (all its retries included) may take.
pub const CALL_BUDGET: Duration = Duration::from_secs(25);
/// The longest `Retry-After` we wait; a longer one ends the retries.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(10);
/// The first backoff step (then doubled, plus up to 50% jitter).
pub const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// Namespaces per page asked of `GET /namespaces`.
pub const PAGE_LIMIT: u32 = 100;
/// The most pages `list_namespaces` reads (100,000 namespaces at 100 a page).
pub const MAX_PAGES: usize = 1000;

/// The data-plane base URL for a host: `https://{host}`, or the host itself when it already
/// has a scheme (tests and proxies use `http://127.0.0.1:port`).
pub fn data_plane_url(host: &str) -> String {
    let h = host.trim().trim_end_matches('/');
    if h.starts_with("http://") || h.starts_with("https://") {
        h.to_string()
    } else {
        format!("https://{h}")
    }
}

/// Reads a saved `describe_index_stats` response (offline mode).
pub fn load_stats(path: &Path) -> Result<IndexStats> {
    let body =
        crate::files::read_bounded(path, 256 * crate::files::MIB, "the saved index stats (BRIDGE_PINECONE_SNAPSHOT)")?;
    IndexStats::from_json(&body).map_err(|e| Error::Input {
        location: path.display().to_string(),
        reason: format!("not a describe_index_stats response: {e}"),
        fix: "save one with `bridge capacity snapshot --out FILE`".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_plane_urls() {
        assert_eq!(data_plane_url("idx-1.svc.pinecone.io/"), "https://idx-1.svc.pinecone.io");
        assert_eq!(data_plane_url("http://127.0.0.1:9"), "http://127.0.0.1:9");
    }
}
