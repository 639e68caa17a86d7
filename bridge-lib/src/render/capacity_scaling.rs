//! The capacity check's tenant tables: the auto-scaling decision per tenant (what to do now,
//! with a bar of its use and the date it crosses 80%) and the three-way reconciliation
//! (registry, namespace, ledger), drawn from the typed [`CapacityData`]. The notebook's
//! capacity section shows them with `bridge_lib::render::capacity_scaling(&outcome)`.

use crate::render::html::{badge, colour, esc, fmt_count, note, warning, Html};
use crate::report::data::{parse, CapacityData, ScalingAction};
use crate::report::{CheckId, CheckOutcome};
use std::fmt::Write;

/// Both tables from the capacity check's outcome; any other outcome, or one without tenants,
/// gives a one-line note (a warning when its data has another shape).
pub fn capacity_scaling(outcome: &CheckOutcome) -> Html {
    let none = || Html(note("no capacity data: the check did not measure any tenant"));
    if outcome.check != CheckId::Capacity {
        return none();
    }
    match parse::<CapacityData>(&outcome.data) {
        Some(Ok(d)) if !d.scaling.is_empty() || !d.stores.is_empty() => {
            Html(format!("{}{}", scaling_table(&d).0, stores_table(&d).0))
        }
        Some(Err(e)) => Html(warning(&format!("the capacity data could not be read: {e}"))),
        _ => none(),
    }
}

fn action_word(a: ScalingAction) -> (&'static str, &'static str) {
    match a {
        ScalingAction::Nothing => ("nothing", "pass"),
        ScalingAction::RaiseTier => ("raise the tier", "warn"),
        ScalingAction::OwnIndex => ("own index", "fail"),
    }
}

/// A bar of `percent` (0..100, clipped), amber from the warn line, red at 100.
fn bar(percent: Option<f64>, warn: f64) -> String {
    let Some(p) = percent else { return "<i>not measured</i>".into() };
    let status = if p >= 100.0 {
        "fail"
    } else if p >= warn {
        "warn"
    } else {
        "pass"
    };
    format!(
        "<span style=\"display:inline-block;width:120px;height:10px;background:#eaeef2;position:relative\">\
         <span style=\"position:absolute;left:0;top:0;height:10px;width:{:.0}px;background:{}\"></span>\
         <span style=\"position:absolute;left:{:.0}px;top:-2px;height:14px;border-left:1px dashed #24292f\"></span></span> {p:.1}%",
        p.clamp(0.0, 100.0) * 1.2,
        colour(status),
        warn * 1.2
    )
}

/// The auto-scaling decision per tenant: nothing, raise the tier, or its own index.
pub fn scaling_table(d: &CapacityData) -> Html {
    let mut h = format!(
        "<table><caption style=\"text-align:left\">Auto-scaling: what to do now (80% line, {:.0}-day horizon)</caption>\
         <thead><tr><th>tenant</th><th>tier</th><th>use</th><th>action</th><th>to tier</th><th>crosses 80% on</th><th style=\"text-align:left\">why</th></tr></thead><tbody>",
        d.horizon_days
    );
    let (shown, more) = at_most(&d.scaling, |s| s.action != ScalingAction::Nothing);
    for s in shown {
        let (word, status) = action_word(s.action);
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td style=\"text-align:left\">{}</td><td>{}</td><td>{}</td><td>{}</td><td style=\"text-align:left\">{}</td></tr>",
            esc(&s.tenant),
            esc(&s.tier),
            bar(s.percent, d.warn_percent),
            badge_as(word, status),
            esc(s.to_tier.as_deref().unwrap_or("")),
            esc(s.crosses_80_on.as_deref().unwrap_or("")),
            esc(&s.reason)
        );
    }
    h.push_str("</tbody></table>");
    h.push_str(&more);
    Html(h)
}

/// The most rows a table shows.
const MAX_ROWS: usize = 50;

