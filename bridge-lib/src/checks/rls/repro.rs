//! A runnable reproduction for every live finding that shows a leak: a self-contained SQL
//! script, put in the finding's `evidence.repro`, that connects as the application role, sets
//! the tenant context the application's way, runs the statement that shows the other tenant's
//! rows (or the write that got through, then the rows it changed) and ends in `ROLLBACK`.
//! `bridge check --emit-repro DIR` writes each one to a file ([`scripts`]).
//!
//! Built as one pass over the live findings ([`attach`], called at the end of
//! `evaluate_live`), so the rules stay small and every leak gets its script the same way.
//! Run with `psql -X -v ON_ERROR_STOP=1 -f FILE` as the application role, a script prints the
//! leaked rows, exits 0 and changes nothing.

use super::catalog::Catalog;
use super::probe::{Count, Observations};
use crate::config::Config;
use crate::db::quote_ident;
use crate::finding::{Finding, Status};
use serde_json::Value;

/// Rows a script shows at most per statement.
const SHOWN: u32 = 100;

/// Attaches `evidence.repro` to every failing live finding that shows a leak: rows of another
/// tenant readable under a tenant's context (RLS021, through a table, view or definer
/// function), rows visible with no context (RLS022), a cross-tenant write that got through
/// (RLS023), a context that survives a commit (RLS024), a write of the shared rows (RLS040), copies of tenant rows the application
/// reads (RLS030 when the probe counted rows there, RLS031) and a view that returns the same rows
/// under every context (RLS032). `evaluate_live` runs it over the live findings; `run` over the
/// static ones too (RLS030 is static; a static finding of another code has no live evidence and
/// gets no script).
pub fn attach(cfg: &Config, cat: &Catalog, obs: &Observations, findings: &mut [Finding]) {
    for f in findings.iter_mut().filter(|f| f.status == Status::Fail) {
        let body = match f.code.as_str() {
            "RLS021" => cross_read(cfg, cat, obs, f),
            "RLS022" => no_context(cfg, &f.evidence),
            "RLS023" => write(cfg, cat, &f.evidence),
            "RLS024" => context_survives(cfg, obs),
            "RLS040" => shared_write(cfg, cat, &f.evidence),
            "RLS030" => copies_readable(cfg, obs, &f.evidence),
            "RLS031" => copies_of_others(cfg, cat, &f.evidence),
            "RLS032" => same_rows_everywhere(cfg, obs, &f.evidence),
            _ => None,
        };
        if let Some(body) = body {
            let script = format!("{}{body}", header(cfg, f));
            match &mut f.evidence {
                Value::Object(m) => {
                    m.insert("repro".into(), Value::String(script));
                }
                other => *other = serde_json::json!({"found": other.take(), "repro": script}),
            }
        }
    }
}

/// The scripts in `findings` as (file name, script): the name is the finding's key made safe
/// for a file system (`RLS021:public.docs` → `RLS021_public.docs.sql`), unique among them.
pub fn scripts<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for f in findings {
        let Some(script) = f.evidence.get("repro").and_then(Value::as_str) else { continue };
        let stem = file_stem(&f.key);
        let mut name = format!("{stem}.sql");
        let mut n = 2;
        while out.iter().any(|(taken, _)| *taken == name) {
            name = format!("{stem}-{n}.sql");
            n += 1;
        }
        out.push((name, script.to_string()));
    }
    out
}

/// A finding key as a file name: letters, digits, `.`, `-` and `_` kept, every other run of
/// characters one `_`, at most 120 characters, never hidden or empty.
pub fn file_stem(key: &str) -> String {
    let mut s = String::new();
    for c in key.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
            s.push(c);
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    let s: String = s.trim_matches(|c| c == '_' || c == '.').chars().take(120).collect();
    if s.is_empty() {
        "repro".into()
    } else {
        s
    }
}

/// A string literal exactly as PostgreSQL's `quote_literal` writes it: quotes doubled, and
/// `E'…'` with backslashes doubled when there is a backslash (right whatever
/// `standard_conforming_strings` says).
pub fn literal(value: &str) -> String {
    let q = value.replace('\'', "''");
    if value.contains('\\') {
        format!("E'{}'", q.replace('\\', "\\\\"))
    } else {
        format!("'{q}'")
    }
}

/// The application's context statement for `tenant`: `BRIDGE_TENANT_CONTEXT_SQL` with the id
/// quoted, or `SELECT set_config('<setting>', '<id>', true)`.
fn context(cfg: &Config, tenant: &str) -> String {
    let t = literal(tenant);
    let sql = match &cfg.tenancy.context.template {
        Some(template) => template.replace("{tenant}", &t),
        None => format!("SELECT set_config({}, {t}, true)", literal(&cfg.tenancy.context.setting)),
    };
    let sql = sql.trim_end();
    if sql.ends_with(';') {
        sql.to_string()
    } else {
        format!("{sql};")
    }
}

