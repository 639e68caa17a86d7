//! Safe to point at production (issue #11): hostile data and operator input never change user
//! data, never print a secret and never hang. Each test reproduces one class of miss on a real
//! throwaway PostgreSQL, through the `bridge` binary as a user runs it, and compares a full data
//! fingerprint (every table's rows and every sequence's value) before and after.

mod common;

use bridge_lib::demo::{Demo, Variant, APP_PASSWORD};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The outcome of one `bridge` run: exit code, stdout, stderr.
struct Run {
    code: i32,
    out: String,
    err: String,
}

/// Runs `cmd`, failing the test if it takes longer than `limit` (the process is killed).
fn run_within(cmd: &mut Command, limit: Duration) -> Run {
    run_with_stdin(cmd, Stdio::null(), limit)
}

fn run_with_stdin(cmd: &mut Command, stdin: Stdio, limit: Duration) -> Run {
    let mut child = cmd.stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run bridge");
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out_pipe.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for bridge") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("bridge did not finish within {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run { code: status.code().unwrap_or(-1), out: out_reader.join().unwrap(), err: err_reader.join().unwrap() }
}

fn run(cmd: &mut Command) -> Run {
    run_within(cmd, Duration::from_secs(150))
}

/// Every table's rows and every sequence's value, read as the superuser.
async fn full_fingerprint(demo: &Demo) -> Vec<(String, String)> {
    let mut out = common::fingerprint(&demo.admin).await;
    let c = bridge_lib::db::connect(&demo.admin).await.expect("superuser connection");
    let rows = c
        .query(
            "SELECT format('sequence %I.%I', schemaname, sequencename), coalesce(last_value::text, 'unused') \
             FROM pg_sequences ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    out.extend(rows.iter().map(|r| (r.get(0), r.get(1))));
    out
}

fn app_url(demo: &Demo) -> String {
    common::url(demo, "bridge_app", APP_PASSWORD)
}

/// The superuser over the cluster's unix socket (trust), for provisioning.
fn admin_url(demo: &Demo) -> String {
    common::url(demo, "postgres", "x")
        .replace("host=127.0.0.1", &format!("host={}", demo.cluster().pg.socket_dir().display()))
}

fn check(demo: &Demo, only: &str) -> Command {
    let mut c = common::bridge_bin();
    c.args(["check", "--only", only, "--format", "json"]).env("DATABASE_URL", app_url(demo));
    c
}

fn report(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.out).unwrap_or_else(|e| panic!("not a JSON report ({e}): {}\n{}", r.out, r.err))
}

fn check_status(r: &Run, id: &str) -> String {
    let v = report(r);
    let c = v["checks"].as_array().unwrap().iter().find(|c| c["check"] == id).expect("the check ran");
    c["status"].as_str().unwrap().to_string()
}

async fn add_tenant(demo: &Demo, id: &str, with_rows: bool) {
    let q = id.replace('\'', "''");
    let mut sql = format!(
        "INSERT INTO tenants (id, name, tier, is_test) VALUES (E'{}', 'hostile', 'pro', true);",
        q.replace('\\', "\\\\")
    );
    if with_rows {
        sql.push_str(&format!(
            "INSERT INTO documents (tenant_id, id, title, body) VALUES (E'{0}', 1, 't', 'b'), (E'{0}', 2, 't', 'b');",
            q.replace('\\', "\\\\")
        ));
    }
    common::admin_exec(demo, &sql).await;
}

// ---------------------------------------------------------------------------------------------
// Data: a check changes nothing
// ---------------------------------------------------------------------------------------------

/// Class 1: tenant ids reached SQL as text. `$2` inside the first id was replaced by the second
/// (quoted) id, which closed the literal; the simple query protocol then ran the rest.
#[tokio::test]
async fn crafted_tenant_ids_in_the_write_probe_change_nothing() {
    let demo = common::demo(Variant::Clean).await;
    let a = "q$2";
    let b = ";DELETE FROM documents;COMMIT;--";
    add_tenant(&demo, a, true).await;
    add_tenant(&demo, b, true).await;
    let before = full_fingerprint(&demo).await;
    let r = run(check(&demo, "rls").env("BRIDGE_PROBE_TENANTS", format!("{a},{b}")));
    assert_eq!(before, full_fingerprint(&demo).await, "the RLS check changed data: {}\n{}", r.out, r.err);
    assert_ne!(check_status(&r, "rls"), "error", "{}", r.out);
}

/// Class 1, the ordinary case: an id with `$2` in it is just an id.
#[tokio::test]
async fn an_ordinary_id_with_a_dollar_sign_probes_normally() {
    let demo = common::demo(Variant::Clean).await;
    add_tenant(&demo, "t$2x", true).await;
    let before = full_fingerprint(&demo).await;
    let r = run(check(&demo, "rls").env("BRIDGE_PROBE_TENANTS", "t$2x,acme"));
    assert_eq!(before, full_fingerprint(&demo).await);
    assert_eq!(check_status(&r, "rls"), "pass", "{}\n{}", r.out, r.err);
}

/// Class 2: with `standard_conforming_strings = off` a backslash before a doubled quote closed
/// the literal; the read-only tenants check then committed an INSERT.
#[tokio::test]
async fn a_backslash_id_under_standard_conforming_strings_off_commits_nothing() {
    let demo = common::demo(Variant::Clean).await;
    let id = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/scs_off_tenant_id.txt"))
        .unwrap()
        .trim_end_matches('\n')
        .to_string();
    add_tenant(&demo, &id, true).await;
    common::admin_exec(
        &demo,
        &format!("ALTER ROLE bridge_app IN DATABASE {} SET standard_conforming_strings = off", demo.app.dbname()),
    )
    .await;
    let before = full_fingerprint(&demo).await;
    for only in ["tenants", "rls"] {
        let r = run(check(&demo, only).env("BRIDGE_PROBE_TENANTS", format!("{id},acme")));
        assert_eq!(before, full_fingerprint(&demo).await, "`check --only {only}` changed data: {}\n{}", r.out, r.err);
    }
}

/// Class 3: operator SQL (the tenant-context template) that ends the transaction is reported,
/// and nothing after it runs outside the transaction.
#[tokio::test]
async fn a_context_statement_that_commits_is_reported_and_changes_nothing() {
    let demo = common::demo(Variant::Clean).await;
    let before = full_fingerprint(&demo).await;
    let template = "SELECT set_config('app.current_tenant', {tenant}, true); COMMIT; \
                    SELECT set_config('app.current_tenant', 'acme', false); \
                    INSERT INTO documents (tenant_id, id, title, body) VALUES ('acme', 424242, 'x', 'y')";
    for only in ["rls", "tenants"] {
        let r = run(check(&demo, only).env("BRIDGE_TENANT_CONTEXT_SQL", template));
        assert_eq!(before, full_fingerprint(&demo).await, "`check --only {only}` committed: {}\n{}", r.out, r.err);
        assert!(
            r.out.contains("ended the transaction") || r.err.contains("ended the transaction"),
            "{}\n{}",
            r.out,
            r.err
        );
        assert_ne!(r.code, 0, "a context statement that commits must not pass: {}", r.out);
    }
}

/// Class 3: a seed file that commits half-way is reported and provisions nothing.
#[tokio::test]
async fn a_seed_file_that_commits_is_reported_and_provisions_nothing() {
    let demo = common::demo(Variant::Broken).await;
    let dir = tempdir("seed-commit");
    let seed = dir.join("seed.sql");
    std::fs::write(&seed, "INSERT INTO documents (tenant_id, id, title, body) SELECT current_setting('app.current_tenant'), 1, 't', 'b';\nCOMMIT;\n").unwrap();
    let before = full_fingerprint(&demo).await;
    let r = run(common::bridge_bin()
        .args(["tenants", "provision", "--count", "3", "--seed-sql"])
        .arg(&seed)
        .env("DATABASE_URL", admin_url(&demo)));
    assert_ne!(r.code, 0, "{}\n{}", r.out, r.err);
    assert!(r.err.contains("ended the transaction"), "{}", r.err);
    assert_eq!(before, full_fingerprint(&demo).await, "a failed provision left changes behind");
}

/// Class 4: write probes fire triggers and advance sequences before the policy rejects the row.
/// By default a check advances no sequence and fires no trigger; what it did not probe is an
/// inconclusive warning, never a pass.
#[tokio::test]
async fn by_default_write_probes_advance_no_sequence_and_fire_no_trigger() {
    let demo = common::demo(Variant::Clean).await;
    let fixture =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rls/ok7_bigserial_ids.sql"))
            .unwrap();
    common::admin_exec(&demo, &fixture).await;
    common::admin_exec(
        &demo,
        "CREATE TABLE trigger_log (id bigserial PRIMARY KEY, at timestamptz DEFAULT now());
         CREATE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS
           $$ BEGIN INSERT INTO trigger_log DEFAULT VALUES; RETURN NEW; END $$;
         CREATE TRIGGER documents_before BEFORE INSERT OR UPDATE ON documents FOR EACH ROW EXECUTE FUNCTION log_write();",
    )
    .await;
    let before = full_fingerprint(&demo).await;
    let r = run(&mut check(&demo, "rls"));
    assert_eq!(before, full_fingerprint(&demo).await, "the default probe advanced a sequence or left a trigger's row");
    let v = report(&r);
    let rls = v["checks"].as_array().unwrap().iter().find(|c| c["check"] == "rls").unwrap();
    assert_eq!(rls["status"], "warn", "unprobed write paths are inconclusive, not a pass: {rls}");
    let text = rls.to_string();
    assert!(
        text.contains("tickets") && text.contains("documents"),
        "the warning names the relations not probed: {text}"
    );
    assert!(text.contains("BRIDGE_PROBE_WRITES"), "the warning names the setting: {text}");
}

/// Class 5: concurrent provisioning creates and seeds each tenant once.
#[tokio::test]
async fn concurrent_provisioning_creates_each_tenant_once() {
    let demo = common::demo(Variant::Broken).await;
    let seed = bridge_lib::demo::data_dir().join("seed_tenant.sql");
    let spawn = || {
        common::bridge_bin()
            .args(["tenants", "provision", "--count", "5", "--seed-sql"])
            .arg(&seed)
            .env("DATABASE_URL", admin_url(&demo))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let created: Vec<String> = [&a, &b]
        .iter()
        .flat_map(|o| String::from_utf8_lossy(&o.stdout).lines().map(str::to_string).collect::<Vec<_>>())
        .filter(|l| l.starts_with("created test tenant"))
        .collect();
    let mut unique = created.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(created.len(), unique.len(), "two runs both reported creating the same tenant: {created:?}");
    let c = bridge_lib::db::connect(&demo.admin).await.unwrap();
    let n: i64 = c.query_one("SELECT count(*) FROM tenants WHERE is_test AND active", &[]).await.unwrap().get(0);
    assert_eq!(n, 5);
    let seeded: Vec<(String, i64)> = c
        .query("SELECT tenant_id, count(*) FROM documents WHERE title LIKE 'seed document%' GROUP BY 1", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let per: Vec<i64> = seeded.iter().map(|s| s.1).collect();
    assert!(per.windows(2).all(|w| w[0] == w[1]), "a tenant was seeded twice: {seeded:?}");
}

/// Class 5: what is reported as created is what the table stored (a short id column must not
/// silently truncate), `--count` is bounded, and an id at the largest bigint does not panic.
#[tokio::test]
async fn provisioning_reports_only_what_was_stored_and_bounds_its_input() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        "CREATE TABLE short_tenants (id varchar(8) PRIMARY KEY, tier text NOT NULL, is_test boolean NOT NULL, active boolean NOT NULL DEFAULT true);
         INSERT INTO short_tenants VALUES ('t1', 'pro', false);
         CREATE TABLE big_tenants (id bigint PRIMARY KEY, tier text NOT NULL, is_test boolean NOT NULL, active boolean NOT NULL DEFAULT true);
         INSERT INTO big_tenants VALUES (9223372036854775807, 'pro', false);",
    )
    .await;
    let provision = |table: &str, count: &str| {
        run(common::bridge_bin()
            .args(["tenants", "provision", "--count", count])
            .env("DATABASE_URL", admin_url(&demo))
            .env("BRIDGE_TENANTS_TABLE", table)
            .env("BRIDGE_TENANT_TABLES", "documents"))
    };
    let r = provision("short_tenants", "3");
    let c = bridge_lib::db::connect(&demo.admin).await.unwrap();
    let stored: Vec<String> =
        c.query("SELECT id FROM short_tenants WHERE is_test", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    for line in r.out.lines().filter(|l| l.starts_with("created test tenant")) {
        let id = line.trim_start_matches("created test tenant ").split(' ').next().unwrap();
        assert!(stored.iter().any(|s| s == id), "reported {id} but the table holds {stored:?}");
    }
    if r.code != 0 {
        assert!(stored.is_empty() && r.err.starts_with("error: "), "{}", r.err);
    }

    let r = provision("tenants", "100000000");
    assert_eq!(r.code, 78, "an unbounded --count must be refused: {}", r.err);

    let r = provision("big_tenants", "3");
    assert!(r.code == 0 || r.code == 2, "exit {}: {}", r.code, r.err);
    assert!(!r.err.contains("panicked"), "{}", r.err);
}

/// Catalog reads give up quickly on a table held under ACCESS EXCLUSIVE instead of waiting for
/// the whole per-check limit.
#[tokio::test]
async fn a_locked_table_is_a_quick_error_not_a_two_minute_wait() {
    let demo = common::demo(Variant::Clean).await;
    let holder = bridge_lib::db::connect(&demo.admin).await.unwrap();
    holder.batch_execute("BEGIN; LOCK TABLE documents IN ACCESS EXCLUSIVE MODE;").await.unwrap();
    let start = Instant::now();
    let r = run_within(&mut check(&demo, "rls"), Duration::from_secs(60));
    assert!(start.elapsed() < Duration::from_secs(45), "took {:?}", start.elapsed());
    assert_ne!(r.code, 0, "{}", r.out);
    holder.batch_execute("ROLLBACK").await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Secrets never printed
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_connection_strings_never_echo_the_password() {
    let secret = "Sekr1t-Planted-77";
    let forms = [
        format!("postgres://app@db.example:5432/app?password={secret}&port=notaport"),
        format!("postgres://app@db.example/app?sslmode=bogus&password={secret}"),
        format!("host=db.example password='{secret} with space' port=notaport"),
        format!("host=db.example password = {secret} port=notaport"),
        format!("host=db.example\tpassword={secret}\tport=notaport"),
        format!("host=db.example PASSWORD={secret} port=5432"),
        format!("postgres://app:{secret}@part@db.example:notaport/app"),
    ];
    for url in forms {
        for var in ["DATABASE_URL", "BRIDGE_ADMIN_DATABASE_URL"] {
            let r = run(common::bridge_bin()
                .args(["check", "--only", "tenants"])
                .env("DATABASE_URL", "host=127.0.0.1 port=9 user=x")
                .env(var, &url));
            let all = format!("{}{}", r.out, r.err);
            assert!(!all.contains(secret) && !all.contains("Planted-77"), "{var}={url:?} printed the password: {all}");
            assert!(!all.contains("part@db"), "{var}={url:?} printed the password's tail: {all}");
            if var == "BRIDGE_ADMIN_DATABASE_URL" && r.code == 78 {
                assert!(
                    r.err.contains("BRIDGE_ADMIN_DATABASE_URL"),
                    "the error names the variable that failed: {}",
                    r.err
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bounded in time and memory
// ---------------------------------------------------------------------------------------------

fn tempdir(name: &str) -> common::TempDir {
    common::TempDir::new(&format!("safety-{name}"))
}

fn fifo(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("fifo");
    nix::unistd::mkfifo(&p, nix::sys::stat::Mode::S_IRWXU).unwrap();
    p
}

#[test]
fn endless_files_and_fifos_are_refused_quickly() {
    let dir = tempdir("endless");
    let fifo = fifo(&dir);
    for path in [std::path::PathBuf::from("/dev/zero"), fifo] {
        for var in ["BRIDGE_SUPPRESSIONS", "BRIDGE_PINECONE_SNAPSHOT", "BRIDGE_CAPACITY_HISTORY", "BRIDGE_BILLED_FILES"]
        {
            let mut cmd = common::bridge_bin();
            cmd.args(["check", "--only", "capacity,cost"]).env(var, &path);
            if var != "BRIDGE_PINECONE_SNAPSHOT" {
                cmd.env("BRIDGE_PINECONE_SNAPSHOT", bridge_lib::demo::data_dir().join("pinecone_stats.json"));
            }
            let r = run_within(&mut cmd, Duration::from_secs(30));
            assert_ne!(r.code, 0, "{var}={}: {}", path.display(), r.out);
            assert!(
                format!("{}{}", r.out, r.err).contains(&path.display().to_string()),
                "{var}: the error names the file: {}{}",
                r.out,
                r.err
            );
        }
        let r = run_within(
            common::bridge_bin()
                .args(["tenants", "provision", "--dry-run", "--seed-sql"])
                .arg(&path)
                .env("DATABASE_URL", "host=127.0.0.1 port=9"),
            Duration::from_secs(30),
        );
        assert_ne!(r.code, 0, "{}", r.err);
        // the CLI's own file options: a baseline, a migrations folder holding such a file, a
        // root certificate in the connection string, and the notebook's configuration on stdin
        let migrations = dir.join("migrations");
        std::fs::create_dir_all(&migrations).unwrap();
        let link = migrations.join("001_init.sql");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&path, &link).unwrap();
        for args in [
            vec!["check".to_string(), "--baseline".into(), path.display().to_string()],
            vec!["check".into(), "--migrations".into(), migrations.display().to_string()],
        ] {
            let r = run_within(common::bridge_bin().args(&args), Duration::from_secs(30));
            assert_eq!(r.code, 78, "{args:?}: {}", r.err);
            assert!(r.err.contains("not a regular file") && r.err.lines().count() == 1, "{args:?}: {}", r.err);
        }
        let url =
            format!("host=127.0.0.1 port=9 user=app password=pw sslmode=verify-full sslrootcert={}", path.display());
        let r = run_within(
            common::bridge_bin().args(["check", "--only", "tenants"]).env("DATABASE_URL", url),
            Duration::from_secs(30),
        );
        assert_eq!(r.code, 78, "{}", r.err);
        assert!(r.err.contains("sslrootcert") && !r.err.contains("pw"), "{}", r.err);
    }
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let r =
        run_with_stdin(common::bridge_bin().args(["check", "--config-stdin"]), zero.into(), Duration::from_secs(30));
    assert_eq!(r.code, 78, "{}", r.err);
    assert!(r.err.contains("larger than 1 MiB"), "{}", r.err);
}

// ---------------------------------------------------------------------------------------------
// Configuration is explicit
// ---------------------------------------------------------------------------------------------

#[test]
fn a_blank_database_url_is_a_configuration_error() {
    let r = run(common::bridge_bin().args(["check"]).env("DATABASE_URL", " "));
    assert_eq!(
        r.code, 78,
        "a DATABASE_URL that is present but blank (a missing CI secret) is bad configuration: {}{}",
        r.out, r.err
    );
    assert!(r.err.contains("DATABASE_URL"), "{}", r.err);
}

#[test]
fn an_unparsable_dotenv_is_a_configuration_error() {
    let dir = tempdir("dotenv");
    std::fs::write(dir.join(".env"), "DATABASE_URL=postgres://x\nthis line is not a variable\n").unwrap();
    let r = run(common::bridge_bin().args(["check"]).current_dir(&dir));
    assert_eq!(r.code, 78, "{}{}", r.out, r.err);
    assert!(r.err.contains(".env"), "{}", r.err);
}

// ---------------------------------------------------------------------------------------------
// Smaller
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn control_characters_from_the_data_are_escaped_in_the_text_report() {
    let demo = common::demo(Variant::Clean).await;
    add_tenant(&demo, "evil\nverdict: ready\u{1b}[2K", false).await;
    common::admin_exec(&demo, "UPDATE tenants SET active = false WHERE id LIKE 'evil%'").await;
    let r = run(common::bridge_bin().args(["check", "--only", "tenants"]).env("DATABASE_URL", app_url(&demo)));
    assert!(!r.out.contains('\u{1b}'), "raw escape code in the report: {:?}", r.out);
    assert!(!r.out.lines().any(|l| l.trim() == "verdict: ready"), "a forged verdict line: {}", r.out);
}

#[tokio::test]
async fn mixed_case_and_quoted_table_names_resolve() {
    let demo = common::demo(Variant::Clean).await;
    common::admin_exec(
        &demo,
        r#"CREATE TABLE "Tenants" (LIKE tenants INCLUDING ALL); INSERT INTO "Tenants" SELECT * FROM tenants;
           GRANT SELECT ON "Tenants" TO bridge_app;"#,
    )
    .await;
    for name in ["Tenants", "\"Tenants\"", "public.\"Tenants\""] {
        let r = run(common::bridge_bin()
            .args(["check", "--only", "tenants", "--format", "json"])
            .env("DATABASE_URL", app_url(&demo))
            .env("BRIDGE_TENANTS_TABLE", name));
        assert_eq!(check_status(&r, "tenants"), "pass", "BRIDGE_TENANTS_TABLE={name}: {}\n{}", r.out, r.err);
    }
}

/// A connection error of the admin connection points at BRIDGE_ADMIN_DATABASE_URL, not at
/// DATABASE_URL.
#[test]
fn a_bad_admin_url_is_named_in_the_fix() {
    let r = run(common::bridge_bin()
        .args(["tenants", "provision", "--count", "3"])
        .env("DATABASE_URL", "host=127.0.0.1 port=9 user=x")
        .env("BRIDGE_ADMIN_DATABASE_URL", "host=127.0.0.1 port=9 user=admin connect_timeout=2"));
    assert_ne!(r.code, 0, "{}", r.out);
    assert!(r.err.contains("BRIDGE_ADMIN_DATABASE_URL"), "{}", r.err);
}
