//! Readiness check #2: per-tenant allocated cost reconciles with the providers' bills.
//!
//! **What it checks.** For every provider and billing period (calendar month, UTC), the cost
//! the application allocated to its tenants (its own ledger) against what the provider billed
//! (the exports in `BRIDGE_BILLED_FILES`): variance = (billed − allocated) / billed, within
//! ±5% passes, 5–10% warns, over 10% fails (`BRIDGE_COST_WARN`, `BRIDGE_COST_FAIL`). Billed
//! lines no tenant consumed (taxes, credits, platform minimums, purchases; see
//! `BRIDGE_COST_UNALLOCATABLE`) are reported apart and excluded; a period still open is a
//! warning, never a failure; a bill with no allocation, an allocation with no bill, usage
//! outside every billed period, duplicated invoice lines, unknown providers and lines in
//! another currency are findings of their own.
//!
//! **Why it matters.** Per-tenant customization (a bigger model for one tenant, a longer
//! context for another) is priced per tenant. If the per-tenant ledger does not add up to the
//! bill, per-tenant prices, quotas and margins are guesses: dropped spend logs, traffic that
//! bypasses the gateway, stale price maps and cache-token accounting all show up here first.
//!
//! **Evidence.** The variance table per provider and period (allocated, billed, excluded,
//! variance, band), the excluded lines with file and row, the per-tenant breakdown and the top
//! tenants by cost (in the outcome's data, for the notebook's charts).
//!
//! **Remedy.** Find what the ledger misses (compare request and token counts with the
//! provider's usage export for the period), fix the metering, then re-run.
//!
//! **Where the allocated side comes from.** `BRIDGE_ALLOCATED_FILES` (CSV or Parquet ledgers,
//! aggregated with polars) or the `usage_events` table, aggregated in the database (GROUP BY
//! pushed down, one read-only transaction) through `BRIDGE_ADMIN_DATABASE_URL` (a reporting
//! connection), else `DATABASE_URL`. When row-level security applies to that role (the
//! application role sees no rows without a tenant context), the same aggregate runs once per
//! tenant of the tenants table with that tenant's context set, so the check still sees every
//! row the application can attribute, and says which way it read them.
//!
//! The engine (file readers, polars) is behind the default cargo feature `cost`; a build
//! without it (the notebook's) returns an error saying so, and [`compiled_in`] tells.

mod settings;
pub mod units;
pub use settings::{CostConfig, LedgerColumns};

#[cfg(feature = "cost")]
mod allocated_db;
#[cfg(feature = "cost")]
pub mod billed;
#[cfg(feature = "cost")]
pub mod ledger;

#[cfg(feature = "cost")]
pub use ledger::breakdown_frame;

use crate::config::Config;
use crate::finding::{Finding, Rule, Status};
use crate::report::{CheckId, CheckOutcome};
use crate::Result;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use units::to_units;

