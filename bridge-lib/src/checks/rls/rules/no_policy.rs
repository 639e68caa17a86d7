//! RLS003: row level security on, but no policy for the application (deny all).

use super::shared::{app_policies, deny_all, rel_evidence};
use crate::checks::rls::catalog::{Catalog, Relation};
use crate::config::Config;
use crate::db::quote_ident;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;

/// Row level security on with no policy for the application (deny all).
pub static NO_POLICY: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS003",
    name: "rls-enabled-no-policy",
    title: "row level security on with no policy for the application (deny all)",
    checks: "Tenant tables with row level security on (and not bypassed through the owner) where no permissive \
             policy applies to the application role (none TO it, TO a role it inherits, or TO public): no policy at \
             all, or restrictive ones only.",
    why: "With RLS on and no policy that applies, the application sees and writes nothing: safe, but the feature is broken.",
    remedy: "A permissive tenant policy for the role (restrictive policies alone grant nothing): `CREATE POLICY \
             tenant_isolation ON t TO app USING (tenant_id = current_setting('app.current_tenant', true)) WITH CHECK \
             (tenant_id = current_setting('app.current_tenant', true));`.",
    limits: "Deny-all can be intended (a table only a background job reads), so this is a warning. A table with a \
             permissive policy for some commands only (SELECT but not INSERT, say) is not reported: that command \
             is denied, which may be the intent. The live probe does not count such a table as inconclusive.",
};

/// A permissive tenant policy for the application: what grants rows under RLS.
fn permissive_policy_sql(t: &str, cfg: &Config, app: &str) -> String {
    let p = cfg.tenancy.policy_predicate();
    format!("CREATE POLICY tenant_isolation ON {t} TO {} USING ({p}) WITH CHECK ({p});", quote_ident(app))
}

/// RLS003 for a judged table where no permissive policy applies to the application.
pub fn no_policy(cfg: &Config, cat: &Catalog, r: &Relation) -> Option<Finding> {
    if !deny_all(cat, r) {
        return None;
    }
    let (t, app) = (&r.name, &cat.role.name);
    let restrictive: Vec<String> = app_policies(cat, r).iter().map(|p| format!("`{}`", p.name)).collect();
    let found = if restrictive.is_empty() {
        "found none".to_string()
    } else {
        format!("found only restrictive ones ({}), which grant nothing by themselves", restrictive.join(", "))
    };
    Some(
        NO_POLICY
            .finding(
                Status::Warn,
                t,
                format!("expected a permissive tenant policy for `{app}` on `{t}`, {found}: the application sees nothing (deny all)"),
            )
            .with_evidence(rel_evidence(r))
            .with_remedy(permissive_policy_sql(t, cfg, app)),
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
    fn rls003_restrictive_policies_alone_deny_all() {
        let mut cat = fixtures::catalog();
        cat.policies[0].permissive = false;
        let f = no_policy(&fixtures::cfg(), &cat, &cat.relations[0]).expect("deny-all");
        assert!(f.detail.contains("found only restrictive ones (`tenant_isolation`)"), "{}", f.detail);
        assert!(f
            .remedy
            .as_deref()
            .unwrap()
            .starts_with("CREATE POLICY tenant_isolation ON public.docs TO \"app\" USING"));
    }

    #[test]
    fn rls003_rls_enabled_no_policy_quiet() {
        let cat = fixtures::catalog();
        assert!(no_policy(&fixtures::cfg(), &cat, &cat.relations[0]).is_none());
    }
}
