//! Anthropic `GET /v1/organizations/cost_report` JSON, saved as-is: daily buckets with
//! `starting_at` and `ending_at` in RFC 3339, each result's `amount` a decimal string in cents
//! of `currency`, described by `description` and `workspace_id`.

use super::super::model::BilledLine;
use super::super::units::{days_of_iso, parse_micros};
use super::cost_api::{self, CostApi};
use crate::{Error, Result};
use serde_json::Value;

/// How its buckets and results read.
pub const API: CostApi = CostApi { bucket_days, line };

fn bucket_days(name: &str, at: &str, b: &Value) -> Result<(i64, i64)> {
    let day = |k: &str| b.get(k).and_then(Value::as_str).and_then(days_of_iso);
    let start = day("starting_at").ok_or_else(|| {
        Error::input(
            format!("{name}, {at}"),
            "`starting_at` is not an RFC 3339 time",
            "keep the API's starting_at as written",
        )
    })?;
    Ok((start, day("ending_at").unwrap_or(start + 1)))
}

fn line(name: &str, loc: &str, r: &Value) -> Result<BilledLine> {
    let raw =
        r.get("amount").map(|a| a.as_str().map(str::to_string).unwrap_or_else(|| a.to_string())).unwrap_or_default();
    let cents = parse_micros(&raw).ok_or_else(|| {
        Error::input(
            format!("{name}, {loc}, field `amount`"),
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
    let line = cost_api::line(name, loc, "anthropic", micros, currency, description)?;
    Ok(BilledLine { model: text("model"), account: text("workspace_id"), ..line })
}
