//! What the cost API formats ([`super::openai_costs`], [`super::anthropic_cost_report`])
//! share: a response body of daily buckets (`data: [{…, results: [...]}]`), each bucket's
//! results one line of the bucket's billing period, the period open when the buckets stop
//! before its end, and `has_more` marking a page that more pages follow.

use super::super::model::BilledLine;
use super::super::units::{period_end_days, period_of_unix};
use crate::{Error, Result};
use serde_json::Value;
use std::collections::BTreeMap;

/// How one cost API's buckets and results read.
pub struct CostApi {
    /// The first and the exclusive last day (day numbers) a bucket covers; `at` is `data[i]`.
    pub bucket_days: fn(name: &str, at: &str, bucket: &Value) -> Result<(i64, i64)>,
    /// One result as a line (period and identity are filled in after); `loc` is
    /// `data[i].results[j]`.
    pub line: fn(name: &str, loc: &str, result: &Value) -> Result<BilledLine>,
}

/// The body's buckets: `data`, an array that is not empty.
pub(super) fn buckets<'a>(name: &str, v: &'a Value) -> Result<&'a [Value]> {
    let buckets = v.get("data").and_then(Value::as_array).ok_or_else(|| {
        Error::input(
            name,
            "no `data` array of cost buckets",
            "save the whole API response, which has `data: [buckets…]`",
        )
    })?;
    if buckets.is_empty() {
        return Err(Error::input(
            name,
            "the export is empty (no cost buckets)",
            "request a range that has costs (start_time/starting_at)",
        ));
    }
    Ok(buckets)
}

/// Reads a cost API body with `api`.
pub(super) fn read(name: &str, v: &Value, api: &CostApi) -> Result<Vec<BilledLine>> {
    let mut lines = Vec::new();
    // the last day each period's buckets reach: a period whose buckets stop early is open
    let mut reach: BTreeMap<String, i64> = BTreeMap::new();
    for (i, b) in buckets(name, v)?.iter().enumerate() {
        let at = format!("data[{i}]");
        let (start_days, end_days) = (api.bucket_days)(name, &at, b)?;
        let period = period_of_unix(start_days * 86_400);
        let e = reach.entry(period.clone()).or_insert(end_days);
        *e = (*e).max(end_days);
        let results =
            b.get("results").or_else(|| b.get("result")).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        for (j, r) in results.iter().enumerate() {
            let loc = format!("{at}.results[{j}]");
            let line = (api.line)(name, &loc, r)?;
            let identity = format!("{start_days}|{r}");
            lines.push(BilledLine { period: period.clone(), identity, ..line });
        }
    }
    if lines.is_empty() {
        return Err(Error::input(name, "the export has buckets but no cost lines", "request a range that has costs"));
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

/// A line of a cost API result: a usage line, or a credit when the amount is negative.
pub(super) fn line(
    name: &str,
    loc: &str,
    provider: &str,
    micros: i64,
    currency: &str,
    description: String,
) -> Result<BilledLine> {
    let currency = currency.to_uppercase();
    if currency.len() != 3 {
        return Err(Error::input(
            format!("{name}, {loc}, field `currency`"),
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
        ..BilledLine::default()
    })
}
