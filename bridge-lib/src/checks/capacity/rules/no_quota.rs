//! CAP007: a tenant with records whose tier has no quota.

use super::{evidence, Ctx};
use crate::finding::{Finding, Rule, Status};
use crate::report::data::TenantUsage;
use crate::report::CheckId;

/// A tenant without a quota.
pub static NO_QUOTA: Rule = Rule {
    check: CheckId::Capacity,
    code: "CAP007",
    name: "tenant-without-quota",
    title: "a tenant's tier has no quota",
    checks: "For every tenant whose namespace exists, that its tier (the tenants table's `tier` column) has a \
             record quota in BRIDGE_TIER_QUOTAS (default starter=100000,pro=1000000,enterprise=10000000).",
    why: "Without a quota for the tenant's tier its usage cannot be compared with anything: capacity \
                monitoring is not configured for that tenant.",
    remedy: "Add the tier to BRIDGE_TIER_QUOTAS, keeping the others: \
             BRIDGE_TIER_QUOTAS=starter=100000,pro=1000000,enterprise=10000000,<tier>=<records>; or move the \
             tenant to a tier that has one: UPDATE <tenants table> SET tier = 'pro' WHERE id::text = '<tenant id>';",
    limits: "Tier names are matched exactly (case and spaces count). A tenant without a namespace is reported as \
             CAP005 (when active), not here. Quotas count records, not bytes or read units.",
};

/// Fires for a tenant whose namespace exists but whose tier has no quota.
pub fn no_quota(ctx: &Ctx, row: &TenantUsage) -> Option<Finding> {
    let (Some(v), None) = (row.vectors, row.quota) else {
        return None;
    };
    Some(
        NO_QUOTA
            .finding(
                Status::Warn,
                &row.tenant,
                format!(
                    "expected a quota for tier `{}` of tenant `{}`, found none ({v} records unmeasured)",
                    row.tier, row.tenant
                ),
            )
            .with_evidence(evidence(row, Status::Warn))
            .with_remedy(format!(
                "add the tier to BRIDGE_TIER_QUOTAS, e.g. BRIDGE_TIER_QUOTAS={},{}=1000000",
                ctx.cap().tier_quotas.iter().map(|(t, q)| format!("{t}={q}")).collect::<Vec<_>>().join(","),
                row.tier
            )),
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{empty, row};
    use super::*;
    use crate::config::Config;

    #[test]
    fn cap007_tenant_without_quota_fires() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        let f = no_quota(&ctx, &row("odd", "platinum", true, Some(5), None)).expect("a tier with no quota warns");
        assert_eq!((f.key.as_str(), f.status), ("CAP007:odd", Status::Warn));
        assert!(f.detail.contains("tier `platinum`") && f.detail.contains("5 records unmeasured"), "{}", f.detail);
        assert!(
            f.remedy.as_deref().unwrap().contains("starter=100000,platinum=1000000"),
            "the remedy keeps the other tiers: {:?}",
            f.remedy
        );
    }

    #[test]
    fn cap007_tenant_without_quota_quiet() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        assert!(no_quota(&ctx, &row("a", "pro", true, Some(5), Some(1_000_000))).is_none());
        assert!(no_quota(&ctx, &row("b", "platinum", true, None, None)).is_none(), "no namespace: CAP005's case");
    }
}