/// Skipped: no bill or no allocated side configured.
pub static SKIPPED: Rule = Rule {
    check: crate::report::CheckId::Cost,
    code: "COST000",
    name: "cost-check-skipped",
    title: "cost allocation not reconciled",
    checks: "",
    why: "Without the providers' exports (BRIDGE_BILLED_FILES) and a ledger (the database or \
                BRIDGE_ALLOCATED_FILES) there is nothing to reconcile, so the check is skipped with a warning.",
    remedy: "",
    limits: "",
};
/// Allocated cost differs from the bill by more than the thresholds.
pub static VARIANCE: Rule = Rule {
    check: crate::report::CheckId::Cost,
    code: "COST001",
    name: "allocation-variance-over-threshold",
    title: "allocated cost differs from the provider's bill",
    checks: "",
    why: "Per provider and billing period, (billed - allocated) / billed must stay within 5% (warn up to \
                10%, fail beyond). A larger gap means per-tenant costs are miscounted, dropped or priced wrong, so \
                per-tenant pricing and quotas built on them would be wrong.",
    remedy: "",
    limits: "",
};
/// A provider billed a period with no allocation at all.
pub static BILLED_UNALLOCATED: Rule = Rule {
    check: crate::report::CheckId::Cost,
    code: "COST002",
    name: "billed-without-allocation",
    title: "a provider billed a period the ledger has no cost for",
    checks: "",
    why: "Money paid that no tenant is charged for: usage that bypasses the metering, or a provider the \
                ledger does not know.",
    remedy: "",
    limits: "",
};
/// Allocation with no bill for that provider and period.
pub static ALLOCATED_UNBILLED: Rule = Rule {
    check: crate::report::CheckId::Cost,
    code: "COST003",
    name: "allocation-without-bill",
    title: "the ledger allocates cost for a provider and period with no bill",
    checks: "",
    why: "Without the provider's export for the period the allocation cannot be checked; usually an export \
                is missing from BRIDGE_BILLED_FILES.",
    remedy: "",
    limits: "",
};
/// A billing period is still open.
pub static OPEN_PERIOD: Rule = Rule {
    check: crate::report::CheckId::Cost,
    code: "COST004",
    name: "billing-period-open",
    title: "a billing period is not final yet",
    checks: "",
    why: "Billing data lags (OpenAI a day, Anthropic up to 24 h, Pinecone up to 3 days); an open period's \
                variance is provisional, so it warns and never fails.",
    remedy: "",
    limits: "",
};
/// Billed lines no tenant consumed, excluded.
pub static UNALLOCATABLE: Rule = Rule {
    check: crate::report::CheckId::Cost,
    code: "COST005",
    name: "unallocatable-billed-lines",
    title: "billed lines that no tenant consumed were excluded",
    checks: "",
    why: "Taxes, credits, platform minimums and purchases are not usage; they are reported apart (with \
                file and row) and excluded from the variance, as Kubecost keeps idle and shared cost apart.",
    remedy: "",
    limits: "",
};
/// Usage dated outside every billed period.
pub static OUTSIDE_PERIODS: Rule = Rule {
    check: crate::report::CheckId::Cost,
    code: "COST006",
    name: "usage-outside-billing-periods",
    title: "ledger usage falls outside every billed period",
    checks: "",
    why: "Usage in a month no export covers cannot be reconciled; either an export is missing or the \
                ledger's timestamps are wrong (local time instead of UTC, a wrong year).",
    remedy: "",
    limits: "",
};
/// The same invoice line appears twice.
pub static DUPLICATE_LINES: Rule = Rule {
    check: crate::report::CheckId::Cost,
    code: "COST007",
    name: "duplicate-invoice-lines",
    title: "an export repeats the same billed line",
    checks: "",
    why: "A repeated line (same provider, period, description and amount) is almost always an export or \
                copy mistake; it is counted once and reported so the export can be fixed.",
    remedy: "",
    limits: "",
};
/// A provider name the configuration does not know.
pub static UNKNOWN_PROVIDER: Rule = Rule {
    check: crate::report::CheckId::Cost,
    code: "COST008",
    name: "unknown-provider",
    title: "a provider name is not one of the known providers",
    checks: "",
    why: "Provider names must match between the ledger and the bills (BRIDGE_COST_PROVIDERS); an unknown or \
                misspelled one never reconciles.",
    remedy: "",
    limits: "",
};
/// Billed lines in another currency than the ledger.
pub static CURRENCY_MISMATCH: Rule = Rule {
    check: crate::report::CheckId::Cost,
    code: "COST009",
    name: "billed-currency-mismatch",
    title: "billed lines are in another currency than the ledger",
    checks: "",
    why: "Currencies are never mixed without an explicit, recorded exchange rate; lines in another currency \
                are left out, so that provider and period cannot be shown to reconcile.",
    remedy: "",
    limits: "",
};

/// The rules of this check.
pub static RULES: [&Rule; 10] = [
    &SKIPPED,
    &VARIANCE,
    &BILLED_UNALLOCATED,
    &ALLOCATED_UNBILLED,
    &OPEN_PERIOD,
    &UNALLOCATABLE,
    &OUTSIDE_PERIODS,
    &DUPLICATE_LINES,
    &UNKNOWN_PROVIDER,
    &CURRENCY_MISMATCH,
];

/// True when this build has the cost engine (cargo feature `cost`, on by default).
pub fn compiled_in() -> bool {
    cfg!(feature = "cost")
}

/// Allocated cost of one tenant, provider, model and billing period (the ledger aggregated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllocatedRow {
    /// The tenant.
    pub tenant: String,
    /// The provider, normalized to a known name when it matches one.
    pub provider: String,
    /// The model or SKU.
    pub model: String,
    /// The billing period, `YYYY-MM` (UTC).
    pub period: String,
    /// Cost in micro-units of the ledger currency.
    pub micros: i64,
    /// How many ledger rows were summed.
    pub events: u64,
}

