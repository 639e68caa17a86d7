//! `bridge check`: runs the checks, applies the gate's options and writes every format asked for;
//! the RLS options write a reproduction script per leak (`--emit-repro`) and prove the probe with
//! planted mutants (`--prove`).

use bridge_lib::checks::rls::repro;
use bridge_lib::gate::{Baseline, Policy};
use bridge_lib::render::{self, Locator, Migrations};
use bridge_lib::{CheckId, Error, Report};
use clap::ValueEnum;
use std::path::{Path, PathBuf};

/// An output format (`--format`, `--output FORMAT=PATH`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Format {
    /// Text for a terminal or a CI log.
    Human,
    /// The versioned JSON report (schema/report.schema.json).
    Json,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// JUnit XML for test reporters.
    Junit,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// A Markdown summary for a pull-request comment or step summary.
    Markdown,
}

/// When the gate turns red beyond failures.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum FailOn {
    /// Only critical failures exit 1 (the default).
    Fail,
    /// Any warning or skipped check exits 1.
    Warn,
}

/// The gate's options of `bridge check`.
#[derive(clap::Args, Debug)]
pub struct GateArgs {
    /// Also write FORMAT to PATH (repeatable), e.g. `--output sarif=bridge.sarif --output junit=junit.xml`.
    #[arg(long, value_name = "FORMAT=PATH")]
    pub output: Vec<String>,
    /// Checks that must run, comma-separated: a required check that skips exits 1, one that
    /// cannot run exits 2.
    #[arg(long, value_delimiter = ',', value_name = "CHECKS")]
    pub require: Vec<String>,
    /// `warn`: any warning or skipped check exits 1 (default `fail`: only failures do).
    #[arg(long, value_enum, default_value_t = FailOn::Fail)]
    pub fail_on: FailOn,
    /// Folder of SQL migrations: SARIF and GitHub annotations point at the file and line that
    /// created or last altered each finding's object.
    #[arg(long, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
    /// Accept the findings recorded in FILE: only new ones fail the gate.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record today's warnings and failures in FILE (for `--baseline`).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

/// The RLS check's options of `bridge check`.
#[derive(clap::Args, Debug)]
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

/// Checks `--prove`'s preconditions and turns it on in the configuration.
fn enable_prove(cfg: &mut bridge_lib::Config, only: &[CheckId]) -> Result<(), Error> {
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
    cfg.rls.prove = true;
    Ok(())
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

fn parse_ids(list: &[String]) -> Result<Vec<CheckId>, Error> {
    list.iter().filter(|s| !s.trim().is_empty()).map(|s| s.parse::<CheckId>()).collect()
}

fn parse_output(spec: &str) -> Result<(Format, PathBuf), Error> {
    let bad = |why: String| {
        Error::config(
            format!("--output `{spec}`: {why}"),
            "write FORMAT=PATH with FORMAT one of human, json, github, junit, sarif, markdown",
        )
    };
    let (f, p) = spec.split_once('=').ok_or_else(|| bad("no `=`".into()))?;
    let format = Format::from_str(f.trim(), true).map_err(|_| bad(format!("unknown format `{f}`")))?;
    if p.trim().is_empty() {
        return Err(bad("no path".into()));
    }
    Ok((format, PathBuf::from(p)))
}

fn read_baseline(path: &std::path::Path) -> Result<Baseline, Error> {
    let text =
        bridge_lib::files::read_bounded_text(path, 64 * bridge_lib::files::MIB, "the baseline").map_err(|e| {
            Error::config(format!("--baseline: {e}"), "pass a file written by `bridge check --write-baseline FILE`")
        })?;
    Baseline::from_json(&text, &path.display().to_string())
}

fn write_file(path: &std::path::Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|e| Error::Input {
        location: path.display().to_string(),
        reason: format!("cannot write it: {e}"),
        fix: "pass a path in a folder that exists and is writable".into(),
    })
}

/// The report in `format`, without source locations (commands other than `check`).
pub fn render_plain(format: Format, report: &Report) -> String {
    render(format, report, &Locator { migrations: None })
}

fn render(format: Format, report: &Report, locator: &Locator) -> String {
    match format {
        Format::Human => render::report_text(report),
        Format::Json => report.to_json() + "\n",
        Format::Github => render::report_github(report, locator),
        Format::Junit => render::report_junit(report),
        Format::Sarif => render::report_sarif(report, locator) + "\n",
        Format::Markdown => render::report_markdown(report),
    }
}

/// Appends the markdown summary to `$GITHUB_STEP_SUMMARY` when it is set.
fn step_summary(report: &Report) -> Result<(), Error> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else { return Ok(()) };
    use std::io::Write;
    let path = PathBuf::from(path);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(render::report_markdown(report).as_bytes()))
        .map_err(|e| Error::Input {
            location: path.display().to_string(),
            reason: format!("cannot append the step summary: {e}"),
            fix: "GITHUB_STEP_SUMMARY must name a writable file (GitHub Actions sets it)".into(),
        })
}

