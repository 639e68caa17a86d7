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
//! **Without polars.** The database route, CSV bills (also `.csv.gz` and `.zip` of CSVs, read
//! with the `csv` crate) and the cost API JSON need no polars, so a build without the default
//! cargo feature `cost` (the notebook's) runs the check in-process for a ledger in the
//! database. Only Parquet bills and ledger files (`BRIDGE_ALLOCATED_FILES`, aggregated with
//! polars) need the feature; without it they are an error saying how to get it, and
//! [`compiled_in`] tells whether this build has it.
//!
//! **Layout.** [`model`]: the rows, lines and reconciliation; `formats`: one module per
//! provider export format behind [`ExportFormat`]; `ledger` and `allocated_db`: the allocated
//! side from files or the database; [`providers`]: provider names; [`reconcile()`]: the pure
//! reconciliation; [`rules`]: one function per rule and [`evaluate`]; [`outcome`]: the
//! outcome's data. This file runs them: [`run`] and `gather`.

mod csv_text;
mod files;
pub mod formats;
pub mod model;
pub mod outcome;
pub mod providers;
pub mod reconcile;
pub mod rules;
mod settings;
pub mod units;
pub use settings::{CostConfig, LedgerColumns};

mod allocated_db;
#[cfg(feature = "cost")]
pub mod ledger;

pub use formats::ExportFormat;
#[cfg(feature = "cost")]
pub use ledger::breakdown_frame;
pub use model::{AllocatedRow, BilledLine, Duplicate, Gathered, Outside, Reconciliation, UnknownProvider, VarianceRow};
pub use outcome::{outcome_data, top_tenants};
pub use providers::normalize_provider;
pub use reconcile::reconcile;
pub use rules::{evaluate, RULES};

use crate::config::Config;
use crate::report::CheckOutcome;
use crate::Result;
use crate::{report::CheckId, Error};
use std::collections::BTreeMap;

/// True when this build has the polars engine for Parquet bills and ledger files (cargo
/// feature `cost`, on by default); the rest of the check works without it.
pub fn compiled_in() -> bool {
    cfg!(feature = "cost")
}

/// True when this build runs the cost check on `c` itself: always with the `cost` feature;
/// without it when neither a Parquet bill nor a ledger file is configured (the demo's case: a
/// database ledger, CSV and JSON bills).
pub fn runs_here(c: &CostConfig) -> bool {
    compiled_in()
        || (c.allocated_files.is_empty()
            && c.billed_files.iter().all(|p| !matches!(files::kind(p).as_str(), "parquet" | "pq")))
}

/// Runs the check.
pub async fn run(cfg: &Config) -> Result<CheckOutcome> {
    if let Some(skipped) = rules::cost_check_skipped(cfg) {
        return Ok(skipped);
    }
    let g = gather(cfg).await?;
    let r = reconcile(&g, &cfg.cost);
    let findings = evaluate(&r);
    Ok(CheckOutcome::from_findings(CheckId::Cost, findings).with_data(outcome_data(&g, &r, cfg.cost.top_tenants)))
}

/// Reads both sides: the billed exports and the ledger (files, or the database).
pub async fn gather(cfg: &Config) -> Result<Gathered> {
    let c = &cfg.cost;
    // file reading (polars too) blocks its calling thread, which a tokio worker must not do: files are read on
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
    providers::dedup_unknown(&mut g.unknown_providers);
    Ok(g)
}

/// Reads the billed exports and, when configured, the ledger files (blocking).
fn read_files(c: &CostConfig) -> Result<Gathered> {
    let mut g = Gathered::default();
    for path in &c.billed_files {
        let (lines, unknown) = formats::read(path, c)?;
        g.billed.extend(lines);
        g.unknown_providers.extend(unknown);
        g.billed_sources.push(path.display().to_string());
    }
    missing_last_page(&g.billed)?;
    if !c.allocated_files.is_empty() {
        let (rows, unknown) = aggregate_ledger_files(c)?;
        g.allocated = rows;
        g.unknown_providers.extend(unknown);
        g.allocated_source = format!(
            "files {}",
            c.allocated_files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    Ok(g)
}

#[cfg(feature = "cost")]
fn aggregate_ledger_files(c: &CostConfig) -> Result<(Vec<AllocatedRow>, Vec<UnknownProvider>)> {
    ledger::aggregate_files(&c.allocated_files, c)
}

/// Without polars, ledger files cannot be aggregated: the error says how to get that.
#[cfg(not(feature = "cost"))]
fn aggregate_ledger_files(c: &CostConfig) -> Result<(Vec<AllocatedRow>, Vec<UnknownProvider>)> {
    Err(Error::config(
        format!(
            "ledger files ({}) need the cost engine, and this build of bridge-lib has no `cost` feature",
            c.allocated_files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ),
        "unset BRIDGE_ALLOCATED_FILES to read the ledger from the database, or build with the default features \
         (`features = [\"cost\"]` in the dependency), or run `bridge check --only cost`",
    ))
}

/// A provider whose every export is a cost API page with more pages after it is missing at
/// least its last page: its bill would be too low.
fn missing_last_page(billed: &[BilledLine]) -> Result<()> {
    let mut files: BTreeMap<&str, BTreeMap<&str, bool>> = BTreeMap::new();
    for l in billed {
        files.entry(&l.provider).or_default().entry(&l.source).or_insert(l.more_pages);
    }
    match files.iter().find(|(_, by_file)| by_file.values().all(|more| *more)) {
        Some((provider, by_file)) => Err(Error::input(
            by_file.keys().copied().collect::<Vec<_>>().join(", "),
            format!(
                "the {provider} cost export is one page of several (`has_more` is true) and no later page is listed, \
                 so its bill would be too low"
            ),
            "save every page (request again with `page` set to `next_page` until `has_more` is false) and list \
             each file in BRIDGE_BILLED_FILES",
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn without_the_engine_run_says_how_to_get_it() {
        let mut cfg = Config::default();
        cfg.cost.billed_files = vec!["x.csv".into()];
        cfg.cost.allocated_files = vec!["/nonexistent/ledger.csv".into()];
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let r = rt.block_on(run(&cfg));
        assert!(r.is_err(), "a missing file is an error either way");
        // a CSV bill and ledger files: without polars the ledger files say how to get it
        let dir = std::env::temp_dir().join(format!("bridge-engine-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bill = dir.join("bill.csv");
        std::fs::write(&bill, "provider,billing_period,billed_cost,currency\nopenai,2026-10,5,USD\n").unwrap();
        cfg.cost.billed_files = vec![bill];
        let r = rt.block_on(run(&cfg));
        if !compiled_in() {
            let e = r.unwrap_err().to_string();
            assert!(
                e.contains("need the cost engine") && e.contains("features") && e.contains("BRIDGE_ALLOCATED_FILES"),
                "{e}"
            );
            // without ledger files and without a database the CSV bill alone reads in-process
            cfg.cost.allocated_files.clear();
            let g = rt.block_on(gather(&cfg)).unwrap();
            assert_eq!(g.billed.len(), 1);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
