//! The allocated side from CSV or Parquet ledger files, aggregated with polars (streaming
//! engine, one pass per file), and the per-tenant breakdown as a polars `DataFrame`.
//!
//! A ledger has one row per metered call: tenant, provider, model, time (ISO text in CSV, a
//! timestamp or text in Parquet; a text time's UTC offset is applied before its month is taken)
//! and cost (a non-negative number in the ledger currency). Column names are configurable
//! (`BRIDGE_COST_COL_*`). Costs are summed as integer nano-units (exact for up to 9 decimals)
//! and rounded to micro-units once per tenant, provider, model and month. A `.csv.gz` or a
//! `.zip` of CSVs is decompressed (bounded) to temporary files first. A CSV is checked by the
//! strict reader ([`super::csv_text`]) for its header first, and for whatever polars could not
//! read (polars' own message, which can quote the file, is never passed on).

use super::files::{extension, kind};
use super::model::{AllocatedRow, UnknownProvider};
use super::providers::merge_allocated;
use super::units::{period_of, to_units};
use crate::config::{CostConfig, LedgerColumns};
use crate::{Error, Result};
use polars::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod period;
use period::{resolve_shift, with_period, with_shift, PERIOD, PLAIN_TEXT_TIME, SHIFT};

/// The most a compressed ledger (`.csv.gz`, `.zip`) may decompress to, each.
const LEDGER_CAP: u64 = 2048 * crate::files::MIB;

/// Aggregates ledger files by tenant, provider, model and billing period.
pub fn aggregate_files(paths: &[PathBuf], c: &CostConfig) -> Result<(Vec<AllocatedRow>, Vec<UnknownProvider>)> {
    let mut raw = Vec::new();
    for path in paths {
        let unpacked = Unpacked::of(path)?;
        for (name, file) in &unpacked.files {
            let at = format!("{name}, column `{}`", c.columns.provider);
            raw.extend(aggregate_file(name, file, &c.columns)?.into_iter().map(|r| (r, at.clone())));
        }
    }
    Ok(merge_allocated(raw, &c.providers))
}

/// A ledger file as files polars can scan: itself, or the CSVs of a `.csv.gz` or `.zip`
/// decompressed (at most [`LEDGER_CAP`] each) into temporary files, removed on drop.
struct Unpacked {
    /// Each file's name in messages and its path.
    files: Vec<(String, PathBuf)>,
    temporary: Vec<PathBuf>,
}

impl Unpacked {
    fn of(path: &Path) -> Result<Unpacked> {
        let name = path.display().to_string();
        if !matches!(kind(path).as_str(), "csv.gz" | "zip") {
            return Ok(Unpacked { files: vec![(name, path.to_path_buf())], temporary: Vec::new() });
        }
        let mut u = Unpacked { files: Vec::new(), temporary: Vec::new() };
        for (i, m) in super::files::read_csvs(path, LEDGER_CAP, "the ledger")?.into_iter().enumerate() {
            static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let tmp = std::env::temp_dir().join(format!("bridge-ledger-{}-{n}-{i}.csv", std::process::id()));
            u.temporary.push(tmp.clone());
            std::fs::write(&tmp, &m.bytes).map_err(|e| {
                Error::input(
                    &m.name,
                    format!("cannot decompress it to {}: {e}", tmp.display()),
                    "free disk space, or unpack it and list the CSV",
                )
            })?;
            u.files.push((m.name, tmp));
        }
        Ok(u)
    }
}

impl Drop for Unpacked {
    fn drop(&mut self) {
        for t in &self.temporary {
            let _ = std::fs::remove_file(t);
        }
    }
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

    /// The first problem the strict CSV reader finds in the file, if any.
    fn diagnosed(&self) -> Option<Error> {
        let f = std::fs::File::open(&self.path).ok().filter(|_| self.csv)?;
        super::csv_text::diagnose(&self.name, std::io::BufReader::new(f)).err()
    }

    /// What polars could not read, located by the strict CSV reader: one short line naming
    /// the file, line and column, never polars' message (it can quote the rest of the file).
    fn error(&self, _polars: &PolarsError) -> Error {
        if let Some(e) = self.diagnosed() {
            return e;
        }
        Error::input(
            &self.name,
            format!("cannot read it as {}", if self.csv { "CSV" } else { "Parquet" }),
            "export the ledger again",
        )
    }

