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
        let mut target = DbTarget { pg, tls, root_cert, password };
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
        DbTarget { pg, tls: TlsMode::Disable, root_cert: None, password: password.map(Secret::new) }
    }

    /// The same target as another user (the demo's admin and app roles share a cluster).
    pub fn with_user(&self, user: &str, password: Option<&str>) -> Self {
        let mut t = self.clone();
        t.pg.user(user);
        t.password = password.map(Secret::new);
        if let Some(p) = password {
            t.pg.password(p);
        }
        t
    }

    /// The same target on another database.
    pub fn with_dbname(&self, dbname: &str) -> Self {
        let mut t = self.clone();
        t.pg.dbname(dbname);
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

    /// A URL-like description without the password, for messages and reports.
    pub fn redacted(&self) -> String {
        let host = self
            .pg
            .get_hosts()
            .first()
            .map(|h| match h {
                tokio_postgres::config::Host::Tcp(s) => s.clone(),
                tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
            })
            .unwrap_or_else(|| "localhost".into());
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
        if let Some(dir) = get("BRIDGE_DATA_DIR") {
            c.data_dir = Some(PathBuf::from(dir));
        }
        Ok(c)
    }

    /// True when nothing at all is configured: no database and no Pinecone key. The CLI and the
    /// notebook then use the embedded demo.
    pub fn is_unconfigured(&self) -> bool {
        self.database.is_none() && self.pinecone.is_none()
    }

    /// The connection used for provisioning.
    pub fn admin(&self) -> Option<&DbTarget> {
        self.admin_database.as_ref().or(self.database.as_ref())
    }
}

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
}
