//! The write half of the live probe: under the first probe tenant's context, try to write into
//! the second tenant's rows, and into the shared rows every tenant reads, each attempt inside a
//! savepoint that is rolled back.
//!
//! **Values are bound, never spliced.** The tenant ids and the shared-tenant markers go to the
//! server as bound parameters of one extended-protocol statement each (`execute_typed`: Parse,
//! Bind, Execute and Sync in one message), which runs exactly one statement; the savepoints are
//! constant SQL. Every message is sent before the first answer comes back (the server runs them
//! in order). After the pipeline the probe checks that its transaction is still open.
//!
//! **Side effects a rollback cannot undo.** A write probe fires the table's statement triggers
//! and, for every row it reaches, its BEFORE ROW triggers before the policy rejects the row; a
//! rule or a cascading foreign key fires more. What those do to a sequence (or outside the
//! database) survives the rollback. So every attempt carries what it would fire, and
//! `BRIDGE_PROBE_WRITES` decides: `safe` (the default) skips an attempt that fires anything,
//! `off` skips them all, `all` runs them all. The copied row keeps its identity and serial
//! values, so a write probe never calls `nextval` itself.

use super::catalog::{Catalog, Relation};
use super::probe::{failed, still_open, WriteOutcome, WriteProbe};
use crate::config::{Config, ProbeWrites};
use crate::db::quote_ident;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::Client;

/// The INSERT action.
pub const INSERT: &str = "insert row for other tenant";
/// Moving an own row to the other tenant.
pub const MOVE: &str = "move own row to other tenant";
/// Updating the other tenant's rows.
pub const UPDATE: &str = "update other tenant's rows";
/// Deleting the other tenant's rows.
pub const DELETE: &str = "delete other tenant's rows";
/// Updating the shared rows (NULL or marker tenant).
pub const UPDATE_SHARED: &str = "update shared rows";
/// Deleting the shared rows.
pub const DELETE_SHARED: &str = "delete shared rows";

/// True for the attempts on shared rows (RLS040) rather than another tenant's (RLS023).
pub fn is_shared_action(action: &str) -> bool {
    action == UPDATE_SHARED || action == DELETE_SHARED
}

/// What writing a table would fire besides the write itself, per command, and the sequences
/// its columns draw from (never drawn by the probe, which copies explicit values).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SideEffects {
    /// Triggers, rules and cascades an INSERT fires.
    pub insert: Vec<String>,
    /// ... an UPDATE fires.
    pub update: Vec<String>,
    /// ... a DELETE fires.
    pub delete: Vec<String>,
    /// Columns with a `nextval` default or an identity.
    pub sequences: Vec<String>,
}

/// How an attempt's parameters are bound: `$1` is always the own tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bind {
    /// `$2` the other tenant (text).
    Other,
    /// `$2` the shared-tenant markers (text[]).
    Shared,
}

/// One write attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    relation: String,
    action: &'static str,
    sql: String,
    bind: Bind,
    /// 0 rows means refused (true) or nothing to try with (false).
    expect_zero: bool,
    /// The triggers, rules and cascades it would fire.
    touches: Vec<String>,
}

/// Writable tenant tables: the app can read them and their tenant key (to copy or find rows)
/// and write them.
fn writable(cat: &Catalog) -> Vec<&Relation> {
    cat.relations
        .iter()
        .filter(|r| r.is_table() && r.select && r.key_readable && (r.insert || r.update || r.delete))
        .collect()
}

/// Each table's columns in order (generated columns left out) and the type of its own tenant
/// key (`$2[i]` is the key of table `$1[i]`).
const COLUMNS_SQL: &str = "SELECT format('%I.%I', n.nspname, c.relname),
        array_agg(a.attname::text ORDER BY a.attnum),
        max(format_type(a.atttypid, a.atttypmod))
          FILTER (WHERE a.attname::text = ($2::text[])[array_position($1::text[], format('%I.%I', n.nspname, c.relname))])
   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
  WHERE format('%I.%I', n.nspname, c.relname) = ANY ($1)
  GROUP BY 1";

