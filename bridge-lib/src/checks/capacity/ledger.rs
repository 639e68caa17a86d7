//! The cost ledger's side of the three-way reconciliation: each tenant's recent spend and its
//! last activity, aggregated in the database (one GROUP BY, pushed down) in a read-only
//! transaction that is rolled back. The table and its columns are the cost check's
//! (`BRIDGE_COST_TABLE`, `BRIDGE_COST_COL_*`); it is read through `BRIDGE_ADMIN_DATABASE_URL`
//! (a reporting connection), else `DATABASE_URL`, and per tenant under its context when
//! row-level security hides rows from that role ([`crate::tenant::query_each_tenant`]).

use crate::config::Config;
use crate::db::{self, quote_ident, quote_qualified};
use crate::tenant::{query_each_tenant, ReadAs};
use crate::{Error, Result};
use std::collections::BTreeMap;

/// Enough for a GROUP BY over tens of millions of rows, inside the check's time limit.
const STATEMENT_TIMEOUT: &str = "60s";
/// How a time is shown: RFC 3339, UTC.
const RFC3339: &str = "YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"";

/// One tenant in the ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// Spend over the window (the last `BRIDGE_DORMANT_DAYS` days before `as_of`).
    pub spend: f64,
    /// Ledger rows in the window.
    pub events: u64,
    /// The latest ledger row at or before `as_of`, RFC 3339 UTC.
    pub last_activity: Option<String>,
    /// Days from that row to `as_of`.
    pub idle_days: Option<f64>,
}

/// What the ledger says, per tenant id (as text).
#[derive(Debug, Clone, PartialEq)]
pub struct Ledger {
    /// How it was read (table, role, once or per tenant).
    pub source: String,
    /// The moment counted from, RFC 3339 UTC.
    pub as_of: String,
    /// The same moment, seconds since 1970.
    pub as_of_unix: i64,
    /// The window of the spend, in days (`BRIDGE_DORMANT_DAYS`).
    pub window_days: u32,
    /// Tenant id → its activity; a tenant with no row at all is absent.
    pub tenants: BTreeMap<String, Activity>,
}

/// Reads the ledger; `Ok(None)` when its table does not exist or the connected role may not
/// read it (the ledger is kept in files, or elsewhere): the reconciliation then has registry
/// and index only.
pub async fn read_ledger(cfg: &Config) -> Result<Option<Ledger>> {
    let Some(target) = cfg.admin() else { return Ok(None) };
    let (c, k) = (&cfg.cost, &cfg.cost.columns);
    let mut client = db::connect(target).await?;
    let tx = db::read_only(&mut client).await?;
    tx.batch_execute(&format!("SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'; SET LOCAL TimeZone = 'UTC'"))
        .await
        .map_err(|e| Error::query("setting statement_timeout and TimeZone", &e))?;
    let exists: bool = tx
        .query_one("SELECT coalesce(has_table_privilege(to_regclass($1), 'SELECT'), false)", &[&c.table])
        .await
        .map_err(|e| Error::query(format!("looking up the ledger table {}", c.table), &e))?
        .get(0);
    if !exists {
        let _ = tx.rollback().await;
        return Ok(None);
    }
    // shown to the second; the query counts from the exact moment (a row written this second
    // is not after it)
    let as_of_sql = format!(
        "SELECT to_char(a, '{RFC3339}'), extract(epoch FROM a)::float8 FROM (SELECT coalesce($1::text::timestamptz, now()) AS a) x"
    );
    let row = tx
        .query_one(&as_of_sql, &[&cfg.capacity.as_of])
        .await
        .map_err(|e| Error::query("reading BRIDGE_CAPACITY_AS_OF as a time", &e))?;
    let (as_of, as_of_unix): (String, f64) = (row.get(0), row.get(1));
    // bound as times, so no row computes them (a cast or interval in the query would be
    // evaluated per row: stable functions are not folded)
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(as_of_unix.max(0.0));
    let since = at - std::time::Duration::from_secs(u64::from(cfg.capacity.dormant_days) * 86_400);
    let table = quote_qualified(&c.table);
    let (t, tm, cost) = (quote_ident(&k.tenant), quote_ident(&k.time), quote_ident(&k.cost));
    // one pass: the window's sum and count, and the latest row, per tenant
    let sql = format!(
        "SELECT {t}::text, coalesce(sum({cost}) FILTER (WHERE {tm} > $2), 0)::float8, count(*) FILTER (WHERE {tm} > $2),
                to_char(max({tm}), '{RFC3339}'), (extract(epoch FROM $1 - max({tm})) / 86400)::float8
           FROM {table} WHERE {tm} <= $1 GROUP BY 1"
    );
    let stmt =
        tx.prepare(&sql).await.map_err(|e| Error::query(format!("preparing the per-tenant spend of {table}"), &e))?;
    let (rows, how) = query_each_tenant(&tx, &cfg.tenancy, &c.table, &stmt, &[&at, &since]).await?;
    tx.rollback().await.map_err(|e| Error::query("rolling back", &e))?;
    let tenants = rows
        .iter()
        .map(|r| {
            let a = Activity {
                spend: r.get(1),
                events: r.get::<_, i64>(2) as u64,
                last_activity: r.get(3),
                idle_days: r.get(4),
            };
            (r.get::<_, String>(0), a)
        })
        .collect();
    let source = match how {
        ReadAs::Once => format!("ledger table {} as {}, one GROUP BY", c.table, target.user()),
        ReadAs::PerTenant(n) => {
            format!(
                "ledger table {} as {}, per tenant under its own context ({n} tenants; RLS applies)",
                c.table,
                target.user()
            )
        }
    };
    Ok(Some(Ledger { source, as_of, as_of_unix: as_of_unix as i64, window_days: cfg.capacity.dormant_days, tenants }))
}
