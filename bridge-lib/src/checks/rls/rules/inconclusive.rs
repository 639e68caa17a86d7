//! RLS025: the live probe could not prove isolation, so it says so instead of passing.

use super::shared::{deny_all, probed_relations, tenants_with_rows, thin_relations};
use crate::checks::rls::catalog::Catalog;
use crate::checks::rls::probe::Observations;
use crate::config::Config;
use crate::finding::{Finding, Rule, Status};
use crate::report::CheckId;
use serde_json::json;

/// The live probe could not prove isolation.
pub static INCONCLUSIVE: Rule = Rule {
    check: CheckId::Rls,
    code: "RLS025",
    name: "probe-inconclusive",
    title: "the live probe could not prove isolation",
    checks: "The probe's preconditions, in order: the probe role does not bypass RLS (otherwise no live rule runs), \
             at least two tenants were probed, the tenant context took effect (some probe tenant saw its own rows), \
             and every probed relation has rows of at least two probe tenants, or, failing that, the server's \
             live-row estimate (`pg_stat_get_live_tuples`) shows rows beyond what each probe tenant saw as its own \
             and every probe tenant saw own rows somewhere.",
    why: "A probe that sees zero foreign rows proves nothing when the probe role bypasses RLS or no other tenant has rows: reported \
          as inconclusive, never as a pass.",
    remedy: "Connect as the application's own NOSUPERUSER NOBYPASSRLS role; add tenants or set \
             `BRIDGE_PROBE_TENANTS=a,b`; seed rows for two tenants (`bridge tenants provision --seed-sql FILE`); \
             check BRIDGE_TENANT_SETTING and BRIDGE_TENANT_CONTEXT_SQL when the context never took effect.",
    limits: "Reports only the first precondition that fails. It cannot tell a context that never took effect from \
             probe tenants that have no rows anywhere; both read as `context`. Tables no permissive policy opens \
             to the application (RLS003, deny-all) are left out: no tenant sees rows there by design. \
             The live-row estimate is the server's cumulative statistics, which read 0 after a statistics reset, \
             a crash restart, on a standby, or in a database just copied from a template, until the next ANALYZE \
             or writes: there the fallback cannot help and a table with rows of fewer than two probe tenants \
             stays inconclusive.",
};

/// RLS025 when the probe role bypasses RLS: the live rules would all pass vacuously, so none runs.
pub fn probe_role_bypasses(cat: &Catalog) -> Option<Finding> {
    cat.role.bypasses().then(|| {
        INCONCLUSIVE
            .finding(Status::Warn, "probe-role", format!("inconclusive: the probe role `{}` bypasses row level security, so every probe would pass vacuously", cat.role.name))
            .with_evidence(json!(cat.role))
            .with_remedy("connect with the application's own non-superuser, NOBYPASSRLS role")
    })
}

