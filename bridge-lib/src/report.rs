//! Check outcomes and the report with the overall verdict.

use crate::finding::{Finding, Status};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The four readiness checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckId {
    /// #1: PostgreSQL row-level security isolates tenants.
    Rls,
    /// #2: allocated cost reconciles with the providers' bills.
    Cost,
    /// #3: every tenant's namespace is found and measured against its capacity.
    Capacity,
    /// #4: at least three test tenants are provisioned end to end.
    Tenants,
}

impl CheckId {
    /// All checks, in readiness-check order.
    pub const ALL: [CheckId; 4] = [CheckId::Rls, CheckId::Cost, CheckId::Capacity, CheckId::Tenants];

    /// The id used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Rls => "rls",
            CheckId::Cost => "cost",
            CheckId::Capacity => "capacity",
            CheckId::Tenants => "tenants",
        }
    }

    /// The human title.
    pub fn title(self) -> &'static str {
        match self {
            CheckId::Rls => "#1 RLS isolation",
            CheckId::Cost => "#2 cost allocation reconciles",
            CheckId::Capacity => "#3 namespace capacity monitoring",
            CheckId::Tenants => "#4 test tenants provisioned",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CheckId {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CheckId::ALL.into_iter().find(|c| c.as_str() == s.trim()).ok_or_else(|| {
            crate::Error::config(
                format!("unknown check `{s}`"),
                "use one or more of rls, cost, capacity, tenants, separated by commas",
            )
        })
    }
}

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
    /// Check-specific tables for display (access matrix, variance table…).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub data: serde_json::Value,
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
        CheckOutcome { check, status, findings, error: None, data: serde_json::Value::Null }
    }

    /// An outcome for a check that could not run.
    pub fn errored(check: CheckId, err: &crate::Error) -> Self {
        CheckOutcome {
            check,
            status: CheckStatus::Error,
            findings: Vec::new(),
            error: Some(err.to_string()),
            data: serde_json::Value::Null,
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
        let data = std::mem::take(&mut self.data);
        CheckOutcome::from_findings(self.check, self.findings).with_data(data)
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

/// The readiness report: every check's outcome and the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The overall verdict.
    pub verdict: Verdict,
    /// Where the checks ran: `demo`, `demo broken` or `configured`.
    pub environment: String,
    /// One outcome per check that was asked for.
    pub checks: Vec<CheckOutcome>,
}

impl Report {
    /// Builds the report and its verdict: any fail or error is not ready; any warn or skip is
    /// ready with warnings.
    pub fn new(environment: impl Into<String>, checks: Vec<CheckOutcome>) -> Self {
        let worst = checks.iter().map(|c| c.status).max().unwrap_or(CheckStatus::Pass);
        let verdict = match worst {
            CheckStatus::Fail | CheckStatus::Error => Verdict::NotReady,
            CheckStatus::Warn | CheckStatus::Skip => Verdict::ReadyWithWarnings,
            CheckStatus::Pass => Verdict::Ready,
        };
        Report { verdict, environment: environment.into(), checks }
    }

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

    /// The process exit code: 0 ready (warnings allowed), 1 not ready (a critical failure),
    /// 2 a check could not run (and none failed).
    pub fn exit_code(&self) -> i32 {
        if self.checks.iter().any(|c| c.status == CheckStatus::Fail) {
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
