//! `bridge check` as a CI gate: no vacuous pass, strictness, baselines, the versioned JSON
//! contract and the formats CI systems read (SARIF against the official 2.1.0 schema, JUnit
//! case by case, GitHub workflow commands).
//!
//! `tests/schemas/sarif-schema-2.1.0.json` is the OASIS schema, unchanged, from
//! oasis-tcs/sarif-spec `sarif-2.1/schema/sarif-schema-2.1.0.json` (commit a560296c, 2024-05-02).

mod common;
#[path = "gate/schema.rs"]
mod schema;

use serde_json::Value;
use std::path::{Path, PathBuf};

fn run(cmd: &mut std::process::Command) -> (i32, String, String) {
    let out = cmd.output().expect("run bridge");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn tmpdir(name: &str) -> common::TempDir {
    common::TempDir::new(&format!("gate-{name}"))
}

fn json_file(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn report_schema() -> Value {
    json_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/report.schema.json"))
}

fn sarif_schema() -> Value {
    json_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json"))
}

/// A PostgreSQL bin folder whose every program only leaves a mark: if the run tried to start a
/// demo cluster, the mark is there.
fn tripwire_bindir(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("pgbin");
    std::fs::create_dir_all(&bin).unwrap();
    for prog in ["initdb", "postgres", "pg_ctl", "pg_config"] {
        let p = bin.join(prog);
        std::fs::write(&p, format!("#!/bin/sh\ntouch '{}'\nexit 1\n", dir.join("started").display())).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

fn unconfigured(dir: &Path) -> std::process::Command {
    let bin = tripwire_bindir(dir);
    let mut c = common::bridge_bin();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    c.env("BRIDGE_PG_BINDIR", &bin).env("PATH", path).env_remove("GITHUB_STEP_SUMMARY");
    c
}

#[test]
fn nothing_configured_checks_nothing_starts_no_postgres_and_says_so_in_every_format() {
    let dir = tmpdir("unconfigured");
    let mut cmd = unconfigured(&dir);
    cmd.args(["check", "--format", "json"]);
    for f in ["human", "json", "github", "junit", "sarif", "markdown"] {
        cmd.arg("--output").arg(format!("{f}={}", dir.join(f).display()));
    }
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!dir.join("started").exists(), "the run tried to start PostgreSQL: {err}");
    assert!(err.contains("nothing is checked") && err.contains("--demo"), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "ready-with-warnings");
    assert_eq!(v["nothing_checked"], true);
    assert_eq!(v["environment"], "configured");
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 4);
    for c in checks {
        assert_eq!(c["status"], "skip", "{c}");
        let f = &c["findings"][0];
        assert!(f["detail"].as_str().unwrap().starts_with("skipped:"), "{f}");
        assert!(f["remedy"].as_str().unwrap().contains("set "), "the skip names what to set: {f}");
    }
    for f in ["human", "json", "github", "junit", "sarif", "markdown"] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        let plain = text.contains("nothing was checked") || text.contains("\"nothing_checked\": true");
        assert!(plain, "{f} does not say that nothing was checked:\n{text}");
    }
    assert!(schema::validate(&report_schema(), &v).is_empty());
    let sarif = json_file(&dir.join("sarif"));
    assert_eq!(schema::validate(&sarif_schema(), &sarif), Vec::<String>::new());
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 0, "a skip is not an alert");
}

