//! Reading a tenant-scoped table whole when row-level security hides rows: the query runs
//! once when RLS does not apply to the connected role, else once per tenant of the tenants
//! table under that tenant's context (what the cost check's database route does).

use super::Tenancy;
use crate::{Error, Result};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement, Transaction};

/// How [`query_each_tenant`] read the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAs {
    /// One query: RLS does not apply to the connected role.
    Once,
    /// Once per tenant under its context (RLS applies): this many tenants.
    PerTenant(usize),
}

/// Runs `stmt` (`doing` to `table`: `reading`, `aggregating`) once when row-level security does not apply to `table` for
/// the connected role; when it does, once per tenant of the tenants table with
/// `set_config(<setting>, id, true)` first, so every row the application can attribute is
/// read. Meant for a read-only transaction; the context set last stays until it ends.
pub async fn query_each_tenant(
    tx: &Transaction<'_>,
    t: &Tenancy,
    table: &str,
    doing: &str,
    stmt: &Statement,
    params: &[&(dyn ToSql + Sync)],
) -> Result<(Vec<Row>, ReadAs)> {
    if !rls_applies(tx, table).await? {
        let rows = tx.query(stmt, params).await.map_err(|e| Error::query(format!("{doing} {table}"), &e))?;
        return Ok((rows, ReadAs::Once));
    }
    let ids = super::ids(tx, t).await?;
    let mut rows = Vec::new();
    for id in &ids {
        t.context.set(tx, id).await?;
        rows.extend(
            tx.query(stmt, params).await.map_err(|e| Error::query(format!("{doing} {table} for tenant {id}"), &e))?,
        );
    }
    Ok((rows, ReadAs::PerTenant(ids.len())))
}

/// Whether row-level security restricts what the connected role reads of `table`.
pub async fn rls_applies(tx: &Transaction<'_>, table: &str) -> Result<bool> {
    Ok(tx
        .query_one("SELECT coalesce(row_security_active(to_regclass($1)), false)", &[&table])
        .await
        .map_err(|e| Error::query(format!("asking whether row-level security applies to {table}"), &e))?
        .get(0))
}
