//! `bridge check`: runs the checks and prints the report; the RLS options write a reproduction
//! script per leak (`--emit-repro`) and prove the probe with planted mutants (`--prove`).

use crate::{environment, Format};
use bridge_lib::checks::rls::repro;
use bridge_lib::{render, CheckId, Error, Report};
use std::path::{Path, PathBuf};

/// The RLS check's options of `bridge check`.
#[derive(clap::Args)]
pub struct RlsArgs {
    /// Write one SQL script per RLS leak into DIR. Run one with
    /// `psql -X -v ON_ERROR_STOP=1 -f FILE` as the application role: it prints the leaked rows,
    /// exits 0 and changes nothing (it ends in ROLLBACK).
    #[arg(long, value_name = "DIR")]
    pub emit_repro: Option<PathBuf>,
    /// Prove the RLS probe: plant mutants (a `USING (true)` policy, RLS off, FORCE off, a
    /// session-level context) through BRIDGE_ADMIN_DATABASE_URL in one transaction that is always
    /// rolled back, and report which the probe caught. The DDL takes ACCESS EXCLUSIVE locks on
    /// each tenant table in turn: run it against staging.
    #[arg(long)]
    pub prove: bool,
}

/// `bridge check`.
pub async fn check(demo: Option<String>, only: Vec<String>, format: Format, rls: RlsArgs) -> Result<u8, Error> {
    let only =
        only.iter().filter(|s| !s.trim().is_empty()).map(|s| s.parse::<CheckId>()).collect::<Result<Vec<_>, _>>()?;
    let (mut cfg, _demo) = environment(demo).await?;
    if rls.prove {
        if !only.is_empty() && !only.contains(&CheckId::Rls) {
            return Err(Error::config(
                "--prove proves the RLS check's probe, and rls is not in --only",
                "add rls to --only",
            ));
        }
        if cfg.admin_database.is_none() {
            return Err(Error::config(
                "--prove needs BRIDGE_ADMIN_DATABASE_URL: it plants mutants (a policy, RLS flags) as a privileged role, \
                 in a transaction that is rolled back",
                "set BRIDGE_ADMIN_DATABASE_URL to a role that owns the tenant tables (or a superuser) and is a member \
                 of the application role, on a staging copy",
            ));
        }
        cfg.rls_prove = true;
    }
    let report = bridge_lib::run_checks(&cfg, &only).await;
    match format {
        Format::Human => print!("{}", render::report_text(&report)),
        Format::Json => println!("{}", report.to_json()),
    }
    if let Some(dir) = &rls.emit_repro {
        let n = emit_repro(dir, &report)?;
        eprintln!("note: wrote {n} reproduction scripts to {}", dir.display());
    }
    Ok(report.exit_code() as u8)
}

/// Writes every finding's `evidence.repro` to DIR, one file per leak; returns how many.
fn emit_repro(dir: &Path, report: &Report) -> Result<usize, Error> {
    let fail = |reason: String| Error::Input {
        location: dir.display().to_string(),
        reason,
        fix: "pass --emit-repro a folder you can write to".into(),
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create the folder: {e}")))?;
    let scripts = repro::scripts(report.checks.iter().flat_map(|c| &c.findings));
    for (name, sql) in &scripts {
        std::fs::write(dir.join(name), sql).map_err(|e| fail(format!("cannot write {name}: {e}")))?;
    }
    Ok(scripts.len())
}
