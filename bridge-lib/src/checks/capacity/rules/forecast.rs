//! CAP008: a namespace that the growth fit says reaches 80% of its quota within the horizon.

use super::near_quota::is_near;
use super::over_quota::is_over;
use super::{evidence, measured, pct, raise_tier, Ctx};
use crate::finding::{Finding, Rule, Status};
use crate::report::data::TenantUsage;
use crate::report::CheckId;

/// A namespace forecast to reach 80% within the horizon.
pub static FORECAST: Rule = Rule {
    check: CheckId::Capacity,
    code: "CAP008",
    name: "namespace-reaches-80-percent-soon",
    title: "a namespace will reach 80% of its quota within the forecast horizon",
    checks: "For every measured namespace still under 80% of its quota, a least-squares line through its record \
             counts in the snapshot history (BRIDGE_CAPACITY_HISTORY, one line per `bridge capacity snapshot`): \
             warns when the days until 80% are within BRIDGE_CAPACITY_HORIZON_DAYS (30 by default).",
    why: "A linear fit of the namespace's size over the saved snapshots says it crosses 80% of its quota \
                within the horizon (30 days by default): act now, while the change can be planned.",
    remedy: "Plan the tenant's move before the day the finding names: UPDATE <tenants table> SET tier = \
             '<next tier>' WHERE id::text = '<tenant id>'; or raise the tier's quota in BRIDGE_TIER_QUOTAS. Keep \
             the forecast fed: run `bridge capacity snapshot --out stats.json --history history.jsonl` daily \
             (cron or CI).",
    limits: "Needs at least two snapshots at different times; without BRIDGE_CAPACITY_HISTORY there is no \
             forecast. The fit is linear: it misses bursts (a bulk import) and over-reads a one-off load. A \
             shrinking or flat namespace never fires. Namespaces already at 80% are CAP001's or CAP002's.",
};

/// Fires for a measured namespace under 80% whose fitted growth reaches 80% within the horizon.
pub fn forecast(ctx: &Ctx, row: &TenantUsage) -> Option<Finding> {
    let (v, q) = measured(row).filter(|(v, q)| !is_over(*v, *q) && !is_near(*v, *q))?;
    let horizon = ctx.cap().horizon_days;
    let d = row.days_to_80.filter(|d| *d <= horizon)?;
    let detail = format!(
        "expected namespace `{}` (tenant `{}`) to stay under 80% for {horizon:.0} days, found it reaches 80% in {d:.1} days ({:.1}% now, +{:.0} records/day)",
        row.namespace,
        row.tenant,
        pct(v, q),
        row.growth_per_day.unwrap_or_default()
    );
    Some(
        FORECAST
            .finding(Status::Warn, &row.tenant, detail)
            .with_evidence(evidence(row, Status::Warn))
            .with_remedy(format!("plan the change for `{}` before day {d:.0}: {}", row.tenant, raise_tier(ctx, row))),
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{empty, row};
    use super::*;
    use crate::config::Config;

    fn growing(days_to_80: f64) -> TenantUsage {
        TenantUsage {
            growth_per_day: Some(2000.0),
            days_to_80: Some(days_to_80),
            days_to_full: Some(days_to_80 + 10.0),
            ..row("grow", "starter", true, Some(50_000), Some(100_000))
        }
    }

    #[test]
    fn cap008_namespace_reaches_80_percent_soon_fires() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        let f = forecast(&ctx, &growing(15.0)).expect("80% in 15 days, horizon 30: warns");
        assert_eq!((f.key.as_str(), f.status), ("CAP008:grow", Status::Warn));
        assert!(f.detail.contains("reaches 80% in 15.0 days (50.0% now, +2000 records/day)"), "{}", f.detail);
        assert_eq!(f.evidence["growth_per_day"], 2000.0);
        assert!(f.remedy.as_deref().unwrap().starts_with("plan the change for `grow` before day 15:"));
    }

    #[test]
    fn cap008_namespace_reaches_80_percent_soon_quiet() {
        let (cfg, usage) = (Config::default(), empty());
        let ctx = Ctx { cfg: &cfg, usage: &usage };
        assert!(forecast(&ctx, &growing(45.0)).is_none(), "beyond the horizon");
        assert!(forecast(&ctx, &row("flat", "starter", true, Some(50_000), Some(100_000))).is_none(), "no history");
        let near = TenantUsage { vectors: Some(85_000), ..growing(0.0) };
        assert!(forecast(&ctx, &near).is_none(), "already at 80%: CAP001's case");
    }
}
