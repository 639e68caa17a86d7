//! `bridge tenants deprovision` and `bridge tenants lifecycle`.

use bridge_lib::demo::{Demo, PineconeStandIn, Variant};
use bridge_lib::deprovision::{deprovision, NamespaceAction};
use bridge_lib::render::text::escape_controls;
use bridge_lib::{Config, Error};

/// `bridge tenants deprovision ID... [--dry-run] [--force] [--demo]`.
pub async fn deprovision_cmd(ids: Vec<String>, dry_run: bool, force: bool, demo: bool) -> Result<u8, Error> {
    if ids.iter().any(|i| i.trim().is_empty()) || ids.is_empty() {
        return Err(Error::config("no tenant id given", "name the test tenants: bridge tenants deprovision ID..."));
    }
    let (cfg, _demo) = if demo { crate::environment(Some("clean".into())).await? } else { (Config::from_env()?, None) };
    let d = deprovision(&cfg, &ids, dry_run, force).await.map_err(|e| bridge_lib::runner::scrub(&cfg, e))?;
    if dry_run {
        println!("-- dry run: nothing changed; this is what deprovisioning runs, in one transaction:");
        println!("BEGIN;");
        for s in &d.statements {
            println!("{};", escape_controls(s));
        }
        println!("COMMIT;");
    }
    for r in &d.tenants {
        let total: u64 = r.rows.values().sum();
        let id = escape_controls(&r.tenant);
        let verb = if dry_run { "would remove" } else { "removed" };
        match (r.registered, total) {
            (false, 0) => println!("tenant {id}: already gone from the database"),
            _ => println!(
                "tenant {id}: {verb} {total} rows ({})",
                r.rows.iter().map(|(t, n)| format!("{} {n}", escape_controls(t))).collect::<Vec<_>>().join(", ")
            ),
        }
        let ns = escape_controls(&r.namespace);
        match &r.namespace_action {
            NamespaceAction::Deleted => println!("tenant {id}: deleted namespace `{ns}`"),
            NamespaceAction::AlreadyGone => println!("tenant {id}: namespace `{ns}` already gone"),
            NamespaceAction::WouldDelete => println!("tenant {id}: would delete namespace `{ns}`"),
            NamespaceAction::RunThis(cmd) => {
                println!("tenant {id}: no PINECONE_API_KEY: delete namespace `{ns}` with\n  {}", escape_controls(cmd))
            }
        }
    }
    Ok(0)
}

/// `bridge tenants lifecycle [--demo | --live]`: prints the report (human or JSON); exit code
/// as `bridge check`'s.
pub async fn lifecycle_cmd(
    demo: bool,
    live: bool,
    seed: Option<std::path::PathBuf>,
    format: crate::check::Format,
) -> Result<u8, Error> {
    let seed_sql = match &seed {
        Some(p) => {
            Some(bridge_lib::files::read_bounded_text(p, 16 * bridge_lib::files::MIB, "the seed file (--seed-sql)")?)
        }
        None => None,
    };
    let report = match (demo, live) {
        (true, true) => return Err(Error::config("--demo and --live exclude each other", "pick one")),
        (false, false) => {
            return Err(Error::config(
                "the lifecycle writes to the database and to Pinecone: it runs on the demo or, only when asked, on the configured services",
                "run `bridge tenants lifecycle --demo`, or `--live` against DATABASE_URL, BRIDGE_ADMIN_DATABASE_URL and PINECONE_*",
            ))
        }
        (true, false) => {
            let demo = Demo::start(Variant::Clean).await?;
            let standin = PineconeStandIn::from_stats(&bridge_lib::demo::data_dir().join("pinecone_stats.json")).await?;
            let seed = seed_sql.unwrap_or_else(|| bridge_lib::demo::SEED_TENANT_SQL.to_string());
            bridge_lib::lifecycle::run(&demo.config_with(&standin), Some(&seed)).await?
        }
        (false, true) => {
            let cfg = Config::from_env()?;
            bridge_lib::lifecycle::run(&cfg, seed_sql.as_deref()).await.map_err(|e| bridge_lib::runner::scrub(&cfg, e))?
        }
    };
    print!("{}", crate::check::render_plain(format, &report));
    Ok(report.exit_code() as u8)
}
