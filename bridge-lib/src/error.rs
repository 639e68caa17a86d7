//! The one error type of the library.
//!
//! Messages are lowercase and say what failed, where, why and how to fix it. They never contain
//! a password or an API key: values that could hold one are redacted before they get here.

use std::fmt;

/// Everything that can stop a check, the demo or a command from running.
///
/// A check that *finds* a problem does not return an error: it returns a `fail` finding. An
/// `Error` means the check could not run at all.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is missing or malformed (exit code 78).
    Config {
        /// What is wrong, naming the variable or setting.
        what: String,
        /// How to fix it.
        fix: String,
    },
    /// PostgreSQL could not be reached or refused the connection.
    Connect {
        /// Where we tried to connect (redacted).
        target: String,
        /// Why it failed.
        reason: String,
        /// How to fix it.
        fix: String,
    },
    /// A query failed.
    Query {
        /// What the query was doing.
        context: String,
        /// The server's message.
        reason: String,
    },
    /// The embedded demo environment could not start or load.
    Demo {
        /// What failed.
        what: String,
        /// How to fix it.
        fix: String,
    },
    /// A file could not be read or parsed.
    Input {
        /// Which file (and where in it).
        location: String,
        /// What is wrong.
        reason: String,
        /// How to fix it.
        fix: String,
    },
    /// An HTTP service (Pinecone) failed.
    Http {
        /// What was requested (no secrets).
        request: String,
        /// Why it failed.
        reason: String,
        /// How to fix it.
        fix: String,
    },
    /// A fault of bridge itself (a task that panicked, a client that cannot be built): not the
    /// user's input or configuration.
    Internal {
        /// What failed.
        what: String,
    },
    /// A step ran out of time.
    Timeout {
        /// What ran out of time.
        what: String,
        /// The limit, in seconds.
        seconds: f64,
    },
}

impl Error {
    /// True when this is a configuration error (exit code 78).
    pub fn is_config(&self) -> bool {
        matches!(self, Error::Config { .. })
    }

    /// The kind of error, one word (`config`, `connect`, `query`, `demo`, `input`, `http`,
    /// `internal`, `timeout`): what a report records beside the message, so that a configuration
    /// error found inside a check still exits 78.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config { .. } => ErrorKind::Config,
            Error::Connect { .. } => ErrorKind::Connect,
            Error::Query { .. } => ErrorKind::Query,
            Error::Demo { .. } => ErrorKind::Demo,
            Error::Input { .. } => ErrorKind::Input,
            Error::Http { .. } => ErrorKind::Http,
            Error::Internal { .. } => ErrorKind::Internal,
            Error::Timeout { .. } => ErrorKind::Timeout,
        }
    }

    /// A fault of bridge itself, reported with a request to report it.
    pub fn internal(what: impl Into<String>) -> Self {
        Error::Internal { what: what.into() }
    }

    /// A configuration error.
    pub fn config(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Error::Config { what: what.into(), fix: fix.into() }
    }

    /// A demo-environment error.
    pub fn demo(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Error::Demo { what: what.into(), fix: fix.into() }
    }

    /// An input error: a file or table (and where in it) that could not be read or parsed, what
    /// is wrong with it and how to fix it.
    pub fn input(location: impl Into<String>, reason: impl Into<String>, fix: impl Into<String>) -> Self {
        Error::Input { location: location.into(), reason: reason.into(), fix: fix.into() }
    }

    /// A query error, from a tokio-postgres error and what we were doing.
    pub fn query(context: impl Into<String>, err: &tokio_postgres::Error) -> Self {
        Error::Query { context: context.into(), reason: describe_pg_error(err) }
    }
}

/// A one-line description of a tokio-postgres error: the server's message, SQLSTATE and hint
/// when there is one, otherwise the client's chain of causes.
pub fn describe_pg_error(err: &tokio_postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        let mut s = format!("{} (sqlstate {})", db.message(), db.code().code());
        if let Some(hint) = db.hint() {
            s.push_str(&format!("; hint: {hint}"));
        }
        return s;
    }
    error_chain(err)
}

/// An error and its causes on one line (`outer: inner: root`), without repeating a cause that
/// the outer message already contains.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut s = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = inner.source();
    }
    s
}

/// The SQLSTATE of a tokio-postgres error, if the server sent one.
pub fn sqlstate(err: &tokio_postgres::Error) -> Option<String> {
    err.code().map(|c| c.code().to_string())
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config { what, fix } => write!(f, "bad configuration: {what}; fix: {fix}"),
            Error::Connect { target, reason, fix } => {
                write!(f, "cannot connect to {target}: {reason}; fix: {fix}")
            }
            Error::Query { context, reason } => write!(f, "query failed while {context}: {reason}"),
            Error::Demo { what, fix } => write!(f, "demo environment: {what}; fix: {fix}"),
            Error::Input { location, reason, fix } => write!(f, "{location}: {reason}; fix: {fix}"),
            Error::Http { request, reason, fix } => write!(f, "{request} failed: {reason}; fix: {fix}"),
            Error::Internal { what } => {
                write!(f, "internal error: {what}; fix: run it again, and report it as a bug if it repeats")
            }
            Error::Timeout { what, seconds } => write!(
                f,
                "{what} did not finish within {seconds:.1} s; fix: check the service is reachable and not overloaded"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// The kind of an [`Error`], as recorded in a report (`error_kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// Missing or malformed configuration (exit 78).
    Config,
    /// PostgreSQL could not be reached.
    Connect,
    /// A query failed.
    Query,
    /// The embedded demo could not start.
    Demo,
    /// A file or table could not be read or parsed.
    Input,
    /// An HTTP service failed.
    Http,
    /// A fault of bridge itself.
    Internal,
    /// A step ran out of time.
    Timeout,
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
