//! Whether a provider's cost API pages, taken together, cover its billing periods (pure: the
//! day is given). OpenAI's costs API returns 7 daily buckets per page by default and
//! Anthropic's cost report 7 (at most 31), so a saved month is normally several files; one
//! file alone says little.
//!
//! Over all of a provider's pages: a day missing between the first and the last day covered
//! is a missing page; the same day in two files is a page saved twice; the page that reaches
//! furthest still saying `has_more` means the last page is missing; each is an error naming the
//! days and files. A month the pages stop inside is open (its variance provisional) while its
//! days may really not be billed yet, that is until [`GRACE_DAYS`] after it ends; after that
//! the pages stopping early is an error too (the export was requested too short).
//!
//! Not seen: pages missing before the first day covered (a request that starts mid-month looks
//! the same), and a page whose buckets have no results (a day without usage) counts as covered.

use super::units::{civil_from_days, period_end_days, period_of_unix};
use crate::{Error, Result};
use std::collections::{BTreeMap, BTreeSet};

/// Days after a month's end during which its costs may still be arriving (OpenAI about a day,
/// Anthropic up to 24 h).
pub const GRACE_DAYS: i64 = 3;

/// The days one saved cost API page covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The provider (normalized).
    pub provider: String,
    /// The file.
    pub source: String,
    /// Each bucket's first day and exclusive last day (day numbers).
    pub days: Vec<(i64, i64)>,
    /// The page says `has_more`: pages follow it.
    pub more: bool,
}

fn day(d: i64) -> String {
    let (y, m, dd) = civil_from_days(d);
    format!("{y:04}-{m:02}-{dd:02}")
}

fn fix() -> &'static str {
    "save every page (request again with `page` set to `next_page` until `has_more` is false) over whole months \
     and list each file in BRIDGE_BILLED_FILES"
}

/// The `(provider, period)` pairs still open, or the first gap, overlap or missing page.
pub fn judge(pages: &[Page], today: i64) -> Result<BTreeSet<(String, String)>> {
    let mut by: BTreeMap<&str, Vec<&Page>> = BTreeMap::new();
    for p in pages {
        by.entry(&p.provider).or_default().push(p);
    }
    let mut open = BTreeSet::new();
    for (provider, pages) in by {
        let mut spans: Vec<(i64, i64, &str)> =
            pages.iter().flat_map(|p| p.days.iter().map(|(s, e)| (*s, (*e).max(*s + 1), p.source.as_str()))).collect();
        spans.sort();
        let Some(&(first, _, _)) = spans.first() else { continue };
        let (mut reach, mut by_file) = (first, spans[0].2);
        for &(s, e, file) in &spans {
            if s > reach {
                return Err(Error::input(
                    format!("{by_file}, {file}"),
                    format!(
                        "the {provider} cost pages cover no day from {} to {}: a page is missing, so the bill would \
                         be too low",
                        day(reach),
                        day(s - 1)
                    ),
                    fix(),
                ));
            }
            if s < reach && file != by_file {
                return Err(Error::input(
                    format!("{by_file}, {file}"),
                    format!("both {provider} cost pages cover {} (the same page saved twice?)", day(s)),
                    "list each page once in BRIDGE_BILLED_FILES",
                ));
            }
            if e > reach {
                (reach, by_file) = (e, file);
            }
        }
        if pages.iter().any(|p| p.more && p.source == by_file) {
            return Err(Error::input(
                by_file,
                format!(
                    "the {provider} cost export's last page (up to {}) says `has_more`: the pages after it are \
                     missing, so the bill would be too low",
                    day(reach - 1)
                ),
                fix(),
            ));
        }
        let last = period_of_unix((reach - 1) * 86_400);
        let end = period_end_days(&last).unwrap_or(reach);
        if reach < end {
            if today < end + GRACE_DAYS {
                open.insert((provider.to_string(), last));
            } else {
                return Err(Error::input(
                    by_file,
                    format!(
                        "the {provider} cost pages stop at {} though {last} has ended: the export was requested too \
                         short, or its last page is missing",
                        day(reach - 1)
                    ),
                    format!("request {provider}'s costs through the end of {last} and save every page"),
                ));
            }
        }
    }
    Ok(open)
}

#[cfg(test)]
mod tests;
