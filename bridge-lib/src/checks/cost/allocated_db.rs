//! The allocated side from PostgreSQL: the ledger table aggregated in the database (GROUP BY
//! pushed down, so it scales with the server, Citus included), in one read-only transaction.
//!
//! Through a reporting connection (`BRIDGE_ADMIN_DATABASE_URL`) that row-level security does
//! not restrict, one query aggregates every tenant. When RLS does apply to the connected role
//! (the application role sees nothing without a tenant context), the same query runs once per
//! tenant of the tenants table with `set_config(tenant_setting, id, true)`.

use super::model::{AllocatedRow, UnknownProvider};
use super::providers::merge_allocated;
use super::units::{parse_micros, period_of};
use crate::config::{Config, DbTarget};
use crate::db::{self, quote_ident, quote_qualified};
use crate::tenant::ReadAs;
use crate::{Error, Result};
use std::collections::BTreeMap;

/// Enough for a GROUP BY over tens of millions of rows, inside the runner's 120 s.
const STATEMENT_TIMEOUT: &str = "100s";

/// Aggregates the ledger table; returns the rows, unknown providers and how it read them.
pub async fn aggregate(target: &DbTarget, cfg: &Config) -> Result<(Vec<AllocatedRow>, Vec<UnknownProvider>, String)> {
    let c = &cfg.cost;
    let k = &c.columns;
    let mut client = db::connect(target).await?;
    let tx = db::read_only(&mut client).await?;
    tx.batch_execute(&format!("SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'; SET LOCAL TimeZone = 'UTC'"))
        .await
        .map_err(|e| Error::query("setting statement_timeout and TimeZone", &e))?;
    check_columns(&tx, cfg).await?;
    let table = quote_qualified(&c.table);
    let (t, p, m, tm, cost) = (
        quote_ident(&k.tenant),
        quote_ident(&k.provider),
        quote_ident(&k.model),
        quote_ident(&k.time),
        quote_ident(&k.cost),
    );
    let bad = format!("{cost} IS NULL OR {tm} IS NULL OR {cost}::float8 < 0 OR {cost}::float8 = 'NaN'::float8");
    // per row only date_trunc (cheap) and the bad-row test; the month is formatted per group. A
    // bad row fails the check below, so the sum need not leave it out. The sum is numeric, exact
    // whatever the column's type (a float8 cost is converted row by row, not summed in float),
    // and rounded once, to micro-units, when it is read. The month is UTC: the transaction's
    // TimeZone is UTC, so date_trunc cuts a timestamptz at UTC month boundaries.
    let sql = format!(
        "SELECT tenant, provider, model, to_char(month, 'YYYY-MM'), total::text, events, bad
           FROM (SELECT {t}::text AS tenant, {p}::text AS provider, {m}::text AS model,
                        date_trunc('month', {tm}) AS month, coalesce(sum({cost}::numeric), 0) AS total,
                        count(*) AS events, count(*) FILTER (WHERE {bad}) AS bad
                   FROM {table} GROUP BY 1, 2, 3, 4) per_month"
    );
    let stmt = tx.prepare(&sql).await.map_err(|e| Error::query(format!("preparing the aggregate of {table}"), &e))?;
    let (rows, read) = crate::tenant::query_each_tenant(&tx, &cfg.tenancy, &c.table, "aggregating", &stmt, &[]).await?;
    let how = match read {
        ReadAs::PerTenant(n) => format!(
            "database table {} as {}, per tenant under its own context ({n} tenants; RLS applies)",
            c.table,
            target.user()
        ),
        ReadAs::Once => format!("database table {} as {}, one GROUP BY", c.table, target.user()),
    };
    let bad_rows: i64 = rows.iter().map(|r| r.get::<_, i64>(6)).sum();
    if bad_rows > 0 {
        let example = tx
            .query_opt(&format!("SELECT {t}::text, coalesce({tm}::text, 'NULL'), coalesce({cost}::text, 'NULL') FROM {table} WHERE {bad} LIMIT 1"), &[])
            .await
            .ok()
            .flatten()
            .map(|r| format!("; e.g. tenant {}, time {}, cost {}", r.get::<_, String>(0), r.get::<_, String>(1), r.get::<_, String>(2)))
            .unwrap_or_default();
        let _ = tx.rollback().await;
        return Err(Error::input(
            format!("table {}, columns `{}` and `{}`", c.table, k.cost, k.time),
            format!("{bad_rows} rows have a negative, NaN or missing cost or time{example}"),
            format!("fix the metering that wrote them, e.g. SELECT * FROM {table} WHERE {bad};"),
        ));
    }
    tx.rollback().await.map_err(|e| Error::query("rolling back", &e))?;

    let at = format!("table {}, column `{}`", c.table, k.provider);
    let mut raw = Vec::with_capacity(rows.len());
    for r in &rows {
        let period: String = r.get(3);
        let sum: String = r.get(4);
        let micros = parse_micros(&sum).ok_or_else(|| {
            Error::input(
                format!("table {}, column `{}`", c.table, k.cost),
                format!("the sum `{sum}` is not a number"),
                "store costs as numeric",
            )
        })?;
        let row = AllocatedRow {
            tenant: r.get(0),
            provider: r.get(1),
            model: r.get(2),
            period: period_of(&period).unwrap_or(period),
            micros,
            events: r.get::<_, i64>(5) as u64,
        };
        raw.push((row, at.clone()));
    }
    let (rows, unknown) = merge_allocated(raw, &c.providers);
    Ok((rows, unknown, how))
}

