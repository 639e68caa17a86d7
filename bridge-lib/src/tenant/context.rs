//! The tenant context: the setting that carries the tenant and how the application sets it.
//! Every statement, expression and remedy text that names the setting is made here, so all
//! of them quote it the same way (as a string literal, the way `set_config` and
//! `current_setting` take it).

use crate::db::quote_literal;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// How the tenant context is carried: the setting and the application's statement template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantContext {
    /// The setting that carries the tenant context (`BRIDGE_TENANT_SETTING`, default
    /// `app.current_tenant`), set transaction-locally with `set_config(name, value, true)`.
    pub setting: String,
    /// How the application sets the tenant context (`BRIDGE_TENANT_CONTEXT_SQL`), with
    /// `{tenant}` standing for the quoted tenant id; default none:
    /// `SELECT set_config('<setting>', {tenant}, true)`.
    pub template: Option<String>,
}

impl Default for TenantContext {
    fn default() -> Self {
        TenantContext { setting: "app.current_tenant".into(), template: None }
    }
}

impl TenantContext {
    /// The statement that sets the tenant context the way the application does: the template
    /// with `{tenant}` replaced by the quoted id, or [`TenantContext::set_config`].
    pub fn statement(&self, tenant: &str) -> String {
        let t = quote_literal(tenant);
        match &self.template {
            Some(template) => template.replace("{tenant}", &t),
            None => self.set_config(&t),
        }
    }

    /// `SELECT set_config('<setting>', <value_sql>, true)`: the transaction-local form, with
    /// `value_sql` already SQL (a quoted literal or a parameter such as `$1`).
    pub fn set_config(&self, value_sql: &str) -> String {
        format!("SELECT set_config({}, {value_sql}, true)", quote_literal(&self.setting))
    }

    /// The statement that resets the setting for the session (what `RESET <setting>` does:
    /// `set_config` with a NULL value resets), with the name quoted like everywhere else.
    pub fn reset(&self) -> String {
        format!("SELECT set_config({}, NULL, false)", quote_literal(&self.setting))
    }

    /// The SQL expression that reads the context: `current_setting('<setting>', true)`.
    pub fn read_expr(&self) -> String {
        format!("current_setting({}, true)", quote_literal(&self.setting))
    }

    /// The remedy for a context that outlives its transaction.
    pub fn local_remedy(&self) -> String {
        format!(
            "set the context transaction-locally: {} inside the request's transaction (never SET)",
            self.set_config("$1")
        )
    }

    /// Sets the tenant context for the rest of the transaction, as the application does before
    /// touching tenant-scoped tables ([`TenantContext::statement`]).
    pub async fn set(&self, client: &impl tokio_postgres::GenericClient, tenant: &str) -> Result<()> {
        client
            .batch_execute(&self.statement(tenant))
            .await
            .map_err(|e| Error::query(format!("setting {} for tenant {tenant}", self.setting), &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_quotes_the_setting_the_same_way() {
        let c = TenantContext { setting: "app.o'k".into(), template: None };
        assert_eq!(c.statement("t1"), "SELECT set_config('app.o''k', 't1', true)");
        assert_eq!(c.reset(), "SELECT set_config('app.o''k', NULL, false)");
        assert_eq!(c.read_expr(), "current_setting('app.o''k', true)");
        assert!(c.local_remedy().contains("SELECT set_config('app.o''k', $1, true)"), "{}", c.local_remedy());
        let t = TenantContext { template: Some("SET app.t = {tenant}".into()), ..c };
        assert_eq!(t.statement("a'b"), "SET app.t = 'a''b'");
    }
}
