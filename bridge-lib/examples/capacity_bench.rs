//! Benchmark (not a test): one `describe_index_stats` response with 100,000 namespaces
//! (several MB), parsed and evaluated against 100,000 tenants with a 4-snapshot history.
//! Targets: under 1 s, under 200 MB peak memory.
//!
//! ```text
//! cargo run --release --example capacity_bench [NAMESPACES [HISTORY_WEEKS]]   # 100000 4
//! ```
#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use bridge_lib::checks::capacity::{evaluate, Tenant, Usage};
use bridge_lib::pinecone::history::Snapshot;
use bridge_lib::pinecone::{IndexKind, IndexStats};
use bridge_lib::Config;
use std::fmt::Write;
use std::time::Instant;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
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
}