/// One billed line from a provider export, in the canonical (FOCUS-shaped) form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BilledLine {
    /// The file it came from.
    pub source: String,
    /// Where in the file (`line 4`, `row 3`, `data[2].results[0]`).
    pub location: String,
    /// The provider, normalized to a known name when it matches one.
    pub provider: String,
    /// The billing period, `YYYY-MM` (UTC).
    pub period: String,
    /// Billed amount in micro-units of `currency`.
    pub micros: i64,
    /// ISO 4217 currency, upper case.
    pub currency: String,
    /// Charge category, lower case (`usage`, `tax`, `minimum`, `credit`…).
    pub category: String,
    /// The line's description.
    pub description: String,
    /// The period is not final yet.
    pub open: bool,
    /// What makes two lines the same line (for duplicate detection).
    #[serde(skip)]
    pub identity: String,
    /// Read from one page of a cost API response saved with `has_more: true`: pages follow.
    #[serde(skip)]
    pub more_pages: bool,
}

/// A provider name seen in the inputs that is not a known provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnknownProvider {
    /// The name as written.
    pub name: String,
    /// Where it was seen (file and row, or table and column).
    pub location: String,
}

/// Everything the check gathered, before reconciling.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Gathered {
    /// Where the allocated side came from, in words.
    pub allocated_source: String,
    /// The billed files read.
    pub billed_sources: Vec<String>,
    /// The ledger aggregated by tenant, provider, model and period.
    pub allocated: Vec<AllocatedRow>,
    /// Every billed line read.
    pub billed: Vec<BilledLine>,
    /// Provider names that are not known.
    pub unknown_providers: Vec<UnknownProvider>,
}

/// One provider and billing period, reconciled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VarianceRow {
    /// The provider.
    pub provider: String,
    /// The billing period, `YYYY-MM`.
    pub period: String,
    /// Allocated by the ledger.
    pub allocated: f64,
    /// Billed usage (unallocatable lines excluded).
    pub billed: f64,
    /// Billed lines excluded as unallocatable.
    pub unallocatable: f64,
    /// (billed − allocated) / billed; `None` when nothing was billed.
    pub variance: Option<f64>,
    /// `pass`, `warn` or `fail`.
    pub band: Status,
    /// The period is not final yet.
    pub open: bool,
    /// The files the billed lines came from.
    pub sources: Vec<String>,
}

/// A duplicated billed line and the line it repeats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Duplicate {
    /// The repeated line (counted once).
    pub line: BilledLine,
    /// Where the first copy is.
    pub first: String,
}

/// Ledger usage in a provider and period that no export covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outside {
    /// The provider.
    pub provider: String,
    /// The period.
    pub period: String,
    /// Ledger rows.
    pub events: u64,
    /// Their cost.
    pub cost: f64,
}

/// The reconciliation: what [`evaluate`] turns into findings and the notebook draws.
#[derive(Debug, Clone, Serialize)]
pub struct Reconciliation {
    /// The ledger currency.
    pub currency: String,
    /// Warn and fail thresholds.
    pub warn: f64,
    /// Fail threshold.
    pub fail: f64,
    /// One row per provider and period.
    pub variance: Vec<VarianceRow>,
    /// Billed lines excluded as unallocatable.
    pub unallocatable: Vec<BilledLine>,
    /// Billed lines in another currency (excluded).
    pub other_currency: Vec<BilledLine>,
    /// Repeated billed lines (counted once).
    pub duplicates: Vec<Duplicate>,
    /// Ledger usage outside every billed period.
    pub outside: Vec<Outside>,
    /// Unknown provider names.
    pub unknown_providers: Vec<UnknownProvider>,
}