/// What writing each table fires: user triggers and rules on it and on its partitions and
/// inheritance children, and foreign keys pointing at it whose cascade reaches a table with
/// triggers (or sets a default); and its sequence-backed columns.
const SIDE_EFFECTS_SQL: &str = "WITH RECURSIVE tree AS (
       SELECT c.oid AS root, c.oid AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE format('%I.%I', n.nspname, c.relname) = ANY ($1)
       UNION
       SELECT tree.root, i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.rel),
     fx AS (
       SELECT tree.root, ev.e, format('trigger %s on %s', quote_ident(tg.tgname), tg.tgrelid::regclass) AS what
         FROM tree JOIN pg_trigger tg ON tg.tgrelid = tree.rel AND NOT tg.tgisinternal AND tg.tgenabled <> 'D'
        CROSS JOIN (VALUES ('i', 4), ('u', 16), ('d', 8)) ev(e, bit)
        WHERE tg.tgtype::int & ev.bit <> 0
       UNION ALL
       SELECT tree.root, CASE r.ev_type WHEN '3' THEN 'i' WHEN '2' THEN 'u' ELSE 'd' END,
              format('rule %s on %s', quote_ident(r.rulename), r.ev_class::regclass)
         FROM tree JOIN pg_rewrite r ON r.ev_class = tree.rel AND r.ev_type IN ('2', '3', '4') AND r.ev_enabled <> 'D'
       UNION ALL
       SELECT tree.root, ev.e, format('foreign key %s on %s (cascades the %s)', quote_ident(con.conname),
              con.conrelid::regclass, CASE ev.e WHEN 'u' THEN 'update' ELSE 'delete' END)
         FROM tree JOIN pg_constraint con ON con.confrelid = tree.rel AND con.contype = 'f'
        CROSS JOIN LATERAL (VALUES ('u', con.confupdtype), ('d', con.confdeltype)) ev(e, action)
        WHERE ev.action IN ('c', 'n', 'd')
          AND (ev.action = 'd' OR EXISTS (SELECT 1 FROM pg_trigger ct WHERE ct.tgrelid = con.conrelid
                                           AND NOT ct.tgisinternal AND ct.tgenabled <> 'D')))
SELECT format('%I.%I', n.nspname, c.relname),
       coalesce(array_agg(DISTINCT fx.what) FILTER (WHERE fx.e = 'i'), '{}'),
       coalesce(array_agg(DISTINCT fx.what) FILTER (WHERE fx.e = 'u'), '{}'),
       coalesce(array_agg(DISTINCT fx.what) FILTER (WHERE fx.e = 'd'), '{}'),
       coalesce((SELECT array_agg(format('%s.%s', c.oid::regclass, quote_ident(a.attname)) ORDER BY a.attnum)
                   FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                    AND (a.attidentity <> '' OR pg_get_expr(d.adbin, d.adrelid) LIKE '%nextval(%')), '{}')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN fx ON fx.root = c.oid
 WHERE format('%I.%I', n.nspname, c.relname) = ANY ($1)
 GROUP BY c.oid, n.nspname, c.relname";

