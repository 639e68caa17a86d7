//! Readiness check #3: every tenant's Pinecone namespace is found and measured against its
//! capacity.
//!
//! **What it checks.** One namespace per tenant (namespace = `BRIDGE_NAMESPACE_PREFIX` + tenant
//! id). For each tenant in the tenants table, its namespace's record count from
//! `describe_index_stats` (or a saved snapshot of it) against the tenant's quota, looked up by
//! tier in `BRIDGE_TIER_QUOTAS`: 80% warns, 100% fails. Also: index fullness over 80% (pod
//! indexes and dedicated read nodes), the namespace count against the plan's limit, active
//! tenants without a namespace, namespaces without a tenant, tenants whose tier has no quota,
//! and, from snapshots over time, a linear growth fit per namespace that warns now when a
//! namespace will reach 80% within the horizon (30 days by default).
//!
//! **Why it matters.** Serverless Pinecone has no per-namespace limit, so nothing stops one
//! tenant from growing without bound, and per-tenant customization (larger context, more
//! documents for premium tiers) needs per-tenant capacity to be watched first. A tenant with no
//! namespace gets empty retrieval; a namespace with no tenant is data that outlived its
//! offboarding; a pod index that fills up rejects writes for every tenant.
//!
//! **Evidence.** Per tenant: tier, record count, quota, percent, growth per day, days to 80% and
//! to full; the index kind, fullness and namespace count against the plan limit.
//!
//! **Remedy.** Raise the tenant's tier or the tier's quota, split the tenant, scale the pods,
//! create the missing namespace by ingesting the tenant, delete the orphan namespace.
//!
//! The database is read in a read-only transaction that is rolled back; Pinecone is only read.

mod settings;
pub use settings::{parse_tier_quotas, CapacityConfig};

use crate::checks::skipped;
use crate::config::Config;
use crate::db::{self, quote_literal, quote_qualified};
use crate::finding::{Finding, Rule, Status};
use crate::pinecone::history::{self, days_until, fit, Snapshot};
use crate::pinecone::{self, IndexDescription, IndexKind, IndexStats};
use crate::report::{CheckId, CheckOutcome};
use crate::{Error, Result};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

/// The share of a quota (or limit) that warns.
pub const WARN_RATIO: f64 = 0.8;
/// The longest gathering from Pinecone may take, all calls and retries included.
pub const PINECONE_LIMIT: Duration = Duration::from_secs(28);
/// Above this many namespaces the paginated list is not read (describe_index_stats has them).
pub const LIST_NAMESPACES_UP_TO: usize = 10_000;

