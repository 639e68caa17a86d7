//! Check outcomes and the report with the overall verdict; [`data`] types each check's display
//! data.

pub mod data;

use crate::finding::{Finding, Status};
use serde::{Deserialize, Serialize};

pub use crate::check_id::CheckId;

/// How a whole check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Every finding passed.
    Pass,
    /// The check was skipped (its service is not configured).
    Skip,
    /// At least one warning, no failure.
    Warn,
    /// At least one critical failure.
    Fail,
    /// The check could not run.
    Error,
}

impl CheckStatus {
    /// The lowercase word used in every rendering.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Skip => "skip",
            CheckStatus::Warn => "warn",
            CheckStatus::Fail => "fail",
            CheckStatus::Error => "error",
        }
    }
}

/// The result of running one check: its findings, or the error that stopped it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckOutcome {
    /// Which check.
    pub check: CheckId,
    /// Derived from the findings (or `error`).
    pub status: CheckStatus,
    /// What the check found.
    pub findings: Vec<Finding>,
    /// Why the check could not run, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The kind of that error (`config`, `connect`, `query`…): a `config` error exits 78.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<crate::ErrorKind>,
    /// Check-specific tables for display (access matrix, variance table…).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub data: serde_json::Value,
    /// How long the check took, in milliseconds (set by the runner; 0 when not timed).
    #[serde(default)]
    pub duration_ms: u64,
}

impl CheckOutcome {
    /// An outcome from findings; the status is the worst effective finding status.
    pub fn from_findings(check: CheckId, findings: Vec<Finding>) -> Self {
        let status = findings
            .iter()
            .map(Finding::effective_status)
            .max()
            .map(|s| match s {
                Status::Pass => CheckStatus::Pass,
                Status::Skip => CheckStatus::Skip,
                Status::Warn => CheckStatus::Warn,
                Status::Fail => CheckStatus::Fail,
            })
            .unwrap_or(CheckStatus::Pass);
        CheckOutcome {
            check,
            status,
            findings,
            error: None,
            error_kind: None,
            data: serde_json::Value::Null,
            duration_ms: 0,
        }
    }

    /// An outcome for a check that could not run.
    pub fn errored(check: CheckId, err: &crate::Error) -> Self {
        CheckOutcome {
            check,
            status: CheckStatus::Error,
            findings: Vec::new(),
            error: Some(err.to_string()),
            error_kind: Some(err.kind()),
            data: serde_json::Value::Null,
            duration_ms: 0,
        }
    }

    /// Attaches display data.
    pub fn with_data(mut self, data: serde_json::Value) -> Self {
        self.data = data;
        self
    }

    /// Marks findings whose key is in `suppressions` as suppressed, with the reason, and
    /// recomputes the status.
    pub fn apply_suppressions(mut self, suppressions: &[(String, String)]) -> Self {
        for f in &mut self.findings {
            if let Some((_, why)) = suppressions.iter().find(|(k, _)| *k == f.key) {
                f.suppressed = Some(why.clone());
            }
        }
        if self.error.is_some() {
            return self;
        }
        let (data, duration_ms) = (std::mem::take(&mut self.data), self.duration_ms);
        CheckOutcome { duration_ms, ..CheckOutcome::from_findings(self.check, self.findings).with_data(data) }
    }

    /// The effective findings with this status (suppressed ones count as passes).
    pub fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.effective_status() == status).count()
    }
}

/// The overall verdict, from the pass criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// No failure, no warning, nothing skipped.
    Ready,
    /// No critical failure; warnings or skipped checks to look at.
    ReadyWithWarnings,
    /// A critical failure, or a check that could not run.
    NotReady,
}

impl Verdict {
    /// The words used in every rendering.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::ReadyWithWarnings => "ready with warnings",
            Verdict::NotReady => "not ready",
        }
    }
}

/// The version of the JSON report's contract (`schema/report.schema.json`). Adding a field
/// keeps it; renaming, removing or retyping one bumps it.
pub const SCHEMA_VERSION: u32 = 1;

