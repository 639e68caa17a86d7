//! RLS005: the application owns a tenant table, or can become its owner, and FORCE is off.

use super::shared::rel_evidence;
use crate::checks::rls::catalog::{Catalog, Relation};
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;

/// The application owns a tenant table (or inherits its owner) and FORCE is off.
pub static OWNER_BYPASSES: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS005",
    name: "owner-bypasses-rls",
    title: "the application owns a tenant table (or inherits its owner) and FORCE is off",
    checks: "Tenant tables with row level security on and FORCE off whose owner the application role is or \
             inherits (fail), or can SET ROLE to without inheriting (warn).",
    why: "Table owners bypass RLS unless FORCE ROW LEVEL SECURITY is set; PostgreSQL treats any role that inherits the owner's \
          privileges as the owner.",
    remedy: "`ALTER TABLE t FORCE ROW LEVEL SECURITY;`, and give the table to a role the application does not inherit: \
             `ALTER TABLE t OWNER TO schema_owner;`.",
    limits: "FORCE does not bind a superuser or BYPASSRLS owner (RLS004 when the application can become it). Judged \
             from role membership: whether the application ever runs SET ROLE is not known.",
};

/// RLS005 for a table whose owner's bypass the application shares (fail) or can take (warn).
pub fn owner_bypasses(cat: &Catalog, r: &Relation) -> Option<Finding> {
    let (t, app) = (&r.name, &cat.role.name);
    if r.owner_bypass() {
        let how = if r.owner == *app { "owns it".to_string() } else { format!("inherits its owner `{}`", r.owner) };
        return Some(
            OWNER_BYPASSES
                .finding(Status::Fail, t, format!("expected FORCE ROW LEVEL SECURITY on `{t}`, found it off while `{app}` {how}"))
                .with_evidence(rel_evidence(r))
                .with_remedy(format!("ALTER TABLE {t} FORCE ROW LEVEL SECURITY;\nALTER TABLE {t} OWNER TO <a role the application does not inherit>;")),
        );
    }
    if !(r.is_table() && r.rls && !r.force && r.app_can_become_owner) {
        return None;
    }
    Some(
        OWNER_BYPASSES
            .finding(Status::Warn, t, format!("expected `{app}` unable to become the owner `{}` of `{t}`, found it can SET ROLE to it and FORCE is off", r.owner))
            .with_evidence(rel_evidence(r))
            .with_remedy(format!("ALTER TABLE {t} FORCE ROW LEVEL SECURITY;")),
    )
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let mut cat = super::fixtures::catalog();
    cat.relations[0].force = false;
    let mut owns = cat.relations[0].clone();
    (owns.owner, owns.app_has_owner_privs) = ("app".into(), true);
    let mut heir = cat.relations[0].clone();
    heir.app_has_owner_privs = true;
    let mut can_become = cat.relations[0].clone();
    can_become.app_can_become_owner = true;
    [owns, heir, can_become].iter().filter_map(|r| owner_bypasses(&cat, r)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn rls005_owner_bypasses_rls_fires() {
        let f = triggers();
        let got: Vec<_> = f.iter().map(|f| (f.key.as_str(), f.status)).collect();
        assert_eq!(
            got,
            [
                ("RLS005:public.docs", Status::Fail),
                ("RLS005:public.docs", Status::Fail),
                ("RLS005:public.docs", Status::Warn)
            ]
        );
        assert!(f[0].detail.ends_with("while `app` owns it"), "{}", f[0].detail);
        assert!(f[1].detail.ends_with("while `app` inherits its owner `owner`"), "{}", f[1].detail);
        assert_eq!(f[2].remedy.as_deref(), Some("ALTER TABLE public.docs FORCE ROW LEVEL SECURITY;"));
    }

    #[test]
    fn rls005_owner_bypasses_rls_quiet() {
        let cat = fixtures::catalog();
        let mut forced_heir = cat.relations[0].clone();
        (forced_heir.app_has_owner_privs, forced_heir.app_can_become_owner) = (true, true);
        assert!(owner_bypasses(&cat, &forced_heir).is_none(), "FORCE binds the owner");
        let mut stranger = cat.relations[0].clone();
        stranger.force = false;
        assert!(owner_bypasses(&cat, &stranger).is_none(), "not the owner: FORCE is not needed");
    }
}
