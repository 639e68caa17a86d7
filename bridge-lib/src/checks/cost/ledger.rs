//! The allocated side from CSV or Parquet ledger files, aggregated with polars (streaming
//! engine, one pass per file), and the per-tenant breakdown as a polars `DataFrame`.
//!
//! A ledger has one row per metered call: tenant, provider, model, time (UTC; ISO text in CSV,
//! a timestamp or text in Parquet) and cost (a non-negative number in the ledger currency).
//! Column names are configurable (`BRIDGE_COST_COL_*`). Costs are summed as integer
//! micro-units, so totals are exact.

use super::files::extension;
use super::model::{AllocatedRow, UnknownProvider};
use super::providers::merge_allocated;
use super::units::{period_of, to_units};
use crate::config::{CostConfig, LedgerColumns};
use crate::{Error, Result};
use polars::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Aggregates ledger files by tenant, provider, model and billing period.
pub fn aggregate_files(paths: &[PathBuf], c: &CostConfig) -> Result<(Vec<AllocatedRow>, Vec<UnknownProvider>)> {
    let mut raw = Vec::new();
    for path in paths {
        let at = format!("{}, column `{}`", path.display(), c.columns.provider);
        raw.extend(aggregate_file(path, &c.columns)?.into_iter().map(|r| (r, at.clone())));
    }
    Ok(merge_allocated(raw, &c.providers))
}

struct Source {
    /// The file in messages.
    name: String,
    /// The file polars reads (a decompressed copy of a `.csv.gz` or a zip's CSV).
    path: PathBuf,
    csv: bool,
}

impl Source {
    fn scan(&self, cols: Option<&LedgerColumns>) -> PolarsResult<LazyFrame> {
        let p = PlRefPath::from(self.path.to_string_lossy().as_ref());
        if self.csv {
            let r = LazyCsvReader::new(p).with_has_header(true);
            match cols {
                // every column as text, to find the row a value fails to parse in
                None => r.with_infer_schema_length(Some(0)).finish(),
                Some(k) => {
                    let mut s = Schema::default();
                    for t in [&k.tenant, &k.provider, &k.model, &k.time] {
                        s.with_column(t.as_str().into(), DataType::String);
                    }
                    s.with_column(k.cost.as_str().into(), DataType::Float64);
                    r.with_dtype_overwrite(Some(Arc::new(s))).finish()
                }
            }
        } else {
            LazyFrame::scan_parquet(p, ScanArgsParquet::default())
        }
    }

    fn location(&self, row: u64) -> String {
        if self.csv {
            format!("{}, line {}", self.name, row + 2)
        } else {
            format!("{}, row {}", self.name, row + 1)
        }
    }

    /// What polars could not read, located by the strict CSV reader: one short line naming
    /// the file, line and column, never polars' message (it can quote the rest of the file).
    fn error(&self, _polars: &PolarsError) -> Error {
        if self.csv {
            if let Ok(f) = std::fs::File::open(&self.path) {
                if let Err(e) = super::csv_text::diagnose(&self.name, std::io::BufReader::new(f)) {
                    return e;
                }
            }
        }
        Error::input(
            &self.name,
            format!("cannot read it as {}", if self.csv { "CSV" } else { "Parquet" }),
            "export the ledger again",
        )
    }

    /// The first row (0-based) where `pred` holds, with `column`'s value as text.
    fn first_row(&self, lf: LazyFrame, pred: Expr, column: &str) -> Option<(u64, String)> {
        let df = lf
            .with_row_index("__row", None)
            .filter(pred)
            .select([col("__row").cast(DataType::UInt64), col(column).cast(DataType::String)])
            .limit(1)
            .collect()
            .ok()?;
        let row = df.column("__row").ok()?.as_materialized_series().u64().ok()?.get(0)?;
        let value = df.column(column).ok()?.as_materialized_series().str().ok()?.get(0).unwrap_or("").to_string();
        Some((row, value))
    }
}

/// The column [`with_period`] adds.
const PERIOD: &str = "__period";

