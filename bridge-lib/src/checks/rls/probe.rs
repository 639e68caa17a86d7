//! The live half of the audit: as the application role, set each probe tenant's context the way
//! the application does and count what it can see and write. One transaction, never committed;
//! writes inside savepoints that are rolled back. A second pair of transactions checks that the
//! context does not survive a commit (the pooled-connection leak); they only set and read the
//! setting.

use super::catalog::{Catalog, DefinerFunction, DependentView, Relation, TenantCopy};
use crate::config::Config;
use crate::db::quote_ident;
use crate::error::sqlstate;
use crate::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::Client;

mod read;
use read::{count_all, count_copies, in_scope, record_shapes, shape_views};

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

/// What a view without a tenant column returned under one context.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Shape {
    /// Its rows (capped) and an md5 digest of their text, sorted.
    Rows {
        /// Rows returned.
        rows: i64,
        /// md5 of the sorted rows' text.
        digest: String,
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
    /// Not run: `BRIDGE_PROBE_WRITES` keeps it from firing triggers (RLS044).
    Skipped {
        /// Why, naming the setting and what it would fire.
        why: String,
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
    /// The other tenant (`(shared)` for the shared rows).
    pub other_tenant: String,
    /// What happened.
    pub outcome: WriteOutcome,
    /// The triggers, rules and cascades the statement fires (empty: none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub touches: Vec<String>,
    /// The table's sequence-backed columns (the probe copies their values, never draws them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sequences: Vec<String>,
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
    /// Rows visible in that new transaction (the first readable tenant table row level security
    /// applies to).
    pub rows_after_commit: Option<(String, i64)>,
    /// Relations the application role cannot SELECT.
    pub not_readable: Vec<String>,
    /// Rows visible with the tenant setting set to the empty string, per relation (shared rows
    /// left out of `other`).
    pub empty_context: BTreeMap<String, Count>,
    /// The server's estimate of live rows per table (`pg_stat_get_live_tuples`), to tell whether
    /// rows beyond the probe tenants' own exist.
    pub live_rows: BTreeMap<String, i64>,
    /// Shared rows (a NULL tenant or a `BRIDGE_SHARED_TENANT` marker) visible per context
    /// (`""` no context, `"''"` the empty string, else the tenant) and relation: counted in
    /// neither `own` nor `other`.
    pub shared: BTreeMap<String, BTreeMap<String, i64>>,
    /// Views with no tenant column over tenant tables: view → context (`""` = none, else the
    /// tenant) → what it returned.
    pub view_rows: BTreeMap<String, BTreeMap<String, Shape>>,
    /// Tables filled with copies of tenant rows: tenant → table → rows whose row image carries
    /// the tenant's key (own) or another tenant's key (other).
    pub copies: BTreeMap<String, BTreeMap<String, Count>>,
}

/// The key of [`Observations::shared`] for the empty-string context.
pub const EMPTY: &str = "''";

/// Rows counted per relation at most (bounds the probe on large tables).
pub const ROW_CAP: i64 = 100_000;

pub(super) fn failed(e: &tokio_postgres::Error) -> (String, String) {
    (sqlstate(e).unwrap_or_default(), crate::error::describe_pg_error(e))
}

async fn exec(client: &Client, sql: &str, what: &str) -> Result<()> {
    client.batch_execute(sql).await.map_err(|e| Error::query(what, &e))
}

/// The values among `values` that are tenant ids in the tenants table, or `None` when the
/// table cannot be read (the caller then assumes each could be one).
pub async fn tenants_named(client: &Client, cfg: &Config, values: &[String]) -> Option<Vec<String>> {
    if values.is_empty() {
        return Some(Vec::new());
    }
    let sql = format!(
        "SELECT v FROM unnest($1::text[]) v WHERE EXISTS (SELECT 1 FROM {} t WHERE t.id::text = v)",
        cfg.tenancy.table_sql()
    );
    let rows = client.query(&sql, &[&values]).await.ok()?;
    Some(rows.iter().map(|r| r.get(0)).collect())
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
    let xid = begin(client, "BEGIN ISOLATION LEVEL REPEATABLE READ", "starting the probe transaction").await?;
    exec(client, "SET LOCAL statement_timeout = '10s'; SET LOCAL lock_timeout = '2s'", "setting probe timeouts")
        .await?;
    let mut obs = observe(client, cfg, cat, tenants, xid).await?;
    exec(client, "ROLLBACK", "rolling back the probe").await?;

    // 5. pooled-connection leak: set the context the application's way, commit, look again
    if let Some(a) = obs.tenants.first().cloned() {
        // only where row level security applies to the app: rows of a table with RLS off are no
        // sign of a context that survived
        let readable: Vec<&Relation> = cat
            .relations
            .iter()
            .filter(|r| r.select && r.key_readable && obs.row_security_active.get(&r.name) == Some(&true))
            .collect();
        context_after_commit(client, cfg, &readable, &a, &mut obs).await?;
    }
    Ok(obs)
}

/// The id of the transaction `client` is in (assigning one), for [`observe`]'s checks that the
/// transaction is still open.
pub async fn transaction_id(client: &Client) -> Result<i64> {
    let row = client
        .query_one("SELECT txid_current()", &[])
        .await
        .map_err(|e| Error::query("reading the probe transaction's id", &e))?;
    Ok(row.get(0))
}

/// Steps 1–4 of the probe (no context, `row_security_active()`, reads under each tenant's
/// context, cross-tenant writes) on `client`, inside transaction `xid` that the caller opened
/// and rolls back, as the role the caller set: [`run`] uses it on the application's connection,
/// `--prove` on its own transaction under each mutant (`prove.rs`).
pub async fn observe(
    client: &Client,
    cfg: &Config,
    cat: &Catalog,
    tenants: Vec<String>,
    xid: i64,
) -> Result<Observations> {
    let mut obs = Observations { tenants: tenants.clone(), ..Default::default() };
    let readable: Vec<&Relation> = cat.relations.iter().filter(|r| r.select && r.key_readable).collect();
    obs.not_readable = cat.relations.iter().filter(|r| !r.select).map(|r| r.name.clone()).collect();
    let hidden: Vec<&DependentView> =
        cat.views.iter().filter(|v| v.kind == "v" && !v.has_tenant_key && in_scope(cfg, &v.name)).collect();
    let copies: Vec<&TenantCopy> =
        cat.copies.iter().filter(|c| !c.image_columns.is_empty() && in_scope(cfg, &c.table)).collect();
    let may_share = may_hold_shared_rows(client, cfg, &readable).await?;

    // 1. no context at all: a fresh session where the setting was never set
    obs.no_context = count_all(client, cfg, &readable, "").await?;
    record_shapes(&mut obs, "", shape_views(client, &hidden).await?);
    let shared = shared_rows(client, cfg, &may_share, &mut obs.no_context, xid).await?;
    obs.shared.insert(String::new(), shared);

    // 2. the server's own verdict per table
    obs.row_security_active = row_security_active(client, cat).await?;
    obs.live_rows = live_rows(client, cat).await?;

    // 2b. the setting set to the empty string (what a RESET leaves behind in some poolers), on
    // every relation whose policies are not the plain `tenant = current_setting(…)` comparison
    set_context(client, cfg, "", xid).await?;
    let open_to_empty: Vec<&Relation> =
        readable.iter().filter(|r| !super::policy::plain_tenant_table(cfg, cat, r)).copied().collect();
    obs.empty_context = count_all(client, cfg, &open_to_empty, "").await?;
    let may_share_empty: Vec<&Relation> =
        may_share.iter().filter(|r| open_to_empty.iter().any(|o| o.name == r.name)).copied().collect();
    let shared = shared_rows(client, cfg, &may_share_empty, &mut obs.empty_context, xid).await?;
    obs.shared.insert(EMPTY.to_string(), shared);

    // 3. reads under each tenant's context, and definer functions
    let probeable: Vec<&DefinerFunction> = cat
        .definers
        .iter()
        .filter(|f| {
            f.probeable
                && cat.relations.iter().any(|r| r.is_table() && super::policy::mentions_ident(&f.body, &r.relname))
        })
        .collect();
    for t in &tenants {
        set_context(client, cfg, t, xid).await?;
        let mut reads = count_all(client, cfg, &readable, t).await?;
        obs.shared.insert(t.clone(), shared_rows(client, cfg, &may_share, &mut reads, xid).await?);
        obs.reads.insert(t.clone(), reads);
        record_shapes(&mut obs, t, shape_views(client, &hidden).await?);
        if !copies.is_empty() {
            obs.copies.insert(t.clone(), count_copies(client, &copies, t).await?);
        }
        obs.functions.insert(t.clone(), count_functions(client, cfg, &probeable, t).await?);
        still_open(client, xid, "the reads under a tenant's context").await?;
    }

    // 4. cross-tenant writes: the first tenant against the second, on every writable table
    if tenants.len() >= 2 {
        set_context(client, cfg, &tenants[0], xid).await?;
        let seen: Vec<String> = obs.shared.get(&tenants[0]).map(|m| m.keys().cloned().collect()).unwrap_or_default();
        obs.writes = super::writes::write_across(client, cfg, cat, (&tenants[0], &tenants[1]), &seen, xid).await?;
    }
    Ok(obs)
}

/// The readable relations whose tenant key can hold a shared row: nullable (every view's is),
/// or any when `BRIDGE_SHARED_TENANT` names markers. Each relation is judged by its own key.
async fn may_hold_shared_rows<'a>(
    client: &Client,
    cfg: &Config,
    readable: &[&'a Relation],
) -> Result<Vec<&'a Relation>> {
    if !cfg.rls.shared_tenants.is_empty() || readable.is_empty() {
        return Ok(readable.to_vec());
    }
    let names: Vec<String> = readable.iter().map(|r| r.name.clone()).collect();
    let keys: Vec<String> = readable.iter().map(|r| r.key(cfg).to_string()).collect();
    let rows = client
        .query(
            "SELECT x.rel FROM unnest($1::text[], $2::text[]) x(rel, key)
               JOIN pg_attribute a ON a.attrelid = to_regclass(x.rel) AND a.attname = x.key AND NOT a.attnotnull",
            &[&names, &keys],
        )
        .await
        .map_err(|e| Error::query("reading which tenant columns are nullable", &e))?;
    let nullable: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    Ok(readable.iter().filter(|r| nullable.contains(&r.name)).copied().collect())
}

