//! The CI gate on top of the verdict: strictness (`--require`, `--fail-on warn`) and baselines
//! (`--write-baseline`, `--baseline`) for adopting the gate on a system that already has
//! findings. Pure functions over a [`Report`]; the CLI reads and writes the files.
//!
//! Exit codes stay those of [`Report::exit_code`] unless an option asks for more: 78 when a
//! check stopped on a configuration error; else 1 when a check failed, a required check
//! skipped, or (with `--fail-on warn`) anything warned or skipped; else 2 when a check could
//! not run; else 0.

use crate::finding::Status;
use crate::report::{BaselineSummary, CheckId, CheckStatus, GateDecision, Report, Tool};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The reason a baselined finding carries in `suppressed` (followed by the file name).
pub const BASELINED: &str = "baselined in ";

/// How strict the gate is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Checks that must run: a skip exits 1, an error exits 2.
    pub required: Vec<CheckId>,
    /// Any warning or skipped check exits 1 (`--fail-on warn`).
    pub fail_on_warn: bool,
}

impl Policy {
    /// The gate's decision on `report`: the exit code and one reason per thing that set it.
    pub fn decide(&self, report: &Report) -> GateDecision {
        let (mut red, mut broken) = (Vec::new(), Vec::new());
        for c in &report.checks {
            match c.status {
                CheckStatus::Fail => red.push(format!("{}: {} critical failure(s)", c.check, c.count(Status::Fail))),
                CheckStatus::Error if c.error_kind == Some(crate::ErrorKind::Config) => {
                    broken.push(format!("{}: bad configuration (exit 78)", c.check))
                }
                CheckStatus::Error => broken.push(format!("{}: could not run", c.check)),
                _ => {}
            }
        }
        for id in &self.required {
            match report.check(*id).map(|c| c.status) {
                None => broken.push(format!("required check `{id}` did not run")),
                Some(CheckStatus::Skip) => red.push(format!("required check `{id}` skipped")),
                Some(CheckStatus::Error) => broken.push(format!("required check `{id}` could not run")),
                Some(_) => {}
            }
        }
        if self.fail_on_warn {
            for c in &report.checks {
                match c.status {
                    CheckStatus::Warn => {
                        red.push(format!("--fail-on warn: {} has {} warning(s)", c.check, c.count(Status::Warn)))
                    }
                    CheckStatus::Skip => red.push(format!("--fail-on warn: {} skipped", c.check)),
                    _ => {}
                }
            }
        }
        let exit_code = if report.misconfigured() {
            78
        } else if !red.is_empty() {
            1
        } else if !broken.is_empty() {
            2
        } else {
            0
        };
        red.extend(broken);
        GateDecision {
            required: self.required.clone(),
            fail_on: if self.fail_on_warn { "warn" } else { "fail" }.into(),
            exit_code,
            reasons: red,
        }
    }
}

/// A baseline file: today's warnings and failures by key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// The baseline format's version (1).
    pub bridge_baseline: u32,
    /// When it was written (RFC 3339, UTC).
    #[serde(default)]
    pub created_at: String,
    /// The tool that wrote it.
    #[serde(default)]
    pub tool: Tool,
    /// The accepted findings.
    pub findings: Vec<BaselineEntry>,
}

/// One accepted finding; only `key` is matched, the rest is for the reader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineEntry {
    /// The finding's key (`CODE:object`).
    pub key: String,
    /// Its check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckId>,
    /// Its status when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Its detail when recorded.
    #[serde(default)]
    pub detail: String,
}

impl Baseline {
    /// Today's warnings and failures of `report` (suppressed ones left out, baselined ones kept).
    pub fn record(report: &Report) -> Self {
        let mut findings: Vec<BaselineEntry> = Vec::new();
        for c in &report.checks {
            for f in &c.findings {
                let baselined = f.suppressed.as_deref().is_some_and(|r| r.starts_with(BASELINED));
                let counts = f.suppressed.is_none() || baselined;
                if counts && matches!(f.status, Status::Warn | Status::Fail) && !findings.iter().any(|e| e.key == f.key)
                {
                    findings.push(BaselineEntry {
                        key: f.key.clone(),
                        check: Some(c.check),
                        status: Some(f.status),
                        detail: f.detail.clone(),
                    });
                }
            }
        }
        Baseline { bridge_baseline: 1, created_at: report.started_at.clone(), tool: Tool::default(), findings }
    }

