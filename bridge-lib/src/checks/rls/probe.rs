//! The live half of the audit: as the application role, set each probe tenant's context the way
//! the application does and count what it can see and write. One transaction, never committed;
//! writes inside savepoints that are rolled back. A second pair of transactions checks that the
//! context does not survive a commit (the pooled-connection leak); they only set and read the
//! setting.

use super::catalog::{Catalog, Relation};
use crate::config::Config;
use crate::db::{quote_ident, quote_literal};
use crate::error::sqlstate;
use crate::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use tokio_postgres::Client;

/// Rows counted through one relation under one context.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Count {
    /// Rows of the context's tenant and of any other tenant (capped per relation).
    Rows {
        /// The tenant's own rows.
        own: i64,
        /// Rows of other tenants (or with no tenant).
        other: i64,
    },
    /// The query failed (the SQLSTATE and message).
    Failed {
        /// SQLSTATE.
        sqlstate: String,
        /// Message.
        message: String,
    },
}

/// What a cross-tenant write attempt did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum WriteOutcome {
    /// Refused by row level security (SQLSTATE 42501) or touched no row of the other tenant.
    Denied {
        /// Why: `42501` or `0 rows`.
        how: String,
    },
    /// Row level security let it through (rows changed, or a later constraint stopped it).
    Allowed {
        /// Rows affected or the SQLSTATE of the constraint that stopped it later.
        how: String,
    },
    /// Nothing to try it with (no own row to copy or move).
    NotTried {
        /// Why.
        why: String,
    },
    /// Another error.
    Failed {
        /// SQLSTATE.
        sqlstate: String,
        /// Message.
        message: String,
    },
}

/// One write attempt.
#[derive(Debug, Clone, Serialize)]
pub struct WriteProbe {
    /// The table.
    pub relation: String,
    /// `insert row for other tenant`, `move own row to other tenant`, `update other tenant's rows`,
    /// `delete other tenant's rows`.
    pub action: String,
    /// The context's tenant.
    pub as_tenant: String,
    /// The other tenant.
    pub other_tenant: String,
    /// What happened.
    pub outcome: WriteOutcome,
}

/// Everything the live probe observed.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Observations {
    /// The tenants probed.
    pub tenants: Vec<String>,
    /// `row_security_active()` per table, as the application role.
    pub row_security_active: BTreeMap<String, bool>,
    /// Rows visible with no tenant context (fresh session), per relation.
    pub no_context: BTreeMap<String, Count>,
    /// Rows visible under each tenant's context: tenant → relation → count.
    pub reads: BTreeMap<String, BTreeMap<String, Count>>,
    /// Rows of other tenants returned by definer functions: tenant → function → count.
    pub functions: BTreeMap<String, BTreeMap<String, Count>>,
    /// Cross-tenant write attempts.
    pub writes: Vec<WriteProbe>,
    /// The tenant setting's value in a new transaction after one that set it committed.
    pub context_after_commit: Option<String>,
    /// Rows visible in that new transaction (first readable tenant table).
    pub rows_after_commit: Option<(String, i64)>,
    /// Relations the application role cannot SELECT.
    pub not_readable: Vec<String>,
}

/// Rows counted per relation at most (bounds the probe on large tables).
const ROW_CAP: i64 = 100_000;

fn failed(e: &tokio_postgres::Error) -> (String, String) {
    (sqlstate(e).unwrap_or_default(), crate::error::describe_pg_error(e))
}

async fn exec(client: &Client, sql: &str, what: &str) -> Result<()> {
    client.batch_execute(sql).await.map_err(|e| Error::query(what, &e))
}

