//! `bridge capacity snapshot`: reads the live index and saves it, for offline runs
//! (`BRIDGE_PINECONE_SNAPSHOT`) and for the growth forecast (`BRIDGE_CAPACITY_HISTORY`).

use super::usage::gather_usage;
use crate::config::Config;
use crate::pinecone::history::{self, Snapshot};
use crate::{Error, Result};
use serde::Serialize;

/// What `bridge capacity snapshot` saved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Saved {
    /// Namespaces in the snapshot.
    pub namespaces: usize,
    /// Records in them.
    pub records: u64,
    /// The file the stats response was written to.
    pub out: std::path::PathBuf,
    /// The history file the snapshot line was appended to, if any.
    pub history: Option<std::path::PathBuf>,
}

/// Reads the index from Pinecone now (never from an offline snapshot), writes the stats
/// response to `out` as JSON (readable back through `BRIDGE_PINECONE_SNAPSHOT`) and appends a
/// timestamped line to `history` (default `BRIDGE_CAPACITY_HISTORY`) for the forecast.
pub async fn save_snapshot(cfg: &Config, out: &std::path::Path, history: Option<&std::path::Path>) -> Result<Saved> {
    if cfg.pinecone.is_none() {
        return Err(Error::config(
            "PINECONE_API_KEY is not set: a snapshot reads the live index",
            "set PINECONE_API_KEY and PINECONE_INDEX (or PINECONE_INDEX_HOST)",
        ));
    }
    let mut online = cfg.clone();
    online.capacity.snapshot = None;
    let usage = gather_usage(&online).await?;
    let text = serde_json::to_string_pretty(&usage.stats).map_err(|e| Error::Input {
        location: out.display().to_string(),
        reason: e.to_string(),
        fix: "report this as a bug".into(),
    })?;
    std::fs::write(out, text + "\n").map_err(|e| Error::Input {
        location: out.display().to_string(),
        reason: format!("cannot write the snapshot: {e}"),
        fix: "choose a writable path with --out".into(),
    })?;
    let history = history.map(std::path::Path::to_path_buf).or_else(|| cfg.capacity.history.clone());
    if let Some(h) = &history {
        let label = usage
            .index
            .as_ref()
            .map(|i| i.name.clone())
            .or_else(|| cfg.pinecone.as_ref().and_then(|p| p.host.clone()))
            .unwrap_or_default();
        history::append_history(h, &Snapshot::of(&usage.stats, &label, history::now_unix()))?;
    }
    Ok(Saved {
        namespaces: usage.stats.namespaces.len(),
        records: usage.stats.namespaces.values().map(|n| n.vector_count).sum(),
        out: out.to_path_buf(),
        history,
    })
}
