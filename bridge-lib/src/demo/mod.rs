//! The embedded demo environment: a throwaway PostgreSQL with the reference M11.1 schema and
//! sample data, plus the sample cost exports and Pinecone snapshot shipped under `data/demo/`.
//!
//! With no configuration at all, the CLI and the notebook run every check against it, so a
//! first run shows real results. `Variant::Broken` plants known flaws for the checks to catch.

pub mod cluster;
pub mod pinecone_standin;

use crate::config::{Config, DbTarget};
use crate::{db, Error, Result};
pub use cluster::PgCluster;
pub use pinecone_standin::PineconeStandIn;
use std::path::PathBuf;
use std::sync::Arc;

/// The moment the demo's sample data is read as of (its ledger ends the day before).
pub const DEMO_AS_OF: &str = "2026-12-01T00:00:00Z";
/// The demo's database name.
pub const DBNAME: &str = "bridge_demo";
/// The demo application role's password (a throwaway cluster on loopback).
pub const APP_PASSWORD: &str = "bridge-demo-app";
/// The demo application role.
pub const APP_ROLE: &str = "bridge_app";
/// The role that owns the demo tables.
pub const OWNER_ROLE: &str = "bridge_owner";

const ROLES_SQL: &str = include_str!("../../../data/demo/roles.sql");
const SCHEMA_SQL: &str = include_str!("../../../data/demo/schema.sql");
const SEED_SQL: &str = include_str!("../../../data/demo/seed.sql");
const BROKEN_SQL: &str = include_str!("../../../data/demo/broken.sql");
/// Seeds one test tenant end to end (documents, chunks, a usage row), run under its context.
pub const SEED_TENANT_SQL: &str = include_str!("../../../data/demo/seed_tenant.sql");

/// Which demo to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Everything configured correctly: every check passes.
    Clean,
    /// Known flaws planted for each check to catch.
    Broken,
}

impl Variant {
    /// `demo` or `demo broken`.
    pub fn label(self) -> &'static str {
        match self {
            Variant::Clean => "demo",
            Variant::Broken => "demo broken",
        }
    }
}

impl std::str::FromStr for Variant {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "" | "clean" => Ok(Variant::Clean),
            "broken" => Ok(Variant::Broken),
            other => Err(Error::config(format!("unknown demo variant `{other}`"), "use `--demo` or `--demo broken`")),
        }
    }
}

/// A cluster shared by several demo databases (one per test), with the roles created once.
#[derive(Debug)]
pub struct DemoCluster {
    /// The running server.
    pub pg: PgCluster,
    roles: tokio::sync::OnceCell<()>,
    next: std::sync::atomic::AtomicUsize,
}

impl DemoCluster {
    /// Starts a new cluster (blocking for about two seconds).
    pub fn start() -> Result<Arc<Self>> {
        Ok(Arc::new(DemoCluster { pg: PgCluster::start()?, roles: tokio::sync::OnceCell::new(), next: 0.into() }))
    }

    /// A fresh, unique database name (`bridge_demo_<n>`).
    pub fn unique_dbname(&self) -> String {
        format!("{DBNAME}_{}", self.next.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
    }

    async fn ensure_roles(&self) -> Result<()> {
        self.roles
            .get_or_try_init(|| async {
                let c = db::connect(&self.pg.superuser("postgres")).await?;
                c.batch_execute(ROLES_SQL).await.map_err(|e| Error::query("creating the demo roles", &e))
            })
            .await
            .map(|_| ())
    }
}

/// A loaded demo database and the connections to use it.
#[derive(Debug, Clone)]
pub struct Demo {
    cluster: Arc<DemoCluster>,
    /// The application role (`bridge_app`) over loopback TCP with its password.
    pub app: DbTarget,
    /// The superuser on the demo database, over the unix socket.
    pub admin: DbTarget,
    /// Which variant was loaded.
    pub variant: Variant,
}

impl Demo {
    /// Starts a new cluster and loads the demo into it.
    pub async fn start(variant: Variant) -> Result<Demo> {
        let cluster = tokio::task::spawn_blocking(DemoCluster::start)
            .await
            .map_err(|e| Error::demo(format!("start-up task failed: {e}"), "run it again"))??;
        Demo::create_in(cluster, DBNAME, variant).await
    }

