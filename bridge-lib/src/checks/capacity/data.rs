//! The check's display data ([`CapacityData`]), serialised into `CheckOutcome.data`.

use super::{Evaluation, Ledger, Usage, WARN_RATIO};
use crate::config::CapacityConfig;
use crate::report::data::{CapacityData, CapacityIndex, LedgerSummary, OrphanNamespace};

/// The display data: see the README's "capacity data" for the shape.
pub fn capacity_data(
    cap: &CapacityConfig,
    usage: &Usage,
    e: &Evaluation,
    history_points: usize,
    ledger: Option<&Ledger>,
) -> CapacityData {
    CapacityData {
        source: usage.source.clone(),
        index: CapacityIndex {
            name: usage.index.as_ref().map(|i| i.name.clone()),
            host: usage.index.as_ref().map(|i| i.host.clone()),
            kind: usage.kind.as_str().to_string(),
            dimension: usage.stats.dimension,
            fullness: usage.stats.fullness(),
            total_vectors: usage.stats.total_vector_count,
            namespaces: usage.stats.namespaces.len(),
            namespace_limit: cap.namespace_limit,
        },
        warn_percent: WARN_RATIO * 100.0,
        horizon_days: cap.horizon_days,
        history_points,
        tenants: e.tenants.clone(),
        orphans: e.orphans.iter().map(|(n, v)| OrphanNamespace { namespace: n.clone(), vectors: *v }).collect(),
        ledger: ledger.map(|l| LedgerSummary {
            source: l.source.clone(),
            as_of: l.as_of.clone(),
            window_days: l.window_days,
            tenants: l.tenants.len(),
        }),
        stores: e.stores.clone(),
        scaling: e.scaling.clone(),
    }
}

/// [`capacity_data`] as the JSON value `CheckOutcome.data` holds.
pub fn outcome_data(
    cap: &CapacityConfig,
    usage: &Usage,
    e: &Evaluation,
    history_points: usize,
    ledger: Option<&Ledger>,
) -> serde_json::Value {
    serde_json::to_value(capacity_data(cap, usage, e, history_points, ledger)).unwrap_or_default()
}
