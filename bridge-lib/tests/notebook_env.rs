//! The notebook's facade (`bridge_lib::nb`) against a real demo: checks run through the `bridge`
//! binary give what the library gives in process, the recap and the call-forward preview read
//! the live data, and planted secrets never show.

mod common;

use bridge_lib::config::{DbTarget, PineconeConfig};
use bridge_lib::nb::{block_on, Assumptions, CheckId, CheckStatus, Env, Flaw, Variant};
use std::path::PathBuf;

fn env_on(variant: Variant) -> Env {
    let mut env = Env::on_demo(block_on(common::demo(variant)));
    env.bridge_bin = Some(PathBuf::from(env!("CARGO_BIN_EXE_bridge")));
    env
}

#[test]
fn a_check_run_through_the_binary_matches_the_library() {
    for variant in [Variant::Clean, Variant::Broken] {
        let env = env_on(variant);
        let in_process = block_on(bridge_lib::run_check(&env.config, CheckId::Tenants));
        let child = env.check_with_binary(CheckId::Tenants);
        assert_eq!(child.error, None, "{variant:?}");
        assert_eq!(child.findings, in_process.findings, "{variant:?}");
        let expected = if variant == Variant::Clean { CheckStatus::Pass } else { CheckStatus::Fail };
        assert_eq!(child.status, expected, "{variant:?}: {child:#?}");
    }
}

#[test]
fn the_cost_check_runs_through_the_binary_on_the_demo() {
    // the notebook's build has no polars: its cost check is the binary's, on the same bills
    for (variant, expected) in [(Variant::Clean, CheckStatus::Pass), (Variant::Broken, CheckStatus::Fail)] {
        let env = env_on(variant);
        let in_process = block_on(bridge_lib::run_check(&env.config, CheckId::Cost));
        let child = env.check_with_binary(CheckId::Cost);
        assert_eq!(child.error, None, "{variant:?}: {child:#?}");
        assert_eq!(child.status, expected, "{variant:?}: {child:#?}");
        // the child's findings come through JSON, whose floats parse back to within one ulp
        // (serde_json without float_roundtrip): compare with the in-process findings sent the same way
        let sent: Vec<bridge_lib::Finding> =
            serde_json::from_str(&serde_json::to_string(&in_process.findings).unwrap()).unwrap();
        assert_eq!(child.findings, sent, "{variant:?}");
        assert!(child.findings.iter().any(|f| f.code == "COST001"), "{variant:?}: no variance finding: {child:#?}");
    }
}

#[test]
fn suppressions_apply_to_what_the_binary_returns() {
    let mut env = env_on(Variant::Broken);
    env.config.suppressions = vec![("TEN001:tenants".into(), "accepted for this test".into())];
    let o = env.check_with_binary(CheckId::Tenants);
    let f = o.findings.iter().find(|f| f.code == "TEN001").expect("TEN001");
    assert_eq!(f.suppressed.as_deref(), Some("accepted for this test"));
    assert_ne!(o.status, CheckStatus::Fail, "{o:#?}");
}

#[test]
fn a_missing_binary_is_an_error_outcome_that_says_what_to_do() {
    let mut env = env_on(Variant::Clean);
    env.bridge_bin = Some(PathBuf::from("/nonexistent/bridge"));
    let o = env.check_with_binary(CheckId::Cost);
    assert_eq!(o.status, CheckStatus::Error);
    let e = o.error.unwrap();
    assert!(e.contains("cannot start it") && e.contains("BRIDGE_BIN"), "{e}");
}

#[test]
fn the_recap_shows_tenants_tables_and_the_planted_rls_flaw() {
    let clean = env_on(Variant::Clean).recap().0;
    for t in ["test-alpha", "test-gamma", "acme", "public.usage_events", "tenant_isolation", "bridge_owner"] {
        assert!(clean.contains(t), "{t} missing from the recap: {clean}");
    }
    let r = block_on(bridge_lib::recap::gather(&env_on(Variant::Broken).config)).unwrap();
    let usage = r.tables.iter().find(|t| t.table == "public.usage_events").unwrap();
    assert!(!usage.forced && usage.owner == "bridge_app", "{usage:?}");
    let acme = r.tenants.iter().find(|t| t.id == "acme").unwrap();
    assert_eq!(acme.rows["public.documents"], 12, "each tenant sees its own rows under its context");
}

#[test]
fn the_preview_follows_the_assumptions() {
    let env = env_on(Variant::Clean);
    let preview = |a: Assumptions| {
        let p = env.callforward(&a);
        assert_eq!(p.error, None);
        p
    };
    let base = preview(Assumptions::default());
    assert_eq!(base.tenants.len(), 6, "{base:#?}");
    assert!(base.tenants.iter().all(|t| t.saving_per_month > 0.0), "{base:#?}");
    // globex (pro, growing, claude-sonnet-4) saves the most; initech sends the most small
    // requests but already runs the cheap models (data/demo/seed.sql's profiles)
    assert_eq!(base.tenants[0].tenant, "globex", "{base:#?}");
    let most_small = base.tenants.iter().max_by(|a, b| a.small_per_month.total_cmp(&b.small_per_month)).unwrap();
    assert_eq!(most_small.tenant, "initech", "{base:#?}");
    let cheaper = preview(Assumptions { cheaper_cost_ratio: 0.1, ..Assumptions::default() });
    assert!(cheaper.total_saving() > base.total_saving());
    let none = preview(Assumptions { small_request_tokens: 0, ..Assumptions::default() });
    assert_eq!(none.total_saving(), 0.0);
    // the broken demo's usage table leaks across tenants, yet each tenant's figure stays its own
    // (filtered by tenant); it only lost a quarter of Anthropic's November rows (the cost flaw)
    let broken = env_on(Variant::Broken).callforward(&Assumptions::default());
    assert_eq!(broken.tenants.len(), base.tenants.len());
    assert!(broken.total_saving() > 0.0 && broken.total_saving() < base.total_saving(), "{broken:#?}");
    let bad = env.callforward(&Assumptions { cheaper_cost_ratio: 2.0, ..Assumptions::default() });
    assert!(bad.error.unwrap().contains("between 0.0 and 1.0"));
}

