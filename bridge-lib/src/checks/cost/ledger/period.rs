//! The billing period of each ledger row, as polars expressions: the UTC month of a text time
//! (with its UTC offset applied) or of a Date or Datetime.

use polars::prelude::*;

/// The column [`with_period`] adds.
pub(super) const PERIOD: &str = "__period";

/// The column [`with_shift`] adds: how a text time's UTC offset moves its month (see there).
pub(super) const SHIFT: &str = "__shift";

/// Text times longer than this may carry a UTC offset (`2026-10-01T03:00:00Z` is 20 bytes):
/// only then is [`with_shift`] worth its per-row work.
pub(super) const PLAIN_TEXT_TIME: u32 = 20;

/// Adds [`SHIFT`] for text times with a UTC offset (`+05:30`, `-0500`, PostgreSQL's `+00`):
/// 0 when the UTC instant is in the same month as the text's; -1 when it is in the month
/// before (the 1st, before the offset); a day number 28-31 when the UTC instant is the next
/// day, which is the next month when that day is the month's last ([`resolve_shift`]).
pub(super) fn with_shift(lf: LazyFrame, time: &str) -> LazyFrame {
    let s = || col(time).cast(DataType::String).str();
    let num = |e: Expr| e.cast(DataType::Int32);
    let at = |off: i64, len: i64| s().slice(lit(off), lit(len));
    let sign_at = |off: i64| at(off, 1).eq(lit("+")).or(at(off, 1).eq(lit("-")));
    let long = s().len_bytes().gt_eq(lit(22u32)).and(at(10, 1).eq(lit("T")).or(at(10, 1).eq(lit(" "))));
    // +HH:MM, +HHMM, +HH, tried in that order
    let hh_mm = sign_at(-6).and(at(-3, 1).eq(lit(":")));
    let hhmm = sign_at(-5).and(num(at(-4, 4)).is_not_null());
    let hh = sign_at(-3).and(num(at(-2, 2)).is_not_null());
    let minutes = when(hh_mm.clone())
        .then(num(at(-5, 2)) * lit(60) + num(at(-2, 2)))
        .when(hhmm.clone())
        .then(num(at(-4, 2)) * lit(60) + num(at(-2, 2)))
        .when(hh.clone())
        .then(num(at(-2, 2)) * lit(60))
        .otherwise(lit(0));
    let sign =
        when(hh_mm.clone()).then(at(-6, 1)).when(hhmm).then(at(-5, 1)).when(hh).then(at(-3, 1)).otherwise(lit("+"));
    let offset = when(sign.eq(lit("-"))).then(lit(0) - minutes.clone()).otherwise(minutes);
    let utc = num(at(11, 2)) * lit(60) + num(at(14, 2)) - offset;
    let day = num(at(8, 2));
    let shift = when(long.clone().and(utc.clone().lt(lit(0))).and(day.clone().eq(lit(1))))
        .then(lit(-1))
        .when(long.and(utc.gt_eq(lit(1440))).and(day.clone().gt_eq(lit(28))))
        .then(day)
        .otherwise(lit(0));
    lf.with_column(shift.fill_null(lit(0)).alias(SHIFT))
}

/// The UTC month of a row grouped under `period` (`YYYY-MM`, the text's month) and `shift`.
pub(super) fn resolve_shift(period: &str, shift: i32) -> String {
    let Some((y, m)) = period.split_once('-').and_then(|(y, m)| Some((y.parse::<i64>().ok()?, m.parse::<u32>().ok()?)))
    else {
        return period.to_string();
    };
    let (y, m) = match shift {
        -1 if m == 1 => (y - 1, 12),
        -1 => (y, m - 1),
        d if d >= 28 => {
            let next = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            let last = crate::civil::days_from_civil(next.0, next.1, 1) - crate::civil::days_from_civil(y, m, 1);
            if i64::from(d) == last {
                next
            } else {
                (y, m)
            }
        }
        _ => (y, m),
    };
    format!("{y:04}-{m:02}")
}

/// The scan with a [`PERIOD`] column: the first 7 characters of text times (`2026-10`), or the
/// UTC month `year * 100 + month` of a Date or Datetime. The month is computed with integer
/// arithmetic in stages, Howard Hinnant's algorithm as in [`crate::civil::civil_from_days`]
/// (per-row `dt().year()`/`dt().month()` calendar calls took a quarter of the time on a
/// 10-million-row Parquet ledger). A timestamp casts to its day with integer division of its
/// UTC value, whatever its time zone: providers bill in UTC. `/` on integer expressions is
/// Rust's division, the floor for the non-negative operands here (any date from year 0 on).
pub(super) fn with_period(lf: LazyFrame, time: &str, text: bool) -> LazyFrame {
    if text {
        return lf.with_column(col(time).cast(DataType::String).str().slice(lit(0), lit(7)).alias(PERIOD));
    }
    let n = |v: i64| lit(v);
    let days = col(time).cast(DataType::Date).cast(DataType::Int32).cast(DataType::Int64);
    let (z, era, doe, yoe, doy, mp, m) =
        (col("__z"), col("__era"), col("__doe"), col("__yoe"), col("__doy"), col("__mp"), col("__m"));
    lf.with_column((days + n(719_468)).alias("__z"))
        .with_column((z.clone() / n(146_097)).alias("__era"))
        .with_column((z - era.clone() * n(146_097)).alias("__doe"))
        .with_column(
            ((doe.clone() - doe.clone() / n(1460) + doe.clone() / n(36_524) - doe.clone() / n(146_096)) / n(365))
                .alias("__yoe"),
        )
        .with_column((doe - (n(365) * yoe.clone() + yoe.clone() / n(4) - yoe.clone() / n(100))).alias("__doy"))
        .with_column(((n(5) * doy + n(2)) / n(153)).alias("__mp"))
        .with_column(when(mp.clone().lt(n(10))).then(mp.clone() + n(3)).otherwise(mp - n(9)).alias("__m"))
        .with_column(
            ((yoe + era * n(400) + when(m.clone().lt_eq(n(2))).then(n(1)).otherwise(n(0))) * n(100) + m).alias(PERIOD),
        )
}