    /// Creates database `dbname` in a running cluster and loads the demo into it.
    pub async fn create_in(cluster: Arc<DemoCluster>, dbname: &str, variant: Variant) -> Result<Demo> {
        cluster.ensure_roles().await?;
        let su = db::connect(&cluster.pg.superuser("postgres")).await?;
        su.batch_execute(&format!("CREATE DATABASE {} OWNER {OWNER_ROLE}", db::quote_ident(dbname)))
            .await
            .map_err(|e| Error::query(format!("creating database {dbname}"), &e))?;
        let admin = cluster.pg.superuser(dbname);
        let c = db::connect(&admin).await?;
        let steps: [(&str, String); 3] = [
            ("loading the demo schema", format!("SET ROLE {OWNER_ROLE};\n{SCHEMA_SQL}\nRESET ROLE;")),
            ("loading the demo data", SEED_SQL.to_string()),
            (
                "planting the broken demo's flaws",
                if variant == Variant::Broken { BROKEN_SQL.to_string() } else { String::new() },
            ),
        ];
        for (what, sql) in steps {
            c.batch_execute(&sql).await.map_err(|e| Error::query(what, &e))?;
        }
        let app = cluster.pg.tcp(APP_ROLE, APP_PASSWORD, dbname);
        Ok(Demo { cluster, app, admin, variant })
    }

    /// The cluster this demo lives in.
    pub fn cluster(&self) -> &Arc<DemoCluster> {
        &self.cluster
    }

    /// A configuration that points every check at this demo.
    pub fn config(&self) -> Config {
        Config {
            database: Some(self.app.clone()),
            admin_database: Some(self.admin.clone()),
            data_dir: Some(data_dir()),
            capacity: self.capacity_config(),
            environment: self.variant.label().to_string(),
            cost: demo_cost_config(),
            ..Config::default()
        }
    }
}

impl Demo {
    /// [`Demo::config`] with the index read live from a local Pinecone stand-in instead of the
    /// saved snapshot (the lifecycle run writes to it).
    pub fn config_with(&self, standin: &PineconeStandIn) -> Config {
        let mut cfg = self.config();
        cfg.capacity.snapshot = None;
        cfg.pinecone = Some(standin.config());
        cfg
    }

    /// The capacity check offline on the shipped Pinecone snapshot (no API key needed) and its
    /// snapshot history; the broken demo's snapshot has a namespace over 80% and an orphan.
    pub fn capacity_config(&self) -> crate::config::CapacityConfig {
        let stats = match self.variant {
            Variant::Clean => "pinecone_stats.json",
            Variant::Broken => "pinecone_stats_broken.json",
        };
        crate::config::CapacityConfig {
            snapshot: Some(data_dir().join(stats)),
            history: Some(data_dir().join("pinecone_history.jsonl")),
            // the sample ledger ends on 2026-11-30: dormancy counts from then, not from today
            as_of: Some(DEMO_AS_OF.into()),
            ..Default::default()
        }
    }
}

/// The cost check on the demo: the seed's `usage_events` (read through the admin connection)
/// against the shipped exports: OpenAI costs JSON, Anthropic cost report JSON and Pinecone's
/// invoice CSV (with its platform-minimum and tax lines), and the OpenAI and Anthropic usage
/// exports the gap explanation reads (`make_usage.py`). `data/demo/cost/focus.csv` holds the
/// same bills as one FOCUS export. The broken demo's flaw is in `broken.sql`.
pub fn demo_cost_config() -> crate::config::CostConfig {
    let dir = data_dir().join("cost");
    crate::config::CostConfig {
        billed_files: ["openai_costs.json", "anthropic_cost_report.json", "pinecone_invoice.csv"]
            .iter()
            .map(|f| dir.join(f))
            .collect(),
        explain: crate::checks::cost::explain::ExplainConfig {
            usage_files: vec![dir.join("openai_usage_completions.json"), dir.join("anthropic_usage_report.json")],
            ..Default::default()
        },
        ..crate::config::CostConfig::default()
    }
}

/// The folder of shipped sample data (`data/demo/` at the top of the repository).
pub fn data_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("data").join("demo");
    // without the `..`, so paths in evidence read plainly and match what a child process reports
    std::fs::canonicalize(&dir).unwrap_or(dir)
}
