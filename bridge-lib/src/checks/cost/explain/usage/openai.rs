//! OpenAI `GET /v1/organization/usage/completions` JSON: buckets with `start_time` and
//! `end_time` in Unix seconds; each result (`organization.usage.completions.result`) has
//! `input_tokens` (cached included), `output_tokens`, `num_model_requests`, and `model` and
//! `project_id` when the request grouped by them (null otherwise).

use super::super::model::UsageRow;
use super::{count, text};
use crate::{Error, Result};
use serde_json::Value;

/// The bucket's first day and exclusive end day (an hourly bucket's partial day counts).
pub(super) fn bucket_days(name: &str, at: &str, b: &Value) -> Result<(i64, i64)> {
    let secs = |k: &str| b.get(k).and_then(|x| x.as_i64().or_else(|| x.as_str()?.parse().ok()));
    let start = secs("start_time").ok_or_else(|| {
        Error::input(
            format!("{name}, {at}, field `start_time`"),
            "not a Unix time",
            "keep the API's start_time (seconds)",
        )
    })?;
    let end = secs("end_time").unwrap_or(start + 86_400);
    Ok((start.div_euclid(86_400), (end + 86_399).div_euclid(86_400)))
}

/// One result.
pub(super) fn result(name: &str, loc: &str, r: &Value) -> Result<UsageRow> {
    Ok(UsageRow {
        provider: "openai".into(),
        model: text(r, "model"),
        account: text(r, "project_id"),
        input_tokens: count(name, loc, r, "input_tokens", true)?.unwrap_or(0),
        output_tokens: count(name, loc, r, "output_tokens", true)?.unwrap_or(0),
        requests: count(name, loc, r, "num_model_requests", true)?,
        ..UsageRow::default()
    })
}
