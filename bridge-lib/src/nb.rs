//! A synchronous front for the notebook.
//!
//! The Rust kernel runs each cell as plain code; these functions run the async library on a
//! private runtime so cells need no `.await` (evcxr cannot infer the types of awaited values)
//! and stay short. Every function returns a value whose `evcxr_display` renders HTML.
//!
//! `use bridge_lib::nb::*;` brings in everything a cell needs.

pub use crate::callforward::{Assumptions, Preview};
pub use crate::demo::Variant;
pub use crate::report::{CheckId, CheckOutcome, CheckStatus, Report, Verdict};
pub use crate::Html;

use crate::config::Config;
use crate::demo::Demo;
use crate::{Error, Result};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

/// The variable that switches the notebook to the demo: `clean` or `broken`.
pub const DEMO_VAR: &str = "BRIDGE_NOTEBOOK_DEMO";
/// The variable that names the `bridge` binary used for checks this build does not include.
pub const BIN_VAR: &str = "BRIDGE_BIN";
/// The most a check run through the `bridge` binary may take (the check's own limit plus
/// process start-up).
pub const CHILD_LIMIT: Duration = Duration::from_secs(crate::runner::CHECK_LIMIT.as_secs() + 30);
/// The most building the `bridge` binary on demand may take.
pub const BUILD_LIMIT: Duration = Duration::from_secs(30 * 60);

/// Runs a future to completion on a private runtime (on its own thread when called from inside
/// another runtime, where blocking is not allowed).
pub fn block_on<F: Future + Send>(fut: F) -> F::Output
where
    F::Output: Send,
{
    let run = |fut: F| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(fut)
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| s.spawn(|| run(fut)).join().expect("the runtime thread panicked"))
    } else {
        run(fut)
    }
}

/// The environment the notebook works on: the configured services, or the embedded demo when
/// nothing is configured. Holding it keeps the demo's PostgreSQL running.
#[derive(Debug)]
pub struct Env {
    /// The configuration every check uses. Edit it in a cell (a threshold, the tenants table)
    /// and re-run a check to see the result change.
    pub config: Config,
    /// The running demo, when the demo is used.
    pub demo: Option<Demo>,
    /// The `bridge` binary for checks this build does not include; `None`: `BRIDGE_BIN`, else
    /// `<workspace>/target/debug/bridge` (built with cargo when missing).
    pub bridge_bin: Option<PathBuf>,
    /// Why this environment was chosen, shown at the top of the notebook.
    pub notice: String,
}

impl Env {
    /// From the environment: the demo named by `BRIDGE_NOTEBOOK_DEMO` (`clean` or `broken`)
    /// when set; otherwise the configured services; with nothing configured, the clean demo.
    pub fn from_env_or_demo() -> Result<Env> {
        if let Some(v) = std::env::var(DEMO_VAR).ok().filter(|v| !v.trim().is_empty()) {
            let variant: Variant = v.trim().parse().map_err(|_| {
                Error::config(
                    format!("{DEMO_VAR} `{v}` is not a demo variant"),
                    format!("set {DEMO_VAR}=clean or broken, or unset it"),
                )
            })?;
            let mut env = Env::demo(variant)?;
            env.notice = format!("using the embedded demo ({}) because {DEMO_VAR}={}", variant.label(), v.trim());
            return Ok(env);
        }
        let config = Config::from_env()?;
        if config.is_unconfigured() {
            let mut env = Env::demo(Variant::Clean)?;
            env.notice =
                "using the embedded demo: nothing is configured (DATABASE_URL and PINECONE_API_KEY are unset)".into();
            Ok(env)
        } else {
            let mut missing = Vec::new();
            if config.database.is_none() {
                missing.push("DATABASE_URL is unset: the database checks will skip");
            }
            if config.pinecone.is_none() {
                missing.push("PINECONE_API_KEY is unset: the capacity check will skip");
            }
            let notice = if missing.is_empty() {
                "using the configured services".to_string()
            } else {
                format!("using the configured services; warning: {}", missing.join("; "))
            };
            Ok(Env { config, demo: None, bridge_bin: None, notice })
        }
    }

    /// Starts the demo (`Variant::Broken` to watch the checks catch planted flaws).
    pub fn demo(variant: Variant) -> Result<Env> {
        let demo = block_on(Demo::start(variant))?;
        Ok(Env::on_demo(demo))
    }

    /// Wraps a demo that is already running (tests share one cluster this way).
    pub fn on_demo(demo: Demo) -> Env {
        let config = demo.config();
        let notice = format!("using the embedded demo ({})", demo.variant.label());
        Env { config, demo: Some(demo), bridge_bin: None, notice }
    }

    /// A one-line description: which environment, which database (no secrets).
    pub fn describe(&self) -> String {
        let db = self
            .config
            .database
            .as_ref()
            .map(|d| d.redacted())
            .unwrap_or_else(|| "not configured (DATABASE_URL unset)".into());
        let pc = match &self.config.pinecone {
            Some(p) => format!("index {}", p.index.clone().or_else(|| p.host.clone()).unwrap_or_default()),
            None => "not configured (PINECONE_API_KEY unset)".into(),
        };
        format!("environment: {}; database: {db}; pinecone: {pc}", self.config.environment)
    }

