//! RLS008: a view over tenant tables that runs with its owner's rights.

use crate::checks::rls::catalog::{Catalog, DependentView};
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// A view over tenant tables runs with its owner's rights.
pub static VIEW_BYPASSES: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS008",
    name: "view-bypasses-rls",
    title: "a view over tenant tables runs with its owner's rights",
    checks: "Views over tenant tables that the application can SELECT and that are not `security_invoker`: fail \
             when the owner bypasses RLS on a base table (superuser, BYPASSRLS, owner of an un-forced base table, \
             or a base table with RLS off), warn otherwise.",
    why: "A view without security_invoker applies the policies (or bypass) of its owner, not of the application: a view owned by \
          a superuser or the table owner shows every tenant's rows.",
    remedy: "`ALTER VIEW v SET (security_invoker = true);` (PostgreSQL 15 or later).",
    limits: "Base tables are its direct dependencies: a view over a view over a tenant table is judged by the middle \
             view only. A view that filters by tenant itself (`WHERE tenant_id = current_setting(…)`) is still \
             reported; the live probe (RLS021) shows whether it leaks.",
};

/// RLS008 for a plain view without security_invoker.
pub fn view_bypasses(cat: &Catalog, v: &DependentView) -> Option<Finding> {
    if v.kind == "m" || v.security_invoker {
        return None;
    }
    let (app, bases) = (&cat.role.name, v.base_tables.join(", "));
    let (status, why) = if v.owner_bypasses {
        (Status::Fail, format!("its owner `{}` bypasses RLS on {bases}", v.owner))
    } else {
        (Status::Warn, format!("policies are evaluated for its owner `{}`, not for `{app}`", v.owner))
    };
    Some(
        VIEW_BYPASSES
            .finding(
                status,
                &v.name,
                format!("expected view `{}` WITH (security_invoker = true), found it without: {why}", v.name),
            )
            .with_evidence(json!(v))
            .with_remedy(format!("ALTER VIEW {} SET (security_invoker = true);", v.name)),
    )
}

#[cfg(test)]
pub(super) fn view(kind: &str, security_invoker: bool, owner_bypasses: bool) -> DependentView {
    DependentView {
        name: "public.all_docs".into(),
        kind: kind.into(),
        security_invoker,
        owner: "owner".into(),
        owner_bypasses,
        base_tables: vec![super::fixtures::DOCS.into()],
        ..Default::default()
    }
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let cat = super::fixtures::catalog();
    [view("v", false, true), view("v", false, false)].iter().filter_map(|v| view_bypasses(&cat, v)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn rls008_view_bypasses_rls_fires() {
        let f = triggers();
        let got: Vec<_> = f.iter().map(|f| (f.key.as_str(), f.status)).collect();
        assert_eq!(got, [("RLS008:public.all_docs", Status::Fail), ("RLS008:public.all_docs", Status::Warn)]);
        assert!(f[0].detail.ends_with("its owner `owner` bypasses RLS on public.docs"), "{}", f[0].detail);
        assert_eq!(f[0].remedy.as_deref(), Some("ALTER VIEW public.all_docs SET (security_invoker = true);"));
    }

    #[test]
    fn rls008_view_bypasses_rls_quiet() {
        let cat = fixtures::catalog();
        assert!(view_bypasses(&cat, &view("v", true, true)).is_none(), "security_invoker");
        assert!(view_bypasses(&cat, &view("m", false, true)).is_none(), "a materialized view is RLS009");
    }
}