/// Under tenant `a`'s context (already set), every cross-tenant write against `b` on every
/// writable table, and every write of the shared rows `a` saw (`shared_seen`).
pub async fn write_across(
    client: &Client,
    cfg: &Config,
    cat: &Catalog,
    (a, b): (&str, &str),
    shared_seen: &[String],
    xid: i64,
) -> Result<Vec<WriteProbe>> {
    let writable = writable(cat);
    let names: Vec<String> = writable.iter().map(|r| r.name.clone()).collect();
    let keys: Vec<String> = writable.iter().map(|r| r.key(cfg).to_string()).collect();
    let col_params: [&(dyn ToSql + Sync); 2] = [&names, &keys];
    let fx_params: [&(dyn ToSql + Sync); 1] = [&names];
    let (cols, effects) =
        tokio::join!(client.query(COLUMNS_SQL, &col_params), client.query(SIDE_EFFECTS_SQL, &fx_params));
    let cols = cols.map_err(|e| Error::query("reading the columns of writable tenant tables", &e))?;
    let effects = effects.map_err(|e| Error::query("reading the triggers and rules of writable tenant tables", &e))?;
    let cols: BTreeMap<String, (Vec<String>, String)> = cols
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get::<_, Option<String>>(2).unwrap_or_else(|| "text".into()))))
        .collect();
    let effects: BTreeMap<String, SideEffects> = effects
        .iter()
        .map(|r| (r.get(0), SideEffects { insert: r.get(1), update: r.get(2), delete: r.get(3), sequences: r.get(4) }))
        .collect();
    let attempts = write_attempts(cfg, &writable, &cols, &effects, shared_seen);
    let run: Vec<&Attempt> = attempts.iter().filter(|t| runs(cfg.rls.probe_writes, t)).collect();
    let mut outcomes = write_all(client, &run, a, b, &cfg.rls.shared_tenants).await?.into_iter();
    still_open(client, xid, "the write probes").await?;
    Ok(attempts
        .iter()
        .map(|t| {
            let outcome = if runs(cfg.rls.probe_writes, t) {
                outcomes.next().unwrap_or(WriteOutcome::Failed { sqlstate: String::new(), message: "no answer".into() })
            } else {
                WriteOutcome::Skipped { why: skip_reason(cfg.rls.probe_writes, t) }
            };
            WriteProbe {
                relation: t.relation.clone(),
                action: t.action.to_string(),
                as_tenant: a.to_string(),
                other_tenant: if is_shared_action(t.action) { "(shared)".into() } else { b.to_string() },
                outcome,
                touches: t.touches.clone(),
                sequences: effects.get(&t.relation).map(|e| e.sequences.clone()).unwrap_or_default(),
            }
        })
        .collect())
}

/// Whether `mode` lets attempt `t` run.
fn runs(mode: ProbeWrites, t: &Attempt) -> bool {
    match mode {
        ProbeWrites::All => true,
        ProbeWrites::Safe => t.touches.is_empty(),
        ProbeWrites::Off => false,
    }
}

fn skip_reason(mode: ProbeWrites, t: &Attempt) -> String {
    match mode {
        ProbeWrites::Off => "BRIDGE_PROBE_WRITES=off".into(),
        _ => format!("BRIDGE_PROBE_WRITES=safe: it would fire {}", t.touches.join(", ")),
    }
}

