//! RLS001, RLS002, RLS011: a tenant table the application reaches with row level security off.
//! One of the three fires per such table: RLS011 for a partition or child, RLS002 when it has
//! policies, RLS001 otherwise. RLS001 also passes once every tenant table is protected.

use super::shared::{enable_sql, rel_evidence, rls_off_and_reachable, tenant_policy_sql, tenant_scoped};
use crate::checks::rls::catalog::{Catalog, Relation};
use crate::config::Config;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;

/// Tenant table reachable by the application with row level security off.
pub static RLS_DISABLED: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS001",
    name: "rls-disabled",
    title: "tenant table reachable by the application with row level security off",
    checks: "Every table and partitioned table with a tenant key (a column named BRIDGE_TENANT_COLUMN or in \
             BRIDGE_TENANT_COLUMNS, or a foreign key to the tenants table) that the application role can SELECT, \
             INSERT, UPDATE or DELETE (on the table or on any column), and that has no parent and no policy: is row level security \
             on? Passes when every tenant table has RLS on, forced where the application could bypass it, and \
             tenant-scoped policies.",
    why: "A table with the tenant column and RLS off returns every tenant's rows to any query (the CVE-2025-48757 class).",
    remedy: "`ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;` then a tenant policy \
             for the application: `CREATE POLICY tenant_isolation ON t TO app USING (tenant_id = \
             current_setting('app.current_tenant', true)) WITH CHECK (tenant_id = current_setting('app.current_tenant', \
             true));`.",
    limits: "Finds tenant tables by a configured column name or a foreign key to the tenants table \
             (BRIDGE_TENANT_TABLES narrows the list, it does not add to it): tenant data under another name with no \
             such key, or reachable only through a join, is not seen; copies filled by triggers are RLS030's. A \
             table the application can only TRUNCATE is left to RLS012.",
};

/// Policies exist but row level security is off.
pub static POLICIES_IGNORED: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS002",
    name: "policies-ignored-rls-disabled",
    title: "policies exist but row level security is off",
    checks: "Tables with the tenant column, reachable by the application, with at least one policy in `pg_policy` \
             but `relrowsecurity` off.",
    why: "Policies do nothing until ALTER TABLE ... ENABLE ROW LEVEL SECURITY: the table looks protected in review and is not.",
    remedy: "`ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;` (the existing \
             policies then apply: rerun to have RLS006 and RLS007 judge them).",
    limits: "Counts the policies without reading them: whether they isolate tenants is judged only once RLS is on. \
             A partition or child with policies is reported as RLS011.",
};

/// A partition or child table without row level security is reachable directly.
pub static PARTITION_UNPROTECTED: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS011",
    name: "partition-without-rls",
    title: "a partition or child table without row level security is reachable directly",
    checks: "Partitions and inheritance children with the tenant column that have row level security off and that \
             the application role can read or write by their own name.",
    why: "Parent policies apply only when the parent is queried; a partition named directly uses its own RLS flag and policies, \
          which are not inherited.",
    remedy: "`ALTER TABLE child ENABLE ROW LEVEL SECURITY; ALTER TABLE child FORCE ROW LEVEL SECURITY;` with its own \
             tenant policy, or `REVOKE ALL ON child FROM app;` so only the parent is reachable.",
    limits: "A child with RLS on is judged like any table, not against its parent's policies. Only the first parent \
             of a table that inherits from several is named.",
};

fn rls_off(rule: &Rule, cfg: &Config, cat: &Catalog, r: &Relation, detail: String) -> Finding {
    let t = &r.name;
    let mut remedy = enable_sql(t);
    if r.policies == 0 {
        remedy.push('\n');
        remedy.push_str(&tenant_policy_sql(t, cfg, &cat.role.name));
    }
    rule.finding(Status::Fail, t, detail).with_evidence(rel_evidence(r)).with_remedy(remedy)
}

/// RLS001 for a top-level tenant table with RLS off and no policy.
pub fn rls_disabled(cfg: &Config, cat: &Catalog, r: &Relation) -> Option<Finding> {
    if !rls_off_and_reachable(r) || r.parent.is_some() || r.policies > 0 {
        return None;
    }
    let t = &r.name;
    let detail = format!(
        "expected row level security on {} `{t}`, found it off: every tenant's rows are visible",
        r.kind_word()
    );
    Some(rls_off(&RLS_DISABLED, cfg, cat, r, detail))
}

/// The RLS001 pass: every tenant table is on, not bypassed, and tenant-scoped.
pub fn all_tables_protected(cfg: &Config, cat: &Catalog) -> Option<Finding> {
    let tables = cat.relations.iter().filter(|r| r.is_table()).count();
    let protected = cat.relations.iter().filter(|r| tenant_scoped(cfg, cat, r)).count();
    (tables > 0 && protected == tables).then(|| RLS_DISABLED.finding(Status::Pass, "", format!("all {tables} tenant tables have row level security on, forced where needed, and tenant-scoped policies")))
}

