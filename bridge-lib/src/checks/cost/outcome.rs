//! The outcome's data: the reconciliation, the per-tenant rows and the top tenants, as JSON for
//! the notebook and the report.

use super::model::{AllocatedRow, Gathered, Reconciliation, VarianceRow};
use super::units::to_units;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Top tenants by allocated cost, with their share of the total.
pub fn top_tenants(rows: &[AllocatedRow], n: usize) -> Vec<Value> {
    let mut by: BTreeMap<&str, (i64, u64)> = BTreeMap::new();
    for r in rows {
        let e = by.entry(&r.tenant).or_default();
        e.0 += r.micros;
        e.1 += r.events;
    }
    let total: i64 = by.values().map(|v| v.0).sum();
    let mut v: Vec<_> = by.into_iter().collect();
    v.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
    v.into_iter()
        .take(n)
        .map(|(t, (m, events))| {
            json!({ "tenant": t, "cost": to_units(m), "events": events,
                    "share": if total == 0 { 0.0 } else { m as f64 / total as f64 } })
        })
        .collect()
}

/// The outcome's data for the notebook and [`crate::render::cost_chart`].
pub fn outcome_data(g: &Gathered, r: &Reconciliation, top: usize) -> Value {
    let sum = |f: fn(&VarianceRow) -> f64| r.variance.iter().map(f).sum::<f64>();
    let (alloc, billed, excl) = (sum(|v| v.allocated), sum(|v| v.billed), sum(|v| v.unallocatable));
    json!({
        "currency": r.currency,
        "thresholds": { "warn": r.warn, "fail": r.fail },
        "sources": { "allocated": g.allocated_source, "billed": g.billed_sources },
        "variance": r.variance,
        "unallocatable": r.unallocatable,
        "outside_periods": r.outside,
        "corrections": r.corrections,
        "invoices": r.invoices,
        "totals": { "allocated": alloc, "billed": billed, "unallocatable": excl,
                    "coverage": if billed == 0.0 { Value::Null } else { json!(alloc / billed) } },
        "top_tenants": top_tenants(&g.allocated, top),
        "tenants": g.allocated.iter().map(|a| json!({
            "tenant": a.tenant, "provider": a.provider, "model": a.model, "period": a.period,
            "cost": to_units(a.micros), "events": a.events })).collect::<Vec<_>>(),
    })
}