/// The scan with a [`PERIOD`] column: the first 7 characters of text times (`2026-10`), or the
/// UTC month `year * 100 + month` of a Date or Datetime. The month is computed with integer
/// arithmetic in stages, Howard Hinnant's algorithm as in [`crate::civil::civil_from_days`]
/// (per-row `dt().year()`/`dt().month()` calendar calls took a quarter of the time on a
/// 10-million-row Parquet ledger). A timestamp casts to its day with integer division of its
/// UTC value, whatever its time zone: providers bill in UTC. `/` on integer expressions is
/// Rust's division, the floor for the non-negative operands here (any date from year 0 on).
fn with_period(lf: LazyFrame, time: &str, text: bool) -> LazyFrame {
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

/// Aggregates one file. Errors name the file, the line or row, the column and the fix.
fn aggregate_file(path: &Path, k: &LedgerColumns) -> Result<Vec<AllocatedRow>> {
    let (src, time_is_text) = Source::open(path, k)?;
    let lf = with_period(src.scan(Some(k)).map_err(|e| src.error(&e))?, &k.time, time_is_text);
    let df = src.aggregate(lf.clone(), k)?;
    let a = Aggregate::of(&df, &src)?;
    a.check(&src, lf, k)?;
    Ok(a.rows())
}

impl Source {
    /// Checks the file's type, that it is not empty, and its columns and their types; returns
    /// the source and whether its times are text.
    fn open(path: &Path, k: &LedgerColumns) -> Result<(Source, bool)> {
        let name = path.display().to_string();
        let ext = extension(path);
        if !matches!(ext.as_str(), "csv" | "parquet" | "pq") {
            return Err(Error::input(
                &name,
                format!("unknown ledger type `.{ext}`"),
                "use .csv or .parquet ledger files in BRIDGE_ALLOCATED_FILES",
            ));
        }
        if crate::files::regular_file(path, u64::MAX, "the ledger")? == 0 {
            return Err(Error::input(&name, "the file is empty", "export the ledger again with a header and rows"));
        }
        let src = Source { name, path: path.to_path_buf(), csv: ext == "csv" };
        if src.csv {
            let f = std::fs::File::open(path)
                .map_err(|e| Error::input(&src.name, format!("cannot open it: {e}"), "check the path"))?;
            super::csv_text::check_header(&src.name, std::io::BufReader::new(f))?;
        }
        let schema = src.scan(None).and_then(|mut lf| lf.collect_schema()).map_err(|e| src.error(&e))?;
        let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
        for (var, want) in k.by_variable() {
            if !names.iter().any(|n| n == want) {
                let near = names
                    .iter()
                    .find(|n| n.eq_ignore_ascii_case(want))
                    .map(|n| format!(" (`{n}` differs only in case)"))
                    .unwrap_or_default();
                return Err(Error::input(
                    &src.name,
                    format!("no column `{want}`{near}; columns found: {}", names.join(", ")),
                    format!("rename the column to `{want}`, or set {var} to the column that holds it"),
                ));
            }
        }
        let time_is_text = src.csv || matches!(schema.get(&k.time), Some(DataType::String));
        if !src.csv {
            let ct = schema.get(&k.cost).cloned().unwrap_or(DataType::Null);
            if !ct.is_primitive_numeric() && !matches!(ct, DataType::Null) {
                return Err(Error::input(
                    &src.name,
                    format!("column `{}` is {ct}, not a number", k.cost),
                    "write the cost as a float or integer column",
                ));
            }
            let tt = schema.get(&k.time).cloned().unwrap_or(DataType::Null);
            if !time_is_text && !matches!(tt, DataType::Datetime(..) | DataType::Date) {
                return Err(Error::input(
                    &src.name,
                    format!("column `{}` is {tt}, not a timestamp", k.time),
                    "write the time as a UTC timestamp or ISO 8601 text",
                ));
            }
        }
        Ok((src, time_is_text))
    }

    /// The scan grouped by tenant, provider, model and period: cost in micro-units, rows, and
    /// the counts of empty and of negative or NaN costs. A cost that is not a number is an
    /// error naming its line; a file without rows is an error.
    fn aggregate(&self, lf: LazyFrame, k: &LedgerColumns) -> Result<DataFrame> {
        let cost = col(k.cost.as_str()).cast(DataType::Float64);
        let agg = lf
            .group_by([
                col(k.tenant.as_str()).cast(DataType::String).alias("tenant"),
                col(k.provider.as_str()).cast(DataType::String).alias("provider"),
                col(k.model.as_str()).cast(DataType::String).alias("model"),
                col(PERIOD).alias("period"),
            ])
            .agg([
                (cost.clone() * lit(1e6) + lit(0.5)).cast(DataType::Int64).sum().alias("micros"),
                len().cast(DataType::Int64).alias("events"),
                cost.clone().null_count().cast(DataType::Int64).alias("nulls"),
                (cost.clone().lt(lit(0.0)).or(cost.clone().is_nan())).sum().cast(DataType::Int64).alias("bad"),
            ])
            .with_column(col("period").cast(DataType::String));
        // the streaming engine keeps memory flat on large ledgers; a plan with one sink always
        // yields a single frame (`unwrap_single` only panics for plans with several sinks)
        // polars can panic on malformed CSV (a ragged row with a decimal comma): caught, and
        // located by the strict reader like any other read error
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            agg.collect_with_engine(Engine::Streaming).map(|r| r.unwrap_single())
        }));
        let df = match run {
            Ok(Ok(df)) => df,
            Err(_) => return Err(self.error(&PolarsError::NoData("panicked".into()))),
            Ok(Err(e)) => {
                // a value that does not parse as a number: find its line
                let text = self.scan(None).map_err(|e| self.error(&e))?;
                let pred =
                    col(k.cost.as_str()).is_not_null().and(col(k.cost.as_str()).cast(DataType::Float64).is_null());
                return Err(match self.first_row(text, pred, &k.cost) {
                    Some((row, v)) => Error::input(
                        format!("{}, column `{}`", self.location(row), k.cost),
                        format!("`{}` is not a number", super::csv_text::clip(&v)),
                        "write the cost as a plain decimal such as 0.0123",
                    ),
                    None => self.error(&e),
                });
            }
        };
        if df.height() == 0 {
            return Err(Error::input(
                &self.name,
                "the ledger has a header but no rows",
                "point BRIDGE_ALLOCATED_FILES at a ledger with usage",
            ));
        }
        Ok(df)
    }
}

