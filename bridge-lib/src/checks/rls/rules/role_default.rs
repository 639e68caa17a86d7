//! RLS015: a tenant default in the role or database settings.

use crate::checks::rls::catalog::Catalog;
use crate::config::Config;
use crate::db::quote_ident;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// A default tenant is set for the application role or database.
pub static ROLE_DEFAULT: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS015",
    name: "tenant-default-in-role-settings",
    title: "a default tenant is set for the application role or database",
    checks: "`pg_db_role_setting` entries (ALTER ROLE/DATABASE … SET) that give the tenant setting a value for the \
             application role, a role it belongs to, or every role, in this database or in all databases.",
    why: "A tenant value in ALTER ROLE/DATABASE ... SET gives every new session a tenant context: no-context requests see that tenant.",
    remedy: "`ALTER ROLE app RESET app.current_tenant;` and `ALTER DATABASE app RESET app.current_tenant;` (or \
             `ALTER ROLE app IN DATABASE app RESET …` for a per-database default).",
    limits: "Sees only defaults stored in the server: one passed in the connection string (`options=-c …`), set by a \
             pooler's connect query or in postgresql.conf is not read (the live RLS022 probe still sees its effect).",
};

/// RLS015 for each stored default of the tenant setting.
pub fn role_default(cfg: &Config, cat: &Catalog) -> Vec<Finding> {
    let app = &cat.role.name;
    cat.role_settings
        .iter()
        .map(|s| {
            ROLE_DEFAULT
                .finding(Status::Fail, s, format!("expected no default for `{}`, found {s}", cfg.tenant_setting))
                .with_evidence(json!({"setting": s}))
                .with_remedy(format!(
                    "ALTER ROLE {} RESET {};  -- or ALTER DATABASE ... RESET",
                    quote_ident(app),
                    cfg.tenant_setting
                ))
        })
        .collect()
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let mut cat = super::fixtures::catalog();
    cat.role_settings = vec!["app.current_tenant=acme on database (all) for role app".into()];
    role_default(&super::fixtures::cfg(), &cat)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn rls015_tenant_default_in_role_settings_fires() {
        let f = triggers();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::Fail);
        assert_eq!(f[0].key, "RLS015:app.current_tenant=acme on database (all) for role app");
        assert_eq!(
            f[0].remedy.as_deref(),
            Some("ALTER ROLE \"app\" RESET app.current_tenant;  -- or ALTER DATABASE ... RESET")
        );
    }

    #[test]
    fn rls015_tenant_default_in_role_settings_quiet() {
        assert!(role_default(&fixtures::cfg(), &fixtures::catalog()).is_empty());
    }
}
