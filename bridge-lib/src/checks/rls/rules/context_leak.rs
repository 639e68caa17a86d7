//! RLS024: the tenant context survives the end of the transaction that set it.

use crate::checks::rls::probe::Observations;
use crate::config::Config;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// The tenant context survives the end of the transaction.
pub static CONTEXT_LEAK: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS024",
    name: "context-survives-transaction",
    title: "the tenant context survives the end of the transaction",
    checks: "After a transaction that sets the first probe tenant's context the application's way and commits, a \
             new transaction on the same connection: is the tenant setting still set, and does the first readable \
             tenant table still show rows?",
    why: "Pooled connections are reused across requests: a context set with SET (not set_config(..., true)) or a role default \
          reaches the next tenant's request.",
    remedy: "Set the context transaction-locally, `SELECT set_config('app.current_tenant', $1, true)` inside each \
             request's transaction (BRIDGE_TENANT_CONTEXT_SQL as the application does it), never `SET`; reset \
             connections when they return to the pool (`DISCARD ALL`).",
    limits: "Probes one connection once. A pooler that hands sessions between clients (PgBouncer in transaction \
             mode) or an application path that sets the context some other way than BRIDGE_TENANT_CONTEXT_SQL is \
             not seen.",
};

/// RLS024 fails when the setting or rows outlive the commit, and passes otherwise.
pub fn context_leak(cfg: &Config, obs: &Observations) -> Option<Finding> {
    let setting = &cfg.tenancy.context.setting;
    match (&obs.context_after_commit, &obs.rows_after_commit) {
        (Some(v), _) => Some(
            CONTEXT_LEAK
                .finding(Status::Fail, setting, format!("expected `{setting}` unset in a new transaction, found `{v}` after the transaction that set it committed"))
                .with_evidence(json!({"value_after_commit": v, "rows_after_commit": obs.rows_after_commit, "context_sql": cfg.tenancy.context.statement("<tenant>")}))
                .with_remedy(cfg.tenancy.context.local_remedy()),
        ),
        (None, Some((t, n))) if *n > 0 => Some(
            CONTEXT_LEAK
                .finding(Status::Fail, setting, format!("expected 0 rows through `{t}` in a new transaction, found {n}"))
                .with_evidence(json!({"rows_after_commit": obs.rows_after_commit})),
        ),
        (None, Some(_)) => Some(CONTEXT_LEAK.finding(Status::Pass, setting, format!("`{setting}` does not survive the end of the transaction that set it"))),
        _ => None,
    }
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let (cfg, obs) = (super::fixtures::cfg(), super::fixtures::observations());
    let mut set = obs.clone();
    set.context_after_commit = Some("a".into());
    let mut rows = obs;
    rows.rows_after_commit = Some((super::fixtures::DOCS.into(), 2));
    [set, rows].iter().filter_map(|o| context_leak(&cfg, o)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn rls024_context_survives_transaction_fires() {
        let f = triggers();
        let got: Vec<_> = f.iter().map(|f| (f.key.as_str(), f.status)).collect();
        assert_eq!(got, [("RLS024:app.current_tenant", Status::Fail), ("RLS024:app.current_tenant", Status::Fail)]);
        assert!(f[0].detail.contains("found `a` after the transaction that set it committed"), "{}", f[0].detail);
        assert_eq!(f[1].detail, "expected 0 rows through `public.docs` in a new transaction, found 2");
    }

    #[test]
    fn rls024_context_survives_transaction_quiet() {
        let f = context_leak(&fixtures::cfg(), &fixtures::observations()).unwrap();
        assert_eq!(f.status, Status::Pass);
    }
}
