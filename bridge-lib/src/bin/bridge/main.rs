//! The `bridge` command: a thin front over `bridge_lib`. It parses arguments, builds the
//! configuration, runs the library and turns the result into output and an exit code.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod check;
mod tenants;

use bridge_lib::demo::{Demo, Variant};
use bridge_lib::{Config, Error};
use check::Format;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

const EXIT_CODES: &str = "Exit codes:
  0   ready (warnings allowed; with nothing configured every check skips: ready with warnings)
  1   not ready: a check found a critical failure (also: a --require'd check skipped, or any
      warning or skip with --fail-on warn)
  2   a check could not run (unreachable service, missing table, demo could not start)
  78  bad configuration (a variable that does not parse, an unknown option value, an unreadable
      --baseline or --migrations), found before the checks run or by a check (a configured
      table that does not exist, a missing column); it wins over 1 and 2: fix it first";

/// Readiness checks for moving a multi-tenant RAG/LLM SaaS from tenant isolation to
/// per-tenant customization.
#[derive(Parser)]
#[command(name = "bridge", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the readiness checks and print the report.
    #[command(after_help = EXIT_CODES)]
    Check {
        /// Run against the embedded demo (`--demo` or `--demo broken`). Only when asked: with
        /// nothing configured, every check skips and says which variable to set.
        #[arg(long, num_args = 0..=1, default_missing_value = "clean", value_name = "VARIANT")]
        demo: Option<String>,
        /// Only these checks, comma-separated: rls, cost, capacity, tenants.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Output format on stdout.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        #[command(flatten)]
        gate: check::GateArgs,
        #[command(flatten)]
        rls: check::RlsArgs,
        /// The notebook's hand-off: read the whole configuration as JSON from stdin and no
        /// configuration variable (no `.env`, no demo fallback).
        #[arg(long, hide = true, conflicts_with = "demo")]
        config_stdin: bool,
    },
    /// Manage test tenants.
    Tenants {
        #[command(subcommand)]
        command: TenantsCommand,
    },
    /// Pinecone namespace capacity (readiness check #3).
    Capacity {
        #[command(subcommand)]
        command: CapacityCommand,
    },
    /// Explain a finding code (TEN001…), or list every code.
    Explain {
        /// The code; omit to list all.
        code: Option<String>,
    },
}

