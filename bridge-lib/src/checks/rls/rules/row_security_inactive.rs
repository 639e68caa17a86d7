//! RLS020: the server says row security does not apply to the application on a tenant table.

use crate::checks::rls::catalog::Catalog;
use crate::checks::rls::probe::Observations;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// Row security is not active for the application on a tenant table.
pub static ROW_SECURITY_INACTIVE: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS020",
    name: "row-security-inactive",
    title: "row security is not active for the application on a tenant table",
    checks: "`row_security_active(table)` for every tenant table with RLS on, asked as the application role inside \
             the probe transaction.",
    why: "row_security_active() as the application role is the server's own verdict on whether policies apply to it.",
    remedy: "`ALTER TABLE t FORCE ROW LEVEL SECURITY;`, and make sure the application role neither owns the table \
             nor is a superuser or BYPASSRLS (RLS004, RLS005).",
    limits: "Asked in the probe's session only: `SET row_security = off` or a role switch elsewhere in the \
             application is not seen. Tables with RLS off are left to RLS001, RLS002 and RLS011.",
};

/// RLS020 for each table with RLS on where the server says it is not active.
pub fn row_security_inactive(cat: &Catalog, obs: &Observations) -> Vec<Finding> {
    let mut out = Vec::new();
    for (table, active) in &obs.row_security_active {
        let rel = cat.relations.iter().find(|r| r.name == *table);
        if !active && rel.is_some_and(|r| r.rls) {
            out.push(
                ROW_SECURITY_INACTIVE
                    .finding(
                        Status::Fail,
                        table,
                        format!(
                            "expected row_security_active('{table}') to be true for `{}`, found false",
                            cat.role.name
                        ),
                    )
                    .with_evidence(json!({"relation": table, "row_security_active": false}))
                    .with_remedy(format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY;")),
            );
        }
    }
    out
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let mut obs = super::fixtures::observations();
    obs.row_security_active.insert(super::fixtures::DOCS.into(), false);
    row_security_inactive(&super::fixtures::catalog(), &obs)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, DOCS};
    use super::*;

    #[test]
    fn rls020_row_security_inactive_fires() {
        let f = triggers();
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].key.as_str(), f[0].status), ("RLS020:public.docs", Status::Fail));
    }

    #[test]
    fn rls020_row_security_inactive_quiet() {
        let (mut cat, mut obs) = (fixtures::catalog(), fixtures::observations());
        assert!(row_security_inactive(&cat, &obs).is_empty());
        cat.relations[0].rls = false;
        obs.row_security_active.insert(DOCS.into(), false);
        assert!(row_security_inactive(&cat, &obs).is_empty(), "RLS off is RLS001's");
    }
}