/// Reconciles the allocated side with the billed lines (pure: no I/O).
pub fn reconcile(g: &Gathered, c: &CostConfig) -> Reconciliation {
    let mut seen: BTreeMap<(&str, &str), &BilledLine> = BTreeMap::new();
    let mut duplicates = Vec::new();
    let (mut unallocatable, mut other_currency) = (Vec::new(), Vec::new());
    let mut billed: BTreeMap<(String, String), (i64, BTreeSet<String>, bool)> = BTreeMap::new();
    let mut excluded: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut billed_periods = BTreeSet::new();
    for l in &g.billed {
        billed_periods.insert(l.period.clone());
        if let Some(first) = seen.insert((l.source.as_str(), l.identity.as_str()), l) {
            duplicates.push(Duplicate { line: l.clone(), first: first.location.clone() });
            seen.insert((l.source.as_str(), l.identity.as_str()), first);
            continue;
        }
        let key = (l.provider.clone(), l.period.clone());
        if !l.currency.eq_ignore_ascii_case(&c.currency) {
            other_currency.push(l.clone());
        } else if c.unallocatable.contains(&l.category) {
            unallocatable.push(l.clone());
            *excluded.entry(key).or_default() += l.micros;
        } else {
            let e = billed.entry(key).or_default();
            e.0 += l.micros;
            e.1.insert(l.source.clone());
            e.2 |= l.open;
        }
    }
    let mut allocated: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut outside: BTreeMap<(String, String), (u64, i64)> = BTreeMap::new();
    for a in &g.allocated {
        let key = (a.provider.clone(), a.period.clone());
        if billed_periods.contains(&a.period) {
            *allocated.entry(key).or_default() += a.micros;
        } else {
            let o = outside.entry(key).or_default();
            o.0 += a.events;
            o.1 += a.micros;
        }
    }
    let keys: BTreeSet<&(String, String)> = billed.keys().chain(allocated.keys()).collect();
    let variance = keys
        .into_iter()
        .map(|k| {
            let alloc = allocated.get(k).copied().unwrap_or(0);
            let (bill, sources, open) = billed.get(k).cloned().unwrap_or_default();
            let variance = (bill != 0).then(|| (bill - alloc) as f64 / bill as f64);
            let band = match variance {
                None => Status::Warn,
                Some(v) if v.abs() <= c.warn + 1e-12 => Status::Pass,
                Some(v) if v.abs() <= c.fail + 1e-12 || open => Status::Warn,
                Some(_) => Status::Fail,
            };
            VarianceRow {
                provider: k.0.clone(),
                period: k.1.clone(),
                allocated: to_units(alloc),
                billed: to_units(bill),
                unallocatable: to_units(excluded.get(k).copied().unwrap_or(0)),
                variance,
                band,
                open,
                sources: sources.into_iter().collect(),
            }
        })
        .collect();
    Reconciliation {
        currency: c.currency.clone(),
        warn: c.warn,
        fail: c.fail,
        variance,
        unallocatable,
        other_currency,
        duplicates,
        outside: outside
            .into_iter()
            .map(|((provider, period), (events, micros))| Outside { provider, period, events, cost: to_units(micros) })
            .collect(),
        unknown_providers: g.unknown_providers.clone(),
    }
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn money(v: f64, cur: &str) -> String {
    format!("{v:.2} {cur}")
}

/// Turns a reconciliation into findings (pure, so each rule is unit-tested without I/O).
pub fn evaluate(r: &Reconciliation) -> Vec<Finding> {
    let mut out = Vec::new();
    let cur = r.currency.as_str();
    for v in &r.variance {
        let object = format!("{}/{}", v.provider, v.period);
        let evidence = json!(v);
        let open = if v.open { " (period still open)" } else { "" };
        let f = match v.variance {
            None => ALLOCATED_UNBILLED
                .finding(
                    Status::Warn,
                    &object,
                    format!(
                        "{} {}: allocated {} but no billed usage found in the exports",
                        v.provider,
                        v.period,
                        money(v.allocated, cur)
                    ),
                )
                .with_remedy(format!(
                    "add {}'s export for {} to BRIDGE_BILLED_FILES (invoice CSV, FOCUS, or its cost API JSON)",
                    v.provider, v.period
                )),
            Some(_) if v.allocated == 0.0 => BILLED_UNALLOCATED
                .finding(
                    if v.open { Status::Warn } else { Status::Fail },
                    &object,
                    format!(
                        "{} {}: billed {} but the ledger allocates nothing to any tenant{open}",
                        v.provider,
                        v.period,
                        money(v.billed, cur)
                    ),
                )
                .with_remedy(format!(
                    "meter {} calls into the ledger with a tenant, provider and cost (or fix the provider name so it \
                     matches the bill), then re-run: bridge check --only cost",
                    v.provider
                )),
            Some(var) => {
                let detail = format!(
                    "{} {}: expected |variance| <= {} (warn <= {}), found {} (billed {}, allocated {}){open}",
                    v.provider,
                    v.period,
                    pct(r.warn),
                    pct(r.fail),
                    pct(var),
                    money(v.billed, cur),
                    money(v.allocated, cur)
                );
                let f = VARIANCE.finding(v.band, &object, detail);
                if v.band == Status::Pass {
                    f
                } else {
                    f.with_remedy(format!(
                        "compare request and token counts of the ledger with {}'s usage export for {} (dropped spend \
                         logs, traffic bypassing the gateway, cached or reasoning tokens, stale prices), fix the \
                         metering, then re-run: bridge check --only cost",
                        v.provider, v.period
                    ))
                }
            }
        };
        out.push(f.with_evidence(evidence));
        if v.open {
            out.push(
                OPEN_PERIOD
                    .finding(Status::Warn, &object, format!("{} {} is not final yet; its variance is provisional", v.provider, v.period))
                    .with_remedy("re-run after the provider closes the period (Anthropic ~24 h, Pinecone ~3 days after month end)"),
            );
        }
    }
    if !r.unallocatable.is_empty() {
        let total: i64 = r.unallocatable.iter().map(|l| l.micros).sum();
        let list = r
            .unallocatable
            .iter()
            .map(|l| format!("{} {} {} {}", l.provider, l.period, l.category, money(to_units(l.micros), &l.currency)))
            .collect::<Vec<_>>()
            .join("; ");
        out.push(
            UNALLOCATABLE
                .finding(
                    Status::Pass,
                    "",
                    format!(
                        "excluded {} billed lines no tenant consumed ({} in total): {list}",
                        r.unallocatable.len(),
                        money(to_units(total), cur)
                    ),
                )
                .with_evidence(json!(r.unallocatable)),
        );
    }
    for o in &r.outside {
        out.push(
            OUTSIDE_PERIODS
                .finding(
                    Status::Warn,
                    &format!("{}/{}", o.provider, o.period),
                    format!(
                        "{} {}: {} ledger rows ({}) fall in a period no billed export covers",
                        o.provider,
                        o.period,
                        o.events,
                        money(o.cost, cur)
                    ),
                )
                .with_evidence(json!(o))
                .with_remedy(format!(
                    "add the exports for {} to BRIDGE_BILLED_FILES, or fix the ledger's timestamps (UTC)",
                    o.period
                )),
        );
    }
    for d in &r.duplicates {
        out.push(
            DUPLICATE_LINES
                .finding(
                    Status::Warn,
                    &format!("{}:{}", d.line.source, d.line.location),
                    format!(
                        "{}, {} repeats {} ({} {} {}, {}); counted once",
                        d.line.source,
                        d.line.location,
                        d.first,
                        d.line.provider,
                        d.line.period,
                        d.line.description,
                        money(to_units(d.line.micros), &d.line.currency)
                    ),
                )
                .with_evidence(json!(d))
                .with_remedy(format!(
                    "delete the repeated line ({}) from {}, or give each charge its own line id",
                    d.line.location, d.line.source
                )),
        );
    }
    for u in &r.unknown_providers {
        out.push(
            UNKNOWN_PROVIDER
                .finding(
                    Status::Warn,
                    &u.name,
                    format!("provider `{}` at {} is not a known provider", u.name, u.location),
                )
                .with_evidence(json!(u))
                .with_remedy(format!(
                    "fix the name at {}, or add it: BRIDGE_COST_PROVIDERS=openai,anthropic,pinecone,{}",
                    u.location,
                    u.name.to_lowercase()
                )),
        );
    }
    if !r.other_currency.is_empty() {
        let first = &r.other_currency[0];
        out.push(
            CURRENCY_MISMATCH
                .finding(
                    Status::Fail,
                    "",
                    format!(
                        "expected billed lines in {cur}, found {} in other currencies, first at {}, {} ({} {}); left out",
                        r.other_currency.len(),
                        first.source,
                        first.location,
                        money(to_units(first.micros), &first.currency),
                        first.provider
                    ),
                )
                .with_evidence(json!(r.other_currency))
                .with_remedy(format!(
                    "export the bill in {cur}, or convert those lines with a recorded exchange rate before reconciling \
                     (or set BRIDGE_COST_CURRENCY if the ledger is in another currency)"
                )),
        );
    }
    out
}

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
        "totals": { "allocated": alloc, "billed": billed, "unallocatable": excl,
                    "coverage": if billed == 0.0 { Value::Null } else { json!(alloc / billed) } },
        "top_tenants": top_tenants(&g.allocated, top),
        "tenants": g.allocated.iter().map(|a| json!({
            "tenant": a.tenant, "provider": a.provider, "model": a.model, "period": a.period,
            "cost": to_units(a.micros), "events": a.events })).collect::<Vec<_>>(),
    })
}

