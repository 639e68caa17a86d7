//! RLS032: a view over tenant tables that hides the tenant column returns the same rows whatever
//! the tenant context: it shows every tenant's rows.

use super::shared::rows;
use crate::checks::rls::catalog::Catalog;
use crate::checks::rls::probe::{Observations, Shape};
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// A view without a tenant column returns the same rows under every tenant's context.
pub static VIEW_IGNORES_CONTEXT: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS032",
    name: "view-ignores-tenant-context",
    title: "a view without a tenant column returns the same rows under every tenant's context",
    checks: "Every plain view over tenant tables that exposes no tenant key and that the application can SELECT is \
             read under each probe tenant's context and with no context: its row count and a digest of its \
             sorted rows. It fails when at least two probe tenants and the no-context read all get the same \
             non-empty rows (then the context filters nothing); the tenant's own rows through a base table the \
             application can read are shown beside the count.",
    why: "A view reads its base tables with its owner's rights unless it is security_invoker: an owner that is exempt from RLS, \
          or that has its own permissive policy, shows every tenant's rows, and a view that leaves the tenant column out \
          escapes every check that looks for that column.",
    remedy: "`ALTER VIEW v SET (security_invoker = true);` (PostgreSQL 15 or later), with the base tables' policies \
             applying to the application; or `REVOKE SELECT ON v FROM app;`.",
    limits: "Judges by what the view returns, not by its text: a view that only shows rows shared by every tenant (a \
             NULL or global tenant) looks the same under every context and is reported; a leaking view whose \
             rows are all seen by one tenant only, or that returns nothing without context, is not. Reads at most \
             100,000 rows per view (`SELECT *`: a view the application can read only some columns of is not \
             probed); materialized views are RLS009's.",
};

/// RLS032 for each probed view whose rows do not depend on the tenant context.
pub fn view_ignores_context(cat: &Catalog, obs: &Observations) -> Vec<Finding> {
    let mut out = Vec::new();
    for (view, by_context) in &obs.view_rows {
        let shape = |ctx: &str| match by_context.get(ctx) {
            Some(Shape::Rows { rows, digest }) => Some((*rows, digest.as_str())),
            _ => None,
        };
        let tenants: Vec<&String> = obs.tenants.iter().filter(|t| shape(t).is_some()).collect();
        let (Some(first), Some(none)) = (tenants.first().and_then(|t| shape(t)), shape("")) else { continue };
        if tenants.len() < 2 || first.0 == 0 || none != first || tenants.iter().any(|t| shape(t) != Some(first)) {
            continue;
        }
        let bases: Vec<&String> = cat.views.iter().filter(|v| &v.name == view).flat_map(|v| &v.base_tables).collect();
        let own: Vec<serde_json::Value> = tenants
            .iter()
            .flat_map(|t| {
                bases.iter().filter_map(move |b| {
                    rows(obs.reads.get(*t).and_then(|m| m.get(*b)))
                        .map(|(own, _)| json!({"tenant": t, "base_table": b, "own_rows": own}))
                })
            })
            .collect();
        let names = tenants.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ");
        out.push(
            VIEW_IGNORES_CONTEXT
                .finding(
                    Status::Fail,
                    view,
                    format!(
                        "expected view `{view}` over {} to return each tenant only its own rows, found the same {} rows under {names} and with no tenant context",
                        bases.iter().map(|b| b.as_str()).collect::<Vec<_>>().join(", "),
                        first.0
                    ),
                )
                .with_evidence(json!({"view": view, "rows_by_context": by_context, "base_tables": bases, "own_rows_through_base_tables": own}))
                .with_remedy(format!("ALTER VIEW {view} SET (security_invoker = true);")),
        );
    }
    out
}

#[cfg(test)]
fn shaped(none: (i64, &str), a: (i64, &str), b: (i64, &str)) -> Observations {
    let s = |(rows, d): (i64, &str)| Shape::Rows { rows, digest: d.into() };
    let mut obs = super::fixtures::observations();
    obs.view_rows
        .insert("public.note_bodies".into(), [("".into(), s(none)), ("a".into(), s(a)), ("b".into(), s(b))].into());
    obs
}

#[cfg(test)]
fn with_view() -> Catalog {
    let mut cat = super::fixtures::catalog();
    let mut v = super::view_bypasses::view("v", false, true);
    v.name = "public.note_bodies".into();
    cat.views = vec![v];
    cat
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    view_ignores_context(&with_view(), &shaped((12, "x"), (12, "x"), (12, "x")))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::problems;
    use super::*;

    #[test]
    fn rls032_view_ignores_tenant_context_fires() {
        let f = triggers();
        assert_eq!(problems(&f, "RLS032"), ["RLS032:public.note_bodies"]);
        assert_eq!(
            f[0].detail,
            "expected view `public.note_bodies` over public.docs to return each tenant only its own rows, found the same 12 rows under `a`, `b` and with no tenant context"
        );
        assert_eq!(f[0].evidence["own_rows_through_base_tables"][0]["own_rows"], 2);
    }

    #[test]
    fn rls032_view_ignores_tenant_context_quiet() {
        let cat = with_view();
        for obs in [
            shaped((0, ""), (2, "x"), (2, "y")),
            shaped((0, ""), (2, "x"), (2, "x")),
            shaped((0, ""), (0, ""), (0, "")),
            shaped((12, "x"), (12, "x"), (11, "y")),
        ] {
            assert!(view_ignores_context(&cat, &obs).is_empty(), "{:?}", obs.view_rows);
        }
    }
}
