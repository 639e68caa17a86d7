use super::*;

const OPENAI: &str = include_str!("../../../../../tests/fixtures/usage/openai_usage_completions.json");
const ANTHROPIC: &str = include_str!("../../../../../tests/fixtures/usage/anthropic_usage_report.json");

#[test]
fn openai_usage_reads_the_documented_shape() {
    let rows = read("usage.json", OPENAI).unwrap();
    assert_eq!(rows.len(), 2);
    let r = &rows[0];
    assert_eq!((r.provider.as_str(), r.period.as_str()), ("openai", "2024-11"));
    assert_eq!((r.model.as_str(), r.account.as_str()), ("gpt-4o-mini-2024-07-18", "proj_abc"));
    assert_eq!((r.input_tokens, r.output_tokens, r.requests), (1000, 500, Some(5)));
    assert_eq!(r.end_day - r.start_day, 1);
    assert_eq!(r.location, "data[0].results[0]");
    assert_eq!((rows[1].model.as_str(), rows[1].account.as_str()), ("", ""), "null when not grouped");
    assert_eq!(rows[1].end_day - rows[1].start_day, 1, "a half-day bucket reaches into its day");
}

#[test]
fn anthropic_usage_reads_the_documented_shape() {
    let rows = read("usage.json", ANTHROPIC).unwrap();
    let r = &rows[0];
    assert_eq!((r.provider.as_str(), r.period.as_str()), ("anthropic", "2025-08"));
    assert_eq!(r.input_tokens, 1500 + 1000 + 500 + 200, "uncached, cache writes and cache reads");
    assert_eq!((r.output_tokens, r.requests), (500, None));
    assert_eq!((r.model.as_str(), r.account.as_str()), ("claude-sonnet-4-20250514", "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ"));
    assert_eq!((rows[1].input_tokens, rows[1].end_day - rows[1].start_day), (7, 1));
}

#[test]
fn malformed_usage_exports_are_one_line_naming_file_and_field() {
    let cases: [(&str, &str, &[&str]); 7] = [
        ("{", "not valid JSON", &["u.json"]),
        (r#"{"data": []}"#, "no `data` array", &["u.json"]),
        (r#"{"data": [{"results": []}]}"#, "neither `start_time`", &["u.json, data[0]"]),
        (
            r#"{"data": [{"start_time": 1730419200, "results": [{"output_tokens": 1, "num_model_requests": 1}]}]}"#,
            "missing",
            &["u.json, data[0].results[0], field `input_tokens`"],
        ),
        (
            r#"{"data": [{"start_time": 1730419200, "results": [{"input_tokens": -3, "output_tokens": 1, "num_model_requests": 1}]}]}"#,
            "`-3` is not a whole number",
            &["field `input_tokens`"],
        ),
        (
            r#"{"data": [{"starting_at": "2025-08-01T00:00:00Z", "results": [{"uncached_input_tokens": 1, "output_tokens": 2, "cache_creation": {"ephemeral_5m_input_tokens": "many"}}]}]}"#,
            "is not a whole number",
            &["field `cache_creation.ephemeral_5m_input_tokens`"],
        ),
        (
            r#"{"data": [{"starting_at": "2025-08-01T00:00:00Z", "results": [{"amount": "12.5", "currency": "USD"}]}]}"#,
            "cost export",
            &["BRIDGE_BILLED_FILES"],
        ),
    ];
    for (body, reason, wheres) in cases {
        let e = read("u.json", body).unwrap_err().to_string();
        assert!(e.contains(reason) && !e.contains('\n') && e.len() < 400, "{e}");
        for w in wheres {
            assert!(e.contains(w), "{e} should name {w}");
        }
    }
    let bad = r#"{"data": [{"starting_at": "yesterday", "results": []}]}"#;
    assert!(read("u.json", bad).unwrap_err().to_string().contains("field `starting_at`"));
}

#[test]
fn files_are_read_bounded_and_providers_normalized() {
    let dir = std::env::temp_dir().join(format!("bridge-usage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("openai_usage.json");
    std::fs::write(&p, OPENAI).unwrap();
    let rows = read_files(std::slice::from_ref(&p), &["openai".to_string()]).unwrap();
    assert_eq!((rows.len(), rows[0].source.contains("openai_usage.json")), (2, true));
    let e = read_files(&[dir.join("missing.json")], &[]).unwrap_err().to_string();
    assert!(e.contains("missing.json") && e.contains("usage export"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