/// Counts the shared rows (a NULL tenant key or a `BRIDGE_SHARED_TENANT` marker) visible
/// through each relation (by its own key) under the current context, takes them out of `counts`' other-tenant rows, and
/// returns the relations that showed some. A relation whose count fails shows none.
async fn shared_rows(
    client: &Client,
    cfg: &Config,
    rels: &[&Relation],
    counts: &mut BTreeMap<String, Count>,
    xid: i64,
) -> Result<BTreeMap<String, i64>> {
    let one = |i: usize, r: &Relation| {
        let col = quote_ident(r.key(cfg));
        format!(
            "SELECT {i}::int, count(*) FILTER (WHERE {col} IS NULL OR {col}::text = ANY ($1::text[])) \
             FROM (SELECT {col} FROM {} LIMIT {ROW_CAP}) s",
            r.name
        )
    };
    let mut out = BTreeMap::new();
    for chunk in rels.chunks(500) {
        let union = chunk.iter().enumerate().map(|(i, r)| one(i, r)).collect::<Vec<_>>().join(" UNION ALL ");
        exec(client, "SAVEPOINT bridge_shared", "creating a savepoint").await?;
        let rows = match client.query(&union, &[&cfg.rls.shared_tenants]).await {
            Ok(rows) => rows,
            Err(_) => {
                exec(client, "ROLLBACK TO SAVEPOINT bridge_shared", "rolling back to a savepoint").await?;
                let mut rows = Vec::new();
                for (i, r) in chunk.iter().enumerate() {
                    match client.query_one(&one(i, r), &[&cfg.rls.shared_tenants]).await {
                        Ok(row) => rows.push(row),
                        Err(_) => {
                            exec(client, "ROLLBACK TO SAVEPOINT bridge_shared", "rolling back to a savepoint").await?
                        }
                    }
                }
                rows
            }
        };
        exec(client, "RELEASE SAVEPOINT bridge_shared", "releasing a savepoint").await?;
        for row in rows {
            let (i, n): (i32, i64) = (row.get(0), row.get(1));
            if n > 0 {
                out.insert(chunk[i as usize].name.clone(), n);
            }
        }
    }
    set_aside(counts, &out);
    still_open(client, xid, "counting shared rows").await?;
    Ok(out)
}

