//! Provider names: matched to the known ones (`OpenAI, L.L.C.` is `openai`), and the ledger's
//! aggregate rows merged under the matched name, with the names that match none.

use super::model::{AllocatedRow, UnknownProvider};
use std::collections::{BTreeMap, BTreeSet};

/// Matches a provider name to a known one (`OpenAI, L.L.C.` → `openai`), or returns it lower
/// case with `false`.
pub fn normalize_provider(raw: &str, known: &[String]) -> (String, bool) {
    let squash = |s: &str| s.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_lowercase();
    let s = squash(raw);
    match known.iter().find(|k| !k.is_empty() && s.starts_with(&squash(k))) {
        Some(k) => (k.clone(), true),
        None => (raw.trim().to_lowercase(), false),
    }
}

/// Merges aggregate rows whose provider is as written (each with where it was read) into rows
/// keyed by the normalized provider, noting the provider names that are not known.
pub(crate) fn merge_allocated(
    raw: Vec<(AllocatedRow, String)>,
    known: &[String],
) -> (Vec<AllocatedRow>, Vec<UnknownProvider>) {
    let mut merged: BTreeMap<(String, String, String, String), (i64, u64)> = BTreeMap::new();
    let mut unknown = Vec::new();
    for (r, location) in raw {
        let (provider, is_known) = normalize_provider(&r.provider, known);
        if !is_known {
            unknown.push(UnknownProvider { name: r.provider, location });
        }
        let e = merged.entry((r.tenant, provider, r.model, r.period)).or_default();
        e.0 += r.micros;
        e.1 += r.events;
    }
    let rows = merged
        .into_iter()
        .map(|((tenant, provider, model, period), (micros, events))| AllocatedRow {
            tenant,
            provider,
            model,
            period,
            micros,
            events,
        })
        .collect();
    (rows, unknown)
}

/// Keeps the first sighting of each unknown provider name.
pub(crate) fn dedup_unknown(v: &mut Vec<UnknownProvider>) {
    let mut seen = BTreeSet::new();
    v.retain(|u| seen.insert(u.name.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CostConfig;

    #[test]
    fn provider_names_normalize() {
        let known = CostConfig::default().providers;
        assert_eq!(normalize_provider("OpenAI, L.L.C.", &known), ("openai".into(), true));
        assert_eq!(normalize_provider("Pinecone Systems", &known), ("pinecone".into(), true));
        assert_eq!(normalize_provider("Cohere", &known), ("cohere".into(), false));
    }
}