/// The write attempts for each writable table whose columns are known: `$1` is the own tenant,
/// `$2` the other tenant (or the shared markers, for the shared-row attempts).
fn write_attempts(
    cfg: &Config,
    writable: &[&Relation],
    cols: &BTreeMap<String, (Vec<String>, String)>,
    effects: &BTreeMap<String, SideEffects>,
    shared_seen: &[String],
) -> Vec<Attempt> {
    let mut out: Vec<Attempt> = Vec::new();
    for r in writable {
        let Some((columns, ttype)) = cols.get(&r.name) else { continue };
        let (key, tcol) = (r.key(cfg), quote_ident(r.key(cfg)));
        let fx = effects.get(&r.name).cloned().unwrap_or_default();
        let t = &r.name;
        let mut push = |action, sql: String, bind, expect_zero, touches: &Vec<String>| {
            out.push(Attempt { relation: t.clone(), action, sql, bind, expect_zero, touches: touches.clone() })
        };
        let other = format!("CAST($2::text AS {ttype})");
        if r.insert {
            let select_list = columns
                .iter()
                .map(|c| if c == key { other.clone() } else { quote_ident(c) })
                .collect::<Vec<_>>()
                .join(", ");
            let column_list = columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ");
            let sql = format!("INSERT INTO {t} ({column_list}) OVERRIDING SYSTEM VALUE SELECT {select_list} FROM {t} WHERE {tcol}::text = $1::text LIMIT 1");
            push(INSERT, sql, Bind::Other, false, &fx.insert);
        }
        if r.update {
            let sql = format!("UPDATE {t} SET {tcol} = {other} WHERE (tableoid, ctid) = (SELECT tableoid, ctid FROM {t} WHERE {tcol}::text = $1::text LIMIT 1)");
            push(MOVE, sql, Bind::Other, false, &fx.update);
            let sql = format!("UPDATE {t} SET {tcol} = {tcol} WHERE {tcol}::text = $2::text AND $1::text IS NOT NULL");
            push(UPDATE, sql, Bind::Other, true, &fx.update);
        }
        if r.delete {
            let sql = format!("DELETE FROM {t} WHERE {tcol}::text = $2::text AND $1::text IS NOT NULL");
            push(DELETE, sql, Bind::Other, true, &fx.delete);
        }
        if shared_seen.contains(t) {
            let shared = format!("({tcol} IS NULL OR {tcol}::text = ANY ($2::text[])) AND $1::text IS NOT NULL");
            if r.update {
                push(
                    UPDATE_SHARED,
                    format!("UPDATE {t} SET {tcol} = {tcol} WHERE {shared}"),
                    Bind::Shared,
                    true,
                    &fx.update,
                );
            }
            if r.delete {
                push(DELETE_SHARED, format!("DELETE FROM {t} WHERE {shared}"), Bind::Shared, true, &fx.delete);
            }
        }
    }
    out
}

type Step<'a> = Pin<Box<dyn Future<Output = std::result::Result<u64, tokio_postgres::Error>> + Send + 'a>>;

const SAVEPOINT: &str = "SAVEPOINT bridge_write";
const UNDO: &str = "ROLLBACK TO SAVEPOINT bridge_write; RELEASE SAVEPOINT bridge_write";

/// Runs the attempts, each between `SAVEPOINT` and `ROLLBACK TO`, pipelined: every message is
/// sent before the first answer comes back (each is sent on its future's first poll, in order).
/// No RETURNING: PostgreSQL checks returned rows against the SELECT policies, which would hide
/// a write that got through.
async fn write_all(
    client: &Client,
    attempts: &[&Attempt],
    a: &str,
    b: &str,
    shared: &[String],
) -> Result<Vec<WriteOutcome>> {
    use futures_util::future::join_all;
    let shared: Vec<String> = shared.to_vec();
    let other: [(&(dyn ToSql + Sync), Type); 2] = [(&a, Type::TEXT), (&b, Type::TEXT)];
    let markers: [(&(dyn ToSql + Sync), Type); 2] = [(&a, Type::TEXT), (&shared, Type::TEXT_ARRAY)];
    let mut steps: Vec<Step<'_>> = Vec::with_capacity(attempts.len() * 3);
    for t in attempts {
        let params = match t.bind {
            Bind::Other => &other,
            Bind::Shared => &markers,
        };
        steps.push(Box::pin(async { client.batch_execute(SAVEPOINT).await.map(|_| 0) }));
        steps.push(Box::pin(client.execute_typed(&t.sql, params)));
        steps.push(Box::pin(async { client.batch_execute(UNDO).await.map(|_| 0) }));
    }
    let mut results = join_all(steps).await.into_iter();
    let mut out = Vec::with_capacity(attempts.len());
    for t in attempts {
        let (save, run, undo) = (results.next(), results.next(), results.next());
        for (step, what) in [(save, "creating a probe savepoint"), (undo, "rolling back a probe write")] {
            if let Some(Err(e)) = step {
                return Err(Error::query(format!("{what} on {}", t.relation), &e));
            }
        }
        out.push(classify(t.expect_zero, run));
    }
    Ok(out)
}