/// Takes the shared rows out of the other-tenant rows: they belong to every tenant.
pub fn set_aside(counts: &mut BTreeMap<String, Count>, shared: &BTreeMap<String, i64>) {
    for (rel, n) in shared {
        if let Some(Count::Rows { other, .. }) = counts.get_mut(rel) {
            *other = (*other - n).max(0);
        }
    }
}

/// Starts a transaction with `sql` and returns its id (which assigns one), so every later step
/// can confirm it is still in the same transaction ([`still_open`]).
async fn begin(client: &Client, sql: &str, what: &str) -> Result<i64> {
    exec(client, sql, what).await?;
    let row = client.query_one("SELECT txid_current()", &[]).await.map_err(|e| Error::query(what, &e))?;
    Ok(row.get(0))
}

/// Stops with an error unless the probe is still inside transaction `xid`: a step that ended it
/// (operator SQL that commits, say) may have let a later write commit.
pub(super) async fn still_open(client: &Client, xid: i64, after: &str) -> Result<()> {
    let now: Option<i64> = client
        .query_one("SELECT txid_current_if_assigned()", &[])
        .await
        .map_err(|e| Error::query(format!("checking that the probe transaction is still open after {after}"), &e))?
        .get(0);
    if now == Some(xid) {
        return Ok(());
    }
    Err(Error::Query {
        context: format!("checking that the probe transaction is still open after {after}"),
        reason: format!(
            "{after} ended the transaction (it was {xid}, now {}): data may have changed; stop, compare the data \
             with a backup, and make BRIDGE_TENANT_CONTEXT_SQL a statement that only sets the context",
            now.map_or("none".to_string(), |n| n.to_string())
        ),
    })
}