/// RLS002 for a top-level tenant table with RLS off and policies.
pub fn policies_ignored(cfg: &Config, cat: &Catalog, r: &Relation) -> Option<Finding> {
    if !rls_off_and_reachable(r) || r.parent.is_some() || r.policies == 0 {
        return None;
    }
    let t = &r.name;
    let detail = format!(
        "expected row level security on `{t}`, found it off with {} policies that therefore do nothing",
        r.policies
    );
    Some(rls_off(&POLICIES_IGNORED, cfg, cat, r, detail))
}

/// RLS011 for a partition or child with RLS off.
pub fn partition_unprotected(cfg: &Config, cat: &Catalog, r: &Relation) -> Option<Finding> {
    let parent = r.parent.as_ref().filter(|_| rls_off_and_reachable(r))?;
    let t = &r.name;
    let detail = format!(
        "expected {} `{t}` (child of {}) to have row level security, found it off and reachable directly",
        r.kind_word(),
        parent
    );
    Some(rls_off(&PARTITION_UNPROTECTED, cfg, cat, r, detail))
}

#[cfg(test)]
fn off(policies: i64, parent: Option<&str>) -> (Config, Catalog) {
    let mut cat = super::fixtures::catalog();
    let r = &mut cat.relations[0];
    (r.rls, r.force, r.policies, r.parent) = (false, false, policies, parent.map(str::to_string));
    (super::fixtures::cfg(), cat)
}

#[cfg(test)]
fn each(cfg: &Config, cat: &Catalog) -> Vec<Finding> {
    let rules = [rls_disabled, policies_ignored, partition_unprotected];
    cat.relations.iter().flat_map(|r| rules.iter().filter_map(|f| f(cfg, cat, r)).collect::<Vec<_>>()).collect()
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    [off(0, None), off(2, None), off(0, Some("public.events"))].iter().flat_map(|(cfg, cat)| each(cfg, cat)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, problems};
    use super::*;

    #[test]
    fn rls001_rls_disabled_fires() {
        let (cfg, cat) = off(0, None);
        let f = each(&cfg, &cat);
        assert_eq!(problems(&f, "RLS001"), ["RLS001:public.docs"]);
        assert_eq!(f.len(), 1, "exactly one of RLS001/RLS002/RLS011: {f:#?}");
        let remedy = f[0].remedy.as_deref().unwrap();
        assert!(remedy.starts_with("ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;\nALTER TABLE public.docs FORCE"));
        assert!(remedy.contains("CREATE POLICY tenant_isolation ON public.docs AS RESTRICTIVE TO \"app\""), "{remedy}");
        assert!(all_tables_protected(&cfg, &cat).is_none());
    }

    #[test]
    fn rls001_rls_disabled_quiet() {
        let (cfg, cat) = (fixtures::cfg(), fixtures::catalog());
        assert!(each(&cfg, &cat).is_empty());
        let pass = all_tables_protected(&cfg, &cat).unwrap();
        assert_eq!(
            pass.detail,
            "all 1 tenant tables have row level security on, forced where needed, and tenant-scoped policies"
        );
        let (cfg, mut cat) = off(0, None);
        cat.relations[0].select = false;
        cat.relations[0].insert = false;
        cat.relations[0].update = false;
        cat.relations[0].delete = false;
        assert!(each(&cfg, &cat).is_empty(), "no row reachable: nothing to read");
    }

    #[test]
    fn rls002_policies_ignored_rls_disabled_fires() {
        let (cfg, cat) = off(2, None);
        let f = each(&cfg, &cat);
        assert_eq!(problems(&f, "RLS002"), ["RLS002:public.docs"]);
        assert_eq!(f.len(), 1);
        assert!(f[0].detail.contains("found it off with 2 policies"));
        assert!(!f[0].remedy.as_deref().unwrap().contains("CREATE POLICY"), "it has policies already");
    }

    #[test]
    fn rls002_policies_ignored_rls_disabled_quiet() {
        let (cfg, cat) = off(2, Some("public.events"));
        assert!(problems(&each(&cfg, &cat), "RLS002").is_empty(), "a child is RLS011");
        assert!(policies_ignored(&fixtures::cfg(), &fixtures::catalog(), &fixtures::table("docs")).is_none());
    }

    #[test]
    fn rls011_partition_without_rls_fires() {
        let (cfg, cat) = off(0, Some("public.events"));
        let f = each(&cfg, &cat);
        assert_eq!(problems(&f, "RLS011"), ["RLS011:public.docs"]);
        assert_eq!(f.len(), 1);
        assert!(f[0].detail.contains("table `public.docs` (child of public.events)"), "{}", f[0].detail);
    }

    #[test]
    fn rls011_partition_without_rls_quiet() {
        let mut cat = fixtures::catalog();
        cat.relations[0].parent = Some("public.events".into());
        assert!(each(&fixtures::cfg(), &cat).is_empty(), "a child with RLS on is judged like any table");
    }
}