/// Matches a provider name to a known one (`OpenAI, L.L.C.` → `openai`), or returns it lower
/// case with `false`.
pub fn normalize_provider(raw: &str, known: &[String]) -> (String, bool) {
    let squash = |s: &str| s.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_lowercase();
    let s = squash(raw);
    match known.iter().find(|k| !k.is_empty() && s.starts_with(&squash(k))) {
        Some(k) => (k.clone(), true),
        None => (raw.trim().to_lowercase(), false),
    }
}

/// Runs the check.
pub async fn run(cfg: &Config) -> Result<CheckOutcome> {
    if cfg.cost.billed_files.is_empty() {
        return Ok(crate::checks::skipped(
            CheckId::Cost,
            &SKIPPED,
            "no provider bills configured (BRIDGE_BILLED_FILES is not set)",
            "set BRIDGE_BILLED_FILES to the providers' exports (invoice CSV, FOCUS CSV/Parquet, OpenAI costs JSON, \
             Anthropic cost report JSON), or run with --demo",
        ));
    }
    if cfg.cost.allocated_files.is_empty() && cfg.admin().is_none() {
        return Ok(crate::checks::skipped(
            CheckId::Cost,
            &SKIPPED,
            "no allocated side (DATABASE_URL and BRIDGE_ALLOCATED_FILES are not set)",
            "set BRIDGE_ADMIN_DATABASE_URL (a reporting connection) or DATABASE_URL to read usage_events, or \
             BRIDGE_ALLOCATED_FILES to CSV/Parquet ledgers",
        ));
    }
    run_engine(cfg).await
}