/// Sets tenant `tenant`'s context inside transaction `xid`: with bound parameters
/// (`set_config($1, $2, true)`) unless the application's own statement is configured
/// (`BRIDGE_TENANT_CONTEXT_SQL`), then confirms the transaction is still open.
pub(super) async fn set_context(client: &Client, cfg: &Config, tenant: &str, xid: i64) -> Result<()> {
    if cfg.tenancy.context.template.is_some() {
        cfg.tenancy.context.set(client, tenant).await?;
    } else {
        let params: [(&(dyn ToSql + Sync), Type); 2] =
            [(&cfg.tenancy.context.setting, Type::TEXT), (&tenant, Type::TEXT)];
        client
            .execute_typed("SELECT set_config($1, $2, true)", &params)
            .await
            .map_err(|e| Error::query(format!("setting {} for a probe tenant", cfg.tenancy.context.setting), &e))?;
    }
    still_open(client, xid, "setting the tenant context").await
}

/// The server's live-row estimate for every plain tenant table (statistics any role can read).
async fn live_rows(client: &Client, cat: &Catalog) -> Result<BTreeMap<String, i64>> {
    let tables: Vec<String> = cat.relations.iter().filter(|r| r.kind == "r").map(|r| r.name.clone()).collect();
    if tables.is_empty() {
        return Ok(BTreeMap::new());
    }
    let rows = client
        .query("SELECT t, pg_stat_get_live_tuples(t::regclass) FROM unnest($1::text[]) t", &[&tables])
        .await
        .map_err(|e| Error::query("reading live-row estimates", &e))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// `row_security_active()` for every tenant table, as the application role.
async fn row_security_active(client: &Client, cat: &Catalog) -> Result<BTreeMap<String, bool>> {
    let tables: Vec<String> = cat.relations.iter().filter(|r| r.is_table()).map(|r| r.name.clone()).collect();
    if tables.is_empty() {
        return Ok(BTreeMap::new());
    }
    let rows = client
        .query("SELECT t, row_security_active(t::regclass) FROM unnest($1::text[]) t", &[&tables])
        .await
        .map_err(|e| Error::query("reading row_security_active()", &e))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Own and other rows returned by each probeable definer function under tenant `t`'s context,
/// each call inside a savepoint; a function that returns no tenant column (42703) is left out.
async fn count_functions(
    client: &Client,
    cfg: &Config,
    probeable: &[&DefinerFunction],
    t: &String,
) -> Result<BTreeMap<String, Count>> {
    let mut fns = BTreeMap::new();
    for f in probeable {
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
        exec(client, "ROLLBACK TO SAVEPOINT bridge_fn; RELEASE SAVEPOINT bridge_fn", "rolling back a function probe")
            .await?;
    }
    Ok(fns)
}

/// Sets tenant `a`'s context the application's way, commits, and looks again in a new
/// transaction: the setting's value and the rows of the first readable table.
pub async fn context_after_commit(
    client: &Client,
    cfg: &Config,
    readable: &[&Relation],
    a: &str,
    obs: &mut Observations,
) -> Result<()> {
    let xid = begin(client, "BEGIN READ ONLY", "starting the context-leak probe").await?;
    set_context(client, cfg, a, xid).await?;
    exec(client, "COMMIT", "ending the context-leak probe's first transaction").await?;
    exec(client, "BEGIN READ ONLY", "starting the context-leak probe's second transaction").await?;
    let row = client
        .query_one("SELECT nullif(current_setting($1, true), '')", &[&cfg.tenancy.context.setting])
        .await
        .map_err(|e| Error::query("reading the tenant setting after commit", &e))?;
    obs.context_after_commit = row.get(0);
    if let Some(first) = readable.iter().find(|r| r.is_table()) {
        let col = quote_ident(first.key(cfg));
        let sql = format!(
            "SELECT count(*) FROM (SELECT {col} FROM {} LIMIT {ROW_CAP}) s WHERE NOT ({col} IS NULL OR {col}::text = ANY ($1::text[]))",
            first.name
        );
        if let Ok(row) = client.query_one(&sql, &[&cfg.rls.shared_tenants]).await {
            obs.rows_after_commit = Some((first.name.clone(), row.get(0)));
        }
    }
    exec(client, "ROLLBACK", "ending the context-leak probe").await?;
    if obs.context_after_commit.is_some() {
        // leave the connection clean for whoever uses it next
        let _ = client.batch_execute(&cfg.tenancy.context.reset()).await;
    }
    Ok(())
}
