//! RLS003: row level security on, but no policy for the application (deny all).

use super::shared::{app_policies, policies_judged, rel_evidence, tenant_policy_sql};
use crate::checks::rls::catalog::{Catalog, Relation};
use crate::config::Config;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;

/// Row level security on with no policy for the application (deny all).
pub static NO_POLICY: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS003",
    name: "rls-enabled-no-policy",
    title: "row level security on with no policy for the application (deny all)",
    checks: "Tenant tables with row level security on (and not bypassed through the owner) where no policy applies \
             to the application role: none TO it, TO a role it inherits, or TO public.",
    why: "With RLS on and no policy that applies, the application sees and writes nothing: safe, but the feature is broken.",
    remedy: "A permissive tenant policy for the role (restrictive policies alone grant nothing): `CREATE POLICY \
             tenant_isolation ON t TO app USING (tenant_id = current_setting('app.current_tenant', true)) WITH CHECK \
             (tenant_id = current_setting('app.current_tenant', true));`.",
    limits: "Deny-all can be intended (a table only a background job reads), so this is a warning. A table whose \
             only applicable policies are restrictive denies everything too and is not reported here (restrictive \
             policies grant nothing by themselves).",
};

/// RLS003 for a judged table with no policy that applies to the application.
pub fn no_policy(cfg: &Config, cat: &Catalog, r: &Relation) -> Option<Finding> {
    if !policies_judged(r) || !app_policies(cat, r).is_empty() {
        return None;
    }
    let (t, app) = (&r.name, &cat.role.name);
    Some(
        NO_POLICY
            .finding(
                Status::Warn,
                t,
                format!("expected a tenant policy for `{app}` on `{t}`, found none: the application sees nothing"),
            )
            .with_evidence(rel_evidence(r))
            .with_remedy(tenant_policy_sql(t, cfg, app)),
    )
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let mut cat = super::fixtures::catalog();
    cat.policies[0].applies_to_app = false;
    no_policy(&super::fixtures::cfg(), &cat, &cat.relations[0]).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn rls003_rls_enabled_no_policy_fires() {
        let f = triggers();
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].key.as_str(), f[0].status), ("RLS003:public.docs", Status::Warn));
    }

    #[test]
    fn rls003_rls_enabled_no_policy_quiet() {
        let cat = fixtures::catalog();
        assert!(no_policy(&fixtures::cfg(), &cat, &cat.relations[0]).is_none());
    }
}
