//! What the split reads: the bill's usage lines, the providers' usage exports and the ledger's
//! token counts, each in the few fields the components need (pure data, no I/O).

use serde::Serialize;

/// One billed usage line of a provider and period (in the ledger currency, counted once,
/// unallocatable lines left out), as the split sees it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct BillItem {
    /// The provider, normalized.
    pub provider: String,
    /// The billing period, `YYYY-MM`.
    pub period: String,
    /// Billed amount, micro-units.
    pub micros: i64,
    /// The model or SKU as the export names it (`gpt-4o-mini-2024-07-18, input`); empty when not.
    pub model: String,
    /// The billed account: OpenAI project, Anthropic workspace, FOCUS sub-account; empty when not.
    pub account: String,
}

/// One result of a provider's usage export (one bucket, model and account).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct UsageRow {
    /// The file it came from.
    pub source: String,
    /// Where in the file (`data[2].results[0]`).
    pub location: String,
    /// The provider (`openai`, `anthropic`).
    pub provider: String,
    /// The billing period of the bucket's start, `YYYY-MM` (UTC).
    pub period: String,
    /// The bucket's first day and its exclusive end (day numbers, UTC).
    pub start_day: i64,
    /// Exclusive end day of the bucket.
    pub end_day: i64,
    /// The model, when the export was grouped by model; empty when not.
    pub model: String,
    /// The project or workspace, when grouped by it; empty when not.
    pub account: String,
    /// Input tokens, cached and cache-write tokens included.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Requests, when the export counts them (OpenAI does, Anthropic does not).
    pub requests: Option<u64>,
}

/// The ledger's usage per provider, model and UTC day.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct LedgerDay {
    /// The provider, normalized.
    pub provider: String,
    /// The model as the ledger writes it.
    pub model: String,
    /// The day number (UTC).
    pub day: i64,
    /// Input plus output tokens.
    pub tokens: u64,
    /// Ledger rows (requests).
    pub events: u64,
    /// Their cost, micro-units.
    pub micros: i64,
}

/// One tenant's ledger tokens per provider, model and period.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct LedgerTenant {
    /// The tenant.
    pub tenant: String,
    /// The provider, normalized.
    pub provider: String,
    /// The model as the ledger writes it.
    pub model: String,
    /// The billing period, `YYYY-MM`.
    pub period: String,
    /// Input plus output tokens.
    pub tokens: u64,
}

/// The ledger's token counts, or why there are none.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct LedgerUsage {
    /// Per provider, model and day.
    pub days: Vec<LedgerDay>,
    /// Per tenant, provider, model and period.
    pub tenants: Vec<LedgerTenant>,
}

/// What the split is given besides the reconciliation: each input, or why it is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Inputs {
    /// The providers' usage exports (`BRIDGE_USAGE_FILES`), or why there are none.
    pub usage: Result<Vec<UsageRow>, String>,
    /// The ledger's token counts, or why there are none.
    pub ledger: Result<LedgerUsage, String>,
    /// The accounts the ledger meters (`BRIDGE_COST_ACCOUNTS`), `id` or `provider:id`.
    pub accounts: Vec<String>,
    /// How many tenants behind the volume component to keep.
    pub top_tenants: usize,
}

/// The key a model is matched by across the bill, the usage export and the ledger: lower case,
/// before any `, ` (OpenAI's `gpt-4o-mini-2024-07-18, input`), without a trailing date
/// (`-2024-07-18`, `-20250514`).
pub fn model_key(raw: &str) -> String {
    let s = raw.split(',').next().unwrap_or("").trim().to_lowercase();
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let b = s.as_bytes();
    if b.len() > 11 && b[b.len() - 11] == b'-' && b[b.len() - 6] == b'-' && b[b.len() - 3] == b'-' {
        let tail = &s[s.len() - 10..];
        if digits(&tail[..4]) && digits(&tail[5..7]) && digits(&tail[8..]) {
            return s[..s.len() - 11].to_string();
        }
    }
    if b.len() > 9 && b[b.len() - 9] == b'-' && digits(&s[s.len() - 8..]) {
        return s[..s.len() - 9].to_string();
    }
    s
}

/// `n / d` rounded half away from zero (d > 0), as micro-units.
pub(crate) fn div_round(n: i128, d: i128) -> i64 {
    let q = (n.abs() + d / 2) / d;
    (if n < 0 { -q } else { q }) as i64
}

/// Whether `account` of `provider` is one the ledger meters: listed as `id` or `provider:id`.
pub(crate) fn metered(accounts: &[String], provider: &str, account: &str) -> bool {
    accounts.iter().any(|a| a == account || a.strip_prefix(provider).and_then(|r| r.strip_prefix(':')) == Some(account))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_keys_drop_dates_and_token_kinds() {
        assert_eq!(model_key("gpt-4o-mini-2024-07-18, input"), "gpt-4o-mini");
        assert_eq!(model_key("claude-sonnet-4-20250514"), "claude-sonnet-4");
        assert_eq!(model_key("Claude-Haiku-3.5"), "claude-haiku-3.5");
        assert_eq!(model_key("gpt-4o"), "gpt-4o");
        assert_eq!(model_key(""), "");
    }

    #[test]
    fn rounding_and_accounts() {
        assert_eq!(div_round(5, 2), 3);
        assert_eq!(div_round(-5, 2), -3);
        assert_eq!(div_round(4, 3), 1);
        let a = vec!["proj_a".to_string(), "anthropic:wrk_1".to_string()];
        assert!(metered(&a, "openai", "proj_a"));
        assert!(metered(&a, "anthropic", "wrk_1"));
        assert!(!metered(&a, "openai", "wrk_1"));
    }
}