    /// The first row (0-based) where `pred` holds, with `column`'s value as text.
    fn first_row(&self, lf: LazyFrame, pred: Expr, column: &str) -> Option<(u64, String)> {
        let df = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lf.with_row_index("__row", None)
                .filter(pred)
                .select([col("__row").cast(DataType::UInt64), col(column).cast(DataType::String)])
                .limit(1)
                .collect()
        }))
        .ok()?
        .ok()?;
        if df.height() == 0 {
            return None;
        }
        let row = df.column("__row").ok()?.as_materialized_series().u64().ok()?.get(0)?;
        let value = df.column(column).ok()?.as_materialized_series().str().ok()?.get(0).unwrap_or("").to_string();
        Some((row, value))
    }
}

/// Aggregates one file. Errors name the file, the line or row, the column and the fix.
/// Text times that may carry a UTC offset (longer than `…T03:00:00Z`) are aggregated a second
/// time with [`with_shift`], so the plain case pays only a length per row.
fn aggregate_file(name: &str, path: &Path, k: &LedgerColumns) -> Result<Vec<AllocatedRow>> {
    let (src, time_is_text) = Source::open(name, path, k)?;
    let lf = with_period(src.scan(Some(k)).map_err(|e| src.error(&e))?, &k.time, time_is_text);
    let mut df = src.aggregate(lf.clone(), k, time_is_text, false)?;
    let longest = df.column("longest").ok().and_then(|c| c.as_materialized_series().max::<u32>().ok().flatten());
    if longest.is_some_and(|l| l > PLAIN_TEXT_TIME) {
        df = src.aggregate(with_shift(lf.clone(), &k.time), k, false, true)?;
    }
    let a = Aggregate::of(&df, &src)?;
    a.check(&src, lf, k)?;
    Ok(a.rows())
}

impl Source {
    /// Checks the file's type, that it is not empty, and its columns and their types; returns
    /// the source and whether its times are text.
    fn open(name: &str, path: &Path, k: &LedgerColumns) -> Result<(Source, bool)> {
        let name = name.to_string();
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
    fn aggregate(&self, lf: LazyFrame, k: &LedgerColumns, longest: bool, shifted: bool) -> Result<DataFrame> {
        let cost = col(k.cost.as_str()).cast(DataType::Float64);
        let mut keys = vec![
            col(k.tenant.as_str()).cast(DataType::String).alias("tenant"),
            col(k.provider.as_str()).cast(DataType::String).alias("provider"),
            col(k.model.as_str()).cast(DataType::String).alias("model"),
            col(PERIOD).alias("period"),
        ];
        if shifted {
            keys.push(col(SHIFT).cast(DataType::Int64).alias("shift"));
        }
        // nano-units per row: exact for costs of up to 9 decimals (per-token prices have 7-8),
        // summed as integers and rounded to micro-units once per group (`Aggregate::rows`)
        let mut aggs = vec![
            (cost.clone() * lit(1e9) + lit(0.5)).cast(DataType::Int64).sum().alias("nanos"),
            len().cast(DataType::Int64).alias("events"),
            cost.clone().null_count().cast(DataType::Int64).alias("nulls"),
            (cost.clone().lt(lit(0.0)).or(cost.clone().is_nan())).sum().cast(DataType::Int64).alias("bad"),
        ];
        if longest {
            aggs.push(col(k.time.as_str()).cast(DataType::String).str().len_bytes().max().alias("longest"));
        }
        let agg = lf.group_by(keys).agg(aggs).with_column(col("period").cast(DataType::String));
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
                // a malformed file (the strict reader locates it), else a value that does not
                // parse as a number: find its line
                if let Some(structural) = self.diagnosed() {
                    return Err(structural);
                }
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
    nanos: Vec<i64>,
    shift: Vec<i64>,
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
            nanos: ints("nanos")?,
            shift: if df.column("shift").is_ok() { ints("shift")? } else { vec![0; df.height()] },
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

    /// The rows, each in its UTC month, nano-units rounded to micro-units once per tenant,
    /// provider, model and month (half up; costs are never negative here).
    fn rows(self) -> Vec<AllocatedRow> {
        let mut by: std::collections::BTreeMap<(String, String, String, String), (i64, i64)> = Default::default();
        for i in 0..self.nanos.len() {
            let text = |v: &Option<String>| v.clone().unwrap_or_default();
            let period = self.period[i].as_deref().and_then(period_of).unwrap_or_default();
            let period = resolve_shift(&period, i32::try_from(self.shift[i]).unwrap_or(0));
            let e =
                by.entry((text(&self.tenant[i]), text(&self.provider[i]), text(&self.model[i]), period)).or_default();
            e.0 += self.nanos[i];
            e.1 += self.events[i];
        }
        by.into_iter()
            .map(|((tenant, provider, model, period), (nanos, events))| AllocatedRow {
                tenant,
                provider,
                model,
                period,
                micros: (nanos + 500).div_euclid(1000),
                events: events as u64,
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
mod tests;