/// The ledger table must exist and have the configured columns, with a numeric cost and a
/// timestamp time; errors say which variable to set.
async fn check_columns(tx: &tokio_postgres::Transaction<'_>, cfg: &Config) -> Result<()> {
    let c = &cfg.cost;
    let rows = tx
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), t.typcategory::text
           FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
          WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
            &[&c.table],
        )
        .await
        .map_err(|e| Error::query("reading the ledger table's columns", &e))?;
    if rows.is_empty() {
        return Err(Error::config(
            format!("ledger table `{}` not found or not visible", c.table),
            "set BRIDGE_COST_TABLE to the table of per-call costs, grant SELECT on it, or use BRIDGE_ALLOCATED_FILES",
        ));
    }
    let cols: BTreeMap<String, (String, String)> = rows.iter().map(|r| (r.get(0), (r.get(1), r.get(2)))).collect();
    let k = &c.columns;
    for (var, name) in k.by_variable() {
        if !cols.contains_key(name) {
            return Err(Error::config(
                format!(
                    "ledger table `{}` has no column `{name}` (columns: {})",
                    c.table,
                    cols.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
                format!("set {var} to the column that holds it"),
            ));
        }
    }
    let (cost_type, cost_cat) = &cols[&k.cost];
    if cost_cat != "N" {
        return Err(Error::config(
            format!("ledger column `{}.{}` is {cost_type}, not a number", c.table, k.cost),
            format!(
                "ALTER TABLE {} ALTER COLUMN {} TYPE numeric(14,6) USING {}::numeric;",
                quote_qualified(&c.table),
                quote_ident(&k.cost),
                quote_ident(&k.cost)
            ),
        ));
    }
    let (time_type, time_cat) = &cols[&k.time];
    if time_cat != "D" {
        return Err(Error::config(
            format!("ledger column `{}.{}` is {time_type}, not a timestamp", c.table, k.time),
            format!("set BRIDGE_COST_COL_TIME to a timestamptz column, or ALTER TABLE {} ALTER COLUMN {} TYPE timestamptz USING {}::timestamptz;", quote_qualified(&c.table), quote_ident(&k.time), quote_ident(&k.time)),
        ));
    }
    Ok(())
}
