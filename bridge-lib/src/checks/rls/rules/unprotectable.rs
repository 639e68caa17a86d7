//! RLS009: a materialized view or foreign table of tenant data, which RLS cannot protect.

use super::shared::rel_evidence;
use crate::checks::rls::catalog::{Catalog, DependentView};
use crate::config::Config;
use crate::db::quote_ident;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// A materialized view or foreign table of tenant data is readable.
pub static UNPROTECTABLE: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS009",
    name: "unprotectable-relation-readable",
    title: "a materialized view or foreign table of tenant data is readable",
    checks: "Materialized views over tenant tables, and foreign tables with the tenant column, that the application \
             role can SELECT.",
    why: "Materialized views and foreign tables cannot have row level security: the application reads every tenant's rows.",
    remedy: "`REVOKE SELECT ON mv FROM app;` and serve the data through a view `WITH (security_invoker = true)` or \
             a tenant table with RLS.",
    limits: "Does not look inside: a materialized view built from one tenant's rows, or a foreign table whose remote \
             side enforces tenancy, is still reported. Rows on the foreign server are not counted by the probe.",
};

/// RLS009 for a readable materialized view over tenant tables.
pub fn unprotectable_view(cat: &Catalog, v: &DependentView) -> Option<Finding> {
    if v.kind != "m" {
        return None;
    }
    let bases = v.base_tables.join(", ");
    Some(
        UNPROTECTABLE
            .finding(
                Status::Fail,
                &v.name,
                format!("expected no readable materialized view of tenant data, found `{}` over {bases}", v.name),
            )
            .with_evidence(json!(v))
            .with_remedy(format!(
                "REVOKE SELECT ON {} FROM {};  -- or replace it with a view WITH (security_invoker = true)",
                v.name,
                quote_ident(&cat.role.name)
            )),
    )
}

/// RLS009 for each readable foreign table with the tenant column.
pub fn readable_foreign_tables(cfg: &Config, cat: &Catalog) -> Vec<Finding> {
    let (app, tcol) = (&cat.role.name, &cfg.tenancy.column);
    cat.relations
        .iter()
        .filter(|r| r.kind == "f" && r.select)
        .map(|r| {
            UNPROTECTABLE
                .finding(
                    Status::Fail,
                    &r.name,
                    format!("expected no readable foreign table with `{tcol}`, found `{}`", r.name),
                )
                .with_evidence(rel_evidence(r))
                .with_remedy(format!("REVOKE SELECT ON {} FROM {};", r.name, quote_ident(app)))
        })
        .collect()
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    use super::fixtures;
    let mut cat = fixtures::catalog();
    let mut remote = fixtures::table("remote_docs");
    remote.kind = "f".into();
    cat.relations.push(remote);
    let mut out: Vec<Finding> =
        unprotectable_view(&cat, &super::view_bypasses::view("m", false, true)).into_iter().collect();
    out.extend(readable_foreign_tables(&fixtures::cfg(), &cat));
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, problems};
    use super::super::view_bypasses::view;
    use super::*;

    #[test]
    fn rls009_unprotectable_relation_readable_fires() {
        let f = triggers();
        assert_eq!(problems(&f, "RLS009"), ["RLS009:public.all_docs", "RLS009:public.remote_docs"]);
        assert_eq!(f[1].detail, "expected no readable foreign table with `tenant_id`, found `public.remote_docs`");
    }

    #[test]
    fn rls009_unprotectable_relation_readable_quiet() {
        let cat = fixtures::catalog();
        assert!(unprotectable_view(&cat, &view("v", false, true)).is_none(), "a plain view can be security_invoker");
        assert!(readable_foreign_tables(&fixtures::cfg(), &cat).is_empty());
    }
}