/// The readiness report: every check's outcome and the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The JSON contract's version ([`SCHEMA_VERSION`]; 0 in reports written before it existed).
    #[serde(default)]
    pub schema_version: u32,
    /// The tool and its version, `bridge 0.1.0`.
    #[serde(default)]
    pub tool: Tool,
    /// When the run started, RFC 3339 in UTC (`2026-05-20T14:03:07Z`).
    #[serde(default)]
    pub started_at: String,
    /// How long the whole run took, in milliseconds.
    #[serde(default)]
    pub duration_ms: u64,
    /// The overall verdict.
    pub verdict: Verdict,
    /// Where the checks ran: `demo`, `demo broken` or `configured`.
    pub environment: String,
    /// True when every check skipped: the verdict then rests on nothing that was looked at.
    #[serde(default)]
    pub nothing_checked: bool,
    /// Findings accepted by a baseline file (`bridge check --baseline FILE`), when one was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineSummary>,
    /// The CI gate's decision (strictness options and exit code), when the CLI made one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<GateDecision>,
    /// One outcome per check that was asked for.
    pub checks: Vec<CheckOutcome>,
}

/// The tool that wrote a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// Always `bridge`.
    pub name: String,
    /// The library's version.
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool { name: "bridge".into(), version: env!("CARGO_PKG_VERSION").into() }
    }
}

/// What a baseline did to the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineSummary {
    /// The baseline file, as given.
    pub file: String,
    /// Findings of this run that the baseline accepted (they count as passes).
    pub baselined: usize,
    /// Warnings and failures of this run that are not in the baseline.
    pub new: usize,
}

/// The CI gate's decision: the options that made it and the exit code, with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateDecision {
    /// Checks that must run (`--require`): a skip exits 1, an error exits 2.
    pub required: Vec<CheckId>,
    /// `fail` (default: only failures exit 1) or `warn` (any warning or skip exits 1).
    pub fail_on: String,
    /// The process exit code.
    pub exit_code: i32,
    /// Why the exit code is not 0, one line each (empty when it is 0).
    pub reasons: Vec<String>,
}