/// The aggregate's columns.
struct Aggregate {
    tenant: Vec<Option<String>>,
    provider: Vec<Option<String>>,
    model: Vec<Option<String>>,
    period: Vec<Option<String>>,
    micros: Vec<i64>,
    events: Vec<i64>,
    nulls: Vec<i64>,
    bad: Vec<i64>,
}

impl Aggregate {
    fn of(df: &DataFrame, src: &Source) -> Result<Aggregate> {
        let err = |e: PolarsError| src.error(&e);
        let s = |n: &str| df.column(n).map(|c| c.as_materialized_series().clone()).map_err(err);
        let strs = |n: &str| {
            let x = s(n)?;
            x.str().map(|c| c.iter().map(|v| v.map(str::to_string)).collect::<Vec<_>>()).map_err(err)
        };
        let ints = |n: &str| {
            let x = s(n)?;
            x.i64().map(|c| c.iter().map(|v| v.unwrap_or(0)).collect::<Vec<_>>()).map_err(err)
        };
        Ok(Aggregate {
            tenant: strs("tenant")?,
            provider: strs("provider")?,
            model: strs("model")?,
            period: strs("period")?,
            micros: ints("micros")?,
            events: ints("events")?,
            nulls: ints("nulls")?,
            bad: ints("bad")?,
        })
    }

