//! Configuration: from the environment and an optional `.env`, with conventions that have
//! defaults and can be overridden. Secrets are held in [`Secret`] and never printed.

use crate::secret::Secret;
use crate::{Error, Result};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// How the PostgreSQL connection uses TLS, with libpq's meaning of each `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `sslmode=disable`: plain TCP or a unix socket.
    Disable,
    /// `sslmode=prefer` (libpq's default): TLS when the server offers it, certificate not verified.
    Prefer,
    /// `sslmode=require`: TLS or nothing, certificate not verified (libpq's meaning).
    Require,
    /// `sslmode=verify-ca` or `verify-full`: TLS with the certificate verified against the
    /// Mozilla roots (or `sslrootcert`) and the host name checked.
    VerifyFull,
}

/// Where and how to connect to PostgreSQL. `Debug` shows no password.
#[derive(Clone)]
pub struct DbTarget {
    pub(crate) pg: tokio_postgres::Config,
    /// TLS behaviour.
    pub tls: TlsMode,
    /// A PEM file of root certificates (`sslrootcert`), for `verify-full`.
    pub root_cert: Option<PathBuf>,
    password: Option<Secret>,
    /// The text this target was parsed from (it may hold the password), so a child process
    /// gets exactly what the user configured.
    source: Option<Secret>,
}

impl DbTarget {
    /// Parses a `DATABASE_URL`: a `postgres://` URL or libpq `key=value` pairs.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::config(
                "DATABASE_URL is empty",
                "set DATABASE_URL=postgres://user:password@host:5432/dbname",
            ));
        }
        let (cleaned, tls_override, root_cert) = extract_libpq_only_options(text);
        let pg = tokio_postgres::Config::from_str(&cleaned).map_err(|e| {
            Error::config(
                format!("DATABASE_URL `{}` does not parse: {e}", redact_url(text)),
                "use postgres://user:password@host:5432/dbname or `host=… user=… dbname=…`",
            )
        })?;
        let tls = tls_override.unwrap_or(match pg.get_ssl_mode() {
            tokio_postgres::config::SslMode::Disable => TlsMode::Disable,
            tokio_postgres::config::SslMode::Require => TlsMode::Require,
            _ => TlsMode::Prefer,
        });
        let password = pg.get_password().map(|p| Secret::new(String::from_utf8_lossy(p).into_owned()));
        let mut target = DbTarget { pg, tls, root_cert, password, source: Some(Secret::new(text)) };
        if target.pg.get_connect_timeout().is_none() {
            target.pg.connect_timeout(Duration::from_secs(5));
        }
        if target.pg.get_application_name().is_none() {
            target.pg.application_name("bridge");
        }
        Ok(target)
    }

    /// Builds a target from parts (used by the demo environment).
    pub fn from_parts(host: &str, port: u16, user: &str, password: Option<&str>, dbname: &str) -> Self {
        let mut pg = tokio_postgres::Config::new();
        pg.host(host).port(port).user(user).dbname(dbname).application_name("bridge");
        pg.connect_timeout(Duration::from_secs(5));
        if let Some(p) = password {
            pg.password(p);
        }
        DbTarget { pg, tls: TlsMode::Disable, root_cert: None, password: password.map(Secret::new), source: None }
    }

    /// The same target as another user (the demo's admin and app roles share a cluster).
    pub fn with_user(&self, user: &str, password: Option<&str>) -> Self {
        let mut t = self.clone();
        t.pg.user(user);
        t.password = password.map(Secret::new);
        t.source = None;
        if let Some(p) = password {
            t.pg.password(p);
        }
        t
    }

    /// The same target on another database.
    pub fn with_dbname(&self, dbname: &str) -> Self {
        let mut t = self.clone();
        t.pg.dbname(dbname);
        t.source = None;
        t
    }

    /// The login role.
    pub fn user(&self) -> &str {
        self.pg.get_user().unwrap_or("")
    }

    /// The database name.
    pub fn dbname(&self) -> &str {
        self.pg.get_dbname().unwrap_or("")
    }

    /// The password, if any, for scrubbing messages.
    pub fn password(&self) -> Option<&Secret> {
        self.password.as_ref()
    }

    /// A libpq connection string for another process (the `bridge` binary run by the notebook):
    /// the configured text when this target was parsed, otherwise `key='value'` pairs built
    /// from the parts. It holds the password, so it stays a [`Secret`].
    pub fn connection_string(&self) -> Secret {
        if let Some(source) = &self.source {
            return source.clone();
        }
        let quote = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
        let hosts = self.hosts();
        let ports = self.pg.get_ports().iter().map(u16::to_string).collect::<Vec<_>>();
        let mut parts = Vec::new();
        if !hosts.is_empty() {
            parts.push(format!("host={}", quote(&hosts.join(","))));
        }
        if !ports.is_empty() {
            parts.push(format!("port={}", quote(&ports.join(","))));
        }
        parts.push(format!("user={}", quote(self.user())));
        parts.push(format!("dbname={}", quote(self.dbname())));
        if let Some(p) = &self.password {
            parts.push(format!("password={}", quote(p.expose())));
        }
        if let Some(o) = self.pg.get_options() {
            parts.push(format!("options={}", quote(o)));
        }
        let sslmode = match self.tls {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyFull => "verify-full",
        };
        parts.push(format!("sslmode={sslmode}"));
        if let Some(root) = &self.root_cert {
            parts.push(format!("sslrootcert={}", root.display()));
        }
        Secret::new(parts.join(" "))
    }

    /// The host names and unix-socket folders, as text.
    fn hosts(&self) -> Vec<String> {
        let show = |h: &tokio_postgres::config::Host| match h {
            tokio_postgres::config::Host::Tcp(s) => s.clone(),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        };
        self.pg.get_hosts().iter().map(show).collect()
    }

    /// A URL-like description without the password, for messages and reports.
    pub fn redacted(&self) -> String {
        let host = self.hosts().into_iter().next().unwrap_or_else(|| "localhost".into());
        let port = self.pg.get_ports().first().copied().unwrap_or(5432);
        format!("postgres://{}@{}:{}/{}", self.user(), host, port, self.dbname())
    }
}

impl fmt::Debug for DbTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbTarget")
            .field("url", &self.redacted())
            .field("tls", &self.tls)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// Removes the libpq options tokio-postgres does not parse (`sslmode=verify-*`, `sslrootcert`)