/// The outcome of one write from its answer.
fn classify(expect_zero: bool, run: Option<std::result::Result<u64, tokio_postgres::Error>>) -> WriteOutcome {
    match run {
        Some(Ok(0)) if expect_zero => WriteOutcome::Denied { how: "0 rows".into() },
        Some(Ok(0)) => WriteOutcome::NotTried { why: "the tenant has no row to copy or move".into() },
        Some(Ok(n)) => WriteOutcome::Allowed { how: format!("{n} rows") },
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempts(mode_fx: SideEffects, shared: &[String]) -> Vec<Attempt> {
        let cfg = Config::default();
        let mut r = Relation { name: "public.docs".into(), kind: "r".into(), ..Default::default() };
        (r.select, r.insert, r.update, r.delete) = (true, true, true, true);
        let cols = [("public.docs".to_string(), (vec!["tenant_id".to_string(), "id".to_string()], "text".to_string()))]
            .into_iter()
            .collect();
        let fx = [("public.docs".to_string(), mode_fx)].into_iter().collect();
        write_attempts(&cfg, &[&r], &cols, &fx, shared)
    }

    #[test]
    fn values_are_parameters_and_every_statement_is_one_statement() {
        let all = attempts(SideEffects::default(), &["public.docs".into()]);
        let actions: Vec<_> = all.iter().map(|t| t.action).collect();
        assert_eq!(actions, [INSERT, MOVE, UPDATE, DELETE, UPDATE_SHARED, DELETE_SHARED]);
        for t in &all {
            assert!(!t.sql.contains(';') && !t.sql.contains('\''), "{}", t.sql);
            assert!(t.sql.contains("$1::text") && t.sql.contains("$2::text"), "{}", t.sql);
        }
        assert_eq!(all[4].bind, Bind::Shared);
    }

    #[test]
    fn safe_mode_skips_what_fires_a_trigger_and_off_skips_everything() {
        let fx = SideEffects { insert: vec!["trigger t on docs".into()], ..Default::default() };
        let all = attempts(fx, &[]);
        let safe: Vec<_> = all.iter().filter(|t| runs(ProbeWrites::Safe, t)).map(|t| t.action).collect();
        assert_eq!(safe, [MOVE, UPDATE, DELETE]);
        assert!(all.iter().all(|t| runs(ProbeWrites::All, t) && !runs(ProbeWrites::Off, t)));
        assert_eq!(
            skip_reason(ProbeWrites::Safe, &all[0]),
            "BRIDGE_PROBE_WRITES=safe: it would fire trigger t on docs"
        );
    }

    #[test]
    fn each_table_is_written_by_its_own_tenant_key() {
        let cfg = Config::default();
        let mut r = Relation {
            name: "public.notes".into(),
            kind: "r".into(),
            tenant_key: "org_id".into(),
            ..Default::default()
        };
        (r.select, r.insert, r.update, r.delete) = (true, true, true, true);
        let cols = [("public.notes".to_string(), (vec!["org_id".to_string(), "id".to_string()], "uuid".to_string()))]
            .into_iter()
            .collect();
        let all = write_attempts(&cfg, &[&r], &cols, &BTreeMap::new(), &["public.notes".into()]);
        assert_eq!(all.len(), 6);
        for t in &all {
            assert!(t.sql.contains("\"org_id\"") && !t.sql.contains("tenant_id"), "{}", t.sql);
        }
        assert!(all[0].sql.contains("SELECT CAST($2::text AS uuid), \"id\" FROM public.notes"), "{}", all[0].sql);
    }

    #[test]
    fn zero_rows_mean_refused_or_nothing_to_try() {
        assert_eq!(classify(true, Some(Ok(0))), WriteOutcome::Denied { how: "0 rows".into() });
        assert!(matches!(classify(false, Some(Ok(0))), WriteOutcome::NotTried { .. }));
        assert_eq!(classify(true, Some(Ok(2))), WriteOutcome::Allowed { how: "2 rows".into() });
    }
}
