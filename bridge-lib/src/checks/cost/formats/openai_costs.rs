//! OpenAI `GET /v1/organization/costs` JSON, saved as-is: daily buckets with `start_time` and
//! `end_time` in Unix seconds, each result's `amount.value` a float in major units of
//! `amount.currency`, described by `line_item` and `project_id`.

use super::super::model::BilledLine;
use super::super::units::micros_from_f64;
use super::cost_api::{self, CostApi};
use crate::{Error, Result};
use serde_json::Value;

/// How its buckets and results read.
pub const API: CostApi = CostApi { bucket_days, line };

fn bucket_days(name: &str, at: &str, b: &Value) -> Result<(i64, i64)> {
    let secs = |k: &str| b.get(k).and_then(|x| x.as_i64().or_else(|| x.as_str()?.parse().ok()));
    let start = secs("start_time").ok_or_else(|| {
        Error::input(format!("{name}, {at}"), "`start_time` is not a Unix time", "keep the API's start_time as seconds")
    })?;
    Ok((start.div_euclid(86_400), secs("end_time").unwrap_or(start + 86_400).div_euclid(86_400)))
}

fn line(name: &str, loc: &str, r: &Value) -> Result<BilledLine> {
    let amount = r.get("amount");
    let micros = amount
        .and_then(|a| a.get("value"))
        .and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok()))
        .and_then(micros_from_f64)
        .ok_or_else(|| {
            Error::input(
                format!("{name}, {loc}, field `amount.value`"),
                "missing or not a number",
                "keep the API's amount: {\"value\": 0.06, \"currency\": \"usd\"}",
            )
        })?;
    let currency = amount.and_then(|a| a.get("currency")).and_then(Value::as_str).unwrap_or("usd");
    let text = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let description =
        [text("line_item"), text("project_id")].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
    let line = cost_api::line(name, loc, "openai", micros, currency, description)?;
    Ok(BilledLine { model: text("line_item"), account: text("project_id"), ..line })
}
