//! RLS015: a tenant default in the role or database settings.

use crate::checks::rls::catalog::Catalog;
use crate::checks::rls::policy::escape;
use crate::config::Config;
use crate::db::{quote_ident, quote_literal};
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
             application role, a role it belongs to, or every role, in this database or in all databases, when the \
             value is an id in the tenants table (or the table cannot be read and the value is not empty), or when a \
             permissive policy's escape branch opens on that value (`… OR current_setting(…) = ''` with a '' \
             default). A default that matches no tenant fails closed and is not reported.",
    why: "A tenant value in ALTER ROLE/DATABASE ... SET gives every new session a tenant context: no-context requests see that tenant.",
    remedy: "`ALTER ROLE app RESET app.current_tenant;` and `ALTER DATABASE app RESET app.current_tenant;` (or \
             `ALTER ROLE app IN DATABASE app RESET …` for a per-database default).",
    limits: "Sees only defaults stored in the server: one passed in the connection string (`options=-c …`), set by a \
             pooler's connect query or in postgresql.conf is not read (the live RLS022 probe still sees its effect).",
};

/// The value a stored default (`setting=value on database … for role …`) gives the tenant setting.
pub fn default_value(cfg: &Config, entry: &str) -> Option<String> {
    let rest = entry.strip_prefix(&format!("{}=", cfg.tenancy.context.setting))?;
    Some(rest[..rest.rfind(" on database ").unwrap_or(rest.len())].to_string())
}

/// Why a default of `value` is a finding: it names a tenant, or a policy's escape opens on it.
fn why_it_matters(cfg: &Config, cat: &Catalog, value: &str) -> Option<String> {
    let names_tenant = match &cat.role_setting_tenants {
        Some(tenants) => tenants.iter().any(|t| t == value),
        None => !value.trim().is_empty(),
    };
    if names_tenant {
        let known = if cat.role_setting_tenants.is_some() { "names" } else { "may name" };
        return Some(format!("it {known} tenant `{value}`: a session that sets no context sees that tenant's rows"));
    }
    let literal = format!("= {}", quote_literal(value));
    let opens: Vec<String> = cat
        .policies
        .iter()
        .filter(|p| p.applies_to_app && p.permissive)
        .filter_map(|p| {
            let branch = p.using.as_deref().and_then(|u| escape(u, &cfg.tenancy.column))?;
            branch
                .contains(&literal)
                .then(|| format!("policy `{}` on `{}` fails open with it (`{branch}`)", p.name, p.table))
        })
        .collect();
    (!opens.is_empty()).then(|| opens.join("; "))
}

/// RLS015 for each stored default of the tenant setting that names a tenant or opens a policy;
/// a default that matches no tenant (such as '') fails closed and is not reported.
pub fn role_default(cfg: &Config, cat: &Catalog) -> Vec<Finding> {
    let app = &cat.role.name;
    cat.role_settings
        .iter()
        .filter_map(|s| {
            let why = why_it_matters(cfg, cat, &default_value(cfg, s).unwrap_or_default())?;
            Some(
                ROLE_DEFAULT
                    .finding(
                        Status::Fail,
                        s,
                        format!("expected no default for `{}`, found {s}: {why}", cfg.tenancy.context.setting),
                    )
                    .with_evidence(json!({"setting": s}))
                    .with_remedy(format!(
                        "ALTER ROLE {} RESET {};  -- or ALTER DATABASE ... RESET",
                        quote_ident(app),
                        cfg.tenancy.context.setting
                    )),
            )
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
        let mut cat = fixtures::catalog();
        cat.role_settings = vec!["app.current_tenant= on database app for role app".into()];
        assert!(role_default(&fixtures::cfg(), &cat).is_empty(), "'' fails closed");
        cat.role_settings = vec!["app.current_tenant=nobody on database app for role app".into()];
        cat.role_setting_tenants = Some(vec!["acme".into()]);
        assert!(role_default(&fixtures::cfg(), &cat).is_empty(), "no tenant is called nobody");
    }

    #[test]
    fn rls015_an_empty_default_that_opens_a_policy_fires() {
        let mut cat = fixtures::catalog();
        cat.role_settings = vec!["app.current_tenant= on database app for role app".into()];
        cat.role_setting_tenants = Some(Vec::new());
        cat.policies[0].using =
            Some(format!("({} OR (current_setting('app.current_tenant'::text, true) = ''::text))", fixtures::TENANT));
        let f = role_default(&fixtures::cfg(), &cat);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].detail.contains("policy `tenant_isolation` on `public.docs` fails open with it"),
            "{}",
            f[0].detail
        );
        assert_eq!(
            default_value(&fixtures::cfg(), "app.current_tenant=a b on database x for role y").as_deref(),
            Some("a b")
        );
    }
}
