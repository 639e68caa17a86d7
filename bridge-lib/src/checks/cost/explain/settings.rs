//! Settings of the gap explanation: one field and one line of [`ExplainConfig::from_lookup`]
//! each (the default included), hooked into the cost settings as `CostConfig::explain`.

use crate::setting::{self, Lookup};
use crate::Result;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Settings of the gap explanation (part of the cost check's settings).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExplainConfig {
    /// The providers' usage exports: OpenAI `GET /v1/organization/usage/completions` and
    /// Anthropic `GET /v1/organizations/usage_report/messages` JSON, saved as-is
    /// (`BRIDGE_USAGE_FILES`, comma-separated; default none: volume and rate are not computed).
    pub usage_files: Vec<PathBuf>,
    /// The billed accounts (OpenAI projects, Anthropic workspaces, FOCUS sub-accounts) the
    /// ledger meters, `id` or `provider:id` (`BRIDGE_COST_ACCOUNTS`, comma-separated; default
    /// none: unattributed is computed only when the bill names at most one account).
    pub accounts: Vec<String>,
    /// The ledger's input-token column (`BRIDGE_COST_COL_INPUT_TOKENS`, default `input_tokens`).
    pub input_tokens: String,
    /// The ledger's output-token column (`BRIDGE_COST_COL_OUTPUT_TOKENS`, default `output_tokens`).
    pub output_tokens: String,
}

impl Default for ExplainConfig {
    fn default() -> Self {
        Self::from_lookup(&setting::nothing_set).expect("the defaults parse")
    }
}

impl ExplainConfig {
    /// Reads `BRIDGE_USAGE_FILES`, `BRIDGE_COST_ACCOUNTS` and the token columns.
    pub fn from_lookup(get: Lookup) -> Result<Self> {
        let var = "BRIDGE_USAGE_FILES";
        Ok(ExplainConfig {
            usage_files: setting::list(get, var, &[])
                .into_iter()
                .map(|p| crate::files::configured(var, PathBuf::from(p)))
                .collect::<Result<_>>()?,
            accounts: setting::list(get, "BRIDGE_COST_ACCOUNTS", &[]),
            input_tokens: setting::name(get, "BRIDGE_COST_COL_INPUT_TOKENS", "input_tokens")?,
            output_tokens: setting::name(get, "BRIDGE_COST_COL_OUTPUT_TOKENS", "output_tokens")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_and_default() {
        let d = ExplainConfig::default();
        assert!(d.usage_files.is_empty() && d.accounts.is_empty());
        assert_eq!((d.input_tokens.as_str(), d.output_tokens.as_str()), ("input_tokens", "output_tokens"));
        let get = |v: &str| match v {
            "BRIDGE_USAGE_FILES" => Some("a.json, b.json".to_string()),
            "BRIDGE_COST_ACCOUNTS" => Some("openai:proj_1,wrk_2".to_string()),
            "BRIDGE_COST_COL_INPUT_TOKENS" => Some("prompt_tokens".to_string()),
            _ => None,
        };
        let c = ExplainConfig::from_lookup(&get).unwrap();
        assert_eq!(c.usage_files, vec![PathBuf::from("a.json"), PathBuf::from("b.json")]);
        assert_eq!(c.accounts, vec!["openai:proj_1", "wrk_2"]);
        assert_eq!(c.input_tokens, "prompt_tokens");
        let bad = |v: &str| (v == "BRIDGE_COST_COL_OUTPUT_TOKENS").then(|| "out; drop".to_string());
        let e = ExplainConfig::from_lookup(&bad).unwrap_err().to_string();
        assert!(e.contains("BRIDGE_COST_COL_OUTPUT_TOKENS"), "{e}");
    }
}
