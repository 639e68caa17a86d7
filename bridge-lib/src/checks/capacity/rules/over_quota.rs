//! CAP002: a tenant's namespace at or over its quota.

use super::{evidence, measured, pct, raise_tier, Ctx};
use crate::finding::{fmt_count, Finding, Rule, Status};
use crate::report::data::TenantUsage;
use crate::report::CheckId;

/// A namespace at or over 100% of its quota.
pub static OVER_QUOTA: Rule = Rule {
    check: CheckId::Capacity,
    code: "CAP002",
    name: "namespace-over-quota",
    title: "a tenant's namespace is at or over its quota",
    checks: "For every tenant whose namespace exists and whose tier has a quota, the namespace's record count \
             against the quota of its tier (BRIDGE_TIER_QUOTAS): fails at 100% or more.",
    why: "A tenant past its quota is storing (and paying query cost on) more than its tier allows; \
                per-tier customization built on quotas is not enforceable until this is fixed.",
    remedy: "Stop the tenant's ingestion, then move it to the next larger tier: \
             UPDATE <tenants table> SET tier = '<next tier>' WHERE id::text = '<tenant id>'; or raise the tier's \
             quota in BRIDGE_TIER_QUOTAS, split the tenant across namespaces, or delete stale vectors \
             (`index.delete(ids=[…], namespace=\"<namespace>\")`).",
    limits: "Counts records (describe_index_stats' vectorCount), not bytes, dimensions or read units; the count is \
             eventually consistent and may lag recent upserts and deletes by seconds. The quota is the \
             application's own: Pinecone enforces no per-namespace limit on serverless indexes.",
};

/// Whether `vectors` is at or over `quota`.
pub(crate) fn is_over(vectors: u64, quota: u64) -> bool {
    vectors >= quota
}

/// Fires for a measured namespace at or over its quota.
pub fn over_quota(ctx: &Ctx, row: &TenantUsage) -> Option<Finding> {
    let (v, q) = measured(row).filter(|(v, q)| is_over(*v, *q))?;
    let detail = format!(
        "expected namespace `{}` (tenant `{}`, tier `{}`) under its quota, found {} of {} records ({:.1}%)",
        row.namespace,
        row.tenant,
        row.tier,
        fmt_count(v),
        fmt_count(q),
        pct(v, q)
    );
    Some(
        OVER_QUOTA
            .finding(Status::Fail, &row.tenant, detail)
            .with_evidence(evidence(row, Status::Fail))
            .with_remedy(format!(
                "stop ingestion for `{}`, then {} or raise the tier's quota in BRIDGE_TIER_QUOTAS, split the tenant across namespaces, or delete stale vectors",
                row.tenant,
                raise_tier(ctx, row)
            )),
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{empty, row};
    use super::*;
    use crate::config::Config;

    #[test]
    fn cap002_namespace_over_quota_fires() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        let f = over_quota(&ctx, &row("over", "starter", true, Some(100_000), Some(100_000))).expect("100% fails");
        assert_eq!((f.key.as_str(), f.status), ("CAP002:over", Status::Fail));
        assert!(f.detail.ends_with("found 100,000 of 100,000 records (100.0%)"), "{}", f.detail);
        assert!(f.remedy.as_deref().unwrap().contains("UPDATE \"tenants\" SET tier = 'pro' WHERE id::text = 'over';"));
        let top = over_quota(&ctx, &row("big", "enterprise", true, Some(20_000_000), Some(10_000_000))).unwrap();
        assert!(top.remedy.as_deref().unwrap().contains("raise the `enterprise` quota"), "{:?}", top.remedy);
    }

    #[test]
    fn cap002_namespace_over_quota_quiet() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        assert!(over_quota(&ctx, &row("a", "starter", true, Some(99_999), Some(100_000))).is_none());
        assert!(over_quota(&ctx, &row("b", "platinum", true, Some(5), None)).is_none(), "no quota: CAP007's case");
    }
}
