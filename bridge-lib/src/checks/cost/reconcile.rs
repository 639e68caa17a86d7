//! Reconciliation: the billed lines and the allocated rows summed per provider and billing
//! period, with the variance band of each (pure: no I/O).
//!
//! Bands: |variance| up to `warn` (5%) passes, up to `fail` (10%) warns, beyond fails; both
//! edges are inclusive (exactly 5% passes, exactly 10% warns). A period still open never fails.
//! Lines in another currency, unallocatable lines (by charge category) and repeated lines are
//! set apart; ledger usage in a month no export covers is reported, not reconciled. FOCUS
//! corrections (`ChargeClass` `Correction`) are set apart too: they correct an earlier period
//! whose own variance they would distort. Where lines name their invoice (`InvoiceId`) each
//! invoice is read from one file (met again in another file its lines are repeats, COST007)
//! and summed, to tie out against the invoice.

use super::model::{BilledLine, Duplicate, Gathered, InvoiceTotal, Outside, Reconciliation, VarianceRow};
use super::units::to_units;
use crate::config::CostConfig;
use crate::finding::Status;
use std::collections::{BTreeMap, BTreeSet};

/// Reconciles the allocated side with the billed lines (pure: no I/O).
pub fn reconcile(g: &Gathered, c: &CostConfig) -> Reconciliation {
    let mut seen: BTreeMap<(&str, &str), &BilledLine> = BTreeMap::new();
    let mut duplicates = Vec::new();
    let (mut unallocatable, mut other_currency) = (Vec::new(), Vec::new());
    let mut billed: BTreeMap<(String, String), (i64, BTreeSet<String>, bool)> = BTreeMap::new();
    let mut excluded: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut billed_periods = BTreeSet::new();
    let mut corrections = Vec::new();
    // each invoice is read from one file: the file it was first met in
    let mut invoice_file: BTreeMap<(&str, &str), &BilledLine> = BTreeMap::new();
    for l in &g.billed {
        billed_periods.insert(l.period.clone());
        if let Some(first) = seen.insert((l.source.as_str(), l.identity.as_str()), l) {
            duplicates.push(Duplicate { line: l.clone(), first: first.location.clone() });
            seen.insert((l.source.as_str(), l.identity.as_str()), first);
            continue;
        }
        if !l.invoice_id.is_empty() {
            let first = *invoice_file.entry((l.provider.as_str(), l.invoice_id.as_str())).or_insert(l);
            if first.source != l.source {
                let first = format!("invoice {} already read from {}, {}", l.invoice_id, first.source, first.location);
                duplicates.push(Duplicate { line: l.clone(), first });
                continue;
            }
        }
        let key = (l.provider.clone(), l.period.clone());
        if !l.currency.eq_ignore_ascii_case(&c.currency) {
            other_currency.push(l.clone());
        } else if l.charge_class == "correction" {
            corrections.push(l.clone());
        } else if c.unallocatable.contains(&l.category) {
            unallocatable.push(l.clone());
            *excluded.entry(key).or_default() += l.micros;
        } else {
            let e = billed.entry(key).or_default();
            e.0 += l.micros;
            e.1.insert(l.source.clone());
            e.2 |= l.open;
        }
    }
    let mut allocated: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut outside: BTreeMap<(String, String), (u64, i64)> = BTreeMap::new();
    for a in &g.allocated {
        let key = (a.provider.clone(), a.period.clone());
        if billed_periods.contains(&a.period) {
            *allocated.entry(key).or_default() += a.micros;
        } else {
            let o = outside.entry(key).or_default();
            o.0 += a.events;
            o.1 += a.micros;
        }
    }
    let keys: BTreeSet<&(String, String)> = billed.keys().chain(allocated.keys()).collect();
    let variance = keys
        .into_iter()
        .map(|k| {
            let alloc = allocated.get(k).copied().unwrap_or(0);
            let (bill, sources, open) = billed.get(k).cloned().unwrap_or_default();
            let variance = (bill != 0).then(|| (bill - alloc) as f64 / bill as f64);
            let band = match variance {
                None => Status::Warn,
                Some(v) if v.abs() <= c.warn + 1e-12 => Status::Pass,
                Some(v) if v.abs() <= c.fail + 1e-12 || open => Status::Warn,
                Some(_) => Status::Fail,
            };
            VarianceRow {
                provider: k.0.clone(),
                period: k.1.clone(),
                allocated: to_units(alloc),
                billed: to_units(bill),
                unallocatable: to_units(excluded.get(k).copied().unwrap_or(0)),
                variance,
                band,
                open,
                sources: sources.into_iter().collect(),
            }
        })
        .collect();
    Reconciliation {
        currency: c.currency.clone(),
        warn: c.warn,
        fail: c.fail,
        variance,
        unallocatable,
        other_currency,
        duplicates,
        outside: outside
            .into_iter()
            .map(|((provider, period), (events, micros))| Outside { provider, period, events, cost: to_units(micros) })
            .collect(),
        unknown_providers: g.unknown_providers.clone(),
        corrections,
        invoices: invoice_totals(g, c),
    }
}

/// Billed lines summed per invoice (provider and `InvoiceId`), in the file each invoice was
/// first met in and the ledger currency, every line counted (unallocatable and corrections
/// too, as the invoice itself does), so each total ties out against the invoice.
fn invoice_totals(g: &Gathered, c: &CostConfig) -> Vec<InvoiceTotal> {
    /// An invoice's file, periods, micro-units, lines, and the lines seen (file, identity).
    type Sum<'a> = (String, BTreeSet<String>, i64, usize, BTreeSet<(&'a str, &'a str)>);
    let mut by: BTreeMap<(&str, &str), Sum> = BTreeMap::new();
    for l in g.billed.iter().filter(|l| !l.invoice_id.is_empty() && l.currency.eq_ignore_ascii_case(&c.currency)) {
        let e = by
            .entry((l.provider.as_str(), l.invoice_id.as_str()))
            .or_insert_with(|| (l.source.clone(), BTreeSet::new(), 0, 0, BTreeSet::new()));
        // the invoice's own file only, each line once
        if e.0 == l.source && e.4.insert((l.source.as_str(), l.identity.as_str())) {
            e.1.insert(l.period.clone());
            e.2 += l.micros;
            e.3 += 1;
        }
    }
    by.into_iter()
        .map(|((provider, id), (source, periods, micros, lines, _))| InvoiceTotal {
            invoice_id: id.to_string(),
            provider: provider.to_string(),
            source,
            periods: periods.into_iter().collect(),
            billed: to_units(micros),
            lines,
        })
        .collect()
}
