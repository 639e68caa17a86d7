//! The three-way join: each tenant of the tenants registry with its namespace in the index
//! (records, and bytes where the namespace listing gives them) and its activity in the cost
//! ledger, then the tenants only the ledger names. Pure: unit-tested without I/O.

use super::ledger::{Activity, Ledger};
use super::lookup::{ascending, Lookup};
use super::Tenant;
use crate::config::CapacityConfig;
use crate::finding::Status;
use crate::pinecone::{IndexStats, NamespaceStats};
use crate::report::data::TenantStores;
use std::collections::HashSet;

/// One row per registered tenant (in `tenants` order), then one per tenant only the ledger
/// names (in id order); every row still `pass`.
pub fn table(
    cap: &CapacityConfig,
    stats: &IndexStats,
    tenants: &[Tenant],
    ledger: Option<&Ledger>,
) -> Vec<TenantStores> {
    let mut rows = registered(cap, stats, tenants, ledger);
    rows.extend(ledger_only(cap, stats, tenants, ledger));
    rows
}

/// One row per registered tenant, in `tenants` order.
pub(crate) fn registered(
    cap: &CapacityConfig,
    stats: &IndexStats,
    tenants: &[Tenant],
    ledger: Option<&Ledger>,
) -> Vec<TenantStores> {
    let walk = ascending(tenants.iter().map(|t| t.id.as_str()));
    let first = tenants.first().map(|t| t.id.as_str());
    let first_ns = first.map(|id| format!("{}{id}", cap.namespace_prefix));
    let mut in_index = Lookup::new(&stats.namespaces, walk, first_ns.as_deref());
    let mut in_ledger = ledger.map(|l| Lookup::new(&l.tenants, walk, first));
    tenants
        .iter()
        .map(|t| {
            let namespace = format!("{}{}", cap.namespace_prefix, t.id);
            let ns = in_index.get(&namespace);
            let activity = in_ledger.as_mut().and_then(|l| l.get(&t.id));
            row(cap, ledger.is_some(), (namespace, ns), activity, &t.id, Some(t))
        })
        .collect()
}

/// One row per tenant only the ledger names, in id order.
pub(crate) fn ledger_only(
    cap: &CapacityConfig,
    stats: &IndexStats,
    tenants: &[Tenant],
    ledger: Option<&Ledger>,
) -> Vec<TenantStores> {
    let Some(l) = ledger else { return Vec::new() };
    let known: HashSet<&str> = tenants.iter().map(|t| t.id.as_str()).collect();
    l.tenants
        .iter()
        .filter(|(id, _)| !known.contains(id.as_str()))
        .map(|(id, a)| {
            let namespace = format!("{}{id}", cap.namespace_prefix);
            let ns = stats.namespaces.get(&namespace);
            row(cap, true, (namespace, ns), Some(a), id, None)
        })
        .collect()
}

/// One tenant's row: its namespace (name, and stats when the index has it) and its ledger
/// activity (`read`: whether the ledger was read at all).
fn row(
    cap: &CapacityConfig,
    read: bool,
    (namespace, ns): (String, Option<&NamespaceStats>),
    activity: Option<&Activity>,
    id: &str,
    tenant: Option<&Tenant>,
) -> TenantStores {
    let active = tenant.is_some_and(|t| t.active);
    TenantStores {
        tenant: id.to_string(),
        registered: tenant.is_some(),
        active,
        tier: tenant.map(|t| t.tier.clone()),
        records: ns.map(|n| n.vector_count),
        bytes: ns.and_then(|n| n.size_bytes),
        byte_quota: tenant.and_then(|t| cap.tier_byte_quotas.get(&t.tier).copied()),
        namespace,
        spend: read.then(|| activity.map_or(0.0, |a| a.spend)),
        events: read.then(|| activity.map_or(0, |a| a.events)),
        last_activity: activity.and_then(|a| a.last_activity.clone()),
        idle_days: activity.and_then(|a| a.idle_days),
        dormant: active && read && activity.is_none_or(|a| a.events == 0),
        status: Status::Pass,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::checks::capacity::rules::fixture::usage;
    use crate::pinecone::IndexKind;

    /// A ledger as of 2026-12-01 with a 30-day window: `(tenant, spend, events, idle days)`.
    pub(crate) fn ledger(rows: &[(&str, f64, u64, f64)]) -> Ledger {
        Ledger {
            source: "test".into(),
            as_of: "2026-12-01T00:00:00Z".into(),
            as_of_unix: 1_796_083_200,
            window_days: 30,
            tenants: rows
                .iter()
                .map(|(t, spend, events, idle)| {
                    let a = Activity {
                        spend: *spend,
                        events: *events,
                        last_activity: Some("2026-11-20T00:00:00Z".into()),
                        idle_days: Some(*idle),
                    };
                    (t.to_string(), a)
                })
                .collect(),
        }
    }

    #[test]
    fn joins_registry_index_and_ledger_and_keeps_ledger_only_tenants() {
        let tenants = [
            Tenant { id: "a".into(), tier: "pro".into(), active: true, ..Tenant::default() },
            Tenant { id: "quiet".into(), tier: "pro".into(), active: true, ..Tenant::default() },
        ];
        let u = usage(IndexKind::Serverless, None, &[("a", 10), ("quiet", 5)]);
        let l = ledger(&[("a", 12.5, 40, 1.0), ("ghost", 3.0, 9, 2.0)]);
        let rows = table(&CapacityConfig::default(), &u.stats, &tenants, Some(&l));
        let ids: Vec<(&str, bool, bool)> = rows.iter().map(|r| (r.tenant.as_str(), r.registered, r.dormant)).collect();
        assert_eq!(ids, [("a", true, false), ("quiet", true, true), ("ghost", false, false)]);
        assert_eq!((rows[0].records, rows[0].spend, rows[0].events), (Some(10), Some(12.5), Some(40)));
        assert_eq!((rows[2].records, rows[2].spend), (None, Some(3.0)));
        let without = table(&CapacityConfig::default(), &u.stats, &tenants, None);
        assert_eq!((without.len(), without[1].dormant, without[1].spend), (2, false, None), "no ledger: no dormancy");
    }
}
