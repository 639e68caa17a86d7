//! The RLS rules, one small module per rule or per family that one branch of the audit emits:
//! each declares its `Rule` beside the function that emits its findings, and carries its unit
//! tests (one that fires the rule, one that does not). The static rules read the catalog
//! (`static_rules::evaluate` calls them in order); the live rules read the probe's observations
//! (`evaluate_live`).

pub mod app_bypasses;
pub mod app_owns;
pub mod blind_spot;
pub mod context_leak;
pub mod cross_tenant_read;
pub mod cross_tenant_write;
pub mod definer_bypasses;
pub mod empty_context;
pub mod hidden_view;
pub mod inconclusive;
pub mod leakproof;
pub mod no_context_read;
pub mod no_policy;
pub mod not_readable;
pub mod not_scoped;
pub mod owner_bypasses;
pub mod probe_error;
pub mod rls_off;
pub mod role_default;
pub mod row_security_inactive;
pub mod shared;
pub mod shared_write;
pub mod side_channels;
pub mod skipped;
pub mod tenant_copy;
pub mod truncate;
pub mod unprotectable;
pub mod view_bypasses;
pub mod write_probes;
pub mod wrong_setting;

#[cfg(test)]
pub(crate) mod fixtures;

use crate::finding::Rule;

/// The rules of this check, in code order.
pub static RULES: [&Rule; 36] = [
    &skipped::SKIPPED,
    &rls_off::RLS_DISABLED,
    &rls_off::POLICIES_IGNORED,
    &no_policy::NO_POLICY,
    &app_bypasses::APP_BYPASSES,
    &owner_bypasses::OWNER_BYPASSES,
    &not_scoped::POLICY_NOT_SCOPED,
    &not_scoped::CHECK_NOT_SCOPED,
    &view_bypasses::VIEW_BYPASSES,
    &unprotectable::UNPROTECTABLE,
    &definer_bypasses::DEFINER_BYPASSES,
    &rls_off::PARTITION_UNPROTECTED,
    &truncate::TRUNCATE_ALLOWED,
    &side_channels::UNIQUE_SIDE_CHANNEL,
    &side_channels::FK_SIDE_CHANNEL,
    &role_default::ROLE_DEFAULT,
    &wrong_setting::WRONG_SETTING,
    &leakproof::LEAKPROOF,
    &row_security_inactive::ROW_SECURITY_INACTIVE,
    &cross_tenant_read::CROSS_TENANT_READ,
    &no_context_read::NO_CONTEXT_READ,
    &cross_tenant_write::CROSS_TENANT_WRITE,
    &context_leak::CONTEXT_LEAK,
    &inconclusive::INCONCLUSIVE,
    &not_readable::NOT_READABLE,
    &probe_error::PROBE_ERROR,
    &tenant_copy::COPY_UNPROTECTED,
    &tenant_copy::COPY_READ,
    &hidden_view::VIEW_IGNORES_CONTEXT,
    &shared_write::SHARED_ROW_WRITE,
    &side_channels::EXCLUSION_SIDE_CHANNEL,
    &app_owns::APP_OWNS_TABLE,
    &empty_context::EMPTY_CONTEXT_READ,
    &write_probes::WRITE_NOT_PROBED,
    &write_probes::WRITE_SIDE_EFFECTS,
    &blind_spot::PROBE_BLIND_SPOT,
];

#[cfg(test)]
mod tests {
    use super::fixtures::{self, problems};
    use super::*;
    use crate::finding::{Finding, Status};
    use crate::report::CheckId;
    use std::collections::BTreeSet;

    /// Every rule module's trigger fixtures.
    const TRIGGERS: &[fn() -> Vec<Finding>] = &[
        skipped::triggers,
        rls_off::triggers,
        no_policy::triggers,
        app_bypasses::triggers,
        owner_bypasses::triggers,
        not_scoped::triggers,
        view_bypasses::triggers,
        unprotectable::triggers,
        definer_bypasses::triggers,
        truncate::triggers,
        side_channels::triggers,
        role_default::triggers,
        wrong_setting::triggers,
        leakproof::triggers,
        row_security_inactive::triggers,
        cross_tenant_read::triggers,
        no_context_read::triggers,
        cross_tenant_write::triggers,
        context_leak::triggers,
        inconclusive::triggers,
        not_readable::triggers,
        probe_error::triggers,
        shared_write::triggers,
        app_owns::triggers,
        empty_context::triggers,
        write_probes::triggers,
        blind_spot::triggers,
        tenant_copy::triggers,
        hidden_view::triggers,
    ];

    #[test]
    fn codes_are_unique_and_every_rule_is_rls() {
        let mut codes = BTreeSet::new();
        for r in RULES {
            assert!(codes.insert(r.code), "{} is declared twice", r.code);
            assert_eq!(r.check, CheckId::Rls, "{}", r.code);
        }
        let sorted: Vec<_> = codes.iter().copied().collect();
        let declared: Vec<_> = RULES.iter().map(|r| r.code).collect();
        assert_eq!(declared, sorted, "RULES is in code order");
    }

    #[test]
    fn every_rule_is_fired_by_a_fixture() {
        let fired: BTreeSet<String> =
            TRIGGERS.iter().flat_map(|t| t()).filter(|f| f.status != Status::Pass).map(|f| f.code).collect();
        let declared: BTreeSet<String> = RULES.iter().map(|r| r.code.to_string()).collect();
        assert_eq!(fired, declared, "no fixture fires a rule, or a fixture fires an undeclared code");
    }

    #[test]
    fn clean_fixture_has_no_problem_and_the_passes() {
        let (cfg, cat, obs) = (fixtures::cfg(), fixtures::catalog(), fixtures::observations());
        let f = fixtures::audit(&cfg, &cat, &obs);
        assert!(f.iter().all(|f| f.status == Status::Pass), "{f:#?}");
        let passes: Vec<_> = f.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(passes, ["RLS004", "RLS001", "RLS022", "RLS021", "RLS023", "RLS024"]);
    }

    #[test]
    fn a_bypassing_role_stops_the_live_rules_with_one_inconclusive() {
        let (cfg, mut cat, mut obs) = (fixtures::cfg(), fixtures::catalog(), fixtures::observations());
        cat.role.bypassrls = true;
        obs.no_context.insert(fixtures::DOCS.into(), fixtures::count(3, 0));
        let live = crate::checks::rls::evaluate_live(&cfg, &cat, &obs);
        assert_eq!(live.len(), 1, "{live:#?}");
        assert_eq!(problems(&live, "RLS025"), ["RLS025:probe-role"]);
    }

    #[test]
    fn a_table_failing_rls_off_gets_no_other_table_rule() {
        let (cfg, mut cat) = (fixtures::cfg(), fixtures::catalog());
        let r = &mut cat.relations[0];
        (r.rls, r.truncate, r.app_has_owner_privs) = (false, true, true);
        cat.policies.push(fixtures::policy(fixtures::DOCS, "open", "r", true, Some("true"), None));
        let f = crate::checks::rls::static_rules::evaluate(&cfg, &cat);
        let codes: Vec<_> = f.iter().filter(|f| f.status != Status::Pass).map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["RLS002"], "{f:#?}");
    }
}