/// One line of a comment (no line break can end it early).
fn comment(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn header(cfg: &Config, f: &Finding) -> String {
    let target = cfg.database.as_ref().map(|d| d.redacted()).unwrap_or_else(|| "$DATABASE_URL".into());
    format!(
        "-- bridge: reproduces {} {} ({})\n\
         -- {}\n\
         -- Runs as the application role and changes nothing: everything below ends in ROLLBACK.\n\
         -- Run it with the role's password in PGPASSWORD or ~/.pgpass:\n\
         --   psql '{}' -X -v ON_ERROR_STOP=1 -f {}.sql\n",
        f.code,
        f.name,
        comment(&f.key),
        comment(&f.detail),
        comment(&target).replace('\'', ""),
        file_stem(&f.key)
    )
}

/// The tenant key of `relation`: its own (found by name or foreign key), else the configured
/// tenant column.
fn key_of<'a>(cfg: &'a Config, cat: &'a Catalog, relation: &str) -> &'a str {
    cat.relations.iter().find(|r| r.name == relation).map_or(cfg.tenancy.column.as_str(), |r| r.key(cfg))
}

/// `tenant_id::text` (the key `key`) on alias `x`.
fn tenant_text(key: &str) -> String {
    format!("x.{}::text", quote_ident(key))
}

/// RLS021: the rows of other tenants through a relation or a definer function, under the
/// context of a tenant that saw them.
fn cross_read(cfg: &Config, cat: &Catalog, obs: &Observations, f: &Finding) -> Option<String> {
    let e = &f.evidence;
    let (source, name, tenant) = if let Some(r) = e.get("relation").and_then(Value::as_str) {
        let tenant = e
            .get("other_tenant_rows")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(|t| t.get("tenant"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| leaking_tenant(obs, r))?;
        (r.to_string(), r.to_string(), tenant)
    } else {
        let sig = e.get("function").and_then(Value::as_str)?;
        let tenant = e.get("tenant").and_then(Value::as_str)?.to_string();
        let call = cat.definers.iter().find(|d| d.signature == sig).map(|d| d.call.clone())?;
        (call, sig.to_string(), tenant)
    };
    let t = literal(&tenant);
    let known = cat.relations.iter().any(|r| r.name == name) || e.get("function").is_some();
    let show = if known {
        format!(
            "-- rows of tenants other than {t} that the application reads through {name} (the first {SHOWN})\n\
             SELECT * FROM {source} AS x WHERE {} IS DISTINCT FROM {t} LIMIT {SHOWN};\n",
            tenant_text(key_of(cfg, cat, &name))
        )
    } else {
        format!(
            "-- {name} shows no `{}` column: every row it returns under {t}'s context (the first {SHOWN}); \
             the audit counted rows of other tenants among them\n\
             SELECT * FROM {source} AS x LIMIT {SHOWN};\n",
            comment(&cfg.tenancy.column)
        )
    };
    Some(format!(
        "BEGIN;\n-- the tenant context, set the way the application sets it\n{}\n{show}ROLLBACK;\n",
        context(cfg, &tenant)
    ))
}

/// The first probe tenant that saw rows of others through `relation`.
fn leaking_tenant(obs: &Observations, relation: &str) -> Option<String> {
    obs.reads.iter().find_map(|(t, m)| match m.get(relation) {
        Some(Count::Rows { other, .. }) if *other > 0 => Some(t.clone()),
        _ => None,
    })
}

/// RLS022 (live): the rows a session that never set the tenant context reads.
fn no_context(cfg: &Config, e: &Value) -> Option<String> {
    e.get("rows_without_context")?;
    let r = e.get("relation").and_then(Value::as_str)?;
    let setting = literal(&cfg.tenancy.context.setting);
    Some(format!(
        "BEGIN;\n\
         -- no tenant context: this session never sets {setting} (a role or database default shows here)\n\
         SELECT current_setting({setting}, true) AS tenant_context;\n\
         -- the rows a request that forgot the context reads through {r} (the first {SHOWN})\n\
         SELECT * FROM {r} AS x LIMIT {SHOWN};\n\
         ROLLBACK;\n"
    ))
}

/// RLS023: the write that got through, under the writer's context, then the rows it changed as
/// the other tenant sees them. A write that passed row level security and was then stopped by a
/// constraint changed no row, so it gets no script (its finding says which constraint).
fn write(cfg: &Config, cat: &Catalog, e: &Value) -> Option<String> {
    let get = |k: &str| e.get(k).and_then(Value::as_str);
    // a write row level security let through that a constraint then stopped changed nothing to show
    let how = e.get("outcome").and_then(|o| o.get("how")).and_then(Value::as_str).unwrap_or_default();
    if !how.ends_with(" rows") {
        return None;
    }
    let (r, action, a, b) = (get("relation")?, get("action")?, get("as_tenant")?, get("other_tenant")?);
    let key = key_of(cfg, cat, r);
    let (la, lb, col) = (literal(a), literal(b), quote_ident(key));
    let tt = tenant_text(key);
    let changed = format!(
        "-- what changed: the rows this transaction wrote, as {lb} now sees them\n{}\n\
         SELECT * FROM {r} AS x WHERE x.xmin = pg_current_xact_id()::xid LIMIT {SHOWN};\n",
        context(cfg, b)
    );
    let (what, statement, after) = match action {
        "insert row for other tenant" => (
            format!("insert a copy of one of {la}'s rows as a row of {lb}"),
            format!(
                "INSERT INTO {r} OVERRIDING SYSTEM VALUE\n\
                 SELECT (jsonb_populate_record(x, jsonb_build_object({}, {lb}))).*\n  \
                 FROM {r} AS x WHERE {tt} = {la} LIMIT 1;",
                literal(key)
            ),
            changed,
        ),
        "move own row to other tenant" => (
            format!("move one of {la}'s rows to {lb}"),
            format!(
                "UPDATE {r} SET {col} = {lb}\n \
                 WHERE (tableoid, ctid) = (SELECT tableoid, ctid FROM {r} AS x WHERE {tt} = {la} LIMIT 1);"
            ),
            changed,
        ),
        "update other tenant's rows" => {
            (format!("update {lb}'s rows"), format!("UPDATE {r} AS x SET {col} = x.{col} WHERE {tt} = {lb};"), changed)
        }
        "delete other tenant's rows" => (
            format!("delete {lb}'s rows (RETURNING shows them: the delete already needed to read them)"),
            format!("DELETE FROM {r} AS x WHERE {tt} = {lb}\nRETURNING *;"),
            String::new(),
        ),
        _ => {
            // another kind of write: the probe's own statement, when its evidence carries one
            // (`$1` the writer, `$2` the other tenant, replaced in one pass)
            let sql = get("statement")?;
            (action.to_string(), bind(sql, &la, &lb), changed)
        }
    };
    Some(format!(
        "BEGIN;\n-- the tenant context of {la}, set the way the application sets it\n{}\n\
         -- {what}: row level security should refuse it (42501) or touch no row\n{statement}\n{after}ROLLBACK;\n",
        context(cfg, a)
    ))
}

/// RLS040: the write of the shared rows (a NULL tenant key or a `BRIDGE_SHARED_TENANT` marker)
/// that got through, under the writer's context, then the rows it changed.
fn shared_write(cfg: &Config, cat: &Catalog, e: &Value) -> Option<String> {
    let get = |k: &str| e.get(k).and_then(Value::as_str);
    let how = e.get("outcome").and_then(|o| o.get("how")).and_then(Value::as_str).unwrap_or_default();
    if !how.ends_with(" rows") {
        return None;
    }
    let (r, action, a) = (get("relation")?, get("action")?, get("as_tenant")?);
    let col = quote_ident(key_of(cfg, cat, r));
    let mut shared = format!("x.{col} IS NULL");
    if !cfg.rls.shared_tenants.is_empty() {
        let markers = cfg.rls.shared_tenants.iter().map(|m| literal(m)).collect::<Vec<_>>().join(", ");
        shared.push_str(&format!(" OR x.{col}::text = ANY (ARRAY[{markers}])"));
    }
    let (statement, after) = match action {
        super::writes::UPDATE_SHARED => (
            format!("UPDATE {r} AS x SET {col} = x.{col} WHERE {shared};"),
            format!(
                "-- what changed: the shared rows this transaction wrote\n\
                 SELECT * FROM {r} AS x WHERE x.xmin = pg_current_xact_id()::xid LIMIT {SHOWN};\n"
            ),
        ),
        super::writes::DELETE_SHARED => (format!("DELETE FROM {r} AS x WHERE {shared}\nRETURNING *;"), String::new()),
        _ => return None,
    };
    Some(format!(
        "BEGIN;\n-- the tenant context of {}, set the way the application sets it\n{}\n\
         -- {action} (every tenant reads them): row level security should refuse it (42501) or touch no row\n\
         {statement}\n{after}ROLLBACK;\n",
        literal(a),
        context(cfg, a)
    ))
}

/// `sql` with `$1` and `$2` replaced by `a` and `b` in one left-to-right pass (an id that
/// contains `$2` stays inside its literal).
fn bind(sql: &str, a: &str, b: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        match &tail[..digits] {
            "1" => out.push_str(a),
            "2" => out.push_str(b),
            d => {
                out.push('$');
                out.push_str(d);
            }
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    let out = out.trim_end().to_string();
    if out.ends_with(';') {
        out
    } else {
        format!("{out};")
    }
}

/// RLS030: the rows of a table filled with copies of tenant rows, under the context of a probe
/// tenant that counted some there (no script when the probe counted none: nothing to show).
fn copies_readable(cfg: &Config, obs: &Observations, e: &Value) -> Option<String> {
    let table = e.get("table").and_then(Value::as_str)?;
    let tenant = obs.copies.iter().find_map(|(t, m)| match m.get(table) {
        Some(Count::Rows { own, other }) if own + other > 0 => Some(t.clone()),
        _ => None,
    })?;
    Some(format!(
        "BEGIN;\n-- the tenant context of {t}, set the way the application sets it\n{}\n\
         -- the copies of tenant rows the application reads in {table} (the first {SHOWN})\n\
         SELECT * FROM {table} AS x LIMIT {SHOWN};\nROLLBACK;\n",
        context(cfg, &tenant),
        t = literal(&tenant)
    ))
}

/// RLS031: the row images of other tenants' rows in a copy table, under the context of a tenant
/// that saw them.
fn copies_of_others(cfg: &Config, cat: &Catalog, e: &Value) -> Option<String> {
    let table = e.get("table").and_then(Value::as_str)?;
    let tenant = e.get("other_tenant_rows")?.as_array()?.first()?.get("tenant")?.as_str()?;
    let key = cat.copies.iter().find(|c| c.table == table)?.image_key_expr();
    let t = literal(tenant);
    Some(format!(
        "BEGIN;\n-- the tenant context of {t}, set the way the application sets it\n{}\n\
         -- copies of rows of tenants other than {t} in {table}, by the tenant key their row image carries (the first {SHOWN})\n\
         SELECT * FROM {table} AS x WHERE {key} <> {t} LIMIT {SHOWN};\nROLLBACK;\n",
        context(cfg, tenant)
    ))
}

/// RLS032: a view without a tenant column read under two tenants' contexts: the same count and
/// digest, then the rows the second one sees.
fn same_rows_everywhere(cfg: &Config, obs: &Observations, e: &Value) -> Option<String> {
    let view = e.get("view").and_then(Value::as_str)?;
    let by_context = e.get("rows_by_context")?;
    let tenants: Vec<&String> = obs.tenants.iter().filter(|t| by_context.get(t.as_str()).is_some()).take(2).collect();
    let [a, b] = tenants[..] else { return None };
    let digest = format!(
        "SELECT count(*) AS rows, md5(string_agg(x::text, '|' ORDER BY x::text)) AS digest FROM (SELECT * FROM {view} LIMIT {}) x;",
        super::probe::ROW_CAP
    );
    Some(format!(
        "BEGIN;\n-- {view} shows no `{}` column: under each tenant's context it should return other rows\n\
         {}\n{digest}\n{}\n{digest}\n\
         -- the same rows under both: every row it returns under {}'s context (the first {SHOWN})\n\
         SELECT * FROM {view} AS x LIMIT {SHOWN};\nROLLBACK;\n",
        comment(&cfg.tenancy.column),
        context(cfg, a),
        context(cfg, b),
        literal(b)
    ))
}

/// RLS024: set the context the application's way in a read-only transaction that commits,
/// then look in the next transaction on the same connection.
fn context_survives(cfg: &Config, obs: &Observations) -> Option<String> {
    let a = obs.tenants.first()?;
    let setting = literal(&cfg.tenancy.context.setting);
    let rows = match &obs.rows_after_commit {
        Some((t, n)) if *n > 0 => {
            format!("-- the rows the next request reads through {t} (the first {SHOWN})\nSELECT * FROM {t} AS x LIMIT {SHOWN};\n")
        }
        _ => String::new(),
    };
    Some(format!(
        "-- a request: its transaction sets the context the application's way and commits (READ ONLY: it writes nothing)\n\
         BEGIN READ ONLY;\n{}\nCOMMIT;\n\
         -- the next request on the same connection: the context should be gone\n\
         BEGIN;\nSELECT current_setting({setting}, true) AS tenant_context_left_over;\n{rows}ROLLBACK;\n",
        context(cfg, a)
    ))
}

#[cfg(test)]
mod tests;
