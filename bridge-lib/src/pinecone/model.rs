//! The shapes Pinecone answers with, parsed leniently (see `parse.rs`): counts as JSON
//! numbers or strings (proto3 int64), camelCase or snake_case field names, and a field the API
//! spec marks optional may be missing (a missing count is 0). A body that does not fit is an
//! error naming the field, never showing a value from the body.

use super::parse::{self, Obj, ParseError};
use crate::Secret;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

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

impl IndexDescription {
    /// Parses a describe-index response (`name` is required, as in the spec).
    pub fn from_json(body: &[u8]) -> Result<Self, ParseError> {
        let v = parse::json(body)?;
        let o = Obj::root(&v)?;
        let spec = o.obj(&["spec"])?;
        let part = |name: &str| spec.as_ref().map(|s| s.obj(&[name])).transpose().map(Option::flatten);
        let (serverless, pod) = (part("serverless")?, part("pod")?);
        let kind = if serverless.is_some() {
            IndexKind::Serverless
        } else if pod.is_some() {
            IndexKind::Pod
        } else if part("byoc")?.is_some() {
            IndexKind::Byoc
        } else {
            IndexKind::Unknown
        };
        let read_capacity =
            serverless.as_ref().map(|s| s.obj(&["read_capacity", "readCapacity"])).transpose()?.flatten();
        Ok(IndexDescription {
            name: o.required_text(&["name"])?,
            host: o.text(&["host"])?.unwrap_or_default(),
            dimension: o.count(&["dimension"])?,
            kind,
            pod_type: pod.as_ref().map(|p| p.text(&["pod_type", "podType"])).transpose()?.flatten(),
            pods: pod.as_ref().map(|p| p.count(&["pods"])).transpose()?.flatten(),
            read_capacity_mode: read_capacity.map(|r| r.text(&["mode"])).transpose()?.flatten(),
            state: o.obj(&["status"])?.map(|s| s.text(&["state"])).transpose()?.flatten(),
        })
    }
}

/// One namespace in a `describe_index_stats` response.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NamespaceStats {
    /// Records in the namespace (may lag recent writes); 0 when the answer leaves it out (the
    /// spec marks it optional).
    #[serde(rename = "vectorCount")]
    pub vector_count: u64,
    /// Bytes stored, when known: `size_bytes` of the namespace listing (API 2026-07 and
    /// later); describe_index_stats does not give it, a saved snapshot keeps it.
    #[serde(rename = "sizeBytes", skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
}

/// A `describe_index_stats` response (`IndexDescription` in Pinecone's OpenAPI). Every field is
/// optional there, and here. `Deserialize` reads it as [`IndexStats::from_json`] does.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct IndexStats {
    /// Namespace name → its stats; the default namespace is `""` (or `__default__`).
    pub namespaces: BTreeMap<String, NamespaceStats>,
    /// The vector dimension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimension: Option<u64>,
    /// Index fullness, 0..1: meaningful for pod indexes and dedicated read nodes only.
    #[serde(rename = "indexFullness", skip_serializing_if = "Option::is_none")]
    pub index_fullness: Option<f64>,
    /// Memory fullness (dedicated read nodes, API 2025-10 and later).
    #[serde(rename = "memoryFullness", skip_serializing_if = "Option::is_none")]
    pub memory_fullness: Option<f64>,
    /// Storage fullness (dedicated read nodes, API 2025-10 and later).
    #[serde(rename = "storageFullness", skip_serializing_if = "Option::is_none")]
    pub storage_fullness: Option<f64>,
    /// Records in the whole index.
    #[serde(rename = "totalVectorCount", skip_serializing_if = "Option::is_none")]
    pub total_vector_count: Option<u64>,
    /// The distance metric (API 2025-01 and later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// `dense` or `sparse` (API 2025-01 and later).
    #[serde(rename = "vectorType", skip_serializing_if = "Option::is_none")]
    pub vector_type: Option<String>,
}

