//! RLS027: a probe query failed.

use crate::checks::rls::probe::{Count, Observations, WriteOutcome, WriteProbe};
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

use super::shared::probed_relations;

/// A probe query failed.
pub static PROBE_ERROR: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS027",
    name: "probe-error",
    title: "a probe query failed",
    checks: "Probe reads under a tenant context, and probe writes, that failed with an error other than a row level \
             security refusal (42501) or a constraint that stopped a write RLS had let through.",
    why:
        "A query the application could run failed during the probe (for example a policy that casts an empty setting).",
    remedy: "Read the SQLSTATE and message in the evidence. A policy that casts the setting \
             (`current_setting('app.current_tenant', true)::uuid`) fails on an empty context: compare as text, or \
             cast `nullif(current_setting('app.current_tenant', true), '')`.",
    limits: "A failed read or write proves nothing either way for that relation and tenant. Reads are reported as \
             one finding (the first error in the detail, all in the evidence). Function probes that fail because \
             the function returns no tenant column (42703) are skipped silently.",
};

/// One RLS027 for every probe read that failed under a tenant context.
pub fn probe_read_errors(obs: &Observations) -> Option<Finding> {
    let mut probe_errors = Vec::new();
    for r in probed_relations(obs) {
        for (t, m) in &obs.reads {
            if let Some(Count::Failed { sqlstate, message }) = m.get(r) {
                probe_errors.push(json!({"relation": r, "tenant": t, "sqlstate": sqlstate, "message": message}));
            }
        }
    }
    if probe_errors.is_empty() {
        return None;
    }
    Some(
        PROBE_ERROR
            .finding(
                Status::Warn,
                "reads",
                format!(
                    "{} probe reads failed under a tenant context (first: {})",
                    probe_errors.len(),
                    probe_errors[0]["message"]
                ),
            )
            .with_evidence(json!(probe_errors)),
    )
}

/// RLS027 for a probe write that failed with another error.
pub fn probe_write_error(w: &WriteProbe) -> Option<Finding> {
    let WriteOutcome::Failed { sqlstate, message } = &w.outcome else { return None };
    Some(
        PROBE_ERROR
            .finding(
                Status::Warn,
                &format!("{}/{}", w.relation, w.action),
                format!("`{}` on `{}` failed with {sqlstate}: {message}", w.action, w.relation),
            )
            .with_evidence(json!(w)),
    )
}

#[cfg(test)]
fn failed() -> Count {
    Count::Failed { sqlstate: "22P02".into(), message: "invalid input syntax for type uuid: \"\"".into() }
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    use super::fixtures::{self, DOCS};
    let mut obs = fixtures::observations();
    obs.reads.get_mut("a").unwrap().insert(DOCS.into(), failed());
    let w = fixtures::write(
        "delete other tenant's rows",
        WriteOutcome::Failed { sqlstate: "57014".into(), message: "canceled".into() },
    );
    probe_read_errors(&obs).into_iter().chain(probe_write_error(&w)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn rls027_probe_error_fires() {
        let f = triggers();
        let got: Vec<_> = f.iter().map(|f| (f.key.as_str(), f.status)).collect();
        assert_eq!(
            got,
            [("RLS027:reads", Status::Warn), ("RLS027:public.docs/delete other tenant's rows", Status::Warn)]
        );
        assert!(f[0].detail.starts_with("1 probe reads failed under a tenant context (first: "), "{}", f[0].detail);
        assert_eq!(f[1].detail, "`delete other tenant's rows` on `public.docs` failed with 57014: canceled");
    }

    #[test]
    fn rls027_probe_error_quiet() {
        let obs = fixtures::observations();
        assert!(probe_read_errors(&obs).is_none());
        assert!(obs.writes.iter().all(|w| probe_write_error(w).is_none()), "refused writes are not errors");
    }
}
