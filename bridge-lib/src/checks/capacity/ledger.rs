//! The cost ledger's side of the three-way reconciliation: each tenant's recent spend and its
//! last activity, aggregated in the database in a read-only transaction that is rolled back.
//! The work follows what is needed, not the ledger's size: the spend is one GROUP BY over the
//! window's rows only (`time > since AND time <= as_of`, a range of an index on the time
//! column), and the last activity of a known tenant the window did not see (a dormant
//! candidate) is one index probe each (`max(time)` of that tenant, an index on (tenant, time)). The table and its columns are the cost check's
//! (`BRIDGE_COST_TABLE`, `BRIDGE_COST_COL_*`); it is read through `BRIDGE_ADMIN_DATABASE_URL`
//! (a reporting connection), else `DATABASE_URL`, and per tenant under its context when
//! row-level security hides rows from that role (every tenant of the tenants table).

use crate::config::Config;
use crate::db::{self, quote_ident, quote_qualified};
use crate::pinecone::history::format_rfc3339;
use crate::tenant::{rls_applies, ReadAs};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio_postgres::{Row, Statement, Transaction};

/// Enough for a window of tens of millions of rows, inside the check's time limit.
const STATEMENT_TIMEOUT: &str = "60s";
/// Memory for the per-tenant hash of the window's aggregate (bounded by the tenant count).
const WORK_MEM: &str = "128MB";
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
///
/// Every tenant with a row in the window is listed; of the others, only the `known` ones
/// (the registry: the dormant candidates) are looked up, and listed when they have a row at
/// or before `as_of`. A tenant with no row at all is absent.
pub async fn read_ledger(cfg: &Config, known: &[&str]) -> Result<Option<Ledger>> {
    let ids = known.iter().map(|id| id.to_string()).collect();
    Ok(read_ledger_beside(cfg, async { Ok(ids) }, |ids: &Vec<String>| ids.iter().map(String::as_str).collect())
        .await?
        .1)
}

/// [`read_ledger`] while `registry` (the tenants, from another connection) is read: the
/// window's GROUP BY runs in the database meanwhile, and only the probe of the quiet tenants
/// (`known` of what the registry gave) waits for it. An error of the registry comes first.
pub async fn read_ledger_beside<R>(
    cfg: &Config,
    registry: impl std::future::Future<Output = Result<R>>,
    known: impl Fn(&R) -> Vec<&str>,
) -> Result<(R, Option<Ledger>)> {
    let Some(target) = cfg.admin() else { return Ok((registry.await?, None)) };
    let mut client = match db::connect(target).await {
        Ok(c) => c,
        Err(e) => return Err(registry.await.err().unwrap_or(e)),
    };
    let tx = match db::read_only(&mut client).await {
        Ok(tx) => tx,
        Err(e) => return Err(registry.await.err().unwrap_or(e)),
    };
    let (registry, window) = tokio::join!(registry, read_window(cfg, &tx));
    let (registry, window) = (registry?, window?);
    let Some(mut w) = window else {
        let _ = tx.rollback().await;
        return Ok((registry, None));
    };
    let table = quote_qualified(&cfg.cost.table);
    let (how, tenants) = match w.seen.take() {
        Some(mut seen) => {
            // last activity only for the known tenants the window did not see: one index probe each
            let quiet: Vec<&str> = known(&registry).into_iter().filter(|id| !seen.contains_key(*id)).collect();
            if !quiet.is_empty() {
                let rows = tx
                    .query(&w.probe, &[&w.at, &quiet])
                    .await
                    .map_err(|e| Error::query(format!("reading the last activity in {table}"), &e))?;
                seen.extend(rows.iter().map(|r| before_window(r, w.at)));
            }
            (ReadAs::Once, seen)
        }
        None => {
            let (n, all) = per_tenant(cfg, &tx, &w).await?;
            (ReadAs::PerTenant(n), all)
        }
    };
    tx.rollback().await.map_err(|e| Error::query("rolling back", &e))?;
    let (c, user) = (&cfg.cost, target.user());
    let source = match how {
        ReadAs::Once => format!("ledger table {} as {user}, one GROUP BY over the window", c.table),
        ReadAs::PerTenant(n) => format!(
            "ledger table {} as {user}, the window per tenant under its own context ({n} tenants; RLS applies)",
            c.table
        ),
    };
    let ledger =
        Ledger { source, as_of: w.as_of, as_of_unix: unix_secs(w.at), window_days: cfg.capacity.dormant_days, tenants };
    Ok((registry, Some(ledger)))
}

