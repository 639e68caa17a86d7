//! The notebook's environment: the configuration every check uses, the demo (its server kept
//! for the kernel's life), and the methods the cells call.

use super::{block_on, Assumptions, CheckId, CheckOutcome, Html, Preview, Report, Variant, DEMO_VAR};
use crate::config::Config;
use crate::demo::{Demo, DemoCluster};
use crate::{Error, Result};
use std::fmt;
use std::path::PathBuf;

/// The demo cluster [`Env::demo`] started, kept for the life of the process (the kernel): the
/// notebook loads the library as one dylib, so this exists once per kernel, and every demo
/// after the first is a new database in it. The server stops when the process ends (its
/// watchdog), as before when the last demo was dropped.
static KEPT_CLUSTER: std::sync::Mutex<Option<std::sync::Arc<DemoCluster>>> = std::sync::Mutex::new(None);

/// The next demo database, loaded in the background after [`Env::demo`] handed one out, for
/// the next call with the same variant (the setup cell run again, a second Run All): that cell
/// then skips the ~0.15 s of creating and loading one. Any other call leaves it unused.
static PREPARED: std::sync::Mutex<Option<Demo>> = std::sync::Mutex::new(None);

/// The environment the notebook works on: the configured services, or the embedded demo when
/// nothing is configured. The demo's PostgreSQL runs until the process (the kernel) ends.
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
    pub notice: Notice,
    /// The flaws [`Env::plant`] planted and nothing has repaired yet, oldest first
    /// ([`Env::repair_planted`] undoes them).
    pub planted: Vec<super::Flaw>,
}

/// Why the notebook uses its environment, shown at its top.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A plain statement (`using the embedded demo …`).
    Info(String),
    /// Something to act on (a service that is not configured, so its checks skip).
    Warning(String),
}

