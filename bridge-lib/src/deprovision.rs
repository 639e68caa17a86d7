//! `bridge tenants deprovision`: removes test tenants, idempotently: their rows in every
//! tenant-scoped table (children before the tables they reference) and in the tenants table,
//! in one transaction under a lock on the tenants table, each DELETE with `RETURNING`, then
//! their namespaces through the Pinecone API (or the command to run when no key is set).
//!
//! A registered tenant that is not a test tenant is refused, before anything changes, unless
//! `force`. A tenant already gone is not an error: its rows and namespace are "already gone".
//! After the commit a fresh read checks that no row of any removed tenant is left.

use crate::config::Config;
use crate::db::{self, quote_ident, quote_literal, quote_qualified};
use crate::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use tokio_postgres::GenericClient;

/// What happened (or, in a dry run, would happen) to one tenant's namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "action", content = "detail")]
pub enum NamespaceAction {
    /// Deleted through the API.
    Deleted,
    /// There was none (404): nothing to delete.
    AlreadyGone,
    /// Dry run: would be deleted through the API.
    WouldDelete,
    /// No Pinecone key configured: the command to run.
    RunThis(String),
}

/// One tenant's removal.
#[derive(Debug, Clone, Serialize)]
pub struct Removal {
    /// The tenant id.
    pub tenant: String,
    /// It was in the tenants table.
    pub registered: bool,
    /// Rows removed (or, in a dry run, found) per table, the tenants table last.
    pub rows: BTreeMap<String, u64>,
    /// Its namespace.
    pub namespace: String,
    /// What happened to it.
    pub namespace_action: NamespaceAction,
}

/// What `deprovision` did.
#[derive(Debug, Clone, Serialize)]
pub struct Deprovisioned {
    /// Nothing was changed.
    pub dry_run: bool,
    /// Per tenant, in the order asked.
    pub tenants: Vec<Removal>,
    /// The SQL, per tenant, in order (one transaction).
    pub statements: Vec<String>,
}

/// Removes `ids` (see the module). `dry_run` counts and prints, changing nothing.
pub async fn deprovision(cfg: &Config, ids: &[String], dry_run: bool, force: bool) -> Result<Deprovisioned> {
    let target = cfg.admin().ok_or_else(|| {
        Error::config(
            "no database configured for deprovisioning",
            "set BRIDGE_ADMIN_DATABASE_URL (or DATABASE_URL), or run with --demo",
        )
    })?;
    let mut client = db::connect(target).await?;
    let tx = client.transaction().await.map_err(|e| Error::query("starting the deprovisioning transaction", &e))?;
    let t = &cfg.tenancy;
    if !dry_run {
        let lock = format!("SET LOCAL lock_timeout = '60s'; LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE", t.table_sql());
        tx.batch_execute(&lock).await.map_err(|e| Error::query("locking the tenants table for deprovisioning", &e))?;
    }
    let registry = crate::tenant::list(&tx, t).await?;
    let refused: Vec<&str> =
        ids.iter().filter(|id| registry.iter().any(|r| &&r.id == id && !r.is_test)).map(String::as_str).collect();
    if !refused.is_empty() && !force {
        let _ = tx.rollback().await;
        return Err(Error::config(
            format!("refused: {} not a test tenant (is_test is false), so nothing was removed", refused.join(", ")),
            "deprovision removes test tenants; pass --force to remove a real tenant's rows and namespace",
        ));
    }
    let tables = delete_order(&tx, &crate::tenant::scoped_tables(&tx, t).await?).await?;
    let mut out = Deprovisioned { dry_run, tenants: Vec::new(), statements: Vec::new() };
    for id in ids {
        let registered = registry.iter().any(|r| &r.id == id);
        t.context.set(&tx, id).await?;
        let mut rows = BTreeMap::new();
        let all = tables.iter().map(|x| (x.clone(), t.column_sql())).chain([(t.table.clone(), quote_ident("id"))]);
        for (table, column) in all {
            let from = format!("{} WHERE {column}::text = {}", quote_qualified(&table), quote_literal(id));
            out.statements.push(format!("DELETE FROM {from}"));
            let sql = if dry_run { format!("SELECT 1 FROM {from}") } else { format!("DELETE FROM {from} RETURNING 1") };
            let n = tx
                .query(&sql, &[])
                .await
                .map_err(|e| Error::query(format!("removing tenant {id} from {table}"), &e))?
                .len();
            rows.insert(table, n as u64);
        }
        let namespace = format!("{}{id}", cfg.capacity.namespace_prefix);
        out.tenants.push(Removal {
            tenant: id.clone(),
            registered,
            rows,
            namespace,
            namespace_action: NamespaceAction::AlreadyGone,
        });
    }
    if dry_run {
        let _ = tx.rollback().await;
    } else {
        tx.commit().await.map_err(|e| Error::query("committing the deprovisioning", &e))?;
        verify_gone(cfg, &tables, ids).await?;
    }
    for r in &mut out.tenants {
        r.namespace_action = namespace(cfg, &r.namespace, dry_run).await?;
    }
    Ok(out)
}