#[cfg(feature = "cost")]
async fn run_engine(cfg: &Config) -> Result<CheckOutcome> {
    let g = gather(cfg).await?;
    let r = reconcile(&g, &cfg.cost);
    let findings = evaluate(&r);
    Ok(CheckOutcome::from_findings(CheckId::Cost, findings).with_data(outcome_data(&g, &r, cfg.cost.top_tenants)))
}

#[cfg(not(feature = "cost"))]
async fn run_engine(_cfg: &Config) -> Result<CheckOutcome> {
    Err(crate::Error::config(
        "this build of bridge-lib has no cost engine (built without the `cost` feature)",
        "build with the default features (`cargo build -p bridge-lib`, or `features = [\"cost\"]` in the dependency), \
         or run `bridge check --only cost`",
    ))
}

/// Reads both sides: the billed exports and the ledger (files, or the database).
#[cfg(feature = "cost")]
pub async fn gather(cfg: &Config) -> Result<Gathered> {
    let c = &cfg.cost;
    // polars blocks its calling thread, which a tokio worker must not do: files are read on
    // the blocking pool
    let cost = c.clone();
    let mut g = tokio::task::spawn_blocking(move || read_files(&cost))
        .await
        .map_err(|e| crate::Error::config(format!("the file-reading task failed: {e}"), "run it again"))??;
    if c.allocated_files.is_empty() {
        if let Some(target) = cfg.admin() {
            let (rows, unknown, how) = allocated_db::aggregate(target, cfg).await?;
            g.allocated = rows;
            g.unknown_providers.extend(unknown);
            g.allocated_source = how;
        }
    }
    dedup_unknown(&mut g.unknown_providers);
    Ok(g)
}