impl Notice {
    /// The words shown.
    pub fn text(&self) -> &str {
        match self {
            Notice::Info(t) | Notice::Warning(t) => t,
        }
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// Which environment, which database, which index: what the notebook shows first (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// `demo`, `demo broken` or `configured`.
    pub environment: String,
    /// The database, redacted, or why there is none.
    pub database: String,
    /// The Pinecone index, or why there is none.
    pub pinecone: String,
}

impl Description {
    /// The rows of the environment table: `(what, which)`.
    pub fn rows(&self) -> [(&'static str, &str); 3] {
        [("environment", &self.environment), ("database", &self.database), ("pinecone", &self.pinecone)]
    }
}

impl fmt::Display for Description {
    /// One line: `environment: …; database: …; pinecone: …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.rows().iter().map(|(k, v)| format!("{k}: {v}")).collect();
        f.write_str(&parts.join("; "))
    }
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
            env.notice =
                Notice::Info(format!("using the embedded demo ({}) because {DEMO_VAR}={}", variant.label(), v.trim()));
            return Ok(env);
        }
        let config = Config::from_env()?;
        if config.is_unconfigured() {
            let mut env = Env::demo(Variant::Clean)?;
            env.notice = Notice::Info(
                "using the embedded demo: nothing is configured (DATABASE_URL and PINECONE_API_KEY are unset)".into(),
            );
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
                Notice::Info("using the configured services".to_string())
            } else {
                Notice::Warning(format!("using the configured services; warning: {}", missing.join("; ")))
            };
            Ok(Env { config, demo: None, bridge_bin: None, notice, planted: Vec::new() })
        }
    }

    /// Starts the demo (`Variant::Broken` to watch the checks catch planted flaws): a fresh
    /// demo database, in the cluster an earlier call in this process started when it still
    /// runs (the setup cell run again, a second Run All: no second server start, ~1.7 s; and the
    /// database already loaded in the background when the variant is the same), else in a new
    /// cluster.
    pub fn demo(variant: Variant) -> Result<Env> {
        let kept = KEPT_CLUSTER.lock().ok().and_then(|c| c.clone());
        if let Some(cluster) = kept {
            let demo = take_prepared(variant).or_else(|| new_database(cluster.clone(), variant).ok());
            if let Some(demo) = demo {
                prepare_next(cluster, variant);
                return Ok(Env::on_demo(demo));
            }
            // the server is gone: start another below
        }
        let demo = block_on(Demo::start(variant))?;
        if let Ok(mut kept) = KEPT_CLUSTER.lock() {
            *kept = Some(demo.cluster().clone());
        }
        prepare_next(demo.cluster().clone(), variant);
        Ok(Env::on_demo(demo))
    }

    /// Wraps a demo that is already running (tests share one cluster this way).
    pub fn on_demo(demo: Demo) -> Env {
        let config = demo.config();
        let notice = Notice::Info(format!("using the embedded demo ({})", demo.variant.label()));
        Env { config, demo: Some(demo), bridge_bin: None, notice, planted: Vec::new() }
    }

    /// A one-line description: which environment, which database (no secrets).
    pub fn describe(&self) -> String {
        self.description().to_string()
    }

    /// Which environment, which database, which index (no secrets).
    pub fn description(&self) -> Description {
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
        Description { environment: self.config.environment.clone(), database: db, pinecone: pc }
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

    /// Runs all four checks: at the same time when this build includes them all (as `bridge
    /// check` does), otherwise one after another, the missing ones through the `bridge` binary.
    pub fn report(&self) -> Report {
        if CheckId::ALL.iter().all(|id| self.runs_here(*id)) {
            return block_on(crate::run_checks(&self.config, &[]));
        }
        Report::new(self.config.environment.clone(), CheckId::ALL.iter().map(|id| self.check(*id)).collect())
    }

    /// The recap of what M11.1 shipped, read from this environment: tenants, tenant-scoped
    /// tables with their row-level security, policies, and each tenant's data under its own
    /// context. A problem is shown in the output, not raised.
    pub fn recap(&self) -> Html {
        match block_on(super::recap::gather(&self.config)) {
            Ok(r) => Html(super::recap::html(&r)),
            Err(e) => Html(crate::render::html::warning(&format!("recap unavailable: {e}"))),
        }
    }

    /// The call-forward preview: what moving each tenant's small requests to a cheaper model
    /// would save per month, under `assumptions`. A problem is shown in the output (and kept in
    /// [`Preview::error`]), not raised.
    pub fn callforward(&self, assumptions: &Assumptions) -> Preview {
        block_on(super::callforward::preview(&self.config, assumptions)).unwrap_or_else(|e| Preview {
            assumptions: assumptions.clone(),
            tenants: Vec::new(),
            error: Some(e.to_string()),
        })
    }

    /// Runs a read-only SQL query on the application's connection and returns the rows as text
    /// in an HTML table (for the recap and for experiments).
    pub fn sql(&self, sql: &str) -> Result<Html> {
        let target = self
            .config
            .database
            .clone()
            .ok_or_else(|| crate::Error::config("DATABASE_URL is not set", "set it, or use the demo"))?;
        let sql = sql.to_string();
        block_on(async move {
            let mut c = crate::db::connect(&target).await?;
            let tx = crate::db::read_only_session(&mut c).await?;
            let rows = crate::db::run_typed_sql(&tx, &sql).await?;
            let _ = tx.rollback().await;
            Ok(Html(simple_rows_html(&rows)))
        })
    }
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

/// The prepared demo database when it is of `variant` and its server still answers.
fn take_prepared(variant: Variant) -> Option<Demo> {
    let demo = PREPARED.lock().ok()?.take().filter(|d| d.variant == variant)?;
    block_on(crate::db::connect(&demo.admin)).ok().map(|_| demo)
}

/// A new demo database of `variant` in a running cluster, under the cluster's next free name.
fn new_database(cluster: std::sync::Arc<DemoCluster>, variant: Variant) -> Result<Demo> {
    let dbname = cluster.unique_dbname();
    block_on(Demo::create_in(cluster, &dbname, variant))
}

/// Loads the next demo database of `variant` into `cluster` on a background thread.
fn prepare_next(cluster: std::sync::Arc<DemoCluster>, variant: Variant) {
    std::thread::spawn(move || {
        if let Ok(demo) = new_database(cluster, variant) {
            if let Ok(mut prepared) = PREPARED.lock() {
                *prepared = Some(demo);
            }
        }
    });
}
