//! The HTTP side of the Pinecone client (reqwest over rustls with the ring provider, no
//! OpenSSL), behind the `pinecone-api` feature: the notebook's build leaves it out and runs a
//! live capacity check through the `bridge` binary.

use super::PineconeConfig;
use super::{data_plane_url, error_message, IndexDescription, IndexStats, NamespaceInfo, NamespacePage};
use super::{BACKOFF_BASE, CALL_BUDGET, MAX_PAGES, NAMESPACES_API_SINCE, PAGE_LIMIT, RETRY_AFTER_CAP};
use crate::error::error_chain as chain;
use crate::{Error, Result};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A Pinecone client. `Debug` shows no key.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    cfg: PineconeConfig,
}

impl Client {
    /// A client for the configured project.
    pub fn new(cfg: &PineconeConfig) -> Result<Client> {
        let mut headers = HeaderMap::new();
        let bad_header = |what: &str| {
            Error::config(
                format!("{what} contains characters not allowed in an HTTP header"),
                "copy it again from the Pinecone console",
            )
        };
        let mut key = HeaderValue::from_str(cfg.api_key.expose()).map_err(|_| bad_header("PINECONE_API_KEY"))?;
        key.set_sensitive(true);
        headers.insert("Api-Key", key);
        headers.insert(
            "X-Pinecone-Api-Version",
            HeaderValue::from_str(&cfg.api_version).map_err(|_| bad_header("PINECONE_API_VERSION"))?,
        );
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::config(format!("tls setup failed: {e}"), "report this as a bug"))?
            .with_root_certificates(rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() })
            .with_no_client_auth();
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.request_timeout)
            .user_agent(concat!("bridge/", env!("CARGO_PKG_VERSION")))
            .tls_backend_preconfigured(tls)
            .build()
            .map_err(|e| {
                Error::config(format!("cannot build the http client: {}", chain(&e)), "report this as a bug")
            })?;
        Ok(Client { http, cfg: cfg.clone() })
    }

    /// The configuration in use.
    pub fn config(&self) -> &PineconeConfig {
        &self.cfg
    }

    /// True when the pinned API version has `GET /namespaces`.
    pub fn has_namespaces_api(&self) -> bool {
        self.cfg.api_version.as_str() >= NAMESPACES_API_SINCE
    }

    /// `GET {controller}/indexes/{name}`: the host and spec of an index.
    pub async fn describe_index(&self, name: &str) -> Result<IndexDescription> {
        let url = format!("{}/indexes/{}", self.cfg.controller_url.trim_end_matches('/'), name);
        let body = self.call(Method::GET, &url, None).await?;
        IndexDescription::from_json(&body).map_err(|e| malformed(&url, "describe index", &e))
    }

    /// `POST https://{host}/describe_index_stats` with `{}`: per-namespace counts and fullness.
    pub async fn describe_index_stats(&self, host: &str) -> Result<IndexStats> {
        let url = format!("{}/describe_index_stats", data_plane_url(host));
        let body = self.call(Method::POST, &url, Some("{}")).await?;
        IndexStats::from_json(&body).map_err(|e| malformed(&url, "describe_index_stats", &e))
    }

    /// `GET https://{host}/namespaces`, every page (serverless, API 2025-04 and later).
    pub async fn list_namespaces(&self, host: &str) -> Result<Vec<NamespaceInfo>> {
        let base = format!("{}/namespaces", data_plane_url(host));
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut url = reqwest::Url::parse(&base).map_err(|e| Error::config(
                format!("pinecone host `{host}` does not make a URL: {e}"),
                "set PINECONE_INDEX_HOST to the host shown in the console, e.g. my-index-abc123.svc.aped-4627-b74a.pinecone.io",
            ))?;
            url.query_pairs_mut().append_pair("limit", &PAGE_LIMIT.to_string());
            if let Some(t) = &token {
                url.query_pairs_mut().append_pair("paginationToken", t);
            }
            let body = self.call(Method::GET, url.as_str(), None).await?;
            let page: NamespacePage =
                serde_json::from_slice(&body).map_err(|e| malformed(&base, "list namespaces", &e))?;
            out.extend(page.namespaces);
            match page.pagination.and_then(|p| p.next).filter(|t| !t.is_empty()) {
                Some(t) if Some(&t) != token.as_ref() => token = Some(t),
                _ => return Ok(out),
            }
        }
        Err(Error::Http {
            request: format!("GET {base}"),
            reason: format!("more than {MAX_PAGES} pages of namespaces"),
            fix: "use describe_index_stats for indexes this large".into(),
        })
    }

    /// One request with bounded retries; the body of a 2xx answer.
    async fn call(&self, method: Method, url: &str, body: Option<&'static str>) -> Result<Vec<u8>> {
        let request = format!("{method} {url}");
        let started = Instant::now();
        let max_attempts = self.cfg.max_retries + 1;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let left = CALL_BUDGET.saturating_sub(started.elapsed());
            let mut rb = self.http.request(method.clone(), url).timeout(self.cfg.request_timeout.min(left));
            if let Some(b) = body {
                rb = rb.header(CONTENT_TYPE, "application/json").body(b);
            }
            let (retryable, reason, wait, status) = match rb.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after =
                        resp.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
                    match resp.bytes().await {
                        Ok(bytes) if status.is_success() => return Ok(bytes.to_vec()),
                        Ok(bytes) => {
                            let msg = self.cfg.api_key.scrub(&error_message(&bytes));
                            let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                            (retryable, format!("http {}: {msg}", status.as_u16()), retry_after, Some(status))
                        }
                        Err(e) => (true, self.transport_reason(&e), None, None),
                    }
                }
                Err(e) => (true, self.transport_reason(&e), None, None),
            };
            let too_long = wait.is_some_and(|w| w > RETRY_AFTER_CAP);
            let sleep = wait.unwrap_or_else(|| backoff(attempt));
            let fits = started.elapsed() + sleep < CALL_BUDGET;
            if retryable && attempt < max_attempts && !too_long && fits {
                tokio::time::sleep(sleep).await;
                continue;
            }
            let mut reason = if attempt > 1 { format!("{reason} (after {attempt} attempts)") } else { reason };
            if too_long {
                reason.push_str(&format!(
                    "; Retry-After {} s is longer than the {} s we wait",
                    wait.unwrap_or_default().as_secs(),
                    RETRY_AFTER_CAP.as_secs()
                ));
            }
            return Err(Error::Http { request, reason, fix: fix_for(status, url, &self.cfg) });
        }
    }

    fn transport_reason(&self, e: &reqwest::Error) -> String {
        let reason = if e.is_timeout() {
            format!("no complete response within {:.1} s", self.cfg.request_timeout.as_secs_f64())
        } else if e.is_connect() {
            format!("cannot connect: {}", chain(e))
        } else {
            chain(e)
        };
        self.cfg.api_key.scrub(&reason)
    }
}

