//! RLS004: the application role skips every policy.

use crate::checks::rls::catalog::Catalog;
use crate::db::quote_ident;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// The application role is a superuser or has BYPASSRLS.
pub static APP_BYPASSES: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS004",
    name: "app-role-bypasses-rls",
    title: "the application role is a superuser or has BYPASSRLS",
    checks: "The attributes of the role the application connects as (`rolsuper`, `rolbypassrls`), and every \
             superuser or BYPASSRLS role it is a member of (one it inherits or can SET ROLE to). Passes when there \
             is none.",
    why: "Superusers and BYPASSRLS roles skip every policy, FORCE included; so does any role the application can become. \
          Every isolation test run as such a role passes vacuously.",
    remedy: "`ALTER ROLE app NOSUPERUSER;`, `ALTER ROLE app NOBYPASSRLS;` and `REVOKE admin_role FROM app;` for each \
             bypassing membership; connect the application as a role that owns no tenant table.",
    limits: "Audits only the role in DATABASE_URL: a worker or admin service that connects as another role is not \
             seen. Whether the application ever runs SET ROLE is not known; a membership is enough to fail.",
};

/// RLS004 fails for a bypassing role or membership, and passes otherwise (one finding).
pub fn app_bypasses(cat: &Catalog) -> Finding {
    let app = &cat.role.name;
    if !cat.role.bypasses() && cat.role.bypassing_memberships.is_empty() {
        return APP_BYPASSES.finding(
            Status::Pass,
            app,
            format!("role `{app}` is not a superuser, has no BYPASSRLS and reaches no role that has"),
        );
    }
    let detail = if cat.role.bypasses() {
        format!(
            "expected role `{app}` to be NOSUPERUSER NOBYPASSRLS, found superuser={} bypassrls={}",
            cat.role.superuser, cat.role.bypassrls
        )
    } else {
        format!(
            "expected role `{app}` to reach no bypassing role, found membership in {}",
            cat.role.bypassing_memberships.join(", ")
        )
    };
    let mut remedy = Vec::new();
    if cat.role.superuser {
        remedy.push(format!("ALTER ROLE {} NOSUPERUSER;", quote_ident(app)));
    }
    if cat.role.bypassrls {
        remedy.push(format!("ALTER ROLE {} NOBYPASSRLS;", quote_ident(app)));
    }
    for m in &cat.role.bypassing_memberships {
        remedy.push(format!("REVOKE {} FROM {};", quote_ident(m), quote_ident(app)));
    }
    APP_BYPASSES.finding(Status::Fail, app, detail).with_evidence(json!(cat.role)).with_remedy(remedy.join("\n"))
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let mut cat = super::fixtures::catalog();
    cat.role.bypassrls = true;
    let mut member = super::fixtures::catalog();
    member.role.bypassing_memberships = vec!["admin".into()];
    vec![app_bypasses(&cat), app_bypasses(&member)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rls004_app_role_bypasses_rls_fires() {
        let [bypassrls, member] = <[Finding; 2]>::try_from(triggers()).unwrap();
        assert_eq!((bypassrls.key.as_str(), bypassrls.status), ("RLS004:app", Status::Fail));
        assert_eq!(bypassrls.remedy.as_deref(), Some("ALTER ROLE \"app\" NOBYPASSRLS;"));
        assert_eq!(member.status, Status::Fail);
        assert!(member.detail.ends_with("found membership in admin"), "{}", member.detail);
        assert_eq!(member.remedy.as_deref(), Some("REVOKE \"admin\" FROM \"app\";"));
    }

    #[test]
    fn rls004_app_role_bypasses_rls_quiet() {
        let f = app_bypasses(&super::super::fixtures::catalog());
        assert_eq!((f.code.as_str(), f.status), ("RLS004", Status::Pass));
    }
}
