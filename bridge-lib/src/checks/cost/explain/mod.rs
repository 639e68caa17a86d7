//! Explain the gap: for each provider and period outside the pass band, billed − allocated
//! split into volume, rate, unattributed, timing and excluded, and the remainder, which is what
//! the others cannot attribute (shown, never hidden). The components and the remainder add up
//! exactly, in integer micro-units, to billed (unallocatable lines included) − allocated.
//!
//! Each component is one small, pure function on the model types: [`volume_rate`],
//! [`unattributed`], [`timing`], [`excluded`]; [`explain`] runs them per provider and period.
//! The inputs besides the reconciliation ([`Inputs`]) are the providers' usage exports
//! (`BRIDGE_USAGE_FILES`, read by [`usage`]) and the ledger's token counts ([`ledger_usage`],
//! from the database); a component whose input is missing is not computed and says why.

pub mod excluded;
pub mod gather;
pub mod ledger_usage;
pub mod model;
pub mod settings;
pub mod timing;
pub mod unattributed;
pub mod usage;
pub mod volume_rate;

pub use model::{BillItem, Inputs, LedgerUsage, UsageRow};
pub use settings::ExplainConfig;

use super::model::{BilledLine, Gathered, Reconciliation, VarianceRow};
use crate::config::CostConfig;
use crate::finding::{Finding, Status};
use crate::report::data::{GapComponent, GapExplanation, GapItem, GapKind};
use std::collections::{BTreeMap, BTreeSet};

/// Explains every provider and period whose variance is outside the pass band.
pub fn explain(g: &Gathered, r: &Reconciliation, c: &CostConfig, inputs: &Inputs) -> Vec<GapExplanation> {
    let bill = bill_items(&g.billed, c);
    r.variance
        .iter()
        .filter(|v| v.variance.is_some() && v.band != Status::Pass)
        .map(|v| {
            let lines: Vec<&BillItem> =
                bill.iter().filter(|b| b.provider == v.provider && b.period == v.period).collect();
            let excluded: Vec<&BilledLine> = (r.unallocatable.iter().chain(&r.corrections))
                .filter(|l| l.provider == v.provider && l.period == v.period)
                .collect();
            explain_one(v, &lines, &excluded, inputs)
        })
        .collect()
}

/// The billed usage lines as the reconciliation counts them: each line once (an invoice from
/// the first file it is met in), in the ledger currency, unallocatable categories and
/// corrections left out.
pub fn bill_items(billed: &[BilledLine], c: &CostConfig) -> Vec<BillItem> {
    let mut seen = BTreeSet::new();
    let mut invoice_file: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    billed
        .iter()
        .filter(|l| seen.insert((l.source.as_str(), l.identity.as_str())))
        .filter(|l| {
            l.invoice_id.is_empty()
                || *invoice_file.entry((l.provider.as_str(), l.invoice_id.as_str())).or_insert(l.source.as_str())
                    == l.source
        })
        .filter(|l| l.currency.eq_ignore_ascii_case(&c.currency) && !c.unallocatable.contains(&l.category))
        // a correction restates another period: it is no usage of this one
        .filter(|l| l.charge_class != "correction")
        .map(|l| BillItem {
            provider: l.provider.clone(),
            period: l.period.clone(),
            micros: l.micros,
            model: l.model.clone(),
            account: l.account.clone(),
        })
        .collect()
}

fn micros(units: f64) -> i64 {
    (units * 1e6).round() as i64
}

/// One provider and period: its components and the remainder.
pub fn explain_one(
    v: &VarianceRow,
    bill: &[&BillItem],
    excluded_lines: &[&BilledLine],
    inputs: &Inputs,
) -> GapExplanation {
    // corrections billed in this period are excluded from every variance, like unallocatable lines
    let corrections: i64 = excluded_lines.iter().filter(|l| l.charge_class == "correction").map(|l| l.micros).sum();
    let (allocated, usage_billed, excl) =
        (micros(v.allocated), micros(v.billed), micros(v.unallocatable) + corrections);
    let gap = usage_billed + excl - allocated;
    let (unattr, skip) = unattributed::unattributed(&v.provider, bill, &inputs.accounts);
    let attributed: Vec<&BillItem> = bill.iter().copied().filter(|b| !skip.contains(&b.account)).collect();
    let (timing, cutoff) = timing::timing(&v.provider, &v.period, v.open, &inputs.usage, &inputs.ledger);
    let (start, end) = timing::period_days(&v.period).unwrap_or((0, 0));
    let side = volume_rate::Side {
        provider: &v.provider,
        period: &v.period,
        days: (start, cutoff.unwrap_or(end)),
        bill: &attributed,
        skip_accounts: &skip,
    };
    let vr = volume_rate::volume_rate(&side, &inputs.usage, &inputs.ledger, inputs.top_tenants);
    let mut components = vec![vr.volume, vr.rate, unattr, timing, excluded::excluded(excl, excluded_lines)];
    components.push(remainder(gap, &components, vr.unsplit));
    GapExplanation {
        provider: v.provider.clone(),
        period: v.period.clone(),
        allocated_micros: allocated,
        billed_micros: usage_billed + excl,
        gap_micros: gap,
        components,
        volume_tenants: vr.tenants,
    }
}