/// Counts own and other rows through each relation in one statement; on error, relation by
/// relation inside savepoints so one broken relation does not hide the others.
async fn count_all(client: &Client, cfg: &Config, rels: &[&Relation], tenant: &str) -> Result<BTreeMap<String, Count>> {
    let mut out = BTreeMap::new();
    if rels.is_empty() {
        return Ok(out);
    }
    let col = quote_ident(&cfg.tenancy.column);
    let one = |i: usize, r: &Relation| {
        format!(
            "SELECT {i}::int, count(*) FILTER (WHERE {col}::text = $1), count(*) FILTER (WHERE {col}::text IS DISTINCT FROM $1) \
             FROM (SELECT {col} FROM {} LIMIT {ROW_CAP}) s",
            r.name
        )
    };
    let union = rels.iter().enumerate().map(|(i, r)| one(i, r)).collect::<Vec<_>>().join(" UNION ALL ");
    exec(client, "SAVEPOINT bridge_read", "creating a savepoint").await?;
    match client.query(&union, &[&tenant]).await {
        Ok(rows) => {
            for row in rows {
                let i: i32 = row.get(0);
                out.insert(rels[i as usize].name.clone(), Count::Rows { own: row.get(1), other: row.get(2) });
            }
            exec(client, "RELEASE SAVEPOINT bridge_read", "releasing a savepoint").await?;
        }
        Err(_) => {
            exec(client, "ROLLBACK TO SAVEPOINT bridge_read", "rolling back to a savepoint").await?;
            for (i, r) in rels.iter().enumerate() {
                match client.query_one(&one(i, r), &[&tenant]).await {
                    Ok(row) => {
                        out.insert(r.name.clone(), Count::Rows { own: row.get(1), other: row.get(2) });
                    }
                    Err(e) => {
                        let (sqlstate, message) = failed(&e);
                        out.insert(r.name.clone(), Count::Failed { sqlstate, message });
                        exec(client, "ROLLBACK TO SAVEPOINT bridge_read", "rolling back to a savepoint").await?;
                    }
                }
            }
            exec(client, "RELEASE SAVEPOINT bridge_read", "releasing a savepoint").await?;
        }
    }
    Ok(out)
}

/// Attempts every write, each inside its own savepoint that is rolled back, pipelined: every
/// `SAVEPOINT; write` and `ROLLBACK TO` is sent before the first answer comes back (the server
/// runs them in order, one simple-protocol message each, so nothing is prepared). No RETURNING:
/// PostgreSQL checks returned rows against the SELECT policies, which would hide a write that
/// got through.
async fn write_all(
    client: &Client,
    attempts: &[(String, &str, String, bool)],
    a: &str,
    b: &str,
) -> Result<Vec<WriteOutcome>> {
    use futures_util::future::join_all;
    let (a, b) = (quote_literal(a), quote_literal(b));
    let writes: Vec<String> = attempts
        .iter()
        .map(|(_, _, sql, _)| format!("SAVEPOINT bridge_write; {}", sql.replace("$1", &a).replace("$2", &b)))
        .collect();
    let mut steps = Vec::with_capacity(writes.len() * 2);
    for w in &writes {
        steps.push(client.simple_query(w));
        steps.push(client.simple_query("ROLLBACK TO SAVEPOINT bridge_write; RELEASE SAVEPOINT bridge_write"));
    }
    let mut results = join_all(steps).await.into_iter();
    let mut out = Vec::with_capacity(attempts.len());
    for (_, _, _, expect_zero) in attempts {
        let (run, undo) = (results.next(), results.next());
        if let Some(Err(e)) = undo {
            return Err(Error::query("rolling back a probe write", &e));
        }
        let affected = |msgs: &[tokio_postgres::SimpleQueryMessage]| {
            msgs.iter()
                .filter_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::CommandComplete(n) => Some(*n),
                    _ => None,
                })
                .last()
                .unwrap_or(0)
        };
        out.push(match run {
            Some(Ok(msgs)) => match affected(&msgs) {
                0 if *expect_zero => WriteOutcome::Denied { how: "0 rows".into() },
                0 => WriteOutcome::NotTried { why: "the tenant has no row to copy or move".into() },
                n => WriteOutcome::Allowed { how: format!("{n} rows") },
            },
            Some(Err(e)) => {
                let (state, message) = failed(&e);
                if state == "42501" {
                    WriteOutcome::Denied { how: "42501".into() }
                } else if state.starts_with("23") {
                    WriteOutcome::Allowed {
                        how: format!("passed row level security, then stopped by constraint ({state})"),
                    }
                } else {
                    WriteOutcome::Failed { sqlstate: state, message }
                }
            }
            None => WriteOutcome::Failed { sqlstate: String::new(), message: "no answer".into() },
        });
    }
    Ok(out)
}

