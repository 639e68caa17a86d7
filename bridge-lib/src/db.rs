//! Connecting to PostgreSQL (plain, unix socket or TLS through rustls) with bounded time, and
//! small SQL helpers.

use crate::config::{DbTarget, TlsMode};
use crate::error::describe_pg_error;
use crate::{Error, Result};
use std::sync::Arc;
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
                let tls = tokio_postgres_rustls::MakeRustlsConnect::new(rustls_config(mode, target)?);
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
            fix: "check the host and port in DATABASE_URL and that a firewall lets you through".into(),
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
    let fix = match code.as_str() {
        "28P01" | "28000" => "check the user and password in DATABASE_URL".to_string(),
        "3D000" => "check the database name in DATABASE_URL".to_string(),
        _ if reason.contains("refused") || reason.contains("No such file") => {
            "check that PostgreSQL is running at that host and port".to_string()
        }
        _ if reason.to_lowercase().contains("tls") || reason.contains("certificate") => {
            "check sslmode in DATABASE_URL (require, verify-full with sslrootcert=…)".to_string()
        }
        _ => "check DATABASE_URL and that the server accepts connections".to_string(),
    };
    Error::Connect { target: target.redacted(), reason, fix }
}

fn rustls_config(mode: TlsMode, target: &DbTarget) -> std::result::Result<rustls::ClientConfig, tokio_postgres::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions");
    let config = if mode == TlsMode::VerifyFull {
        let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        if let Some(path) = &target.root_cert {
            if let Ok(pem) = std::fs::read(path) {
                use rustls::pki_types::pem::PemObject;
                for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem).flatten() {
                    let _ = roots.add(cert);
                }
            }
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        // libpq's `require` and `prefer` encrypt without verifying the certificate.
        builder.dangerous().with_custom_certificate_verifier(Arc::new(NoVerify(provider))).with_no_client_auth()
    };
    Ok(config)
}

/// Accepts any server certificate (libpq's `sslmode=require`), still checking signatures.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Quotes one identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes `name` or `schema.name`.
pub fn quote_qualified(name: &str) -> String {
    name.split('.').map(quote_ident).collect::<Vec<_>>().join(".")
}

/// Quotes a string literal (for SQL shown to users as a remedy or dry run).
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Splits `schema.name` into its parts; a bare name is looked up on the search path (`None`).
pub fn split_qualified(name: &str) -> (Option<&str>, &str) {
    match name.split_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, name),
    }
}

/// Runs a query with a clear error naming what it was for.
pub async fn query(
    client: &Client,
    context: &str,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<tokio_postgres::Row>> {
    client.query(sql, params).await.map_err(|e| Error::query(context, &e))
}

/// Starts a read-only transaction with a 15 s statement timeout: what every check and every
/// notebook read runs in, so none of them can change user data or hang.
pub async fn read_only(client: &mut Client) -> Result<tokio_postgres::Transaction<'_>> {
    let tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .await
        .map_err(|e| Error::query("starting a read-only transaction", &e))?;
    tx.batch_execute("SET LOCAL statement_timeout = '15s'")
        .await
        .map_err(|e| Error::query("setting statement_timeout", &e))?;
    Ok(tx)
}

/// Sets the tenant context for the rest of the transaction, as the application does before
/// touching tenant-scoped tables ([`crate::Config::tenant_context_statement`]).
pub async fn set_tenant(client: &impl tokio_postgres::GenericClient, cfg: &crate::Config, tenant: &str) -> Result<()> {
    client
        .batch_execute(&cfg.tenant_context_statement(tenant))
        .await
        .map_err(|e| Error::query(format!("setting {} for tenant {tenant}", cfg.tenant_setting), &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_qualified("public.tenants"), "\"public\".\"tenants\"");
        assert_eq!(quote_literal("o'k"), "'o''k'");
        assert_eq!(split_qualified("s.t"), (Some("s"), "t"));
        assert_eq!(split_qualified("t"), (None, "t"));
    }
}