    /// Runs one check: in this process when this build includes it, otherwise through the
    /// `bridge` binary with this configuration (see [`Env::check_with_binary`]).
    pub fn check(&self, id: CheckId) -> CheckOutcome {
        if self.runs_here(id) {
            block_on(crate::run_check(&self.config, id))
        } else {
            self.check_with_binary(id)
        }
    }

    /// Whether [`Env::check`] runs `id` in this process: this build can run it on this
    /// configuration, or nothing is configured and every check skips.
    pub fn runs_here(&self, id: CheckId) -> bool {
        crate::checks::runs_here(id, &self.config) || self.config.is_unconfigured()
    }

    /// Runs one check through `bridge check --config-stdin --only ID --format json`, writing
    /// this whole configuration (secrets and suppressions included) as JSON to the child's
    /// stdin, and reads the outcome back. The child reads no configuration variable and gets
    /// none: every `BRIDGE_*`, `PINECONE_*` and `DATABASE_URL` is removed from its environment.
    /// It applies the suppressions itself.
    pub fn check_with_binary(&self, id: CheckId) -> CheckOutcome {
        self.run_binary(id).unwrap_or_else(|e| CheckOutcome::errored(id, &e))
    }

    /// The report and verdict from outcomes already computed in earlier cells (no check runs
    /// again).
    pub fn verdict(&self, outcomes: &[&CheckOutcome]) -> Report {
        Report::new(self.config.environment.clone(), outcomes.iter().map(|o| (*o).clone()).collect())
    }

    /// Runs all four checks.
    pub fn report(&self) -> Report {
        Report::new(self.config.environment.clone(), CheckId::ALL.iter().map(|id| self.check(*id)).collect())
    }

    /// The recap of what M11.1 shipped, read from this environment: tenants, tenant-scoped
    /// tables with their row-level security, policies, and each tenant's data under its own
    /// context. A problem is shown in the output, not raised.
    pub fn recap(&self) -> Html {
        match block_on(crate::recap::gather(&self.config)) {
            Ok(r) => Html(crate::recap::html(&r)),
            Err(e) => Html(crate::render::html::warning(&format!("recap unavailable: {e}"))),
        }
    }

    /// The call-forward preview: what moving each tenant's small requests to a cheaper model
    /// would save per month, under `assumptions`. A problem is shown in the output (and kept in
    /// [`Preview::error`]), not raised.
    pub fn callforward(&self, assumptions: &Assumptions) -> Preview {
        block_on(crate::callforward::preview(&self.config, assumptions)).unwrap_or_else(|e| Preview {
            assumptions: assumptions.clone(),
            tenants: Vec::new(),
            error: Some(e.to_string()),
        })
    }

    /// Runs a read-only SQL query on the application's connection and returns the rows as text
    /// in an HTML table (for the recap and for experiments).
    pub fn sql(&self, sql: &str) -> Result<crate::Html> {
        let target = self
            .config
            .database
            .clone()
            .ok_or_else(|| crate::Error::config("DATABASE_URL is not set", "set it, or use the demo"))?;
        let sql = sql.to_string();
        block_on(async move {
            let mut c = crate::db::connect(&target).await?;
            let tx = crate::db::read_only(&mut c).await?;
            let rows = tx.simple_query(&sql).await.map_err(|e| crate::Error::query("running the query", &e))?;
            let _ = tx.rollback().await;
            Ok(crate::Html(simple_rows_html(&rows)))
        })
    }

    fn run_binary(&self, id: CheckId) -> Result<CheckOutcome> {
        let bin = self.bridge_binary()?;
        let mut cmd = Command::new(&bin);
        cmd.args(["check", "--config-stdin", "--only", id.as_str(), "--format", "json"]);
        for (v, _) in std::env::vars_os() {
            if v.to_str().is_some_and(crate::config::is_config_var) {
                cmd.env_remove(v);
            }
        }
        let what = format!("`{} check --only {id}`", bin.display());
        let input = self.config.to_child_json();
        let out = block_on(run_bounded(cmd, CHILD_LIMIT, &what, Some(input.expose().as_bytes().to_vec())))?;
        let fail = |reason: String| Error::Input {
            location: what.clone(),
            reason: self.config.scrub(&reason),
            fix: format!("run `bridge check --only {id}` in a terminal with the same configuration to see why"),
        };
        let report = Report::from_json(&out.stdout).map_err(|_| {
            fail(format!("exit status {}, no report on stdout; stderr: {}", out.status, tail(&out.stderr)))
        })?;
        report.check(id).cloned().ok_or_else(|| fail(format!("the report has no `{id}` check")))
    }

