//! The scripts each leak gets, from the rule fixtures.

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
    assert!(
        s.contains(
            "SELECT * FROM public.docs AS x WHERE x.\"tenant_id\"::text IS DISTINCT FROM 'b' LIMIT 100;\nROLLBACK;\n"
        ),
        "{s}"
    );
}

#[test]
fn a_relation_without_the_tenant_column_shows_every_row_it_returns() {
    let mut f = vec![crate::checks::rls::rules::cross_tenant_read::CROSS_TENANT_READ
        .finding(Status::Fail, "public.note_bodies", "expected 0 rows of other tenants")
        .with_evidence(
            serde_json::json!({"relation": "public.note_bodies", "other_tenant_rows": [{"tenant": "a", "rows": 10}]}),
        )];
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
    cfg.tenancy.context.template = Some("SET LOCAL app.current_tenant = {tenant}".into());
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
        deleted.contains("DELETE FROM public.docs AS x WHERE x.\"tenant_id\"::text = 'b'\nRETURNING *;\nROLLBACK;\n"),
        "{deleted}"
    );
    let inserted = repro(&f, "RLS023:public.docs/insert row for other tenant");
    assert!(inserted.contains("jsonb_populate_record(x, jsonb_build_object('tenant_id', 'b'))"), "{inserted}");
    let stopped = WriteOutcome::Allowed { how: "passed row level security, then stopped by constraint (23505)".into() };
    obs.writes = vec![probe_write("insert row for other tenant", stopped)];
    let f = live(&obs);
    assert!(f.iter().any(|f| f.code == "RLS023" && f.evidence.get("repro").is_none()), "{f:#?}");
}

#[test]
fn another_write_uses_the_statement_in_its_evidence_bound_in_one_pass() {
    let e = serde_json::json!({"relation": DOCS, "action": "update shared rows", "as_tenant": "q$2", "other_tenant": "b",
        "outcome": {"result": "allowed", "how": "2 rows"},
        "statement": "UPDATE public.docs SET body = body WHERE tenant_id IS NULL AND $1::text IS NOT NULL"});
    let s = write(&fixtures::cfg(), &fixtures::catalog(), &e).unwrap();
    assert!(s.contains("-- update shared rows: row level security should refuse it (42501) or touch no row\nUPDATE public.docs SET body = body WHERE tenant_id IS NULL AND 'q$2'::text IS NOT NULL;\n"), "{s}");
    assert_eq!(bind("$1 $2 $10 $", "'a'", "'b'"), "'a' 'b' $10 $;");
}

#[test]
fn a_table_found_by_its_own_key_is_read_and_written_by_that_key() {
    let mut cat = fixtures::catalog();
    cat.relations[0].tenant_key = "org_id".into();
    let mut obs = fixtures::observations();
    obs.reads.get_mut("b").unwrap().insert(DOCS.into(), count(2, 3));
    obs.writes = vec![probe_write("delete other tenant's rows", WriteOutcome::Allowed { how: "2 rows".into() })];
    let f = crate::checks::rls::evaluate_live(&fixtures::cfg(), &cat, &obs);
    let read = repro(&f, "RLS021:public.docs");
    assert!(read.contains("WHERE x.\"org_id\"::text IS DISTINCT FROM 'b'"), "{read}");
    let deleted = repro(&f, "RLS023:public.docs/delete other tenant's rows");
    assert!(deleted.contains("DELETE FROM public.docs AS x WHERE x.\"org_id\"::text = 'b'"), "{deleted}");
}

#[test]
fn copies_and_views_that_leak_get_scripts() {
    use crate::checks::rls::probe::Shape;
    use crate::checks::rls::rules::{hidden_view, tenant_copy};
    let mut cat = fixtures::catalog();
    cat.copies = vec![crate::checks::rls::catalog::TenantCopy {
        table: "public.audit_log".into(),
        source_keys: vec!["tenant_id".into()],
        image_columns: vec!["row_data".into()],
        ..Default::default()
    }];
    let mut obs = fixtures::observations();
    obs.copies.insert("a".into(), [("public.audit_log".to_string(), count(1, 4))].into());
    let same = Shape::Rows { rows: 12, digest: "x".into() };
    let shapes = ["", "a", "b"].map(|c| (c.to_string(), same.clone())).into();
    obs.view_rows.insert("public.note_bodies".into(), shapes);
    let mut f = tenant_copy::copy_unprotected(&fixtures::cfg(), &cat);
    f.extend(tenant_copy::copy_read(&cat, &obs));
    f.extend(hidden_view::view_ignores_context(&cat, &obs));
    attach(&fixtures::cfg(), &cat, &obs, &mut f);
    let copies = repro(&f, "RLS031:public.audit_log");
    assert!(copies.contains("SELECT set_config('app.current_tenant', 'a', true);\n"), "{copies}");
    assert!(copies.contains("SELECT * FROM public.audit_log AS x WHERE coalesce((\"row_data\"->>'tenant_id')) <> 'a' LIMIT 100;\nROLLBACK;\n"), "{copies}");
    let unprotected = repro(&f, "RLS030:public.audit_log");
    assert!(unprotected.contains("SELECT * FROM public.audit_log AS x LIMIT 100;\nROLLBACK;\n"), "{unprotected}");
    let view = repro(&f, "RLS032:public.note_bodies");
    assert!(
        view.contains("SELECT set_config('app.current_tenant', 'a', true);\nSELECT count(*) AS rows, md5("),
        "{view}"
    );
    assert!(view.contains("SELECT set_config('app.current_tenant', 'b', true);\nSELECT count(*)"), "{view}");
    assert!(view.ends_with("SELECT * FROM public.note_bodies AS x LIMIT 100;\nROLLBACK;\n"), "{view}");
    obs.copies.clear();
    let mut f = tenant_copy::copy_unprotected(&fixtures::cfg(), &cat);
    attach(&fixtures::cfg(), &cat, &obs, &mut f);
    assert!(f[0].evidence.get("repro").is_none(), "no rows counted, nothing to show");
}

#[test]
fn a_write_of_the_shared_rows_gets_a_script() {
    let mut cfg = fixtures::cfg();
    cfg.rls.shared_tenants = vec!["global".into()];
    let e = serde_json::json!({"relation": DOCS, "action": "delete shared rows", "as_tenant": "a", "other_tenant": "(shared)",
        "outcome": {"result": "allowed", "how": "2 rows"}});
    let s = shared_write(&cfg, &fixtures::catalog(), &e).unwrap();
    assert!(s.contains("SELECT set_config('app.current_tenant', 'a', true);\n"), "{s}");
    assert!(s.contains("DELETE FROM public.docs AS x WHERE x.\"tenant_id\" IS NULL OR x.\"tenant_id\"::text = ANY (ARRAY['global'])\nRETURNING *;\nROLLBACK;\n"), "{s}");
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