/// What the computed components leave of the gap, with the models that could not be split
/// and the components that could not be computed named.
fn remainder(gap: i64, parts: &[GapComponent], unsplit: Vec<GapItem>) -> GapComponent {
    let rest = gap - parts.iter().filter(|c| c.computed).map(|c| c.micros).sum::<i64>();
    let not: Vec<&str> = parts.iter().filter(|c| !c.computed).map(|c| c.kind.as_str()).collect();
    let mut items = unsplit;
    let other = rest - items.iter().map(|i| i.micros).sum::<i64>();
    if other != 0 {
        let detail = if not.is_empty() {
            "not matched by any component".to_string()
        } else {
            format!("includes what {} would explain", not.join(", "))
        };
        items.push(GapItem { label: "unattributed by the components".into(), micros: other, detail });
    }
    items.sort_by_key(|i| std::cmp::Reverse(i.micros.abs()));
    let detail = match (rest, not.is_empty()) {
        (0, true) => "nothing left: the components account for the whole gap".to_string(),
        (_, true) => format!("{:.2} the components do not attribute", rest as f64 / 1e6),
        (_, false) => format!(
            "{:.2} the components do not attribute; not computed: {} (see each)",
            rest as f64 / 1e6,
            not.join(", ")
        ),
    };
    GapComponent { kind: GapKind::Remainder, micros: rest, computed: true, detail, items }
}

/// Runs the split for a reconciled configuration: reads its inputs, explains every provider
/// and period outside the band, adds each explanation to its variance finding's evidence and
/// the whole split to the outcome's data (`explanations`, absent when there is none).
pub async fn apply(
    cfg: &crate::config::Config,
    g: &Gathered,
    r: &Reconciliation,
    findings: &mut [Finding],
    data: &mut serde_json::Value,
) -> crate::Result<()> {
    let inputs = gather::inputs(cfg).await?;
    let explanations = explain(g, r, &cfg.cost, &inputs);
    annotate(findings, &explanations, &r.currency);
    if !explanations.is_empty() {
        data["explanations"] = serde_json::json!(explanations);
    }
    Ok(())
}

/// One line per component, for a finding's evidence and the terminal: `volume: +1.72 USD: how;
/// part: figures` (its three largest parts), or `rate: not computed: why`.
pub fn lines(e: &GapExplanation, currency: &str) -> Vec<String> {
    e.components
        .iter()
        .map(|c| {
            if !c.computed {
                return format!("{}: {}", c.kind.as_str(), c.detail);
            }
            let parts: String = c.items.iter().take(3).map(|i| format!("; {}: {}", i.label, i.detail)).collect();
            format!("{}: {:+.2} {currency}: {}{parts}", c.kind.as_str(), c.micros as f64 / 1e6, c.detail)
        })
        .collect()
}

/// Adds each explanation to the evidence of its provider and period's variance finding
/// (COST001, or COST002 when nothing was allocated): `explanation`, one line per component.
pub fn annotate(findings: &mut [Finding], explanations: &[GapExplanation], currency: &str) {
    for e in explanations {
        let object = format!("{}/{}", e.provider, e.period);
        for f in findings.iter_mut().filter(|f| {
            (f.code == super::rules::VARIANCE.code || f.code == super::rules::BILLED_UNALLOCATED.code)
                && f.key.ends_with(&format!(":{object}"))
        }) {
            if let Some(map) = f.evidence.as_object_mut() {
                map.insert("explanation".into(), serde_json::json!(lines(e, currency)));
            }
        }
    }
}

#[cfg(test)]
mod tests;
