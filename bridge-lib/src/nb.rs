//! A synchronous front for the notebook.
//!
//! The Rust kernel runs each cell as plain code; these functions run the async library on a
//! private runtime so cells need no `.await` (evcxr cannot infer the types of awaited values)
//! and stay short. Every function returns a value whose `evcxr_display` renders HTML.

use crate::config::Config;
use crate::demo::{Demo, Variant};
use crate::report::{CheckId, CheckOutcome, Report};
use crate::Result;
use std::future::Future;

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
    /// The configuration every check uses.
    pub config: Config,
    /// The running demo, when the demo is used.
    pub demo: Option<Demo>,
}

impl Env {
    /// From the environment; with nothing configured, starts the clean demo.
    pub fn from_env_or_demo() -> Result<Env> {
        let config = Config::from_env()?;
        if config.is_unconfigured() {
            Env::demo(Variant::Clean)
        } else {
            Ok(Env { config, demo: None })
        }
    }

    /// Starts the demo (`Variant::Broken` to watch the checks catch planted flaws).
    pub fn demo(variant: Variant) -> Result<Env> {
        let demo = block_on(Demo::start(variant))?;
        let config = demo.config();
        Ok(Env { config, demo: Some(demo) })
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

    /// Runs one check.
    pub fn check(&self, id: CheckId) -> CheckOutcome {
        block_on(crate::run_check(&self.config, id))
    }

    /// Runs the capacity check (#3) and draws each tenant's namespace as a bar against its quota.
    pub fn capacity_chart(&self) -> crate::Html {
        crate::render::capacity_chart(&self.check(CheckId::Capacity))
    }

    /// Runs all four checks.
    pub fn report(&self) -> Report {
        block_on(crate::run_checks(&self.config, &[]))
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
            let tx = c
                .build_transaction()
                .read_only(true)
                .start()
                .await
                .map_err(|e| crate::Error::query("starting a read-only transaction", &e))?;
            let rows = tx.simple_query(&sql).await.map_err(|e| crate::Error::query("running the query", &e))?;
            let _ = tx.rollback().await;
            Ok(crate::Html(simple_rows_html(&rows)))
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