impl IndexStats {
    /// Parses a `describe_index_stats` response.
    pub fn from_json(body: &[u8]) -> Result<Self, ParseError> {
        super::stats_json::from_slice(body)
    }

    /// The highest of index, memory and storage fullness, when any is reported.
    pub fn fullness(&self) -> Option<f64> {
        [self.index_fullness, self.memory_fullness, self.storage_fullness].into_iter().flatten().reduce(f64::max)
    }
}

impl<'de> Deserialize<'de> for IndexStats {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::stats_json::deserialize(d)
    }
}

/// One namespace from `GET /namespaces` (API 2025-04 and later, serverless only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamespaceInfo {
    /// The namespace name.
    pub name: String,
    /// Records in it; 0 when the answer leaves it out (the spec marks it optional).
    pub record_count: u64,
    /// Bytes stored (newer API versions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
}

/// One page of `GET /namespaces`.
#[derive(Debug, Clone, PartialEq)]
pub struct NamespacePage {
    /// The namespaces on this page. An entry without a name (the spec marks `name` optional)
    /// is left out: it cannot be matched to a tenant, and describe_index_stats still counts it.
    pub namespaces: Vec<NamespaceInfo>,
    /// The token for the next page; absent on the last one.
    pub pagination: Option<Pagination>,
}

impl NamespacePage {
    /// Parses a list-namespaces response.
    pub fn from_json(body: &[u8]) -> Result<Self, ParseError> {
        let v = parse::json(body)?;
        let o = Obj::root(&v)?;
        let mut namespaces = Vec::new();
        for ns in o.objects(&["namespaces"])? {
            let record_count = ns.count(&["record_count", "recordCount"])?.unwrap_or(0);
            let size_bytes = ns.count(super::stats_json::SIZE_BYTES)?;
            if let Some(name) = ns.text(&["name"])? {
                namespaces.push(NamespaceInfo { name, record_count, size_bytes });
            }
        }
        let pagination =
            o.obj(&["pagination"])?.map(|p| p.text(&["next"])).transpose()?.map(|next| Pagination { next });
        Ok(NamespacePage { namespaces, pagination })
    }
}

/// Pagination of a list response.
#[derive(Debug, Clone, PartialEq)]
pub struct Pagination {
    /// Pass as `paginationToken` to get the next page.
    pub next: Option<String>,
}

/// The longest error message kept from an error response, in characters.
const MESSAGE_CHARS: usize = 300;

