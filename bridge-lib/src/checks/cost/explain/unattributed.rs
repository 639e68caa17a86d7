//! The unattributed component: billed usage in accounts (OpenAI projects, Anthropic
//! workspaces, FOCUS sub-accounts) that the ledger does not meter. Which accounts it meters is
//! `BRIDGE_COST_ACCOUNTS`; when it is not set and the bill names more than one account, the
//! component cannot be told and says so (it is then part of the remainder).

use super::model::{metered, BillItem};
use crate::report::data::{GapComponent, GapItem, GapKind};
use std::collections::BTreeMap;

/// The component, and the accounts it counted as unattributed (left out of volume and rate).
pub fn unattributed(provider: &str, bill: &[&BillItem], accounts: &[String]) -> (GapComponent, Vec<String>) {
    let mut by: BTreeMap<&str, i64> = BTreeMap::new();
    for b in bill.iter().filter(|b| !b.account.is_empty()) {
        *by.entry(&b.account).or_default() += b.micros;
    }
    let money = |m: i64| format!("{:.2}", m as f64 / 1e6);
    let list =
        |v: &BTreeMap<&str, i64>| v.iter().map(|(a, m)| format!("{a} {}", money(*m))).collect::<Vec<_>>().join(", ");
    let mk = |micros, computed, detail: String, items| GapComponent {
        kind: GapKind::Unattributed,
        micros,
        computed,
        detail,
        items,
    };
    if accounts.is_empty() {
        return match by.len() {
            0 => (mk(0, true, "the bill names no project, workspace or API key".into(), vec![]), vec![]),
            1 => (mk(0, true, format!("every billed line is in one account ({})", list(&by)), vec![]), vec![]),
            n => (
                mk(
                    0,
                    false,
                    format!(
                        "not computed: {n} accounts billed ({}) and BRIDGE_COST_ACCOUNTS does not say which the ledger meters",
                        list(&by)
                    ),
                    vec![],
                ),
                vec![],
            ),
        };
    }
    let outside: BTreeMap<&str, i64> = by.into_iter().filter(|(a, _)| !metered(accounts, provider, a)).collect();
    let total: i64 = outside.values().sum();
    let mut items: Vec<GapItem> = outside
        .iter()
        .map(|(a, m)| GapItem {
            label: (*a).to_string(),
            micros: *m,
            detail: "billed, not in BRIDGE_COST_ACCOUNTS".into(),
        })
        .collect();
    items.sort_by_key(|i| std::cmp::Reverse(i.micros.abs()));
    let detail = if outside.is_empty() {
        "every billed account is one the ledger meters (BRIDGE_COST_ACCOUNTS)".to_string()
    } else {
        format!("billed in {} account(s) the ledger does not meter: {}", outside.len(), list(&outside))
    };
    let names = outside.keys().map(|a| a.to_string()).collect();
    (mk(total, true, detail, items), names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(account: &str, dollars: i64) -> BillItem {
        BillItem {
            provider: "openai".into(),
            period: "2026-10".into(),
            micros: dollars * 1_000_000,
            account: account.into(),
            ..Default::default()
        }
    }

    #[test]
    fn unattributed_fires() {
        let (a, b) = (item("proj_app", 10), item("proj_batch", 3));
        let (c, names) = unattributed("openai", &[&a, &b], &["openai:proj_app".into()]);
        assert_eq!((c.micros, c.computed), (3_000_000, true));
        assert_eq!(names, vec!["proj_batch".to_string()]);
        assert!(c.detail.contains("proj_batch 3.00"), "{}", c.detail);
    }

    #[test]
    fn unattributed_quiet() {
        let a = item("proj_app", 10);
        let (c, names) = unattributed("openai", &[&a], &[]);
        assert!(c.computed && c.micros == 0 && names.is_empty(), "{c:?}");
        let (c, _) = unattributed("openai", &[&a], &["proj_app".into()]);
        assert!(c.computed && c.micros == 0, "{c:?}");
    }

    #[test]
    fn several_accounts_without_the_setting_are_not_guessed() {
        let (a, b) = (item("proj_app", 10), item("proj_batch", 3));
        let (c, _) = unattributed("openai", &[&a, &b], &[]);
        assert!(!c.computed && c.detail.contains("BRIDGE_COST_ACCOUNTS") && c.detail.contains("proj_batch 3.00"));
    }
}
