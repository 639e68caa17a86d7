//! The read path of the live probe: counts through relations, copy tables and views, batched
//! into one statement per context (never one round trip per relation).

use super::{exec, failed, Count, Observations, Shape, ROW_CAP};
use crate::checks::rls::catalog::{DependentView, Relation, TenantCopy};
use crate::config::Config;
use crate::db::quote_ident;
use crate::Result;
use std::collections::BTreeMap;
use tokio_postgres::Client;

type Answer = std::result::Result<tokio_postgres::Row, (String, String)>;

/// Runs the queries as one `UNION ALL` statement, each query's first column being its index
/// (`{i}::int`); on error, query by query inside savepoints so one broken relation does not
/// hide the others. One answer per query, in order (a query that returned no row is left out).
async fn union_or_each(
    client: &Client,
    queries: &[String],
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<(usize, Answer)>> {
    let mut out = Vec::with_capacity(queries.len());
    if queries.is_empty() {
        return Ok(out);
    }
    exec(client, "SAVEPOINT bridge_read", "creating a savepoint").await?;
    match client.query(&queries.join(" UNION ALL "), params).await {
        Ok(rows) => {
            for row in rows {
                let i: i32 = row.get(0);
                out.push((i as usize, Ok(row)));
            }
        }
        Err(_) => {
            exec(client, "ROLLBACK TO SAVEPOINT bridge_read", "rolling back to a savepoint").await?;
            for (i, q) in queries.iter().enumerate() {
                match client.query_one(q, params).await {
                    Ok(row) => out.push((i, Ok(row))),
                    Err(e) => {
                        out.push((i, Err(failed(&e))));
                        exec(client, "ROLLBACK TO SAVEPOINT bridge_read", "rolling back to a savepoint").await?;
                    }
                }
            }
        }
    }
    exec(client, "RELEASE SAVEPOINT bridge_read", "releasing a savepoint").await?;
    Ok(out)
}

/// Own and other rows of an answer whose columns 1 and 2 are those counts.
fn to_count(a: Answer) -> Count {
    match a {
        Ok(row) => Count::Rows { own: row.get(1), other: row.get(2) },
        Err((sqlstate, message)) => Count::Failed { sqlstate, message },
    }
}

/// Counts own and other rows through each relation, by its own tenant key, in one statement.
pub(super) async fn count_all(
    client: &Client,
    cfg: &Config,
    rels: &[&Relation],
    tenant: &str,
) -> Result<BTreeMap<String, Count>> {
    let queries: Vec<String> = rels
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let col = quote_ident(r.key(cfg));
            format!(
                "SELECT {i}::int, count(*) FILTER (WHERE {col}::text = $1), count(*) FILTER (WHERE {col}::text IS DISTINCT FROM $1) \
                 FROM (SELECT {col} FROM {} LIMIT {ROW_CAP}) s",
                r.name
            )
        })
        .collect();
    let answers = union_or_each(client, &queries, &[&tenant]).await?;
    Ok(answers.into_iter().map(|(i, a)| (rels[i].name.clone(), to_count(a))).collect())
}

/// Rows of each copy table whose row image carries the tenant's key (own) or another's (other).
pub(super) async fn count_copies(
    client: &Client,
    copies: &[&TenantCopy],
    tenant: &str,
) -> Result<BTreeMap<String, Count>> {
    let queries: Vec<String> = copies
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "SELECT {i}::int, count(*) FILTER (WHERE k = $1::text), count(*) FILTER (WHERE k <> $1::text) \
                 FROM (SELECT {} AS k FROM {} LIMIT {ROW_CAP}) s",
                c.image_key_expr(),
                c.table
            )
        })
        .collect();
    let answers = union_or_each(client, &queries, &[&tenant]).await?;
    Ok(answers.into_iter().map(|(i, a)| (copies[i].table.clone(), to_count(a))).collect())
}

/// How many rows each view returns under the current context, and a digest of them.
pub(super) async fn shape_views(client: &Client, views: &[&DependentView]) -> Result<Vec<(String, Shape)>> {
    let queries: Vec<String> = views
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "SELECT {i}::int, count(*), coalesce(md5(string_agg(s::text, '|' ORDER BY s::text)), '') \
                 FROM (SELECT * FROM {} LIMIT {ROW_CAP}) s",
                v.name
            )
        })
        .collect();
    let answers = union_or_each(client, &queries, &[]).await?;
    Ok(answers
        .into_iter()
        .map(|(i, a)| {
            let shape = match a {
                Ok(row) => Shape::Rows { rows: row.get(1), digest: row.get(2) },
                Err((sqlstate, message)) => Shape::Failed { sqlstate, message },
            };
            (views[i].name.clone(), shape)
        })
        .collect())
}

/// Views and copy tables in the audit's scope (`BRIDGE_TENANT_TABLES`, when set, lists them).
pub(super) fn in_scope(cfg: &Config, name: &str) -> bool {
    cfg.rls.tenant_tables.is_empty()
        || cfg.rls.tenant_tables.iter().any(|t| name == t || name.rsplit('.').next() == Some(t))
}

/// Files what each view returned under `context`.
pub(super) fn record_shapes(obs: &mut Observations, context: &str, shapes: Vec<(String, Shape)>) {
    for (view, shape) in shapes {
        obs.view_rows.entry(view).or_default().insert(context.to_string(), shape);
    }
}