/// The window as read before the registry is needed: the moment, the prepared statements, and
/// (when row-level security does not hide rows) every tenant the window saw.
struct Window {
    as_of: String,
    at: SystemTime,
    since: SystemTime,
    window: Statement,
    probe: Statement,
    /// Every tenant the window saw, when it was read once (row-level security hides no rows);
    /// `None`: it is read per tenant, under each one's context.
    seen: Option<BTreeMap<String, Activity>>,
}

/// Sets the transaction up and reads the window once (`Ok(None)`: no ledger table to read).
async fn read_window(cfg: &Config, tx: &Transaction<'_>) -> Result<Option<Window>> {
    let (c, k) = (&cfg.cost, &cfg.cost.columns);
    // work_mem: the window's hash of one entry per tenant (about 50 MB for 100,000) stays in
    // memory instead of a sort spilled to disk; jit: compiling costs more than it saves here
    tx.batch_execute(&format!(
        "SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'; SET LOCAL TimeZone = 'UTC';
         SET LOCAL work_mem = '{WORK_MEM}'; SET LOCAL jit = off"
    ))
    .await
    .map_err(|e| Error::query("setting statement_timeout, TimeZone, work_mem and jit", &e))?;
    let exists: bool = tx
        .query_one("SELECT coalesce(has_table_privilege(to_regclass($1), 'SELECT'), false)", &[&c.table])
        .await
        .map_err(|e| Error::query(format!("looking up the ledger table {}", c.table), &e))?
        .get(0);
    if !exists {
        return Ok(None);
    }
    // shown to the second; the query counts from the exact moment (a row written this second
    // is not after it)
    let as_of_sql =
        format!("SELECT to_char(a, '{RFC3339}'), a FROM (SELECT coalesce($1::text::timestamptz, now()) AS a) x");
    let row = tx
        .query_one(&as_of_sql, &[&cfg.capacity.as_of])
        .await
        .map_err(|e| Error::query("reading BRIDGE_CAPACITY_AS_OF as a time", &e))?;
    let (as_of, at): (String, SystemTime) = (row.get(0), row.get(1));
    // bound as times, so no row computes them (a cast or interval in the query would be
    // evaluated per row: stable functions are not folded)
    let since = at - std::time::Duration::from_secs(u64::from(cfg.capacity.dormant_days) * 86_400);
    let table = quote_qualified(&c.table);
    let (t, tm, cost) = (quote_ident(&k.tenant), quote_ident(&k.time), quote_ident(&k.cost));
    // the window's rows only (a range of the ledger's time index): spend, count and the
    // latest row per tenant; the latest time comes back as a time (binary), shown and counted
    // here: formatting it in the server costs a tenth of the query at 100,000 tenants
    let window_sql = format!(
        "SELECT {t}::text, coalesce(sum({cost}), 0)::float8, count(*), max({tm})
           FROM {table} WHERE {tm} > $2 AND {tm} <= $1 GROUP BY {t}"
    );
    let window = tx
        .prepare(&window_sql)
        .await
        .map_err(|e| Error::query(format!("preparing the per-tenant spend of {table}"), &e))?;
    let probe = prepare_probe(tx, &c.table, &k.tenant, &k.time).await?;
    let mut w = Window { as_of, at, since, window, probe, seen: None };
    if !rls_applies(tx, &c.table).await? {
        let rows =
            tx.query(&w.window, &[&at, &since]).await.map_err(|e| Error::query(format!("reading {table}"), &e))?;
        // collected (sorted once, then built), not inserted one by one
        w.seen = Some(rows.iter().map(|r| in_window(r, at)).collect());
    }
    Ok(Some(w))
}

