//! The billed side: provider exports read into canonical [`BilledLine`]s.
//!
//! Four formats, told apart by extension and columns:
//! - plain invoice CSV: `provider, billing_period, billed_cost, currency` (optional
//!   `line_item`/`description`, `charge_category`, `period_status`, `invoice_id`);
//! - FinOps FOCUS, CSV or Parquet: `BilledCost` by `BillingPeriodStart` and `ProviderName` or
//!   `ServiceProviderName`, in `BillingCurrency` (optional `ChargeCategory`,
//!   `ChargeDescription`, `BillingPeriodStatus`); lenient on case, E-notation and time formats;
//! - OpenAI `GET /organization/costs` JSON: daily buckets, `amount.value` a float in major units;
//! - Anthropic `GET /v1/organizations/cost_report` JSON: `amount` a decimal string in cents.
//!
//! Every bad value is an [`Error::Input`] naming the file, the line or row, the column and the
//! fix. CSV locations are file lines (the header is line 1); Parquet locations are data rows.

use super::units::{days_of_iso, parse_micros, period_end_days, period_of, period_of_unix};
use super::{normalize_provider, BilledLine, UnknownProvider};
use crate::config::CostConfig;
use crate::{Error, Result};
use polars::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const INVOICE_COLUMNS: &str = "provider, billing_period, billed_cost, currency";
const FOCUS_COLUMNS: &str = "BilledCost, BillingPeriodStart, ProviderName (or ServiceProviderName), BillingCurrency";

/// Reads one export; returns its lines and the unknown provider names it names.
pub fn read(path: &Path, c: &CostConfig) -> Result<(Vec<BilledLine>, Vec<UnknownProvider>)> {
    let name = path.display().to_string();
    let lines = match extension(path).as_str() {
        "json" => {
            let text = crate::files::read_bounded_text(path, 256 * crate::files::MIB, "the cost export")?;
            read_json(&name, &text)?
        }
        "csv" | "parquet" | "pq" => read_tabular(&name, &read_table(path)?)?,
        other => {
            return Err(input(
                &name,
                format!("unknown export type `.{other}`"),
                "use an invoice or FOCUS .csv/.parquet, or an OpenAI/Anthropic cost .json",
            ))
        }
    };
    let mut unknown = Vec::new();
    let lines = lines
        .into_iter()
        .map(|mut l| {
            let (p, known) = normalize_provider(&l.provider, &c.providers);
            if !known {
                unknown.push(UnknownProvider { name: l.provider.clone(), location: format!("{name}, {}", l.location) });
            }
            l.provider = p;
            l
        })
        .collect();
    Ok((lines, unknown))
}

pub(crate) fn extension(path: &Path) -> String {
    path.extension().and_then(|e| e.to_str()).unwrap_or("").to_lowercase()
}

pub(crate) fn input(location: &str, reason: impl Into<String>, fix: impl Into<String>) -> Error {
    Error::Input { location: location.to_string(), reason: reason.into(), fix: fix.into() }
}

/// A small table with every value as text, and how to name its rows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column names as written.
    pub names: Vec<String>,
    /// Columns of values.
    pub columns: Vec<Vec<Option<String>>>,
    /// True for CSV (rows are named by file line), false for Parquet (by data row).
    pub csv: bool,
}

impl Table {
    fn rows(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }
    fn location(&self, row: usize) -> String {
        if self.csv {
            format!("line {}", row + 2)
        } else {
            format!("row {}", row + 1)
        }
    }
    /// The column whose name matches one of `wanted`, ignoring case, `_` and spaces.
    fn find(&self, wanted: &[&str]) -> Option<usize> {
        let squash = |s: &str| s.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_lowercase();
        wanted.iter().find_map(|w| self.names.iter().position(|n| squash(n) == squash(w)))
    }
    fn get(&self, col: Option<usize>, row: usize) -> &str {
        col.and_then(|c| self.columns[c][row].as_deref()).unwrap_or("").trim()
    }
}