/// The message of an error response: the control plane's `{"error":{"code","message"}}`, the
/// data plane's rpcStatus `{"code":16,"message"}`, or plain text such as `Unauthorized`; at
/// most 300 characters. `key` is scrubbed from the body and from the message before either is
/// cut short, so no part of it survives (a proxy may echo it, even JSON-escaped).
pub fn error_message(body: &[u8], key: &Secret) -> String {
    let text = key.scrub(&String::from_utf8_lossy(body));
    let from_json = serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| {
        let e = v.get("error").filter(|e| e.is_object()).unwrap_or(&v);
        let code = e.get("code").map(|c| c.as_str().map(str::to_string).unwrap_or_else(|| c.to_string()));
        let message = e.get("message").and_then(|m| m.as_str());
        match (code, message) {
            (Some(c), Some(m)) => Some(format!("{c}: {m}")),
            (None, Some(m)) => Some(m.to_string()),
            _ => None,
        }
    });
    let message = key.scrub(from_json.as_deref().unwrap_or(&text).trim());
    if message.is_empty() {
        "empty body".into()
    } else {
        message.chars().take(MESSAGE_CHARS).collect()
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
        let key = Secret::new("pcsk_k3y");
        assert_eq!(
            error_message(br#"{"status":429,"error":{"code":"QUOTA_EXCEEDED","message":"slow down"}}"#, &key),
            "QUOTA_EXCEEDED: slow down"
        );
        assert_eq!(error_message(br#"{"code":16,"message":"bad key","details":[]}"#, &key), "16: bad key");
        assert_eq!(error_message(b"Unauthorized", &key), "Unauthorized");
        assert_eq!(error_message(b"", &key), "empty body");
    }

    #[test]
    fn error_messages_lose_the_key_before_they_are_cut() {
        let key = Secret::new("pcsk_k3y");
        let cut = format!("{}pcsk_k3y", "x".repeat(MESSAGE_CHARS - 3));
        assert!(!error_message(cut.as_bytes(), &key).contains("pcsk"));
        let escaped = format!(r#"{{"message":"{}\u0070csk_k3y"}}"#, "x".repeat(MESSAGE_CHARS - 3));
        assert!(!error_message(escaped.as_bytes(), &key).contains("pcsk"));
        assert_eq!(error_message(br#"{"message":"\u0070csk_k3y!"}"#, &key), "[redacted]!");
    }

    #[test]
    fn optional_fields_may_be_missing_or_null() {
        let s = IndexStats::from_json(
            br#"{"namespaces":{"a":{},"b":{"vectorCount":null},"c":{"vectorCount":2}},"dimension":null}"#,
        )
        .unwrap();
        let counts: Vec<u64> = s.namespaces.values().map(|n| n.vector_count).collect();
        assert_eq!((counts, s.dimension), (vec![0, 0, 2], None));
        assert_eq!(IndexStats::from_json(br#"{"namespaces":null}"#).unwrap(), IndexStats::default());
        let p = NamespacePage::from_json(
            br#"{"namespaces":[{"name":"a"},{"record_count":3},{"name":"b","record_count":"4","size_bytes":null}],"pagination":{}}"#,
        )
        .unwrap();
        let names: Vec<(&str, u64)> = p.namespaces.iter().map(|n| (n.name.as_str(), n.record_count)).collect();
        assert_eq!(names, vec![("a", 0), ("b", 4)]);
        assert_eq!(p.pagination, Some(Pagination { next: None }));
        assert_eq!(NamespacePage::from_json(b"{}").unwrap().namespaces, vec![]);
    }

    #[test]
    fn malformed_bodies_name_the_field() {
        let e = |r: Result<IndexStats, ParseError>| r.unwrap_err().to_string();
        assert_eq!(
            e(IndexStats::from_json(br#"{"namespaces":{"t1":{"vectorCount":"many"}}}"#)),
            "field `namespaces.*.vectorCount` is not a whole non-negative count"
        );
        assert_eq!(e(IndexStats::from_json(br#"{"namespaces":[]}"#)), "field `namespaces` is not a JSON object");
        assert_eq!(e(IndexStats::from_json(br#"{"indexFullness":"full"}"#)), "field `indexFullness` is not a number");
        assert_eq!(e(IndexStats::from_json(b"[1]")), "the body is not a JSON object");
        let d = IndexDescription::from_json(br#"{"host":"h"}"#).unwrap_err().to_string();
        assert_eq!(d, "field `name` is missing");
        let d = IndexDescription::from_json(br#"{"name":"n","spec":{"pod":{"pods":"two"}}}"#).unwrap_err().to_string();
        assert_eq!(d, "field `spec.pod.pods` is not a whole non-negative count");
        let p = NamespacePage::from_json(br#"{"namespaces":[{"name":"a"},{"name":1}]}"#).unwrap_err().to_string();
        assert_eq!(p, "field `namespaces[1].name` is not a string");
    }

    #[test]
    fn stats_round_trip_through_serde() {
        let s = IndexStats::from_json(
            br#"{"namespaces":{"a":{"vector_count":"7"}},"index_fullness":0.5,"metric":"cosine"}"#,
        )
        .unwrap();
        let back: IndexStats = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        assert!(serde_json::from_str::<IndexStats>(r#"{"dimension":"x"}"#)
            .unwrap_err()
            .to_string()
            .contains("`dimension`"));
    }
}