#[test]
fn require_and_fail_on_warn_turn_nothing_configured_red() {
    let dir = tmpdir("require");
    let (code, out, _) = run(unconfigured(&dir).args(["check", "--require", "rls,tenants", "--format", "json"]));
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let reasons = v["gate"]["reasons"].as_array().unwrap();
    assert_eq!(reasons[0], "required check `rls` skipped", "{reasons:?}");
    assert_eq!(v["gate"]["exit_code"], 1);
    let (code, out, _) = run(unconfigured(&dir).args(["check", "--fail-on", "warn"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("gate: exit 1") && out.contains("--fail-on warn: rls skipped"), "{out}");
    let (code, _, _) = run(unconfigured(&dir).args(["check", "--require", "capacity", "--only", "capacity,rls"]));
    assert_eq!(code, 1);
    assert!(!dir.join("started").exists());
}

#[test]
fn a_required_check_that_cannot_run_exits_2_and_bad_gate_options_exit_78() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (code, out, _) = run(common::bridge_bin()
        .args(["check", "--only", "tenants", "--require", "tenants", "--format", "json"])
        .env("DATABASE_URL", format!("postgres://app@127.0.0.1:{port}/x")));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("required check `tenants` could not run"), "{out}");
    for args in [
        &["check", "--only", "tenants", "--require", "rls"][..],
        &["check", "--require", "rsl"],
        &["check", "--output", "yaml=x.yaml"],
        &["check", "--output", "sarif"],
        &["check", "--baseline", "/nonexistent/baseline.json"],
        &["check", "--migrations", "/nonexistent/migrations"],
    ] {
        let (code, _, err) = run(common::bridge_bin().args(args));
        assert_eq!(code, 78, "{args:?}: {err}");
        assert!(err.starts_with("error: bad configuration:") && err.lines().count() == 1, "{args:?}: {err}");
    }
}

#[test]
fn json_report_matches_its_schema_with_metadata_and_durations() {
    let dir = tmpdir("json");
    let (code, out, err) = run(common::bridge_bin()
        .args(["check", "--demo", "broken", "--only", "rls,tenants,capacity"])
        .args(["--format", "json", "--output", &format!("markdown={}", dir.join("summary.md").display())]));
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(schema::validate(&report_schema(), &v), Vec::<String>::new());
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(v["checks"].as_array().unwrap().iter().any(|c| c["duration_ms"].as_u64().unwrap() > 0));
    let report = bridge_lib::Report::from_json(&out).unwrap();
    assert_eq!(serde_json::to_value(&report).unwrap(), v, "the report round-trips");
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(
        md.contains("## ❌ bridge readiness: not ready") && md.contains("| `TEN001` too-few-test-tenants |"),
        "{md}"
    );
    let broken = serde_json::json!({"schema_version": 1, "verdict": "sort-of"});
    assert!(schema::validate(&report_schema(), &broken).len() >= 2, "the schema has teeth");
}

/// data/demo's schema and planted flaws as a migrations folder, in the order they apply.
fn demo_migrations(dir: &Path) -> PathBuf {
    let m = dir.join("db/migrations");
    std::fs::create_dir_all(&m).unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/demo");
    std::fs::copy(data.join("schema.sql"), m.join("001_schema.sql")).unwrap();
    std::fs::copy(data.join("broken.sql"), m.join("002_broken.sql")).unwrap();
    m
}

fn line_of(file: &Path, needle: &str) -> u64 {
    let text = std::fs::read_to_string(file).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle} not in {}", file.display())) as u64
        + 1
}

#[test]
fn sarif_is_valid_2_1_0_and_every_result_has_a_file_github_accepts() {
    let dir = tmpdir("sarif");
    let m = demo_migrations(&dir);
    let sarif_path = dir.join("bridge.sarif");
    let (code, _, err) = run(common::bridge_bin()
        .current_dir(&dir)
        .args(["check", "--demo", "broken", "--only", "rls,tenants,capacity", "--migrations", "db/migrations"])
        .arg("--output")
        .arg(format!("sarif={}", sarif_path.display())));
    assert_eq!(code, 1, "{err}");
    let sarif = json_file(&sarif_path);
    assert_eq!(schema::validate(&sarif_schema(), &sarif), Vec::<String>::new());
    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().all(|r| r["help"]["text"].as_str().is_some_and(|t| t.contains("Why it matters"))));
    let results = run0["results"].as_array().unwrap();
    assert!(results.len() >= 10, "{results:?}");
    for r in results {
        // GitHub's rule: the whole upload is rejected when one result lacks this
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap_or_default();
        assert!(!uri.is_empty() && !uri.starts_with('/'), "{r}");
        assert!(r["partialFingerprints"]["bridgeFindingKey/v1"].is_string(), "{r}");
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
    }
    let find = |key: &str| results.iter().find(|r| r["partialFingerprints"]["bridgeFindingKey/v1"] == key).unwrap();
    let at = |r: &Value| {
        let p = &r["locations"][0]["physicalLocation"];
        (p["artifactLocation"]["uri"].as_str().unwrap().to_string(), p["region"]["startLine"].as_u64())
    };
    let broken = m.join("002_broken.sql");
    // the view was created by the planted flaw; TRUNCATE was granted there; usage_events altered there
    assert_eq!(
        at(find("RLS008:public.document_titles")),
        ("db/migrations/002_broken.sql".into(), Some(line_of(&broken, "GRANT SELECT ON document_titles")))
    );
    assert_eq!(
        at(find("RLS012:public.documents")),
        ("db/migrations/002_broken.sql".into(), Some(line_of(&broken, "GRANT TRUNCATE ON documents")))
    );
    assert_eq!(at(find("CAP006:hooli")), ("db/migrations".into(), None), "no migration: the documented fallback");
}

