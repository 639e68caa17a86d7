//! PostgreSQL: the connection target (`target`), connecting with bounded time, plain or over
//! TLS (`connect`, `tls`), and small SQL helpers (`sql`).

mod connect;
pub mod sql;
pub mod target;
mod tls;

pub use connect::{connect, CONNECT_LIMIT};
pub use sql::{
    is_transaction_control, parse_qualified, query, quote_ident, quote_literal, quote_qualified, read_only,
    read_only_session, run_typed_sql, split_statements,
};
pub use target::{redact_url, DbTarget, TlsMode};