/// RLS025 for too few tenants, a context that never took effect, or relations with rows of
/// fewer than two probe tenants (the first that applies).
pub fn inconclusive(cfg: &Config, cat: &Catalog, obs: &Observations) -> Option<Finding> {
    let setting = &cfg.tenancy.context.setting;
    // a deny-all table (RLS003) shows no tenant its rows by design: it proves nothing either way
    let denies = |name: &String| cat.relations.iter().any(|r| r.name == *name && deny_all(cat, r));
    let all_relations: Vec<&String> = probed_relations(obs).into_iter().filter(|r| !denies(r)).collect();
    let anything_seen = all_relations.iter().any(|r| tenants_with_rows(obs, r) > 0);
    if obs.tenants.len() < 2 {
        Some(
            INCONCLUSIVE
                .finding(
                    Status::Warn,
                    "tenants",
                    format!("inconclusive: expected at least 2 tenants to probe, found {}", obs.tenants.len()),
                )
                .with_remedy("add tenants, or set BRIDGE_PROBE_TENANTS=a,b"),
        )
    } else if !all_relations.is_empty() && !anything_seen {
        Some(
            INCONCLUSIVE
                .finding(Status::Warn, "context", format!("inconclusive: the tenant context never took effect: no probe tenant ({}) saw any of its own rows", obs.tenants.join(", ")))
                .with_evidence(json!({"tenant_setting": setting, "context_sql": cfg.tenancy.context.statement("<tenant>"), "settings_read_by_policies": cat.settings_read}))
                .with_remedy("check BRIDGE_TENANT_SETTING (the setting the policies read) and BRIDGE_TENANT_CONTEXT_SQL (how the application sets it)"),
        )
    } else {
        let thin: Vec<&String> = thin_relations(obs).into_iter().filter(|r| !denies(r)).collect();
        (!thin.is_empty()).then(|| {
            INCONCLUSIVE
                .finding(
                    Status::Warn,
                    "rows",
                    format!(
                        "inconclusive for {}: fewer than 2 probe tenants have rows there, so 0 foreign rows proves nothing",
                        thin.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )
                .with_remedy("seed rows for at least two tenants (bridge tenants provision --seed-sql FILE), or set BRIDGE_PROBE_TENANTS")
        })
    }
}

#[cfg(test)]
pub(super) fn triggers() -> Vec<Finding> {
    use super::fixtures::{self, count, DOCS};
    let (cfg, cat, obs) = (fixtures::cfg(), fixtures::catalog(), fixtures::observations());
    let mut bypass = cat.clone();
    bypass.role.superuser = true;
    let mut one = obs.clone();
    one.tenants.truncate(1);
    let mut blind = obs.clone();
    for m in blind.reads.values_mut() {
        m.insert(DOCS.into(), count(0, 0));
    }
    let mut thin = obs.clone();
    thin.reads.get_mut("b").unwrap().insert(DOCS.into(), count(0, 0));
    let mut out: Vec<Finding> = probe_role_bypasses(&bypass).into_iter().collect();
    out.extend([one, blind, thin].iter().filter_map(|o| inconclusive(&cfg, &cat, o)));
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, problems, DOCS};
    use super::*;

    #[test]
    fn rls025_probe_inconclusive_fires() {
        let f = triggers();
        assert_eq!(problems(&f, "RLS025"), ["RLS025:probe-role", "RLS025:tenants", "RLS025:context", "RLS025:rows"]);
        assert_eq!(f[2].evidence["context_sql"], "SELECT set_config('app.current_tenant', '<tenant>', true)");
        assert!(f[3].detail.starts_with("inconclusive for public.docs:"), "{}", f[3].detail);
    }

    #[test]
    fn rls025_probe_inconclusive_quiet() {
        let (cfg, cat, obs) = (fixtures::cfg(), fixtures::catalog(), fixtures::observations());
        assert!(probe_role_bypasses(&cat).is_none());
        assert!(inconclusive(&cfg, &cat, &obs).is_none());
    }

    #[test]
    fn rls025_rows_beyond_the_probe_tenants_make_a_thin_relation_conclusive() {
        let (cfg, cat, mut obs) = (fixtures::cfg(), fixtures::catalog(), fixtures::observations());
        obs.reads.get_mut("b").unwrap().insert(DOCS.into(), fixtures::count(0, 0));
        obs.reads.get_mut("b").unwrap().insert("public.other".into(), fixtures::count(1, 0));
        obs.reads.get_mut("a").unwrap().insert("public.other".into(), fixtures::count(1, 0));
        obs.live_rows.insert(DOCS.into(), 9);
        assert!(inconclusive(&cfg, &cat, &obs).is_none(), "7 rows of other tenants exist and none showed");
        obs.live_rows.insert(DOCS.into(), 2);
        assert_eq!(
            problems(&inconclusive(&cfg, &cat, &obs).into_iter().collect::<Vec<_>>(), "RLS025"),
            ["RLS025:rows"]
        );
    }

    #[test]
    fn rls025_a_deny_all_table_is_not_inconclusive() {
        let (cfg, mut cat, mut obs) = (fixtures::cfg(), fixtures::catalog(), fixtures::observations());
        let mut labels = fixtures::table("labels");
        labels.policies = 1;
        cat.relations.push(labels);
        cat.policies.push(fixtures::policy("public.labels", "tenant_bound", "*", false, Some(fixtures::TENANT), None));
        for m in obs.reads.values_mut() {
            m.insert("public.labels".into(), fixtures::count(0, 0));
        }
        assert!(inconclusive(&cfg, &cat, &obs).is_none(), "RLS003 reports it as deny-all");
    }
}
