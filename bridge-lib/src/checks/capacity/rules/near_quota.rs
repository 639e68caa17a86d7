//! CAP001: a tenant's namespace at or over 80% of its quota (and under 100%).

use super::over_quota::is_over;
use super::{evidence, measured, pct, raise_tier, Ctx};
use crate::checks::capacity::WARN_RATIO;
use crate::finding::{fmt_count, Finding, Rule, Status};
use crate::report::data::TenantUsage;
use crate::report::CheckId;
use serde_json::json;

/// A namespace at or over 80% of its quota.
pub static NEAR_QUOTA: Rule = Rule {
    check: CheckId::Capacity,
    code: "CAP001",
    name: "namespace-near-quota",
    title: "a tenant's namespace is at or over 80% of its quota",
    checks: "For every tenant whose namespace exists and whose tier has a quota, the namespace's record count \
             against the quota of its tier (BRIDGE_TIER_QUOTAS): warns from 80% up to 100% (CAP002 takes over \
             there). Passes once, naming the fullest namespace, when every measured namespace is under 80%.",
    why: "Serverless Pinecone has no per-namespace limit, so the tenant's quota is the only brake. At 80% \
                there is still time to raise the tier or clean up before ingestion has to be refused.",
    remedy: "Move the tenant to the next larger tier: UPDATE <tenants table> SET tier = '<next tier>' WHERE \
             id::text = '<tenant id>'; or raise the tier's quota in BRIDGE_TIER_QUOTAS \
             (e.g. BRIDGE_TIER_QUOTAS=starter=200000,pro=1000000,enterprise=10000000), or delete stale vectors from \
             the tenant's namespace.",
    limits: "Counts records (describe_index_stats' vectorCount), not bytes, dimensions or read units; the count is \
             eventually consistent. A namespace still under 80% that grows fast is CAP008's case. Tenants without \
             a namespace or a quota are not measured (CAP005, CAP007).",
};

/// Whether `vectors` is at or over 80% of `quota` but under it.
pub(crate) fn is_near(vectors: u64, quota: u64) -> bool {
    !is_over(vectors, quota) && vectors as f64 >= quota as f64 * WARN_RATIO
}

/// Fires for a measured namespace at or over 80% of its quota, under 100%.
pub fn near_quota(ctx: &Ctx, row: &TenantUsage) -> Option<Finding> {
    let (v, q) = measured(row).filter(|(v, q)| is_near(*v, *q))?;
    let detail = format!(
        "expected namespace `{}` (tenant `{}`, tier `{}`) under 80% of its quota, found {} of {} records ({:.1}%)",
        row.namespace,
        row.tenant,
        row.tier,
        fmt_count(v),
        fmt_count(q),
        pct(v, q)
    );
    Some(NEAR_QUOTA.finding(Status::Warn, &row.tenant, detail).with_evidence(evidence(row, Status::Warn)).with_remedy(
        format!(
            "for `{}`, {} or raise the tier's quota in BRIDGE_TIER_QUOTAS, or delete stale vectors from namespace `{}`",
            row.tenant,
            raise_tier(ctx, row),
            row.namespace
        ),
    ))
}

/// The pass finding when namespaces were measured and every one is under 80% of its quota.
pub fn all_under_80_percent(_ctx: &Ctx, rows: &[TenantUsage]) -> Option<Finding> {
    let measured_rows = rows.iter().filter_map(measured);
    let count = measured_rows.clone().count();
    if count == 0 || measured_rows.clone().any(|(v, q)| is_over(v, q) || is_near(v, q)) {
        return None;
    }
    let top = rows
        .iter()
        .filter(|r| r.percent.is_some())
        .max_by(|a, b| a.percent.partial_cmp(&b.percent).unwrap_or(std::cmp::Ordering::Equal));
    let detail = match top {
        Some(r) => format!(
            "{count} namespaces measured, all under 80% of their quota (highest: `{}` at {:.1}%)",
            r.namespace,
            r.percent.unwrap_or_default()
        ),
        None => format!("{count} namespaces measured"),
    };
    Some(NEAR_QUOTA.finding(Status::Pass, "", detail).with_evidence(json!({ "measured": count })))
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{empty, row};
    use super::*;
    use crate::config::Config;

    #[test]
    fn cap001_namespace_near_quota_fires() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        let near = row("near", "starter", true, Some(85_000), Some(100_000));
        let f = near_quota(&ctx, &near).expect("85% warns");
        assert_eq!((f.key.as_str(), f.status), ("CAP001:near", Status::Warn));
        assert!(f.detail.contains("found 85,000 of 100,000 records (85.0%)"), "{}", f.detail);
        assert_eq!((f.evidence["quota"].as_u64(), f.evidence["status"].as_str()), (Some(100_000), Some("warn")));
        assert!(f.remedy.as_deref().unwrap().contains("UPDATE \"tenants\" SET tier = 'pro'"), "{:?}", f.remedy);
        assert!(near_quota(&ctx, &row("edge", "starter", true, Some(80_000), Some(100_000))).is_some(), "80% warns");
        assert!(all_under_80_percent(&ctx, &[near]).is_none(), "no pass while one namespace is near");
    }

    #[test]
    fn cap001_namespace_near_quota_quiet() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        let rows = [
            row("a", "starter", true, Some(10_000), Some(100_000)),
            row("b", "pro", true, Some(500_000), Some(1_000_000)),
            row("c", "starter", true, Some(79_000), Some(100_000)),
        ];
        assert!(rows.iter().all(|r| near_quota(&ctx, r).is_none()));
        assert!(near_quota(&ctx, &row("over", "starter", true, Some(100_000), Some(100_000))).is_none(), "CAP002's");
        let pass = all_under_80_percent(&ctx, &rows).unwrap();
        assert_eq!(pass.status, Status::Pass);
        assert_eq!(pass.detail, "3 namespaces measured, all under 80% of their quota (highest: `c` at 79.0%)");
        assert_eq!(pass.evidence["measured"], 3);
        assert!(all_under_80_percent(&ctx, &[row("x", "pro", true, None, Some(1))]).is_none(), "nothing measured");
    }
}