/// Skipped: Pinecone or the database not configured.
pub static SKIPPED: Rule = Rule {
    check: crate::report::CheckId::Capacity,
    code: "CAP000",
    name: "capacity-check-skipped",
    title: "namespace capacity not checked",
    checks: "",
    why: "Without PINECONE_API_KEY (or a saved snapshot in BRIDGE_PINECONE_SNAPSHOT) and DATABASE_URL, \
                namespaces cannot be matched to tenants, so the check is skipped with a warning.",
    remedy: "",
    limits: "",
};
/// A namespace at or over 80% of its quota.
pub static NEAR_QUOTA: Rule = Rule {
    check: crate::report::CheckId::Capacity,
    code: "CAP001",
    name: "namespace-near-quota",
    title: "a tenant's namespace is at or over 80% of its quota",
    checks: "",
    why: "Serverless Pinecone has no per-namespace limit, so the tenant's quota is the only brake. At 80% \
                there is still time to raise the tier or clean up before ingestion has to be refused.",
    remedy: "",
    limits: "",
};
/// A namespace at or over 100% of its quota.
pub static OVER_QUOTA: Rule = Rule {
    check: crate::report::CheckId::Capacity,
    code: "CAP002",
    name: "namespace-over-quota",
    title: "a tenant's namespace is at or over its quota",
    checks: "",
    why: "A tenant past its quota is storing (and paying query cost on) more than its tier allows; \
                per-tier customization built on quotas is not enforceable until this is fixed.",
    remedy: "",
    limits: "",
};
/// Index fullness over 80%.
pub static INDEX_FULL: Rule = Rule {
    check: crate::report::CheckId::Capacity,
    code: "CAP003",
    name: "index-nearly-full",
    title: "index fullness is over 80%",
    checks: "",
    why: "Pod-based indexes (and dedicated read nodes) have a fixed capacity reported as index fullness; \
                a full index rejects upserts for every tenant at once. Pinecone's own alert example fires at 0.8.",
    remedy: "",
    limits: "",
};
/// Namespace count near the plan's limit.
pub static NAMESPACE_LIMIT: Rule = Rule {
    check: crate::report::CheckId::Capacity,
    code: "CAP004",
    name: "namespace-count-near-limit",
    title: "the index is near its plan's namespace limit",
    checks: "",
    why: "With one namespace per tenant, the plan's namespaces-per-index limit caps the number of tenants; \
                past it Pinecone answers 403 QUOTA_EXCEEDED and new tenants cannot be onboarded.",
    remedy: "",
    limits: "",
};
/// An active tenant without a namespace.
pub static NO_NAMESPACE: Rule = Rule {
    check: crate::report::CheckId::Capacity,
    code: "CAP005",
    name: "tenant-without-namespace",
    title: "an active tenant has no namespace",
    checks: "",
    why: "An active tenant whose namespace does not exist gets empty retrieval results: its RAG answers \
                silently lose their grounding, and its capacity cannot be monitored.",
    remedy: "",
    limits: "",
};
/// A namespace with no tenant.
pub static ORPHAN: Rule = Rule {
    check: crate::report::CheckId::Capacity,
    code: "CAP006",
    name: "orphan-namespace",
    title: "a namespace belongs to no tenant",
    checks: "",
    why: "A namespace with no tenant row is data that outlived an offboarding (or a naming mismatch): it costs \
                storage, counts against the namespace limit, and may hold a former customer's data.",
    remedy: "",
    limits: "",
};
/// A tenant without a quota.
pub static NO_QUOTA: Rule = Rule {
    check: crate::report::CheckId::Capacity,
    code: "CAP007",
    name: "tenant-without-quota",
    title: "a tenant's tier has no quota",
    checks: "",
    why: "Without a quota for the tenant's tier its usage cannot be compared with anything: capacity \
                monitoring is not configured for that tenant.",
    remedy: "",
    limits: "",
};
/// A namespace forecast to reach 80% within the horizon.
pub static FORECAST: Rule = Rule {
    check: crate::report::CheckId::Capacity,
    code: "CAP008",
    name: "namespace-reaches-80-percent-soon",
    title: "a namespace will reach 80% of its quota within the forecast horizon",
    checks: "",
    why: "A linear fit of the namespace's size over the saved snapshots says it crosses 80% of its quota \
                within the horizon (30 days by default): act now, while the change can be planned.",
    remedy: "",
    limits: "",
};

/// The rules of this check.
pub static RULES: [&Rule; 9] =
    [&SKIPPED, &NEAR_QUOTA, &OVER_QUOTA, &INDEX_FULL, &NAMESPACE_LIMIT, &NO_NAMESPACE, &ORPHAN, &NO_QUOTA, &FORECAST];

pub use crate::tenant::Tenant;

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

/// One tenant's row in the capacity table (also `CheckOutcome.data.tenants[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// What [`evaluate`] returns: the findings and the table they were read from.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The findings.
    pub findings: Vec<Finding>,
    /// One row per tenant, in tenant order.
    pub tenants: Vec<TenantUsage>,
    /// Namespaces with no tenant: (name, records).
    pub orphans: Vec<(String, u64)>,
}

/// Runs a file read on the blocking pool, so a slow file holds no async worker and the
/// per-check time limit applies to it.
async fn off_the_workers<T: Send + 'static>(
    path: &std::path::Path,
    read: fn(&std::path::Path) -> Result<T>,
) -> Result<T> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || read(&path))
        .await
        .map_err(|e| Error::config(format!("the file-reading task failed: {e}"), "run it again"))?
}

/// Reads the index: a saved snapshot, or Pinecone itself (bounded by [`PINECONE_LIMIT`]).
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
            stats.namespaces.insert(ns.name, pinecone::NamespaceStats { vector_count: ns.record_count });
        }
    }
    if let Some(v) = stats.namespaces.remove("__default__") {
        stats.namespaces.entry(String::new()).or_insert(v);
    }
    let name = index.as_ref().map(|i| i.name.clone()).unwrap_or_default();
    Ok(Usage { source: format!("index {name} ({host})").replace("index  (", "index ("), index, kind, stats })
}

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