    /// The `bridge` binary: [`Env::bridge_bin`], `BRIDGE_BIN`, or the workspace's dev build (the
    /// one `cargo test` builds too; its dependencies are optimised), built with cargo when
    /// missing (minutes, once).
    fn bridge_binary(&self) -> Result<PathBuf> {
        if let Some(p) = self.bridge_bin.clone().or_else(|| std::env::var_os(BIN_VAR).map(PathBuf::from)) {
            return Ok(p);
        }
        let workspace = workspace_dir();
        let bin = workspace.join("target").join("debug").join("bridge");
        if bin.is_file() {
            return Ok(bin);
        }
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.args(["build", "--quiet", "-p", "bridge-lib", "--bin", "bridge", "--target-dir"])
            .arg(workspace.join("target"))
            .current_dir(&workspace);
        // the kernel's build settings are evcxr's, not ours
        for v in ["RUSTFLAGS", "CARGO_TARGET_DIR", "CARGO_BUILD_BUILD_DIR", "RUSTC_WRAPPER", "CARGO_ENCODED_RUSTFLAGS"]
        {
            cmd.env_remove(v);
        }
        let what = format!("building the bridge binary in {}", workspace.display());
        let out = block_on(run_bounded(cmd, BUILD_LIMIT, &what, None))?;
        if !out.status.success() || !bin.is_file() {
            return Err(Error::Input {
                location: what,
                reason: format!("cargo build failed ({}): {}", out.status, tail(&out.stderr)),
                fix: "run `bash scripts/setup.sh`, or set BRIDGE_BIN to a built `bridge` binary".into(),
            });
        }
        Ok(bin)
    }
}

/// The repository's top folder (the workspace of `bridge-lib`).
pub fn workspace_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

#[derive(Debug)]
struct Output {
    status: std::process::ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs a command with its output captured and `input` on its stdin (else none), killing it
/// after `limit`.
async fn run_bounded(mut cmd: Command, limit: Duration, what: &str, input: Option<Vec<u8>>) -> Result<Output> {
    let stdin = if input.is_some() { Stdio::piped() } else { Stdio::null() };
    let mut child =
        cmd.stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| Error::Input {
            location: what.to_string(),
            reason: format!("cannot start it: {e}"),
            fix: "run `bash scripts/setup.sh`, or set BRIDGE_BIN to a built `bridge` binary".into(),
        })?;
    if let (Some(mut pipe), Some(bytes)) = (child.stdin.take(), input) {
        // a child that exits without reading gets EPIPE here; its output says why
        tokio::spawn(async move {
            let _ = pipe.write_all(&bytes).await;
        });
    }
    let reader = |pipe: Option<Box<dyn tokio::io::AsyncRead + Send + Unpin>>| {
        tokio::spawn(async move {
            let mut s = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut s).await;
            }
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = reader(child.stdout.take().map(|p| Box::new(p) as _));
    let err = reader(child.stderr.take().map(|p| Box::new(p) as _));
    let status = match tokio::time::timeout(limit, child.wait()).await {
        Ok(Ok(status)) => status,
        _ => {
            let _ = child.kill().await;
            return Err(Error::Timeout { what: what.to_string(), seconds: limit.as_secs_f64() });
        }
    };
    Ok(Output { status, stdout: out.await.unwrap_or_default(), stderr: err.await.unwrap_or_default() })
}

/// The last few lines of a process's output, for an error message.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}

fn simple_rows_html(rows: &[tokio_postgres::SimpleQueryMessage]) -> String {
    use crate::render::html::esc;
    let mut h = String::from("<table>");
    let mut header = false;
    for m in rows {
        if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
            if !header {
                h.push_str("<thead><tr>");
                for c in r.columns() {
                    h.push_str(&format!("<th>{}</th>", esc(c.name())));
                }
                h.push_str("</tr></thead><tbody>");
                header = true;
            }
            h.push_str("<tr>");
            for i in 0..r.len() {
                h.push_str(&format!("<td>{}</td>", esc(r.get(i).unwrap_or("NULL"))));
            }
            h.push_str("</tr>");
        }
    }
    h.push_str("</tbody></table>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_past_its_limit_is_killed_and_named() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 30"]);
        let began = std::time::Instant::now();
        let e = block_on(run_bounded(cmd, Duration::from_millis(300), "`sleep 30`", None)).unwrap_err();
        assert!(began.elapsed() < Duration::from_secs(10), "not killed: {:?}", began.elapsed());
        assert!(matches!(e, Error::Timeout { .. }) && e.to_string().contains("`sleep 30`"), "{e}");
    }

    #[test]
    fn a_child_reads_its_input_and_its_output_is_captured() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "cat; echo oops >&2; exit 3"]);
        let out = block_on(run_bounded(cmd, Duration::from_secs(20), "cat", Some(b"{\"a\":1}".to_vec()))).unwrap();
        assert_eq!((out.stdout.as_str(), out.stderr.trim(), out.status.code()), ("{\"a\":1}", "oops", Some(3)));
    }
}
