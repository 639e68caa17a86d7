//! RLS012: the application may TRUNCATE a tenant table.

use super::shared::{rel_evidence, rls_off_and_reachable};
use crate::checks::rls::catalog::{Catalog, Relation};
use crate::db::quote_ident;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;

/// The application may TRUNCATE a tenant table.
pub static TRUNCATE_ALLOWED: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS012",
    name: "truncate-ignores-rls",
    title: "the application may TRUNCATE a tenant table",
    checks: "The TRUNCATE privilege of the application role (granted to it, a role it inherits, or PUBLIC) on each \
             tenant table.",
    why: "TRUNCATE is not subject to row level security: one tenant's request can empty every tenant's rows.",
    remedy: "`REVOKE TRUNCATE ON t FROM app;` (and from PUBLIC or the role that grants it); delete a tenant's rows \
             with `DELETE`, which the policies bound.",
    limits: "Not reported on a table that already fails RLS001, RLS002, RLS011 or RLS005: fix those and rerun. A \
             TRUNCATE inside a SECURITY DEFINER function the application can call is not seen.",
};

/// RLS012 for a TRUNCATE grant on a table not already failing for RLS off or owner bypass.
pub fn truncate_allowed(cat: &Catalog, r: &Relation) -> Option<Finding> {
    if !r.truncate || !r.is_table() || rls_off_and_reachable(r) || r.owner_bypass() {
        return None;
    }
    let (t, app) = (&r.name, &cat.role.name);
    Some(
        TRUNCATE_ALLOWED
            .finding(Status::Fail, t, format!("expected no TRUNCATE privilege for `{app}` on `{t}`, found it granted"))
            .with_evidence(rel_evidence(r))
            .with_remedy(format!("REVOKE TRUNCATE ON {t} FROM {};", quote_ident(app))),
    )
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let mut cat = super::fixtures::catalog();
    cat.relations[0].truncate = true;
    truncate_allowed(&cat, &cat.relations[0]).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn rls012_truncate_ignores_rls_fires() {
        let f = triggers();
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].key.as_str(), f[0].status), ("RLS012:public.docs", Status::Fail));
        assert_eq!(f[0].remedy.as_deref(), Some("REVOKE TRUNCATE ON public.docs FROM \"app\";"));
    }

    #[test]
    fn rls012_truncate_ignores_rls_quiet() {
        let cat = fixtures::catalog();
        assert!(truncate_allowed(&cat, &cat.relations[0]).is_none());
        let mut off = cat.relations[0].clone();
        (off.truncate, off.rls) = (true, false);
        assert!(truncate_allowed(&cat, &off).is_none(), "RLS001 already fails it");
    }
}