/// and returns them apart.
fn extract_libpq_only_options(text: &str) -> (String, Option<TlsMode>, Option<PathBuf>) {
    let mut tls = None;
    let mut root = None;
    let is_url = text.starts_with("postgres://") || text.starts_with("postgresql://");
    let (sep, head, params): (char, String, Vec<String>) = if is_url {
        match text.split_once('?') {
            Some((h, q)) => ('&', h.to_string(), q.split('&').map(str::to_string).collect()),
            None => return (text.to_string(), None, None),
        }
    } else {
        (' ', String::new(), text.split_whitespace().map(str::to_string).collect())
    };
    let mut kept = Vec::new();
    for p in params {
        let (k, v) = p.split_once('=').unwrap_or((p.as_str(), ""));
        match (k, v) {
            ("sslmode", "verify-full" | "verify-ca") => {
                tls = Some(TlsMode::VerifyFull);
                kept.push("sslmode=require".to_string());
            }
            ("sslrootcert", path) => root = Some(PathBuf::from(path)),
            _ => kept.push(p.clone()),
        }
    }
    let rebuilt = if is_url {
        if kept.is_empty() {
            head
        } else {
            format!("{head}?{}", kept.join(&sep.to_string()))
        }
    } else {
        kept.join(" ")
    };
    (rebuilt, tls, root)
}

/// Hides the password in a `postgres://user:password@host` URL or a `password=…` pair.
pub fn redact_url(text: &str) -> String {
    let mut out = text.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        if let Some(at) = out[rest_start..].find('@') {
            let userinfo = &out[rest_start..rest_start + at];
            if let Some(colon) = userinfo.find(':') {
                let start = rest_start + colon + 1;
                out.replace_range(start..rest_start + at, "[redacted]");
            }
        }
    }
    // key=value form
    let mut words: Vec<String> = out.split(' ').map(str::to_string).collect();
    for w in &mut words {
        if let Some(rest) = w.strip_prefix("password=") {
            if !rest.is_empty() {
                *w = "password=[redacted]".into();
            }
        }
    }
    words.join(" ")
}

/// Pinecone settings. `Debug` hides the key.
#[derive(Clone, Debug)]
pub struct PineconeConfig {
    /// The API key (`PINECONE_API_KEY`).
    pub api_key: Secret,
    /// The index name (`PINECONE_INDEX`), resolved to a host through the control plane.
    pub index: Option<String>,
    /// The index host (`PINECONE_INDEX_HOST`), which skips the control-plane call.
    pub host: Option<String>,
    /// The control-plane base URL (`PINECONE_CONTROLLER_URL`), default `https://api.pinecone.io`.
    pub controller_url: String,
    /// The pinned API version sent as `X-Pinecone-Api-Version` (`PINECONE_API_VERSION`), default
    /// [`crate::pinecone::DEFAULT_API_VERSION`].
    pub api_version: String,
    /// The TCP/TLS connect timeout; defaults to 5 s.
    pub connect_timeout: Duration,
    /// The timeout of one request (`BRIDGE_PINECONE_TIMEOUT_SECS`); defaults to 10 s.
    pub request_timeout: Duration,
    /// Retries after a 429, a 5xx or a transport failure (`BRIDGE_PINECONE_RETRIES`); defaults to 3.
    pub max_retries: u32,
}

impl PineconeConfig {
    /// Settings for `api_key` with every default: the public control plane, the pinned API
    /// version, 5 s to connect, 10 s a request, 3 retries.
    pub fn new(api_key: impl Into<String>) -> Self {
        PineconeConfig {
            api_key: Secret::new(api_key),
            index: None,
            host: None,
            controller_url: "https://api.pinecone.io".into(),
            api_version: crate::pinecone::DEFAULT_API_VERSION.into(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            max_retries: 3,
        }
    }
}

/// Settings of the capacity check (#3).
#[derive(Clone, Debug, PartialEq)]
pub struct CapacityConfig {
    /// A saved `describe_index_stats` response to read instead of calling Pinecone
    /// (`BRIDGE_PINECONE_SNAPSHOT`, offline mode); default none.
    pub snapshot: Option<PathBuf>,
    /// Snapshots over time, one JSON line each, for the forecast (`BRIDGE_CAPACITY_HISTORY`);
    /// default none (no forecast).
    pub history: Option<PathBuf>,
    /// Tier → per-tenant record quota (`BRIDGE_TIER_QUOTAS`, `tier=records,…`); default
    /// `starter=100000,pro=1000000,enterprise=10000000`.
    pub tier_quotas: std::collections::BTreeMap<String, u64>,
    /// Prefix before the tenant id in the namespace name (`BRIDGE_NAMESPACE_PREFIX`); default empty.
    pub namespace_prefix: String,
    /// Namespaces the plan allows per serverless index (`BRIDGE_NAMESPACE_LIMIT`: a number or
    /// `starter` 100, `builder` 1000, `standard` 100000, `enterprise` 100000); default 100000.
    pub namespace_limit: u64,
    /// Days ahead the forecast looks (`BRIDGE_CAPACITY_HORIZON_DAYS`); default 30.
    pub horizon_days: f64,
}

impl Default for CapacityConfig {
    fn default() -> Self {
        CapacityConfig {
            snapshot: None,
            history: None,
            tier_quotas: [("starter", 100_000), ("pro", 1_000_000), ("enterprise", 10_000_000)]
                .into_iter()
                .map(|(t, q)| (t.to_string(), q))
                .collect(),
            namespace_prefix: String::new(),
            namespace_limit: 100_000,
            horizon_days: 30.0,
        }
    }
}

impl CapacityConfig {
    fn read(get: &impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut c = CapacityConfig {
            snapshot: get("BRIDGE_PINECONE_SNAPSHOT").map(PathBuf::from),
            history: get("BRIDGE_CAPACITY_HISTORY").map(PathBuf::from),
            ..CapacityConfig::default()
        };
        if let Some(v) = get("BRIDGE_TIER_QUOTAS") {
            c.tier_quotas = parse_tier_quotas(&v)?;
        }
        if let Some(v) = get("BRIDGE_NAMESPACE_PREFIX") {
            c.namespace_prefix = v;
        }
        if let Some(v) = get("BRIDGE_NAMESPACE_LIMIT") {
            c.namespace_limit = match v.trim().to_ascii_lowercase().as_str() {
                "starter" => 100,
                "builder" => 1_000,
                "standard" | "enterprise" => 100_000,
                n => n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    Error::config(
                        format!("BRIDGE_NAMESPACE_LIMIT `{v}` is not a plan name or a positive number"),
                        "set starter, builder, standard, enterprise or the limit from your Pinecone contract",
                    )
                })?,
            };
        }
        if let Some(v) = get("BRIDGE_CAPACITY_HORIZON_DAYS") {
            c.horizon_days = v.trim().parse().ok().filter(|d: &f64| *d > 0.0 && d.is_finite()).ok_or_else(|| {
                Error::config(
                    format!("BRIDGE_CAPACITY_HORIZON_DAYS `{v}` is not a positive number of days"),
                    "set it to a number such as 30",
                )
            })?;
        }
        Ok(c)
    }
}

