//! The static half of the audit: catalog facts in, findings out (pure). Each rule lives in its
//! own module under `rules/`; this is the order their findings come out in (the role, the
//! settings, then table by table, then views, functions, keys and LEAKPROOF functions).

use super::catalog::Catalog;
use super::rules::{
    app_bypasses, app_owns, definer_bypasses, leakproof, no_context_read, no_policy, not_scoped, owner_bypasses,
    rls_off, role_default, side_channels, tenant_copy, truncate, unprotectable, view_bypasses, wrong_setting,
};
use crate::config::Config;
use crate::finding::Finding;

/// All static findings.
pub fn evaluate(cfg: &Config, cat: &Catalog) -> Vec<Finding> {
    let mut out = vec![app_bypasses::app_bypasses(cat)];
    out.extend(wrong_setting::wrong_setting(cfg, cat));
    out.extend(role_default::role_default(cfg, cat));
    for r in cat.relations.iter().filter(|r| r.is_table()) {
        out.extend(rls_off::partition_unprotected(cfg, cat, r));
        out.extend(rls_off::policies_ignored(cfg, cat, r));
        out.extend(rls_off::rls_disabled(cfg, cat, r));
        out.extend(owner_bypasses::owner_bypasses(cat, r));
        out.extend(app_owns::app_owns_table(cat, r));
        out.extend(truncate::truncate_allowed(cat, r));
        out.extend(no_policy::no_policy(cfg, cat, r));
        out.extend(no_context_read::fail_open_policies(cfg, cat, r));
        out.extend(not_scoped::policy_not_scoped(cfg, cat, r));
        out.extend(not_scoped::check_not_scoped(cfg, cat, r));
    }
    out.extend(rls_off::all_tables_protected(cfg, cat));
    for v in &cat.views {
        out.extend(unprotectable::unprotectable_view(cat, v));
        out.extend(view_bypasses::view_bypasses(cat, v));
    }
    out.extend(unprotectable::readable_foreign_tables(cfg, cat));
    out.extend(tenant_copy::copy_unprotected(cfg, cat));
    out.extend(definer_bypasses::definer_bypasses(cat));
    for s in &cat.side_channels {
        out.extend(side_channels::unique_side_channel(cfg, s));
        out.extend(side_channels::fk_side_channel(cfg, s));
        out.extend(side_channels::exclusion_side_channel(cfg, s));
    }
    out.extend(leakproof::leakproof(cat));
    out
}
