//! `bridge check`: runs the checks, applies the gate's options and writes every format asked for.

use bridge_lib::gate::{Baseline, Policy};
use bridge_lib::render::{self, Locator, Migrations};
use bridge_lib::{CheckId, Error, Report};
use clap::ValueEnum;
use std::path::PathBuf;

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
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::config(
            format!("--baseline {}: cannot read it: {e}", path.display()),
            "pass a file written by `bridge check --write-baseline FILE`",
        )
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
pub async fn check(demo: Option<String>, only: Vec<String>, format: Format, args: GateArgs) -> Result<u8, Error> {
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
    let (cfg, demo) = crate::environment(demo).await?;
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
    Ok(code as u8)
}
