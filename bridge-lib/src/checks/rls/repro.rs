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
/// (RLS023) and a context that survives a commit (RLS024).
pub fn attach(cfg: &Config, cat: &Catalog, obs: &Observations, findings: &mut [Finding]) {
    for f in findings.iter_mut().filter(|f| f.status == Status::Fail) {
        let body = match f.code.as_str() {
            "RLS021" => cross_read(cfg, cat, obs, f),
            "RLS022" => no_context(cfg, &f.evidence),
            "RLS023" => write(cfg, &f.evidence),
            "RLS024" => context_survives(cfg, obs),
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
    let sql = match &cfg.tenant_context_sql {
        Some(template) => template.replace("{tenant}", &t),
        None => format!("SELECT set_config({}, {t}, true)", literal(&cfg.tenant_setting)),
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

/// `tenant_id::text` on alias `x`.
fn tenant_text(cfg: &Config) -> String {
    format!("x.{}::text", quote_ident(&cfg.tenant_column))
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
            tenant_text(cfg)
        )
    } else {
        format!(
            "-- {name} shows no `{}` column: every row it returns under {t}'s context (the first {SHOWN}); \
             the audit counted rows of other tenants among them\n\
             SELECT * FROM {source} AS x LIMIT {SHOWN};\n",
            comment(&cfg.tenant_column)
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
    let setting = literal(&cfg.tenant_setting);
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
fn write(cfg: &Config, e: &Value) -> Option<String> {
    let get = |k: &str| e.get(k).and_then(Value::as_str);
    // a write row level security let through that a constraint then stopped changed nothing to show
    let how = e.get("outcome").and_then(|o| o.get("how")).and_then(Value::as_str).unwrap_or_default();
    if !how.ends_with(" rows") {
        return None;
    }
    let (r, action, a, b) = (get("relation")?, get("action")?, get("as_tenant")?, get("other_tenant")?);
    let (la, lb, col) = (literal(a), literal(b), quote_ident(&cfg.tenant_column));
    let tt = tenant_text(cfg);
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
                literal(&cfg.tenant_column)
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

/// RLS024: set the context the application's way in a read-only transaction that commits,
/// then look in the next transaction on the same connection.
fn context_survives(cfg: &Config, obs: &Observations) -> Option<String> {
    let a = obs.tenants.first()?;
    let setting = literal(&cfg.tenant_setting);
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
mod tests {
    use super::super::rules::fixtures::{self, count, write as probe_write, DOCS};
    use super::*;
    use crate::checks::rls::probe::WriteOutcome;

    fn live(obs: &Observations) -> Vec<Finding> {
        crate::checks::rls::evaluate_live(&fixtures::cfg(), &fixtures::catalog(), obs)
    }

    fn repro(f: &[Finding], key: &str) -> String {
        let f = f.iter().find(|f| f.key == key).unwrap_or_else(|| panic!("no {key}: {f:#?}"));
        f.evidence["repro"].as_str().unwrap_or_else(|| panic!("{key} has no repro")).to_string()
    }

    #[test]
    fn literals_are_quoted_as_postgresql_quote_literal_does() {
        assert_eq!(literal("acme"), "'acme'");
        assert_eq!(literal("o'k"), "'o''k'");
        assert_eq!(literal(r"a\'b"), r"E'a\\''b'");
        assert_eq!(
            file_stem("RLS023:public.docs/move own row to other tenant"),
            "RLS023_public.docs_move_own_row_to_other_tenant"
        );
        assert_eq!(file_stem("../.."), "repro");
    }

    #[test]
    fn a_cross_tenant_read_gets_a_script_that_sets_the_context_and_selects_the_other_rows() {
        let mut obs = fixtures::observations();
        obs.reads.get_mut("b").unwrap().insert(DOCS.into(), count(2, 3));
        let s = repro(&live(&obs), "RLS021:public.docs");
        assert!(s.starts_with("-- bridge: reproduces RLS021 cross-tenant-read (RLS021:public.docs)\n"), "{s}");
        assert!(s.contains("-X -v ON_ERROR_STOP=1 -f RLS021_public.docs.sql"), "{s}");
        assert!(s.contains("BEGIN;\n-- the tenant context, set the way the application sets it\nSELECT set_config('app.current_tenant', 'b', true);\n"), "{s}");
        assert!(s.contains("SELECT * FROM public.docs AS x WHERE x.\"tenant_id\"::text IS DISTINCT FROM 'b' LIMIT 100;\nROLLBACK;\n"), "{s}");
    }

    #[test]
    fn a_relation_without_the_tenant_column_shows_every_row_it_returns() {
        let mut f = vec![crate::checks::rls::rules::cross_tenant_read::CROSS_TENANT_READ
            .finding(Status::Fail, "public.note_bodies", "expected 0 rows of other tenants")
            .with_evidence(serde_json::json!({"relation": "public.note_bodies", "other_tenant_rows": [{"tenant": "a", "rows": 10}]}))];
        attach(&fixtures::cfg(), &fixtures::catalog(), &fixtures::observations(), &mut f);
        let s = repro(&f, "RLS021:public.note_bodies");
        assert!(
            s.contains("-- public.note_bodies shows no `tenant_id` column: every row it returns under 'a''s context"),
            "{s}"
        );
        assert!(s.contains("SELECT set_config('app.current_tenant', 'a', true);\n"), "{s}");
        assert!(s.ends_with("SELECT * FROM public.note_bodies AS x LIMIT 100;\nROLLBACK;\n"), "{s}");
    }

    #[test]
    fn the_configured_context_statement_is_used_with_the_id_quoted() {
        let mut cfg = fixtures::cfg();
        cfg.tenant_context_sql = Some("SET LOCAL app.current_tenant = {tenant}".into());
        let mut obs = fixtures::observations();
        obs.tenants = vec![r"x\y".into()];
        obs.context_after_commit = Some(r"x\y".into());
        let f = crate::checks::rls::evaluate_live(&cfg, &fixtures::catalog(), &obs);
        let s = repro(&f, "RLS024:app.current_tenant");
        assert!(s.contains("BEGIN READ ONLY;\nSET LOCAL app.current_tenant = E'x\\\\y';\nCOMMIT;\n"), "{s}");
        assert!(
            s.ends_with("SELECT current_setting('app.current_tenant', true) AS tenant_context_left_over;\nROLLBACK;\n"),
            "{s}"
        );
    }

    #[test]
    fn a_write_that_got_through_is_done_then_what_changed_is_selected() {
        let mut obs = fixtures::observations();
        obs.writes = vec![
            probe_write("move own row to other tenant", WriteOutcome::Allowed { how: "1 rows".into() }),
            probe_write("delete other tenant's rows", WriteOutcome::Allowed { how: "2 rows".into() }),
            probe_write("insert row for other tenant", WriteOutcome::Allowed { how: "1 rows".into() }),
        ];
        let f = live(&obs);
        let moved = repro(&f, "RLS023:public.docs/move own row to other tenant");
        assert!(moved.contains("UPDATE public.docs SET \"tenant_id\" = 'b'\n WHERE (tableoid, ctid) = (SELECT tableoid, ctid FROM public.docs AS x WHERE x.\"tenant_id\"::text = 'a' LIMIT 1);\n"), "{moved}");
        assert!(moved.contains("SELECT set_config('app.current_tenant', 'b', true);\nSELECT * FROM public.docs AS x WHERE x.xmin = pg_current_xact_id()::xid LIMIT 100;\nROLLBACK;\n"), "{moved}");
        let deleted = repro(&f, "RLS023:public.docs/delete other tenant's rows");
        assert!(
            deleted
                .contains("DELETE FROM public.docs AS x WHERE x.\"tenant_id\"::text = 'b'\nRETURNING *;\nROLLBACK;\n"),
            "{deleted}"
        );
        let inserted = repro(&f, "RLS023:public.docs/insert row for other tenant");
        assert!(inserted.contains("jsonb_populate_record(x, jsonb_build_object('tenant_id', 'b'))"), "{inserted}");
        let stopped =
            WriteOutcome::Allowed { how: "passed row level security, then stopped by constraint (23505)".into() };
        obs.writes = vec![probe_write("insert row for other tenant", stopped)];
        let f = live(&obs);
        assert!(f.iter().any(|f| f.code == "RLS023" && f.evidence.get("repro").is_none()), "{f:#?}");
    }

    #[test]
    fn another_write_uses_the_statement_in_its_evidence_bound_in_one_pass() {
        let e = serde_json::json!({"relation": DOCS, "action": "update shared rows", "as_tenant": "q$2", "other_tenant": "b",
            "outcome": {"result": "allowed", "how": "2 rows"},
            "statement": "UPDATE public.docs SET body = body WHERE tenant_id IS NULL AND $1::text IS NOT NULL"});
        let s = write(&fixtures::cfg(), &e).unwrap();
        assert!(s.contains("-- update shared rows: row level security should refuse it (42501) or touch no row\nUPDATE public.docs SET body = body WHERE tenant_id IS NULL AND 'q$2'::text IS NOT NULL;\n"), "{s}");
        assert_eq!(bind("$1 $2 $10 $", "'a'", "'b'"), "'a' 'b' $10 $;");
    }

    #[test]
    fn rows_without_context_get_a_script_that_sets_nothing() {
        let mut obs = fixtures::observations();
        obs.no_context.insert(DOCS.into(), count(0, 4));
        let s = repro(&live(&obs), "RLS022:public.docs");
        assert!(!s.contains("set_config"), "{s}");
        assert!(s.contains("SELECT * FROM public.docs AS x LIMIT 100;\nROLLBACK;\n"), "{s}");
    }

    #[test]
    fn passes_and_clean_observations_carry_no_script() {
        let f = live(&fixtures::observations());
        assert!(f.iter().all(|f| f.evidence.get("repro").is_none()), "{f:#?}");
        assert!(scripts(&f).is_empty());
    }

    #[test]
    fn script_names_are_unique() {
        let mut obs = fixtures::observations();
        obs.context_after_commit = Some("a".into());
        obs.rows_after_commit = Some((DOCS.into(), 2));
        let mut f = live(&obs);
        f.extend(live(&obs));
        let names: Vec<String> = scripts(&f).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["RLS024_app.current_tenant.sql", "RLS024_app.current_tenant-2.sql"]);
    }
}
