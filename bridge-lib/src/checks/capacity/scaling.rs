//! The auto-scaling decision per tenant: from its usage now and its fitted growth, what the
//! auto-scaling of namespace capacity should do: nothing, raise the tier, or move the tenant
//! to its own index, with the date its usage crosses the 80% line. Pure: unit-tested.
//!
//! Needed when the tenant is at 80% of a quota (records or bytes) or the growth fit reaches
//! 80% within the horizon. Then the next larger tier is enough when the usage forecast at the
//! horizon stays under 80% of that tier's quota; otherwise (the largest tier, or growth that
//! outruns the next tier too) the tenant needs an index of its own.

use super::rules::{next_tier, pct};
use super::WARN_RATIO;
use crate::civil::civil_from_days;
use crate::config::CapacityConfig;
use crate::report::data::{ScalingAction, ScalingDecision, TenantStores, TenantUsage};

/// The decision for one tenant (`row` from the capacity table, `s` its three-way row), with
/// dates counted from `as_of_unix`.
pub fn decide(cap: &CapacityConfig, row: &TenantUsage, s: Option<&TenantStores>, as_of_unix: i64) -> ScalingDecision {
    let bytes_pct = s.and_then(|s| s.bytes.zip(s.byte_quota)).map(|(b, q)| pct(b, q));
    let percent = [row.percent, bytes_pct].into_iter().flatten().reduce(f64::max);
    let warn = WARN_RATIO * 100.0;
    let days_to_80 = match percent {
        Some(p) if p >= warn => Some(0.0),
        _ => row.days_to_80,
    };
    let decision = |action, to_tier: Option<&str>, reason: String| ScalingDecision {
        tenant: row.tenant.clone(),
        tier: row.tier.clone(),
        action,
        to_tier: to_tier.map(str::to_string),
        percent,
        days_to_80,
        crosses_80_on: days_to_80.map(|d| date(as_of_unix, d)),
        reason,
    };
    if !row.active {
        return decision(ScalingAction::Nothing, None, "inactive: not scaled".into());
    }
    let Some(p) = percent else {
        let why = if row.vectors.is_none() { "no namespace yet" } else { "no quota for its tier" };
        return decision(ScalingAction::Nothing, None, format!("{why}: nothing to measure"));
    };
    let horizon = cap.horizon_days;
    match days_to_80 {
        Some(d) if d <= horizon => {}
        Some(d) => {
            return decision(
                ScalingAction::Nothing,
                None,
                format!("{p:.1}% used; 80% in {d:.0} days, beyond the {horizon:.0}-day horizon"),
            )
        }
        None => return decision(ScalingAction::Nothing, None, format!("{p:.1}% used and not growing toward 80%")),
    }
    let growth = row.growth_per_day.unwrap_or(0.0).max(0.0);
    let at_horizon = row.vectors.unwrap_or(0) as f64 + growth * horizon;
    let now = if p >= warn {
        format!("{p:.1}% used")
    } else {
        format!("{p:.1}% used, 80% in {:.0} days", days_to_80.unwrap_or(0.0))
    };
    match next_tier(cap, &row.tier) {
        Some(next) if fits(cap, next, at_horizon, s) => decision(
            ScalingAction::RaiseTier,
            Some(next),
            format!("{now}: tier `{next}` holds the {horizon:.0}-day forecast ({at_horizon:.0} records) under 80%"),
        ),
        Some(next) => decision(
            ScalingAction::OwnIndex,
            None,
            format!(
                "{now}: even tier `{next}` would pass 80% within {horizon:.0} days ({at_horizon:.0} records forecast)"
            ),
        ),
        None => decision(ScalingAction::OwnIndex, None, format!("{now}: `{}` is the largest tier", row.tier)),
    }
}

