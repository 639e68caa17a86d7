//! RLS042: the application owns a forced tenant table (or can become its owner), so it can
//! switch the protection off itself.

use super::shared::rel_evidence;
use crate::checks::rls::catalog::{Catalog, Relation};
use crate::db::quote_ident;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;

/// The application owns a tenant table with FORCE on, or can become its owner.
pub static APP_OWNS_TABLE: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS042",
    name: "app-owns-tenant-table",
    title: "the application owns a tenant table, so it can turn row level security off",
    checks: "Tenant tables with row level security and FORCE on whose owner the application role is or inherits \
             (fail), or can SET ROLE to (warn). With FORCE off the same ownership is RLS005's.",
    why: "FORCE binds the owner only while the owner leaves it on: the owner may `ALTER TABLE t NO FORCE ROW LEVEL \
          SECURITY`, `ALTER TABLE t DISABLE ROW LEVEL SECURITY` or `DROP POLICY` at any time, without any grant. \
          A compromised or buggy application (or one SQL injection) reads every tenant's rows with one statement; \
          revoking TRUNCATE does not change that.",
    remedy:
        "Give the table to a role the application neither is nor inherits nor can SET ROLE to: `ALTER TABLE t OWNER \
             TO schema_owner;` then `GRANT SELECT, INSERT, UPDATE, DELETE ON t TO app;` (and `REVOKE schema_owner \
             FROM app;` for a membership).",
    limits: "Judged from ownership and role membership in the catalog: event triggers or other guards that would \
             stop an ALTER TABLE are not seen. Whether the application ever runs SET ROLE is not known.",
};

/// RLS042 for a forced table the application owns (fail) or can become the owner of (warn).
pub fn app_owns_table(cat: &Catalog, r: &Relation) -> Option<Finding> {
    if !(r.is_table() && r.rls && r.force && (r.app_has_owner_privs || r.app_can_become_owner)) {
        return None;
    }
    let (t, app) = (&r.name, &cat.role.name);
    let (status, how) = if r.owner == *app {
        (Status::Fail, "owns it".to_string())
    } else if r.app_has_owner_privs {
        (Status::Fail, format!("inherits its owner `{}`", r.owner))
    } else {
        (Status::Warn, format!("can SET ROLE to its owner `{}`", r.owner))
    };
    let mut remedy = format!(
        "ALTER TABLE {t} OWNER TO <a role the application does not inherit>;\nGRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {};",
        quote_ident(app)
    );
    if r.owner != *app {
        remedy.push_str(&format!("\nREVOKE {} FROM {};", quote_ident(&r.owner), quote_ident(app)));
    }
    Some(
        APP_OWNS_TABLE
            .finding(
                status,
                t,
                format!(
                    "expected `{app}` not to own `{t}`, found it {how}: it can run ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY (or DISABLE it, or DROP POLICY) and read every tenant's rows"
                ),
            )
            .with_evidence(rel_evidence(r))
            .with_remedy(remedy),
    )
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let cat = super::fixtures::catalog();
    let mut owns = cat.relations[0].clone();
    (owns.owner, owns.app_has_owner_privs, owns.app_can_become_owner, owns.truncate) =
        ("app".into(), true, true, false);
    let mut can_become = cat.relations[0].clone();
    can_become.app_can_become_owner = true;
    [owns, can_become].iter().filter_map(|r| app_owns_table(&cat, r)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn rls042_app_owns_tenant_table_fires() {
        let f = triggers();
        let got: Vec<_> = f.iter().map(|f| (f.key.as_str(), f.status)).collect();
        assert_eq!(got, [("RLS042:public.docs", Status::Fail), ("RLS042:public.docs", Status::Warn)]);
        assert!(
            f[0].detail.contains("found it owns it: it can run ALTER TABLE public.docs NO FORCE"),
            "{}",
            f[0].detail
        );
        assert!(f[1].remedy.as_deref().unwrap().ends_with("REVOKE \"owner\" FROM \"app\";"));
    }

    #[test]
    fn rls042_app_owns_tenant_table_quiet() {
        let cat = fixtures::catalog();
        assert!(app_owns_table(&cat, &cat.relations[0]).is_none(), "owned by another role");
        let mut unforced = cat.relations[0].clone();
        (unforced.force, unforced.app_has_owner_privs) = (false, true);
        assert!(app_owns_table(&cat, &unforced).is_none(), "FORCE off is RLS005's");
    }
}
