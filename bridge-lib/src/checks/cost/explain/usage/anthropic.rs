//! Anthropic `GET /v1/organizations/usage_report/messages` JSON: buckets with `starting_at`
//! and `ending_at` in RFC 3339; each result has `uncached_input_tokens`,
//! `cache_creation.ephemeral_5m_input_tokens` and `.ephemeral_1h_input_tokens`,
//! `cache_read_input_tokens`, `output_tokens`, and `model`, `workspace_id` (null: the default
//! workspace) and `api_key_id` when the request grouped by them. It counts no requests.

use super::super::model::UsageRow;
use super::{count, text};
use crate::checks::cost::units::days_of_iso;
use crate::{Error, Result};
use serde_json::Value;

/// The bucket's first day and exclusive end day (an hourly bucket's partial day counts).
pub(super) fn bucket_days(name: &str, at: &str, b: &Value) -> Result<(i64, i64)> {
    let field = |k: &str| b.get(k).and_then(Value::as_str);
    let start = field("starting_at").and_then(days_of_iso).ok_or_else(|| {
        Error::input(format!("{name}, {at}, field `starting_at`"), "not an RFC 3339 time", "keep the API's starting_at")
    })?;
    let end = match field("ending_at") {
        Some(t) => {
            let day = days_of_iso(t).ok_or_else(|| {
                Error::input(
                    format!("{name}, {at}, field `ending_at`"),
                    "not an RFC 3339 time",
                    "keep the API's ending_at",
                )
            })?;
            day + i64::from(t.get(11..19).is_some_and(|hms| hms != "00:00:00"))
        }
        None => start + 1,
    };
    Ok((start, end))
}

/// One result: input is uncached + cache writes (5 m and 1 h) + cache reads.
pub(super) fn result(name: &str, loc: &str, r: &Value) -> Result<UsageRow> {
    let opt = |f: &str| count(name, loc, r, f, false).map(|n| n.unwrap_or(0));
    let input = count(name, loc, r, "uncached_input_tokens", true)?.unwrap_or(0)
        + opt("cache_creation.ephemeral_5m_input_tokens")?
        + opt("cache_creation.ephemeral_1h_input_tokens")?
        + opt("cache_read_input_tokens")?;
    Ok(UsageRow {
        provider: "anthropic".into(),
        model: text(r, "model"),
        account: text(r, "workspace_id"),
        input_tokens: input,
        output_tokens: count(name, loc, r, "output_tokens", true)?.unwrap_or(0),
        requests: None,
        ..UsageRow::default()
    })
}
