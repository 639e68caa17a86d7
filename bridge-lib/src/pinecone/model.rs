//! The shapes Pinecone answers with, parsed leniently: counts as JSON numbers or strings
//! (proto3 int64), camelCase or snake_case field names, missing optional fields.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// How the index is deployed, from the control plane's `spec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndexKind {
    /// Serverless: no per-namespace limit; capacity is the application's own quota.
    Serverless,
    /// Pod-based (legacy): a fixed capacity reported as `indexFullness`.
    Pod,
    /// Bring your own cloud.
    Byoc,
    /// Not known (an offline snapshot, or an index described by host only).
    Unknown,
}

impl IndexKind {
    /// The lowercase word.
    pub fn as_str(self) -> &'static str {
        match self {
            IndexKind::Serverless => "serverless",
            IndexKind::Pod => "pod",
            IndexKind::Byoc => "byoc",
            IndexKind::Unknown => "unknown",
        }
    }
}

/// What `GET /indexes/{name}` says about an index (the parts the check uses).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexDescription {
    /// The index name.
    pub name: String,
    /// The data-plane host.
    pub host: String,
    /// The vector dimension (absent for sparse indexes).
    pub dimension: Option<u64>,
    /// Serverless, pod or BYOC.
    pub kind: IndexKind,
    /// `p1.x1`… for pod indexes.
    pub pod_type: Option<String>,
    /// Number of pods, for pod indexes.
    pub pods: Option<u64>,
    /// `OnDemand` or `Dedicated` (dedicated read nodes), for serverless indexes.
    pub read_capacity_mode: Option<String>,
    /// `Ready`, `ScalingUp`…
    pub state: Option<String>,
}

#[derive(Deserialize)]
struct RawIndex {
    name: String,
    #[serde(default)]
    host: String,
    #[serde(default, deserialize_with = "opt_count")]
    dimension: Option<u64>,
    #[serde(default)]
    spec: serde_json::Value,
    #[serde(default)]
    status: serde_json::Value,
}

impl IndexDescription {
    /// Parses a describe-index response.
    pub fn from_json(body: &[u8]) -> serde_json::Result<Self> {
        let raw: RawIndex = serde_json::from_slice(body)?;
        let spec = &raw.spec;
        let kind = if spec.get("serverless").is_some() {
            IndexKind::Serverless
        } else if spec.get("pod").is_some() {
            IndexKind::Pod
        } else if spec.get("byoc").is_some() {
            IndexKind::Byoc
        } else {
            IndexKind::Unknown
        };
        let pod = spec.get("pod");
        let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_string);
        Ok(IndexDescription {
            name: raw.name,
            host: raw.host,
            dimension: raw.dimension,
            kind,
            pod_type: text(pod.and_then(|p| p.get("pod_type").or_else(|| p.get("podType")))),
            pods: pod.and_then(|p| p.get("pods")).and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok())),
            read_capacity_mode: text(
                spec.get("serverless")
                    .and_then(|s| s.get("read_capacity").or_else(|| s.get("readCapacity")))
                    .and_then(|r| r.get("mode")),
            ),
            state: text(raw.status.get("state")),
        })
    }
}

/// One namespace in a `describe_index_stats` response.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NamespaceStats {
    /// Records in the namespace (may lag recent writes).
    #[serde(rename = "vectorCount", alias = "vector_count", alias = "recordCount", alias = "record_count")]
    #[serde(deserialize_with = "count")]
    pub vector_count: u64,
}

/// A `describe_index_stats` response (`IndexDescription` in Pinecone's OpenAPI).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IndexStats {
    /// Namespace name → its stats; the default namespace is `""` (or `__default__`).
    #[serde(default)]
    pub namespaces: BTreeMap<String, NamespaceStats>,
    /// The vector dimension.
    #[serde(default, deserialize_with = "opt_count", skip_serializing_if = "Option::is_none")]
    pub dimension: Option<u64>,
    /// Index fullness, 0..1: meaningful for pod indexes and dedicated read nodes only.
    #[serde(rename = "indexFullness", alias = "index_fullness")]
    #[serde(default, deserialize_with = "opt_float", skip_serializing_if = "Option::is_none")]
    pub index_fullness: Option<f64>,
    /// Memory fullness (dedicated read nodes, API 2025-10 and later).
    #[serde(rename = "memoryFullness", alias = "memory_fullness")]
    #[serde(default, deserialize_with = "opt_float", skip_serializing_if = "Option::is_none")]
    pub memory_fullness: Option<f64>,
    /// Storage fullness (dedicated read nodes, API 2025-10 and later).
    #[serde(rename = "storageFullness", alias = "storage_fullness")]
    #[serde(default, deserialize_with = "opt_float", skip_serializing_if = "Option::is_none")]
    pub storage_fullness: Option<f64>,
    /// Records in the whole index.
    #[serde(rename = "totalVectorCount", alias = "total_vector_count", alias = "totalRecordCount")]
    #[serde(default, deserialize_with = "opt_count", skip_serializing_if = "Option::is_none")]
    pub total_vector_count: Option<u64>,
    /// The distance metric (API 2025-01 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// `dense` or `sparse` (API 2025-01 and later).
    #[serde(rename = "vectorType", alias = "vector_type", default, skip_serializing_if = "Option::is_none")]
    pub vector_type: Option<String>,
}

impl IndexStats {
    /// Parses a `describe_index_stats` response.
    pub fn from_json(body: &[u8]) -> serde_json::Result<Self> {
        serde_json::from_slice(body)
    }

    /// The highest of index, memory and storage fullness, when any is reported.
    pub fn fullness(&self) -> Option<f64> {
        [self.index_fullness, self.memory_fullness, self.storage_fullness].into_iter().flatten().reduce(f64::max)
    }
}

