//! Where and how to connect to PostgreSQL: the target parsed from `DATABASE_URL` (a URL or
//! libpq `key=value` pairs), its TLS mode, and its redaction. `Debug` shows no password.

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
    /// The variable this target came from (`DATABASE_URL` or `BRIDGE_ADMIN_DATABASE_URL`), so a
    /// connection error's fix points at the right one.
    var: &'static str,
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
        if let Some(path) = &root_cert {
            // libpq refuses a root certificate file it cannot read; so do we, before connecting
            let reason = match std::fs::metadata(path) {
                Ok(m) if m.is_file() && m.len() <= crate::files::MIB => None,
                Ok(m) if m.is_file() => Some("it is larger than 1 MiB".to_string()),
                Ok(_) => Some("it is not a regular file".to_string()),
                Err(e) => Some(e.to_string()),
            };
            if let Some(reason) = reason {
                return Err(Error::config(
                    format!("the sslrootcert `{}` in the connection string cannot be read: {reason}", path.display()),
                    "point sslrootcert at the PEM file of your server's root certificate authority",
                ));
            }
        }
        let pg = tokio_postgres::Config::from_str(&cleaned).map_err(|e| {
            Error::config(
                format!("DATABASE_URL does not parse: {}", parse_reason(&e)),
                "use postgres://user:password@host:5432/dbname (percent-encode `@`, `:` and `/` in the \
                 password) or `host=… user=… dbname=…`",
            )
        })?;
        let tls = tls_override.unwrap_or(match pg.get_ssl_mode() {
            tokio_postgres::config::SslMode::Disable => TlsMode::Disable,
            tokio_postgres::config::SslMode::Require => TlsMode::Require,
            _ => TlsMode::Prefer,
        });
        let password = pg.get_password().map(|p| Secret::new(String::from_utf8_lossy(p).into_owned()));
        let mut target =
            DbTarget { pg, tls, root_cert, password, source: Some(Secret::new(text)), var: "DATABASE_URL" };
        if target.pg.get_connect_timeout().is_none() {
            target.pg.connect_timeout(Duration::from_secs(5));
        }
        if target.pg.get_application_name().is_none() {
            target.pg.application_name("bridge");
        }
        if target.pg.get_options().is_none() {
            // a table held under ACCESS EXCLUSIVE makes catalog reads (pg_get_expr,
            // pg_get_indexdef) wait: give up after 5 s instead of the whole per-check limit
            target.pg.options(LOCK_OPTIONS);
        }
        Ok(target)
    }

    /// The same target, named after the variable it came from (for the fixes of errors).
    pub fn from_variable(mut self, var: &'static str) -> Self {
        self.var = var;
        self
    }

    /// The variable this target came from.
    pub fn variable(&self) -> &'static str {
        self.var
    }

    /// Builds a target from parts (used by the demo environment).
    pub fn from_parts(host: &str, port: u16, user: &str, password: Option<&str>, dbname: &str) -> Self {
        let mut pg = tokio_postgres::Config::new();
        pg.host(host).port(port).user(user).dbname(dbname).application_name("bridge");
        pg.connect_timeout(Duration::from_secs(5));
        // the same bounded lock wait as a parsed target, so the child's copy is the same target
        pg.options(LOCK_OPTIONS);
        if let Some(p) = password {
            pg.password(p);
        }
        DbTarget {
            pg,
            tls: TlsMode::Disable,
            root_cert: None,
            password: password.map(Secret::new),
            source: None,
            var: "DATABASE_URL",
        }
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

/// The session options set on every connection whose string sets none: no lock wait longer
/// than 5 s (statements are bounded by the read-only transaction's statement_timeout).
pub const LOCK_OPTIONS: &str = "-c lock_timeout=5s";

/// Why a connection string does not parse, naming the option and never echoing any value
/// from the string (it may hold the password).
fn parse_reason(e: &tokio_postgres::Error) -> String {
    let text = crate::error::error_chain(e);
    let option =
        text.split('`').nth(1).filter(|o| o.len() < 40 && o.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    match option {
        Some(o) if text.contains("invalid value") => format!("the value of option `{o}` is invalid"),
        Some(o) if text.contains("unknown") => format!("unknown option `{o}` (option names are lower case)"),
        Some(o) => format!("option `{o}` is not accepted"),
        None => "it is neither a postgres:// URL nor `key=value` pairs that parse".into(),
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
        let ca = std::env::temp_dir().join(format!("bridge-ca-{}.pem", std::process::id()));
        std::fs::write(&ca, "").unwrap();
        let t = DbTarget::parse(&format!("host=db user=app dbname=x sslmode=verify-full sslrootcert={}", ca.display()))
            .unwrap();
        assert_eq!(t.tls, TlsMode::VerifyFull);
        assert_eq!(t.root_cert.as_deref(), Some(ca.as_path()));
        let e = DbTarget::parse("host=db password=pw sslmode=verify-full sslrootcert=/nonexistent/ca.pem").unwrap_err();
        assert!(e.is_config() && e.to_string().contains("/nonexistent/ca.pem") && !e.to_string().contains("pw"), "{e}");
        std::fs::remove_file(&ca).unwrap();
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
}
