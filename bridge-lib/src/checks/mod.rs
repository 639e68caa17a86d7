//! The readiness checks, one per file, each with its rationale and its rules on it.
//!
//! A check returns `Ok(outcome)` with findings (a problem it found is a `fail` finding) or
//! `Err` when it could not run; the runner turns that into an error outcome and goes on.

pub mod capacity;
pub mod cost;
pub mod rls;
pub mod tenants;

use crate::config::Config;
use crate::finding::{Rule, Status};
use crate::report::{CheckId, CheckOutcome};
use crate::Result;

/// Runs one check.
pub async fn run(id: CheckId, cfg: &Config) -> Result<CheckOutcome> {
    match id {
        CheckId::Tenants => tenants::run(cfg).await,
        CheckId::Rls => rls::run(cfg).await,
        CheckId::Capacity => capacity::run(cfg).await,
        CheckId::Cost => cost::run(cfg).await,
    }
}

/// Whether this build of the library runs check `id` itself. A check behind a cargo feature
/// that is off (`cost` without the `cost` feature, as in the notebook's build) is run through
/// the `bridge` binary instead (see [`crate::nb::Env::check`]).
pub fn compiled_in(id: CheckId) -> bool {
    match id {
        CheckId::Cost => cost::compiled_in(),
        CheckId::Capacity => cfg!(feature = "pinecone-api"),
        CheckId::Rls | CheckId::Tenants => true,
    }
}

/// Whether this build can run `id` on `cfg` itself: a check not [`compiled_in`] still runs
/// here when it needs none of the missing parts (the capacity check on a saved snapshot, or
/// with no Pinecone configured, reads no API; the cost check with a database ledger and
/// CSV/JSON bills needs no polars).
pub fn runs_here(id: CheckId, cfg: &crate::Config) -> bool {
    compiled_in(id)
        || (id == CheckId::Capacity && (cfg.capacity.snapshot.is_some() || cfg.pinecone.is_none()))
        || (id == CheckId::Cost && cost::runs_here(&cfg.cost))
}

/// Every rule of every check, for `bridge explain`.
pub fn all_rules() -> Vec<&'static Rule> {
    let mut v: Vec<&'static Rule> = Vec::new();
    v.extend(rls::RULES.iter());
    v.extend(capacity::RULES.iter());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_registered_once_with_its_whole_documentation() {
        let rules = all_rules();
        let mut codes = std::collections::BTreeSet::new();
        let mut names = std::collections::BTreeSet::new();
        for r in &rules {
            assert!(codes.insert(r.code), "code {} is declared twice", r.code);
            assert!(names.insert(r.name), "name {} is declared twice", r.name);
            let prefix = match r.check {
                CheckId::Rls => "RLS",
                CheckId::Cost => "COST",
                CheckId::Capacity => "CAP",
                CheckId::Tenants => "TEN",
            };
            assert!(r.code.starts_with(prefix), "{} belongs to {} but is not {prefix}…", r.code, r.check);
            assert!(
                r.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}: name {} is not kebab-case",
                r.code,
                r.name
            );
            for (field, text) in
                [("title", r.title), ("checks", r.checks), ("why", r.why), ("remedy", r.remedy), ("limits", r.limits)]
            {
                assert!(!text.trim().is_empty(), "{} {}: `{field}` is empty", r.code, r.name);
            }
        }
    }

    #[test]
    fn capacity_runs_here_unless_it_needs_the_missing_client() {
        let mut cfg = crate::Config::default();
        assert!(runs_here(CheckId::Capacity, &cfg), "no Pinecone: the check skips here");
        cfg.pinecone = Some(crate::config::PineconeConfig::new("pc-key"));
        assert_eq!(runs_here(CheckId::Capacity, &cfg), cfg!(feature = "pinecone-api"));
        cfg.capacity.snapshot = Some("stats.json".into());
        assert!(runs_here(CheckId::Capacity, &cfg), "a saved snapshot needs no client");
        assert!(runs_here(CheckId::Cost, &cfg), "a database ledger and CSV/JSON bills need no polars");
        let mut files = cfg.clone();
        files.cost.allocated_files = vec!["ledger.csv".into()];
        assert_eq!(runs_here(CheckId::Cost, &files), cfg!(feature = "cost"), "ledger files need polars");
        files.cost.allocated_files.clear();
        files.cost.billed_files = vec!["focus.parquet".into()];
        assert_eq!(runs_here(CheckId::Cost, &files), cfg!(feature = "cost"), "Parquet bills need polars");
        assert!(runs_here(CheckId::Rls, &cfg) && runs_here(CheckId::Tenants, &cfg));
    }
}
