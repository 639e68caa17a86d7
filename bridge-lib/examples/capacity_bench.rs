//! Benchmark (not a test): one `describe_index_stats` response with 100,000 namespaces
//! (several MB), parsed and evaluated against 100,000 tenants with a 4-snapshot history, then
//! the three-way join: the same tenants in a PostgreSQL's tenants table and a cost ledger of
//! LEDGER_ROWS rows (`usage_events`, 10 M by default: a year appended in time order, indexed
//! on (occurred_at) and (tenant_id, occurred_at) as the demo schema is) read by the capacity
//! check's own queries (the window's spend, then the last activity of the tenants the window
//! does not see) through a connection RLS does not restrict, joined and evaluated with the
//! scaling decisions. Targets: under 1 s, under 200 MB peak memory. Measure the release build.
//!
//! ```text
//! cargo build --release --no-default-features --features cli --example capacity_bench
//! target/release/examples/capacity_bench [NAMESPACES [HISTORY_WEEKS [LEDGER_ROWS]]]   # 100000 4 10000000
//! ```
//! LEDGER_ROWS 0 skips the database part. Without `BRIDGE_BENCH_DATABASE_URL` the ledger is
//! built in a throwaway cluster on every run (about a minute for 10 M rows); with it (a
//! superuser connection to a server of your own, e.g. `host=/tmp/pg port=5499 user=postgres
//! dbname=postgres`) it is built once, kept, and reused while the tenants and rows match.
#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use bridge_lib::checks::capacity::{evaluate, evaluate_with, read_ledger, read_registry_and_ledger, Tenant, Usage};
use bridge_lib::pinecone::history::Snapshot;
use bridge_lib::pinecone::{IndexKind, IndexStats};
use bridge_lib::Config;
use std::fmt::Write;
use std::time::Instant;

fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let tiers = ["starter", "pro", "enterprise"];
    let count = |i: usize| (i as u64 * 7919) % 95_000; // some starter tenants land over 80%

    let t = Instant::now();
    let mut body = String::with_capacity(n * 48);
    body.push_str("{\"namespaces\":{");
    for i in 0..n {
        if i > 0 {
            body.push(',');
        }
        // every tenth count as a string, as proto3 int64 JSON allows
        if i % 10 == 0 {
            let _ = write!(body, "\"tenant-{i:06}\":{{\"vectorCount\":\"{}\"}}", count(i));
        } else {
            let _ = write!(body, "\"tenant-{i:06}\":{{\"vectorCount\":{}}}", count(i));
        }
    }
    let _ = write!(body, "}},\"dimension\":1536,\"indexFullness\":0.0,\"totalVectorCount\":{},\"metric\":\"cosine\",\"vectorType\":\"dense\"}}", (0..n).map(count).sum::<u64>());
    let built = t.elapsed();

    let tenants: Vec<Tenant> = (0..n)
        .map(|i| Tenant {
            id: format!("tenant-{i:06}"),
            tier: tiers[i % 3].to_string(),
            active: true,
            ..Tenant::default()
        })
        .collect();
    let weeks: i64 = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(4);
    let history: Vec<(i64, Snapshot)> = (0..weeks)
        .map(|w| {
            let at = 1_795_132_800 - (weeks - 1 - w) * 7 * 86_400;
            let namespaces = (0..n)
                .map(|i| (format!("tenant-{i:06}"), count(i).saturating_sub((weeks - 1 - w) as u64 * 500)))
                .collect();
            (at, Snapshot { at: String::new(), index: String::new(), namespaces })
        })
        .collect();
    let rss_before = peak_rss_mb();

    let t = Instant::now();
    let stats = IndexStats::from_json(body.as_bytes()).expect("valid stats");
    let parsed = t.elapsed();
    let t = Instant::now();
    let mut cfg = Config::default();
    cfg.capacity.namespace_limit = 1_000_000;
    let usage = Usage { source: "bench".into(), index: None, kind: IndexKind::Serverless, stats };
    let e = evaluate(&cfg, &usage, &tenants, &history);
    let evaluated = t.elapsed();

    let non_pass = e.findings.iter().filter(|f| f.status != bridge_lib::Status::Pass).count();
    println!(
        "namespaces: {n}, response: {:.1} MB (built in {:.0} ms)",
        body.len() as f64 / 1e6,
        built.as_secs_f64() * 1e3
    );
    println!("parse:    {:.0} ms", parsed.as_secs_f64() * 1e3);
    println!(
        "evaluate: {:.0} ms ({} findings, {non_pass} not passing)",
        evaluated.as_secs_f64() * 1e3,
        e.findings.len()
    );
    println!("parse + evaluate: {:.0} ms", (parsed + evaluated).as_secs_f64() * 1e3);
    println!(
        "peak memory (VmHWM): {:.0} MB (after building the input and history: {:.0} MB)",
        peak_rss_mb(),
        rss_before
    );
    let rows: u64 = std::env::args().nth(3).and_then(|a| a.parse().ok()).unwrap_or(10_000_000);
    if rows > 0 {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        rt.block_on(three_way(cfg, body.into_bytes(), &usage, &tenants, &history, rows));
    }
}

