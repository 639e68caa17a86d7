//! Findings are data: a stable code, a kebab-case name, a status, the detail, structured
//! evidence and the exact remedy.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a single finding came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The property holds.
    Pass,
    /// The check did not run this part, and says why and what to set.
    Skip,
    /// Worth fixing, not blocking.
    Warn,
    /// A critical failure: the platform is not ready.
    Fail,
}

impl Status {
    /// The lowercase word used in every rendering.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Skip => "skip",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// A rule: the fixed part of a finding, declared once as a `static` next to the small function
/// that emits it (the check's `evaluate` is a list of calls to those functions).
///
/// Every rule of every check is declared the same way, a struct literal with all fields:
///
/// ```
/// use bridge_lib::{CheckId, Rule};
/// /// A namespace at or over 80% of its quota.
/// pub static NEAR_QUOTA: Rule = Rule {
///     check: CheckId::Capacity,
///     code: "CAP001",
///     name: "namespace-near-quota",
///     title: "a tenant's namespace is at or over 80% of its quota",
///     checks: "Each tenant's namespace record count against its tier's quota.",
///     why: "Serverless Pinecone has no per-namespace limit, so the quota is the only brake.",
///     remedy: "Raise the tenant's tier or delete stale records.",
///     limits: "Counts records, not bytes.",
/// };
/// assert!(NEAR_QUOTA.explain().contains("Why it matters"));
/// ```
///
/// `bridge explain CODE` prints [`Rule::explain`].
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The check that owns the rule.
    pub check: crate::check_id::CheckId,
    /// Stable code, for example `TEN001`.
    pub code: &'static str,
    /// Kebab-case name that names the problem, for example `too-few-test-tenants`.
    pub name: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// What it checks.
    pub checks: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// The usual remedy (a finding carries the exact one for its object).
    pub remedy: &'static str,
    /// Known limits: what the rule does not see.
    pub limits: &'static str,
}

impl Rule {
    /// The rule's documentation as plain text, with fixed headings (what `bridge explain` prints).
    pub fn explain(&self) -> String {
        format!(
            "{} {}: {}\n\nWhat it checks\n  {}\n\nWhy it matters\n  {}\n\nRemedy\n  {}\n\nKnown limits\n  {}\n",
            self.code, self.name, self.title, self.checks, self.why, self.remedy, self.limits
        )
    }

    /// A finding of this rule about `object` (a table, a tenant, a provider…), which also makes
    /// its suppression key `CODE:object`.
    pub fn finding(&self, status: Status, object: &str, detail: impl Into<String>) -> Finding {
        Finding {
            code: self.code.to_string(),
            name: self.name.to_string(),
            title: self.title.to_string(),
            status,
            detail: detail.into(),
            evidence: Value::Null,
            remedy: None,
            key: if object.is_empty() { self.code.to_string() } else { format!("{}:{object}", self.code) },
            suppressed: None,
        }
    }
}

/// One result of a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable code (`TEN001`).
    pub code: String,
    /// Kebab-case name (`too-few-test-tenants`).
    pub name: String,
    /// One-line title.
    pub title: String,
    /// pass, skip, warn or fail.
    pub status: Status,
    /// Names the object, with what was expected next to what was found.
    pub detail: String,
    /// Structured evidence (row counts, policy text, role attributes…).
    #[serde(default)]
    pub evidence: Value,
    /// The exact SQL or command that fixes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
    /// The key that suppresses this one finding (`CODE:object`).
    pub key: String,
    /// Why it was suppressed, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
}

impl Finding {
    /// Attaches structured evidence.
    pub fn with_evidence(mut self, evidence: Value) -> Self {
        self.evidence = evidence;
        self
    }

    /// Attaches the remedy.
    pub fn with_remedy(mut self, remedy: impl Into<String>) -> Self {
        self.remedy = Some(remedy.into());
        self
    }

    /// The status that counts towards the verdict: a suppressed finding counts as a pass.
    pub fn effective_status(&self) -> Status {
        if self.suppressed.is_some() {
            Status::Pass
        } else {
            self.status
        }
    }
}

/// A count with thousands separators, as findings and pictures print record counts and quotas: `10000000` → `10,000,000`.
pub fn fmt_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
