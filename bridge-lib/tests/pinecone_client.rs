//! The Pinecone client and the capacity check against a local HTTP server on 127.0.0.1 that
//! replays Pinecone's documented responses (and misbehaves). No test touches the internet.

mod common;

use bridge_lib::checks::capacity::{evaluate, gather_usage};
use bridge_lib::config::PineconeConfig;
use bridge_lib::demo::Variant;
use bridge_lib::pinecone::{Client, IndexKind};
use bridge_lib::{run_checks, CheckId, CheckStatus, Config, Status};
use serde_json::json;
use std::time::{Duration, Instant};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "pcsk_test-key-that-must-never-leak-42";

fn pinecone(server: &MockServer) -> PineconeConfig {
    let mut p = PineconeConfig::new(KEY);
    p.controller_url = server.uri();
    p.index = Some("rag-prod".into());
    p.request_timeout = Duration::from_secs(2);
    p
}

fn config(p: PineconeConfig) -> Config {
    Config { pinecone: Some(p), ..Config::default() }
}

fn describe(server: &MockServer, spec: serde_json::Value) -> serde_json::Value {
    json!({"name": "rag-prod", "dimension": 1536, "metric": "cosine", "vector_type": "dense",
           "host": server.uri(), "spec": spec,
           "status": {"ready": true, "state": "Ready"}, "deletion_protection": "disabled", "tags": {}})
}

async fn mount_describe(server: &MockServer, spec: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path("/indexes/rag-prod"))
        .and(header("Api-Key", KEY))
        .and(header("X-Pinecone-Api-Version", "2026-04"))
        .respond_with(ResponseTemplate::new(200).set_body_json(describe(server, spec)))
        .expect(1)
        .mount(server)
        .await;
}

