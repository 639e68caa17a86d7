//! The ledger's side of volume and timing: token and request counts per provider, model and
//! UTC day, and per tenant, provider, model and month, from the ledger table (the same table
//! and `BRIDGE_COST_COL_*` columns the allocated side reads, plus the token columns
//! `BRIDGE_COST_COL_INPUT_TOKENS` and `BRIDGE_COST_COL_OUTPUT_TOKENS`), aggregated in the
//! database in one read-only transaction. When row-level security applies to the connected
//! role, the same queries run once per tenant under its own context, as the allocated side does.
//!
//! Missing token columns or a failed query are not errors of the check: the split then says
//! volume and rate could not be computed, and why.

use super::model::{LedgerDay, LedgerTenant, LedgerUsage};
use crate::checks::cost::normalize_provider;
use crate::checks::cost::units::{days_of_iso, parse_micros};
use crate::config::{Config, DbTarget};
use crate::db::{self, quote_ident, quote_qualified};
use crate::{Error, Result};
use std::collections::BTreeMap;

/// Reads the ledger's token counts, or says why it could not.
pub async fn read(target: &DbTarget, cfg: &Config) -> std::result::Result<LedgerUsage, String> {
    query(target, cfg).await.map_err(|e| format!("the ledger's token counts could not be read: {e}"))
}

async fn query(target: &DbTarget, cfg: &Config) -> Result<LedgerUsage> {
    let c = &cfg.cost;
    let (k, x) = (&c.columns, &c.explain);
    let mut client = db::connect(target).await?;
    let tx = db::read_only(&mut client).await?;
    tx.batch_execute("SET LOCAL statement_timeout = '100s'; SET LOCAL TimeZone = 'UTC'")
        .await
        .map_err(|e| Error::query("setting statement_timeout and TimeZone", &e))?;
    let cols: Vec<String> = tx
        .query(
            "SELECT attname::text FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
            &[&c.table],
        )
        .await
        .map_err(|e| Error::query("reading the ledger table's columns", &e))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for (var, col) in
        [("BRIDGE_COST_COL_INPUT_TOKENS", &x.input_tokens), ("BRIDGE_COST_COL_OUTPUT_TOKENS", &x.output_tokens)]
    {
        if !cols.contains(col) {
            return Err(Error::config(
                format!("ledger table `{}` has no column `{col}`", c.table),
                format!("set {var} to the column that holds the tokens"),
            ));
        }
    }
    let q = |s: &str| quote_ident(s);
    let (t, p, m, tm, cost) = (q(&k.tenant), q(&k.provider), q(&k.model), q(&k.time), q(&k.cost));
    let tokens =
        format!("coalesce({}, 0)::numeric + coalesce({}, 0)::numeric", q(&x.input_tokens), q(&x.output_tokens));
    let table = quote_qualified(&c.table);
    let days_sql = format!(
        "SELECT {p}::text, {m}::text, to_char(date_trunc('day', {tm}), 'YYYY-MM-DD'), sum({tokens})::text, count(*),
                coalesce(sum({cost}), 0)::numeric::text
           FROM {table} WHERE {tm} IS NOT NULL GROUP BY 1, 2, 3"
    );
    let tenants_sql = format!(
        "SELECT {t}::text, {p}::text, {m}::text, to_char(date_trunc('month', {tm}), 'YYYY-MM'), sum({tokens})::text
           FROM {table} WHERE {tm} IS NOT NULL GROUP BY 1, 2, 3, 4"
    );
    let rls = crate::tenant::rls_applies(&tx, &c.table).await?;
    let contexts =
        if rls { crate::tenant::ids(&tx, &cfg.tenancy).await?.into_iter().map(Some).collect() } else { vec![None] };
    let (mut days, mut tenants) = (Vec::new(), Vec::new());
    for id in &contexts {
        if let Some(id) = id {
            cfg.tenancy.context.set(&tx, id).await?;
        }
        let what =
            |s: &str| format!("{s} of {table}{}", id.as_ref().map(|i| format!(" for tenant {i}")).unwrap_or_default());
        days.extend(tx.query(&days_sql, &[]).await.map_err(|e| Error::query(what("summing the tokens per day"), &e))?);
        tenants.extend(
            tx.query(&tenants_sql, &[]).await.map_err(|e| Error::query(what("summing the tokens per tenant"), &e))?,
        );
    }
    tx.rollback().await.map_err(|e| Error::query("rolling back", &e))?;
    let num = |s: Option<String>| s.and_then(|s| s.split('.').next().and_then(|n| n.parse::<u64>().ok())).unwrap_or(0);
    let known = &c.providers;
    let mut by_day: BTreeMap<(String, String, i64), (u64, u64, i64)> = BTreeMap::new();
    for r in &days {
        let day = r.get::<_, Option<String>>(2).as_deref().and_then(days_of_iso).unwrap_or(0);
        let e = by_day.entry((normalize_provider(&r.get::<_, String>(0), known).0, r.get(1), day)).or_default();
        e.0 += num(r.get(3));
        e.1 += r.get::<_, i64>(4) as u64;
        e.2 += r.get::<_, Option<String>>(5).as_deref().and_then(parse_micros).unwrap_or(0);
    }
    let mut by_tenant: BTreeMap<(String, String, String, String), u64> = BTreeMap::new();
    for r in &tenants {
        let key = (r.get(0), normalize_provider(&r.get::<_, String>(1), known).0, r.get(2), r.get(3));
        *by_tenant.entry(key).or_default() += num(r.get(4));
    }
    Ok(LedgerUsage {
        days: by_day
            .into_iter()
            .map(|((provider, model, day), (tokens, events, micros))| LedgerDay {
                provider,
                model,
                day,
                tokens,
                events,
                micros,
            })
            .collect(),
        tenants: by_tenant
            .into_iter()
            .map(|((tenant, provider, model, period), tokens)| LedgerTenant { tenant, provider, model, period, tokens })
            .collect(),
    })
}