#[test]
fn junit_has_one_case_per_check_and_rule_with_passes_skips_and_failures() {
    let dir = tmpdir("junit");
    let path = dir.join("junit.xml");
    let (code, _, err) = run(common::bridge_bin()
        .args(["check", "--demo", "broken", "--only", "tenants,capacity"])
        .arg("--output")
        .arg(format!("junit={}", path.display())));
    assert_eq!(code, 1, "{err}");
    let cases = junit_cases(&std::fs::read_to_string(&path).unwrap());
    let case = |name: &str| cases.iter().find(|c| c.name.starts_with(name)).unwrap_or_else(|| panic!("no case {name}"));
    assert_eq!(case("tenants #4").outcome.as_deref(), Some("failure"));
    assert_eq!(case("TEN001 ").outcome.as_deref(), Some("failure"));
    assert!(case("TEN001 ").body.contains("fix:"), "the failure carries the remedy");
    let ten004 = case("TEN004 ");
    assert_eq!(ten004.outcome, None, "a warning keeps the case passing");
    assert!(ten004.out.contains("warning: TEN004"), "{:?}", ten004.out);
    assert_eq!(case("CAP002 ").outcome, None, "a rule with no finding is a pass");
    assert!(cases.iter().all(|c| !c.name.contains("-check-skipped")), "a check that ran has no skip case");
    let rules = bridge_lib::checks::all_rules();
    let expected = rules
        .iter()
        .filter(|r| matches!(r.check, bridge_lib::CheckId::Tenants | bridge_lib::CheckId::Capacity))
        .filter(|r| !r.name.ends_with("-check-skipped"))
        .count();
    assert_eq!(cases.len(), expected + 2, "one case per rule plus one per check");

    let dir = tmpdir("junit-skip");
    let (code, out, _) = run(unconfigured(&dir).args(["check", "--only", "rls", "--format", "junit"]));
    assert_eq!(code, 0);
    let cases = junit_cases(&out);
    assert!(cases.iter().all(|c| c.outcome.as_deref() == Some("skipped")), "{cases:?}");
}

#[derive(Debug)]
struct JunitCase {
    name: String,
    outcome: Option<String>,
    body: String,
    out: String,
}