/// Reads a CSV (every column as text) or a Parquet file (every column cast to text).
pub fn read_table(path: &Path) -> Result<Table> {
    let name = path.display().to_string();
    if crate::files::regular_file(path, 4096 * crate::files::MIB, "the cost export")? == 0 {
        return Err(input(&name, "the file is empty", "export it again; a valid export has a header and rows"));
    }
    let csv = extension(path) == "csv";
    let ppath = PlRefPath::from(name.as_str());
    let lf = if csv {
        LazyCsvReader::new(ppath).with_has_header(true).with_infer_schema_length(Some(0)).finish()
    } else {
        LazyFrame::scan_parquet(ppath, ScanArgsParquet::default())
    };
    let df = lf.and_then(LazyFrame::collect).map_err(|e| {
        input(&name, format!("cannot read it as {}: {e}", if csv { "CSV" } else { "Parquet" }), "export it again")
    })?;
    let mut t = Table { csv, ..Table::default() };
    for col in df.columns() {
        let s = col
            .cast(&DataType::String)
            .map_err(|e| input(&name, format!("column `{}`: {e}", col.name()), "export it again"))?;
        let s = s.str().map_err(|e| input(&name, e.to_string(), "export it again"))?;
        t.names.push(col.name().to_string());
        t.columns.push(s.iter().map(|v| v.map(str::to_string)).collect());
    }
    if t.rows() == 0 {
        return Err(input(&name, "the file has a header but no rows", "export a billing period that has charges"));
    }
    Ok(t)
}

/// Which columns of a tabular export hold what.
struct Columns {
    provider: usize,
    period: usize,
    cost: usize,
    currency: usize,
    category: Option<usize>,
    description: Option<usize>,
    status: Option<usize>,
}

/// Turns an invoice or FOCUS table into lines.
pub fn read_tabular(name: &str, t: &Table) -> Result<Vec<BilledLine>> {
    let focus = t.find(&["BillingPeriodStart"]).is_some()
        || (t.find(&["BilledCost"]).is_some() && t.find(&["billing_period"]).is_none());
    let (need, format): (&[(&str, &[&str])], &str) = if focus {
        (
            &[
                ("BilledCost", &["BilledCost"]),
                ("BillingPeriodStart", &["BillingPeriodStart"]),
                ("ProviderName", &["ServiceProviderName", "ProviderName"]),
                ("BillingCurrency", &["BillingCurrency"]),
            ],
            FOCUS_COLUMNS,
        )
    } else {
        (
            &[
                ("billed_cost", &["billed_cost"]),
                ("billing_period", &["billing_period"]),
                ("provider", &["provider"]),
                ("currency", &["currency"]),
            ],
            INVOICE_COLUMNS,
        )
    };
    let mut found = Vec::new();
    for (label, names) in need {
        found.push(t.find(names).ok_or_else(|| {
            input(
                name,
                format!("no column `{label}` (columns found: {})", t.names.join(", ")),
                format!(
                    "rename the column to `{label}`; a {} export needs {format}",
                    if focus { "FOCUS" } else { "plain invoice CSV" }
                ),
            )
        })?);
    }
    let cols = Columns {
        cost: found[0],
        period: found[1],
        provider: found[2],
        currency: found[3],
        category: t.find(&["ChargeCategory", "charge_category", "category"]),
        description: t.find(&["ChargeDescription", "line_item", "description"]),
        status: t.find(&["BillingPeriodStatus", "period_status", "status"]),
    };
    (0..t.rows()).map(|row| tabular_line(name, t, &cols, row)).collect()
}