/// Parses `starter=100000,pro=1000000` (also `:` and `;`, and `_` in numbers).
pub fn parse_tier_quotas(v: &str) -> Result<std::collections::BTreeMap<String, u64>> {
    let bad = |part: &str| {
        Error::config(
            format!("BRIDGE_TIER_QUOTAS entry `{part}` is not `tier=records`"),
            "write it as starter=100000,pro=1000000,enterprise=10000000",
        )
    };
    let mut out = std::collections::BTreeMap::new();
    for part in v.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        let (tier, n) = part.split_once(['=', ':']).ok_or_else(|| bad(part))?;
        let n: u64 = n.trim().replace('_', "").parse().map_err(|_| bad(part))?;
        if tier.trim().is_empty() || n == 0 {
            return Err(bad(part));
        }
        out.insert(tier.trim().to_string(), n);
    }
    Ok(out)
}

/// Which cross-tenant write probes the RLS check runs (`BRIDGE_PROBE_WRITES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProbeWrites {
    /// Every write probe, even one that fires a trigger or rule (whose sequence advances and
    /// outside effects a rollback cannot undo).
    All,
    /// Only write probes that fire no trigger or rule (the default): nothing survives the rollback.
    #[default]
    Safe,
    /// No write probe.
    Off,
}

impl ProbeWrites {
    /// `all`, `safe` or `off`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeWrites::All => "all",
            ProbeWrites::Safe => "safe",
            ProbeWrites::Off => "off",
        }
    }
}

impl FromStr for ProbeWrites {
    type Err = Error;
    fn from_str(v: &str) -> Result<Self> {
        match v.trim().to_ascii_lowercase().as_str() {
            "all" => Ok(ProbeWrites::All),
            "safe" => Ok(ProbeWrites::Safe),
            "off" => Ok(ProbeWrites::Off),
            _ => Err(Error::config(
                format!("BRIDGE_PROBE_WRITES `{v}` is not all, safe or off"),
                "set BRIDGE_PROBE_WRITES=safe (the default), all or off",
            )),
        }
    }
}

/// Everything the checks need. Build it with [`Config::from_env`] or by hand.
#[derive(Clone, Debug)]
pub struct Config {
    /// The application's database (`DATABASE_URL`): the role the app really uses.
    pub database: Option<DbTarget>,
    /// A privileged connection for provisioning (`BRIDGE_ADMIN_DATABASE_URL`), default the same
    /// as `database`.
    pub admin_database: Option<DbTarget>,
    /// The tenants table (`BRIDGE_TENANTS_TABLE`, default `tenants`) with `id`, `is_test`, `tier`.
    pub tenants_table: String,
    /// The tenant column of tenant-scoped tables (`BRIDGE_TENANT_COLUMN`, default `tenant_id`).
    pub tenant_column: String,
    /// The setting that carries the tenant context (`BRIDGE_TENANT_SETTING`, default
    /// `app.current_tenant`), set transaction-locally with `set_config(name, value, true)`.
    pub tenant_setting: String,
    /// How many test tenants readiness needs (`BRIDGE_MIN_TEST_TENANTS`, default 3).
    pub min_test_tenants: usize,
    /// Pinecone, when `PINECONE_API_KEY` is set.
    pub pinecone: Option<PineconeConfig>,
    /// The capacity check's quotas, snapshot and forecast settings.
    pub capacity: CapacityConfig,
    /// Suppressed findings: (key, reason), from the file in `BRIDGE_SUPPRESSIONS`.
    pub suppressions: Vec<(String, String)>,
    /// Where the demo's data files live (cost exports, the Pinecone snapshot), when running
    /// on the demo.
    pub data_dir: Option<PathBuf>,
    /// A label for reports: `configured`, `demo`, `demo broken`.
    pub environment: String,
    /// How the application sets the tenant context (`BRIDGE_TENANT_CONTEXT_SQL`), with
    /// `{tenant}` standing for the quoted tenant id; default
    /// `SELECT set_config('<tenant_setting>', {tenant}, true)`.
    pub tenant_context_sql: Option<String>,
    /// Tenants the RLS probe uses (`BRIDGE_PROBE_TENANTS=a,b`); default: read from the tenants
    /// table, test tenants first.
    pub probe_tenants: Vec<String>,
    /// How many tenants the RLS probe reads from the tenants table (default 3).
    pub probe_tenant_count: usize,
    /// Limits the RLS audit to these relations (`BRIDGE_TENANT_TABLES=documents,chunks`);
    /// default: every relation with the tenant column.
    pub tenant_tables: Vec<String>,
    /// Tenant values that mark rows shared by every tenant (`BRIDGE_SHARED_TENANT=global,*`);
    /// a NULL tenant always counts as shared.
    pub shared_tenants: Vec<String>,
    /// Which cross-tenant write probes the RLS check runs (`BRIDGE_PROBE_WRITES`, default `safe`).
    pub probe_writes: ProbeWrites,
    /// More names of tenant key columns the RLS audit looks for (`BRIDGE_TENANT_COLUMNS=
    /// tenant_id,org_id,account_id`); default: only `tenant_column`. Columns with a foreign key
    /// to the tenants table are tenant keys whatever their name.
    pub tenant_columns: Vec<String>,
    /// Cost reconciliation settings (`BRIDGE_COST_*`, `BRIDGE_BILLED_FILES`, `BRIDGE_ALLOCATED_FILES`).
    pub cost: CostConfig,
    /// The RLS check also proves its probe (`bridge check --prove`): it plants mutants through
    /// `admin_database` in one transaction that is rolled back. Default off.
    pub rls_prove: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: None,
            admin_database: None,
            tenants_table: "tenants".into(),
            tenant_column: "tenant_id".into(),
            tenant_setting: "app.current_tenant".into(),
            min_test_tenants: 3,
            pinecone: None,
            capacity: CapacityConfig::default(),
            suppressions: Vec::new(),
            data_dir: None,
            environment: "configured".into(),
            tenant_context_sql: None,
            probe_tenants: Vec::new(),
            probe_tenant_count: 3,
            tenant_tables: Vec::new(),
            shared_tenants: Vec::new(),
            probe_writes: ProbeWrites::Safe,
            tenant_columns: Vec::new(),
            cost: CostConfig::default(),
            rls_prove: false,
        }
    }
}

