//! The volume and rate components, per model: with the provider's token count `Qb` (its usage
//! export), the ledger's `Ql` and cost `A` (before the bill's cut-off) and the billed `B`,
//! volume = (Qb − Ql) × A / Ql (the tokens the ledger missed, or counted twice, at the ledger's
//! own implied price) and rate = (B − A) − volume (the bill's effective rate against the
//! ledger's price, on the provider's tokens). Both need the usage exports and the ledger's token
//! counts; a model only one side names cannot be split and is left to the remainder.
//!
//! Models are matched by [`model_key`]. When a billed line or a usage row names no model, the
//! provider's whole period is one bucket. Tokens are input plus output: a gap made only of
//! output tokens (priced higher) is split between volume and rate.

use super::model::{div_round, model_key, BillItem, LedgerUsage, UsageRow};
use crate::report::data::{GapComponent, GapItem, GapKind, VolumeTenant};
use std::collections::BTreeMap;

/// The two components, the models left to the remainder, and the tenants behind the volume.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeRate {
    /// Volume.
    pub volume: GapComponent,
    /// Rate.
    pub rate: GapComponent,
    /// Models that could not be split (billed − allocated each), for the remainder.
    pub unsplit: Vec<GapItem>,
    /// The tenants behind the volume, largest first.
    pub tenants: Vec<VolumeTenant>,
}

/// What one provider and period give the split.
pub struct Side<'a> {
    /// The provider.
    pub provider: &'a str,
    /// The period.
    pub period: &'a str,
    /// The period's first day and the bill's cut-off (exclusive).
    pub days: (i64, i64),
    /// The billed usage lines of attributed accounts.
    pub bill: &'a [&'a BillItem],
    /// Accounts left out (unattributed).
    pub skip_accounts: &'a [String],
}

#[derive(Default)]
struct Acc {
    billed: i64,
    usage_tokens: u64,
    requests: Option<u64>,
    has_usage: bool,
    alloc: i64,
    ledger_tokens: u64,
    events: u64,
}

fn component(kind: GapKind, micros: i64, computed: bool, detail: String, mut items: Vec<GapItem>) -> GapComponent {
    items.sort_by_key(|i| std::cmp::Reverse(i.micros.abs()));
    GapComponent { kind, micros, computed, detail, items }
}