    /// Problems found in the aggregate (an empty tenant, provider or model, a time that is not
    /// a timestamp, an empty, negative or NaN cost), located in the file with a second,
    /// filtered scan.
    fn check(&self, src: &Source, lf: LazyFrame, k: &LedgerColumns) -> Result<()> {
        let locate = |pred: Expr, column: &str, reason: &str, fix: &str| -> Error {
            let loc = src
                .first_row(lf.clone(), pred, column)
                .map(|(row, v)| {
                    (
                        format!("{}, column `{column}`", src.location(row)),
                        format!("{reason} (found `{}`)", super::csv_text::clip(&v)),
                    )
                })
                .unwrap_or_else(|| (format!("{}, column `{column}`", src.name), reason.to_string()));
            Error::input(loc.0, loc.1, fix)
        };
        for (column, values) in [(&k.tenant, &self.tenant), (&k.provider, &self.provider), (&k.model, &self.model)] {
            if values.iter().any(Option::is_none) {
                return Err(locate(
                    col(column.as_str()).is_null(),
                    column,
                    "empty value",
                    "every ledger row needs a tenant, a provider and a model",
                ));
            }
        }
        if let Some(bad_period) = self.period.iter().find(|p| p.as_deref().and_then(period_of).is_none()) {
            let pred = match bad_period {
                None => col(k.time.as_str()).is_null(),
                Some(p) => col(PERIOD).cast(DataType::String).eq(lit(p.clone())),
            };
            return Err(locate(
                pred,
                &k.time,
                "not a UTC timestamp",
                "write times as ISO 8601 UTC, such as 2026-10-01T12:00:00Z",
            ));
        }
        if self.nulls.iter().any(|n| *n > 0) {
            return Err(locate(
                col(k.cost.as_str()).is_null(),
                &k.cost,
                "empty cost",
                "write a cost on every row (0 for free calls)",
            ));
        }
        if self.bad.iter().any(|n| *n > 0) {
            let cost = col(k.cost.as_str()).cast(DataType::Float64);
            return Err(locate(
                cost.clone().lt(lit(0.0)).or(cost.is_nan()),
                &k.cost,
                "negative or NaN cost",
                "allocated costs are never negative: fix the metering that wrote it, or drop the row",
            ));
        }
        Ok(())
    }

    fn rows(self) -> Vec<AllocatedRow> {
        (0..self.micros.len())
            .map(|i| AllocatedRow {
                tenant: self.tenant[i].clone().unwrap_or_default(),
                provider: self.provider[i].clone().unwrap_or_default(),
                model: self.model[i].clone().unwrap_or_default(),
                period: self.period[i].as_deref().and_then(period_of).unwrap_or_default(),
                micros: self.micros[i],
                events: self.events[i] as u64,
            })
            .collect()
    }
}