/// All of `rows` when they are few; else the ones that `matter` (at most [`MAX_ROWS`]) and a
/// note that says how many are left out.
fn at_most<T>(rows: &[T], matter: impl Fn(&T) -> bool) -> (Vec<&T>, String) {
    if rows.len() <= MAX_ROWS {
        return (rows.iter().collect(), String::new());
    }
    let shown: Vec<&T> = rows.iter().filter(|r| matter(r)).take(MAX_ROWS).collect();
    let note = note(&format!(
        "showing {} of {} tenants: the ones that need attention (the data has them all)",
        shown.len(),
        rows.len()
    ));
    (shown, note)
}

/// A badge that says `word` in the colour of `status`.
fn badge_as(word: &str, status: &str) -> String {
    format!(
        "<span style=\"background:{};color:white;border-radius:4px;padding:1px 6px;font-weight:600\">{}</span>",
        colour(status),
        esc(word)
    )
}

/// The three-way reconciliation: each tenant in the registry, the index and the ledger.
pub fn stores_table(d: &CapacityData) -> Html {
    let ledger = match &d.ledger {
        Some(l) => format!("ledger: {} as of {}, spend over {} days", l.source, l.as_of, l.window_days),
        None => "ledger not read (no ledger table): spend and dormancy not reconciled".into(),
    };
    let mut h = format!(
        "<table><caption style=\"text-align:left\">Tenants across the registry, the index and the ledger ({})</caption>\
         <thead><tr><th>tenant</th><th>registry</th><th>namespace records</th><th>bytes</th><th>spend</th><th>last activity</th><th>temperature</th><th>status</th></tr></thead><tbody>",
        esc(&ledger)
    );
    let (shown, more) = at_most(&d.stores, |s| s.status != crate::finding::Status::Pass || s.dormant);
    for s in shown {
        let registry = match (s.registered, s.active) {
            (false, _) => "not registered",
            (true, true) => "active",
            (true, false) => "inactive",
        };
        let temperature = match (s.dormant, s.spend) {
            (true, _) => "dormant",
            (false, Some(_)) if s.active => "active",
            _ => "",
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{registry}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{temperature}</td><td>{}</td></tr>",
            esc(&s.tenant),
            s.records.map(fmt_count).unwrap_or_else(|| "none".into()),
            s.bytes.map(fmt_count).unwrap_or_default(),
            s.spend.map(|v| format!("{v:.2}")).unwrap_or_default(),
            esc(s.last_activity.as_deref().unwrap_or("")),
            badge(s.status.as_str())
        );
    }
    h.push_str("</tbody></table>");
    h.push_str(&more);
    Html(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::capacity::{evaluate::tests::three_way_fixture, evaluate_with};

    #[test]
    fn decisions_and_the_three_stores_are_tabled() {
        let (cfg, usage, tenants, ledger) = three_way_fixture();
        let e = evaluate_with(&cfg, &usage, &tenants, &[], Some(&ledger));
        let data = crate::checks::capacity::data::outcome_data(&cfg.capacity, &usage, &e, 0, Some(&ledger));
        let o = CheckOutcome::from_findings(CheckId::Capacity, e.findings).with_data(data);
        let h = capacity_scaling(&o).0;
        assert!(h.contains("Auto-scaling") && h.contains("raise the tier") && h.contains("95.0%"), "{h}");
        assert!(h.contains("not registered") && h.contains("dormant") && h.contains("ghost"), "{h}");
        let none = capacity_scaling(&CheckOutcome::from_findings(CheckId::Capacity, vec![])).0;
        assert!(none.contains("no capacity data"));
    }

    #[test]
    fn large_tables_show_what_needs_attention() {
        let rows: Vec<u32> = (0..120).collect();
        let (shown, note) = at_most(&rows, |r| r % 10 == 0);
        assert_eq!((shown.len(), note.contains("showing 12 of 120 tenants")), (12, true), "{note}");
        let (all, none) = at_most(&rows[..5], |_| false);
        assert_eq!((all.len(), none.as_str()), (5, ""));
    }
}
