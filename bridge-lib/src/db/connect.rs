//! Connecting to PostgreSQL (plain, unix socket or TLS through rustls) with bounded time.

use super::target::{DbTarget, TlsMode};
use crate::error::describe_pg_error;
use crate::{Error, Result};
use std::time::Duration;
use tokio_postgres::Client;

/// The most a connection attempt may take, whatever `connect_timeout` says.
pub const CONNECT_LIMIT: Duration = Duration::from_secs(10);

/// Connects and spawns the connection task on the current tokio runtime.
pub async fn connect(target: &DbTarget) -> Result<Client> {
    let fut = async {
        match target.tls {
            TlsMode::Disable => {
                let (client, conn) = target.pg.connect(tokio_postgres::NoTls).await?;
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                Ok::<_, tokio_postgres::Error>(client)
            }
            mode => {
                let tls = tokio_postgres_rustls::MakeRustlsConnect::new(super::tls::rustls_config(mode, target)?);
                let (client, conn) = target.pg.connect(tls).await?;
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                Ok(client)
            }
        }
    };
    match tokio::time::timeout(CONNECT_LIMIT, fut).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(connect_error(target, &e)),
        Err(_) => Err(Error::Connect {
            target: target.redacted(),
            reason: format!("no answer within {} s", CONNECT_LIMIT.as_secs()),
            fix: format!("check the host and port in {} and that a firewall lets you through", target.variable()),
        }),
    }
}

fn connect_error(target: &DbTarget, e: &tokio_postgres::Error) -> Error {
    let reason = describe_pg_error(e);
    let reason = match target.password() {
        Some(p) => p.scrub(&reason),
        None => reason,
    };
    let code = e.code().map(|c| c.code().to_string()).unwrap_or_default();
    let var = target.variable();
    let fix = match code.as_str() {
        "28P01" | "28000" => format!("check the user and password in {var}"),
        "3D000" => format!("check the database name in {var}"),
        _ if reason.contains("refused") || reason.contains("No such file") => {
            format!("check that PostgreSQL is running at the host and port in {var}")
        }
        _ if reason.to_lowercase().contains("tls") || reason.contains("certificate") => {
            format!("check sslmode in {var} (require, verify-full with sslrootcert=…)")
        }
        _ => format!("check {var} and that the server accepts connections"),
    };
    Error::Connect { target: target.redacted(), reason, fix }
}