async fn mount_stats(server: &MockServer, body: serde_json::Value) {
    Mock::given(method("POST"))
        .and(path("/describe_index_stats"))
        .and(header("Api-Key", KEY))
        .and(header("X-Pinecone-Api-Version", "2026-04"))
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

fn serverless() -> serde_json::Value {
    json!({"serverless": {"cloud": "aws", "region": "us-east-1", "read_capacity": {"mode": "OnDemand", "status": {"state": "Ready"}}}})
}

#[tokio::test]
async fn serverless_index_reads_stats_then_every_page_of_namespaces_with_string_counts() {
    let server = MockServer::start().await;
    mount_describe(&server, serverless()).await;
    mount_stats(
        &server,
        json!({"namespaces": {"acme": {"vectorCount": 10}, "__default__": {"vectorCount": 3}},
               "dimension": 1536, "indexFullness": 0.0, "totalVectorCount": 13, "metric": "cosine", "vectorType": "dense"}),
    )
    .await;
    let pages = [
        (
            None,
            json!({"namespaces": [{"name": "acme", "record_count": "20000"}, {"name": "globex", "record_count": "10500"}],
                      "pagination": {"next": "p2"}, "total_count": 5}),
        ),
        (
            Some("p2"),
            json!({"namespaces": [{"name": "initech", "record_count": 300, "size_bytes": "1048576"}, {"name": "test-a", "record_count": "0"}],
                            "pagination": {"next": "p3"}, "total_count": 5}),
        ),
        (Some("p3"), json!({"namespaces": [{"name": "test-b", "record_count": "7"}], "total_count": 5})),
    ];
    for (token, body) in pages {
        let m = Mock::given(method("GET")).and(path("/namespaces")).and(query_param("limit", "100"));
        let m = match token {
            None => m.and(query_param_is_missing("paginationToken")),
            Some(t) => m.and(query_param("paginationToken", t)),
        };
        m.respond_with(ResponseTemplate::new(200).set_body_json(body)).expect(1).mount(&server).await;
    }
    let u = gather_usage(&config(pinecone(&server))).await.unwrap();
    assert_eq!(u.kind, IndexKind::Serverless);
    let counts: Vec<(&str, u64)> = u.stats.namespaces.iter().map(|(k, v)| (k.as_str(), v.vector_count)).collect();
    assert_eq!(
        counts,
        vec![("", 3), ("acme", 20000), ("globex", 10500), ("initech", 300), ("test-a", 0), ("test-b", 7)],
        "the list's counts win and __default__ is the default namespace"
    );
}

#[tokio::test]
async fn pod_index_fullness_is_measured_and_no_namespace_list_is_asked_for() {
    let server = MockServer::start().await;
    mount_describe(
        &server,
        json!({"pod": {"environment": "us-east-1-aws", "pod_type": "p1.x1", "pods": 1, "replicas": 1, "shards": 1}}),
    )
    .await;
    mount_stats(&server, json!({"namespaces": {"acme": {"vector_count": "900000"}}, "dimension": 768, "index_fullness": 0.9, "total_vector_count": "900000"})).await;
    Mock::given(path("/namespaces")).respond_with(ResponseTemplate::new(400)).expect(0).mount(&server).await;
    let cfg = config(pinecone(&server));
    let u = gather_usage(&cfg).await.unwrap();
    assert_eq!((u.kind, u.index.as_ref().unwrap().pod_type.as_deref()), (IndexKind::Pod, Some("p1.x1")));
    let tenants = [bridge_lib::checks::capacity::Tenant {
        id: "acme".into(),
        tier: "enterprise".into(),
        active: true,
        ..Default::default()
    }];
    let e = evaluate(&cfg, &u, &tenants, &[]);
    let f = e.findings.iter().find(|f| f.code == "CAP003").unwrap();
    assert_eq!(f.status, Status::Warn);
    assert!(f.detail.contains("found 90%") && f.remedy.as_deref().unwrap().contains("pod_type"), "{f:?}");
}

#[tokio::test]
async fn plain_text_401_is_a_clear_error_without_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_string("Unauthorized"))
        .expect(1)
        .mount(&server)
        .await;
    let e = Client::new(&pinecone(&server)).unwrap().describe_index_stats(&server.uri()).await.unwrap_err().to_string();
    assert!(e.contains("http 401: Unauthorized") && e.contains("PINECONE_API_KEY"), "{e}");
    assert!(!e.contains(KEY), "{e}");
}

#[tokio::test]
async fn an_echoed_key_is_scrubbed_from_both_error_shapes() {
    let server = MockServer::start().await;
    Mock::given(path("/indexes/rag-prod"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"status": 403, "error": {"code": "PERMISSION_DENIED", "message": format!("key {KEY} may not read this project")}}),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/describe_index_stats"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"code": 5, "message": format!("no index for {KEY}"), "details": []})),
        )
        .mount(&server)
        .await;
    let c = Client::new(&pinecone(&server)).unwrap();
    let e1 = c.describe_index("rag-prod").await.unwrap_err().to_string();
    let e2 = c.describe_index_stats(&server.uri()).await.unwrap_err().to_string();
    assert!(e1.contains("PERMISSION_DENIED") && e2.contains("5: no index for [redacted]"), "{e1}\n{e2}");
    assert!(!e1.contains(KEY) && !e2.contains(KEY), "{e1}\n{e2}");
    assert!(!format!("{c:?}").contains(KEY));
}

#[tokio::test]
async fn rate_limited_once_then_succeeds_after_retry_after() {
    let server = MockServer::start().await;
    Mock::given(path("/describe_index_stats"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1").set_body_json(
            json!({"code": 8, "message": "Request failed. You've reached the max describe_index_stats requests per second for index rag-prod."}),
        ))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_stats(&server, json!({"namespaces": {"a": {"vectorCount": 1}}})).await;
    let started = Instant::now();
    let s = Client::new(&pinecone(&server)).unwrap().describe_index_stats(&server.uri()).await.unwrap();
    assert_eq!(s.namespaces["a"].vector_count, 1);
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After was not honoured");
}