/// The ledger in a throwaway PostgreSQL, or in the server of `BRIDGE_BENCH_DATABASE_URL` (a
/// superuser), where it is built once and kept for the next run (`bench_meta` says for which
/// tenants and rows).
async fn three_way(
    cfg: Config,
    body: Vec<u8>,
    usage: &Usage,
    tenants: &[Tenant],
    history: &[(i64, Snapshot)],
    rows: u64,
) {
    let input = Input { body, usage, tenants, history };
    if let Ok(url) = std::env::var("BRIDGE_BENCH_DATABASE_URL") {
        let target = bridge_lib::db::DbTarget::parse(&url).expect("BRIDGE_BENCH_DATABASE_URL");
        return measure(cfg, target, input, rows).await;
    }
    let cluster = bridge_lib::demo::DemoCluster::start().expect("a throwaway PostgreSQL");
    let target = cluster.pg.superuser("postgres");
    measure(cfg, target, input, rows).await;
}

/// What the index part built: the describe_index_stats body, its parse, the tenants and history.
struct Input<'a> {
    body: Vec<u8>,
    usage: &'a Usage,
    tenants: &'a [Tenant],
    history: &'a [(i64, Snapshot)],
}

/// Builds the ledger unless it is there: `rows` usage rows over the year before 2026-12-01,
/// appended in time order as a ledger is written, spread evenly over the tenants (every 50th
/// tenant with none in the last 40 days: dormant), with the demo schema's indexes on
/// (occurred_at) and (tenant_id, occurred_at).
async fn build_ledger(c: &tokio_postgres::Client, n: usize, rows: u64) {
    let meta = c
        .query_opt(
            "SELECT 1 FROM bench_meta WHERE tenants = $1 AND rows = $2 AND layout = 2",
            &[&(n as i64), &(rows as i64)],
        )
        .await;
    if matches!(meta, Ok(Some(_))) {
        println!("ledger: {rows} rows for {n} tenants, kept from an earlier run");
        return;
    }
    let t = Instant::now();
    let sql = format!(
        "DROP TABLE IF EXISTS bench_meta, usage_events, tenants;
         SET max_parallel_workers_per_gather = 2; SET maintenance_work_mem = '256MB';
         CREATE TABLE tenants (id text PRIMARY KEY, tier text NOT NULL, is_test boolean NOT NULL DEFAULT false, active boolean NOT NULL DEFAULT true);
         INSERT INTO tenants (id, tier) SELECT format('tenant-%s', lpad(i::text, 6, '0')), (ARRAY['starter','pro','enterprise'])[i % 3 + 1] FROM generate_series(0, {n} - 1) i;
         CREATE TABLE usage_events (tenant_id text NOT NULL, id bigint NOT NULL, occurred_at timestamptz NOT NULL, provider text NOT NULL, model text NOT NULL, cost_usd numeric(14,6) NOT NULL);
         INSERT INTO usage_events
         SELECT format('tenant-%s', lpad(k::text, 6, '0')), g, ts, 'openai', 'gpt-4o-mini', ((g % 1000) + 1) / 100000.0
           FROM generate_series(1::bigint, {rows}) g,
                LATERAL (SELECT timestamptz '2026-12-01' - make_interval(secs => ({rows} - g)::float8 * 31536000 / {rows}) AS ts, (g * 7919) % {n} AS k0) a,
                LATERAL (SELECT CASE WHEN k0 % 50 = 0 AND ts > timestamptz '2026-10-22' THEN (k0 + 1) % {n} ELSE k0 END AS k) b;
         CREATE INDEX ON usage_events (occurred_at);
         CREATE INDEX ON usage_events (tenant_id, occurred_at);
         CREATE TABLE bench_meta (tenants bigint, rows bigint, layout int);
         INSERT INTO bench_meta VALUES ({n}, {rows}, 2);"
    );
    c.batch_execute(&sql).await.expect("building the ledger");
    // VACUUM runs outside a transaction block: one statement each
    for t in ["usage_events", "tenants"] {
        c.batch_execute(&format!("VACUUM ANALYZE {t}")).await.expect("vacuum");
    }
    println!("ledger: {rows} rows for {n} tenants built in {:.1} s", t.elapsed().as_secs_f64());
}

