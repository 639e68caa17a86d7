use super::*;
use std::time::Duration;

#[test]
fn lookup_defaults_and_overrides() {
    let c = Config::from_lookup(|_| None).unwrap();
    assert!(c.is_unconfigured());
    assert_eq!(c.tenancy.context.setting, "app.current_tenant");
    let c = Config::from_lookup(|k| match k {
        "BRIDGE_TENANTS_TABLE" => Some("core.orgs".into()),
        "PINECONE_API_KEY" => Some("pc-key-123456".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(c.tenancy.table, "core.orgs");
    assert!(!format!("{c:?}").contains("pc-key-123456"));
    let e = Config::from_lookup(|k| (k == "BRIDGE_TENANT_COLUMN").then(|| "x; drop".into())).unwrap_err();
    assert!(e.is_config());
    assert_eq!(c.rls.probe_writes, ProbeWrites::Safe);
    let e = Config::from_lookup(|k| (k == "BRIDGE_PROBE_WRITES").then(|| "some".into())).unwrap_err();
    assert!(e.is_config() && e.to_string().contains("BRIDGE_PROBE_WRITES"), "{e}");
    let e = Config::from_lookup(|k| (k == "BRIDGE_TENANT_COLUMNS").then(|| "org_id, x; drop".into())).unwrap_err();
    assert!(e.is_config() && e.to_string().contains("BRIDGE_TENANT_COLUMNS"), "{e}");
}

#[test]
fn the_rls_settings_are_read_from_their_variables() {
    let c = Config::from_lookup(|k| match k {
        "BRIDGE_TENANT_COLUMNS" => Some("org_id, tenant_id,account_id".into()),
        "BRIDGE_SHARED_TENANT" => Some("global, *".into()),
        "BRIDGE_PROBE_WRITES" => Some(" ALL ".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(c.rls.tenant_columns, ["org_id", "tenant_id", "account_id"]);
    assert_eq!(c.tenant_column_names(), ["tenant_id", "org_id", "account_id"]);
    assert_eq!(
        (c.rls.shared_tenants.clone(), c.rls.probe_writes, c.rls.prove),
        (vec!["global".into(), "*".into()], ProbeWrites::All, false)
    );
}

/// What the child parses from the parent's JSON.
fn round_trip(c: &Config) -> Config {
    Config::from_child_json(c.to_child_json().expose()).unwrap()
}

#[test]
fn the_child_json_rebuilds_the_same_configuration() {
    let mut c = Config {
        database: Some(DbTarget::from_parts("/tmp/pg sock", 5433, "app", Some("p'w\\x y"), "db")),
        admin_database: Some(
            DbTarget::parse("postgres://admin:adm-pw@db.example.com:6543/prod?sslmode=require").unwrap(),
        ),
        data_dir: Some(PathBuf::from("/nonexistent/data")),
        suppressions: vec![("TEN001:tenants".into(), "accepted".into())],
        environment: "demo broken".into(),
        ..Config::default()
    };
    c.tenancy.table = "app.tenants".into();
    c.tenants.min_test_tenants = 4;
    c.pinecone = Some(PineconeConfig { index: Some("idx".into()), ..PineconeConfig::new("pc-key") });
    c.tenancy.context.template = Some("SET app.t = {tenant}".into());
    c.rls.probe_tenants = vec!["a".into(), "b".into()];
    c.rls.probe_tenant_count = 7;
    c.rls.tenant_tables = vec!["documents".into()];
    (c.rls.shared_tenants, c.rls.probe_writes) = (vec!["global".into()], ProbeWrites::All);
    c.rls.tenant_columns = vec!["org_id".into(), "account_id".into()];
    c.rls.prove = true;
    c.capacity.namespace_prefix = "ns-".into();
    c.capacity.snapshot = Some(PathBuf::from("/nonexistent/stats.json"));
    c.capacity.horizon_days = 0.1 + 0.2;
    c.cost.billed_files = vec![PathBuf::from("/nonexistent/a.csv"), PathBuf::from("b.json")];
    c.cost.allocated_files = vec![PathBuf::from("/nonexistent/ledger.parquet")];
    c.cost.columns.cost = "amount".into();
    (c.cost.warn, c.cost.fail, c.cost.top_tenants) = (0.03, 0.2, 3);
    c.cost.providers.push("cohere".into());
    c.cost.unallocatable = vec!["tax".into()];
    let back = round_trip(&c);
    // every setting that is not a secret: the whole serialised configuration
    assert_eq!(serde_json::to_value(&back).unwrap(), serde_json::to_value(&c).unwrap());
    let (a, b) = (c.database.as_ref().unwrap(), back.database.as_ref().unwrap());
    // `tls` decides; from_parts leaves tokio-postgres's own ssl_mode at its default
    let mut a_pg = a.pg.clone();
    a_pg.ssl_mode(b.pg.get_ssl_mode());
    assert_eq!(a_pg, b.pg);
    assert_eq!(b.password().unwrap().expose(), "p'w\\x y");
    assert_eq!(b.tls, TlsMode::Disable);
    assert_eq!(back.admin_database.as_ref().unwrap().pg, c.admin_database.as_ref().unwrap().pg);
    assert_eq!(back.admin_database.as_ref().unwrap().tls, TlsMode::Require);
    assert_eq!(back.tenancy.table, "app.tenants");
    assert_eq!(back.tenants.min_test_tenants, 4);
    assert_eq!(back.pinecone.as_ref().unwrap().api_key.expose(), "pc-key");
    assert_eq!(back.pinecone.as_ref().unwrap().index.as_deref(), Some("idx"));
    assert_eq!(back.data_dir, c.data_dir);
    assert_eq!(back.tenancy, c.tenancy);
    assert_eq!(back.rls, c.rls);
    assert_eq!(back.rls.tenant_columns, c.rls.tenant_columns);
    assert_eq!(back.tenant_column_names(), ["tenant_id", "org_id", "account_id"]);
    assert_eq!(
        (back.rls.probe_tenants.clone(), back.rls.tenant_tables.clone()),
        (c.rls.probe_tenants.clone(), c.rls.tenant_tables.clone())
    );
    assert_eq!(
        (back.rls.shared_tenants.clone(), back.rls.probe_writes),
        (c.rls.shared_tenants.clone(), ProbeWrites::All)
    );
    assert!(back.rls.prove, "--prove reaches the child");
    assert_eq!(back.capacity, c.capacity);
    assert_eq!(back.cost, c.cost);
    assert_eq!(back.suppressions, c.suppressions);
    assert_eq!(back.environment, "demo broken");
    // the public serialisation and Debug carry no secret; the hand-off is a Secret
    let public = serde_json::to_string(&c).unwrap();
    let shown = format!("{:?} {c:?} {public}", c.to_child_json());
    for secret in ["p'w", "adm-pw", "pc-key"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(c.to_child_json().expose().contains("adm-pw"), "the child needs the secrets");
    // without secrets it round-trips too
    let none = round_trip(&Config::default());
    assert!(none.database.is_none() && none.pinecone.is_none() && none.is_unconfigured());
}

#[test]
fn bad_child_json_is_a_config_error_that_shows_no_text() {
    let e = Config::from_child_json("{\"database\": \"postgres://u:leaked-pw@h/db\", \"config\": 3}").unwrap_err();
    assert!(e.is_config() && e.to_string().contains("stdin"), "{e}");
    assert!(!e.to_string().contains("leaked-pw"), "{e}");
    let mut half = serde_json::to_value(Config::default()).unwrap();
    half["pinecone"] = serde_json::to_value(PineconeConfig::new("k")).unwrap();
    let text = serde_json::json!({"database": null, "admin_database": null, "pinecone_api_key": null, "config": half});
    assert!(Config::from_child_json(&text.to_string()).unwrap_err().to_string().contains("without a key"));
}

#[test]
fn config_variables_are_recognised_by_name() {
    for v in ["DATABASE_URL", "BRIDGE_COST_WARN", "PINECONE_API_KEY", "BRIDGE_ADMIN_DATABASE_URL"] {
        assert!(is_config_var(v), "{v}");
    }
    for v in ["PATH", "HOME", "PGPASSWORD", "CARGO"] {
        assert!(!is_config_var(v), "{v}");
    }
}

#[test]
fn capacity_settings_parse_with_documented_defaults() {
    let c = Config::from_lookup(|_| None).unwrap();
    assert_eq!(c.capacity.tier_quotas["pro"], 1_000_000);
    assert_eq!((c.capacity.namespace_limit, c.capacity.horizon_days), (100_000, 30.0));
    let c = Config::from_lookup(|k| match k {
        "BRIDGE_TIER_QUOTAS" => Some("free=1_000, pro: 50000".into()),
        "BRIDGE_NAMESPACE_LIMIT" => Some("builder".into()),
        "PINECONE_API_KEY" => Some("pcsk_abc".into()),
        "PINECONE_API_VERSION" => Some("2025-10".into()),
        "BRIDGE_PINECONE_TIMEOUT_SECS" => Some("2.5".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(c.capacity.tier_quotas.len(), 2);
    assert_eq!(c.capacity.tier_quotas["free"], 1_000);
    assert_eq!(c.capacity.namespace_limit, 1_000);
    let p = c.pinecone.unwrap();
    assert_eq!((p.api_version.as_str(), p.request_timeout), ("2025-10", Duration::from_millis(2500)));
    for (k, v) in
        [("BRIDGE_TIER_QUOTAS", "pro"), ("BRIDGE_NAMESPACE_LIMIT", "lots"), ("BRIDGE_CAPACITY_HORIZON_DAYS", "-1")]
    {
        let e = Config::from_lookup(|x| (x == k).then(|| v.to_string())).unwrap_err();
        assert!(e.is_config() && e.to_string().contains(k), "{e}");
    }
}

#[test]
fn cost_settings_have_defaults_and_are_validated() {
    let c = Config::from_lookup(|_| None).unwrap().cost;
    assert_eq!((c.warn, c.fail, c.table.as_str(), c.columns.cost.as_str()), (0.05, 0.10, "usage_events", "cost_usd"));
    let c = Config::from_lookup(|k| match k {
        "BRIDGE_BILLED_FILES" => Some("a.csv, b.json".into()),
        "BRIDGE_COST_WARN" => Some("0.02".into()),
        "BRIDGE_COST_COL_COST" => Some("amount".into()),
        _ => None,
    })
    .unwrap();
    assert!(!c.is_unconfigured());
    assert_eq!(c.cost.billed_files, vec![PathBuf::from("a.csv"), PathBuf::from("b.json")]);
    assert_eq!((c.cost.warn, c.cost.columns.cost.as_str()), (0.02, "amount"));
    let e = Config::from_lookup(|k| (k == "BRIDGE_COST_FAIL").then(|| "ten".into())).unwrap_err();
    assert!(e.to_string().contains("BRIDGE_COST_FAIL"), "{e}");
    let e = Config::from_lookup(|k| (k == "BRIDGE_COST_WARN").then(|| "0.5".into())).unwrap_err();
    assert!(e.to_string().contains("above BRIDGE_COST_FAIL"), "{e}");
}