/// Reads every tenant (id, tier, active) through the application's connection.
pub async fn read_tenants(cfg: &Config) -> Result<Vec<Tenant>> {
    let Some(target) = &cfg.database else {
        return Err(Error::config("DATABASE_URL is not set", "set DATABASE_URL"));
    };
    let mut client = db::connect(target).await?;
    let tx = db::read_only(&mut client).await?;
    let tenants = crate::tenant::list(&tx, &cfg.tenancy).await?;
    tx.rollback().await.map_err(|e| Error::query("rolling back", &e))?;
    Ok(tenants)
}

/// Runs the check.
pub async fn run(cfg: &Config) -> Result<CheckOutcome> {
    if cfg.pinecone.is_none() && cfg.capacity.snapshot.is_none() {
        return Ok(skipped(
            CheckId::Capacity,
            &SKIPPED,
            "PINECONE_API_KEY is not set and no saved snapshot is configured",
            "set PINECONE_API_KEY and PINECONE_INDEX (or PINECONE_INDEX_HOST), or BRIDGE_PINECONE_SNAPSHOT to a file saved by `bridge capacity snapshot`",
        ));
    }
    if cfg.database.is_none() {
        return Ok(skipped(
            CheckId::Capacity,
            &SKIPPED,
            "DATABASE_URL is not set, so namespaces cannot be matched to tenants and tiers",
            "set DATABASE_URL to the application's connection string, or run with --demo",
        ));
    }
    let usage = gather_usage(cfg).await?;
    let tenants = read_tenants(cfg).await?;
    let history = match &cfg.capacity.history {
        Some(p) => off_the_workers(p, history::read_history).await?,
        None => Vec::new(),
    };
    let e = evaluate(cfg, &usage, &tenants, &history);
    let data = outcome_data(&cfg.capacity, &usage, &e, history.len());
    Ok(CheckOutcome::from_findings(CheckId::Capacity, e.findings).with_data(data))
}

/// The display data: see the README's "capacity data" for the shape.
fn outcome_data(cap: &CapacityConfig, usage: &Usage, e: &Evaluation, history_points: usize) -> serde_json::Value {
    json!({
        "source": usage.source,
        "index": {
            "name": usage.index.as_ref().map(|i| i.name.clone()),
            "host": usage.index.as_ref().map(|i| i.host.clone()),
            "kind": usage.kind.as_str(),
            "dimension": usage.stats.dimension,
            "fullness": usage.stats.fullness(),
            "total_vectors": usage.stats.total_vector_count,
            "namespaces": usage.stats.namespaces.len(),
            "namespace_limit": cap.namespace_limit,
        },
        "warn_percent": WARN_RATIO * 100.0,
        "horizon_days": cap.horizon_days,
        "history_points": history_points,
        "tenants": e.tenants,
        "orphans": e.orphans.iter().map(|(n, v)| json!({ "namespace": n, "vectors": v })).collect::<Vec<_>>(),
    })
}

/// The tier with the next larger quota.
fn next_tier<'a>(cap: &'a CapacityConfig, tier: &str) -> Option<&'a str> {
    let q = cap.tier_quotas.get(tier).copied().unwrap_or(0);
    cap.tier_quotas.iter().filter(|(_, n)| **n > q).min_by_key(|(_, n)| **n).map(|(t, _)| t.as_str())
}

fn pct(n: u64, of: u64) -> f64 {
    n as f64 * 100.0 / of as f64
}

fn shown(ns: &str) -> &str {
    if ns.is_empty() {
        "(default)"
    } else {
        ns
    }
}