#[test]
fn planted_secrets_never_show() {
    const PW: &str = "planted-pw-7f3a9c";
    const KEY: &str = "planted-key-41d2e8";
    let demo = block_on(common::demo(Variant::Clean));
    let wrong = DbTarget::parse(&common::url(&demo, "bridge_app", PW)).unwrap();
    let mut env = Env::on_demo(demo);
    env.bridge_bin = Some(PathBuf::from(env!("CARGO_BIN_EXE_bridge")));
    env.config.database = Some(wrong.clone());
    env.config.admin_database = Some(wrong);
    env.config.pinecone = Some(PineconeConfig {
        host: Some("http://127.0.0.1:9".into()),
        controller_url: "http://127.0.0.1:9".into(),
        ..PineconeConfig::new(KEY)
    });
    let report = env.report();
    let child = env.check_with_binary(CheckId::Tenants);
    assert_eq!(child.status, CheckStatus::Error, "a wrong password cannot connect: {child:#?}");
    let mut shown = vec![
        format!("{env:?}"),
        env.describe(),
        report.to_json(),
        bridge_lib::render::report_text(&report),
        bridge_lib::render::report_html(&report),
        format!("{child:?}"),
        env.recap().0,
        format!("{:?}", env.callforward(&Assumptions::default())),
        env.callforward(&Assumptions::default()).html(),
    ];
    shown.push(format!("{:?}", env.sql("SELECT 1").unwrap_err()));
    for text in &shown {
        assert!(!text.contains(PW) && !text.contains(KEY), "a planted secret shows in: {text}");
    }
    assert!(shown.iter().any(|t| t.contains("password")), "the errors should say the password is wrong: {shown:#?}");
}

#[test]
fn the_child_gets_the_configuration_on_stdin_and_none_in_its_environment() {
    // a stand-in `bridge` that records its environment and stdin, then answers nothing
    let dir = std::env::temp_dir().join(format!("bridge-child-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("bridge");
    std::fs::write(&script, "#!/bin/sh\nenv > \"$0.env\"\ncat > \"$0.stdin\"\necho \"$@\" > \"$0.args\"\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // variables of ours in the parent's environment must not reach the child
    std::env::set_var("BRIDGE_LEAK_PROBE", "parent-only");
    std::env::set_var("PINECONE_LEAK_PROBE", "parent-only");
    let mut env = env_on(Variant::Clean);
    env.bridge_bin = Some(script.clone());
    env.config.suppressions = vec![("TEN001:tenants".into(), "travels to the child".into())];
    env.config.pinecone = Some(PineconeConfig::new("pc-child-key"));
    let o = env.check_with_binary(CheckId::Tenants);
    assert_eq!(o.status, CheckStatus::Error, "the stand-in writes no report: {o:#?}");
    let read = |ext: &str| std::fs::read_to_string(script.with_extension(ext)).unwrap();
    let child_env = read("env");
    assert!(child_env.contains("PATH="), "the rest of the environment is inherited: {child_env}");
    for line in child_env.lines() {
        let name = line.split('=').next().unwrap_or("");
        assert!(!bridge_lib::config::is_config_var(name), "the child's environment has {name}");
    }
    assert!(read("args").contains("check --config-stdin --only tenants --format json"), "{}", read("args"));
    let back = bridge_lib::Config::from_child_json(&read("stdin")).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), serde_json::to_value(&env.config).unwrap());
    assert_eq!(back.database.unwrap().redacted(), env.config.database.as_ref().unwrap().redacted());
    assert_eq!(back.pinecone.unwrap().api_key.expose(), "pc-child-key");
    assert_eq!(back.suppressions, env.config.suppressions);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn each_demo_env_gets_a_database_of_its_own() {
    // Env::demo keeps its cluster for the process and loads the next database in the background:
    // a later Env must still get a fresh database of its own variant, never one in use
    let dbname = |env: &Env| env.demo.as_ref().unwrap().admin.redacted();
    let mut first = Env::demo(Variant::Clean).expect("the demo starts");
    std::thread::sleep(std::time::Duration::from_millis(800)); // the next one is prepared by now
    let second = Env::demo(Variant::Clean).unwrap();
    let broken = Env::demo(Variant::Broken).unwrap(); // the prepared one is clean: not this
    let third = Env::demo(Variant::Clean).unwrap(); // maybe still loading: made on the spot
    let names = [dbname(&first), dbname(&second), dbname(&broken), dbname(&third)];
    for (i, a) in names.iter().enumerate() {
        assert!(names[i + 1..].iter().all(|b| b != a), "a database handed out twice: {names:?}");
    }
    first.plant(Flaw::InactiveTenant("test-beta"));
    assert_eq!(first.check(CheckId::Tenants).status, CheckStatus::Fail);
    for env in [&second, &third] {
        assert_eq!(env.report().verdict.as_str(), "ready", "{}", dbname(env));
    }
    assert_eq!(broken.report().verdict.as_str(), "not ready");
}
