//! Gathering: what Pinecone says about the index, read live (bounded by
//! [`super::PINECONE_LIMIT`]) or from a snapshot saved by
//! `bridge capacity snapshot`.

#[cfg(feature = "pinecone-api")]
use super::{LIST_NAMESPACES_UP_TO, PINECONE_LIMIT};
use crate::config::Config;
use crate::pinecone::{self, IndexDescription, IndexKind, IndexStats};
use crate::{Error, Result};

/// What Pinecone says about the index.
#[derive(Debug, Clone)]
pub struct Usage {
    /// Where the numbers come from (`snapshot FILE` or `index NAME (HOST)`).
    pub source: String,
    /// The control plane's description, when the index was described by name.
    pub index: Option<IndexDescription>,
    /// Serverless, pod… (`unknown` offline or by host only).
    pub kind: IndexKind,
    /// The stats, with the namespace list's counts merged in when it was read.
    pub stats: IndexStats,
}

/// Runs a file read on the blocking pool, so a slow file holds no async worker and the
/// per-check time limit applies to it.
pub(super) async fn off_the_workers<T: Send + 'static>(
    path: &std::path::Path,
    read: fn(&std::path::Path) -> Result<T>,
) -> Result<T> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || read(&path))
        .await
        .map_err(|e| Error::internal(format!("the file-reading task failed: {e}")))?
}

/// Reads the index: a saved snapshot, or Pinecone itself (bounded by
/// [`super::PINECONE_LIMIT`]).
pub async fn gather_usage(cfg: &Config) -> Result<Usage> {
    if let Some(path) = &cfg.capacity.snapshot {
        let stats = off_the_workers(path, pinecone::load_stats).await?;
        return Ok(Usage {
            source: format!("snapshot {}", path.display()),
            index: None,
            kind: IndexKind::Unknown,
            stats,
        });
    }
    let Some(p) = &cfg.pinecone else {
        return Err(Error::config("PINECONE_API_KEY is not set", "set PINECONE_API_KEY, or BRIDGE_PINECONE_SNAPSHOT"));
    };
    read_live(p).await
}

#[cfg(feature = "pinecone-api")]
async fn read_live(p: &crate::config::PineconeConfig) -> Result<Usage> {
    let client = pinecone::Client::new(p)?;
    match tokio::time::timeout(PINECONE_LIMIT, read_index(&client)).await {
        Ok(r) => r,
        Err(_) => {
            Err(Error::Timeout { what: "reading the Pinecone index".into(), seconds: PINECONE_LIMIT.as_secs_f64() })
        }
    }
}

#[cfg(not(feature = "pinecone-api"))]
async fn read_live(_: &crate::config::PineconeConfig) -> Result<Usage> {
    Err(Error::config(
        "this build of bridge-lib has no Pinecone client (feature `pinecone-api` is off)",
        "run the check through the `bridge` binary (the notebook does this itself), or build with the feature",
    ))
}

#[cfg(feature = "pinecone-api")]
async fn read_index(client: &pinecone::Client) -> Result<Usage> {
    let p = client.config();
    let index = match &p.index {
        Some(name) => Some(client.describe_index(name).await?),
        None => None,
    };
    let host = p.host.clone().or_else(|| index.as_ref().map(|i| i.host.clone())).filter(|h| !h.is_empty()).ok_or_else(
        || {
            Error::config(
                "neither PINECONE_INDEX nor PINECONE_INDEX_HOST is set",
                "set PINECONE_INDEX to the index name (or PINECONE_INDEX_HOST to its host)",
            )
        },
    )?;
    let kind = index.as_ref().map(|i| i.kind).unwrap_or(IndexKind::Unknown);
    let mut stats = client.describe_index_stats(&host).await?;
    if kind == IndexKind::Serverless && client.has_namespaces_api() && stats.namespaces.len() <= LIST_NAMESPACES_UP_TO {
        // the namespace list is the per-namespace API; its counts win, and it may know
        // namespaces the (eventually consistent) stats do not show yet
        for ns in client.list_namespaces(&host).await? {
            let size_bytes = ns.size_bytes;
            stats.namespaces.insert(ns.name, pinecone::NamespaceStats { vector_count: ns.record_count, size_bytes });
        }
    }
    if let Some(v) = stats.namespaces.remove("__default__") {
        stats.namespaces.entry(String::new()).or_insert(v);
    }
    let name = index.as_ref().map(|i| i.name.clone()).unwrap_or_default();
    Ok(Usage { source: format!("index {name} ({host})").replace("index  (", "index ("), index, kind, stats })
}
