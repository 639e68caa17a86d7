use super::super::model::{LedgerDay, LedgerTenant};
use super::*;

const M: i64 = 1_000_000;

fn bill(model: &str, dollars: i64) -> BillItem {
    BillItem {
        provider: "anthropic".into(),
        period: "2026-11".into(),
        micros: dollars * M,
        model: model.into(),
        ..Default::default()
    }
}

fn usage(model: &str, tokens: u64) -> UsageRow {
    UsageRow {
        provider: "anthropic".into(),
        period: "2026-11".into(),
        model: model.into(),
        input_tokens: tokens / 2,
        output_tokens: tokens - tokens / 2,
        ..Default::default()
    }
}

fn ledger(rows: &[(&str, &str, u64, i64)]) -> LedgerUsage {
    LedgerUsage {
        days: rows
            .iter()
            .map(|(_, model, tokens, micros)| LedgerDay {
                provider: "anthropic".into(),
                model: (*model).into(),
                day: 5,
                tokens: *tokens,
                events: 1,
                micros: *micros,
            })
            .collect(),
        tenants: rows
            .iter()
            .map(|(tenant, model, tokens, _)| LedgerTenant {
                tenant: (*tenant).into(),
                provider: "anthropic".into(),
                model: (*model).into(),
                period: "2026-11".into(),
                tokens: *tokens,
            })
            .collect(),
    }
}

fn run(bill: &[BillItem], usage: Result<Vec<UsageRow>, String>, ledger: Result<LedgerUsage, String>) -> VolumeRate {
    let refs: Vec<&BillItem> = bill.iter().collect();
    let s = Side { provider: "anthropic", period: "2026-11", days: (0, 30), bill: &refs, skip_accounts: &[] };
    volume_rate(&s, &usage, &ledger, 10)
}

#[test]
fn volume_fires() {
    // a quarter of the spend logs dropped: the provider counted 1000 tokens, the ledger 750
    let l = ledger(&[("acme", "claude-sonnet-4", 600, 6 * M), ("globex", "claude-sonnet-4", 150, 3 * M / 2)]);
    let vr = run(&[bill("claude-sonnet-4-20250514", 10)], Ok(vec![usage("claude-sonnet-4-20250514", 1000)]), Ok(l));
    assert_eq!((vr.volume.micros, vr.rate.micros), (5 * M / 2, 0), "{vr:?}");
    assert!(vr.volume.computed && vr.unsplit.is_empty());
    assert_eq!(vr.volume.items[0].detail, "tokens: provider 1000, ledger 750");
    let t: Vec<_> = vr.tenants.iter().map(|t| (t.tenant.as_str(), t.micros)).collect();
    assert_eq!(t, vec![("acme", 2 * M), ("globex", M / 2)], "shared by ledger tokens");
}

#[test]
fn volume_quiet() {
    let l = ledger(&[("acme", "claude-sonnet-4", 1000, 10 * M)]);
    let vr = run(&[bill("claude-sonnet-4", 10)], Ok(vec![usage("claude-sonnet-4", 1000)]), Ok(l));
    assert_eq!((vr.volume.micros, vr.rate.micros), (0, 0));
    assert!(vr.volume.computed && vr.rate.computed && vr.tenants.is_empty());
}

#[test]
fn rate_fires() {
    // same tokens, billed 10 where the ledger priced them at 8: a stale price map
    let l = ledger(&[("acme", "claude-haiku-3.5", 1000, 8 * M)]);
    let vr = run(&[bill("claude-haiku-3.5", 10)], Ok(vec![usage("claude-haiku-3.5", 1000)]), Ok(l));
    assert_eq!((vr.volume.micros, vr.rate.micros), (0, 2 * M));
    assert!(
        vr.rate.items[0].detail.contains("billed 10000.0000 per million tokens, the ledger's implied price 8000.0000"),
        "{:?}",
        vr.rate.items
    );
}

#[test]
fn rate_quiet() {
    let l = ledger(&[("acme", "m", 500, 5 * M)]);
    let vr = run(&[bill("m", 10)], Ok(vec![usage("m", 1000)]), Ok(l));
    assert_eq!((vr.volume.micros, vr.rate.micros), (5 * M, 0), "all of it is volume");
}

#[test]
fn without_usage_exports_neither_is_computed_and_says_why() {
    let vr = run(&[bill("m", 10)], Err("BRIDGE_USAGE_FILES is not set".into()), Ok(ledger(&[])));
    for c in [&vr.volume, &vr.rate] {
        assert!(!c.computed && c.micros == 0 && c.detail.contains("BRIDGE_USAGE_FILES is not set"), "{c:?}");
    }
    let vr = run(&[bill("m", 10)], Ok(vec![usage("m", 10)]), Err("the ledger is read from files".into()));
    assert!(!vr.volume.computed && vr.volume.detail.contains("ledger's token counts"));
}

#[test]
fn models_one_side_names_go_to_the_remainder() {
    let l = ledger(&[("acme", "m", 1000, 10 * M), ("acme", "pinecone-reads", 0, M)]);
    let vr = run(&[bill("m", 10), bill("web-search", 2)], Ok(vec![usage("m", 1000)]), Ok(l));
    let mut u: Vec<_> = vr.unsplit.iter().map(|i| (i.label.as_str(), i.micros)).collect();
    u.sort();
    assert_eq!(u, vec![("pinecone-reads", -M), ("web-search", 2 * M)]);
    assert_eq!(vr.volume.micros + vr.rate.micros, 0);
}

#[test]
fn a_bill_without_models_is_one_bucket() {
    let l = ledger(&[("acme", "a", 400, 4 * M), ("acme", "b", 400, 4 * M)]);
    let vr = run(&[bill("", 10)], Ok(vec![usage("a", 500), usage("b", 500)]), Ok(l));
    assert_eq!(vr.volume.items.len(), 1);
    assert_eq!(vr.volume.items[0].label, "all models");
    assert_eq!((vr.volume.micros, vr.rate.micros), (2 * M, 0));
}
