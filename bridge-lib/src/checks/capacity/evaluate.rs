//! Evaluation: the capacity table (one row per tenant, from the stats and the history), then
//! the rules over it. Pure: unit-tested without I/O.

use super::ledger::Ledger;
use super::lookup::{ascending, Lookup};
use super::rules::byte_quota::byte_quota;
use super::rules::dormant::dormant;
use super::rules::forecast::forecast;
use super::rules::index_full::index_full;
use super::rules::namespace_limit::namespace_limit;
use super::rules::near_quota::{all_under_80_percent, near_quota};
use super::rules::no_namespace::{every_tenant_has_a_namespace, no_namespace};
use super::rules::no_quota::no_quota;
use super::rules::offboarded_namespace::offboarded_namespace;
use super::rules::orphan::orphan;
use super::rules::over_quota::over_quota;
use super::rules::spends_without_namespace::{every_spender_has_a_namespace, spends_without_namespace};
use super::rules::{pct, Ctx};
use super::{Tenant, Usage, WARN_RATIO};
use crate::config::{CapacityConfig, Config};
use crate::finding::{Finding, Status};
use crate::pinecone::history::{days_until, fit, Snapshot};
use crate::pinecone::IndexStats;
use crate::report::data::{ScalingDecision, TenantStores, TenantUsage};
use std::collections::HashSet;

/// What [`evaluate`] returns: the findings and the table they were read from.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// The findings.
    pub findings: Vec<Finding>,
    /// One row per tenant, in tenant order.
    pub tenants: Vec<TenantUsage>,
    /// Namespaces with no tenant: (name, records).
    pub orphans: Vec<(String, u64)>,
    /// The three-way table: registered tenants in order, then tenants only the ledger names.
    pub stores: Vec<TenantStores>,
    /// The auto-scaling decision per registered tenant, in tenant order.
    pub scaling: Vec<ScalingDecision>,
}

/// Turns what was read into findings and the capacity table, without the cost ledger: see
/// [`evaluate_with`].
pub fn evaluate(cfg: &Config, usage: &Usage, tenants: &[Tenant], history: &[(i64, Snapshot)]) -> Evaluation {
    evaluate_with(cfg, usage, tenants, history, None)
}

/// Turns what was read into findings, the capacity table, the three-way table and the scaling
/// decisions (pure: unit-tested without I/O).
///
/// Each tenant gets at most one of its rules (spends without a namespace, an inactive tenant's
/// namespace, no namespace, no quota, over, near, forecast), in tenant order; then the tenants
/// only the ledger names, the summaries, dormant tenants and byte quotas (apart), the orphans
/// and the index as a whole. From [`PARALLEL_FROM`] tenants on, the tenants are judged in
/// parts on as many threads as the machine has (each tenant is judged alone); the parts are
/// joined in tenant order, so the result is the same.
pub fn evaluate_with(
    cfg: &Config,
    usage: &Usage,
    tenants: &[Tenant],
    history: &[(i64, Snapshot)],
    ledger: Option<&Ledger>,
) -> Evaluation {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let threads = if tenants.len() < PARALLEL_FROM { 1 } else { threads };
    evaluate_on(threads, cfg, usage, tenants, history, ledger)
}

