//! The test harness: one throwaway PostgreSQL cluster per test binary, one fresh demo database
//! per test. A test that cannot start the cluster fails loudly; nothing is skipped.
#![allow(dead_code, clippy::print_stdout, clippy::print_stderr)]

use bridge_lib::config::DbTarget;
use bridge_lib::demo::{Demo, DemoCluster, Variant};
use std::sync::{Arc, OnceLock};

static CLUSTER: OnceLock<Arc<DemoCluster>> = OnceLock::new();

/// The shared cluster, started on first use.
pub fn cluster() -> Arc<DemoCluster> {
    CLUSTER
        .get_or_init(|| {
            DemoCluster::start()
                .unwrap_or_else(|e| panic!("the tests need a throwaway PostgreSQL and it could not start: {e}"))
        })
        .clone()
}

/// A fresh demo database of the given variant.
pub async fn demo(variant: Variant) -> Demo {
    let c = cluster();
    let name = c.unique_dbname();
    Demo::create_in(c, &name, variant).await.unwrap_or_else(|e| panic!("loading the demo failed: {e}"))
}

/// Runs SQL as the superuser on the demo's database.
pub async fn admin_exec(demo: &Demo, sql: &str) {
    let c = bridge_lib::db::connect(&demo.admin).await.expect("superuser connection");
    c.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A fingerprint of every user table's contents, read as the superuser: equal before and after
/// means nothing changed.
pub async fn fingerprint(target: &DbTarget) -> Vec<(String, String)> {
    let c = bridge_lib::db::connect(target).await.expect("superuser connection");
    let tables: Vec<String> = c
        .query("SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY 1", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut out = Vec::new();
    for t in tables {
        let sql = format!("SELECT coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), 'empty') FROM {t} x");
        let h: String = c.query_one(&sql, &[]).await.unwrap().get(0);
        out.push((t, h));
    }
    out
}

/// The `bridge` binary built for this test run.
pub fn bridge_bin() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_bridge"));
    for (v, _) in std::env::vars_os() {
        if v.to_str().is_some_and(bridge_lib::config::is_config_var) {
            c.env_remove(v);
        }
    }
    // a .env in the working directory must not leak into the tests
    c.current_dir(std::env::temp_dir());
    c
}

/// A libpq key=value URL for a demo target with the given password.
pub fn url(demo: &Demo, user: &str, password: &str) -> String {
    format!(
        "host=127.0.0.1 port={} user={user} password={password} dbname={}",
        demo.cluster().pg.port(),
        demo.app.dbname()
    )
}

/// A fresh empty folder for one test (`bridge-<name>-<pid>` in the temporary folder), removed
/// when the test ends, passed or failed.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("bridge-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
}

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for TempDir {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
