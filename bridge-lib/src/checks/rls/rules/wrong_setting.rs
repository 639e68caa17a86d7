//! RLS016: the policies read a different setting than the one the application sets.

use crate::checks::rls::catalog::Catalog;
use crate::config::Config;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// The policies do not read the configured tenant setting.
pub static WRONG_SETTING: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS016",
    name: "policies-read-other-setting",
    title: "the policies do not read the configured tenant setting",
    checks: "The settings named in `current_setting('…')` calls in the tenant tables' policies (USING and WITH \
             CHECK), against BRIDGE_TENANT_SETTING, the setting the application sets.",
    why: "If the policies read a different setting than the one the application sets, the context never takes effect.",
    remedy: "Set BRIDGE_TENANT_SETTING to the setting the policies read (`BRIDGE_TENANT_SETTING=app.tenant_id`), or \
             change the policies or BRIDGE_TENANT_CONTEXT_SQL so the application and the policies use one setting.",
    limits: "Finds only literal `current_setting('name'…)` calls: a setting read through a helper function or a \
             computed name is not seen. Silent when the policies read no setting (keyed on `current_user`) or \
             read the configured setting next to another one.",
};

/// RLS016 when the policies read settings and none is the configured one.
pub fn wrong_setting(cfg: &Config, cat: &Catalog) -> Option<Finding> {
    let wrong_setting = !cat.settings_read.is_empty() && !cat.settings_read.contains(&cfg.tenancy.context.setting);
    if !wrong_setting {
        return None;
    }
    Some(
        WRONG_SETTING
            .finding(
                Status::Fail,
                &cfg.tenancy.context.setting,
                format!(
                    "expected policies to read `{}`, found they read {}",
                    cfg.tenancy.context.setting,
                    cat.settings_read.join(", ")
                ),
            )
            .with_evidence(json!({"configured": cfg.tenancy.context.setting, "read_by_policies": cat.settings_read}))
            .with_remedy(format!(
                "set BRIDGE_TENANT_SETTING={} (or change the policies to read {})",
                cat.settings_read[0], cfg.tenancy.context.setting
            )),
    )
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    let mut cfg = super::fixtures::cfg();
    cfg.tenancy.context.setting = "app.tenant".into();
    wrong_setting(&cfg, &super::fixtures::catalog()).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn rls016_policies_read_other_setting_fires() {
        let f = triggers();
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].key.as_str(), f[0].status), ("RLS016:app.tenant", Status::Fail));
        assert!(f[0].detail.ends_with("found they read app.current_tenant"), "{}", f[0].detail);
        assert!(f[0].remedy.as_deref().unwrap().starts_with("set BRIDGE_TENANT_SETTING=app.current_tenant"));
    }

    #[test]
    fn rls016_policies_read_other_setting_quiet() {
        assert!(wrong_setting(&fixtures::cfg(), &fixtures::catalog()).is_none());
        let mut keyed_on_role = fixtures::catalog();
        keyed_on_role.settings_read.clear();
        assert!(wrong_setting(&fixtures::cfg(), &keyed_on_role).is_none(), "no setting read: nothing to compare");
    }
}
