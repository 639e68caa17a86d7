//! The lifecycle's steps, each against the real stores: the database through the admin and the
//! application connections, the cost ledger's aggregate, the Pinecone index.

use super::Step;
use crate::checks::capacity::{gather_usage, read_ledger};
use crate::config::{Config, DbTarget};
use crate::db::{self, quote_ident, quote_literal, quote_qualified};
use crate::{Error, Result};

fn admin(cfg: &Config) -> Result<&DbTarget> {
    cfg.admin().ok_or_else(|| {
        Error::config("no database configured", "set BRIDGE_ADMIN_DATABASE_URL and DATABASE_URL, or run with --demo")
    })
}

fn app(cfg: &Config) -> Result<&DbTarget> {
    cfg.database
        .as_ref()
        .ok_or_else(|| Error::config("DATABASE_URL is not set", "set DATABASE_URL to the application's connection"))
}

/// The configuration for reads of "now": the ledger counted from now, the index read live.
fn live(cfg: &Config) -> Config {
    let mut c = cfg.clone();
    c.capacity.as_of = None;
    c.capacity.snapshot = None;
    c
}

/// Step 1: inserts one test tenant (RETURNING the stored id) and seeds it, in one transaction.
pub(super) async fn provision(cfg: &Config, seed: Option<&str>) -> Result<(String, String)> {
    let mut client = db::connect(admin(cfg)?).await?;
    let tx = client.transaction().await.map_err(|e| Error::query("starting the lifecycle's provisioning", &e))?;
    let table = crate::tenant::describe(&tx, &cfg.tenancy).await?;
    let all = table.list(&tx).await?;
    let id_type = table.columns.get("id").cloned().unwrap_or_default();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let id = match id_type.as_str() {
        "integer" | "bigint" | "smallint" => {
            (all.iter().filter_map(|t| t.id.parse::<i64>().ok()).max().unwrap_or(0) + 1).to_string()
        }
        "uuid" => format!("00000000-0000-4000-8000-{:012}", nanos % 1_000_000_000_000),
        _ => format!("bridge-lifecycle-{}", nanos % 1_000_000_000_000),
    };
    let tier = cfg
        .capacity
        .tier_quotas
        .keys()
        .find(|t| all.iter().any(|x| &&x.tier == t))
        .or_else(|| all.first().map(|t| &t.tier))
        .cloned()
        .unwrap_or_else(|| "starter".into());
    let mut cols = vec!["id".to_string(), "is_test".into(), "tier".into()];
    let mut vals = vec![format!("{}::{id_type}", quote_literal(&id)), "true".into(), quote_literal(&tier)];
    if table.columns.contains_key("name") {
        cols.push(quote_ident("name"));
        vals.push(quote_literal(&format!("bridge lifecycle tenant {id}")));
    }
    if let Some((c, v)) = table.active_column() {
        cols.push(quote_ident(c));
        vals.push(v.to_string());
    }
    let sql =
        format!("INSERT INTO {} ({}) VALUES ({}) RETURNING id::text", table.name_sql, cols.join(", "), vals.join(", "));
    let got: String =
        tx.query_one(&sql, &[]).await.map_err(|e| Error::query(format!("inserting test tenant {id}"), &e))?.get(0);
    if got != id {
        return Err(Error::config(format!("the tenants table stored `{got}` for `{id}`"), "widen the id column"));
    }
    if let Some(seed) = seed {
        cfg.tenancy.context.set(&tx, &id).await?;
        tx.batch_execute(seed).await.map_err(|e| Error::query(format!("seeding test tenant {id}"), &e))?;
    }
    tx.commit().await.map_err(|e| Error::query("committing the lifecycle's test tenant", &e))?;
    Ok((id, tier))
}