/// The window per tenant of the tenants table, under its context (row-level security hides
/// the others' rows from this role), and the last activity of each one the window did not
/// see: the tenants counted, and what they gave.
async fn per_tenant(cfg: &Config, tx: &Transaction<'_>, w: &Window) -> Result<(usize, BTreeMap<String, Activity>)> {
    let mut tenants = BTreeMap::new();
    let table = quote_qualified(&cfg.cost.table);
    let ids = crate::tenant::ids(tx, &cfg.tenancy).await?;
    for id in &ids {
        cfg.tenancy.context.set(tx, id).await?;
        let rows = tx
            .query(&w.window, &[&w.at, &w.since])
            .await
            .map_err(|e| Error::query(format!("reading {table} for tenant {id}"), &e))?;
        let rows = if rows.is_empty() {
            tx.query(&w.probe, &[&w.at, &vec![id.as_str()]])
                .await
                .map_err(|e| Error::query(format!("reading the last activity in {table} for tenant {id}"), &e))?
                .iter()
                .map(|r| before_window(r, w.at))
                .collect::<Vec<_>>()
        } else {
            rows.iter().map(|r| in_window(r, w.at)).collect()
        };
        tenants.extend(rows);
    }
    Ok((ids.len(), tenants))
}

/// A tenant seen in the window: `(tenant, spend, events, last time)`.
fn in_window(r: &Row, as_of: SystemTime) -> (String, Activity) {
    let (last_activity, idle_days) = last(r.get(3), as_of);
    let a = Activity { spend: r.get(1), events: r.get::<_, i64>(2) as u64, last_activity, idle_days };
    (r.get(0), a)
}

/// A tenant with no row in the window and one before it: `(tenant, last time)`.
fn before_window(r: &Row, as_of: SystemTime) -> (String, Activity) {
    let (last_activity, idle_days) = last(r.get(1), as_of);
    (r.get(0), Activity { spend: 0.0, events: 0, last_activity, idle_days })
}

/// A ledger time as RFC 3339 UTC (to the second, rounded down) and the days from it to
/// `as_of`, counted in whole microseconds (the database's resolution) so the quotient is the
/// one the database would give.
fn last(at: Option<SystemTime>, as_of: SystemTime) -> (Option<String>, Option<f64>) {
    let Some(at) = at else { return (None, None) };
    let idle_us = match as_of.duration_since(at) {
        Ok(d) => d.as_micros() as f64,
        Err(e) => -(e.duration().as_micros() as f64),
    };
    (Some(format_rfc3339(unix_secs(at))), Some(idle_us / 86_400_000_000.0))
}

/// Whole seconds since 1970 (rounded down).
fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs_f64().ceil() as i64),
    }
}

/// The last activity of the tenants in `$2` (text ids) at or before `$1`: one `max(time)` per
/// tenant, which an index on (tenant, time) answers with a single backward probe. The ids
/// are cast to the tenant column's own type (without its length), so the index applies.
async fn prepare_probe(tx: &Transaction<'_>, table: &str, tenant: &str, time: &str) -> Result<Statement> {
    let ty: Option<String> = tx
        .query_opt(
            "SELECT format_type(atttypid, NULL) FROM pg_attribute
              WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped",
            &[&table, &tenant],
        )
        .await
        .map_err(|e| Error::query(format!("looking up the type of {table}.{tenant}"), &e))?
        .map(|r| r.get(0));
    let Some(ty) = ty else {
        return Err(Error::config(
            format!("the ledger table {table} has no column `{tenant}`"),
            "set BRIDGE_COST_COL_TENANT to the ledger's tenant column",
        ));
    };
    let (q, t, tm) = (quote_qualified(table), quote_ident(tenant), quote_ident(time));
    let sql = format!(
        "SELECT c.id, l.last
           FROM unnest($2::text[]) AS c(id)
          CROSS JOIN LATERAL (SELECT max({tm}) AS last FROM {q} WHERE {t} = c.id::{ty} AND {tm} <= $1) l
          WHERE l.last IS NOT NULL"
    );
    tx.prepare(&sql).await.map_err(|e| Error::query(format!("preparing the last activity of {q}"), &e))
}
