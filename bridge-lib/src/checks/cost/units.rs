//! Money as exact integer micro-units, and the calendar months that are billing periods.
//!
//! Money is never summed in floating point: every amount is parsed into millionths of the
//! currency unit (`i64`, exact up to ±9.2 trillion), so sums are exact and the only rounding is
//! at the sixth decimal, once, on input.

/// Millionths of a currency unit per unit.
pub const MICROS: i64 = 1_000_000;

/// Parses a decimal amount (`12.5`, `-0.000123`, `1.2e3`, FOCUS's E-notation) into micro-units,
/// rounding half away from zero at the sixth decimal. `None` for anything that is not a finite
/// number (empty, `NaN`, `inf`, `12,5`, `$3`).
pub fn parse_micros(text: &str) -> Option<i64> {
    let s = text.trim();
    if s.contains(['e', 'E']) {
        let v: f64 = s.parse().ok()?;
        return micros_from_f64(v);
    }
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut micros: i64 = 0;
    for (i, b) in frac.bytes().take(6).enumerate() {
        micros += i64::from(b - b'0') * 10_i64.pow(5 - i as u32);
    }
    if frac.as_bytes().get(6).is_some_and(|b| *b >= b'5') {
        micros += 1;
    }
    let v = whole.checked_mul(MICROS)?.checked_add(micros)?;
    Some(if neg { -v } else { v })
}

/// Parses an amount in cents (Anthropic's cost report: a decimal string in the currency's
/// lowest unit) into micro-units of the currency, rounding once: the decimal point is moved
/// two places left in the text before [`parse_micros`] rounds at the sixth decimal.
pub fn parse_micros_of_cents(text: &str) -> Option<i64> {
    let s = text.trim();
    if s.contains(['e', 'E']) {
        return micros_from_f64(s.parse::<f64>().ok()? / 100.0);
    }
    let (sign, digits) = match s.strip_prefix(['-', '+']) {
        Some(rest) => (&s[..1], rest),
        None => ("", s),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let int = format!("00{int}");
    let (whole, cents) = int.split_at(int.len() - 2);
    parse_micros(&format!("{sign}{whole}.{cents}{frac}"))
}

/// Rounds a float amount (OpenAI's `amount.value`) to micro-units; `None` when not finite.
pub fn micros_from_f64(v: f64) -> Option<i64> {
    (v.is_finite() && v.abs() < 9.0e12).then(|| (v * MICROS as f64).round() as i64)
}

/// Micro-units as a float amount, for display and JSON.
pub fn to_units(micros: i64) -> f64 {
    micros as f64 / MICROS as f64
}

/// `YYYY-MM` from the start of a date or timestamp (`2026-10`, `2026-10-01`,
/// `2026-10-01T00:00:00Z`, `202610`), if it is a real month.
pub fn period_of(text: &str) -> Option<String> {
    let s = text.trim();
    let (y, m) = if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
        (&s[..4], &s[4..])
    } else {
        let (y, rest) = s.split_once('-')?;
        (y, rest.get(..2)?)
    };
    let year: u32 = y.parse().ok().filter(|_| y.len() == 4)?;
    let month: u32 = m.parse().ok().filter(|m| (1..=12).contains(m))?;
    Some(format!("{year:04}-{month:02}"))
}

pub use crate::civil::{civil_from_days, days_from_civil};

/// The billing period (`YYYY-MM`, UTC) of a Unix time in seconds.
pub fn period_of_unix(secs: i64) -> String {
    let (y, m, _) = civil_from_days(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}")
}

/// Day number of an ISO date or timestamp's date part (`2026-10-01T…`).
pub fn days_of_iso(text: &str) -> Option<i64> {
    let s = text.trim();
    let y: i64 = s.get(..4)?.parse().ok()?;
    let m: u32 = s.get(5..7)?.parse().ok().filter(|m| (1..=12).contains(m))?;
    let d: u32 = s.get(8..10)?.parse().ok().filter(|d| (1..=31).contains(d))?;
    (s.as_bytes().get(4) == Some(&b'-')).then(|| days_from_civil(y, m, d))
}

/// The day number on which the month after `period` starts (the period's exclusive end).
pub fn period_end_days(period: &str) -> Option<i64> {
    let y: i64 = period.get(..4)?.parse().ok()?;
    let m: u32 = period.get(5..7)?.parse().ok()?;
    Some(if m == 12 { days_from_civil(y + 1, 1, 1) } else { days_from_civil(y, m + 1, 1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_exactly() {
        assert_eq!(parse_micros("12.5"), Some(12_500_000));
        assert_eq!(parse_micros("-0.000123"), Some(-123));
        assert_eq!(parse_micros(".5"), Some(500_000));
        assert_eq!(parse_micros("0.0000005"), Some(1));
        assert_eq!(parse_micros("1.2e3"), Some(1_200_000_000));
        for bad in ["", "NaN", "inf", "12,5", "$3", "1.2.3", "-", "abc"] {
            assert_eq!(parse_micros(bad), None, "{bad}");
        }
        assert_eq!(micros_from_f64(f64::NAN), None);
        assert_eq!(micros_from_f64(0.06), Some(60_000));
        // cents, rounded once: 0.00015 cents is 0.0000015 dollars, 2 micro-units (half up)
        assert_eq!(parse_micros_of_cents("123.45"), Some(1_234_500));
        assert_eq!(parse_micros_of_cents("-5"), Some(-50_000));
        assert_eq!(parse_micros_of_cents(".00015"), Some(2));
        assert_eq!(parse_micros_of_cents("0.000149"), Some(1));
        assert_eq!(parse_micros_of_cents("1e2"), Some(1_000_000));
        for bad in ["", "-", "12x", "1.2.3"] {
            assert_eq!(parse_micros_of_cents(bad), None, "{bad}");
        }
    }

    #[test]
    fn periods_and_days() {
        assert_eq!(period_of("2026-10-01T00:00:00Z").as_deref(), Some("2026-10"));
        assert_eq!(period_of("202611").as_deref(), Some("2026-11"));
        assert_eq!(period_of("2026-13"), None);
        assert_eq!(period_of("Oct 2026"), None);
        assert_eq!(period_of_unix(1_730_419_200), "2024-11");
        let d = days_of_iso("2026-12-31T00:00:00Z").unwrap();
        assert_eq!(civil_from_days(d), (2026, 12, 31));
        assert_eq!(period_end_days("2026-12"), Some(days_from_civil(2027, 1, 1)));
        assert_eq!(period_end_days("2026-10"), Some(d - 60));
    }
}