/// Reads the billed exports and, when configured, the ledger files (blocking).
#[cfg(feature = "cost")]
fn read_files(c: &CostConfig) -> Result<Gathered> {
    let mut g = Gathered::default();
    for path in &c.billed_files {
        let (lines, unknown) = billed::read(path, c)?;
        g.billed.extend(lines);
        g.unknown_providers.extend(unknown);
        g.billed_sources.push(path.display().to_string());
    }
    missing_last_page(&g.billed)?;
    if !c.allocated_files.is_empty() {
        let (rows, unknown) = ledger::aggregate_files(&c.allocated_files, c)?;
        g.allocated = rows;
        g.unknown_providers.extend(unknown);
        g.allocated_source = format!(
            "files {}",
            c.allocated_files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    Ok(g)
}

/// A provider whose every export is a cost API page with more pages after it is missing at
/// least its last page: its bill would be too low.
#[cfg(feature = "cost")]
fn missing_last_page(billed: &[BilledLine]) -> Result<()> {
    let mut files: BTreeMap<&str, BTreeMap<&str, bool>> = BTreeMap::new();
    for l in billed {
        files.entry(&l.provider).or_default().entry(&l.source).or_insert(l.more_pages);
    }
    match files.iter().find(|(_, by_file)| by_file.values().all(|more| *more)) {
        Some((provider, by_file)) => Err(crate::Error::Input {
            location: by_file.keys().copied().collect::<Vec<_>>().join(", "),
            reason: format!(
                "the {provider} cost export is one page of several (`has_more` is true) and no later page is listed, \
                 so its bill would be too low"
            ),
            fix: "save every page (request again with `page` set to `next_page` until `has_more` is false) and list \
                  each file in BRIDGE_BILLED_FILES"
                .into(),
        }),
        None => Ok(()),
    }
}

/// Merges aggregate rows whose provider is as written (each with where it was read) into rows
/// keyed by the normalized provider, noting the provider names that are not known.
#[cfg(feature = "cost")]
fn merge_allocated(raw: Vec<(AllocatedRow, String)>, known: &[String]) -> (Vec<AllocatedRow>, Vec<UnknownProvider>) {
    let mut merged: BTreeMap<(String, String, String, String), (i64, u64)> = BTreeMap::new();
    let mut unknown = Vec::new();
    for (r, location) in raw {
        let (provider, is_known) = normalize_provider(&r.provider, known);
        if !is_known {
            unknown.push(UnknownProvider { name: r.provider, location });
        }
        let e = merged.entry((r.tenant, provider, r.model, r.period)).or_default();
        e.0 += r.micros;
        e.1 += r.events;
    }
    let rows = merged
        .into_iter()
        .map(|((tenant, provider, model, period), (micros, events))| AllocatedRow {
            tenant,
            provider,
            model,
            period,
            micros,
            events,
        })
        .collect();
    (rows, unknown)
}

/// Keeps the first sighting of each unknown provider name.
#[cfg(feature = "cost")]
fn dedup_unknown(v: &mut Vec<UnknownProvider>) {
    let mut seen = BTreeSet::new();
    v.retain(|u| seen.insert(u.name.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alloc(provider: &str, period: &str, dollars: i64) -> AllocatedRow {
        AllocatedRow {
            tenant: "acme".into(),
            provider: provider.into(),
            model: "m".into(),
            period: period.into(),
            micros: dollars * units::MICROS,
            events: 10,
        }
    }

    fn line(provider: &str, period: &str, dollars: i64, category: &str, row: usize) -> BilledLine {
        BilledLine {
            source: "invoice.csv".into(),
            location: format!("line {row}"),
            provider: provider.into(),
            period: period.into(),
            micros: dollars * units::MICROS,
            currency: "USD".into(),
            category: category.into(),
            description: format!("{provider} {category}"),
            open: false,
            identity: format!("{provider}|{period}|{category}|{dollars}"),
            more_pages: false,
        }
    }

    #[cfg(feature = "cost")]
    #[test]
    fn a_cost_api_page_without_its_last_page_is_an_error() {
        let dir = std::env::temp_dir().join(format!("bridge-pages-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let page = |day: u32, more: bool| {
            format!(
                r#"{{"data":[{{"starting_at":"2026-10-{day:02}T00:00:00Z","ending_at":"2026-10-{:02}T00:00:00Z",
                "results":[{{"amount":"100","currency":"USD","cost_type":"tokens"}}]}}],"has_more":{more}}}"#,
                day + 1
            )
        };
        let first = dir.join("page1.json");
        std::fs::write(&first, page(1, true)).unwrap();
        let c = CostConfig { billed_files: vec![first.clone()], ..CostConfig::default() };
        let e = read_files(&c).unwrap_err().to_string();
        assert!(e.contains("page1.json") && e.contains("`has_more` is true") && e.contains("next_page"), "{e}");
        let last = dir.join("page2.json");
        std::fs::write(&last, page(2, false)).unwrap();
        let c = CostConfig { billed_files: vec![first, last], ..CostConfig::default() };
        assert_eq!(read_files(&c).unwrap().billed.len(), 2, "every page listed: both read");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn codes(fs: &[Finding], code: &str) -> Vec<Status> {
        fs.iter().filter(|f| f.code == code).map(|f| f.status).collect()
    }

    #[test]
    fn within_five_percent_passes_and_minimums_are_excluded() {
        let g = Gathered {
            allocated: vec![alloc("openai", "2026-10", 98), alloc("pinecone", "2026-10", 25)],
            billed: vec![
                line("openai", "2026-10", 100, "usage", 2),
                line("pinecone", "2026-10", 26, "usage", 3),
                line("pinecone", "2026-10", 24, "minimum", 4),
            ],
            ..Gathered::default()
        };
        let r = reconcile(&g, &CostConfig::default());
        let fs = evaluate(&r);
        assert!(fs.iter().all(|f| f.status == Status::Pass), "{fs:#?}");
        assert_eq!(codes(&fs, "COST001").len(), 2);
        assert_eq!(codes(&fs, "COST005"), vec![Status::Pass]);
        let pc = r.variance.iter().find(|v| v.provider == "pinecone").unwrap();
        assert_eq!((pc.billed, pc.unallocatable), (26.0, 24.0));
        let data = outcome_data(&g, &r, 5);
        assert_eq!(data["top_tenants"][0]["tenant"], "acme");
        assert_eq!(data["variance"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn every_problem_rule_triggers() {
        let mut open_line = line("anthropic", "2026-11", 100, "usage", 9);
        open_line.open = true;
        let mut eur = line("openai", "2026-11", 10, "usage", 8);
        eur.currency = "EUR".into();
        let g = Gathered {
            allocated: vec![
                alloc("openai", "2026-10", 88),    // 12% under: fail
                alloc("anthropic", "2026-10", 93), // 7%: warn
                alloc("anthropic", "2026-11", 50), // 50% but open: warn
                alloc("pinecone", "2026-11", 5),   // no bill: warn
                alloc("openai", "2026-12", 7),     // no export covers December
            ],
            billed: vec![
                line("openai", "2026-10", 100, "usage", 2),
                line("openai", "2026-10", 100, "usage", 3), // duplicate of line 2
                line("anthropic", "2026-10", 100, "usage", 4),
                line("cohere", "2026-10", 20, "usage", 5), // billed, never allocated
                open_line,
                eur,
            ],
            unknown_providers: vec![UnknownProvider { name: "cohere".into(), location: "invoice.csv, line 5".into() }],
            ..Gathered::default()
        };
        let fs = evaluate(&reconcile(&g, &CostConfig::default()));
        let mut cost001 = codes(&fs, "COST001");
        cost001.sort();
        assert_eq!(cost001, vec![Status::Warn, Status::Warn, Status::Fail], "{fs:#?}");
        assert_eq!(codes(&fs, "COST002"), vec![Status::Fail]);
        assert_eq!(codes(&fs, "COST003"), vec![Status::Warn]);
        assert_eq!(codes(&fs, "COST004"), vec![Status::Warn]);
        assert_eq!(codes(&fs, "COST006"), vec![Status::Warn]);
        assert_eq!(codes(&fs, "COST007"), vec![Status::Warn]);
        assert_eq!(codes(&fs, "COST008"), vec![Status::Warn]);
        assert_eq!(codes(&fs, "COST009"), vec![Status::Fail]);
        let fail = fs.iter().find(|f| f.code == "COST001" && f.status == Status::Fail).unwrap();
        assert!(
            fail.detail.contains("expected |variance| <= 5.0%") && fail.detail.contains("found 12.0%"),
            "{}",
            fail.detail
        );
        assert!(fail.remedy.is_some());
        let dup = fs.iter().find(|f| f.code == "COST007").unwrap();
        assert!(dup.detail.contains("line 3 repeats line 2"), "{}", dup.detail);
    }

    #[test]
    fn provider_names_normalize() {
        let known = CostConfig::default().providers;
        assert_eq!(normalize_provider("OpenAI, L.L.C.", &known), ("openai".into(), true));
        assert_eq!(normalize_provider("Pinecone Systems", &known), ("pinecone".into(), true));
        assert_eq!(normalize_provider("Cohere", &known), ("cohere".into(), false));
    }

    #[test]
    fn without_the_engine_run_says_how_to_get_it() {
        let mut cfg = Config::default();
        cfg.cost.billed_files = vec!["x.csv".into()];
        cfg.cost.allocated_files = vec!["/nonexistent/ledger.csv".into()];
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let r = rt.block_on(run(&cfg));
        if compiled_in() {
            assert!(r.is_err(), "a missing file is an error");
        } else {
            let e = r.unwrap_err().to_string();
            assert!(e.contains("no cost engine") && e.contains("features"), "{e}");
        }
    }
}