/// Runs `bridge check`; returns the exit code.
pub async fn check(
    demo: Option<String>,
    only: Vec<String>,
    format: Format,
    args: GateArgs,
    rls: RlsArgs,
    config_stdin: bool,
) -> Result<u8, Error> {
    // every option is read before anything runs: bad configuration exits 78 at once
    let only = parse_ids(&only)?;
    let required = parse_ids(&args.require)?;
    if let Some(id) = required.iter().find(|id| !only.is_empty() && !only.contains(id)) {
        return Err(Error::config(
            format!("--require {id} but --only leaves the `{id}` check out"),
            "add it to --only, or drop it from --require",
        ));
    }
    let outputs = args.output.iter().map(|s| parse_output(s)).collect::<Result<Vec<_>, _>>()?;
    let baseline = args.baseline.as_deref().map(read_baseline).transpose()?;
    let locator = Locator { migrations: args.migrations.as_deref().map(Migrations::scan).transpose()? };
    let (mut cfg, demo) =
        if config_stdin { (crate::config_from_stdin()?, None) } else { crate::environment(demo).await? };
    if rls.prove {
        enable_prove(&mut cfg, &only)?;
    }
    if cfg.is_unconfigured() && demo.is_none() {
        eprintln!(
            "note: nothing configured (DATABASE_URL, PINECONE_API_KEY, BRIDGE_PINECONE_SNAPSHOT, BRIDGE_BILLED_FILES \
             unset): every check skips and nothing is checked; `bridge check --demo` tries the embedded demo"
        );
    }

    let mut report = bridge_lib::run_checks(&cfg, &only).await;
    drop(demo);
    if let Some(path) = &args.write_baseline {
        let b = Baseline::record(&report);
        write_file(path, &(b.to_json() + "\n"))?;
        eprintln!("wrote {} finding(s) to the baseline {}", b.findings.len(), path.display());
    }
    if let (Some(b), Some(path)) = (&baseline, &args.baseline) {
        b.apply(&mut report, &path.display().to_string());
    }
    let decision = Policy { required, fail_on_warn: args.fail_on == FailOn::Warn }.decide(&report);
    let code = decision.exit_code;
    report.gate = Some(decision);

    print!("{}", render(format, &report, &locator));
    for (f, path) in &outputs {
        write_file(path, &render(*f, &report, &locator))?;
        eprintln!("wrote {} to {}", format!("{f:?}").to_lowercase(), path.display());
    }
    if format == Format::Github || outputs.iter().any(|(f, _)| *f == Format::Github) {
        step_summary(&report)?;
    }
    if let Some(dir) = &rls.emit_repro {
        let n = emit_repro(dir, &report)?;
        eprintln!("note: wrote {n} reproduction scripts to {}", dir.display());
    }
    Ok(code as u8)
}