impl Config {
    /// Reads `.env` in the working directory (if present), then the environment.
    pub fn from_env() -> Result<Self> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Builds the configuration from any variable lookup (for tests and embedding).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let mut c = Config::default();
        if let Some(url) = get("DATABASE_URL") {
            c.database = Some(DbTarget::parse(&url)?);
        }
        if let Some(url) = get("BRIDGE_ADMIN_DATABASE_URL") {
            c.admin_database = Some(DbTarget::parse(&url).map_err(|e| match e {
                Error::Config { what, fix } => {
                    Error::Config { what: what.replace("DATABASE_URL", "BRIDGE_ADMIN_DATABASE_URL"), fix }
                }
                other => other,
            })?);
        }
        if let Some(v) = get("BRIDGE_TENANTS_TABLE") {
            c.tenants_table = checked_name("BRIDGE_TENANTS_TABLE", &v)?;
        }
        if let Some(v) = get("BRIDGE_TENANT_COLUMN") {
            c.tenant_column = checked_name("BRIDGE_TENANT_COLUMN", &v)?;
        }
        if let Some(v) = get("BRIDGE_TENANT_SETTING") {
            if !v.contains('.') {
                return Err(Error::config(
                    format!("BRIDGE_TENANT_SETTING `{v}` is not a custom setting name"),
                    "use a dotted name such as app.current_tenant",
                ));
            }
            c.tenant_setting = v;
        }
        if let Some(v) = get("BRIDGE_MIN_TEST_TENANTS") {
            c.min_test_tenants = v.trim().parse().map_err(|_| {
                Error::config(
                    format!("BRIDGE_MIN_TEST_TENANTS `{v}` is not a whole number"),
                    "set it to a number such as 3",
                )
            })?;
        }
        if let Some(key) = get("PINECONE_API_KEY") {
            let mut p = PineconeConfig::new(key);
            p.index = get("PINECONE_INDEX");
            p.host = get("PINECONE_INDEX_HOST");
            if let Some(u) = get("PINECONE_CONTROLLER_URL") {
                p.controller_url = u;
            }
            if let Some(v) = get("PINECONE_API_VERSION") {
                p.api_version = v.trim().to_string();
            }
            if let Some(v) = get("BRIDGE_PINECONE_TIMEOUT_SECS") {
                p.request_timeout = v
                    .trim()
                    .parse()
                    .ok()
                    .filter(|s: &f64| *s > 0.0 && *s <= 60.0)
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| {
                        Error::config(
                            format!("BRIDGE_PINECONE_TIMEOUT_SECS `{v}` is not a number of seconds up to 60"),
                            "set it to a number such as 10",
                        )
                    })?;
            }
            if let Some(v) = get("BRIDGE_PINECONE_RETRIES") {
                p.max_retries = v.trim().parse().ok().filter(|n| *n <= 10).ok_or_else(|| {
                    Error::config(
                        format!("BRIDGE_PINECONE_RETRIES `{v}` is not a whole number up to 10"),
                        "set it to a number such as 3",
                    )
                })?;
            }
            c.pinecone = Some(p);
        }
        c.capacity = CapacityConfig::read(&get)?;
        if let Some(path) = get("BRIDGE_SUPPRESSIONS") {
            c.suppressions = read_suppressions(&PathBuf::from(path))?;
        }
        if let Some(sql) = get("BRIDGE_TENANT_CONTEXT_SQL") {
            if !sql.contains("{tenant}") {
                return Err(Error::config(
                    "BRIDGE_TENANT_CONTEXT_SQL has no {tenant} placeholder",
                    "write the statement the application runs, e.g. SELECT set_config('app.current_tenant', {tenant}, true)",
                ));
            }
            c.tenant_context_sql = Some(sql);
        }
        let list = |v: String| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect::<Vec<_>>();
        if let Some(v) = get("BRIDGE_PROBE_TENANTS") {
            c.probe_tenants = list(v);
        }
        if let Some(v) = get("BRIDGE_TENANT_TABLES") {
            c.tenant_tables = list(v);
        }
        if let Some(v) = get("BRIDGE_SHARED_TENANT") {
            c.shared_tenants = list(v);
        }
        if let Some(v) = get("BRIDGE_PROBE_WRITES") {
            c.probe_writes = v.parse()?;
        }
        if let Some(v) = get("BRIDGE_TENANT_COLUMNS") {
            c.tenant_columns =
                list(v).iter().map(|n| checked_name("BRIDGE_TENANT_COLUMNS", n)).collect::<Result<Vec<_>>>()?;
        }
        if let Some(dir) = get("BRIDGE_DATA_DIR") {
            c.data_dir = Some(PathBuf::from(dir));
        }
        c.cost = CostConfig::from_lookup(&get)?;
        Ok(c)
    }

    /// True when nothing at all is configured: no database and no Pinecone key. The CLI and the
    /// notebook then use the embedded demo.
    pub fn is_unconfigured(&self) -> bool {
        self.database.is_none()
            && self.pinecone.is_none()
            && self.capacity.snapshot.is_none()
            && self.cost.billed_files.is_empty()
    }

    /// The statement that sets the tenant context the way the application does:
    /// `BRIDGE_TENANT_CONTEXT_SQL` with `{tenant}` replaced by the quoted id, or
    /// `SELECT set_config('<tenant_setting>', '<id>', true)`.
    pub fn tenant_context_statement(&self, tenant: &str) -> String {
        let t = crate::db::quote_literal(tenant);
        match &self.tenant_context_sql {
            Some(template) => template.replace("{tenant}", &t),
            None => format!("SELECT set_config({}, {t}, true)", crate::db::quote_literal(&self.tenant_setting)),
        }
    }

    /// The names of tenant key columns, in order of preference: `tenant_column`, then
    /// `BRIDGE_TENANT_COLUMNS`.
    pub fn tenant_column_names(&self) -> Vec<String> {
        let mut out = vec![self.tenant_column.clone()];
        out.extend(self.tenant_columns.iter().filter(|c| **c != self.tenant_column).cloned());
        out.dedup();
        out
    }

    /// The connection used for provisioning.
    pub fn admin(&self) -> Option<&DbTarget> {
        self.admin_database.as_ref().or(self.database.as_ref())
    }

    /// Replaces every configured password and API key in `text` with `[redacted]` (for output
    /// that comes from elsewhere, such as a child process's stderr).
    pub fn scrub(&self, text: &str) -> String {
        let secrets = [
            self.database.as_ref().and_then(|d| d.password()),
            self.admin_database.as_ref().and_then(|d| d.password()),
            self.pinecone.as_ref().map(|p| &p.api_key),
        ];
        secrets.into_iter().flatten().fold(text.to_string(), |t, s| s.scrub(&t))
    }

    /// This configuration as environment variables, for a child process (the `bridge` binary
    /// that runs a check the notebook's build does not include). [`Config::from_lookup`] on
    /// them gives back the same configuration, except the suppressions, which the caller
    /// applies to what the child returns. Values are [`Secret`]s: some hold passwords or keys.
    pub fn child_env(&self) -> Vec<(&'static str, Secret)> {
        let mut v: Vec<(&'static str, Secret)> = Vec::new();
        if let Some(d) = &self.database {
            v.push(("DATABASE_URL", d.connection_string()));
        }
        if let Some(d) = &self.admin_database {
            v.push(("BRIDGE_ADMIN_DATABASE_URL", d.connection_string()));
        }
        v.push(("BRIDGE_TENANTS_TABLE", Secret::new(&self.tenants_table)));
        v.push(("BRIDGE_TENANT_COLUMN", Secret::new(&self.tenant_column)));
        v.push(("BRIDGE_TENANT_SETTING", Secret::new(&self.tenant_setting)));
        v.push(("BRIDGE_MIN_TEST_TENANTS", Secret::new(self.min_test_tenants.to_string())));
        if let Some(p) = &self.pinecone {
            v.push(("PINECONE_API_KEY", p.api_key.clone()));
            v.push(("PINECONE_CONTROLLER_URL", Secret::new(&p.controller_url)));
            if let Some(i) = &p.index {
                v.push(("PINECONE_INDEX", Secret::new(i)));
            }
            if let Some(h) = &p.host {
                v.push(("PINECONE_INDEX_HOST", Secret::new(h)));
            }
            v.push(("PINECONE_API_VERSION", Secret::new(&p.api_version)));
            v.push(("BRIDGE_PINECONE_TIMEOUT_SECS", Secret::new(p.request_timeout.as_secs_f64().to_string())));
            v.push(("BRIDGE_PINECONE_RETRIES", Secret::new(p.max_retries.to_string())));
        }
        if let Some(sql) = &self.tenant_context_sql {
            v.push(("BRIDGE_TENANT_CONTEXT_SQL", Secret::new(sql)));
        }
        if !self.probe_tenants.is_empty() {
            v.push(("BRIDGE_PROBE_TENANTS", Secret::new(self.probe_tenants.join(","))));
        }
        if !self.tenant_tables.is_empty() {
            v.push(("BRIDGE_TENANT_TABLES", Secret::new(self.tenant_tables.join(","))));
        }
        if !self.shared_tenants.is_empty() {
            v.push(("BRIDGE_SHARED_TENANT", Secret::new(self.shared_tenants.join(","))));
        }
        v.push(("BRIDGE_PROBE_WRITES", Secret::new(self.probe_writes.as_str())));
        if !self.tenant_columns.is_empty() {
            v.push(("BRIDGE_TENANT_COLUMNS", Secret::new(self.tenant_columns.join(","))));
        }
        let cap = &self.capacity;
        let path =
            |p: &PathBuf| Secret::new(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()).display().to_string());
        if let Some(p) = &cap.snapshot {
            v.push(("BRIDGE_PINECONE_SNAPSHOT", path(p)));
        }
        if let Some(p) = &cap.history {
            v.push(("BRIDGE_CAPACITY_HISTORY", path(p)));
        }
        let quotas = cap.tier_quotas.iter().map(|(t, q)| format!("{t}={q}")).collect::<Vec<_>>().join(",");
        v.push(("BRIDGE_TIER_QUOTAS", Secret::new(quotas)));
        v.push(("BRIDGE_NAMESPACE_PREFIX", Secret::new(&cap.namespace_prefix)));
        v.push(("BRIDGE_NAMESPACE_LIMIT", Secret::new(cap.namespace_limit.to_string())));
        v.push(("BRIDGE_CAPACITY_HORIZON_DAYS", Secret::new(cap.horizon_days.to_string())));
        if let Some(dir) = &self.data_dir {
            let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
            v.push(("BRIDGE_DATA_DIR", Secret::new(dir.display().to_string())));
        }
        self.cost.push_env(&mut v, &path);
        v
    }
}

