//! Snapshots of namespace sizes over time (a JSON-lines file, one snapshot a line) and the
//! linear growth fit the capacity forecast uses.
//!
//! A line: `{"at":"2026-11-20T00:00:00Z","index":"rag-prod","namespaces":{"acme":2450000}}`.
//! `bridge capacity snapshot` appends one; lines may be in any order.

use crate::civil::{civil_from_days, days_from_civil};
use crate::pinecone::IndexStats;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// One saved measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// When it was taken, RFC 3339 in UTC (`2026-11-20T00:00:00Z`).
    pub at: String,
    /// Which index (name or host), for the record.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub index: String,
    /// Namespace → record count.
    pub namespaces: BTreeMap<String, u64>,
}

impl Snapshot {
    /// A snapshot of `stats` taken at unix time `now`.
    pub fn of(stats: &IndexStats, index: &str, now: i64) -> Self {
        Snapshot {
            at: format_rfc3339(now),
            index: index.to_string(),
            namespaces: stats.namespaces.iter().map(|(k, v)| (k.clone(), v.vector_count)).collect(),
        }
    }
}

/// The largest capacity history read (a year of daily snapshots of 100,000 namespaces).
pub const HISTORY_CAP: u64 = 1024 * crate::files::MIB;

/// Reads a history file; a file that does not exist yet is an empty history.
pub fn read_history(path: &Path) -> Result<Vec<(i64, Snapshot)>> {
    if matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound) {
        return Ok(Vec::new());
    }
    let text = crate::files::read_bounded_text(path, HISTORY_CAP, "the capacity history (BRIDGE_CAPACITY_HISTORY)")?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| {
            Error::input(
                format!("{}:{}", path.display(), n + 1),
                reason,
                "each line must be {\"at\":\"2026-11-20T00:00:00Z\",\"namespaces\":{\"tenant\":123}}; fix or delete \
                 the line",
            )
        };
        let s: Snapshot = serde_json::from_str(line).map_err(|e| bad(format!("not a snapshot: {e}")))?;
        let t = parse_rfc3339(&s.at).ok_or_else(|| bad(format!("`{}` is not an RFC 3339 UTC time", s.at)))?;
        out.push((t, s));
    }
    out.sort_by_key(|(t, _)| *t);
    Ok(out)
}

/// Appends one snapshot as a line.
pub fn append_history(path: &Path, snapshot: &Snapshot) -> Result<()> {
    let io = |e: std::io::Error| {
        Error::input(
            path.display().to_string(),
            format!("cannot append to the capacity history: {e}"),
            "make the file and its folder writable, or choose another path",
        )
    };
    // an existing history must be a regular file: opening a FIFO for writing waits for a reader
    if std::fs::symlink_metadata(path).is_ok() {
        crate::files::regular_file(path, u64::MAX, "the capacity history")?;
    }
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(io)?;
    let line = serde_json::to_string(snapshot).map_err(|e| io(std::io::Error::other(e)))?;
    writeln!(f, "{line}").map_err(io)
}

/// Growth of one namespace: a least-squares line through its (time, count) points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Growth {
    /// Records per day (negative when shrinking).
    pub per_day: f64,
    /// How many points the fit used.
    pub points: usize,
    /// Days the points span.
    pub span_days: f64,
}

/// Fits a line through `(unix seconds, count)` points; `None` with fewer than two distinct times.
pub fn fit(points: &[(i64, u64)]) -> Option<Growth> {
    if points.len() < 2 {
        return None;
    }
    let t0 = points.iter().map(|p| p.0).min()?;
    // computed from the points as they are read (no vectors: called once per tenant)
    let x = |p: &(i64, u64)| (p.0 - t0) as f64 / 86_400.0;
    let y = |p: &(i64, u64)| p.1 as f64;
    let n = points.len() as f64;
    let mx = points.iter().map(x).sum::<f64>() / n;
    let my = points.iter().map(y).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (x(p) - mx).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = points.iter().map(|p| (x(p) - mx) * (y(p) - my)).sum();
    let span = points.iter().map(x).fold(0.0, f64::max);
    Some(Growth { per_day: sxy / sxx, points: points.len(), span_days: span })
}

