//! `bridge tenants lifecycle`: one throwaway test tenant through its whole life, every step a
//! finding (see [`rules`]): provisioned → isolated (the application role sees it and only
//! it) → metered (a usage row under its context reaches the ledger's aggregate in the
//! database) → capacity-tracked (its namespace appears to the capacity check) → offboarded
//! (rows, namespace and cost gone). The offboarding runs after a failed step too, so nothing is
//! left behind. The result is a report like `bridge check`'s, with one tenants outcome.

pub mod rules;
mod steps;

pub use rules::RULES;

use crate::config::Config;
use crate::finding::{Finding, Rule, Status};
use crate::report::{CheckId, CheckOutcome, Report};
use crate::{Error, Result};
use serde_json::json;

/// What one step found.
#[derive(Debug)]
pub enum Step {
    /// It held: what was seen.
    Held(String),
    /// It could not run here (no Pinecone key): why.
    Skipped(String),
}

/// Runs the lifecycle on `cfg` for a new test tenant (seeded with `seed_sql`, run under its
/// context); returns the report. Nothing of the tenant is left afterwards, even when a step
/// fails (the offboarding finding says how the cleanup went).
pub async fn run(cfg: &Config, seed_sql: Option<&str>) -> Result<Report> {
    if let Some(seed) = seed_sql {
        crate::provision::check_seed(seed)?;
    }
    let started = std::time::Instant::now();
    let mut findings = Vec::new();
    let id = match steps::provision(cfg, seed_sql).await {
        Ok((id, tier)) => {
            findings.push(held(&rules::PROVISIONED, &id, format!("provisioned test tenant `{id}` (tier {tier})")));
            id
        }
        Err(e) => {
            findings.push(failed(&rules::PROVISIONED, "", &e));
            findings.extend(not_run(&rules::RULES[1..], "provisioning failed"));
            return Ok(report(cfg, findings, "", started));
        }
    };
    let mut failure: Option<&'static str> = None;
    for rule in [&rules::ISOLATED, &rules::METERED, &rules::TRACKED] {
        if let Some(step) = failure {
            findings.extend(not_run(&[rule], &format!("{step} failed")));
            continue;
        }
        let result = match rule.code {
            "TEN102" => steps::isolated(cfg, &id).await,
            "TEN103" => steps::metered(cfg, &id).await,
            _ => steps::tracked(cfg, &id).await,
        };
        findings.push(match result {
            Ok(Step::Held(detail)) => held(rule, &id, detail),
            Ok(Step::Skipped(why)) => rule.finding(Status::Skip, &id, format!("skipped: {why}")),
            Err(e) => {
                failure = Some(rule.name);
                failed(rule, &id, &e)
            }
        });
    }
    let offboarded = steps::offboarded(cfg, &id).await;
    let cleanup = failure.map(|s| format!(" (cleanup after `{s}`)")).unwrap_or_default();
    findings.push(match offboarded {
        Ok(detail) => held(&rules::OFFBOARDED, &id, format!("{detail}{cleanup}")),
        Err(e) => failed(&rules::OFFBOARDED, &id, &e),
    });
    Ok(report(cfg, findings, &id, started))
}

fn held(rule: &Rule, id: &str, detail: String) -> Finding {
    rule.finding(Status::Pass, id, detail)
}

fn failed(rule: &Rule, id: &str, e: &Error) -> Finding {
    rule.finding(Status::Fail, id, format!("{}: {e}", rule.title)).with_remedy(rule.remedy)
}

fn not_run(rules: &[&Rule], why: &str) -> Vec<Finding> {
    rules.iter().map(|r| r.finding(Status::Skip, "", format!("not run: {why}"))).collect()
}

fn report(cfg: &Config, findings: Vec<Finding>, id: &str, started: std::time::Instant) -> Report {
    let mut outcome = CheckOutcome::from_findings(CheckId::Tenants, findings)
        .with_data(json!({ "lifecycle": { "tenant": id, "steps": RULES.iter().map(|r| r.code).collect::<Vec<_>>() } }));
    outcome.duration_ms = started.elapsed().as_millis() as u64;
    let mut r = Report::new(format!("{} lifecycle", cfg.environment), vec![outcome]);
    r.duration_ms = started.elapsed().as_millis() as u64;
    r
}