#[tokio::test]
async fn persistent_500_gives_up_after_the_bounded_retries() {
    let server = MockServer::start().await;
    Mock::given(path("/describe_index_stats"))
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream connect error"))
        .expect(4)
        .mount(&server)
        .await;
    let started = Instant::now();
    let e = Client::new(&pinecone(&server)).unwrap().describe_index_stats(&server.uri()).await.unwrap_err().to_string();
    assert!(e.contains("http 500") && e.contains("after 4 attempts") && e.contains("status.pinecone.io"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[tokio::test]
async fn retry_after_beyond_the_overall_budget_is_not_waited_for() {
    let server = MockServer::start().await;
    Mock::given(path("/describe_index_stats"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let e = Client::new(&pinecone(&server)).unwrap().describe_index_stats(&server.uri()).await.unwrap_err().to_string();
    assert!(e.contains("http 429") && e.contains("Retry-After 3600 s"), "{e}");
}

#[tokio::test]
async fn malformed_json_is_an_error_naming_the_response() {
    let server = MockServer::start().await;
    Mock::given(path("/describe_index_stats"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"namespaces\": {\"a\": {\"vectorCount\": "))
        .mount(&server)
        .await;
    let e = Client::new(&pinecone(&server)).unwrap().describe_index_stats(&server.uri()).await.unwrap_err().to_string();
    assert!(e.contains("not a valid describe_index_stats response"), "{e}");
}

/// A body over 256 KiB is read on the blocking pool: the same stats, and the same error when
/// it is broken.
#[tokio::test]
async fn a_large_stats_body_is_read_off_the_workers_with_the_same_result_and_errors() {
    let server = MockServer::start().await;
    let namespaces: serde_json::Map<String, serde_json::Value> =
        (0..20_000).map(|i| (format!("tenant-{i:06}"), json!({"vectorCount": i}))).collect();
    let body = json!({"namespaces": namespaces, "dimension": 1536}).to_string();
    assert!(body.len() > 256 * 1024, "{} bytes", body.len());
    Mock::given(path("/describe_index_stats"))
        .respond_with(ResponseTemplate::new(200).set_body_string(body.clone()))
        .mount(&server)
        .await;
    let client = Client::new(&pinecone(&server)).unwrap();
    let stats = client.describe_index_stats(&server.uri()).await.unwrap();
    assert_eq!((stats.namespaces.len(), stats.namespaces["tenant-019999"].vector_count), (20_000, 19_999));

    let broken = MockServer::start().await;
    Mock::given(path("/describe_index_stats"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(body.replace("\"vectorCount\":19999", "\"vectorCount\":-1")),
        )
        .mount(&broken)
        .await;
    let e = Client::new(&pinecone(&broken)).unwrap().describe_index_stats(&broken.uri()).await.unwrap_err().to_string();
    assert!(e.contains("not a valid describe_index_stats response") && e.contains("namespaces.*.vectorCount"), "{e}");
}

#[tokio::test]
async fn a_response_slower_than_the_timeout_fails_in_time() {
    let server = MockServer::start().await;
    Mock::given(path("/describe_index_stats"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"namespaces": {}})).set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let mut p = pinecone(&server);
    p.request_timeout = Duration::from_millis(500);
    p.max_retries = 1;
    let started = Instant::now();
    let e = Client::new(&p).unwrap().describe_index_stats(&server.uri()).await.unwrap_err().to_string();
    assert!(e.contains("no complete response within 0.5 s") && e.contains("after 2 attempts"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[tokio::test]
async fn unknown_index_and_closed_port_are_clear_errors() {
    let server = MockServer::start().await;
    Mock::given(path("/indexes/rag-prod"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"status": 404, "error": {"code": "NOT_FOUND", "message": "Resource rag-prod not found"}}),
        ))
        .mount(&server)
        .await;
    let e = gather_usage(&config(pinecone(&server))).await.unwrap_err().to_string();
    assert!(e.contains("NOT_FOUND") && e.contains("check PINECONE_INDEX"), "{e}");
    let mut p = PineconeConfig::new(KEY);
    p.host = Some("http://127.0.0.1:1".into());
    p.max_retries = 1;
    let e = gather_usage(&config(p)).await.unwrap_err().to_string();
    assert!(e.contains("cannot connect") && e.contains("network path"), "{e}");
}

#[tokio::test]
async fn the_whole_check_is_bounded_when_pinecone_hangs_and_other_checks_still_run() {
    // default timeouts and retries: one call may take 25 s, the whole Pinecone read 28 s; the
    // index description takes 4 s, so the overall budget ends the hanging stats call at 28 s
    let server = MockServer::start().await;
    Mock::given(path("/indexes/rag-prod"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(describe(&server, serverless())).set_delay(Duration::from_secs(4)),
        )
        .mount(&server)
        .await;
    Mock::given(path("/describe_index_stats"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"namespaces": {}})).set_delay(Duration::from_secs(120)),
        )
        .mount(&server)
        .await;
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    let mut p = PineconeConfig::new(KEY);
    p.controller_url = server.uri();
    p.index = Some("rag-prod".into());
    cfg.pinecone = Some(p);
    cfg.capacity.snapshot = None;
    let started = Instant::now();
    let report = run_checks(&cfg, &[CheckId::Capacity, CheckId::Tenants]).await;
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
    let cap = report.check(CheckId::Capacity).unwrap();
    assert_eq!(cap.status, CheckStatus::Error, "{cap:#?}");
    let error = cap.error.as_deref().unwrap();
    assert!(!error.contains(KEY));
    assert!(error.contains("POST http://") && error.contains("/describe_index_stats failed"), "{error}");
    assert!(error.contains("28 s budget for all Pinecone calls"), "{error}");
    assert_eq!(report.check(CheckId::Tenants).unwrap().status, CheckStatus::Pass);
}

#[tokio::test]
async fn the_check_online_against_the_demo_database() {
    let server = MockServer::start().await;
    mount_describe(&server, serverless()).await;
    let stats = std::fs::read(bridge_lib::demo::data_dir().join("pinecone_stats_broken.json")).unwrap();
    Mock::given(path("/describe_index_stats"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(stats, "application/json"))
        .mount(&server)
        .await;
    Mock::given(path("/namespaces"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"namespaces": [{"name": "globex", "record_count": "870000"}, {"name": "hooli", "record_count": "64000"}]})))
        .mount(&server)
        .await;
    let demo = common::demo(Variant::Clean).await;
    let mut cfg = demo.config();
    cfg.pinecone = Some(pinecone(&server));
    cfg.capacity.snapshot = None;
    let o = bridge_lib::run_check(&cfg, CheckId::Capacity).await;
    assert_eq!(o.status, CheckStatus::Warn, "{o:#?}");
    let codes: Vec<&str> = o.findings.iter().filter(|f| f.status == Status::Warn).map(|f| f.key.as_str()).collect();
    assert_eq!(codes, vec!["CAP001:globex", "CAP006:hooli"]);
    assert_eq!(o.data["index"]["kind"], "serverless");
    assert!(o.data["source"].as_str().unwrap().starts_with("index rag-prod ("));
}

#[tokio::test]
async fn cli_snapshot_saves_the_stats_and_appends_to_the_history() {
    let server = MockServer::start().await;
    mount_stats(
        &server,
        json!({"namespaces": {"acme": {"vectorCount": "12"}, "globex": {"vectorCount": 30}}, "dimension": 8}),
    )
    .await;
    let dir = std::env::temp_dir().join(format!("bridge-snap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (out, hist) = (dir.join("stats.json"), dir.join("history.jsonl"));
    let uri = server.uri();
    fn run(args: Vec<String>, host: Option<String>) -> (Option<i32>, String, String) {
        let mut c = common::bridge_bin();
        if let Some(h) = host {
            c.env("PINECONE_API_KEY", KEY).env("PINECONE_INDEX_HOST", h);
        }
        let o = c.args(args).output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).to_string(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    }
    let args: Vec<String> =
        ["capacity", "snapshot", "--out", out.to_str().unwrap(), "--history", hist.to_str().unwrap()]
            .iter()
            .map(|s| s.to_string())
            .collect();
    for _ in 0..2 {
        let a = args.clone();
        let (code, stdout, stderr) = tokio::task::spawn_blocking({
            let u = uri.clone();
            move || run(a, Some(u))
        })
        .await
        .unwrap();
        assert_eq!(code, Some(0), "{stderr}");
        assert!(stdout.contains("saved 2 namespaces (42 records)"), "{stdout}");
    }
    let saved = bridge_lib::pinecone::load_stats(&out).unwrap();
    assert_eq!(saved.namespaces["acme"].vector_count, 12);
    let h = bridge_lib::pinecone::history::read_history(&hist).unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].1.namespaces["globex"], 30);
    let (code, _, stderr) = tokio::task::spawn_blocking(move || run(args, None)).await.unwrap();
    assert_eq!(code, Some(78), "{stderr}");
    assert!(stderr.contains("PINECONE_API_KEY"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_namespace_without_a_count_counts_as_zero_instead_of_failing_the_check() {
    // the spec marks `vectorCount` (stats) and `record_count` and `name` (namespace list) optional
    let server = MockServer::start().await;
    mount_describe(&server, serverless()).await;
    mount_stats(
        &server,
        json!({"namespaces": {"acme": {}, "globex": {"vectorCount": 4}, "initech": {"vectorCount": null}}}),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/namespaces"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"namespaces": [{"name": "hooli"}, {"record_count": "9"}, {"name": "globex", "record_count": "5"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let u = gather_usage(&config(pinecone(&server))).await.unwrap();
    let counts: Vec<(&str, u64)> = u.stats.namespaces.iter().map(|(k, v)| (k.as_str(), v.vector_count)).collect();
    assert_eq!(counts, vec![("acme", 0), ("globex", 5), ("hooli", 0), ("initech", 0)], "a nameless entry is skipped");
}

#[tokio::test]
async fn a_408_is_retried_like_a_429() {
    let server = MockServer::start().await;
    Mock::given(path("/describe_index_stats"))
        .respond_with(ResponseTemplate::new(408).set_body_string("request timeout"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_stats(&server, json!({"namespaces": {"a": {"vectorCount": 2}}})).await;
    let s = Client::new(&pinecone(&server)).unwrap().describe_index_stats(&server.uri()).await.unwrap();
    assert_eq!(s.namespaces["a"].vector_count, 2);
}

#[tokio::test]
async fn a_malformed_body_names_the_field_and_the_request_and_never_echoes_a_value() {
    let server = MockServer::start().await;
    Mock::given(path("/describe_index_stats"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"namespaces": {"a": {"vectorCount": KEY}}})))
        .mount(&server)
        .await;
    Mock::given(path("/namespaces"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"namespaces": [{"name": "a", "record_count": [KEY]}]})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/indexes/rag-prod"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("{{\"name\": \"{KEY}\", \"host\": 7}}")))
        .mount(&server)
        .await;
    let c = Client::new(&pinecone(&server)).unwrap();
    let e1 = c.describe_index_stats(&server.uri()).await.unwrap_err().to_string();
    assert!(
        e1.contains("POST ") && e1.contains("/describe_index_stats") && e1.contains("namespaces.*.vectorCount"),
        "{e1}"
    );
    let e2 = c.list_namespaces(&server.uri()).await.unwrap_err().to_string();
    assert!(e2.contains("GET ") && e2.contains("namespaces[0].record_count"), "{e2}");
    let e3 = c.describe_index("rag-prod").await.unwrap_err().to_string();
    assert!(e3.contains("GET ") && e3.contains("`host`"), "{e3}");
    for e in [&e1, &e2, &e3] {
        assert!(!e.contains(KEY) && !e.contains("pcsk"), "{e}");
    }
}

#[tokio::test]
async fn an_echoed_key_never_reaches_an_error_whatever_the_body() {
    let server = MockServer::start().await;
    // the key straddles the point where a plain-text message is cut, and is JSON-escaped in a message
    let long = format!("{}{KEY} tail", "x".repeat(290));
    Mock::given(path("/describe_index_stats"))
        .respond_with(ResponseTemplate::new(400).set_body_string(long))
        .mount(&server)
        .await;
    let escaped = KEY.replace('p', "\\u0070");
    Mock::given(path("/indexes/rag-prod"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_string(format!("{{\"error\":{{\"code\":\"X\",\"message\":\"{escaped}\"}}}}")),
        )
        .mount(&server)
        .await;
    Mock::given(path("/namespaces"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("{{\"namespaces\": \"{KEY}")))
        .mount(&server)
        .await;
    let c = Client::new(&pinecone(&server)).unwrap();
    let e1 = c.describe_index_stats(&server.uri()).await.unwrap_err().to_string();
    let e2 = c.describe_index("rag-prod").await.unwrap_err().to_string();
    let e3 = c.list_namespaces(&server.uri()).await.unwrap_err().to_string();
    for e in [&e1, &e2, &e3] {
        assert!(!e.contains(KEY) && !e.contains("pcsk_test"), "{e}");
    }
    assert!(e1.contains("http 400") && e2.contains("http 400: X") && e3.contains("GET "), "{e1}\n{e2}\n{e3}");
}

#[tokio::test]
async fn a_retry_after_longer_than_the_call_budget_is_waited_for_when_it_fits_the_overall_budget() {
    let server = MockServer::start().await;
    Mock::given(path("/describe_index_stats"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_stats(&server, json!({"namespaces": {"a": {"vectorCount": 1}}})).await;
    let c = Client::new(&pinecone(&server)).unwrap().with_budgets(Duration::from_millis(300), Duration::from_secs(3));
    let started = Instant::now();
    let s = c.describe_index_stats(&server.uri()).await.unwrap();
    assert_eq!(s.namespaces["a"].vector_count, 1);
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After was not honoured");
}

#[tokio::test]
async fn a_retry_after_beyond_the_overall_budget_is_a_clear_error_at_once() {
    let server = MockServer::start().await;
    Mock::given(path("/describe_index_stats"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "5"))
        .expect(1)
        .mount(&server)
        .await;
    let c = Client::new(&pinecone(&server)).unwrap().with_budgets(Duration::from_millis(300), Duration::from_secs(3));
    let started = Instant::now();
    let e = c.describe_index_stats(&server.uri()).await.unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert!(e.starts_with("POST http://") && e.contains("/describe_index_stats failed: http 429"), "{e}");
    assert!(e.contains("Retry-After 5 s") && e.contains("3 s budget for all Pinecone calls"), "{e}");
}

#[tokio::test]
async fn the_overall_budget_error_names_the_request_that_hung() {
    let server = MockServer::start().await;
    Mock::given(path("/indexes/rag-prod"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(describe(&server, serverless()))
                .set_delay(Duration::from_millis(700)),
        )
        .mount(&server)
        .await;
    Mock::given(path("/describe_index_stats"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"namespaces": {}})).set_delay(Duration::from_secs(10)),
        )
        .mount(&server)
        .await;
    let c = Client::new(&pinecone(&server)).unwrap().with_budgets(Duration::from_secs(1), Duration::from_millis(1200));
    let started = Instant::now();
    c.describe_index("rag-prod").await.unwrap();
    let e = c.describe_index_stats(&server.uri()).await.unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
    assert!(e.starts_with("POST http://") && e.contains("/describe_index_stats failed"), "{e}");
    assert!(e.contains("1.2 s budget for all Pinecone calls"), "{e}");
}