/// Whether `tier` holds `records` (and the tenant's bytes, when its byte quota is set) under 80%.
fn fits(cap: &CapacityConfig, tier: &str, records: f64, s: Option<&TenantStores>) -> bool {
    let rec_ok = cap.tier_quotas.get(tier).is_none_or(|q| records < *q as f64 * WARN_RATIO);
    let bytes_ok = match (s.and_then(|s| s.bytes), cap.tier_byte_quotas.get(tier)) {
        (Some(b), Some(q)) => (b as f64) < *q as f64 * WARN_RATIO,
        _ => true,
    };
    rec_ok && bytes_ok
}

/// `YYYY-MM-DD` of `as_of_unix` plus `days` (rounded up to the day it happens in).
pub fn date(as_of_unix: i64, days: f64) -> String {
    let t = as_of_unix + (days.max(0.0) * 86_400.0).ceil() as i64;
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::super::rules::fixture::row;
    use super::*;

    const DEC_1: i64 = 1_796_083_200; // 2026-12-01T00:00:00Z

    fn growing(tier: &str, vectors: u64, quota: u64, per_day: f64, days_to_80: f64) -> TenantUsage {
        TenantUsage {
            growth_per_day: Some(per_day),
            days_to_80: Some(days_to_80),
            ..row("t", tier, true, Some(vectors), Some(quota))
        }
    }

    #[test]
    fn comfortable_or_slow_tenants_need_nothing() {
        let cap = CapacityConfig::default();
        let d = decide(&cap, &row("a", "pro", true, Some(310_000), Some(1_000_000)), None, DEC_1);
        assert_eq!((d.action, d.crosses_80_on), (ScalingAction::Nothing, None));
        let slow = decide(&cap, &growing("pro", 500_000, 1_000_000, 1000.0, 300.0), None, DEC_1);
        assert_eq!(slow.action, ScalingAction::Nothing);
        assert_eq!(slow.crosses_80_on.as_deref(), Some("2027-09-27"));
        assert!(slow.reason.contains("beyond the 30-day horizon"), "{}", slow.reason);
    }

    #[test]
    fn a_tenant_reaching_80_percent_moves_up_a_tier_with_the_date() {
        let d = decide(&CapacityConfig::default(), &growing("starter", 50_000, 100_000, 2000.0, 15.0), None, DEC_1);
        assert_eq!((d.action, d.to_tier.as_deref()), (ScalingAction::RaiseTier, Some("pro")));
        assert_eq!(d.crosses_80_on.as_deref(), Some("2026-12-16"));
        let over =
            decide(&CapacityConfig::default(), &row("o", "pro", true, Some(870_000), Some(1_000_000)), None, DEC_1);
        assert_eq!((over.action, over.crosses_80_on.as_deref()), (ScalingAction::RaiseTier, Some("2026-12-01")));
    }

    #[test]
    fn the_largest_tier_or_runaway_growth_moves_to_its_own_index() {
        let cap = CapacityConfig::default();
        let top = decide(&cap, &row("e", "enterprise", true, Some(9_000_000), Some(10_000_000)), None, DEC_1);
        assert_eq!(top.action, ScalingAction::OwnIndex);
        assert!(top.reason.contains("largest tier"), "{}", top.reason);
        let runaway = decide(&cap, &growing("starter", 70_000, 100_000, 50_000.0, 0.2), None, DEC_1);
        assert_eq!(runaway.action, ScalingAction::OwnIndex, "{}", runaway.reason);
    }

    #[test]
    fn bytes_count_when_they_bind() {
        let mut cap = CapacityConfig::default();
        cap.tier_byte_quotas.insert("starter".into(), 1_000);
        let s = TenantStores {
            bytes: Some(900),
            byte_quota: Some(1_000),
            ..super::super::rules::fixture::stores("t", true, true, Some(10), None)
        };
        let d = decide(&cap, &row("t", "starter", true, Some(10), Some(100_000)), Some(&s), DEC_1);
        assert_eq!((d.action, d.percent), (ScalingAction::RaiseTier, Some(90.0)));
    }
}