    /// The baseline as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parses a baseline file's text; `file` names it in the error.
    pub fn from_json(text: &str, file: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| {
            Error::config(
                format!("baseline file {file} is not a bridge baseline: {e}"),
                "pass a file written by `bridge check --write-baseline FILE`",
            )
        })
    }

    /// Marks the warnings and failures of `report` whose key is in this baseline as suppressed
    /// (`baselined in FILE`), recomputes statuses and the verdict, and records the counts.
    pub fn apply(&self, report: &mut Report, file: &str) {
        let keys: BTreeSet<&str> = self.findings.iter().map(|e| e.key.as_str()).collect();
        let (mut baselined, mut new) = (0, 0);
        for c in &mut report.checks {
            for f in &mut c.findings {
                if f.suppressed.is_some() || !matches!(f.status, Status::Warn | Status::Fail) {
                    continue;
                }
                if keys.contains(f.key.as_str()) {
                    f.suppressed = Some(format!("{BASELINED}{file}"));
                    baselined += 1;
                } else {
                    new += 1;
                }
            }
            *c = c.clone().apply_suppressions(&[]);
        }
        report.update_verdict();
        report.baseline = Some(BaselineSummary { file: file.to_string(), baselined, new });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Finding;
    use crate::CheckOutcome;

    fn finding(code: &str, status: Status) -> Finding {
        let rule = crate::checks::tenants::RULES[1];
        let mut f = rule.finding(status, code, format!("{code} detail"));
        f.key = code.into();
        f
    }

    fn report(findings: Vec<Finding>) -> Report {
        Report::new("configured", vec![CheckOutcome::from_findings(CheckId::Tenants, findings)])
    }

    #[test]
    fn defaults_keep_the_documented_exit_codes() {
        let p = Policy::default();
        assert_eq!(p.decide(&report(vec![finding("A", Status::Warn)])).exit_code, 0);
        assert_eq!(p.decide(&report(vec![finding("A", Status::Fail)])).exit_code, 1);
        assert_eq!(p.decide(&report(vec![finding("A", Status::Skip)])).exit_code, 0);
    }

    #[test]
    fn require_turns_a_skip_red_and_fail_on_warn_a_warning() {
        let skip = report(vec![finding("A", Status::Skip)]);
        let d = Policy { required: vec![CheckId::Tenants], fail_on_warn: false }.decide(&skip);
        assert_eq!((d.exit_code, d.reasons[0].as_str()), (1, "required check `tenants` skipped"));
        let d = Policy { required: vec![CheckId::Rls], fail_on_warn: false }.decide(&skip);
        assert_eq!(d.exit_code, 2, "{:?}", d.reasons);
        let warn = report(vec![finding("A", Status::Warn)]);
        let d = Policy { required: vec![], fail_on_warn: true }.decide(&warn);
        assert_eq!((d.exit_code, d.fail_on.as_str()), (1, "warn"));
    }

    #[test]
    fn baseline_accepts_recorded_findings_and_counts_new_ones() {
        let before = report(vec![finding("A", Status::Fail), finding("P", Status::Pass)]);
        let b = Baseline::from_json(&Baseline::record(&before).to_json(), "b.json").unwrap();
        assert_eq!(b.findings.len(), 1, "passes are not recorded");
        let mut again = report(vec![finding("A", Status::Fail)]);
        b.apply(&mut again, "b.json");
        assert_eq!(again.exit_code(), 0);
        assert_eq!(again.baseline.as_ref().map(|s| (s.baselined, s.new)), Some((1, 0)));
        let mut worse = report(vec![finding("A", Status::Fail), finding("B", Status::Fail)]);
        b.apply(&mut worse, "b.json");
        assert_eq!(worse.exit_code(), 1);
        assert_eq!(worse.baseline.as_ref().map(|s| (s.baselined, s.new)), Some((1, 1)));
        assert!(Baseline::from_json("{}", "b.json").unwrap_err().is_config());
    }
}
