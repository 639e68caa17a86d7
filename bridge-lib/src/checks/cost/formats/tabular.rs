//! What the tabular formats ([`super::invoice_csv`], [`super::focus`]) share: the file read as
//! a table of text, and its rows turned into lines once the format's [`Layout`] says which
//! columns hold what.

pub use super::super::csv_text::Table;
use super::super::csv_text::{clip, clip_to};
use super::super::model::BilledLine;
use super::super::units::{parse_micros, period_of};
use crate::{Error, Result};

impl Table {
    pub(crate) fn rows(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }
    fn location(&self, row: usize) -> String {
        match (self.csv, self.lines.get(row)) {
            (true, Some(line)) => format!("line {line}"),
            (true, None) => format!("line {}", row + 2),
            (false, _) => format!("row {}", row + 1),
        }
    }
    /// The column whose name matches one of `wanted`, ignoring case, `_` and spaces.
    pub(crate) fn find(&self, wanted: &[&str]) -> Option<usize> {
        use super::super::csv_text::squash;
        wanted.iter().find_map(|w| self.names.iter().position(|n| squash(n) == squash(w)))
    }
    fn get(&self, col: Option<usize>, row: usize) -> &str {
        col.and_then(|c| self.columns[c][row].as_deref()).unwrap_or("").trim()
    }
}

/// Reads a Parquet file with every column cast to text (polars).
#[cfg(feature = "cost")]
pub fn read_parquet(path: &std::path::Path) -> Result<Table> {
    use polars::prelude::*;
    let name = path.display().to_string();
    if crate::files::regular_file(path, 4096 * crate::files::MIB, "the cost export")? == 0 {
        return Err(Error::input(&name, "the file is empty", "export it again; a valid export has a header and rows"));
    }
    let df = LazyFrame::scan_parquet(PlRefPath::from(name.as_str()), ScanArgsParquet::default())
        .and_then(LazyFrame::collect)
        .map_err(|_| Error::input(&name, "cannot read it as Parquet", "export it again"))?;
    let mut t = Table::default();
    for col in df.columns() {
        let bad = || {
            Error::input(
                &name,
                format!("column `{}` cannot be read as text", super::super::csv_text::clip(col.name())),
                "export it again",
            )
        };
        let s = col.cast(&DataType::String).map_err(|_| bad())?;
        let s = s.str().map_err(|_| bad())?;
        t.names.push(col.name().to_string());
        t.columns.push(s.iter().map(|v| v.map(str::to_string)).collect());
    }
    super::super::csv_text::check_names(&name, &t.names)?;
    if t.rows() == 0 {
        return Err(Error::input(
            &name,
            "the file has a header but no rows",
            "export a billing period that has charges",
        ));
    }
    Ok(t)
}

/// Without the `cost` feature a Parquet bill cannot be read.
#[cfg(not(feature = "cost"))]
pub fn read_parquet(path: &std::path::Path) -> Result<Table> {
    Err(Error::input(
        path.display().to_string(),
        "reading Parquet needs the cost engine (this build has no `cost` feature)",
        "export the bill as CSV, or build bridge-lib with the default features (`features = [\"cost\"]`)",
    ))
}

/// A required column: the name messages use, and the names accepted (case, `_` and spaces
/// ignored).
pub type Required = (&'static str, &'static [&'static str]);

/// Which columns a tabular format needs.
#[derive(Debug)]
pub struct Layout {
    /// The format, as the missing-column fix names it.
    pub name: &'static str,
    /// Its required columns, in words.
    pub columns: &'static str,
    /// The billed amount.
    pub cost: Required,
    /// The billing period.
    pub period: Required,
    /// The provider.
    pub provider: Required,
    /// The currency.
    pub currency: Required,
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
    model: Option<usize>,
    account: Option<usize>,
    charge_class: Option<usize>,
    invoice_id: Option<usize>,
}

/// Turns a table into lines, its columns found by `layout`.
pub fn read(name: &str, t: &Table, layout: &Layout) -> Result<Vec<BilledLine>> {
    let mut found = Vec::new();
    for (label, names) in [layout.cost, layout.period, layout.provider, layout.currency] {
        found.push(t.find(names).ok_or_else(|| {
            Error::input(
                name,
                format!("no column `{label}` (columns found: {})", clip_to(&t.names.join(", "), 200)),
                format!("rename the column to `{label}`; a {} export needs {}", layout.name, layout.columns),
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
        model: t.find(&["SkuId", "model", "ChargeDescription", "line_item"]),
        account: t.find(&["SubAccountId", "account", "project_id", "workspace_id"]),
        charge_class: t.find(&["ChargeClass"]),
        invoice_id: t.find(&["InvoiceId", "invoice_id"]),
    };
    (0..t.rows()).map(|row| tabular_line(name, t, &cols, row)).collect()
}

fn tabular_line(name: &str, t: &Table, c: &Columns, row: usize) -> Result<BilledLine> {
    let loc = t.location(row);
    let at = |col: usize| format!("{name}, {loc}, column `{}`", clip(&t.names[col]));
    let provider = t.get(Some(c.provider), row);
    if provider.is_empty() {
        return Err(Error::input(
            at(c.provider),
            "the provider is empty",
            "write the provider's name (openai, anthropic, pinecone)",
        ));
    }
    let raw_period = t.get(Some(c.period), row);
    let period = period_of(raw_period).ok_or_else(|| {
        Error::input(
            at(c.period),
            format!("`{}` is not a billing period", clip(raw_period)),
            "write the month as YYYY-MM or the period start as YYYY-MM-DDT00:00:00Z",
        )
    })?;
    let raw_cost = t.get(Some(c.cost), row);
    let micros = parse_micros(raw_cost).ok_or_else(|| {
        Error::input(
            at(c.cost),
            format!("`{}` is not a number", clip(raw_cost)),
            "write a plain decimal such as 12.34 (no currency symbol, no thousands separator)",
        )
    })?;
    let category = match t.get(c.category, row).to_lowercase() {
        s if s.is_empty() => "usage".to_string(),
        s => s,
    };
    if micros < 0 && !matches!(category.as_str(), "credit" | "adjustment" | "refund") {
        return Err(Error::input(
            at(c.cost),
            format!("negative amount {} on a `{}` line", clip(raw_cost), clip(&category)),
            "mark credits and refunds with charge category `credit`, or fix the amount",
        ));
    }
    let currency = t.get(Some(c.currency), row).to_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(Error::input(
            at(c.currency),
            format!("`{}` is not an ISO 4217 currency code", clip(&currency)),
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
        model: t.get(c.model, row).to_string(),
        account: t.get(c.account, row).to_string(),
        charge_class: t.get(c.charge_class, row).to_lowercase(),
        invoice_id: t.get(c.invoice_id, row).to_string(),
    })
}
