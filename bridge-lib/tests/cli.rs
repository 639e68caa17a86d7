//! The `bridge` command end to end: demo runs, JSON shape, exit codes, bad input, secrets.

mod common;

use bridge_lib::demo::Variant;
use std::time::{Duration, Instant};

fn run(cmd: &mut std::process::Command) -> (i32, String, String) {
    let out = cmd.output().expect("run bridge");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn demo_json_report_has_the_documented_shape_and_round_trips() {
    let (code, out, err) = run(common::bridge_bin().args(["check", "--demo", "--format", "json"]));
    // the demo's cost check (a database ledger, CSV and JSON bills) runs with or without polars
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["verdict"].is_string());
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(
        checks.iter().map(|c| c["check"].as_str().unwrap()).collect::<Vec<_>>(),
        ["rls", "cost", "capacity", "tenants"]
    );
    for c in checks {
        assert!(c["status"].is_string());
        for f in c["findings"].as_array().unwrap() {
            for k in ["code", "name", "status", "detail", "evidence"] {
                assert!(f.get(k).is_some(), "finding lacks {k}: {f}");
            }
        }
    }
    let report = bridge_lib::Report::from_json(&out).unwrap();
    assert_eq!(serde_json::to_value(&report).unwrap(), v);
    assert!(!out.contains(bridge_lib::demo::APP_PASSWORD), "the demo password leaked into the report");
}

#[test]
fn broken_demo_exits_1_with_must_fix() {
    let (code, out, _) = run(common::bridge_bin().args(["check", "--demo", "broken", "--only", "tenants"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("verdict: not ready") && out.contains("must fix:") && out.contains("TEN001"), "{out}");
}

#[test]
fn nothing_configured_skips_instead_of_using_the_demo_and_says_so() {
    // was: the demo ran unasked; since issue 13 only `--demo` starts it (tests/gate.rs has more)
    let (code, out, err) = run(common::bridge_bin().args(["check", "--only", "tenants"]));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("using the embedded demo") && err.contains("nothing is checked"), "{err}");
    assert!(out.contains("bridge readiness report (configured)") && out.contains("nothing was checked"), "{out}");
}

#[test]
fn unparsable_database_url_is_exit_78_without_the_password() {
    let (code, _, err) = run(common::bridge_bin()
        .args(["check", "--only", "tenants"])
        .env("DATABASE_URL", "postgres://app:Planted-Secret-42@db:notaport/x"));
    assert_eq!(code, 78, "{err}");
    assert!(err.starts_with("error: bad configuration: DATABASE_URL"), "{err}");
    assert!(!err.contains("Planted-Secret-42"), "{err}");
    assert_eq!(err.lines().count(), 1, "one-line error: {err}");
}

#[test]
fn unknown_check_and_demo_variant_are_exit_78() {
    let (code, _, err) = run(common::bridge_bin().args(["check", "--demo", "--only", "rsl"]));
    assert_eq!(code, 78, "{err}");
    assert!(err.contains("unknown check `rsl`"), "{err}");
    let (code, _, err) = run(common::bridge_bin().args(["check", "--demo", "brokn"]));
    assert_eq!(code, 78, "{err}");
}

#[test]
fn unreachable_database_is_exit_2_within_ten_seconds() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let start = Instant::now();
    let (code, out, _) = run(common::bridge_bin()
        .args(["check", "--only", "tenants"])
        .env("DATABASE_URL", format!("postgres://app:Planted-Secret-42@127.0.0.1:{port}/x")));
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("could not run: cannot connect to postgres://app@127.0.0.1"), "{out}");
    assert!(!out.contains("Planted-Secret-42"));
}

#[test]
fn unroutable_host_times_out_within_ten_seconds() {
    // 192.0.2.0/24 is TEST-NET-1: no packet leaves for a real host. connect_timeout=1 bounds it.
    let start = Instant::now();
    let (code, out, _) = run(common::bridge_bin()
        .args(["check", "--only", "tenants"])
        .env("DATABASE_URL", "host=127.0.0.1 port=1 user=app connect_timeout=1 dbname=x"));
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(code, 2, "{out}");
}

#[tokio::test]
async fn wrong_password_is_exit_2_and_names_the_fix_without_the_password() {
    let demo = common::demo(Variant::Clean).await;
    let (code, out, err) = run(common::bridge_bin()
        .args(["check", "--only", "tenants", "--format", "json"])
        .env("DATABASE_URL", common::url(&demo, "bridge_app", "Planted-Secret-42")));
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("password authentication failed") && out.contains("check the user and password"), "{out}");
    assert!(!out.contains("Planted-Secret-42") && !err.contains("Planted-Secret-42"));
}

#[test]
fn sslmode_require_against_a_server_without_tls_is_a_clear_error() {
    let cluster = common::cluster();
    let (code, out, _) = run(common::bridge_bin().args(["check", "--only", "tenants"]).env(
        "DATABASE_URL",
        format!("postgres://bridge_app:Planted-Secret-42@127.0.0.1:{}/postgres?sslmode=require", cluster.pg.port()),
    ));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("cannot connect") && out.to_lowercase().contains("tls"), "{out}");
    assert!(!out.contains("Planted-Secret-42"));
}

#[test]
fn no_postgres_binaries_for_the_demo_is_a_one_line_error() {
    let (code, _, err) = run(common::bridge_bin().args(["check", "--demo"]).env("BRIDGE_PG_BINDIR", "/nonexistent"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("demo environment") && err.contains("BRIDGE_PG_BINDIR"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn explain_prints_the_rationale() {
    let (code, out, _) = run(common::bridge_bin().args(["explain", "TEN001"]));
    assert_eq!(code, 0);
    assert!(out.starts_with("TEN001 too-few-test-tenants"), "{out}");
    let (code, _, err) = run(common::bridge_bin().args(["explain", "NOPE1"]));
    assert_eq!(code, 78, "{err}");
}
