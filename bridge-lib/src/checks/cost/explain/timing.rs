//! The timing component: ledger usage the bill does not reach. The bill's cut-off for a
//! provider and period is the end of the last bucket of its usage export in that month; a
//! final bill with no usage export reaches the month's end. Ledger cost after the cut-off is in
//! the ledger and not yet in the bill (a negative part of billed − allocated). Ledger usage on
//! the month's first and last day is named in the detail (a clock skew at the edge would move
//! it into the neighbouring month), not counted: which way it moved cannot be told.

use super::model::{LedgerUsage, UsageRow};
use crate::civil::{civil_from_days, days_from_civil};
use crate::report::data::{GapComponent, GapItem, GapKind};

/// `YYYY-MM-DD` of a day number.
pub(crate) fn date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The first day and the exclusive end day of a `YYYY-MM` period.
pub(crate) fn period_days(period: &str) -> Option<(i64, i64)> {
    let y: i64 = period.get(..4)?.parse().ok()?;
    let m: u32 = period.get(5..7)?.parse().ok().filter(|m| (1..=12).contains(m))?;
    let end = if m == 12 { days_from_civil(y + 1, 1, 1) } else { days_from_civil(y, m + 1, 1) };
    Some((days_from_civil(y, m, 1), end))
}

/// The component and the bill's cut-off (exclusive day) when it is known.
pub fn timing(
    provider: &str,
    period: &str,
    open: bool,
    usage: &Result<Vec<UsageRow>, String>,
    ledger: &Result<LedgerUsage, String>,
) -> (GapComponent, Option<i64>) {
    let not = |detail: String| {
        (GapComponent { kind: GapKind::Timing, micros: 0, computed: false, detail, items: vec![] }, None)
    };
    let Some((start, end)) = period_days(period) else {
        return not(format!("not computed: `{period}` is not a month"));
    };
    let reach = usage
        .as_ref()
        .ok()
        .and_then(|rows| rows.iter().filter(|r| r.provider == provider && r.period == period).map(|r| r.end_day).max());
    let (cutoff, how) = match (reach, usage) {
        (Some(r), _) => (r.min(end), format!("the usage export reaches {}", date(r.min(end) - 1))),
        (None, _) if !open => (end, "the bill is final for the whole month".to_string()),
        (None, Err(why)) => return not(format!("not computed: the period is open and {why}")),
        (None, Ok(_)) => {
            return not(format!("not computed: the period is open and no usage export covers {provider} {period}"))
        }
    };
    let days = ledger.as_ref().ok().map(|l| l.days.iter().filter(|d| d.provider == provider).collect::<Vec<_>>());
    let edge = days
        .as_ref()
        .map(|ds| {
            let e: Vec<_> = ds.iter().filter(|d| d.day == start || d.day == end - 1).collect();
            let (n, m) = (e.iter().map(|d| d.events).sum::<u64>(), e.iter().map(|d| d.micros).sum::<i64>());
            format!(
                "; {n} ledger events ({:.2}) on the month's first and last day, which a clock skew would move",
                m as f64 / 1e6
            )
        })
        .unwrap_or_default();
    if cutoff >= end {
        let detail = format!("{how}: no ledger usage falls after the bill's cut-off{edge}");
        return (
            GapComponent { kind: GapKind::Timing, micros: 0, computed: true, detail, items: vec![] },
            Some(cutoff),
        );
    }
    let Some(days) = days else {
        let why = ledger.as_ref().err().cloned().unwrap_or_default();
        return not(format!("not computed: {how}, but {why}"));
    };
    let after: Vec<_> = days.iter().filter(|d| d.day >= cutoff && d.day < end).collect();
    let (events, micros) = (after.iter().map(|d| d.events).sum::<u64>(), after.iter().map(|d| d.micros).sum::<i64>());
    let items = if events == 0 {
        vec![]
    } else {
        vec![GapItem {
            label: format!("{} to {}", date(cutoff), date(end - 1)),
            micros: -micros,
            detail: format!("{events} ledger events after the bill's cut-off"),
        }]
    };
    let detail =
        format!("{how}: the ledger has {events} events ({:.2}) after it, not billed yet{edge}", micros as f64 / 1e6);
    (GapComponent { kind: GapKind::Timing, micros: -micros, computed: true, detail, items }, Some(cutoff))
}

#[cfg(test)]
mod tests {
    use super::super::model::LedgerDay;
    use super::*;

    fn usage_until(day: i64) -> Result<Vec<UsageRow>, String> {
        Ok(vec![UsageRow {
            provider: "openai".into(),
            period: "2026-10".into(),
            start_day: day - 1,
            end_day: day,
            ..Default::default()
        }])
    }

    fn ledger() -> Result<LedgerUsage, String> {
        let (start, _) = period_days("2026-10").unwrap();
        let day = |d: i64, micros: i64| LedgerDay {
            provider: "openai".into(),
            model: "m".into(),
            day: start + d,
            tokens: 10,
            events: 2,
            micros,
        };
        Ok(LedgerUsage { days: vec![day(0, 1_000_000), day(20, 2_000_000), day(25, 3_000_000)], tenants: vec![] })
    }

    #[test]
    fn timing_fires() {
        let (start, _) = period_days("2026-10").unwrap();
        let (c, cutoff) = timing("openai", "2026-10", true, &usage_until(start + 21), &ledger());
        assert_eq!(cutoff, Some(start + 21));
        assert_eq!((c.micros, c.computed), (-3_000_000, true), "{c:?}");
        assert!(c.detail.contains("reaches 2026-10-21") && c.detail.contains("2 events (3.00)"), "{}", c.detail);
    }

    #[test]
    fn timing_quiet() {
        let (c, cutoff) = timing("openai", "2026-10", false, &Err("BRIDGE_USAGE_FILES is not set".into()), &ledger());
        assert_eq!((c.micros, c.computed), (0, true));
        assert_eq!(cutoff, period_days("2026-10").map(|p| p.1));
        assert!(c.detail.contains("final") && c.detail.contains("first and last day"), "{}", c.detail);
    }

    #[test]
    fn an_open_period_without_usage_says_why() {
        let (c, cutoff) = timing("openai", "2026-10", true, &Err("BRIDGE_USAGE_FILES is not set".into()), &ledger());
        assert!(!c.computed && cutoff.is_none() && c.detail.contains("BRIDGE_USAGE_FILES"), "{}", c.detail);
    }
}