fn tabular_line(name: &str, t: &Table, c: &Columns, row: usize) -> Result<BilledLine> {
    let loc = t.location(row);
    let at = |col: usize| format!("{name}, {loc}, column `{}`", t.names[col]);
    let provider = t.get(Some(c.provider), row);
    if provider.is_empty() {
        return Err(input(
            &at(c.provider),
            "the provider is empty",
            "write the provider's name (openai, anthropic, pinecone)",
        ));
    }
    let raw_period = t.get(Some(c.period), row);
    let period = period_of(raw_period).ok_or_else(|| {
        input(
            &at(c.period),
            format!("`{raw_period}` is not a billing period"),
            "write the month as YYYY-MM or the period start as YYYY-MM-DDT00:00:00Z",
        )
    })?;
    let raw_cost = t.get(Some(c.cost), row);
    let micros = parse_micros(raw_cost).ok_or_else(|| {
        input(
            &at(c.cost),
            format!("`{raw_cost}` is not a number"),
            "write a plain decimal such as 12.34 (no currency symbol, no thousands separator)",
        )
    })?;
    let category = match t.get(c.category, row).to_lowercase() {
        s if s.is_empty() => "usage".to_string(),
        s => s,
    };
    if micros < 0 && !matches!(category.as_str(), "credit" | "adjustment" | "refund") {
        return Err(input(
            &at(c.cost),
            format!("negative amount {raw_cost} on a `{category}` line"),
            "mark credits and refunds with charge category `credit`, or fix the amount",
        ));
    }
    let currency = t.get(Some(c.currency), row).to_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(input(
            &at(c.currency),
            format!("`{currency}` is not an ISO 4217 currency code"),
            "write a code such as USD",
        ));
    }
    let status = t.get(c.status, row).to_lowercase();
    let identity = (0..t.names.len()).map(|col| t.get(Some(col), row)).collect::<Vec<_>>().join("\u{1f}");
    Ok(BilledLine {
        source: name.to_string(),
        location: loc,
        provider: provider.to_string(),
        period,
        micros,
        currency,
        category,
        description: t.get(c.description, row).to_string(),
        open: matches!(status.as_str(), "open" | "estimated" | "pending" | "provisional" | "draft" | "preliminary"),
        identity,
        more_pages: false,
    })
}

/// Reads an OpenAI organization costs or Anthropic cost report JSON export.
pub fn read_json(name: &str, text: &str) -> Result<Vec<BilledLine>> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        input(
            name,
            format!("not valid JSON: {e}"),
            "save the API response body as-is (GET /v1/organization/costs or /v1/organizations/cost_report)",
        )
    })?;
    let buckets = v.get("data").and_then(Value::as_array).ok_or_else(|| {
        input(name, "no `data` array of cost buckets", "save the whole API response, which has `data: [buckets…]`")
    })?;
    if buckets.is_empty() {
        return Err(input(
            name,
            "the export is empty (no cost buckets)",
            "request a range that has costs (start_time/starting_at)",
        ));
    }
    let openai = buckets[0].get("start_time").is_some();
    if !openai && buckets[0].get("starting_at").is_none() {
        return Err(input(
            &format!("{name}, data[0]"),
            "the bucket has neither `start_time` (OpenAI) nor `starting_at` (Anthropic)",
            "save the body of OpenAI's /v1/organization/costs or Anthropic's /v1/organizations/cost_report",
        ));
    }
    let mut lines = Vec::new();
    // the last day each period's buckets reach: a period whose buckets stop early is open
    let mut reach: BTreeMap<String, i64> = BTreeMap::new();
    for (i, b) in buckets.iter().enumerate() {
        let at = format!("data[{i}]");
        let (start_days, end_days) = if openai {
            let secs = |k: &str| b.get(k).and_then(|x| x.as_i64().or_else(|| x.as_str()?.parse().ok()));
            let start = secs("start_time").ok_or_else(|| {
                input(
                    &format!("{name}, {at}"),
                    "`start_time` is not a Unix time",
                    "keep the API's start_time as seconds",
                )
            })?;
            (start.div_euclid(86_400), secs("end_time").unwrap_or(start + 86_400).div_euclid(86_400))
        } else {
            let day = |k: &str| b.get(k).and_then(Value::as_str).and_then(days_of_iso);
            let start = day("starting_at").ok_or_else(|| {
                input(
                    &format!("{name}, {at}"),
                    "`starting_at` is not an RFC 3339 time",
                    "keep the API's starting_at as written",
                )
            })?;
            (start, day("ending_at").unwrap_or(start + 1))
        };
        let period = period_of_unix(start_days * 86_400);
        let e = reach.entry(period.clone()).or_insert(end_days);
        *e = (*e).max(end_days);
        let results =
            b.get("results").or_else(|| b.get("result")).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        for (j, r) in results.iter().enumerate() {
            let loc = format!("{at}.results[{j}]");
            let line = if openai { openai_line(name, &loc, r)? } else { anthropic_line(name, &loc, r)? };
            let identity = format!("{start_days}|{r}");
            lines.push(BilledLine { period: period.clone(), identity, ..line });
        }
    }
    if lines.is_empty() {
        return Err(input(name, "the export has buckets but no cost lines", "request a range that has costs"));
    }
    let more_pages = v.get("has_more").and_then(Value::as_bool).unwrap_or(false);
    for l in &mut lines {
        l.more_pages = more_pages;
        l.open = match (reach.get(&l.period), period_end_days(&l.period)) {
            (Some(r), Some(end)) => *r < end,
            _ => true,
        };
    }
    Ok(lines)
}