/// [`evaluate_with`] on `threads` threads.
fn evaluate_on(
    threads: usize,
    cfg: &Config,
    usage: &Usage,
    tenants: &[Tenant],
    history: &[(i64, Snapshot)],
    ledger: Option<&Ledger>,
) -> Evaluation {
    let ctx = Ctx { cfg, usage };
    let as_of = ledger.map(|l| l.as_of_unix).unwrap_or_else(crate::pinecone::history::now_unix);
    let mut e = Evaluation::default();
    let mut apart = Vec::new();
    for part in in_parts(tenants, threads, |part| judge_tenants(&ctx, part, history, ledger, as_of)) {
        e.tenants.extend(part.rows);
        e.stores.extend(part.stores);
        e.findings.extend(part.findings);
        e.scaling.extend(part.scaling);
        apart.extend(part.apart);
    }
    let registered = e.stores.len();
    e.stores.extend(super::stores::ledger_only(&cfg.capacity, &usage.stats, tenants, ledger));
    for s in e.stores.iter_mut().skip(registered) {
        if let Some(f) = spends_without_namespace(&ctx, s) {
            s.status = f.status;
            e.findings.push(f);
        }
    }
    e.findings.extend(all_under_80_percent(&ctx, &e.tenants));
    e.findings.extend(every_tenant_has_a_namespace(&ctx, &e.tenants));
    e.findings.extend(every_spender_has_a_namespace(&e.stores));
    e.findings.extend(apart);
    for s in e.stores.iter_mut().skip(registered) {
        e.findings.extend(dormant_or_byte_quota(&ctx, s));
    }
    e.orphans = orphans(&usage.stats, &e.tenants);
    e.findings.extend(e.orphans.iter().map(|(ns, vectors)| orphan(&ctx, ns, *vectors)));
    e.findings.extend(index_full(&ctx));
    e.findings.push(namespace_limit(&ctx, e.orphans.len()));
    e
}

/// From this many tenants on, [`evaluate_with`] judges them on several threads.
pub const PARALLEL_FROM: usize = 20_000;