async fn measure(mut cfg: Config, target: bridge_lib::db::DbTarget, input: Input<'_>, rows: u64) {
    let Input { body, usage, tenants, history } = input;
    let c = bridge_lib::db::connect(&target).await.expect("connect");
    build_ledger(&c, tenants.len(), rows).await;
    cfg.database = Some(target.clone());
    cfg.admin_database = Some(target);
    cfg.capacity.as_of = Some("2026-12-01T00:00:00Z".into());

    // the parts one after the other
    let t = Instant::now();
    let known: Vec<&str> = tenants.iter().map(|t| t.id.as_str()).collect();
    let ledger = read_ledger(&cfg, &known).await.expect("ledger").expect("the table exists");
    let read = t.elapsed();
    let t = Instant::now();
    let e = evaluate_with(&cfg, usage, tenants, history, Some(&ledger));
    let joined = t.elapsed();
    let dormant = e.stores.iter().filter(|s| s.dormant).count();
    println!(
        "ledger in the database (window + last activity of the quiet): {:.0} ms ({} tenants; {})",
        read.as_secs_f64() * 1e3,
        ledger.tenants.len(),
        ledger.source
    );
    println!(
        "three-way join + evaluate + scaling: {:.0} ms ({} findings, {dormant} dormant)",
        joined.as_secs_f64() * 1e3,
        e.findings.len()
    );
    drop((e, ledger));

    // as the check runs them: the index body is read on the blocking pool while the registry
    // and then the ledger are read from the database; then the join
    let held = rss_mb();
    reset_peak_rss();
    let t = Instant::now();
    let parse = tokio::task::spawn_blocking(move || IndexStats::from_json(&body));
    let (stats, registry) = tokio::join!(parse, read_registry_and_ledger(&cfg));
    let stats = stats.expect("the parse task").expect("valid stats");
    let (read_tenants, ledger) = registry.expect("tenants and ledger");
    let gathered = t.elapsed();
    let usage = Usage { stats, ..usage.clone() };
    let e = evaluate_with(&cfg, &usage, &read_tenants, history, ledger.as_ref());
    let total = t.elapsed();
    assert_eq!(read_tenants.len(), tenants.len(), "the tenants table holds the bench's tenants");
    println!(
        "the check's pipeline: stats parse | (tenants table + ledger) {:.0} ms, then join + evaluate + scaling: {:.0} ms in all ({} findings)",
        gathered.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3,
        e.findings.len()
    );
    println!(
        "peak memory: the pipeline added {:.0} MB to the {held:.0} MB the bench held (its input and history)",
        peak_rss_mb() - held
    );
}

/// Resident memory now (VmRSS), MB.
fn rss_mb() -> f64 {
    status_mb("VmRSS:")
}

/// Starts VmHWM again from the current resident memory (Linux: `5` to /proc/self/clear_refs).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