fn json_line(
    name: &str,
    loc: &str,
    provider: &str,
    micros: i64,
    currency: &str,
    description: String,
) -> Result<BilledLine> {
    let currency = currency.to_uppercase();
    if currency.len() != 3 {
        return Err(input(
            &format!("{name}, {loc}, field `currency`"),
            format!("`{currency}` is not a currency code"),
            "keep the API's currency (usd, USD)",
        ));
    }
    Ok(BilledLine {
        source: name.to_string(),
        location: loc.to_string(),
        provider: provider.to_string(),
        period: String::new(),
        micros,
        currency,
        category: if micros < 0 { "credit".into() } else { "usage".into() },
        description,
        open: false,
        identity: String::new(),
        more_pages: false,
    })
}

fn openai_line(name: &str, loc: &str, r: &Value) -> Result<BilledLine> {
    let amount = r.get("amount");
    let micros = amount
        .and_then(|a| a.get("value"))
        .and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok()))
        .and_then(super::units::micros_from_f64)
        .ok_or_else(|| {
            input(
                &format!("{name}, {loc}, field `amount.value`"),
                "missing or not a number",
                "keep the API's amount: {\"value\": 0.06, \"currency\": \"usd\"}",
            )
        })?;
    let currency = amount.and_then(|a| a.get("currency")).and_then(Value::as_str).unwrap_or("usd");
    let text = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let description =
        [text("line_item"), text("project_id")].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
    json_line(name, loc, "openai", micros, currency, description)
}