/// One namespace from `GET /namespaces` (API 2025-04 and later, serverless only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamespaceInfo {
    /// The namespace name.
    pub name: String,
    /// Records in it.
    #[serde(alias = "recordCount", default, deserialize_with = "count")]
    pub record_count: u64,
    /// Bytes stored (newer API versions).
    #[serde(alias = "sizeBytes", default, deserialize_with = "opt_count", skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
}

/// One page of `GET /namespaces`.
#[derive(Debug, Clone, Deserialize)]
pub struct NamespacePage {
    /// The namespaces on this page.
    #[serde(default)]
    pub namespaces: Vec<NamespaceInfo>,
    /// The token for the next page; absent on the last one.
    #[serde(default)]
    pub pagination: Option<Pagination>,
}

/// Pagination of a list response.
#[derive(Debug, Clone, Deserialize)]
pub struct Pagination {
    /// Pass as `paginationToken` to get the next page.
    #[serde(default)]
    pub next: Option<String>,
}

/// The message of an error response: the control plane's `{"error":{"code","message"}}`, the
/// data plane's rpcStatus `{"code":16,"message"}`, or plain text such as `Unauthorized`.
pub fn error_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        let e = v.get("error").filter(|e| e.is_object()).unwrap_or(&v);
        let code = e.get("code").map(|c| c.as_str().map(str::to_string).unwrap_or_else(|| c.to_string()));
        let message = e.get("message").and_then(|m| m.as_str());
        match (code, message) {
            (Some(c), Some(m)) => return format!("{c}: {m}"),
            (None, Some(m)) => return m.to_string(),
            _ => {}
        }
    }
    let t = text.trim();
    if t.is_empty() {
        "empty body".into()
    } else {
        t.chars().take(300).collect()
    }
}

struct CountVisitor;

impl<'de> Visitor<'de> for CountVisitor {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a non-negative count as a number or a string")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom(format!("negative count {v}")))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        if v >= 0.0 && v.fract() == 0.0 && v < u64::MAX as f64 {
            Ok(v as u64)
        } else {
            Err(E::custom(format!("count {v} is not a whole number")))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        v.trim().parse().map_err(|_| E::custom(format!("count `{v}` is not a whole number")))
    }
}

fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(CountVisitor)
}

fn opt_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    struct C(#[serde(deserialize_with = "count")] u64);
    Ok(Option::<C>::deserialize(d)?.map(|c| c.0))
}

fn opt_float<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum F {
        N(f64),
        S(String),
    }
    match Option::<F>::deserialize(d)? {
        None => Ok(None),
        Some(F::N(v)) => Ok(Some(v)),
        Some(F::S(s)) => s.trim().parse().map(Some).map_err(|_| de::Error::custom(format!("`{s}` is not a number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_accept_camel_snake_and_string_counts() {
        let camel = br#"{"namespaces":{"":{"vectorCount":50000},"a":{"vectorCount":"30000"}},
            "dimension":1024,"indexFullness":0.4,"totalVectorCount":"80000","metric":"cosine","vectorType":"dense"}"#;
        let s = IndexStats::from_json(camel).unwrap();
        assert_eq!(s.namespaces["a"].vector_count, 30000);
        assert_eq!(s.total_vector_count, Some(80000));
        assert_eq!(s.fullness(), Some(0.4));
        let snake = br#"{"namespaces":{"a":{"vector_count":7}},"index_fullness":"0.1",
            "memory_fullness":0.3,"storage_fullness":0.2,"total_vector_count":7}"#;
        let s = IndexStats::from_json(snake).unwrap();
        assert_eq!(s.namespaces["a"].vector_count, 7);
        assert_eq!(s.fullness(), Some(0.3));
        assert!(IndexStats::from_json(br#"{"namespaces":{"a":{"vectorCount":-1}}}"#).is_err());
        assert_eq!(IndexStats::from_json(b"{}").unwrap(), IndexStats::default());
    }

    #[test]
    fn describe_index_serverless_and_pod() {
        let s = IndexDescription::from_json(
            br#"{"name":"m","dimension":1536,"metric":"cosine","host":"m-c01b5b5.svc.us-east1-gcp.pinecone.io",
            "spec":{"serverless":{"cloud":"aws","region":"us-east-1","read_capacity":{"mode":"OnDemand"}}},
            "status":{"ready":true,"state":"Ready"}}"#,
        )
        .unwrap();
        assert_eq!(
            (s.kind, s.read_capacity_mode.as_deref(), s.state.as_deref()),
            (IndexKind::Serverless, Some("OnDemand"), Some("Ready"))
        );
        let p = IndexDescription::from_json(
            br#"{"name":"p","dimension":768,"host":"h","spec":{"pod":{"environment":"us-east-1-aws","pod_type":"p1.x1","pods":"2","replicas":1,"shards":1}},"status":{"state":"Ready"}}"#,
        )
        .unwrap();
        assert_eq!((p.kind, p.pod_type.as_deref(), p.pods), (IndexKind::Pod, Some("p1.x1"), Some(2)));
    }

    #[test]
    fn error_shapes() {
        assert_eq!(
            error_message(br#"{"status":429,"error":{"code":"QUOTA_EXCEEDED","message":"slow down"}}"#),
            "QUOTA_EXCEEDED: slow down"
        );
        assert_eq!(error_message(br#"{"code":16,"message":"bad key","details":[]}"#), "16: bad key");
        assert_eq!(error_message(b"Unauthorized"), "Unauthorized");
        assert_eq!(error_message(b""), "empty body");
    }
}
