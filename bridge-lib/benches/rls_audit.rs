//! Benchmark: the full RLS audit (catalog + live probe) on 1,000 tenant tables and 20 tenants.
//!
//! `cargo bench --bench rls_audit` prints the schema build time and the audit time, for the
//! default 3 probe tenants and for all 20, then the audit with `--prove` (2,001 mutants: a
//! `USING (true)` policy and RLS disabled on each table, and the session-level context), with
//! 3 probe tenants. Not a test: it asserts nothing about time.
#![allow(clippy::print_stdout, missing_docs)]

use bridge_lib::demo::{Demo, DemoCluster, Variant};
use bridge_lib::{run_check, CheckId};
use std::time::Instant;

const TABLES: usize = 1000;
const TENANTS: usize = 20;

#[tokio::main]
async fn main() {
    let t = Instant::now();
    let cluster = tokio::task::spawn_blocking(DemoCluster::start).await.unwrap().expect("start PostgreSQL");
    let demo = Demo::create_in(cluster, "bench", Variant::Clean).await.expect("load the demo");
    println!("cluster + demo: {:.2} s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let admin = bridge_lib::db::connect(&demo.admin).await.unwrap();
    admin
        .batch_execute(&format!(
            "INSERT INTO tenants (id, name, tier) SELECT 'bench-' || i, 'bench ' || i, 'pro' FROM generate_series(1, {n}) i;
             SET ROLE bridge_owner;
             DO $$ BEGIN FOR i IN 1..{TABLES} LOOP
               EXECUTE format('CREATE TABLE bench_%s (tenant_id text NOT NULL, n int NOT NULL, PRIMARY KEY (tenant_id, n))', i);
               EXECUTE format('ALTER TABLE bench_%s ENABLE ROW LEVEL SECURITY', i);
               EXECUTE format('ALTER TABLE bench_%s FORCE ROW LEVEL SECURITY', i);
               EXECUTE format($p$CREATE POLICY t ON bench_%s TO bridge_app
                   USING (tenant_id = current_setting('app.current_tenant', true))
                   WITH CHECK (tenant_id = current_setting('app.current_tenant', true))$p$, i);
               EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON bench_%s TO bridge_app', i);
             END LOOP; END $$;
             RESET ROLE;
             DO $$ BEGIN FOR i IN 1..{TABLES} LOOP
               EXECUTE format('INSERT INTO bench_%s SELECT t.id, g FROM tenants t, generate_series(1, 5) g', i);
             END LOOP; END $$;
             ANALYZE;",
            n = TENANTS - 6
        ))
        .await
        .expect("build the schema");
    println!("schema: {TABLES} tenant tables x {TENANTS} tenants, 5 rows each: {:.2} s", t.elapsed().as_secs_f64());

    for probe in [3, TENANTS] {
        let mut cfg = demo.config();
        cfg.rls.probe_tenant_count = probe;
        for run in 1..=2 {
            let t = Instant::now();
            let o = run_check(&cfg, CheckId::Rls).await;
            let secs = t.elapsed().as_secs_f64();
            let writes = o.findings.iter().find(|f| f.code == "RLS023").map(|f| f.detail.clone()).unwrap_or_default();
            println!(
                "full audit ({probe} probe tenants, run {run}): {secs:.2} s, status {}, {} relations, {writes}",
                o.status.as_str(),
                o.data["matrix"].as_array().map(|m| m.len()).unwrap_or(0)
            );
        }
    }
    let mut cfg = demo.config();
    cfg.rls.prove = true;
    let t = Instant::now();
    let o = run_check(&cfg, CheckId::Rls).await;
    let secs = t.elapsed().as_secs_f64();
    let mutants = o.data["mutants"].as_array().cloned().unwrap_or_default();
    let caught = mutants.iter().filter(|m| m["caught"] == true).count();
    println!(
        "full audit with --prove (3 probe tenants): {secs:.2} s, status {}, {} mutants, {caught} caught{}",
        o.status.as_str(),
        mutants.len(),
        o.error.map(|e| format!(", error: {e}")).unwrap_or_default()
    );
}
