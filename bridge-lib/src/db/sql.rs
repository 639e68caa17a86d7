//! Small SQL helpers: quoting, one query with a clear error, the read-only transaction.

use crate::{Error, Result};
use tokio_postgres::Client;

/// Quotes one identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes `name` or `schema.name`.
pub fn quote_qualified(name: &str) -> String {
    name.split('.').map(quote_ident).collect::<Vec<_>>().join(".")
}

/// Quotes a string literal (for SQL shown to users as a remedy or dry run).
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Splits `schema.name` into its parts; a bare name is looked up on the search path (`None`).
pub fn split_qualified(name: &str) -> (Option<&str>, &str) {
    match name.split_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, name),
    }
}

/// Runs a query with a clear error naming what it was for.
pub async fn query(
    client: &Client,
    context: &str,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<tokio_postgres::Row>> {
    client.query(sql, params).await.map_err(|e| Error::query(context, &e))
}

/// Starts a read-only transaction with a 15 s statement timeout: what every check and every
/// notebook read runs in, so none of them can change user data or hang.
pub async fn read_only(client: &mut Client) -> Result<tokio_postgres::Transaction<'_>> {
    let tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .await
        .map_err(|e| Error::query("starting a read-only transaction", &e))?;
    tx.batch_execute("SET LOCAL statement_timeout = '15s'")
        .await
        .map_err(|e| Error::query("setting statement_timeout", &e))?;
    Ok(tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_qualified("public.tenants"), "\"public\".\"tenants\"");
        assert_eq!(quote_literal("o'k"), "'o''k'");
        assert_eq!(split_qualified("s.t"), (Some("s"), "t"));
        assert_eq!(split_qualified("t"), (None, "t"));
    }
}