/// Volume and rate for one provider and period.
pub fn volume_rate(
    s: &Side,
    usage: &Result<Vec<UsageRow>, String>,
    ledger: &Result<LedgerUsage, String>,
    top: usize,
) -> VolumeRate {
    let not = |why: String| VolumeRate {
        volume: component(GapKind::Volume, 0, false, format!("not computed: {why}"), vec![]),
        rate: component(GapKind::Rate, 0, false, format!("not computed: {why}"), vec![]),
        unsplit: vec![],
        tenants: vec![],
    };
    let rows: Vec<&UsageRow> = match usage {
        Err(why) => return not(format!("needs the provider's usage export ({why})")),
        Ok(rows) => rows
            .iter()
            .filter(|r| r.provider == s.provider && r.period == s.period && !s.skip_accounts.contains(&r.account))
            .collect(),
    };
    if rows.is_empty() {
        return not(format!("no usage export in BRIDGE_USAGE_FILES covers {} {}", s.provider, s.period));
    }
    let ledger = match ledger {
        Err(why) => return not(format!("needs the ledger's token counts ({why})")),
        Ok(l) => l,
    };
    let per_model = s.bill.iter().all(|b| !model_key(&b.model).is_empty()) && rows.iter().all(|r| !r.model.is_empty());
    let key = |raw: &str| if per_model { model_key(raw) } else { String::new() };
    let mut by: BTreeMap<String, Acc> = BTreeMap::new();
    for b in s.bill {
        by.entry(key(&b.model)).or_default().billed += b.micros;
    }
    for r in &rows {
        let a = by.entry(key(&r.model)).or_default();
        a.has_usage = true;
        a.usage_tokens += r.input_tokens + r.output_tokens;
        a.requests = r.requests.map(|n| n + a.requests.unwrap_or(0));
    }
    for d in ledger.days.iter().filter(|d| d.provider == s.provider && d.day >= s.days.0 && d.day < s.days.1) {
        let a = by.entry(key(&d.model)).or_default();
        a.alloc += d.micros;
        a.ledger_tokens += d.tokens;
        a.events += d.events;
    }
    let (mut vols, mut rates, mut unsplit, mut shares) = (vec![], vec![], vec![], BTreeMap::new());
    for (k, a) in &by {
        let label = if k.is_empty() { "all models".to_string() } else { k.clone() };
        let reqs = a.requests.map(|n| format!("; requests: provider {n}, ledger {}", a.events)).unwrap_or_default();
        let (vol, why_rate) = if a.has_usage && a.ledger_tokens > 0 {
            let v = div_round(
                i128::from(a.alloc) * (i128::from(a.usage_tokens) - i128::from(a.ledger_tokens)),
                i128::from(a.ledger_tokens),
            );
            let per_m = |m: i64, q: u64| if q == 0 { 0.0 } else { m as f64 / q as f64 };
            (
                v,
                format!(
                    "billed {:.4} per million tokens, the ledger's implied price {:.4}",
                    per_m(a.billed, a.usage_tokens),
                    per_m(a.alloc, a.ledger_tokens)
                ),
            )
        } else if a.has_usage && a.ledger_tokens == 0 && a.alloc == 0 {
            (a.billed, "the ledger has no usage of it".to_string())
        } else {
            let why =
                if a.has_usage { "the ledger has its cost but no tokens" } else { "no usage export row names it" };
            unsplit.push(GapItem { label, micros: a.billed - a.alloc, detail: why.into() });
            continue;
        };
        let detail = format!("tokens: provider {}, ledger {}{reqs}", a.usage_tokens, a.ledger_tokens);
        vols.push(GapItem { label: label.clone(), micros: vol, detail });
        rates.push(GapItem { label, micros: a.billed - a.alloc - vol, detail: why_rate });
        if vol != 0 && a.ledger_tokens > 0 {
            shares.insert(k.clone(), vol);
        }
    }
    let scope = if per_model { "per model" } else { "over all models (the bill or the usage export names none)" };
    let (v, r) = (vols.iter().map(|i| i.micros).sum(), rates.iter().map(|i| i.micros).sum());
    VolumeRate {
        volume: component(
            GapKind::Volume,
            v,
            true,
            format!("the usage export's tokens against the ledger's, priced at the ledger's implied rate, {scope}"),
            vols,
        ),
        rate: component(
            GapKind::Rate,
            r,
            true,
            format!("the bill's effective rate against the ledger's implied unit price, {scope}"),
            rates,
        ),
        unsplit,
        tenants: behind(s, ledger, &shares, &key, top),
    }
}

/// Each model's volume shared out by the tenants' share of that model's ledger tokens.
fn behind(
    s: &Side,
    ledger: &LedgerUsage,
    shares: &BTreeMap<String, i64>,
    key: &dyn Fn(&str) -> String,
    top: usize,
) -> Vec<VolumeTenant> {
    let rows: Vec<_> = ledger.tenants.iter().filter(|t| t.provider == s.provider && t.period == s.period).collect();
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    for t in &rows {
        *totals.entry(key(&t.model)).or_default() += t.tokens;
    }
    let mut by: BTreeMap<&str, (i64, u64)> = BTreeMap::new();
    for t in &rows {
        let k = key(&t.model);
        if let (Some(vol), Some(total)) = (shares.get(&k), totals.get(&k).filter(|n| **n > 0)) {
            let e = by.entry(&t.tenant).or_default();
            e.0 += div_round(i128::from(*vol) * i128::from(t.tokens), i128::from(*total));
            e.1 += t.tokens;
        }
    }
    let mut v: Vec<VolumeTenant> =
        by.into_iter().map(|(t, (micros, tokens))| VolumeTenant { tenant: t.to_string(), micros, tokens }).collect();
    v.sort_by(|a, b| b.micros.abs().cmp(&a.micros.abs()).then(a.tenant.cmp(&b.tenant)));
    v.truncate(top);
    v
}

#[cfg(test)]
mod tests;