fn anthropic_line(name: &str, loc: &str, r: &Value) -> Result<BilledLine> {
    let raw =
        r.get("amount").map(|a| a.as_str().map(str::to_string).unwrap_or_else(|| a.to_string())).unwrap_or_default();
    let cents = parse_micros(&raw).ok_or_else(|| {
        input(
            &format!("{name}, {loc}, field `amount`"),
            format!("`{raw}` is not a decimal string"),
            "keep the API's amount, a decimal string in cents such as \"123.45\"",
        )
    })?;
    // the amount is in cents: micro-cents / 100, rounded half away from zero
    let micros = (cents + cents.signum() * 50) / 100;
    let currency = r.get("currency").and_then(Value::as_str).unwrap_or("USD");
    let text = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let description =
        [text("description"), text("workspace_id")].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
    json_line(name, loc, "anthropic", micros, currency, description)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(csv: &str) -> Table {
        let mut lines = csv.lines();
        let names: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
        let mut columns = vec![Vec::new(); names.len()];
        for l in lines {
            for (i, v) in l.split(',').enumerate() {
                columns[i].push(Some(v.to_string()));
            }
        }
        Table { names, columns, csv: true }
    }

    #[test]
    fn invoice_rows_become_lines() {
        let t = table(
            "provider,billing_period,billed_cost,currency,charge_category,line_item,period_status\n\
                       Pinecone Systems,2026-10,26.10,usd,usage,Serverless reads,final\n\
                       pinecone,2026-10-01,23.90,USD,minimum,Monthly minimum,open",
        );
        let l = read_tabular("inv.csv", &t).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!((l[0].micros, l[0].currency.as_str(), l[0].open), (26_100_000, "USD", false));
        assert_eq!((l[1].category.as_str(), l[1].period.as_str(), l[1].open), ("minimum", "2026-10", true));
        assert_eq!(l[1].location, "line 3");
    }

    #[test]
    fn focus_accepts_either_provider_column_and_e_notation() {
        for provider_col in ["ProviderName", "ServiceProviderName"] {
            let t = table(&format!(
                "BilledCost,BillingPeriodStart,{provider_col},BillingCurrency,ChargeCategory,x_Custom\n\
                 1.5E1,2026-11-01T00:00:00Z,OpenAI,USD,Usage,kept\n2,2026-11-01 00:00:00,OpenAI,USD,Tax,"
            ));
            let l = read_tabular("focus.csv", &t).unwrap();
            assert_eq!((l[0].micros, l[1].category.as_str()), (15_000_000, "tax"));
        }
    }

    #[test]
    fn bad_values_name_file_line_and_column() {
        let cases = [
            (
                "provider,billing_period,billed_amount,currency\nopenai,2026-10,1,USD",
                "no column `billed_cost`",
                "billed_amount",
            ),
            (
                "provider,billing_period,billed_cost,currency\nopenai,2026-10,abc,USD",
                "line 2, column `billed_cost`",
                "not a number",
            ),
            (
                "provider,billing_period,billed_cost,currency\nopenai,2026-10,NaN,USD",
                "line 2, column `billed_cost`",
                "not a number",
            ),
            (
                "provider,billing_period,billed_cost,currency\nopenai,2026-10,-5,USD",
                "line 2, column `billed_cost`",
                "negative",
            ),
            (
                "provider,billing_period,billed_cost,currency\nopenai,Oct 2026,5,USD",
                "column `billing_period`",
                "not a billing period",
            ),
            ("provider,billing_period,billed_cost,currency\n,2026-10,5,USD", "column `provider`", "empty"),
            ("provider,billing_period,billed_cost,currency\nopenai,2026-10,5,$", "column `currency`", "ISO 4217"),
        ];
        for (csv, where_, what) in cases {
            let e = read_tabular("inv.csv", &table(csv)).unwrap_err().to_string();
            assert!(e.starts_with("inv.csv") && e.contains(where_) && e.contains(what) && e.contains("fix:"), "{e}");
        }
    }

    #[test]
    fn openai_and_anthropic_json() {
        let openai = r#"{"object":"page","data":[{"object":"bucket","start_time":1793491200,"end_time":1793577600,
            "results":[{"object":"organization.costs.result","amount":{"value":0.06,"currency":"usd"},"line_item":null,"project_id":null}]}],
            "has_more":false}"#;
        let l = read_json("o.json", openai).unwrap();
        assert_eq!(
            (l[0].provider.as_str(), l[0].period.as_str(), l[0].micros, l[0].currency.as_str()),
            ("openai", "2026-11", 60_000, "USD")
        );
        assert!(l[0].open, "one day of November does not close the period");
        let anthropic = r#"{"data":[{"starting_at":"2026-10-31T00:00:00Z","ending_at":"2026-11-01T00:00:00Z",
            "results":[{"amount":"123.45","currency":"USD","cost_type":"tokens","description":"Claude Usage"}]}],"has_more":false}"#;
        let l = read_json("a.json", anthropic).unwrap();
        assert_eq!((l[0].micros, l[0].period.as_str(), l[0].open), (1_234_500, "2026-10", false));
        let e =
            read_json("a.json", r#"{"data":[{"starting_at":"2026-10-31T00:00:00Z","results":[{"amount":"12x"}]}]}"#)
                .unwrap_err();
        assert!(e.to_string().contains("data[0].results[0], field `amount`"), "{e}");
        assert!(read_json("a.json", r#"{"data":[]}"#).unwrap_err().to_string().contains("empty"));
        assert!(read_json("a.json", "[1,").unwrap_err().to_string().contains("not valid JSON"));
    }

    #[test]
    fn files_on_disk_empty_header_only_and_parquet() {
        let dir = std::env::temp_dir().join(format!("bridge-billed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.csv");
        std::fs::write(&empty, "").unwrap();
        assert!(read(&empty, &CostConfig::default()).unwrap_err().to_string().contains("empty"));
        let header = dir.join("header.csv");
        std::fs::write(&header, "provider,billing_period,billed_cost,currency\n").unwrap();
        assert!(read(&header, &CostConfig::default()).unwrap_err().to_string().contains("no rows"));
        let mut df = df!("BilledCost" => [10.5f64], "BillingPeriodStart" => ["2026-10-01T00:00:00Z"],
                         "ServiceProviderName" => ["Cohere"], "BillingCurrency" => ["USD"])
        .unwrap();
        let pq = dir.join("focus.parquet");
        ParquetWriter::new(std::fs::File::create(&pq).unwrap()).finish(&mut df).unwrap();
        let (l, unknown) = read(&pq, &CostConfig::default()).unwrap();
        assert_eq!((l[0].micros, l[0].location.as_str()), (10_500_000, "row 1"));
        assert_eq!(unknown[0].name, "Cohere");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