/// Every variable [`Config::from_env`] reads. A child process gets these from
/// [`Config::child_env`] only, never inherited.
pub const ENV_VARS: &[&str] = &[
    "DATABASE_URL",
    "BRIDGE_ADMIN_DATABASE_URL",
    "BRIDGE_TENANTS_TABLE",
    "BRIDGE_TENANT_COLUMN",
    "BRIDGE_TENANT_SETTING",
    "BRIDGE_MIN_TEST_TENANTS",
    "PINECONE_API_KEY",
    "PINECONE_INDEX",
    "PINECONE_INDEX_HOST",
    "PINECONE_CONTROLLER_URL",
    "PINECONE_API_VERSION",
    "BRIDGE_PINECONE_TIMEOUT_SECS",
    "BRIDGE_PINECONE_RETRIES",
    "BRIDGE_TENANT_CONTEXT_SQL",
    "BRIDGE_PROBE_TENANTS",
    "BRIDGE_TENANT_TABLES",
    "BRIDGE_SHARED_TENANT",
    "BRIDGE_PROBE_WRITES",
    "BRIDGE_TENANT_COLUMNS",
    "BRIDGE_PINECONE_SNAPSHOT",
    "BRIDGE_CAPACITY_HISTORY",
    "BRIDGE_TIER_QUOTAS",
    "BRIDGE_NAMESPACE_PREFIX",
    "BRIDGE_NAMESPACE_LIMIT",
    "BRIDGE_CAPACITY_HORIZON_DAYS",
    "BRIDGE_SUPPRESSIONS",
    "BRIDGE_DATA_DIR",
    "BRIDGE_BILLED_FILES",
    "BRIDGE_ALLOCATED_FILES",
    "BRIDGE_COST_TABLE",
    "BRIDGE_COST_COL_TENANT",
    "BRIDGE_COST_COL_PROVIDER",
    "BRIDGE_COST_COL_MODEL",
    "BRIDGE_COST_COL_TIME",
    "BRIDGE_COST_COL_COST",
    "BRIDGE_COST_WARN",
    "BRIDGE_COST_FAIL",
    "BRIDGE_COST_CURRENCY",
    "BRIDGE_COST_PROVIDERS",
    "BRIDGE_COST_UNALLOCATABLE",
    "BRIDGE_COST_TOP_TENANTS",
];

