//! Each check's display data, typed: what a check puts in [`CheckOutcome::data`] and what the
//! renderers draw. A check serialises its struct into `data` (the JSON shape the README
//! documents); a renderer reads it back with [`parse`], so no renderer re-states a default.
//!
//! [`CheckOutcome::data`]: crate::report::CheckOutcome::data

use crate::finding::Status;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Reads a check's data back: `None` when the check attached none (it skipped, or could not
/// run), otherwise the typed data or why it does not have the expected shape.
pub fn parse<T: DeserializeOwned>(data: &Value) -> Option<Result<T, serde_json::Error>> {
    if data.is_null() {
        None
    } else {
        Some(T::deserialize(data))
    }
}

/// The capacity check's data (README, "capacity data").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityData {
    /// Where the numbers come from (`snapshot FILE` or `index NAME (HOST)`).
    pub source: String,
    /// The index as a whole.
    pub index: CapacityIndex,
    /// The share of a quota that warns, in percent.
    pub warn_percent: f64,
    /// Days ahead the forecast looks.
    pub horizon_days: f64,
    /// Snapshots in the history the forecast was fitted on.
    pub history_points: usize,
    /// One row per tenant, in tenant order.
    pub tenants: Vec<TenantUsage>,
    /// Namespaces with no tenant.
    pub orphans: Vec<OrphanNamespace>,
}

/// The index in [`CapacityData`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityIndex {
    /// The index name, when it was described by name.
    pub name: Option<String>,
    /// Its host, when it was described by name.
    pub host: Option<String>,
    /// `serverless`, `pod`… (`unknown` offline or by host only).
    pub kind: String,
    /// The vector dimension.
    pub dimension: Option<u64>,
    /// The largest of the index, memory and storage fullness, 0..1.
    pub fullness: Option<f64>,
    /// Records in the whole index.
    pub total_vectors: Option<u64>,
    /// Namespaces in the index.
    pub namespaces: usize,
    /// Namespaces the plan allows per index.
    pub namespace_limit: u64,
}

/// One tenant's row in the capacity table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantUsage {
    /// The tenant id.
    pub tenant: String,
    /// Its namespace name.
    pub namespace: String,
    /// Its tier.
    pub tier: String,
    /// Whether it is active.
    pub active: bool,
    /// Records in its namespace; `None` when the namespace does not exist.
    pub vectors: Option<u64>,
    /// Its quota; `None` when the tier has none.
    pub quota: Option<u64>,
    /// `vectors / quota` in percent.
    pub percent: Option<f64>,
    /// Growth over the saved snapshots, records per day.
    pub growth_per_day: Option<f64>,
    /// Days until 80% of the quota at that growth (0 when already there).
    pub days_to_80: Option<f64>,
    /// Days until the quota is full at that growth.
    pub days_to_full: Option<f64>,
    /// The worst finding about this tenant.
    pub status: Status,
}

/// A namespace with no tenant, in [`CapacityData`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrphanNamespace {
    /// The namespace name (`""` is the default namespace).
    pub namespace: String,
    /// Records in it.
    pub vectors: u64,
}
