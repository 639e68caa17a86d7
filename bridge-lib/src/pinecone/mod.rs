//! A small async Pinecone client (reqwest over rustls with the ring provider, no OpenSSL) for
//! the capacity check: describe an index on the control plane, `describe_index_stats` and the
//! paginated namespace list on the data plane, or a saved stats response offline.
//!
//! Every request carries `Api-Key` and a pinned `X-Pinecone-Api-Version` (without it Pinecone
//! silently uses its oldest supported version). Connect and request timeouts are set; 408,
//! 429 and 5xx answers and transport failures are retried a bounded number of times with
//! exponential backoff and jitter. Two budgets bound the time: one call with its retries takes
//! at most [`CALL_BUDGET`], and all calls of one client (one reading of the index) at most
//! [`TOTAL_BUDGET`]. A `Retry-After` is honoured when it fits the overall budget, even past the
//! call budget; a longer one is an error that says so. Every error names the request. The key
//! is a [`Secret`](crate::Secret): it never appears in `Debug` or in an error, and no error
//! shows a value from a successful answer (a proxy may echo the key anywhere).

pub mod history;
mod model;
mod parse;
mod settings;
mod stats_json;

pub use model::Pagination;
pub use model::{error_message, IndexDescription, IndexKind, IndexStats, NamespaceInfo, NamespacePage, NamespaceStats};
pub use parse::ParseError;
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
/// The longest one call (all its retries included) may take, unless Pinecone asks for a longer
/// `Retry-After` that still fits [`TOTAL_BUDGET`].
pub const CALL_BUDGET: Duration = Duration::from_secs(25);
/// The longest all calls of one `Client` together may take, counted from its creation: a
/// client is one reading of the index. The capacity check's own limit is the same 28 s.
pub const TOTAL_BUDGET: Duration = Duration::from_secs(28);
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
    IndexStats::from_json(&body).map_err(|e| {
        Error::input(
            path.display().to_string(),
            format!("not a describe_index_stats response: {e}"),
            "save one with `bridge capacity snapshot --out FILE`",
        )
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