/// Accepts `name` or `schema.name` made of letters, digits and underscores.
fn checked_name(var: &str, v: &str) -> Result<String> {
    let ok = !v.is_empty()
        && v.split('.').count() <= 2
        && v.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    if ok {
        Ok(v.to_string())
    } else {
        Err(Error::config(
            format!("{var} `{v}` is not a table or column name"),
            "use letters, digits and underscores, optionally schema.name",
        ))
    }
}

/// Reads a suppression file: one `KEY reason…` per line, `#` starts a comment line.
fn read_suppressions(path: &PathBuf) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Input {
        location: path.display().to_string(),
        reason: format!("cannot read the suppression file: {e}"),
        fix: "point BRIDGE_SUPPRESSIONS at a file of `CODE:object reason` lines".into(),
    })?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        if reason.trim().is_empty() {
            return Err(Error::Input {
                location: format!("{}:{}", path.display(), n + 1),
                reason: format!("suppression `{key}` has no reason"),
                fix: "write the reason after the key: `RLS004:public.documents accepted by security review`".into(),
            });
        }
        out.push((key.to_string(), reason.trim().to_string()));
    }
    Ok(out)
}

/// Column names of the allocated-cost ledger (a table or CSV/Parquet files).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerColumns {
    /// The tenant (`BRIDGE_COST_COL_TENANT`, default `tenant_id`).
    pub tenant: String,
    /// The provider, such as `openai` (`BRIDGE_COST_COL_PROVIDER`, default `provider`).
    pub provider: String,
    /// The model (`BRIDGE_COST_COL_MODEL`, default `model`).
    pub model: String,
    /// When the cost was incurred, in UTC (`BRIDGE_COST_COL_TIME`, default `occurred_at`).
    pub time: String,
    /// The allocated cost in the billing currency (`BRIDGE_COST_COL_COST`, default `cost_usd`).
    pub cost: String,
}

