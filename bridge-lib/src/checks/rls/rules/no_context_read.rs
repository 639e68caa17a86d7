//! RLS022: rows visible with no tenant context. Statically from a policy that fails open, and
//! live from the rows a fresh session sees before any context is set.

use super::shared::{app_policies, policies_judged, remedy_for, rows, tenant_policy_sql};
use crate::checks::rls::catalog::{Catalog, Relation};
use crate::checks::rls::policy::escape;
use crate::checks::rls::probe::Observations;
use crate::config::Config;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// Rows are visible with no tenant context.
pub static NO_CONTEXT_READ: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS022",
    name: "no-context-read",
    title: "rows are visible with no tenant context",
    checks: "Live: rows visible through every readable tenant relation in a session where the tenant setting was \
             never set (passes when there are none). Static: permissive policies whose USING has a top-level escape \
             for a missing context (`current_setting(…) IS NULL OR …`, `coalesce(current_setting(…), …)`, \
             `… OR current_setting(…) = ''`: a top-level OR branch that reads a setting but not the tenant column).",
    why: "A request that forgot to set the tenant must see nothing; a policy like `setting IS NULL OR ...` fails open.",
    remedy: "Make the policy fail closed: `USING (tenant_id = current_setting('app.current_tenant', true))`, with no \
             `IS NULL OR` branch and no default, or bound it with a restrictive tenant policy; for a view, \
             materialized view or table without RLS, the fix of RLS008, RLS009 or RLS001.",
    limits: "The static test reads the clause text, so an escape hidden in a function the clause calls is left to \
             the live probe. The live probe reads with the setting never set; the empty string is RLS043's.",
};

/// Static RLS022 for each permissive policy on a judged table whose USING fails open.
pub fn fail_open_policies(cfg: &Config, cat: &Catalog, r: &Relation) -> Vec<Finding> {
    if !policies_judged(r) {
        return Vec::new();
    }
    let (t, app) = (&r.name, &cat.role.name);
    let mut out = Vec::new();
    for p in app_policies(cat, r).iter().filter(|p| p.permissive) {
        let Some(using) = p.using.as_deref() else { continue };
        if let Some(branch) = escape(using, &cfg.tenancy.column) {
            out.push(
                NO_CONTEXT_READ
                    .finding(Status::Warn, &format!("{t}/{}", p.name), format!("expected policy `{}` on `{t}` to fail closed without a tenant context, found the escape `{branch}` in USING ({using})", p.name))
                    .with_evidence(json!({"policy": p, "escape": branch}))
                    .with_remedy(tenant_policy_sql(t, cfg, app)),
            );
        }
    }
    out
}

/// Live RLS022 for each relation that shows rows with no context; a pass when none does.
pub fn no_context_read(cfg: &Config, cat: &Catalog, obs: &Observations) -> Vec<Finding> {
    let mut out = Vec::new();
    let open: Vec<(&String, i64)> = obs
        .no_context
        .iter()
        .filter_map(|(r, c)| rows(Some(c)).map(|(o, x)| (r, o + x)))
        .filter(|(_, n)| *n > 0)
        .collect();
    for (r, n) in &open {
        out.push(
            NO_CONTEXT_READ
                .finding(Status::Fail, r, format!("expected 0 rows through `{r}` with no tenant context, found {n}"))
                .with_evidence(json!({"relation": r, "rows_without_context": n}))
                .with_remedy(match cat.relations.iter().find(|x| x.name == **r) {
                    Some(x) if x.is_table() && x.rls && !x.owner_bypass() => cfg.tenancy.fail_closed_remedy(),
                    _ => remedy_for(cat, r),
                }),
        );
    }
    if open.is_empty() && !obs.no_context.is_empty() {
        out.push(NO_CONTEXT_READ.finding(
            Status::Pass,
            "",
            format!("0 rows visible through {} relations with no tenant context", obs.no_context.len()),
        ));
    }
    out
}

#[cfg(test)]
const FAILS_OPEN: &str = "((current_setting('app.current_tenant'::text, true) IS NULL) OR (tenant_id = current_setting('app.current_tenant'::text, true)))";

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    use super::fixtures::{self, count, DOCS};
    let (cfg, mut cat, mut obs) = (fixtures::cfg(), fixtures::catalog(), fixtures::observations());
    cat.policies[0].using = Some(FAILS_OPEN.into());
    obs.no_context.insert(DOCS.into(), count(0, 4));
    let mut out = fail_open_policies(&cfg, &cat, &cat.relations[0]);
    out.extend(no_context_read(&cfg, &cat, &obs));
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, problems};
    use super::*;

    #[test]
    fn rls022_no_context_read_fires() {
        let f = triggers();
        assert_eq!(problems(&f, "RLS022"), ["RLS022:public.docs/tenant_isolation", "RLS022:public.docs"]);
        assert_eq!((f[0].status, f[1].status), (Status::Warn, Status::Fail));
        assert_eq!(f[1].detail, "expected 0 rows through `public.docs` with no tenant context, found 4");
        assert_eq!(
            f[1].remedy.as_deref(),
            Some("make the policy fail closed: USING (\"tenant_id\" = current_setting('app.current_tenant', true)), without `IS NULL OR` or a default")
        );
    }

    #[test]
    fn rls022_no_context_read_quiet() {
        let (cfg, cat, obs) = (fixtures::cfg(), fixtures::catalog(), fixtures::observations());
        assert!(fail_open_policies(&cfg, &cat, &cat.relations[0]).is_empty());
        let live = no_context_read(&cfg, &cat, &obs);
        assert_eq!(live.len(), 1);
        assert_eq!(
            (live[0].status, live[0].detail.as_str()),
            (Status::Pass, "0 rows visible through 1 relations with no tenant context")
        );
    }
}