#[derive(Subcommand)]
enum TenantsCommand {
    /// Create the missing test tenants, idempotently.
    Provision {
        /// How many active test tenants there should be.
        #[arg(long, default_value_t = 3)]
        count: usize,
        /// Print the SQL and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// SQL run once per new tenant with its context set (seeds its data end to end).
        #[arg(long, value_name = "FILE")]
        seed_sql: Option<std::path::PathBuf>,
        /// Provision into a fresh embedded demo (to try the command).
        #[arg(long, num_args = 0..=1, default_missing_value = "clean", value_name = "VARIANT")]
        demo: Option<String>,
    },
    /// Remove test tenants: their rows in every tenant table (one transaction, RETURNING) and
    /// their namespaces (through the API, or the command to run without PINECONE_API_KEY).
    /// Idempotent; a tenant that is not a test tenant is refused without --force.
    Deprovision {
        /// The tenant ids.
        #[arg(required = true, value_name = "ID")]
        ids: Vec<String>,
        /// Count what would be removed, print the SQL, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also remove tenants that are not test tenants (is_test = false).
        #[arg(long)]
        force: bool,
        /// Deprovision in a fresh embedded demo (to try the command).
        #[arg(long)]
        demo: bool,
    },
    /// One throwaway test tenant from provisioning to offboarding, every step a finding:
    /// provisioned, isolated, metered, capacity-tracked, offboarded (cleaned up after a failure).
    #[command(after_help = EXIT_CODES)]
    Lifecycle {
        /// On the embedded demo with a local Pinecone stand-in.
        #[arg(long)]
        demo: bool,
        /// Against the configured services (DATABASE_URL, BRIDGE_ADMIN_DATABASE_URL, PINECONE_*):
        /// writes a test tenant, a usage row and a record, then removes them.
        #[arg(long)]
        live: bool,
        /// SQL run once under the new tenant's context (the demo's seed by default with --demo).
        #[arg(long, value_name = "FILE")]
        seed_sql: Option<std::path::PathBuf>,
        /// Output format on stdout.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

#[derive(Subcommand)]
enum CapacityCommand {
    /// Save the index's describe_index_stats response (for offline checks through
    /// BRIDGE_PINECONE_SNAPSHOT) and append a timestamped line to the history the forecast reads.
    Snapshot {
        /// Where to write the stats JSON.
        #[arg(long, value_name = "FILE", default_value = "pinecone_stats.json")]
        out: std::path::PathBuf,
        /// The JSON-lines history to append to (default: BRIDGE_CAPACITY_HISTORY, if set).
        #[arg(long, value_name = "FILE")]
        history: Option<std::path::PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let code = runtime.block_on(run(cli));
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    ExitCode::from(code)
}

async fn run(cli: Cli) -> u8 {
    let result = match cli.command {
        Command::Check { demo, only, format, gate, rls, config_stdin } => {
            check::check(demo, only, format, gate, rls, config_stdin).await
        }
        Command::Tenants { command: TenantsCommand::Provision { count, dry_run, seed_sql, demo } } => {
            provision(count, dry_run, seed_sql, demo).await
        }
        Command::Tenants { command: TenantsCommand::Deprovision { ids, dry_run, force, demo } } => {
            tenants::deprovision_cmd(ids, dry_run, force, demo).await
        }
        Command::Tenants { command: TenantsCommand::Lifecycle { demo, live, seed_sql, format } } => {
            tenants::lifecycle_cmd(demo, live, seed_sql, format).await
        }
        Command::Capacity { command: CapacityCommand::Snapshot { out, history } } => snapshot(out, history).await,
        Command::Explain { code } => explain(code),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            if e.is_config() {
                78
            } else {
                2
            }
        }
    }
}

/// The configuration and, when asked for (`--demo`), a running demo. Never the demo unasked: a
/// CI job that forgot its secrets must not pass on the demo.
async fn environment(demo: Option<String>) -> Result<(Config, Option<Demo>), Error> {
    let variant = demo.as_deref().map(str::parse::<Variant>).transpose()?;
    let cfg = Config::from_env()?;
    match variant {
        Some(v) => start_demo(v).await,
        None => Ok((cfg, None)),
    }
}

/// The configuration the notebook wrote to stdin (`--config-stdin`).
pub(crate) fn config_from_stdin() -> Result<Config, Error> {
    // the notebook writes a few kilobytes; anything past a mebibyte is not a configuration
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::Read::take(std::io::stdin(), bridge_lib::files::MIB + 1), &mut text)
        .map_err(|e| Error::config(format!("cannot read the configuration from stdin: {e}"), "pipe the JSON in"))?;
    if text.len() as u64 > bridge_lib::files::MIB {
        return Err(Error::config(
            "the configuration on stdin is larger than 1 MiB",
            "pipe the JSON the notebook writes",
        ));
    }
    Config::from_child_json(&text)
}

async fn start_demo(v: Variant) -> Result<(Config, Option<Demo>), Error> {
    let demo = Demo::start(v).await?;
    Ok((demo.config(), Some(demo)))
}

/// The most test tenants one `tenants provision` creates.
const MAX_PROVISION: usize = 1000;

async fn provision(
    count: usize,
    dry_run: bool,
    seed: Option<std::path::PathBuf>,
    demo: Option<String>,
) -> Result<u8, Error> {
    if count > MAX_PROVISION {
        return Err(Error::config(
            format!("--count {count} is more than provisioning creates at once ({MAX_PROVISION})"),
            format!("ask for at most {MAX_PROVISION} test tenants"),
        ));
    }
    let seed_sql = match &seed {
        Some(p) => {
            Some(bridge_lib::files::read_bounded_text(p, 16 * bridge_lib::files::MIB, "the seed file (--seed-sql)")?)
        }
        None => None,
    };
    let (cfg, _demo) = match demo {
        Some(_) => environment(demo).await?,
        None => (Config::from_env()?, None),
    };
    provision_with(&cfg, count, dry_run, seed_sql.as_deref()).await.map_err(|e| bridge_lib::runner::scrub(&cfg, e))
}

async fn provision_with(cfg: &Config, count: usize, dry_run: bool, seed_sql: Option<&str>) -> Result<u8, Error> {
    let plan = bridge_lib::provision::plan(cfg, count, seed_sql).await?;
    if dry_run {
        print!("{}", plan.script());
        return Ok(0);
    }
    // planned again under a lock: what is printed is what this run stored
    let plan = bridge_lib::provision::apply(cfg, &plan).await?;
    if plan.new_tenants.is_empty() {
        let existing = bridge_lib::render::text::escape_controls(&plan.existing.join(", ")).into_owned();
        println!("nothing to do: {} active test tenants already ({existing})", plan.existing.len());
    } else {
        for (id, tier) in &plan.new_tenants {
            println!("created test tenant {id} (tier {tier})");
        }
    }
    Ok(0)
}

async fn snapshot(out: std::path::PathBuf, history: Option<std::path::PathBuf>) -> Result<u8, Error> {
    let cfg = Config::from_env()?;
    let saved = bridge_lib::checks::capacity::save_snapshot(&cfg, &out, history.as_deref())
        .await
        .map_err(|e| bridge_lib::runner::scrub(&cfg, e))?;
    println!("saved {} namespaces ({} records) to {}", saved.namespaces, saved.records, saved.out.display());
    if let Some(h) = saved.history {
        println!("appended the snapshot to {}", h.display());
    }
    Ok(0)
}

fn explain(code: Option<String>) -> Result<u8, Error> {
    let rules = bridge_lib::checks::all_rules();
    match code {
        None => {
            for r in rules {
                println!("{}  {:<32} {}", r.code, r.name, r.title);
            }
            Ok(0)
        }
        Some(c) => {
            let r = rules.iter().find(|r| r.code.eq_ignore_ascii_case(&c) || r.name == c).ok_or_else(|| {
                Error::config(format!("unknown finding code `{c}`"), "run `bridge explain` to list every code")
            })?;
            print!("{}", r.explain());
            Ok(0)
        }
    }
}