/// The tables ordered so that a table comes before every table it references (its rows go
/// first); tables in a reference cycle keep their order at the end.
async fn delete_order(client: &impl GenericClient, tables: &[String]) -> Result<Vec<String>> {
    let edges = client
        .query(
            "SELECT format('%I.%I', cn.nspname, c.relname), format('%I.%I', fn.nspname, f.relname)
               FROM pg_constraint k
               JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
               JOIN pg_class f ON f.oid = k.confrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace
              WHERE k.contype = 'f' AND k.conrelid <> k.confrelid",
            &[],
        )
        .await
        .map_err(|e| Error::query("reading the foreign keys between tenant tables", &e))?;
    let edges: Vec<(String, String)> = edges.iter().map(|r| (r.get(0), r.get(1))).collect();
    let mut left: Vec<String> = tables.to_vec();
    let mut order = Vec::with_capacity(left.len());
    while !left.is_empty() {
        // a table no remaining table references can go now
        let pos = left.iter().position(|x| !edges.iter().any(|(from, to)| to == x && from != x && left.contains(from)));
        order.push(left.remove(pos.unwrap_or(0)));
    }
    Ok(order)
}

/// Reads again, in a new transaction, that no row of `ids` is left anywhere.
async fn verify_gone(cfg: &Config, tables: &[String], ids: &[String]) -> Result<()> {
    let target = cfg.admin().ok_or_else(|| Error::config("no database configured", "set BRIDGE_ADMIN_DATABASE_URL"))?;
    let mut client = db::connect(target).await?;
    let tx = db::read_only(&mut client).await?;
    let t = &cfg.tenancy;
    for id in ids {
        t.context.set(&tx, id).await?;
        let all = tables.iter().map(|x| (x.clone(), t.column_sql())).chain([(t.table.clone(), quote_ident("id"))]);
        for (table, column) in all {
            let sql = format!("SELECT count(*) FROM {} WHERE {column}::text = $1", quote_qualified(&table));
            let n: i64 =
                tx.query_one(&sql, &[id]).await.map_err(|e| Error::query(format!("checking {table}"), &e))?.get(0);
            if n > 0 {
                return Err(Error::config(
                    format!("deprovisioning committed, yet {n} rows of tenant {id} are still in {table}"),
                    "a trigger or a concurrent writer put them back: find it, then run deprovision again",
                ));
            }
        }
    }
    let _ = tx.rollback().await;
    Ok(())
}

/// Deletes (or, in a dry run, names) the namespace; without a Pinecone key, says what to run.
async fn namespace(cfg: &Config, ns: &str, dry_run: bool) -> Result<NamespaceAction> {
    let curl = |host: &str, version: &str| {
        format!(
            "curl -X DELETE \"https://{host}/namespaces/{ns}\" -H \"Api-Key: $PINECONE_API_KEY\" -H \"X-Pinecone-Api-Version: {version}\""
        )
    };
    let Some(p) = &cfg.pinecone else {
        return Ok(NamespaceAction::RunThis(curl("INDEX_HOST", crate::pinecone::DEFAULT_API_VERSION)));
    };
    if dry_run {
        return Ok(NamespaceAction::WouldDelete);
    }
    delete_live(p, ns).await
}

#[cfg(feature = "pinecone-api")]
async fn delete_live(p: &crate::config::PineconeConfig, ns: &str) -> Result<NamespaceAction> {
    let client = crate::pinecone::Client::new(p)?;
    let host = client.data_host().await?;
    Ok(if client.delete_namespace(&host, ns).await? { NamespaceAction::Deleted } else { NamespaceAction::AlreadyGone })
}

#[cfg(not(feature = "pinecone-api"))]
async fn delete_live(p: &crate::config::PineconeConfig, ns: &str) -> Result<NamespaceAction> {
    let host = p.host.clone().unwrap_or_else(|| "INDEX_HOST".into());
    Ok(NamespaceAction::RunThis(format!(
        "curl -X DELETE \"https://{host}/namespaces/{ns}\" -H \"Api-Key: $PINECONE_API_KEY\" -H \"X-Pinecone-Api-Version: {}\"",
        p.api_version
    )))
}
