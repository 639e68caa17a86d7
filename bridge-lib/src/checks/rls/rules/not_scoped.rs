//! RLS006 and RLS007: a permissive policy that widens reads or writes past the tenant column.

use super::shared::{tenant_policy_sql, widening, READS, WRITES};
use crate::checks::rls::catalog::{Catalog, Relation};
use crate::checks::rls::policy::{clause, Cmd};
use crate::config::Config;
use crate::db::quote_ident;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// A permissive policy lets the application read rows without a tenant condition.
pub static POLICY_NOT_SCOPED: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS006",
    name: "policy-not-tenant-scoped",
    title: "a permissive policy lets the application read rows without a tenant condition",
    checks: "For SELECT, UPDATE and DELETE on each tenant table, the USING clause of every permissive policy that \
             applies to the application must mention the tenant column, unless a restrictive policy whose USING \
             mentions it bounds them all.",
    why: "Permissive policies are OR'd: one USING (true), or one that filters on another column, widens every tenant policy \
          for that command. A restrictive tenant policy bounds it.",
    remedy: "Bound it: `CREATE POLICY tenant_bound ON t AS RESTRICTIVE TO app USING (tenant_id = \
             current_setting('app.current_tenant', true));`, or drop the widening policy: `DROP POLICY p ON t;`.",
    limits: "Reads the clause text: it sees whether the tenant column is mentioned outside string literals, not \
             whether the comparison is right (`tenant_id <> …` or `tenant_id IS NOT NULL` pass), and not logic \
             hidden in a function the clause calls. The live probe (RLS021) is the proof.",
};

/// A permissive policy lets the application write rows for another tenant.
pub static CHECK_NOT_SCOPED: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS007",
    name: "write-check-not-tenant-scoped",
    title: "a permissive policy lets the application write rows for another tenant",
    checks: "For INSERT and UPDATE on each tenant table, the new-row check of every permissive policy that applies \
             to the application (WITH CHECK, or USING for an UPDATE or ALL policy without one) must mention the \
             tenant column, unless a restrictive policy's check mentions it.",
    why: "INSERT and UPDATE are bounded by WITH CHECK (an UPDATE or ALL policy without one reuses USING; a missing clause grants \
          nothing). WITH CHECK (true), or one that ignores the tenant, lets one tenant write rows into another's data.",
    remedy: "`CREATE POLICY tenant_isolation ON t AS RESTRICTIVE TO app USING (tenant_id = \
             current_setting('app.current_tenant', true)) WITH CHECK (tenant_id = \
             current_setting('app.current_tenant', true));`, or `DROP POLICY p ON t;`.",
    limits: "Reads the clause text, as RLS006 does: a wrong comparison on the tenant column passes. The write probe \
             (RLS023) confirms it against the server.",
};

fn widening_findings(rule: &Rule, cmds: &[Cmd], read: bool, cfg: &Config, cat: &Catalog, r: &Relation) -> Vec<Finding> {
    let (t, app, tcol) = (&r.name, &cat.role.name, &cfg.tenancy.column);
    let what = if read { "USING" } else { "WITH CHECK" };
    let mut out = Vec::new();
    for &cmd in cmds {
        for p in widening(cfg, cat, r, cmd, read) {
            let text = clause(p, cmd, read).unwrap_or_default();
            out.push(
                rule.finding(
                    Status::Fail,
                    &format!("{t}/{}/{}", p.name, cmd.word()),
                    format!("expected every permissive {} policy for `{app}` on `{t}` to restrict `{tcol}`, found `{}` with {what} ({text})", cmd.word(), p.name),
                )
                .with_evidence(json!({"policy": p, "command": cmd.word()}))
                .with_remedy(format!(
                    "{}\n-- or drop the widening policy: DROP POLICY {} ON {t};",
                    tenant_policy_sql(t, cfg, app),
                    quote_ident(&p.name)
                )),
            );
        }
    }
    out
}

/// RLS006 for each permissive policy that widens SELECT, UPDATE or DELETE past the tenant.
pub fn policy_not_scoped(cfg: &Config, cat: &Catalog, r: &Relation) -> Vec<Finding> {
    widening_findings(&POLICY_NOT_SCOPED, &READS, true, cfg, cat, r)
}

/// RLS007 for each permissive policy whose new-row check lets INSERT or UPDATE cross tenants.
pub fn check_not_scoped(cfg: &Config, cat: &Catalog, r: &Relation) -> Vec<Finding> {
    widening_findings(&CHECK_NOT_SCOPED, &WRITES, false, cfg, cat, r)
}

#[cfg(test)]
fn with(extra: crate::checks::rls::catalog::Policy) -> (Config, Catalog) {
    let mut cat = super::fixtures::catalog();
    cat.policies.push(extra);
    (super::fixtures::cfg(), cat)
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    use super::fixtures::{policy, DOCS};
    let (cfg, cat) = with(policy(DOCS, "public_read", "r", true, Some("true"), None));
    let mut out = policy_not_scoped(&cfg, &cat, &cat.relations[0]);
    let (cfg, cat) = with(policy(DOCS, "open_insert", "a", true, None, Some("true")));
    out.extend(check_not_scoped(&cfg, &cat, &cat.relations[0]));
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, policy, problems, DOCS, TENANT};
    use super::*;

    #[test]
    fn rls006_policy_not_tenant_scoped_fires() {
        let f = triggers();
        assert_eq!(problems(&f, "RLS006"), ["RLS006:public.docs/public_read/SELECT"]);
        assert!(f[0].detail.ends_with("found `public_read` with USING (true)"), "{}", f[0].detail);
        assert!(f[0]
            .remedy
            .as_deref()
            .unwrap()
            .ends_with("-- or drop the widening policy: DROP POLICY \"public_read\" ON public.docs;"));
    }

    #[test]
    fn rls006_policy_not_tenant_scoped_quiet() {
        let (cfg, cat) = with(policy(DOCS, "public_read", "r", true, Some("true"), None));
        let mut bounded = cat.clone();
        bounded.policies.push(policy(DOCS, "tenant_bound", "*", false, Some(TENANT), None));
        assert!(
            policy_not_scoped(&cfg, &bounded, &bounded.relations[0]).is_empty(),
            "a restrictive tenant policy bounds it"
        );
        let cat = fixtures::catalog();
        assert!(policy_not_scoped(&cfg, &cat, &cat.relations[0]).is_empty());
    }

    #[test]
    fn rls007_write_check_not_tenant_scoped_fires() {
        let f = triggers();
        assert_eq!(problems(&f, "RLS007"), ["RLS007:public.docs/open_insert/INSERT"]);
    }

    #[test]
    fn rls007_write_check_not_tenant_scoped_quiet() {
        let (cfg, cat) = with(policy(DOCS, "upd", "w", true, Some(TENANT), None));
        assert!(check_not_scoped(&cfg, &cat, &cat.relations[0]).is_empty(), "UPDATE without WITH CHECK reuses USING");
        let (cfg, cat) = with(policy(DOCS, "ins", "a", true, None, None));
        assert!(check_not_scoped(&cfg, &cat, &cat.relations[0]).is_empty(), "a missing clause grants nothing");
    }
}
