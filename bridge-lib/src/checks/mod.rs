//! The readiness checks, one per file, each with its rationale and its rules on it.
//!
//! A check returns `Ok(outcome)` with findings (a problem it found is a `fail` finding) or
//! `Err` when it could not run; the runner turns that into an error outcome and goes on.

pub mod cost;
pub mod tenants;

use crate::config::Config;
use crate::finding::{Finding, Rule, Status};
use crate::report::{CheckId, CheckOutcome};
use crate::Result;

/// Runs one check.
pub async fn run(id: CheckId, cfg: &Config) -> Result<CheckOutcome> {
    match id {
        CheckId::Tenants => tenants::run(cfg).await,
        CheckId::Cost => cost::run(cfg).await,
        CheckId::Rls | CheckId::Capacity => Ok(not_available(id)),
    }
}

/// Every rule of every check, for `bridge explain`.
pub fn all_rules() -> Vec<&'static Rule> {
    let mut v: Vec<&'static Rule> = Vec::new();
    v.extend(tenants::RULES.iter());
    v.extend(cost::RULES.iter());
    v
}

/// A skip finding that says why and what to set.
pub(crate) fn skipped(check: CheckId, rule: &Rule, why: &str, set: &str) -> CheckOutcome {
    CheckOutcome::from_findings(
        check,
        vec![rule.finding(Status::Skip, "", format!("skipped: {why}")).with_remedy(set.to_string())],
    )
}

fn not_available(id: CheckId) -> CheckOutcome {
    static PENDING: Rule = Rule {
        code: "GEN000",
        name: "check-not-available",
        title: "this check is not available in this version",
        rationale: "The check is planned but not shipped in this build of bridge.",
    };
    let f: Finding = PENDING
        .finding(Status::Skip, id.as_str(), format!("skipped: check `{id}` is not available in this version of bridge"))
        .with_remedy("upgrade bridge, or run with --only tenants");
    CheckOutcome::from_findings(id, vec![f])
}
