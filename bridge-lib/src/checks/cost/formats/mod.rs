//! The providers' billing exports, read into canonical [`BilledLine`]s: one module per format,
//! [`ExportFormat`] the list of them, and `ExportFormat::detect` the one place that tells
//! them apart (by extension, then by columns or by the fields of the first cost bucket).
//!
//! - `invoice_csv`: a plain invoice, one line per charge;
//! - `focus`: a FinOps FOCUS export, CSV or Parquet;
//! - `openai_costs`: OpenAI `GET /organization/costs` JSON;
//! - `anthropic_cost_report`: Anthropic `GET /v1/organizations/cost_report` JSON.
//!
//! Every bad value is an [`crate::Error::Input`] naming the file, the line or row, the column
//! and the fix. CSV locations are file lines (the header is line 1); Parquet locations are
//! data rows.
//!
//! [`BilledLine`]: super::model::BilledLine

pub mod anthropic_cost_report;
mod cost_api;
pub mod focus;
pub mod invoice_csv;
pub mod openai_costs;
pub mod tabular;

use super::files::kind;
use super::model::{BilledLine, UnknownProvider};
use crate::{config::CostConfig, Error, Result};
use serde_json::Value;
use std::path::Path;

/// A provider export format the cost check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// A plain invoice CSV (`invoice_csv`).
    InvoiceCsv,
    /// A FinOps FOCUS export, CSV or Parquet (`focus`).
    Focus,
    /// OpenAI's organization costs JSON (`openai_costs`).
    OpenAiCosts,
    /// Anthropic's cost report JSON (`anthropic_cost_report`).
    AnthropicCostReport,
}

impl ExportFormat {
    /// Every format, in the order messages list them.
    pub const ALL: [ExportFormat; 4] =
        [ExportFormat::InvoiceCsv, ExportFormat::Focus, ExportFormat::OpenAiCosts, ExportFormat::AnthropicCostReport];

    /// What the format is called in messages.
    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::InvoiceCsv => "invoice CSV",
            ExportFormat::Focus => "FOCUS CSV/Parquet",
            ExportFormat::OpenAiCosts => "OpenAI costs JSON",
            ExportFormat::AnthropicCostReport => "Anthropic cost report JSON",
        }
    }

    /// Every format, as a list for messages (`invoice CSV, FOCUS CSV/Parquet, …`).
    pub fn list() -> String {
        Self::ALL.map(Self::label).join(", ")
    }
}

/// The fix for a billed file of none of the formats' file types.
pub const BY_EXTENSION: &str =
    "use an invoice or FOCUS .csv/.csv.gz/.zip of CSVs/.parquet, or an OpenAI/Anthropic cost .json";

/// The most a billed CSV may decompress to (bytes).
const CSV_CAP: u64 = 1024 * crate::files::MIB;

/// One provider's export for one period, in the words of a remedy.
pub const ONE_PROVIDERS_EXPORT: &str = "invoice CSV, FOCUS, or its cost API JSON";

/// An export as read from disk, before its format is told.
#[derive(Debug, Clone)]
pub enum Export {
    /// A CSV or Parquet file, every value as text.
    Table(tabular::Table),
    /// A cost API response body.
    Json(Value),
}

impl Export {
    /// Reads a billed file by its extension: `.json`, `.parquet`/`.pq`, or `.csv`, `.csv.gz`
    /// and `.zip` (each CSV in it an export, named `file.zip!member.csv`).
    pub fn load(path: &Path) -> Result<Vec<(String, Export)>> {
        let name = path.display().to_string();
        match kind(path).as_str() {
            "json" => {
                let text = crate::files::read_bounded_text(path, 256 * crate::files::MIB, "the cost export")?;
                Ok(vec![(name.clone(), Export::json(&name, &text)?)])
            }
            "parquet" | "pq" => Ok(vec![(name, Export::Table(tabular::read_parquet(path)?))]),
            "csv" | "csv.gz" | "zip" => super::files::read_csvs(path, CSV_CAP, "the cost export")?
                .into_iter()
                .map(|m| Ok((m.name.clone(), Export::Table(super::csv_text::read_table(&m.name, &m.bytes)?))))
                .collect(),
            other => Err(Error::input(&name, format!("unknown export type `.{other}`"), BY_EXTENSION)),
        }
    }