/// Parses JUnit XML into its test cases, checking the suites' counts against them.
fn junit_cases(xml: &str) -> Vec<JunitCase> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut cases, mut suite_cases) = (Vec::<JunitCase>::new(), Vec::<JunitCase>::new());
    let mut suite_counts: Option<(usize, usize, usize, usize)> = None;
    let mut current: Option<String> = None;
    let attr = |e: &quick_xml::events::BytesStart, k: &str| -> Option<String> {
        e.try_get_attribute(k).unwrap().map(|a| a.unescape_value().unwrap().into_owned())
    };
    loop {
        let event = reader.read_event().expect("well-formed XML");
        match event.clone() {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testsuite" => {
                let n = |k| attr(&e, k).unwrap().parse::<usize>().unwrap();
                suite_counts = Some((n("tests"), n("failures"), n("errors"), n("skipped")));
            }
            Event::End(e) if e.name().as_ref() == b"testsuite" => {
                let (tests, failures, errors, skipped) = suite_counts.take().unwrap();
                let count = |o: &str| suite_cases.iter().filter(|c| c.outcome.as_deref() == Some(o)).count();
                assert_eq!(
                    (tests, failures, errors, skipped),
                    (suite_cases.len(), count("failure"), count("error"), count("skipped"))
                );
                cases.append(&mut suite_cases);
            }
            Event::Start(e) if e.name().as_ref() == b"testcase" => {
                suite_cases.push(JunitCase {
                    name: attr(&e, "name").unwrap(),
                    outcome: None,
                    body: String::new(),
                    out: String::new(),
                });
            }
            Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                suite_cases.push(JunitCase {
                    name: attr(&e, "name").unwrap(),
                    outcome: None,
                    body: String::new(),
                    out: String::new(),
                });
            }
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                if ["failure", "error", "skipped"].contains(&name.as_str()) {
                    let c = suite_cases.last_mut().unwrap();
                    assert!(c.outcome.is_none(), "two outcomes in {}", c.name);
                    assert!(attr(&e, "message").is_some(), "{name} without a message in {}", c.name);
                    c.outcome = Some(name.clone());
                }
                current = Some(name);
            }
            Event::Text(_) | Event::GeneralRef(_) => {
                let text = match event {
                    Event::Text(t) => t.xml10_content().unwrap().into_owned(),
                    Event::GeneralRef(r) => {
                        quick_xml::escape::unescape(&format!("&{};", r.decode().unwrap())).unwrap().into_owned()
                    }
                    _ => unreachable!(),
                };
                if let (Some(c), Some(el)) = (suite_cases.last_mut(), current.as_deref()) {
                    match el {
                        "system-out" => c.out.push_str(&text),
                        "failure" | "error" | "skipped" => c.body.push_str(&text),
                        _ => {}
                    }
                }
            }
            Event::End(_) => current = None,
            Event::Eof => break,
            _ => {}
        }
    }
    cases
}

#[test]
fn junit_escapes_markup_and_control_characters_readers_choke_on() {
    let rule = bridge_lib::checks::all_rules()[0];
    let f = rule.finding(bridge_lib::Status::Fail, "t", "a <b> & \"c\" \u{1b}[31m\u{0} done\nline2");
    let report =
        bridge_lib::Report::new("configured", vec![bridge_lib::CheckOutcome::from_findings(rule.check, vec![f])]);
    let cases = junit_cases(&bridge_lib::render::report_junit(&report));
    let c = cases.iter().find(|c| c.name.starts_with(rule.code)).unwrap();
    assert!(c.body.contains("a <b> & \"c\" \\u{1b}[31m\\u{0} done\nline2"), "{:?}", c.body);
}

#[test]
fn github_commands_escape_percent_colon_comma_and_newlines() {
    let rule = bridge_lib::checks::all_rules()[0];
    let detail = "100% of rows: a, b\r\nnext line";
    let f = rule.finding(bridge_lib::Status::Fail, "public.t", detail).with_remedy("ALTER TABLE t;\nDROP x;");
    let report =
        bridge_lib::Report::new("configured", vec![bridge_lib::CheckOutcome::from_findings(rule.check, vec![f])]);
    let dir = tmpdir("github");
    std::fs::write(dir.join("001.sql"), "-- init\nCREATE TABLE t (a int);\n").unwrap();
    let locator = bridge_lib::render::Locator { migrations: Some(bridge_lib::render::Migrations::scan(&dir).unwrap()) };
    let out = bridge_lib::render::report_github(&report, &locator);
    let line = out.lines().find(|l| l.starts_with("::error file=")).unwrap();
    let (head, message) = line[2..].split_once("::").unwrap();
    assert!(head.ends_with(&format!("001.sql,line=2,title={} {}", rule.code, rule.name)), "{head}");
    assert_eq!(message, format!("{}: 100%25 of rows: a, b%0D%0Anext line%0Afix: ALTER TABLE t;%0ADROP x;", rule.check));
    assert!(out.lines().all(|l| l.starts_with("::")), "one command per line:\n{out}");
    let title = bridge_lib::render::github::escape_property("RLS001: a, 50%\nx");
    assert_eq!(title, "RLS001%3A a%2C 50%25%0Ax");
}

