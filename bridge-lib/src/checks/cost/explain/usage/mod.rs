//! The providers' usage exports (`BRIDGE_USAGE_FILES`), read into [`UsageRow`]s: token and
//! request counts per bucket, model and account, the provider's side of volume.
//!
//! - `openai`: `GET /v1/organization/usage/completions` JSON, saved as-is;
//! - `anthropic`: `GET /v1/organizations/usage_report/messages` JSON, saved as-is.
//!
//! Both are pages of time buckets (`data: [{…, results: [...]}]`); the first bucket tells them
//! apart (`start_time`: OpenAI, `starting_at`: Anthropic). Group the request by `model` (and by
//! `project_id` / `workspace_id`) so the split is per model. Every bad value is one line naming
//! the file, the result and the field.

mod anthropic;
mod openai;

use super::model::UsageRow;
use crate::civil::civil_from_days;
use crate::{Error, Result};
use serde_json::Value;
use std::path::PathBuf;

/// The largest usage export read (a month of hourly buckets by model and project fits).
const CAP: u64 = 256 * crate::files::MIB;

/// Reads every usage export; providers are named as `known` names them.
pub fn read_files(paths: &[PathBuf], known: &[String]) -> Result<Vec<UsageRow>> {
    let mut rows = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let text = crate::files::read_bounded_text(path, CAP, "the usage export")?;
        rows.extend(read(&name, &text)?.into_iter().map(|mut r| {
            r.provider = crate::checks::cost::normalize_provider(&r.provider, known).0;
            r
        }));
    }
    Ok(rows)
}

/// Reads one usage export body (`name` is its file, for messages).
pub fn read(name: &str, text: &str) -> Result<Vec<UsageRow>> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| Error::input(name, format!("not valid JSON: {e}"), "save the usage API's response body as-is"))?;
    let buckets = v.get("data").and_then(Value::as_array).filter(|b| !b.is_empty()).ok_or_else(|| {
        Error::input(
            name,
            "no `data` array of usage buckets, or it is empty",
            "save the whole response of /v1/organization/usage/completions or /v1/organizations/usage_report/messages",
        )
    })?;
    let first = &buckets[0];
    let cost = first
        .get("results")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
        .is_some_and(|r| r.get("amount").is_some());
    if cost {
        return Err(Error::input(
            format!("{name}, data[0].results[0]"),
            "this is a cost export (its results have `amount`), not a usage export",
            "list it in BRIDGE_BILLED_FILES; BRIDGE_USAGE_FILES takes the usage APIs' token counts",
        ));
    }
    let read_bucket: fn(&str, &str, &Value) -> Result<(i64, i64)> = if first.get("start_time").is_some() {
        openai::bucket_days
    } else if first.get("starting_at").is_some() {
        anthropic::bucket_days
    } else {
        return Err(Error::input(
            format!("{name}, data[0]"),
            "the bucket has neither `start_time` (OpenAI) nor `starting_at` (Anthropic)",
            "save the body of OpenAI's /v1/organization/usage/completions or Anthropic's /v1/organizations/usage_report/messages",
        ));
    };
    let read_result = if first.get("start_time").is_some() { openai::result } else { anthropic::result };
    let mut rows = Vec::new();
    for (i, b) in buckets.iter().enumerate() {
        let at = format!("data[{i}]");
        let (start_day, end_day) = read_bucket(name, &at, b)?;
        let (y, m, _) = civil_from_days(start_day);
        let results = b.get("results").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        for (j, r) in results.iter().enumerate() {
            let location = format!("{at}.results[{j}]");
            let row = read_result(name, &location, r)?;
            rows.push(UsageRow {
                source: name.to_string(),
                location,
                period: format!("{y:04}-{m:02}"),
                start_day,
                end_day,
                ..row
            });
        }
    }
    Ok(rows)
}

/// A whole number of tokens or requests at `field` (a path like `cache_creation.ephemeral_5m_input_tokens`);
/// `None` when absent or null and `required` is false.
pub(super) fn count(name: &str, loc: &str, r: &Value, field: &str, required: bool) -> Result<Option<u64>> {
    let v = field.split('.').try_fold(r, |v, k| v.get(k));
    match v {
        Some(Value::Null) | None if !required => Ok(None),
        Some(x) if x.as_u64().is_some() => Ok(x.as_u64()),
        other => Err(Error::input(
            format!("{name}, {loc}, field `{field}`"),
            match other {
                None | Some(Value::Null) => "missing".to_string(),
                Some(x) => format!("`{}` is not a whole number of tokens or requests", short(x)),
            },
            "keep the API's counts as saved (whole numbers, 0 or more)",
        )),
    }
}

/// A text field (`model`, `project_id`…): empty when absent or null.
pub(super) fn text(r: &Value, field: &str) -> String {
    r.get(field).and_then(Value::as_str).unwrap_or("").to_string()
}

/// A value for a message, cut to a few dozen characters.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests;