/// Exponential backoff (250 ms, 500 ms, 1 s…, at most 4 s) plus up to 50% jitter.
fn backoff(attempt: u32) -> Duration {
    let base = BACKOFF_BASE.saturating_mul(1 << attempt.saturating_sub(1).min(4));
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    // a cheap hash of the clock is jitter enough to spread concurrent clients apart
    let r = (u64::from(nanos) ^ u64::from(attempt).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_mul(0x2545_F491_4F6C_DD1D)
        >> 40;
    base + base.mul_f64((r % 1000) as f64 / 2000.0)
}

/// `Retry-After` in seconds (the form Pinecone sends); an HTTP date falls back to backoff.
fn parse_retry_after(v: &str) -> Option<Duration> {
    v.trim().parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64)
}

fn malformed(url: &str, what: &str, e: &serde_json::Error) -> Error {
    Error::Http {
        request: url.to_string(),
        reason: format!("the answer is not a valid {what} response: {e}"),
        fix: "check that PINECONE_INDEX_HOST / PINECONE_CONTROLLER_URL point at Pinecone and that PINECONE_API_VERSION is a supported version".into(),
    }
}

fn fix_for(status: Option<StatusCode>, url: &str, cfg: &PineconeConfig) -> String {
    let control = url.starts_with(cfg.controller_url.trim_end_matches('/'));
    match status.map(|s| s.as_u16()) {
        None => "check the network path to Pinecone (proxy, firewall, DNS) and that the host is right".into(),
        Some(401) => "check PINECONE_API_KEY: use a current key of the project that holds the index".into(),
        Some(403) => {
            "the key may lack access, or a plan limit was reached: check the key's project and the plan's limits".into()
        }
        Some(404) if control => "check PINECONE_INDEX: `GET /indexes` lists the project's indexes".into(),
        Some(404) => "check PINECONE_INDEX_HOST, and that PINECONE_API_VERSION supports this endpoint".into(),
        Some(429) => "rate limited past the retry budget: re-run later, or run the check less often".into(),
        Some(s) if s >= 500 => "Pinecone is failing: re-run later and check status.pinecone.io".into(),
        Some(_) => format!("check the request against Pinecone API version {} (PINECONE_API_VERSION)", cfg.api_version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_and_retry_after() {
        for a in 1..6 {
            let b = backoff(a);
            let base = BACKOFF_BASE * (1 << (a - 1).min(4));
            assert!(b >= base && b <= base.mul_f64(1.5), "{a}: {b:?}");
        }
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn client_debug_hides_the_key() {
        let c = Client::new(&PineconeConfig::new("pcsk_very-secret-key")).unwrap();
        assert!(!format!("{c:?}").contains("very-secret"));
    }
}