#[test]
fn github_format_appends_the_markdown_summary_to_the_step_summary() {
    let dir = tmpdir("summary");
    let summary = dir.join("step_summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let (code, out, _) =
        run(unconfigured(&dir).env("GITHUB_STEP_SUMMARY", &summary).args(["check", "--format", "github"]));
    assert_eq!(code, 0);
    assert!(out.contains("::warning title=bridge%3A nothing checked::"), "{out}");
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("earlier step\n## ⚠️ bridge readiness: ready with warnings"), "{text}");
}

#[test]
fn a_baseline_accepts_todays_findings_and_fails_on_new_ones() {
    let dir = tmpdir("baseline");
    let b = dir.join("baseline.json");
    let args = ["check", "--demo", "broken", "--only", "tenants"];
    let (code, _, err) = run(common::bridge_bin().args(args).arg("--write-baseline").arg(&b));
    assert_eq!(code, 1, "writing a baseline does not change the gate: {err}");
    assert!(err.contains("wrote 2 finding(s) to the baseline"), "{err}");
    let (code, out, err) = run(common::bridge_bin().args(args).arg("--baseline").arg(&b));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("baseline: 2 finding(s) baselined in") && out.contains(", 0 new"), "{out}");
    // a baseline that knows only one of the two findings: the other is new
    let mut v = json_file(&b);
    v["findings"].as_array_mut().unwrap().retain(|f| f["key"] != "TEN001:tenants");
    std::fs::write(&b, v.to_string()).unwrap();
    let (code, out, _) = run(common::bridge_bin().args(args).args(["--format", "json"]).arg("--baseline").arg(&b));
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["baseline"]["baselined"].as_u64(), v["baseline"]["new"].as_u64()), (Some(1), Some(1)));
}

#[test]
fn a_configuration_error_found_inside_a_check_exits_78_whatever_else_ran() {
    // was: a check that stopped on a bad setting (here a tenants table that does not exist)
    // exited 2 like an unreachable server, so CI could not tell "fix your settings" from "retry"
    let rt = tokio::runtime::Runtime::new().unwrap();
    let demo = rt.block_on(common::demo(bridge_lib::demo::Variant::Clean));
    let url = common::url(&demo, "bridge_app", bridge_lib::demo::APP_PASSWORD);
    let bridge = |table: &str| {
        let mut c = common::bridge_bin();
        c.args(["check", "--only", "rls,tenants", "--format", "json"])
            .env("DATABASE_URL", &url)
            .env("BRIDGE_TENANTS_TABLE", table);
        run(&mut c)
    };
    let (code, out, err) = bridge("no_such_tenants");
    assert_eq!(code, 78, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(schema::validate(&report_schema(), &v), Vec::<String>::new());
    let tenants = v["checks"].as_array().unwrap().iter().find(|c| c["check"] == "tenants").unwrap().clone();
    assert_eq!(
        (tenants["status"].as_str(), tenants["error_kind"].as_str()),
        (Some("error"), Some("config")),
        "{tenants}"
    );
    assert!(tenants["error"].as_str().unwrap().contains("no_such_tenants"), "{tenants}");
    assert_eq!(v["gate"]["exit_code"], 78);
    assert!(
        v["gate"]["reasons"].as_array().unwrap().iter().any(|r| r == "tenants: bad configuration (exit 78)"),
        "{v}"
    );
    // the same run with the right table is not a configuration error
    let (code, out, err) = bridge("tenants");
    assert_ne!(code, 78, "{out}{err}");
    assert!(!out.contains("\"error_kind\""), "{out}");
    // a check that cannot reach its server is still exit 2, not 78
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (code, out, _) = run(common::bridge_bin()
        .args(["check", "--only", "tenants", "--format", "json"])
        .env("DATABASE_URL", format!("postgres://app@127.0.0.1:{port}/x")));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("\"error_kind\": \"connect\""), "{out}");
}