/// `work` over `tenants` in `threads` parts, each on its own thread, in order.
fn in_parts<T: Send>(tenants: &[Tenant], threads: usize, work: impl Fn(&[Tenant]) -> T + Sync) -> Vec<T> {
    if threads < 2 || tenants.len() < 2 {
        return vec![work(tenants)];
    }
    std::thread::scope(|scope| {
        let work = &work;
        let parts: Vec<_> =
            tenants.chunks(tenants.len().div_ceil(threads)).map(|c| scope.spawn(move || work(c))).collect();
        parts.into_iter().map(|p| p.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}

/// What one part of the tenants gives: their rows, findings and decisions, and the findings
/// reported apart (dormant tenants, byte quotas).
struct Judged {
    rows: Vec<TenantUsage>,
    stores: Vec<TenantStores>,
    findings: Vec<Finding>,
    apart: Vec<Finding>,
    scaling: Vec<ScalingDecision>,
}

fn judge_tenants(
    ctx: &Ctx,
    tenants: &[Tenant],
    history: &[(i64, Snapshot)],
    ledger: Option<&Ledger>,
    as_of: i64,
) -> Judged {
    let cap = &ctx.cfg.capacity;
    let mut rows = rows(cap, &ctx.usage.stats, tenants, history);
    let mut stores = super::stores::registered(cap, &ctx.usage.stats, tenants, ledger);
    let (mut findings, mut apart) = (Vec::new(), Vec::new());
    for (row, s) in rows.iter_mut().zip(stores.iter_mut()) {
        let reconciled = spends_without_namespace(ctx, s).or_else(|| offboarded_namespace(ctx, s));
        if let Some(f) = &reconciled {
            s.status = f.status;
        }
        let found = reconciled
            .or_else(|| no_namespace(ctx, row))
            .or_else(|| no_quota(ctx, row))
            .or_else(|| over_quota(ctx, row))
            .or_else(|| near_quota(ctx, row))
            .or_else(|| forecast(ctx, row));
        if let Some(f) = found {
            row.status = f.status;
            findings.push(f);
        }
        apart.extend(dormant_or_byte_quota(ctx, s));
    }
    let scaling = rows.iter().zip(&stores).map(|(r, s)| super::scaling::decide(cap, r, Some(s), as_of)).collect();
    Judged { rows, stores, findings, apart, scaling }
}

/// The findings reported apart for one tenant (dormant, byte quota); the row takes the worst.
fn dormant_or_byte_quota(ctx: &Ctx, s: &mut TenantStores) -> Vec<Finding> {
    let found: Vec<Finding> = [dormant(ctx, s), byte_quota(ctx, s)].into_iter().flatten().collect();
    for f in &found {
        s.status = s.status.max(f.status);
    }
    found
}

/// The capacity table, every row still `pass` (the rules judge it), and the namespaces no
/// tenant owns. Growth is fitted only for namespaces that are measured (records and a quota).
pub fn table(
    cap: &CapacityConfig,
    stats: &IndexStats,
    tenants: &[Tenant],
    history: &[(i64, Snapshot)],
) -> (Vec<TenantUsage>, Vec<(String, u64)>) {
    let rows = rows(cap, stats, tenants, history);
    let orphans = orphans(stats, &rows);
    (rows, orphans)
}

/// The namespaces no row found (no tenant owns them), with their records.
fn orphans(stats: &IndexStats, rows: &[TenantUsage]) -> Vec<(String, u64)> {
    let owned: HashSet<&str> = rows.iter().filter(|r| r.vectors.is_some()).map(|r| r.namespace.as_str()).collect();
    stats
        .namespaces
        .iter()
        .filter(|(ns, _)| !owned.contains(ns.as_str()))
        .map(|(ns, s)| (ns.clone(), s.vector_count))
        .collect()
}

/// The capacity table's rows, in `tenants` order.
fn rows(cap: &CapacityConfig, stats: &IndexStats, tenants: &[Tenant], history: &[(i64, Snapshot)]) -> Vec<TenantUsage> {
    // a tenant's points are looked up in each snapshot when it is measured, into one buffer
    // (no map of every namespace's series, no allocation per tenant); in tenant order, each
    // map is walked once when the tenants are ascending (see `lookup`)
    let mut points: Vec<(i64, u64)> = Vec::with_capacity(history.len());
    let mut rows = Vec::with_capacity(tenants.len());
    let walk = ascending(tenants.iter().map(|t| t.id.as_str()));
    let first = tenants.first().map(|t| format!("{}{}", cap.namespace_prefix, t.id));
    let mut in_index = Lookup::new(&stats.namespaces, walk, first.as_deref());
    let mut in_history: Vec<(i64, Lookup<u64>)> =
        history.iter().map(|(t, s)| (*t, Lookup::new(&s.namespaces, walk, first.as_deref()))).collect();
    for t in tenants {
        let namespace = format!("{}{}", cap.namespace_prefix, t.id);
        let vectors = in_index.get(&namespace).map(|s| s.vector_count);
        let quota = cap.tier_quotas.get(&t.tier).copied();
        let mut row = unjudged(&t.id, namespace, &t.tier, t.active, vectors, quota);
        if let (Some(v), Some(q)) = (vectors, quota) {
            points.clear();
            points.extend(in_history.iter_mut().filter_map(|(t, s)| s.get(&row.namespace).map(|n| (*t, *n))));
            if let Some(g) = fit(&points) {
                row.growth_per_day = Some(g.per_day);
                row.days_to_80 = days_until(v, g.per_day, q as f64 * WARN_RATIO);
                row.days_to_full = days_until(v, g.per_day, q as f64);
            }
        }
        rows.push(row);
    }
    rows
}

/// A row of the capacity table as measured, not yet judged (status pass, no growth).
pub(crate) fn unjudged(
    tenant: &str,
    namespace: String,
    tier: &str,
    active: bool,
    vectors: Option<u64>,
    quota: Option<u64>,
) -> TenantUsage {
    TenantUsage {
        tenant: tenant.into(),
        namespace,
        tier: tier.into(),
        active,
        vectors,
        quota,
        percent: vectors.zip(quota).map(|(v, q)| pct(v, q)),
        growth_per_day: None,
        days_to_80: None,
        days_to_full: None,
        status: Status::Pass,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::checks::capacity::rules::fixture::usage;
    use crate::pinecone::IndexKind;

    fn tenant(id: &str, tier: &str, active: bool) -> Tenant {
        Tenant { id: id.into(), tier: tier.into(), active, ..Tenant::default() }
    }

    fn status_of(e: &Evaluation, code: &str) -> Vec<Status> {
        e.findings.iter().filter(|f| f.code == code).map(|f| f.status).collect()
    }

    /// One of each: near, over, no quota, growing, missing, an orphan, a pod index at 85% and 5
    /// of 6 namespaces.
    pub(crate) fn every_rule_fixture() -> (Config, Usage, Vec<Tenant>, Vec<(i64, Snapshot)>) {
        let mut cfg = Config::default();
        cfg.capacity.namespace_limit = 6;
        let day = 86_400;
        let snap = |t: i64, n: u64| {
            (t, Snapshot { at: String::new(), index: String::new(), namespaces: [("grow".to_string(), n)].into() })
        };
        let history = vec![snap(0, 10_000), snap(10 * day, 30_000), snap(20 * day, 50_000)];
        let usage = usage(
            IndexKind::Pod,
            Some(0.85),
            &[("near", 85_000), ("over", 100_000), ("odd", 5), ("grow", 50_000), ("old-customer", 42)],
        );
        let tenants = vec![
            tenant("near", "starter", true),
            tenant("over", "starter", true),
            tenant("odd", "platinum", true),
            tenant("grow", "starter", true),
            tenant("missing", "pro", true),
        ];
        (cfg, usage, tenants, history)
    }

    /// The three stores disagree once each: `nons` spends without a namespace, `ghost` spends
    /// and is not registered, `gone` is inactive and keeps its namespace, `quiet` is dormant and
    /// `fat` is at 95% of its byte quota.
    pub(crate) fn three_way_fixture() -> (Config, Usage, Vec<Tenant>, Ledger) {
        let mut cfg = Config::default();
        cfg.capacity.tier_byte_quotas.insert("starter".into(), 1_000_000);
        let mut u = usage(IndexKind::Serverless, None, &[("busy", 10), ("gone", 42), ("quiet", 7), ("fat", 5)]);
        if let Some(ns) = u.stats.namespaces.get_mut("fat") {
            ns.size_bytes = Some(950_000);
        }
        let tenants = vec![
            tenant("busy", "pro", true),
            tenant("fat", "starter", true),
            tenant("gone", "pro", false),
            tenant("nons", "pro", true),
            tenant("quiet", "pro", true),
        ];
        let ledger = crate::checks::capacity::stores::tests::ledger(&[
            ("busy", 5.0, 10, 0.5),
            ("fat", 1.0, 2, 1.0),
            ("ghost", 3.0, 4, 2.0),
            ("nons", 2.0, 3, 1.0),
        ]);
        (cfg, u, tenants, ledger)
    }

    #[test]
    fn the_three_stores_are_reconciled_tenant_by_tenant() {
        let (cfg, u, tenants, ledger) = three_way_fixture();
        let e = evaluate_with(&cfg, &u, &tenants, &[], Some(&ledger));
        let keys: Vec<(&str, Status)> =
            e.findings.iter().filter(|f| f.status != Status::Pass).map(|f| (f.key.as_str(), f.status)).collect();
        assert_eq!(
            keys,
            [
                ("CAP010:gone", Status::Warn),
                ("CAP009:nons", Status::Fail),
                ("CAP009:ghost", Status::Fail),
                ("CAP012:fat", Status::Warn),
                ("CAP011:quiet", Status::Warn),
            ]
        );
        let ids: Vec<&str> = e.stores.iter().map(|s| s.tenant.as_str()).collect();
        assert_eq!(ids, ["busy", "fat", "gone", "nons", "quiet", "ghost"]);
        assert_eq!(e.stores[4].status, Status::Warn, "the dormant row takes its finding's status");
        assert_eq!(e.scaling.len(), 5, "one decision per registered tenant");
        assert!(status_of(&e, "CAP005").is_empty(), "CAP009 took the active spender without a namespace");
    }

    #[test]
    fn without_the_ledger_only_the_registry_and_the_index_are_joined() {
        let (cfg, u, tenants, _) = three_way_fixture();
        let e = evaluate(&cfg, &u, &tenants, &[]);
        assert!(status_of(&e, "CAP009").is_empty() && status_of(&e, "CAP011").is_empty());
        assert_eq!(status_of(&e, "CAP010"), vec![Status::Warn]);
        assert_eq!(status_of(&e, "CAP005"), vec![Status::Fail], "nons is an active tenant without a namespace");
    }

    /// Judged in parts on several threads, a large mixed population gives exactly what one
    /// thread gives: the same rows, findings (in order), decisions and orphans.
    #[test]
    fn judging_in_parts_on_threads_changes_nothing() {
        let mut cfg = Config::default();
        cfg.capacity.tier_byte_quotas.insert("starter".into(), 1_000_000);
        let n = 3_001;
        let count = |i: usize| (i as u64 * 7919) % 120_000;
        let ns: Vec<(String, u64)> =
            (0..n + 40).filter(|i| i % 97 != 0).map(|i| (format!("t{i:05}"), count(i))).collect();
        let ns_ref: Vec<(&str, u64)> = ns.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let mut u = usage(IndexKind::Serverless, None, &ns_ref);
        for (i, s) in u.stats.namespaces.values_mut().enumerate() {
            s.size_bytes = (i % 13 == 0).then_some(i as u64 * 700);
        }
        let tiers = ["starter", "pro", "enterprise", "platinum"];
        let tenants: Vec<Tenant> = (0..n).map(|i| tenant(&format!("t{i:05}"), tiers[i % 4], i % 31 != 0)).collect();
        let spenders: Vec<(String, f64, u64, f64)> = (0..n + 60)
            .filter(|i| i % 7 != 0)
            .map(|i| (format!("t{i:05}"), i as f64 / 10.0, (i % 5) as u64, (i % 40) as f64))
            .collect();
        let spenders_ref: Vec<(&str, f64, u64, f64)> =
            spenders.iter().map(|(t, s, e, d)| (t.as_str(), *s, *e, *d)).collect();
        let ledger = crate::checks::capacity::stores::tests::ledger(&spenders_ref);
        let snap = |t: i64, minus: u64| {
            let namespaces = ns.iter().map(|(k, v)| (k.clone(), v.saturating_sub(minus))).collect();
            (t, Snapshot { at: String::new(), index: String::new(), namespaces })
        };
        let history = vec![snap(0, 3_000), snap(7 * 86_400, 1_500), snap(14 * 86_400, 0)];
        let one = evaluate_on(1, &cfg, &u, &tenants, &history, Some(&ledger));
        let three = evaluate_on(3, &cfg, &u, &tenants, &history, Some(&ledger));
        let shown = |e: &Evaluation| format!("{:?}", (&e.findings, &e.tenants, &e.stores, &e.scaling, &e.orphans));
        assert_eq!(shown(&one), shown(&three));
        // out of order, the maps are looked up in the tree, not walked: the same rows
        let reversed: Vec<Tenant> = tenants.iter().rev().cloned().collect();
        let back = evaluate_on(2, &cfg, &u, &reversed, &history, Some(&ledger));
        let sorted = |e: &Evaluation| {
            let mut rows: Vec<String> = e.tenants.iter().map(|r| format!("{r:?}")).collect();
            rows.extend(e.stores.iter().map(|s| format!("{s:?}")));
            rows.extend(e.scaling.iter().map(|s| format!("{s:?}")));
            rows.extend(e.findings.iter().map(|f| format!("{f:?}")));
            rows.sort();
            rows
        };
        assert_eq!(sorted(&one), sorted(&back));
        let codes: HashSet<&str> =
            one.findings.iter().filter(|f| f.status != Status::Pass).map(|f| f.code.as_str()).collect();
        for code in ["CAP001", "CAP002", "CAP005", "CAP006", "CAP007", "CAP009", "CAP010", "CAP011", "CAP012"] {
            assert!(codes.contains(code), "the population fires {code}: {codes:?}");
        }
    }

    #[test]
    fn comfortable_usage_passes() {
        let cfg = Config::default();
        let e = evaluate(
            &cfg,
            &usage(IndexKind::Serverless, Some(0.0), &[("a", 10_000), ("b", 500_000)]),
            &[tenant("a", "starter", true), tenant("b", "pro", true), tenant("gone", "pro", false)],
            &[],
        );
        assert!(e.findings.iter().all(|f| f.status == Status::Pass), "{:#?}", e.findings);
        assert_eq!(status_of(&e, "CAP001"), vec![Status::Pass]);
        assert_eq!(e.tenants[1].percent, Some(50.0));
        assert!(e.orphans.is_empty());
    }

    #[test]
    fn every_rule_triggers() {
        let (cfg, usage, tenants, history) = every_rule_fixture();
        let e = evaluate(&cfg, &usage, &tenants, &history);
        assert_eq!(status_of(&e, "CAP001"), vec![Status::Warn]);
        assert_eq!(status_of(&e, "CAP002"), vec![Status::Fail]);
        assert_eq!(status_of(&e, "CAP003"), vec![Status::Warn]);
        assert_eq!(status_of(&e, "CAP004"), vec![Status::Warn], "5 of 6 namespaces");
        assert_eq!(status_of(&e, "CAP005"), vec![Status::Fail]);
        assert_eq!(status_of(&e, "CAP006"), vec![Status::Warn]);
        assert_eq!(status_of(&e, "CAP007"), vec![Status::Warn]);
        assert_eq!(status_of(&e, "CAP008"), vec![Status::Warn]);
        let grow = e.tenants.iter().find(|r| r.tenant == "grow").unwrap();
        assert_eq!(grow.growth_per_day, Some(2000.0));
        assert_eq!(grow.days_to_80, Some(15.0));
        assert_eq!(grow.days_to_full, Some(25.0));
        let near = e.findings.iter().find(|f| f.code == "CAP001").unwrap();
        assert!(near.detail.contains("found 85,000 of 100,000 records (85.0%)"), "{}", near.detail);
        assert_eq!(near.evidence["quota"], 100_000);
        assert!(near.remedy.as_deref().unwrap().contains("UPDATE \"tenants\" SET tier = 'pro'"), "{:?}", near.remedy);
        let orphan = e.findings.iter().find(|f| f.code == "CAP006").unwrap();
        assert_eq!(orphan.key, "CAP006:old-customer");
        assert!(orphan.remedy.as_deref().unwrap().contains("/namespaces/old-customer"));
    }

    #[test]
    fn findings_come_in_tenant_order_then_the_index_and_rows_take_their_finding_status() {
        let (cfg, usage, tenants, history) = every_rule_fixture();
        let e = evaluate(&cfg, &usage, &tenants, &history);
        let keys: Vec<&str> = e.findings.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "CAP001:near",
                "CAP002:over",
                "CAP007:odd",
                "CAP008:grow",
                "CAP005:missing",
                "CAP006:old-customer",
                "CAP003:index",
                "CAP004:index"
            ]
        );
        let statuses: Vec<Status> = e.tenants.iter().map(|r| r.status).collect();
        assert_eq!(statuses, [Status::Warn, Status::Fail, Status::Warn, Status::Warn, Status::Fail]);
        let grow = e.findings.iter().find(|f| f.code == "CAP008").unwrap();
        assert_eq!(
            (grow.evidence["status"].as_str(), grow.evidence["days_to_80"].as_f64()),
            (Some("warn"), Some(15.0))
        );
    }

    #[test]
    fn limits_fail_at_full_and_prefix_maps_namespaces() {
        let mut cfg = Config::default();
        cfg.capacity.namespace_prefix = "t-".into();
        cfg.capacity.namespace_limit = 2;
        let e = evaluate(
            &cfg,
            &usage(IndexKind::Pod, Some(1.0), &[("t-a", 1), ("a", 1)]),
            &[tenant("a", "pro", true)],
            &[],
        );
        assert_eq!(status_of(&e, "CAP003"), vec![Status::Fail]);
        assert_eq!(status_of(&e, "CAP004"), vec![Status::Fail]);
        assert_eq!(status_of(&e, "CAP005"), vec![Status::Pass]);
        assert_eq!(e.orphans, vec![("a".to_string(), 1)]);
    }

    #[test]
    fn slow_growth_and_inactive_tenants_stay_quiet() {
        let cfg = Config::default();
        let snap = |t: i64, n: u64| {
            (t, Snapshot { at: String::new(), index: String::new(), namespaces: [("a".to_string(), n)].into() })
        };
        let e = evaluate(
            &cfg,
            &usage(IndexKind::Serverless, None, &[("a", 10_000)]),
            &[tenant("a", "starter", true), tenant("b", "starter", false)],
            &[snap(0, 9_000), snap(86_400 * 10, 10_000)],
        );
        assert!(e.findings.iter().all(|f| f.status == Status::Pass), "{:#?}", e.findings);
        assert_eq!(e.tenants[0].days_to_80, Some(700.0));
    }
}