/// Step 2: as the application role under the tenant's context, its rows show and no other's.
pub(super) async fn isolated(cfg: &Config, id: &str) -> Result<Step> {
    let target = app(cfg)?;
    let mut client = db::connect(target).await?;
    let tx = db::read_only(&mut client).await?;
    let t = &cfg.tenancy;
    let sql = format!("SELECT count(*) FROM {} WHERE id::text = $1", t.table_sql());
    let registered: i64 =
        tx.query_one(&sql, &[&id]).await.map_err(|e| Error::query("reading the tenants table", &e))?.get(0);
    if registered != 1 {
        return Err(Error::config(
            format!("the application role sees {registered} rows of `{id}` in the tenants table"),
            "GRANT SELECT on the tenants table to the application role",
        ));
    }
    t.context.set(&tx, id).await?;
    let (mut own, mut seen) = (0i64, Vec::new());
    for table in crate::tenant::scoped_tables(&tx, t).await? {
        let col = t.column_sql();
        let sql = format!(
            "SELECT count(*) FILTER (WHERE {col}::text = $1), count(*) FILTER (WHERE {col}::text IS DISTINCT FROM $1) FROM {}",
            quote_qualified(&table)
        );
        let r = tx
            .query_one(&sql, &[&id])
            .await
            .map_err(|e| Error::query(format!("reading {table} as {}", target.user()), &e))?;
        let (mine, others): (i64, i64) = (r.get(0), r.get(1));
        if others > 0 {
            return Err(Error::config(
                format!("under `{id}`'s context, {table} shows {others} rows of other tenants to {}", target.user()),
                "run `bridge check --only rls` and fix the policy of that table",
            ));
        }
        own += mine;
        seen.push(format!("{table} {mine}"));
    }
    let _ = tx.rollback().await;
    if own == 0 {
        return Err(Error::config(
            format!("no tenant table shows a row of `{id}` under its context ({})", seen.join(", ")),
            "give the run a seed file that writes the tenant's rows (--seed-sql), or check the tables' policies",
        ));
    }
    Ok(Step::Held(format!(
        "as {} under its context: {own} rows of its own, none of another tenant ({})",
        target.user(),
        seen.join(", ")
    )))
}

/// Step 3: one usage row inserted under its context reaches the ledger's aggregate.
pub(super) async fn metered(cfg: &Config, id: &str) -> Result<Step> {
    let target = app(cfg)?;
    let mut client = db::connect(target).await?;
    let tx = client.transaction().await.map_err(|e| Error::query("starting the metering probe", &e))?;
    cfg.tenancy.context.set(&tx, id).await?;
    let insert = ledger_insert(&tx, cfg, id).await?;
    tx.execute(&insert, &[])
        .await
        .map_err(|e| Error::query(format!("inserting a usage row for {id} as {}", target.user()), &e))?;
    tx.commit().await.map_err(|e| Error::query("committing the usage row", &e))?;
    let ledger = read_ledger(&live(cfg), &[id]).await?.ok_or_else(|| {
        Error::config(
            format!("ledger table `{}` not found", cfg.cost.table),
            "set BRIDGE_COST_TABLE to the table the metering writes",
        )
    })?;
    match ledger.tenants.get(id).filter(|a| a.events > 0 && a.spend > 0.0) {
        Some(a) => Ok(Step::Held(format!(
            "a usage row inserted as {} under its context reaches the aggregate ({}): {} rows, spend {:.4}",
            target.user(),
            ledger.source,
            a.events,
            a.spend
        ))),
        None => Err(Error::config(
            format!("the usage row of `{id}` is not in the ledger's aggregate ({})", ledger.source),
            "check that BRIDGE_COST_TABLE and BRIDGE_COST_COL_* name the table and columns the metering writes",
        )),
    }
}

