//! Runs the asked-for checks, each bounded in time; a check that cannot run becomes an error
//! outcome and the others still run.

use crate::checks;
use crate::config::Config;
use crate::report::{CheckId, CheckOutcome, Report};
use crate::Error;
use std::time::{Duration, Instant, SystemTime};

/// The most one check may take.
pub const CHECK_LIMIT: Duration = Duration::from_secs(120);

/// Runs one check and applies the configured suppressions; the outcome carries its duration.
pub async fn run_check(cfg: &Config, id: CheckId) -> CheckOutcome {
    let start = Instant::now();
    let outcome = match tokio::time::timeout(CHECK_LIMIT, checks::run(id, cfg)).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => CheckOutcome::errored(id, &scrub(cfg, e)),
        Err(_) => CheckOutcome::errored(
            id,
            &Error::Timeout { what: format!("check `{id}`"), seconds: CHECK_LIMIT.as_secs_f64() },
        ),
    };
    let mut outcome = outcome.apply_suppressions(&cfg.suppressions);
    outcome.duration_ms = start.elapsed().as_millis() as u64;
    outcome
}

/// Runs the checks in `only` (all four when empty) at the same time, each in its own sessions
/// and transactions, and builds the report with the outcomes in `only`'s order.
pub async fn run_checks(cfg: &Config, only: &[CheckId]) -> Report {
    let (started_at, start) = (crate::report::rfc3339_utc(SystemTime::now()), Instant::now());
    let ids: Vec<CheckId> = if only.is_empty() { CheckId::ALL.to_vec() } else { only.to_vec() };
    let outcomes = futures_util::future::join_all(ids.into_iter().map(|id| run_check(cfg, id))).await;
    let mut report = Report::new(cfg.environment.clone(), outcomes);
    report.started_at = started_at;
    report.duration_ms = start.elapsed().as_millis() as u64;
    report
}

/// Last line of defence: no configured secret survives into an error message (used for every
/// command's errors, not only `check`'s). A configuration error stays one (exit 78).
pub fn scrub(cfg: &Config, e: Error) -> Error {
    let text = cfg.scrub(&e.to_string());
    if text == e.to_string() {
        return e;
    }
    if let Error::Config { what, fix } = &e {
        return Error::Config { what: cfg.scrub(what), fix: cfg.scrub(fix) };
    }
    if text != e.to_string() {
        Error::Query { context: "running the check".into(), reason: text }
    } else {
        e
    }
}
