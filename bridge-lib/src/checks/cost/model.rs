//! The cost check's model: the rows and lines both sides are read into, what was gathered,
//! and the reconciliation that the rules turn into findings and the notebook draws.

use crate::finding::Status;
use serde::{Deserialize, Serialize};

/// Allocated cost of one tenant, provider, model and billing period (the ledger aggregated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllocatedRow {
    /// The tenant.
    pub tenant: String,
    /// The provider, normalized to a known name when it matches one.
    pub provider: String,
    /// The model or SKU.
    pub model: String,
    /// The billing period, `YYYY-MM` (UTC).
    pub period: String,
    /// Cost in micro-units of the ledger currency.
    pub micros: i64,
    /// How many ledger rows were summed.
    pub events: u64,
}

/// One billed line from a provider export, in the canonical (FOCUS-shaped) form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BilledLine {
    /// The file it came from.
    pub source: String,
    /// Where in the file (`line 4`, `row 3`, `data[2].results[0]`).
    pub location: String,
    /// The provider, normalized to a known name when it matches one.
    pub provider: String,
    /// The billing period, `YYYY-MM` (UTC).
    pub period: String,
    /// Billed amount in micro-units of `currency`.
    pub micros: i64,
    /// ISO 4217 currency, upper case.
    pub currency: String,
    /// Charge category, lower case (`usage`, `tax`, `minimum`, `credit`…).
    pub category: String,
    /// The line's description.
    pub description: String,
    /// The period is not final yet.
    pub open: bool,
    /// The model or SKU the line is for, when the export says (OpenAI `line_item`, Anthropic `model`, FOCUS `SkuId`/`ChargeDescription`); empty when not.
    #[serde(default)]
    pub model: String,
    /// The billed account inside the provider: OpenAI `project_id`, Anthropic `workspace_id`, FOCUS `SubAccountId`; empty when not given.
    #[serde(default)]
    pub account: String,
    /// FOCUS `ChargeClass` (`correction` or empty), lower case.
    #[serde(default)]
    pub charge_class: String,
    /// FOCUS `InvoiceId` when present.
    #[serde(default)]
    pub invoice_id: String,
    /// The period (`YYYY-MM`) a FOCUS correction corrects (its `ChargePeriodStart`); empty when
    /// the line is no correction or does not say.
    #[serde(default)]
    pub corrects: String,
    /// What makes two lines the same line (for duplicate detection).
    #[serde(skip)]
    pub identity: String,
    /// Read from one page of a cost API response saved with `has_more: true`: pages follow.
    #[serde(skip)]
    pub more_pages: bool,
}

/// A provider name seen in the inputs that is not a known provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnknownProvider {
    /// The name as written.
    pub name: String,
    /// Where it was seen (file and row, or table and column).
    pub location: String,
}

/// Everything the check gathered, before reconciling.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Gathered {
    /// Where the allocated side came from, in words.
    pub allocated_source: String,
    /// The billed files read.
    pub billed_sources: Vec<String>,
    /// The ledger aggregated by tenant, provider, model and period.
    pub allocated: Vec<AllocatedRow>,
    /// Every billed line read.
    pub billed: Vec<BilledLine>,
    /// Provider names that are not known.
    pub unknown_providers: Vec<UnknownProvider>,
}

/// One provider and billing period, reconciled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VarianceRow {
    /// The provider.
    pub provider: String,
    /// The billing period, `YYYY-MM`.
    pub period: String,
    /// Allocated by the ledger.
    pub allocated: f64,
    /// Billed usage (unallocatable lines excluded).
    pub billed: f64,
    /// Billed lines excluded as unallocatable.
    pub unallocatable: f64,
    /// (billed − allocated) / billed; `None` when nothing was billed.
    pub variance: Option<f64>,
    /// `pass`, `warn` or `fail`.
    pub band: Status,
    /// The period is not final yet.
    pub open: bool,
    /// The files the billed lines came from.
    pub sources: Vec<String>,
}

/// A duplicated billed line and the line it repeats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Duplicate {
    /// The repeated line (counted once).
    pub line: BilledLine,
    /// Where the first copy is.
    pub first: String,
}

/// Ledger usage in a provider and period that no export covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outside {
    /// The provider.
    pub provider: String,
    /// The period.
    pub period: String,
    /// Ledger rows.
    pub events: u64,
    /// Their cost.
    pub cost: f64,
}

/// The reconciliation: what [`super::rules::evaluate`] turns into findings and the notebook draws.
#[derive(Debug, Clone, Serialize)]
pub struct Reconciliation {
    /// The ledger currency.
    pub currency: String,
    /// Warn and fail thresholds.
    pub warn: f64,
    /// Fail threshold.
    pub fail: f64,
    /// One row per provider and period.
    pub variance: Vec<VarianceRow>,
    /// Billed lines excluded as unallocatable.
    pub unallocatable: Vec<BilledLine>,
    /// Billed lines in another currency (excluded).
    pub other_currency: Vec<BilledLine>,
    /// Repeated billed lines (counted once).
    pub duplicates: Vec<Duplicate>,
    /// Ledger usage outside every billed period.
    pub outside: Vec<Outside>,
    /// Unknown provider names.
    pub unknown_providers: Vec<UnknownProvider>,
    /// FOCUS corrections (`ChargeClass` `Correction`), set apart from every variance.
    pub corrections: Vec<BilledLine>,
    /// Billed usage per invoice, where the exports name invoices (`InvoiceId`).
    pub invoices: Vec<InvoiceTotal>,
}

/// One invoice's billed lines, summed (to tie the reconciliation out against each invoice).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceTotal {
    /// The invoice id.
    pub invoice_id: String,
    /// The provider.
    pub provider: String,
    /// The file it was read from (an invoice met again in another file is COST007).
    pub source: String,
    /// The billing periods its lines are in.
    pub periods: Vec<String>,
    /// Every line of it, unallocatable and corrections included, in the ledger currency.
    pub billed: f64,
    /// How many lines.
    pub lines: usize,
}

/// Rows and lines for tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use crate::checks::cost::units::MICROS;

    pub fn alloc(provider: &str, period: &str, dollars: i64) -> AllocatedRow {
        AllocatedRow {
            tenant: "acme".into(),
            provider: provider.into(),
            model: "m".into(),
            period: period.into(),
            micros: dollars * MICROS,
            events: 10,
        }
    }

    pub fn line(provider: &str, period: &str, dollars: i64, category: &str, row: usize) -> BilledLine {
        BilledLine {
            source: "invoice.csv".into(),
            location: format!("line {row}"),
            provider: provider.into(),
            period: period.into(),
            micros: dollars * MICROS,
            currency: "USD".into(),
            category: category.into(),
            description: format!("{provider} {category}"),
            open: false,
            identity: format!("{provider}|{period}|{category}|{dollars}"),
            more_pages: false,
            ..BilledLine::default()
        }
    }
}