/// The INSERT of one synthetic ledger row: the configured columns, and a zero, empty or now
/// value for every other column that must be set.
async fn ledger_insert(tx: &tokio_postgres::Transaction<'_>, cfg: &Config, id: &str) -> Result<String> {
    let (c, k) = (&cfg.cost, &cfg.cost.columns);
    let table = quote_qualified(&c.table);
    let rows = tx
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), t.typcategory::text
               FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
              WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
                AND a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''",
            &[&c.table],
        )
        .await
        .map_err(|e| Error::query(format!("reading the columns of {}", c.table), &e))?;
    let mut cols = vec![(k.tenant.clone(), quote_literal(id)), (k.provider.clone(), "'bridge-lifecycle'".into())];
    cols.push((k.model.clone(), "'probe'".into()));
    cols.push((k.time.clone(), "now()".into()));
    cols.push((k.cost.clone(), "0.0001".into()));
    for r in &rows {
        let (name, ty, cat): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        if cols.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let value = match cat.as_str() {
            "N" => format!("(SELECT coalesce(max({q}), 0) + 1 FROM {table})", q = quote_ident(&name)),
            "S" => "''".into(),
            "B" => "false".into(),
            "D" => "now()".into(),
            _ => {
                return Err(Error::config(
                    format!("ledger column `{name}` ({ty}) must be set and the lifecycle cannot make a value for it"),
                    "give it a default, or skip the metering step by running with a seed that meters",
                ))
            }
        };
        cols.push((name, value));
    }
    let names: Vec<String> = cols.iter().map(|(n, _)| quote_ident(n)).collect();
    let values: Vec<&str> = cols.iter().map(|(_, v)| v.as_str()).collect();
    Ok(format!("INSERT INTO {table} ({}) VALUES ({})", names.join(", "), values.join(", ")))
}

/// Step 4: a record upserted into its namespace makes the namespace appear to the capacity
/// check's reading of the index.
#[cfg(feature = "pinecone-api")]
pub(super) async fn tracked(cfg: &Config, id: &str) -> Result<Step> {
    let Some(p) = &cfg.pinecone else { return Ok(Step::Skipped("PINECONE_API_KEY is not set".into())) };
    let client = crate::pinecone::Client::new(p)?;
    let host = client.data_host().await?;
    let ns = format!("{}{id}", cfg.capacity.namespace_prefix);
    let dimension = client.describe_index_stats(&host).await?.dimension.unwrap_or(8);
    client.upsert_probe(&host, &ns, "bridge-lifecycle-probe", dimension).await?;
    for _ in 0..10 {
        let usage = gather_usage(&live(cfg)).await?;
        if let Some(n) = usage.stats.namespaces.get(&ns) {
            return Ok(Step::Held(format!(
                "namespace `{ns}` appears with {} records ({})",
                n.vector_count, usage.source
            )));
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    Err(Error::config(
        format!("namespace `{ns}` did not appear in the index within 20 s"),
        "check BRIDGE_NAMESPACE_PREFIX and the index",
    ))
}

/// Step 4 without the Pinecone client: skipped.
#[cfg(not(feature = "pinecone-api"))]
pub(super) async fn tracked(_: &Config, _: &str) -> Result<Step> {
    Ok(Step::Skipped("this build has no Pinecone client (feature `pinecone-api`)".into()))
}

/// Step 5: deprovisions it, then checks that no row, namespace or ledger activity is left.
pub(super) async fn offboarded(cfg: &Config, id: &str) -> Result<String> {
    let d = crate::deprovision::deprovision(cfg, &[id.to_string()], false, false).await?;
    let r =
        d.tenants.first().ok_or_else(|| Error::config("deprovisioning returned nothing", "report this as a bug"))?;
    let removed: Vec<String> = r.rows.iter().filter(|(_, n)| **n > 0).map(|(t, n)| format!("{t} {n}")).collect();
    if cfg.pinecone.is_some() {
        let mut left = true;
        for _ in 0..10 {
            left = gather_usage(&live(cfg)).await?.stats.namespaces.contains_key(&r.namespace);
            if !left {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
        if left {
            return Err(Error::config(
                format!("namespace `{}` is still in the index", r.namespace),
                "delete it by hand",
            ));
        }
    }
    if let Some(l) = read_ledger(&live(cfg), &[id]).await? {
        if let Some(a) = l.tenants.get(id) {
            return Err(Error::config(
                format!("the ledger still has {} rows of `{id}` ({})", a.events, l.source),
                "find what still meters it",
            ));
        }
    }
    let ns = match &r.namespace_action {
        crate::deprovision::NamespaceAction::Deleted => "deleted".to_string(),
        crate::deprovision::NamespaceAction::RunThis(cmd) => format!("no Pinecone key: run {cmd}"),
        other => format!("{other:?}").to_lowercase(),
    };
    Ok(format!(
        "removed rows ({}); namespace `{}` {ns}; no row and no ledger activity left",
        removed.join(", "),
        r.namespace
    ))
}
