//! Times the cost check's PostgreSQL path: COPY a ledger CSV into a throwaway cluster, then run
//! the check (GROUP BY pushed down) against it. Used by `bench/cost/run.sh`.
//!
//! `cargo run --release -p bridge-lib --example cost_pg_bench -- LEDGER.csv INVOICE.csv`
#![allow(clippy::print_stdout, clippy::print_stderr)] // a benchmark reports on the terminal

use bridge_lib::demo::PgCluster;
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (ledger, invoice) = match (args.get(1), args.get(2)) {
        (Some(l), Some(i)) => (std::fs::canonicalize(l)?, std::fs::canonicalize(i)?),
        _ => return Err("usage: cost_pg_bench LEDGER.csv INVOICE.csv".into()),
    };
    let pg = tokio::task::spawn_blocking(PgCluster::start).await??;
    let su = bridge_lib::db::connect(&pg.superuser("postgres")).await?;
    su.batch_execute("CREATE DATABASE bench").await?;
    let target = pg.superuser("bench");
    let c = bridge_lib::db::connect(&target).await?;
    c.batch_execute(
        "CREATE TABLE usage_events (tenant_id text NOT NULL, provider text NOT NULL, model text NOT NULL,
                                    occurred_at timestamptz NOT NULL, cost_usd numeric(14, 6) NOT NULL)",
    )
    .await?;
    let t = Instant::now();
    let sql = format!(
        "COPY usage_events FROM {} (FORMAT csv, HEADER true)",
        bridge_lib::db::quote_literal(&ledger.display().to_string())
    );
    let n = c.execute(&sql, &[]).await?;
    c.batch_execute("VACUUM ANALYZE usage_events").await?;
    println!("postgres COPY of {n} rows (+ VACUUM ANALYZE): {:.2} s", t.elapsed().as_secs_f64());
    let mut cfg = bridge_lib::Config { admin_database: Some(target), ..Default::default() };
    cfg.cost.billed_files = vec![invoice];
    let t = Instant::now();
    let o = bridge_lib::checks::cost::run(&cfg).await?;
    let secs = t.elapsed().as_secs_f64();
    for v in o.data["variance"].as_array().into_iter().flatten() {
        println!("{} {} {:.4} {}", v["provider"], v["period"], v["variance"].as_f64().unwrap_or(f64::NAN), v["band"]);
    }
    println!("postgres cost check ({}): {secs:.2} s, status {}", o.data["sources"]["allocated"], o.status.as_str());
    Ok(())
}