/// Turns what was read into findings and the capacity table (pure: unit-tested without I/O).
pub fn evaluate(cfg: &Config, usage: &Usage, tenants: &[Tenant], history: &[(i64, Snapshot)]) -> Evaluation {
    let cap = &cfg.capacity;
    let api_version = cfg.pinecone.as_ref().map(|p| p.api_version.as_str()).unwrap_or(pinecone::DEFAULT_API_VERSION);
    let mut out = Vec::new();
    let stats = &usage.stats;
    let mut series: HashMap<&str, Vec<(i64, u64)>> = HashMap::with_capacity(stats.namespaces.len());
    for (t, s) in history {
        for (ns, n) in &s.namespaces {
            series.entry(ns.as_str()).or_default().push((*t, *n));
        }
    }
    let mut rows = Vec::with_capacity(tenants.len());
    let mut owned: std::collections::HashSet<&str> = std::collections::HashSet::with_capacity(tenants.len());
    let (mut near, mut measured) = (0usize, 0usize);
    for t in tenants {
        let namespace = format!("{}{}", cap.namespace_prefix, t.id);
        let found = stats.namespaces.get_key_value(&namespace);
        let vectors = found.map(|(k, s)| {
            owned.insert(k.as_str());
            s.vector_count
        });
        let quota = cap.tier_quotas.get(&t.tier).copied();
        let mut row = TenantUsage {
            tenant: t.id.clone(),
            namespace: namespace.clone(),
            tier: t.tier.clone(),
            active: t.active,
            vectors,
            quota,
            percent: vectors.zip(quota).map(|(v, q)| pct(v, q)),
            growth_per_day: None,
            days_to_80: None,
            days_to_full: None,
            status: Status::Pass,
        };
        let evidence = |row: &TenantUsage| json!(row);
        // built only for the tenants that get a finding (formatting it for all is most of the cost)
        let raise_tier = || match next_tier(cap, &t.tier) {
            Some(tier) => format!(
                "move it to tier `{tier}`: UPDATE {} SET tier = {} WHERE id::text = {};",
                quote_qualified(&cfg.tenancy.table),
                quote_literal(tier),
                quote_literal(&t.id)
            ),
            None => format!("raise the `{}` quota in BRIDGE_TIER_QUOTAS (it is the largest tier)", t.tier),
        };
        let Some(v) = vectors else {
            if t.active {
                row.status = Status::Fail;
                out.push(
                    NO_NAMESPACE
                        .finding(Status::Fail, &t.id, format!("expected namespace `{namespace}` for active tenant `{}`, found none in the index", t.id))
                        .with_evidence(evidence(&row))
                        .with_remedy(format!(
                            "run the tenant's ingestion so its vectors are upserted into namespace `{namespace}` (Pinecone creates a namespace on first upsert); if the naming differs, set BRIDGE_NAMESPACE_PREFIX"
                        )),
                );
            }
            rows.push(row);
            continue;
        };
        let Some(q) = quota else {
            row.status = Status::Warn;
            out.push(
                NO_QUOTA
                    .finding(
                        Status::Warn,
                        &t.id,
                        format!(
                            "expected a quota for tier `{}` of tenant `{}`, found none ({v} records unmeasured)",
                            t.tier, t.id
                        ),
                    )
                    .with_evidence(evidence(&row))
                    .with_remedy(format!(
                        "add the tier to BRIDGE_TIER_QUOTAS, e.g. BRIDGE_TIER_QUOTAS={},{}=1000000",
                        cap.tier_quotas.iter().map(|(t, q)| format!("{t}={q}")).collect::<Vec<_>>().join(","),
                        t.tier
                    )),
            );
            rows.push(row);
            continue;
        };
        measured += 1;
        if let Some(g) = series.get(namespace.as_str()).and_then(|p| fit(p)) {
            row.growth_per_day = Some(g.per_day);
            row.days_to_80 = days_until(v, g.per_day, q as f64 * WARN_RATIO);
            row.days_to_full = days_until(v, g.per_day, q as f64);
        }
        let p = pct(v, q);
        let detail = |what: &str| {
            format!(
                "expected namespace `{namespace}` (tenant `{}`, tier `{}`) {what}, found {v} of {q} records ({p:.1}%)",
                t.id, t.tier
            )
        };
        if v >= q {
            row.status = Status::Fail;
            out.push(
                OVER_QUOTA
                    .finding(Status::Fail, &t.id, detail("under its quota"))
                    .with_evidence(evidence(&row))
                    .with_remedy(format!(
                        "stop ingestion for `{}`, then {}; or raise the tier's quota in BRIDGE_TIER_QUOTAS, split the tenant across namespaces, or delete stale vectors",
                        t.id,
                        raise_tier()
                    )),
            );
        } else if v as f64 >= q as f64 * WARN_RATIO {
            near += 1;
            row.status = Status::Warn;
            out.push(
                NEAR_QUOTA
                    .finding(Status::Warn, &t.id, detail("under 80% of its quota"))
                    .with_evidence(evidence(&row))
                    .with_remedy(format!(
                        "for `{}`, {}; or raise the tier's quota in BRIDGE_TIER_QUOTAS, or delete stale vectors from namespace `{namespace}`",
                        t.id,
                        raise_tier()
                    )),
            );
        } else if let Some(d) = row.days_to_80.filter(|d| *d <= cap.horizon_days) {
            row.status = Status::Warn;
            out.push(
                FORECAST
                    .finding(
                        Status::Warn,
                        &t.id,
                        format!(
                            "expected namespace `{namespace}` (tenant `{}`) to stay under 80% for {:.0} days, found it reaches 80% in {d:.1} days ({p:.1}% now, +{:.0} records/day)",
                            t.id,
                            cap.horizon_days,
                            row.growth_per_day.unwrap_or_default()
                        ),
                    )
                    .with_evidence(evidence(&row))
                    .with_remedy(format!("plan the change for `{}` before day {d:.0}: {}", t.id, raise_tier())),
            );
        }
        rows.push(row);
    }
    if measured > 0 && near == 0 && !out.iter().any(|f| f.code == OVER_QUOTA.code) {
        let top = rows
            .iter()
            .filter(|r| r.percent.is_some())
            .max_by(|a, b| a.percent.partial_cmp(&b.percent).unwrap_or(std::cmp::Ordering::Equal));
        let detail = match top {
            Some(r) => format!(
                "{measured} namespaces measured, all under 80% of their quota (highest: `{}` at {:.1}%)",
                r.namespace,
                r.percent.unwrap_or_default()
            ),
            None => format!("{measured} namespaces measured"),
        };
        out.push(NEAR_QUOTA.finding(Status::Pass, "", detail).with_evidence(json!({ "measured": measured })));
    }
    let missing = rows.iter().filter(|r| r.active && r.vectors.is_none()).count();
    if missing == 0 && !tenants.is_empty() {
        out.push(NO_NAMESPACE.finding(
            Status::Pass,
            "",
            format!("every active tenant has a namespace ({} tenants)", rows.iter().filter(|r| r.active).count()),
        ));
    }
    let mut orphans = Vec::new();
    for (ns, s) in &stats.namespaces {
        if owned.contains(ns.as_str()) {
            continue;
        }
        orphans.push((ns.clone(), s.vector_count));
        let host = usage.index.as_ref().map(|i| i.host.as_str()).unwrap_or("INDEX_HOST");
        let tenant_guess = ns.strip_prefix(cap.namespace_prefix.as_str()).unwrap_or(ns);
        out.push(
            ORPHAN
                .finding(Status::Warn, shown(ns), format!("expected every namespace to belong to a tenant, found `{}` ({} records) with no tenant", shown(ns), s.vector_count))
                .with_evidence(json!({ "namespace": ns, "vectors": s.vector_count }))
                .with_remedy(if ns.is_empty() {
                    "move the default namespace's vectors into tenant namespaces and delete them: the default namespace is shared by no tenant".to_string()
                } else {
                    format!(
                        "if the tenant is offboarded: curl -X DELETE \"https://{host}/namespaces/{ns}\" -H \"Api-Key: $PINECONE_API_KEY\" -H \"X-Pinecone-Api-Version: {}\"; otherwise add its row: {}",
                        api_version,
                        cfg.tenancy.add_tenant_remedy(&quote_literal(tenant_guess), &quote_literal(tenant_guess))
                    )
                }),
        );
    }
    if let Some(f) = stats.fullness().filter(|f| *f > 0.0 || usage.kind == IndexKind::Pod) {
        let detail =
            format!("expected index fullness at most 80%, found {:.0}% ({} index)", f * 100.0, usage.kind.as_str());
        let evidence = json!({
            "kind": usage.kind.as_str(),
            "index_fullness": stats.index_fullness,
            "memory_fullness": stats.memory_fullness,
            "storage_fullness": stats.storage_fullness,
            "pod_type": usage.index.as_ref().and_then(|i| i.pod_type.clone()),
            "pods": usage.index.as_ref().and_then(|i| i.pods),
        });
        let status = if f >= 1.0 {
            Status::Fail
        } else if f > WARN_RATIO {
            Status::Warn
        } else {
            Status::Pass
        };
        let mut finding = INDEX_FULL.finding(status, "index", detail).with_evidence(evidence);
        if status != Status::Pass {
            let name = usage.index.as_ref().map(|i| i.name.as_str()).unwrap_or("INDEX");
            finding = finding.with_remedy(format!(
                "scale the index up a pod size or add pods: curl -X PATCH \"https://api.pinecone.io/indexes/{name}\" -H \"Api-Key: $PINECONE_API_KEY\" -H \"X-Pinecone-Api-Version: {api_version}\" -H \"Content-Type: application/json\" -d '{{\"spec\":{{\"pod\":{{\"pod_type\":\"p1.x2\"}}}}}}' (or add shards on dedicated read nodes, or move to serverless)"
            ));
        }
        out.push(finding);
    }
    let count = stats.namespaces.len() as u64;
    let limit = cap.namespace_limit.max(1);
    let detail = format!(
        "expected under 80% of the plan's {limit} namespaces per index, found {count} ({:.1}%)",
        pct(count, limit)
    );
    let status = if count >= limit {
        Status::Fail
    } else if count as f64 >= limit as f64 * WARN_RATIO {
        Status::Warn
    } else {
        Status::Pass
    };
    let mut f = NAMESPACE_LIMIT
        .finding(status, "index", detail)
        .with_evidence(json!({ "namespaces": count, "limit": limit, "orphans": orphans.len() }));
    if status != Status::Pass {
        f = f.with_remedy("delete orphan namespaces, move to a plan with a higher namespace limit (or ask Pinecone support), or spread tenants over several indexes; set BRIDGE_NAMESPACE_LIMIT to your plan's limit");
    }
    out.push(f);
    Evaluation { findings: out, tenants: rows, orphans }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pinecone::NamespaceStats;

    fn usage(kind: IndexKind, fullness: Option<f64>, ns: &[(&str, u64)]) -> Usage {
        Usage {
            source: "test".into(),
            index: None,
            kind,
            stats: IndexStats {
                namespaces: ns.iter().map(|(n, v)| (n.to_string(), NamespaceStats { vector_count: *v })).collect(),
                index_fullness: fullness,
                ..IndexStats::default()
            },
        }
    }

    fn tenant(id: &str, tier: &str, active: bool) -> Tenant {
        Tenant { id: id.into(), tier: tier.into(), active, ..Tenant::default() }
    }

    fn status_of(e: &Evaluation, code: &str) -> Vec<Status> {
        e.findings.iter().filter(|f| f.code == code).map(|f| f.status).collect()
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
        let mut cfg = Config::default();
        cfg.capacity.namespace_limit = 6;
        let day = 86_400;
        let snap = |t: i64, n: u64| {
            (t, Snapshot { at: String::new(), index: String::new(), namespaces: [("grow".to_string(), n)].into() })
        };
        let history = vec![snap(0, 10_000), snap(10 * day, 30_000), snap(20 * day, 50_000)];
        let e = evaluate(
            &cfg,
            &usage(
                IndexKind::Pod,
                Some(0.85),
                &[("near", 85_000), ("over", 100_000), ("odd", 5), ("grow", 50_000), ("old-customer", 42)],
            ),
            &[
                tenant("near", "starter", true),
                tenant("over", "starter", true),
                tenant("odd", "platinum", true),
                tenant("grow", "starter", true),
                tenant("missing", "pro", true),
            ],
            &history,
        );
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
        assert!(near.detail.contains("found 85000 of 100000 records (85.0%)"), "{}", near.detail);
        assert_eq!(near.evidence["quota"], 100_000);
        assert!(near.remedy.as_deref().unwrap().contains("UPDATE \"tenants\" SET tier = 'pro'"), "{:?}", near.remedy);
        let orphan = e.findings.iter().find(|f| f.code == "CAP006").unwrap();
        assert_eq!(orphan.key, "CAP006:old-customer");
        assert!(orphan.remedy.as_deref().unwrap().contains("/namespaces/old-customer"));
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