/// The per-tenant breakdown as a polars `DataFrame` (tenant, provider, model, period, cost,
/// events), for the notebook's charts and joins.
pub fn breakdown_frame(rows: &[AllocatedRow]) -> Result<DataFrame> {
    let text = |f: fn(&AllocatedRow) -> &str| rows.iter().map(f).collect::<Vec<_>>();
    df!(
        "tenant" => text(|r| &r.tenant),
        "provider" => text(|r| &r.provider),
        "model" => text(|r| &r.model),
        "period" => text(|r| &r.period),
        "cost" => rows.iter().map(|r| to_units(r.micros)).collect::<Vec<_>>(),
        "events" => rows.iter().map(|r| r.events).collect::<Vec<_>>(),
    )
    .map_err(|e| Error::input("the per-tenant breakdown", e.to_string(), "report this as a bug"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    const HEADER: &str = "tenant_id,provider,model,occurred_at,cost_usd\n";

    #[test]
    fn csv_and_parquet_ledgers_aggregate_exactly() {
        let dir = std::env::temp_dir().join(format!("bridge-ledger-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = write(
            &dir,
            "l.csv",
            &format!("{HEADER}acme,OpenAI,gpt,2026-10-01T00:00:00Z,0.1\nacme,openai,gpt,2026-10-31T23:59:59Z,0.2\nbeta,anthropic,c,2026-11-02T00:00:00Z,1\n"),
        );
        let mut pq = df!("tenant_id" => ["acme"], "provider" => ["openai"], "model" => ["gpt"],
                         "occurred_at" => ["2026-10-05T00:00:00Z"], "cost_usd" => [0.7f64])
        .unwrap();
        let pq_path = dir.join("l.parquet");
        ParquetWriter::new(std::fs::File::create(&pq_path).unwrap()).finish(&mut pq).unwrap();
        let (rows, unknown) = aggregate_files(&[csv, pq_path], &CostConfig::default()).unwrap();
        assert!(unknown.is_empty());
        let acme = rows.iter().find(|r| r.tenant == "acme").unwrap();
        assert_eq!(
            (acme.provider.as_str(), acme.period.as_str(), acme.micros, acme.events),
            ("openai", "2026-10", 1_000_000, 3)
        );
        assert_eq!(rows.len(), 2);
        let frame = breakdown_frame(&rows).unwrap();
        assert_eq!(frame.shape(), (2, 6));

        // timestamps and dates: the month of each instant, the last microsecond of October
        // included
        let oct_end = crate::civil::days_from_civil(2026, 11, 1) * 86_400_000_000 - 1;
        let times = Series::new("occurred_at".into(), [oct_end, oct_end + 1])
            .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
            .unwrap();
        let days = Series::new("occurred_at".into(), [crate::civil::days_from_civil(2026, 10, 31) as i32])
            .cast(&DataType::Date)
            .unwrap();
        for (name, time) in [("ts.parquet", times), ("date.parquet", days)] {
            let n = time.len();
            let mut pq = DataFrame::new_infer_height(vec![
                Series::new("tenant_id".into(), vec!["acme"; n]).into(),
                Series::new("provider".into(), vec!["openai"; n]).into(),
                Series::new("model".into(), vec!["gpt"; n]).into(),
                time.into(),
                Series::new("cost_usd".into(), vec![1.0f64; n]).into(),
            ])
            .unwrap();
            let path = dir.join(name);
            ParquetWriter::new(std::fs::File::create(&path).unwrap()).finish(&mut pq).unwrap();
            let (rows, _) = aggregate_files(&[path], &CostConfig::default()).unwrap();
            let months: Vec<&str> = rows.iter().map(|r| r.period.as_str()).collect();
            let want: &[&str] = if n == 2 { &["2026-10", "2026-11"] } else { &["2026-10"] };
            assert_eq!(months, want, "{name}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_month_expression_agrees_with_the_civil_calendar() {
        let days: Vec<i64> = (-719_468..3_000_000).step_by(7).chain(-3..3).collect();
        let df = DataFrame::new_infer_height(vec![Series::new("t".into(), &days)
            .cast(&DataType::Int32)
            .unwrap()
            .cast(&DataType::Date)
            .unwrap()
            .into()])
        .unwrap();
        let out = with_period(df.lazy(), "t", false).select([col(PERIOD)]).collect().unwrap();
        let got = out.column(PERIOD).unwrap().as_materialized_series().i64().unwrap().to_vec();
        for (d, m) in days.iter().zip(got) {
            let (y, mo, _) = crate::civil::civil_from_days(*d);
            assert_eq!(m, Some(y * 100 + i64::from(mo)), "day {d}");
        }
    }

    #[test]
    fn bad_ledgers_name_file_line_and_column() {
        let dir = std::env::temp_dir().join(format!("bridge-ledger-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let c = CostConfig::default();
        let cases = [
            ("empty.csv", String::new(), "the file is empty"),
            ("header.csv", HEADER.to_string(), "no rows"),
            (
                "misnamed.csv",
                "tenant,provider,model,occurred_at,cost_usd\na,openai,m,2026-10-01,1\n".into(),
                "no column `tenant_id`",
            ),
            (
                "type.csv",
                format!("{HEADER}a,openai,m,2026-10-01,1\na,openai,m,2026-10-01,abc\n"),
                "line 3, column `cost_usd`",
            ),
            (
                "negative.csv",
                format!("{HEADER}a,openai,m,2026-10-01,1\na,openai,m,2026-10-01,-2\n"),
                "line 3, column `cost_usd`: negative",
            ),
            ("nan.csv", format!("{HEADER}a,openai,m,2026-10-01,NaN\n"), "line 2, column `cost_usd`: negative or NaN"),
            ("nullcost.csv", format!("{HEADER}a,openai,m,2026-10-01,\n"), "empty cost"),
            ("time.csv", format!("{HEADER}a,openai,m,yesterday,1\n"), "line 2, column `occurred_at`"),
        ];
        for (name, body, want) in cases {
            let p = write(&dir, name, &body);
            let e = aggregate_files(&[p], &c).unwrap_err().to_string();
            assert!(e.contains(name) && e.contains(want) && e.contains("fix:"), "{name}: {e}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