/// A time as RFC 3339 in UTC, to the second (`2026-05-20T14:03:07Z`).
pub fn rfc3339_utc(t: std::time::SystemTime) -> String {
    let secs = t.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = crate::civil::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

impl Report {
    /// Builds the report and its verdict: any fail or error is not ready; any warn or skip is
    /// ready with warnings. `started_at` is now; the runner sets the real start and duration.
    pub fn new(environment: impl Into<String>, checks: Vec<CheckOutcome>) -> Self {
        let mut r = Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool::default(),
            started_at: rfc3339_utc(std::time::SystemTime::now()),
            duration_ms: 0,
            verdict: Verdict::Ready,
            environment: environment.into(),
            nothing_checked: false,
            baseline: None,
            gate: None,
            checks,
        };
        r.update_verdict();
        r
    }

    /// Recomputes the verdict and `nothing_checked` from the checks (after they changed).
    pub fn update_verdict(&mut self) {
        let worst = self.checks.iter().map(|c| c.status).max().unwrap_or(CheckStatus::Pass);
        self.verdict = match worst {
            CheckStatus::Fail | CheckStatus::Error => Verdict::NotReady,
            CheckStatus::Warn | CheckStatus::Skip => Verdict::ReadyWithWarnings,
            CheckStatus::Pass => Verdict::Ready,
        };
        self.nothing_checked = !self.checks.is_empty() && self.checks.iter().all(|c| c.status == CheckStatus::Skip);
    }

    /// The plain sentence every rendering shows when [`Report::nothing_checked`] is set.
    pub const NOTHING_CHECKED: &'static str = "nothing was checked: every check skipped because what it needs is not \
        configured (each skip names the variable to set; `bridge check --demo` tries the embedded demo)";

    /// The findings that block readiness (failures), plus the checks that could not run.
    pub fn must_fix(&self) -> Vec<String> {
        let mut out = Vec::new();
        for c in &self.checks {
            if let Some(e) = &c.error {
                out.push(format!("{}: could not run: {e}", c.check));
            }
            for f in c.findings.iter().filter(|f| f.effective_status() == Status::Fail) {
                out.push(format!("{} {} {}: {}", c.check, f.code, f.name, f.detail));
            }
        }
        out
    }

    /// True when a check stopped on a configuration error (what exits 78).
    pub fn misconfigured(&self) -> bool {
        self.checks.iter().any(|c| c.error_kind == Some(crate::ErrorKind::Config))
    }

    /// The process exit code: 78 a check stopped on a configuration error (the run cannot be
    /// trusted until it is fixed, whatever else it found), 1 not ready (a critical failure),
    /// 2 a check could not run (and none failed), 0 ready (warnings allowed).
    pub fn exit_code(&self) -> i32 {
        if self.misconfigured() {
            78
        } else if self.checks.iter().any(|c| c.status == CheckStatus::Fail) {
            1
        } else if self.checks.iter().any(|c| c.status == CheckStatus::Error) {
            2
        } else {
            0
        }
    }

    /// The outcome of one check, if it ran.
    pub fn check(&self, id: CheckId) -> Option<&CheckOutcome> {
        self.checks.iter().find(|c| c.check == id)
    }

    /// JSON text of the report.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// Parses a report back from JSON.
    pub fn from_json(text: &str) -> crate::Result<Self> {
        serde_json::from_str(text).map_err(|e| {
            crate::Error::input("report json", e.to_string(), "pass the output of `bridge check --format json`")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn rfc3339_utc_formats_civil_time() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(UNIX_EPOCH + Duration::from_secs(1_779_285_787)), "2026-05-20T14:03:07Z");
        assert_eq!(rfc3339_utc(UNIX_EPOCH + Duration::from_secs(951_825_600)), "2000-02-29T12:00:00Z");
    }

    #[test]
    fn all_skipped_means_nothing_checked_and_old_json_still_parses() {
        let skip = CheckOutcome::from_findings(
            CheckId::Rls,
            vec![crate::checks::tenants::RULES[0].finding(Status::Skip, "", "skipped: no database")],
        );
        let r = Report::new("configured", vec![skip]);
        assert!(r.nothing_checked);
        assert_eq!(r.verdict, Verdict::ReadyWithWarnings);
        assert_eq!(r.exit_code(), 0);
        let old = r#"{"verdict":"ready","environment":"demo","checks":[]}"#;
        let back = Report::from_json(old).unwrap();
        assert_eq!((back.schema_version, back.nothing_checked, back.tool.name.as_str()), (0, false, "bridge"));
    }

    #[test]
    fn a_configuration_error_inside_a_check_exits_78_over_failures_and_other_errors() {
        use crate::checks::tenants::RULES;
        let fail = CheckOutcome::from_findings(CheckId::Rls, vec![RULES[0].finding(Status::Fail, "", "leak")]);
        let unreachable =
            CheckOutcome::errored(CheckId::Cost, &crate::Error::Timeout { what: "x".into(), seconds: 1.0 });
        let misconfigured = CheckOutcome::errored(CheckId::Tenants, &crate::Error::config("no table `t`", "set it"));
        assert_eq!(misconfigured.error_kind, Some(crate::ErrorKind::Config));
        assert_eq!(Report::new("configured", vec![fail.clone(), unreachable.clone()]).exit_code(), 1);
        assert_eq!(Report::new("configured", vec![unreachable.clone()]).exit_code(), 2);
        let r = Report::new("configured", vec![fail, unreachable, misconfigured]);
        assert_eq!(r.exit_code(), 78);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            (json["checks"][1]["error_kind"].as_str(), json["checks"][2]["error_kind"].as_str()),
            (Some("timeout"), Some("config"))
        );
        assert!(json["checks"][0].get("error_kind").is_none(), "absent when the check ran");
    }
}
