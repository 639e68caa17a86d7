//! A runnable reproduction for every RLS leak (issue #15): `bridge check --emit-repro DIR`
//! writes one script per leak, and each one, run with psql as the application role exactly as
//! its header says, exits 0, prints the leaked rows and changes nothing.

mod common;

use bridge_lib::demo::{Demo, Variant, APP_PASSWORD};
use std::path::{Path, PathBuf};
use std::process::Command;

/// psql 15 from the cluster's bin folder, or the one on PATH.
fn psql() -> PathBuf {
    let pg15 = Path::new("/usr/lib/postgresql/15/bin/psql");
    if pg15.exists() {
        pg15.into()
    } else {
        "psql".into()
    }
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/rls/{name}.sql", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("bridge-repro-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// `bridge check --only rls --emit-repro DIR` as the application role; the scripts, sorted.
fn emit(demo: &Demo, dir: &Path, env: &[(&str, &str)]) -> Vec<PathBuf> {
    let out = common::bridge_bin()
        .args(["check", "--only", "rls", "--format", "json", "--emit-repro"])
        .arg(dir)
        .env("DATABASE_URL", common::url(demo, "bridge_app", APP_PASSWORD))
        .envs(env.iter().copied())
        .output()
        .expect("run bridge");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(matches!(out.status.code(), Some(0 | 1)), "bridge failed: {stdout}\n{stderr}");
    assert!(stderr.contains("reproduction scripts to"), "{stderr}");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|d| d.map(|e| e.unwrap().path()).collect()).unwrap_or_default();
    files.sort();
    files
}

/// The `psql '…'` target the script's header names.
fn header_target(script: &str) -> String {
    let line =
        script.lines().find(|l| l.starts_with("--   psql '")).unwrap_or_else(|| panic!("no psql line: {script}"));
    line.split('\'').nth(1).unwrap().to_string()
}

/// The row count in the last `(N rows)` footer psql printed.
fn last_rows(out: &str) -> Option<u64> {
    out.lines().rev().find_map(|l| {
        let l = l.trim();
        let n = l.strip_prefix('(')?.strip_suffix(" rows)").or_else(|| l.strip_prefix('(')?.strip_suffix(" row)"))?;
        n.parse().ok()
    })
}

/// Emits the scripts for `demo`, runs each as its header says, and checks that each exits 0,
/// prints rows and that no table changed. Returns (file name, script) for each.
async fn every_script_reproduces(demo: &Demo, name: &str, env: &[(&str, &str)]) -> Vec<(String, String)> {
    let dir = tempdir(name);
    let before = common::fingerprint(&demo.admin).await;
    let files = emit(demo, &dir, env);
    let mut scripts = Vec::new();
    for f in &files {
        let script = std::fs::read_to_string(f).unwrap();
        assert!(script.contains("\nBEGIN") && script.trim_end().ends_with("ROLLBACK;"), "{script}");
        let out = Command::new(psql())
            .arg(header_target(&script))
            .args(["-X", "-v", "ON_ERROR_STOP=1", "-f"])
            .arg(f)
            .env("PGPASSWORD", APP_PASSWORD)
            .env_remove("PGOPTIONS")
            .output()
            .expect("run psql");
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{}: psql failed\n{script}\n{stdout}\n{stderr}", f.display());
        assert!(last_rows(&stdout).is_some_and(|n| n > 0), "{}: no leaked rows shown\n{script}\n{stdout}", f.display());
        scripts.push((f.file_name().unwrap().to_string_lossy().into_owned(), script));
    }
    assert_eq!(before, common::fingerprint(&demo.admin).await, "a repro script changed data");
    let _ = std::fs::remove_dir_all(&dir);
    scripts
}

fn names(scripts: Vec<(String, String)>) -> Vec<String> {
    scripts.into_iter().map(|(n, _)| n).collect()
}

#[tokio::test]
async fn broken_demo_every_leak_has_a_script_that_shows_it() {
    let demo = common::demo(Variant::Broken).await;
    let names = names(every_script_reproduces(&demo, "broken", &[]).await);
    for expected in [
        "RLS021_public.usage_events.sql",
        "RLS021_public.document_titles.sql",
        "RLS022_public.chunks.sql",
        "RLS023_public.usage_events_update_other_tenant_s_rows.sql",
        "RLS023_public.usage_events_delete_other_tenant_s_rows.sql",
    ] {
        assert!(names.iter().any(|n| n == expected), "no {expected} in {names:?}");
    }
}

#[tokio::test]
async fn a_role_default_naming_a_tenant_has_scripts_for_the_rows_without_context() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(&demo, &fixture("l6_default_real_tenant")).await;
    let names = names(every_script_reproduces(&demo, "l6", &[]).await);
    assert!(names.iter().any(|n| n.starts_with("RLS022_public.documents")), "{names:?}");
}

#[tokio::test]
async fn shared_rows_writable_has_a_script_for_each_leak() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(&demo, &fixture("l5_shared_rows_writable")).await;
    let names = names(every_script_reproduces(&demo, "l5", &[]).await);
    assert!(names.iter().any(|n| n.contains("prompt_templates")), "{names:?}");
}

/// The live probe reads views by what they return (#15, class 4): the view is RLS032 (live) as
/// well as RLS008 (static), and the RLS032 finding carries the script.
#[tokio::test]
async fn a_view_hiding_the_tenant_column_has_a_script_for_its_rows() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(&demo, &fixture("l4_view_hides_tenant_column")).await;
    let names = names(every_script_reproduces(&demo, "l4", &[]).await);
    assert!(names.iter().any(|n| n.contains("note_bodies")), "{names:?}");
}

#[tokio::test]
async fn a_backslash_in_a_tenant_id_is_quoted_as_quote_literal_does() {
    let demo = common::demo(Variant::Broken).await;
    let id = r"back\slash'q";
    let q = id.replace('\'', "''").replace('\\', "\\\\");
    common::admin_exec(
        &demo,
        &format!(
            "INSERT INTO tenants (id, name, tier, is_test) VALUES (E'{q}', 'x', 'pro', true);
             INSERT INTO usage_events SELECT E'{q}', id + 1000000, occurred_at, provider, model, input_tokens, output_tokens, cost_usd
               FROM usage_events WHERE tenant_id = 'acme' LIMIT 2;"
        ),
    )
    .await;
    let tenants = format!("{id},acme");
    let scripts = every_script_reproduces(&demo, "backslash", &[("BRIDGE_PROBE_TENANTS", &tenants)]).await;
    let (_, moved) = scripts
        .iter()
        .find(|(n, _)| n == "RLS023_public.usage_events_move_own_row_to_other_tenant.sql")
        .unwrap_or_else(|| panic!("no move script: {scripts:?}"));
    assert!(moved.contains(r"SELECT set_config('app.current_tenant', E'back\\slash''q', true);"), "{moved}");
}