/// Picks the tenants to probe: `BRIDGE_PROBE_TENANTS`, or up to `n` active tenants from the
/// tenants table (test tenants first).
pub async fn probe_tenants(client: &Client, cfg: &Config) -> Result<Vec<String>> {
    if !cfg.rls.probe_tenants.is_empty() {
        return Ok(cfg.rls.probe_tenants.clone());
    }
    let mut tenants = crate::tenant::list(client, &cfg.tenancy).await?;
    tenants.retain(|t| t.active);
    tenants.sort_by_key(|t| !t.is_test); // stable: test tenants first, each group by id
    Ok(tenants.into_iter().take(cfg.rls.probe_tenant_count.max(2)).map(|t| t.id).collect())
}

/// Runs the live probe. `client` must be a fresh connection of the application role on which
/// nothing has been set yet.
pub async fn run(client: &Client, cfg: &Config, cat: &Catalog, tenants: Vec<String>) -> Result<Observations> {
    let mut obs = Observations { tenants: tenants.clone(), ..Default::default() };
    let readable: Vec<&Relation> = cat.relations.iter().filter(|r| r.select).collect();
    obs.not_readable = cat.relations.iter().filter(|r| !r.select).map(|r| r.name.clone()).collect();

    exec(client, "BEGIN ISOLATION LEVEL REPEATABLE READ", "starting the probe transaction").await?;
    exec(client, "SET LOCAL statement_timeout = '10s'; SET LOCAL lock_timeout = '2s'", "setting probe timeouts")
        .await?;

    // 1. no context at all: a fresh session where the setting was never set
    obs.no_context = count_all(client, cfg, &readable, "").await?;

    // 2. the server's own verdict per table
    let tables: Vec<String> = cat.relations.iter().filter(|r| r.is_table()).map(|r| r.name.clone()).collect();
    if !tables.is_empty() {
        let rows = client
            .query("SELECT t, row_security_active(t::regclass) FROM unnest($1::text[]) t", &[&tables])
            .await
            .map_err(|e| Error::query("reading row_security_active()", &e))?;
        obs.row_security_active = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    }

    // 3. reads under each tenant's context, and definer functions
    let probeable: Vec<&super::catalog::DefinerFunction> = cat
        .definers
        .iter()
        .filter(|f| {
            f.probeable
                && cat
                    .relations
                    .iter()
                    .any(|r| r.is_table() && super::static_rules::mentions_ident(&f.body, &r.relname))
        })
        .collect();
    for t in &tenants {
        cfg.tenancy.context.set(client, t).await?;
        obs.reads.insert(t.clone(), count_all(client, cfg, &readable, t).await?);
        let mut fns = BTreeMap::new();
        for f in &probeable {
            let col = quote_ident(&cfg.tenancy.column);
            let sql = format!("SELECT count(*) FILTER (WHERE {col}::text = $1), count(*) FILTER (WHERE {col}::text IS DISTINCT FROM $1) FROM {} x", f.call);
            exec(client, "SAVEPOINT bridge_fn", "creating a savepoint").await?;
            match client.query_one(&sql, &[t]).await {
                Ok(row) => {
                    fns.insert(f.signature.clone(), Count::Rows { own: row.get(0), other: row.get(1) });
                }
                Err(e) => {
                    let (sqlstate, message) = failed(&e);
                    if sqlstate != "42703" {
                        fns.insert(f.signature.clone(), Count::Failed { sqlstate, message });
                    }
                }
            }
            exec(
                client,
                "ROLLBACK TO SAVEPOINT bridge_fn; RELEASE SAVEPOINT bridge_fn",
                "rolling back a function probe",
            )
            .await?;
        }
        obs.functions.insert(t.clone(), fns);
    }

    // 4. cross-tenant writes: the first tenant against the second, on every writable table
    if tenants.len() >= 2 {
        let (a, b) = (&tenants[0], &tenants[1]);
        cfg.tenancy.context.set(client, a).await?;
        let writable: Vec<&Relation> =
            cat.relations.iter().filter(|r| r.is_table() && r.select && (r.insert || r.update || r.delete)).collect();
        let names: Vec<String> = writable.iter().map(|r| r.name.clone()).collect();
        let cols = client
            .query(
                "SELECT format('%I.%I', n.nspname, c.relname),
                        array_agg(a.attname::text ORDER BY a.attnum),
                        max(format_type(a.atttypid, a.atttypmod)) FILTER (WHERE a.attname = $2)
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                  WHERE format('%I.%I', n.nspname, c.relname) = ANY ($1)
                  GROUP BY 1",
                &[&names, &cfg.tenancy.column],
            )
            .await
            .map_err(|e| Error::query("reading the columns of writable tenant tables", &e))?;
        let cols: BTreeMap<String, (Vec<String>, String)> = cols
            .iter()
            .map(|r| (r.get(0), (r.get(1), r.get::<_, Option<String>>(2).unwrap_or_else(|| "text".into()))))
            .collect();
        let tcol = quote_ident(&cfg.tenancy.column);
        let mut attempts: Vec<(String, &str, String, bool)> = Vec::new();
        for r in writable {
            let Some((columns, ttype)) = cols.get(&r.name) else { continue };
            let t = &r.name;
            let other = format!("CAST($2::text AS {ttype})");
            if r.insert {
                let select_list = columns
                    .iter()
                    .map(|c| if *c == cfg.tenancy.column { other.clone() } else { quote_ident(c) })
                    .collect::<Vec<_>>()
                    .join(", ");
                let column_list = columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ");
                attempts.push((
                    t.clone(),
                    "insert row for other tenant",
                    format!("INSERT INTO {t} ({column_list}) OVERRIDING SYSTEM VALUE SELECT {select_list} FROM {t} WHERE {tcol}::text = $1 LIMIT 1"),
                    false,
                ));
            }
            if r.update {
                attempts.push((
                    t.clone(),
                    "move own row to other tenant",
                    format!("UPDATE {t} SET {tcol} = {other} WHERE (tableoid, ctid) = (SELECT tableoid, ctid FROM {t} WHERE {tcol}::text = $1 LIMIT 1)"),
                    false,
                ));
                attempts.push((
                    t.clone(),
                    "update other tenant's rows",
                    format!("UPDATE {t} SET {tcol} = {tcol} WHERE {tcol}::text = $2 AND $1::text IS NOT NULL"),
                    true,
                ));
            }
            if r.delete {
                attempts.push((
                    t.clone(),
                    "delete other tenant's rows",
                    format!("DELETE FROM {t} WHERE {tcol}::text = $2 AND $1::text IS NOT NULL"),
                    true,
                ));
            }
        }
        let outcomes = write_all(client, &attempts, a, b).await?;
        for ((relation, action, _, _), outcome) in attempts.iter().zip(outcomes) {
            obs.writes.push(WriteProbe {
                relation: relation.clone(),
                action: action.to_string(),
                as_tenant: a.clone(),
                other_tenant: b.clone(),
                outcome,
            });
        }
    }
    exec(client, "ROLLBACK", "rolling back the probe").await?;

    // 5. pooled-connection leak: set the context the application's way, commit, look again
    if let Some(a) = tenants.first() {
        exec(client, "BEGIN READ ONLY", "starting the context-leak probe").await?;
        cfg.tenancy.context.set(client, a).await?;
        exec(client, "COMMIT", "ending the context-leak probe's first transaction").await?;
        exec(client, "BEGIN READ ONLY", "starting the context-leak probe's second transaction").await?;
        let row = client
            .query_one(&format!("SELECT nullif({}, '')", cfg.tenancy.context.read_expr()), &[])
            .await
            .map_err(|e| Error::query("reading the tenant setting after commit", &e))?;
        obs.context_after_commit = row.get(0);
        if let Some(first) = readable.iter().find(|r| r.is_table()) {
            let sql = format!("SELECT count(*) FROM (SELECT 1 FROM {} LIMIT {ROW_CAP}) s", first.name);
            if let Ok(row) = client.query_one(&sql, &[]).await {
                obs.rows_after_commit = Some((first.name.clone(), row.get(0)));
            }
        }
        exec(client, "ROLLBACK", "ending the context-leak probe").await?;
        if obs.context_after_commit.is_some() {
            // leave the connection clean for whoever uses it next
            let _ = client.batch_execute(&cfg.tenancy.context.reset()).await;
        }
    }
    Ok(obs)
}