/// Days until `count` growing at `per_day` reaches `target`: `Some(0)` when already there, `None`
/// when it does not grow.
pub fn days_until(count: u64, per_day: f64, target: f64) -> Option<f64> {
    if count as f64 >= target {
        Some(0.0)
    } else if per_day > 0.0 {
        Some((target - count as f64) / per_day)
    } else {
        None
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|+00:00)` to unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let s = s.trim();
    let (main, offset) = if let Some(m) = s.strip_suffix('Z').or_else(|| s.strip_suffix('z')) {
        (m, 0)
    } else if s.len() > 6 && (s.as_bytes()[s.len() - 6] == b'+' || s.as_bytes()[s.len() - 6] == b'-') {
        let (m, o) = s.split_at(s.len() - 6);
        let sign = if o.starts_with('-') { -1 } else { 1 };
        let h: i64 = o.get(1..3)?.parse().ok()?;
        let mi: i64 = o.get(4..6)?.parse().ok()?;
        (m, sign * (h * 3600 + mi * 60))
    } else {
        return None;
    };
    let main = main.split('.').next()?;
    let (date, time) = main.split_once(['T', 't', ' '])?;
    let d: Vec<i64> = date.split('-').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let t: Vec<i64> = time.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    if d.len() != 3 || t.len() != 3 || !(1..=12).contains(&d[1]) || !(1..=31).contains(&d[2]) {
        return None;
    }
    Some(days_from_civil(d[0], d[1] as u32, d[2] as u32) * 86_400 + t[0] * 3600 + t[1] * 60 + t[2] - offset)
}

/// Formats unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// The current unix time.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_round_trips() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-11-20T00:00:00Z"), Some(1_795_132_800));
        assert_eq!(parse_rfc3339("2026-11-20T02:00:00.123+02:00"), Some(1_795_132_800));
        assert_eq!(format_rfc3339(1_795_132_800), "2026-11-20T00:00:00Z");
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
    }

    #[test]
    fn linear_fit_and_days() {
        let day = 86_400;
        let g = fit(&[(0, 1000), (day, 1100), (2 * day, 1200), (3 * day, 1300)]).unwrap();
        assert!((g.per_day - 100.0).abs() < 1e-9, "{g:?}");
        assert_eq!(g.span_days, 3.0);
        assert_eq!(days_until(1300, g.per_day, 1800.0), Some(5.0));
        assert_eq!(days_until(2000, g.per_day, 1800.0), Some(0.0));
        assert_eq!(days_until(1300, -5.0, 1800.0), None);
        assert!(fit(&[(0, 1)]).is_none());
        assert!(fit(&[(5, 1), (5, 2)]).is_none());
    }

    #[test]
    fn history_reads_sorted_and_appends() {
        let dir = std::env::temp_dir().join(format!("bridge-hist-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("h.jsonl");
        let _ = std::fs::remove_file(&p);
        assert!(read_history(&p).unwrap().is_empty());
        let mut s = Snapshot { at: "2026-11-02T00:00:00Z".into(), index: "i".into(), namespaces: BTreeMap::new() };
        s.namespaces.insert("a".into(), 5);
        append_history(&p, &s).unwrap();
        s.at = "2026-11-01T00:00:00Z".into();
        append_history(&p, &s).unwrap();
        let h = read_history(&p).unwrap();
        assert_eq!(h.len(), 2);
        assert!(h[0].0 < h[1].0);
        std::fs::write(&p, "{\"at\":\"soon\",\"namespaces\":{}}\n").unwrap();
        let e = read_history(&p).unwrap_err().to_string();
        assert!(e.contains("h.jsonl:1") && e.contains("RFC 3339"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
