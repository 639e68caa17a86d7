//! The tenant context: the setting that carries the tenant and how the application sets it.
//! Every statement, expression and remedy text that names the setting is made here, so all
//! of them quote it the same way (as a string literal, the way `set_config` and
//! `current_setting` take it).

use crate::db::{is_transaction_control, quote_literal, split_statements};
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
    /// touching tenant-scoped tables. The default form binds the setting and the id as
    /// parameters; a template runs as one statement through the extended protocol (which
    /// refuses several) inside a savepoint, and the transaction is confirmed still open after
    /// it: if the template ended it, this is an error and nothing else runs.
    pub async fn set(&self, client: &impl tokio_postgres::GenericClient, tenant: &str) -> Result<()> {
        let what = || format!("setting {} for tenant {tenant}", self.setting);
        let Some(template) = &self.template else {
            client
                .execute("SELECT set_config($1::text, $2::text, true)", &[&self.setting, &tenant])
                .await
                .map_err(|e| Error::query(what(), &e))?;
            return Ok(());
        };
        check_template(template)?;
        client
            .batch_execute("SAVEPOINT bridge_context; SELECT set_config('bridge.transaction_open', 'yes', true)")
            .await
            .map_err(|e| Error::query(what(), &e))?;
        client.execute(&self.statement(tenant), &[]).await.map_err(|e| Error::query(what(), &e))?;
        let open: Option<String> = client
            .query_one("SELECT current_setting('bridge.transaction_open', true)", &[])
            .await
            .map_err(|e| Error::query(what(), &e))?
            .get(0);
        if open.as_deref() != Some("yes") {
            return Err(Error::config(
                "your SQL ended the transaction: BRIDGE_TENANT_CONTEXT_SQL ended the transaction the check \
                 runs in, so the check stopped (anything the statement did may have been committed)",
                "make BRIDGE_TENANT_CONTEXT_SQL one statement that only sets the context, e.g. \
                 SELECT set_config('app.current_tenant', {tenant}, true)",
            ));
        }
        client.batch_execute("RELEASE SAVEPOINT bridge_context").await.map_err(|e| Error::query(what(), &e))
    }
}

/// Refuses a context template that is not one statement or that controls the transaction.
pub fn check_template(template: &str) -> Result<()> {
    let statements = split_statements(template);
    let fix = "make BRIDGE_TENANT_CONTEXT_SQL one statement that only sets the context, e.g. \
               SELECT set_config('app.current_tenant', {tenant}, true)";
    if let Some(tc) = statements.iter().find(|s| is_transaction_control(s)) {
        let first = tc.split_whitespace().next().unwrap_or_default();
        return Err(Error::config(
            format!(
                "BRIDGE_TENANT_CONTEXT_SQL holds `{first}`: run, it would have ended the transaction the \
                 checks run in, so nothing was run (BRIDGE_TENANT_CONTEXT_SQL must be one statement)"
            ),
            fix,
        ));
    }
    if statements.len() != 1 {
        return Err(Error::config(
            format!("BRIDGE_TENANT_CONTEXT_SQL must be one statement; it holds {}", statements.len()),
            fix,
        ));
    }
    Ok(())
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
        assert_eq!(t.statement("a\\'b"), "SET app.t = E'a\\\\''b'");
        assert!(check_template("SELECT f({tenant});").is_ok());
        let e = check_template("SELECT f({tenant}); COMMIT").unwrap_err().to_string();
        assert!(e.contains("ended the transaction"), "{e}");
        assert!(check_template("SELECT f({tenant}); SELECT 1").unwrap_err().to_string().contains("one statement"));
    }
}