    /// Parses a cost API response body.
    pub fn json(name: &str, text: &str) -> Result<Export> {
        serde_json::from_str(text).map(Export::Json).map_err(|e| {
            Error::input(
                name,
                format!("not valid JSON: {e}"),
                "save the API response body as-is (GET /v1/organization/costs or /v1/organizations/cost_report)",
            )
        })
    }
}

impl ExportFormat {
    /// Tells which format an export is: a table with FOCUS columns (`BillingPeriodStart`, or
    /// `BilledCost` without `billing_period`) is FOCUS, any other table an invoice; a cost API
    /// body whose first bucket has `start_time` is OpenAI's, `starting_at` Anthropic's.
    pub fn detect(name: &str, export: &Export) -> Result<ExportFormat> {
        match export {
            Export::Table(t) => {
                let focus = t.find(&["BillingPeriodStart"]).is_some()
                    || (t.find(&["BilledCost"]).is_some() && t.find(&["billing_period"]).is_none());
                Ok(if focus { ExportFormat::Focus } else { ExportFormat::InvoiceCsv })
            }
            Export::Json(v) => {
                let first = &cost_api::buckets(name, v)?[0];
                if first.get("start_time").is_some() {
                    Ok(ExportFormat::OpenAiCosts)
                } else if first.get("starting_at").is_some() {
                    Ok(ExportFormat::AnthropicCostReport)
                } else {
                    Err(Error::input(
                        format!("{name}, data[0]"),
                        "the bucket has neither `start_time` (OpenAI) nor `starting_at` (Anthropic)",
                        "save the body of OpenAI's /v1/organization/costs or Anthropic's /v1/organizations/cost_report",
                    ))
                }
            }
        }
    }
}

/// Reads one billed file; returns its lines (providers normalized to the known names) and the
/// provider names that are not known.
pub fn read(path: &Path, c: &CostConfig) -> Result<(Vec<BilledLine>, Vec<UnknownProvider>)> {
    let mut lines = Vec::new();
    for (name, export) in Export::load(path)? {
        lines.extend(read_export(&name, &export)?);
    }
    let mut unknown = Vec::new();
    let lines = lines
        .into_iter()
        .map(|mut l| {
            let (p, known) = super::providers::normalize_provider(&l.provider, &c.providers);
            if !known {
                unknown.push(UnknownProvider {
                    name: l.provider.clone(),
                    location: format!("{}, {}", l.source, l.location),
                });
            }
            l.provider = p;
            l
        })
        .collect();
    Ok((lines, unknown))
}

/// Reads an export in whichever format it is, providers as written.
pub fn read_export(name: &str, export: &Export) -> Result<Vec<BilledLine>> {
    match (ExportFormat::detect(name, export)?, export) {
        (ExportFormat::InvoiceCsv, Export::Table(t)) => tabular::read(name, t, &invoice_csv::LAYOUT),
        (ExportFormat::Focus, Export::Table(t)) => tabular::read(name, t, &focus::LAYOUT),
        (ExportFormat::OpenAiCosts, Export::Json(v)) => cost_api::read(name, v, &openai_costs::API),
        (ExportFormat::AnthropicCostReport, Export::Json(v)) => cost_api::read(name, v, &anthropic_cost_report::API),
        (format, _) => Err(Error::input(
            name,
            format!("told apart as {}, which is not its kind of file", format.label()),
            "report this as a bug",
        )),
    }
}

#[cfg(test)]
mod tests;