impl LedgerColumns {
    /// Each column with the variable that names it, in ledger order.
    pub fn by_variable(&self) -> [(&'static str, &str); 5] {
        [
            ("BRIDGE_COST_COL_TENANT", &self.tenant),
            ("BRIDGE_COST_COL_PROVIDER", &self.provider),
            ("BRIDGE_COST_COL_MODEL", &self.model),
            ("BRIDGE_COST_COL_TIME", &self.time),
            ("BRIDGE_COST_COL_COST", &self.cost),
        ]
    }
}

/// Settings of the cost reconciliation check (#2).
#[derive(Clone, Debug, PartialEq)]
pub struct CostConfig {
    /// The provider exports that are the truth: plain invoice CSV, FOCUS CSV/Parquet, OpenAI
    /// costs JSON, Anthropic cost report JSON (`BRIDGE_BILLED_FILES`, comma-separated; default
    /// none, and the check skips).
    pub billed_files: Vec<PathBuf>,
    /// Ledger files (CSV/Parquet) to use as the allocated side instead of the database
    /// (`BRIDGE_ALLOCATED_FILES`, comma-separated; default none: the database table).
    pub allocated_files: Vec<PathBuf>,
    /// The allocated-cost table (`BRIDGE_COST_TABLE`, default `usage_events`), read through
    /// `BRIDGE_ADMIN_DATABASE_URL`, else `DATABASE_URL`.
    pub table: String,
    /// The ledger's columns.
    pub columns: LedgerColumns,
    /// Variance above which a provider-period warns (`BRIDGE_COST_WARN`, default 0.05).
    pub warn: f64,
    /// Variance above which a provider-period fails (`BRIDGE_COST_FAIL`, default 0.10).
    pub fail: f64,
    /// The currency of the ledger; billed lines in another currency are not reconciled
    /// (`BRIDGE_COST_CURRENCY`, default `USD`).
    pub currency: String,
    /// Known provider names (`BRIDGE_COST_PROVIDERS`, default `openai,anthropic,pinecone`).
    pub providers: Vec<String>,
    /// Billed charge categories that no tenant consumed and that are reported apart
    /// (`BRIDGE_COST_UNALLOCATABLE`, default `tax,credit,minimum,purchase`).
    pub unallocatable: Vec<String>,
    /// How many top tenants by cost to show (`BRIDGE_COST_TOP_TENANTS`, default 10).
    pub top_tenants: usize,
}

impl Default for CostConfig {
    fn default() -> Self {
        CostConfig {
            billed_files: Vec::new(),
            allocated_files: Vec::new(),
            table: "usage_events".into(),
            columns: LedgerColumns {
                tenant: "tenant_id".into(),
                provider: "provider".into(),
                model: "model".into(),
                time: "occurred_at".into(),
                cost: "cost_usd".into(),
            },
            warn: 0.05,
            fail: 0.10,
            currency: "USD".into(),
            providers: vec!["openai".into(), "anthropic".into(), "pinecone".into()],
            unallocatable: ["tax", "credit", "minimum", "purchase"].map(String::from).to_vec(),
            top_tenants: 10,
        }
    }
}

impl CostConfig {
    /// Adds these settings to a child's environment ([`Config::child_env`]); `path` makes a
    /// file path absolute, since the child runs in another folder.
    fn push_env(&self, v: &mut Vec<(&'static str, Secret)>, path: &impl Fn(&PathBuf) -> Secret) {
        let join = |items: &[PathBuf]| {
            Secret::new(items.iter().map(|p| path(p).expose().to_string()).collect::<Vec<_>>().join(","))
        };
        if !self.billed_files.is_empty() {
            v.push(("BRIDGE_BILLED_FILES", join(&self.billed_files)));
        }
        if !self.allocated_files.is_empty() {
            v.push(("BRIDGE_ALLOCATED_FILES", join(&self.allocated_files)));
        }
        let named = [("BRIDGE_COST_TABLE", self.table.as_str()), ("BRIDGE_COST_CURRENCY", &self.currency)];
        for (var, value) in self.columns.by_variable().into_iter().chain(named) {
            v.push((var, Secret::new(value)));
        }
        v.push(("BRIDGE_COST_WARN", Secret::new(self.warn.to_string())));
        v.push(("BRIDGE_COST_FAIL", Secret::new(self.fail.to_string())));
        v.push(("BRIDGE_COST_PROVIDERS", Secret::new(self.providers.join(","))));
        v.push(("BRIDGE_COST_UNALLOCATABLE", Secret::new(self.unallocatable.join(","))));
        v.push(("BRIDGE_COST_TOP_TENANTS", Secret::new(self.top_tenants.to_string())));
    }

    /// Reads the `BRIDGE_COST_*` variables (empty values already filtered out by `get`).
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut c = CostConfig::default();
        let list = |v: String| -> Vec<String> {
            v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
        };
        let paths = |v: String| list(v).into_iter().map(PathBuf::from).collect::<Vec<_>>();
        if let Some(v) = get("BRIDGE_BILLED_FILES") {
            c.billed_files = paths(v);
        }
        if let Some(v) = get("BRIDGE_ALLOCATED_FILES") {
            c.allocated_files = paths(v);
        }
        if let Some(v) = get("BRIDGE_COST_TABLE") {
            c.table = checked_name("BRIDGE_COST_TABLE", &v)?;
        }
        let cols = &mut c.columns;
        for (var, field) in [
            ("BRIDGE_COST_COL_TENANT", &mut cols.tenant),
            ("BRIDGE_COST_COL_PROVIDER", &mut cols.provider),
            ("BRIDGE_COST_COL_MODEL", &mut cols.model),
            ("BRIDGE_COST_COL_TIME", &mut cols.time),
            ("BRIDGE_COST_COL_COST", &mut cols.cost),
        ] {
            if let Some(v) = get(var) {
                *field = checked_name(var, &v)?;
            }
        }
        for (var, field) in [("BRIDGE_COST_WARN", &mut c.warn), ("BRIDGE_COST_FAIL", &mut c.fail)] {
            if let Some(v) = get(var) {
                *field = v.trim().parse::<f64>().ok().filter(|x| (0.0..=1.0).contains(x)).ok_or_else(|| {
                    Error::config(format!("{var} `{v}` is not a fraction between 0 and 1"), "set it like 0.05 (5%)")
                })?;
            }
        }
        if c.warn > c.fail {
            return Err(Error::config(
                format!("BRIDGE_COST_WARN ({}) is above BRIDGE_COST_FAIL ({})", c.warn, c.fail),
                "set the warning threshold at or below the failure threshold, e.g. 0.05 and 0.10",
            ));
        }
        if let Some(v) = get("BRIDGE_COST_CURRENCY") {
            c.currency = v.trim().to_uppercase();
        }
        if let Some(v) = get("BRIDGE_COST_PROVIDERS") {
            c.providers = list(v.to_lowercase());
        }
        if let Some(v) = get("BRIDGE_COST_UNALLOCATABLE") {
            c.unallocatable = list(v.to_lowercase());
        }
        if let Some(v) = get("BRIDGE_COST_TOP_TENANTS") {
            c.top_tenants = v.trim().parse().map_err(|_| {
                Error::config(format!("BRIDGE_COST_TOP_TENANTS `{v}` is not a whole number"), "set it like 10")
            })?;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_password_is_redacted_everywhere() {
        let t = DbTarget::parse("postgres://app:s3cr3t-pw@db.example.com:6543/prod?sslmode=require").unwrap();
        assert_eq!(t.tls, TlsMode::Require);
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("s3cr3t-pw"), "{dbg}");
        assert_eq!(t.redacted(), "postgres://app@db.example.com:6543/prod");
        assert_eq!(redact_url("postgres://app:s3cr3t-pw@h/db"), "postgres://app:[redacted]@h/db");
        assert_eq!(redact_url("host=h password=s3cr3t-pw user=u"), "host=h password=[redacted] user=u");
    }

    #[test]
    fn key_value_form_and_verify_full() {
        let t = DbTarget::parse("host=db user=app dbname=x sslmode=verify-full sslrootcert=/etc/ca.pem").unwrap();
        assert_eq!(t.tls, TlsMode::VerifyFull);
        assert_eq!(t.root_cert.as_deref(), Some(std::path::Path::new("/etc/ca.pem")));
        assert_eq!(t.user(), "app");
        let u = DbTarget::parse("postgres://a@h/db?sslmode=verify-ca&connect_timeout=3").unwrap();
        assert_eq!(u.tls, TlsMode::VerifyFull);
        assert_eq!(u.pg.get_connect_timeout(), Some(&Duration::from_secs(3)));
    }

    #[test]
    fn unparsable_url_is_a_config_error_without_the_password() {
        let e = DbTarget::parse("postgres://app:topsecret@host:notaport/db").unwrap_err();
        assert!(e.is_config());
        let msg = e.to_string();
        assert!(msg.contains("DATABASE_URL"), "{msg}");
        assert!(!msg.contains("topsecret"), "{msg}");
    }

    #[test]
    fn lookup_defaults_and_overrides() {
        let c = Config::from_lookup(|_| None).unwrap();
        assert!(c.is_unconfigured());
        assert_eq!(c.tenant_setting, "app.current_tenant");
        let c = Config::from_lookup(|k| match k {
            "BRIDGE_TENANTS_TABLE" => Some("core.orgs".into()),
            "PINECONE_API_KEY" => Some("pc-key-123456".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.tenants_table, "core.orgs");
        assert!(!format!("{c:?}").contains("pc-key-123456"));
        let e = Config::from_lookup(|k| (k == "BRIDGE_TENANT_COLUMN").then(|| "x; drop".into())).unwrap_err();
        assert!(e.is_config());
        assert_eq!(c.probe_writes, ProbeWrites::Safe);
        let e = Config::from_lookup(|k| (k == "BRIDGE_PROBE_WRITES").then(|| "some".into())).unwrap_err();
        assert!(e.is_config() && e.to_string().contains("BRIDGE_PROBE_WRITES"), "{e}");
    }

    fn round_trip(c: &Config) -> Config {
        let env = c.child_env();
        for (k, _) in &env {
            assert!(ENV_VARS.contains(k), "{k} is not in ENV_VARS");
        }
        Config::from_lookup(|k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.expose().to_string())).unwrap()
    }

    #[test]
    fn child_env_rebuilds_the_same_configuration() {
        let mut c = Config {
            database: Some(DbTarget::from_parts("/tmp/pg sock", 5433, "app", Some("p'w\\x y"), "db")),
            admin_database: Some(
                DbTarget::parse("postgres://admin:adm-pw@db.example.com:6543/prod?sslmode=require").unwrap(),
            ),
            tenants_table: "app.tenants".into(),
            min_test_tenants: 4,
            data_dir: Some(PathBuf::from("/nonexistent/data")),
            ..Config::default()
        };
        c.pinecone = Some(PineconeConfig { index: Some("idx".into()), ..PineconeConfig::new("pc-key") });
        c.tenant_context_sql = Some("SET app.t = {tenant}".into());
        c.probe_tenants = vec!["a".into(), "b".into()];
        c.tenant_tables = vec!["documents".into()];
        (c.shared_tenants, c.probe_writes) = (vec!["global".into()], ProbeWrites::All);
        c.tenant_columns = vec!["org_id".into(), "account_id".into()];
        c.capacity.namespace_prefix = "ns-".into();
        c.capacity.snapshot = Some(PathBuf::from("/nonexistent/stats.json"));
        c.cost.billed_files = vec![PathBuf::from("/nonexistent/a.csv"), PathBuf::from("/nonexistent/b.json")];
        c.cost.allocated_files = vec![PathBuf::from("/nonexistent/ledger.parquet")];
        c.cost.columns.cost = "amount".into();
        (c.cost.warn, c.cost.fail, c.cost.top_tenants) = (0.03, 0.2, 3);
        c.cost.providers.push("cohere".into());
        c.cost.unallocatable = vec!["tax".into()];
        let back = round_trip(&c);
        let (a, b) = (c.database.as_ref().unwrap(), back.database.as_ref().unwrap());
        // `tls` decides; from_parts leaves tokio-postgres's own ssl_mode at its default
        let mut a_pg = a.pg.clone();
        a_pg.ssl_mode(b.pg.get_ssl_mode());
        assert_eq!(a_pg, b.pg);
        assert_eq!(b.password().unwrap().expose(), "p'w\\x y");
        assert_eq!(b.tls, TlsMode::Disable);
        assert_eq!(back.admin_database.as_ref().unwrap().pg, c.admin_database.as_ref().unwrap().pg);
        assert_eq!(back.admin_database.as_ref().unwrap().tls, TlsMode::Require);
        assert_eq!(back.tenants_table, "app.tenants");
        assert_eq!(back.min_test_tenants, 4);
        assert_eq!(back.pinecone.as_ref().unwrap().api_key.expose(), "pc-key");
        assert_eq!(back.pinecone.as_ref().unwrap().index.as_deref(), Some("idx"));
        assert_eq!(back.data_dir, c.data_dir);
        assert_eq!(back.tenant_context_sql, c.tenant_context_sql);
        assert_eq!(back.tenant_columns, c.tenant_columns);
        assert_eq!(back.tenant_column_names(), ["tenant_id", "org_id", "account_id"]);
        assert_eq!((back.probe_tenants, back.tenant_tables), (c.probe_tenants.clone(), c.tenant_tables.clone()));
        assert_eq!((back.shared_tenants, back.probe_writes), (c.shared_tenants.clone(), ProbeWrites::All));
        assert_eq!(back.capacity, c.capacity);
        assert_eq!(back.cost, c.cost);
        let shown = format!("{:?}", c.child_env());
        assert!(!shown.contains("p'w") && !shown.contains("adm-pw") && !shown.contains("pc-key"), "{shown}");
    }

    #[test]
    fn capacity_settings_parse_with_documented_defaults() {
        let c = Config::from_lookup(|_| None).unwrap();
        assert_eq!(c.capacity.tier_quotas["pro"], 1_000_000);
        assert_eq!((c.capacity.namespace_limit, c.capacity.horizon_days), (100_000, 30.0));
        let c = Config::from_lookup(|k| match k {
            "BRIDGE_TIER_QUOTAS" => Some("free=1_000, pro: 50000".into()),
            "BRIDGE_NAMESPACE_LIMIT" => Some("builder".into()),
            "PINECONE_API_KEY" => Some("pcsk_abc".into()),
            "PINECONE_API_VERSION" => Some("2025-10".into()),
            "BRIDGE_PINECONE_TIMEOUT_SECS" => Some("2.5".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.capacity.tier_quotas.len(), 2);
        assert_eq!(c.capacity.tier_quotas["free"], 1_000);
        assert_eq!(c.capacity.namespace_limit, 1_000);
        let p = c.pinecone.unwrap();
        assert_eq!((p.api_version.as_str(), p.request_timeout), ("2025-10", Duration::from_millis(2500)));
        for (k, v) in
            [("BRIDGE_TIER_QUOTAS", "pro"), ("BRIDGE_NAMESPACE_LIMIT", "lots"), ("BRIDGE_CAPACITY_HORIZON_DAYS", "-1")]
        {
            let e = Config::from_lookup(|x| (x == k).then(|| v.to_string())).unwrap_err();
            assert!(e.is_config() && e.to_string().contains(k), "{e}");
        }
    }

    #[test]
    fn cost_settings_have_defaults_and_are_validated() {
        let c = Config::from_lookup(|_| None).unwrap().cost;
        assert_eq!(
            (c.warn, c.fail, c.table.as_str(), c.columns.cost.as_str()),
            (0.05, 0.10, "usage_events", "cost_usd")
        );
        let c = Config::from_lookup(|k| match k {
            "BRIDGE_BILLED_FILES" => Some("a.csv, b.json".into()),
            "BRIDGE_COST_WARN" => Some("0.02".into()),
            "BRIDGE_COST_COL_COST" => Some("amount".into()),
            _ => None,
        })
        .unwrap();
        assert!(!c.is_unconfigured());
        assert_eq!(c.cost.billed_files, vec![PathBuf::from("a.csv"), PathBuf::from("b.json")]);
        assert_eq!((c.cost.warn, c.cost.columns.cost.as_str()), (0.02, "amount"));
        let e = Config::from_lookup(|k| (k == "BRIDGE_COST_FAIL").then(|| "ten".into())).unwrap_err();
        assert!(e.to_string().contains("BRIDGE_COST_FAIL"), "{e}");
        let e = Config::from_lookup(|k| (k == "BRIDGE_COST_WARN").then(|| "0.5".into())).unwrap_err();
        assert!(e.to_string().contains("above BRIDGE_COST_FAIL"), "{e}");
    }
}
