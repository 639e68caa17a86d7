//! RLS023: under one tenant's context, the application can write into another tenant's rows.

use super::shared::remedy_for;
use crate::checks::rls::catalog::Catalog;
use crate::checks::rls::probe::{Observations, WriteOutcome, WriteProbe};
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// The application can write into another tenant's rows.
pub static CROSS_TENANT_WRITE: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS023",
    name: "cross-tenant-write",
    title: "the application can write into another tenant's rows",
    checks: "Under the first probe tenant's context, on every tenant table the application can read and write: \
             insert a copy of an own row for the second tenant, move an own row to the second tenant, update and \
             delete the second tenant's rows, each in a savepoint that is rolled back. Passes when every attempt \
             made is refused.",
    why: "Under tenant A's context, inserting a row for tenant B or moving A's row to B must fail with SQLSTATE 42501, and B's rows \
          must not be updatable or deletable. Probed inside savepoints and rolled back.",
    remedy: "Give every permissive policy a tenant WITH CHECK, or bound them with `CREATE POLICY tenant_isolation ON t \
             AS RESTRICTIVE TO app USING (tenant_id = current_setting('app.current_tenant', true)) WITH CHECK \
             (tenant_id = current_setting('app.current_tenant', true));`; force RLS where the finding says so.",
    limits: "Only the first two probe tenants, in one direction. An insert or move needs an own row to copy and is \
             not tried without one; tables without SELECT are not tried. A write RLS let through that a constraint \
             then stopped counts as allowed. The insert copies identity and serial values, so it draws no \
             sequence; an attempt that would fire a trigger, rule or cascade runs only with \
             BRIDGE_PROBE_WRITES=all (RLS044, RLS045). Writes to shared rows are RLS040's.",
};

/// RLS023 for a write attempt that row level security let through.
pub fn cross_tenant_write(cat: &Catalog, w: &WriteProbe) -> Option<Finding> {
    let WriteOutcome::Allowed { how } = &w.outcome else { return None };
    if crate::checks::rls::writes::is_shared_action(&w.action) {
        return None; // RLS040's
    }
    Some(
        CROSS_TENANT_WRITE
            .finding(
                Status::Fail,
                &format!("{}/{}", w.relation, w.action),
                format!(
                    "expected `{}` on `{}` under `{}` to be refused (42501 or 0 rows), found it allowed: {how}",
                    w.action, w.relation, w.as_tenant
                ),
            )
            .with_evidence(json!(w))
            .with_remedy(remedy_for(cat, &w.relation)),
    )
}

/// The RLS023 pass: at least one attempt was refused and none was allowed.
pub fn cross_tenant_write_pass(obs: &Observations) -> Option<Finding> {
    let denied = obs.writes.iter().filter(|w| matches!(w.outcome, WriteOutcome::Denied { .. })).count();
    let skipped = obs.writes.iter().filter(|w| matches!(w.outcome, WriteOutcome::Skipped { .. })).count();
    if denied > 0 && !obs.writes.iter().any(|w| matches!(w.outcome, WriteOutcome::Allowed { .. })) {
        let not_probed = if skipped > 0 { format!(" ({skipped} not probed: RLS044)") } else { String::new() };
        Some(CROSS_TENANT_WRITE.finding(
            Status::Pass,
            "",
            format!("{denied} cross-tenant write attempts refused and rolled back{not_probed}"),
        ))
    } else {
        None
    }
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let w = super::fixtures::write("move own row to other tenant", WriteOutcome::Allowed { how: "1 rows".into() });
    cross_tenant_write(&super::fixtures::catalog(), &w).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn rls023_cross_tenant_write_fires() {
        let f = triggers();
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].key.as_str(), f[0].status), ("RLS023:public.docs/move own row to other tenant", Status::Fail));
        assert!(f[0].detail.ends_with("found it allowed: 1 rows"), "{}", f[0].detail);
    }

    #[test]
    fn rls023_cross_tenant_write_quiet() {
        let (cat, obs) = (fixtures::catalog(), fixtures::observations());
        assert!(obs.writes.iter().all(|w| cross_tenant_write(&cat, w).is_none()));
        let pass = cross_tenant_write_pass(&obs).unwrap();
        assert_eq!(pass.detail, "2 cross-tenant write attempts refused and rolled back");
    }
}
