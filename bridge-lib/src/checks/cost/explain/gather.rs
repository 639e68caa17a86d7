//! Reads what the split needs besides the reconciliation: the usage exports
//! (`BRIDGE_USAGE_FILES`) and, when there are some and the ledger is the database table, the
//! ledger's token counts. A missing input is not an error: it becomes the reason the
//! components that need it give. A malformed usage export is an error (it was asked for).

use super::model::Inputs;
use crate::config::Config;
use crate::Result;

/// The split's inputs for this configuration.
pub async fn inputs(cfg: &Config) -> Result<Inputs> {
    let c = &cfg.cost;
    let usage = if c.explain.usage_files.is_empty() {
        Err("BRIDGE_USAGE_FILES is not set".to_string())
    } else {
        let (files, known) = (c.explain.usage_files.clone(), c.providers.clone());
        Ok(tokio::task::spawn_blocking(move || super::usage::read_files(&files, &known))
            .await
            .map_err(|e| crate::Error::config(format!("the usage-reading task failed: {e}"), "run it again"))??)
    };
    let ledger = match (&usage, cfg.admin()) {
        (Err(_), _) => Err("not read without usage exports".to_string()),
        (Ok(_), _) if !c.allocated_files.is_empty() => {
            Err("they are read from the ledger table only, and BRIDGE_ALLOCATED_FILES is set".to_string())
        }
        (Ok(_), None) => Err("no database to read the ledger from".to_string()),
        (Ok(_), Some(target)) => super::ledger_usage::read(target, cfg).await,
    };
    Ok(Inputs { usage, ledger, accounts: c.explain.accounts.clone(), top_tenants: c.top_tenants })
}
