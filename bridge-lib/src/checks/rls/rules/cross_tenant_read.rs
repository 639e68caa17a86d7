//! RLS021: under one tenant's context, the application sees another tenant's rows.

use super::shared::{probed_relations, reads_can_prove, remedy_for, rows, thin_relations};
use crate::checks::rls::catalog::Catalog;
use crate::checks::rls::probe::Observations;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// The application sees another tenant's rows under a tenant's context.
pub static CROSS_TENANT_READ: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS021",
    name: "cross-tenant-read",
    title: "the application sees another tenant's rows under a tenant's context",
    checks: "Under each probe tenant's context, set as the application sets it (BRIDGE_TENANT_CONTEXT_SQL), the \
             rows of other tenants through every readable tenant table, view, materialized view and foreign table, \
             and through the SECURITY DEFINER functions it can safely call (no arguments, set-returning, not \
             volatile) that read tenant tables. Passes when none is seen and the probe could prove it (RLS025).",
    why: "The live probe sets each probe tenant's context exactly as the application does and counts rows of other tenants through \
          every tenant table, view and definer function it can reach: any row is a leak.",
    remedy: "Close the path the finding names: RLS on and forced for a table (`ALTER TABLE t FORCE ROW LEVEL \
             SECURITY;`), `ALTER VIEW v SET (security_invoker = true);` for a view, `REVOKE SELECT` for a \
             materialized view or foreign table, `ALTER FUNCTION f() SECURITY INVOKER;` for a function.",
    limits: "Shared rows (a NULL tenant, or a value in BRIDGE_SHARED_TENANT) are counted apart, not as another \
             tenant's: reading them is what they are for (writing them is RLS040's). Counts at most 100,000 rows per relation, for the probe tenants only (BRIDGE_PROBE_TENANTS, or the \
             first active tenants, test tenants first), comparing the tenant column as text. Functions with \
             arguments, volatile functions and functions that return no tenant column are not called. Zero foreign \
             rows through a relation where fewer than two probe tenants have rows proves nothing (RLS025).",
};

/// RLS021 for each relation and definer function that returned rows of other tenants.
pub fn cross_tenant_read(cat: &Catalog, obs: &Observations) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in probed_relations(obs) {
        let per: Vec<(&String, Option<(i64, i64)>)> = obs.reads.iter().map(|(t, m)| (t, rows(m.get(r)))).collect();
        let leaking: Vec<(&String, i64)> =
            per.iter().filter_map(|(t, c)| c.filter(|(_, o)| *o > 0).map(|(_, o)| (*t, o))).collect();
        if !leaking.is_empty() {
            let what = leaking.iter().map(|(t, n)| format!("{n} under `{t}`")).collect::<Vec<_>>().join(", ");
            out.push(
                CROSS_TENANT_READ
                    .finding(Status::Fail, r, format!("expected 0 rows of other tenants through `{r}`, found {what}"))
                    .with_evidence(json!({"relation": r, "other_tenant_rows": leaking.iter().map(|(t, n)| json!({"tenant": t, "rows": n})).collect::<Vec<_>>()}))
                    .with_remedy(remedy_for(cat, r)),
            );
        }
    }
    for (t, fns) in &obs.functions {
        for (f, c) in fns {
            if let Some((_, other)) = rows(Some(c)) {
                if other > 0 {
                    out.push(
                        CROSS_TENANT_READ
                            .finding(
                                Status::Fail,
                                f,
                                format!("expected 0 rows of other tenants from `{f}` under `{t}`, found {other}"),
                            )
                            .with_evidence(json!({"function": f, "tenant": t, "other_tenant_rows": other}))
                            .with_remedy(format!("ALTER FUNCTION {f} SECURITY INVOKER;")),
                    );
                }
            }
        }
    }
    out
}

/// The RLS021 pass: no foreign row anywhere, and the probe could prove it.
pub fn cross_tenant_read_pass(cat: &Catalog, obs: &Observations) -> Option<Finding> {
    if !reads_can_prove(obs) || !cross_tenant_read(cat, obs).is_empty() {
        return None;
    }
    let all_relations = probed_relations(obs);
    let conclusive = all_relations.len() - thin_relations(obs).len();
    let seen = shared_seen(obs);
    let shared = if seen.is_empty() {
        String::new()
    } else {
        let each: Vec<String> = seen.iter().map(|(r, n)| format!("{n} in {r}")).collect();
        format!("; shared rows every tenant reads, not counted as another tenant's: {}", each.join(", "))
    };
    let pass = CROSS_TENANT_READ.finding(
        Status::Pass,
        "",
        format!("0 rows of other tenants visible under the context of {} ({conclusive} of {} relations with rows of 2+ tenants){shared}", obs.tenants.join(", "), all_relations.len()),
    );
    Some(if seen.is_empty() { pass } else { pass.with_evidence(json!({"shared_rows": seen})) })
}

/// The most shared rows any context saw, per relation.
fn shared_seen(obs: &Observations) -> std::collections::BTreeMap<&String, i64> {
    let mut out = std::collections::BTreeMap::new();
    for m in obs.shared.values() {
        for (r, n) in m {
            let e = out.entry(r).or_insert(0);
            *e = (*e).max(*n);
        }
    }
    out
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    use super::fixtures::{self, count, DOCS};
    let mut obs = fixtures::observations();
    obs.reads.get_mut("b").unwrap().insert(DOCS.into(), count(2, 3));
    obs.functions.get_mut("a").unwrap().insert("all_docs()".into(), count(1, 5));
    cross_tenant_read(&fixtures::catalog(), &obs)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, problems};
    use super::*;

    #[test]
    fn rls021_cross_tenant_read_fires() {
        let f = triggers();
        assert_eq!(problems(&f, "RLS021"), ["RLS021:public.docs", "RLS021:all_docs()"]);
        assert_eq!(f[0].detail, "expected 0 rows of other tenants through `public.docs`, found 3 under `b`");
        assert_eq!(f[1].remedy.as_deref(), Some("ALTER FUNCTION all_docs() SECURITY INVOKER;"));
    }

    #[test]
    fn rls021_cross_tenant_read_quiet() {
        let (cat, obs) = (fixtures::catalog(), fixtures::observations());
        assert!(cross_tenant_read(&cat, &obs).is_empty());
        let pass = cross_tenant_read_pass(&cat, &obs).unwrap();
        assert_eq!(
            pass.detail,
            "0 rows of other tenants visible under the context of a, b (1 of 1 relations with rows of 2+ tenants)"
        );
    }
}
