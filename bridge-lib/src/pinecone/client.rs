//! The HTTP side of the Pinecone client (reqwest over rustls with the ring provider, no
//! OpenSSL), behind the `pinecone-api` feature: the notebook's build leaves it out and runs a
//! live capacity check through the `bridge` binary.

use super::PineconeConfig;
use super::{data_plane_url, error_message, IndexDescription, IndexStats, NamespaceInfo, NamespacePage, ParseError};
use super::{BACKOFF_BASE, CALL_BUDGET, MAX_PAGES, NAMESPACES_API_SINCE, PAGE_LIMIT, TOTAL_BUDGET};
use crate::error::error_chain as chain;
use crate::{Error, Result};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A describe_index_stats body larger than this is read on the blocking pool, not on an async
/// worker, so the check's other reads go on meanwhile: 100,000 namespaces (4 MB) take about
/// 20 ms to read.
const PARSE_OFF_THE_WORKERS: usize = 256 * 1024;

/// A Pinecone client. `Debug` shows no key.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    cfg: PineconeConfig,
    budget: Budget,
}

/// How long calls may take: one call, and all calls of the client since `started`.
#[derive(Clone, Copy, Debug)]
struct Budget {
    call: Duration,
    total: Duration,
    started: Instant,
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
            .map_err(|e| Error::internal(format!("tls setup failed: {e}")))?
            .with_root_certificates(rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() })
            .with_no_client_auth();
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.request_timeout)
            .user_agent(concat!("bridge/", env!("CARGO_PKG_VERSION")))
            .tls_backend_preconfigured(tls)
            .build()
            .map_err(|e| Error::internal(format!("cannot build the http client: {}", chain(&e))))?;
        Ok(Client {
            http,
            cfg: cfg.clone(),
            budget: Budget { call: CALL_BUDGET, total: TOTAL_BUDGET, started: Instant::now() },
        })
    }

    /// The same client with other budgets: `call` for one call with its retries, `total` for
    /// all calls from now on (the defaults are [`CALL_BUDGET`] and [`TOTAL_BUDGET`]).
    pub fn with_budgets(mut self, call: Duration, total: Duration) -> Client {
        self.budget = Budget { call, total, started: Instant::now() };
        self
    }

    /// The configuration in use.
    pub fn config(&self) -> &PineconeConfig {
        &self.cfg
    }

    /// True when the pinned API version has `GET /namespaces`.
    pub fn has_namespaces_api(&self) -> bool {
        self.cfg.api_version.as_str() >= NAMESPACES_API_SINCE
    }
    /// The index's data-plane host: `PINECONE_INDEX_HOST` when set, else the host
    /// `describe_index` gives for `PINECONE_INDEX`.
    pub async fn data_host(&self) -> Result<String> {
        match (&self.cfg.host, &self.cfg.index) {
            (Some(h), _) => Ok(h.clone()),
            (None, Some(name)) => Ok(self.describe_index(name).await?.host),
            (None, None) => {
                Err(Error::config("neither PINECONE_INDEX nor PINECONE_INDEX_HOST is set", "set PINECONE_INDEX"))
            }
        }
    }

    /// `GET {controller}/indexes/{name}`: the host and spec of an index.
    pub async fn describe_index(&self, name: &str) -> Result<IndexDescription> {
        let url = format!("{}/indexes/{}", self.cfg.controller_url.trim_end_matches('/'), name);
        let request = format!("GET {url}");
        let body = self.call(Method::GET, &url, &request, None).await?;
        IndexDescription::from_json(&body).map_err(|e| malformed(request, "describe index", &e))
    }

    /// `POST https://{host}/describe_index_stats` with `{}`: per-namespace counts and fullness.
    pub async fn describe_index_stats(&self, host: &str) -> Result<IndexStats> {
        let url = format!("{}/describe_index_stats", data_plane_url(host));
        let request = format!("POST {url}");
        let body = self.call(Method::POST, &url, &request, Some("{}")).await?;
        let stats = if body.len() > PARSE_OFF_THE_WORKERS {
            tokio::task::spawn_blocking(move || IndexStats::from_json(&body))
                .await
                .map_err(|e| Error::internal(format!("the task reading describe_index_stats failed: {e}")))?
        } else {
            IndexStats::from_json(&body)
        };
        stats.map_err(|e| malformed(request, "describe_index_stats", &e))
    }

    /// `GET https://{host}/namespaces`, every page (serverless, API 2025-04 and later).
    pub async fn list_namespaces(&self, host: &str) -> Result<Vec<NamespaceInfo>> {
        let base = format!("{}/namespaces", data_plane_url(host));
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        for page in 1..=MAX_PAGES {
            let mut url = reqwest::Url::parse(&base).map_err(|e| Error::config(
                format!("pinecone host `{host}` does not make a URL: {e}"),
                "set PINECONE_INDEX_HOST to the host shown in the console, e.g. my-index-abc123.svc.aped-4627-b74a.pinecone.io",
            ))?;
            url.query_pairs_mut().append_pair("limit", &PAGE_LIMIT.to_string());
            if let Some(t) = &token {
                url.query_pairs_mut().append_pair("paginationToken", t);
            }
            // the page token came from the answer, so the request is named without it
            let request = format!("GET {base} (page {page})");
            let body = self.call(Method::GET, url.as_str(), &request, None).await?;
            let page = NamespacePage::from_json(&body).map_err(|e| malformed(request, "list namespaces", &e))?;
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

    /// `DELETE https://{host}/namespaces/{namespace}` (serverless, API 2025-04 and later):
    /// `true` when it was deleted, `false` when there was no such namespace (404), so a
    /// repeated offboarding is not an error.
    pub async fn delete_namespace(&self, host: &str, namespace: &str) -> Result<bool> {
        let url = namespace_url(host, namespace)?;
        let request = format!("DELETE {}/namespaces/<namespace>", data_plane_url(host));
        Ok(self.call_inner(Method::DELETE, url.as_str(), &request, None, true).await?.is_some())
    }

    /// `POST https://{host}/vectors/upsert` of one record `id` (every value 0.1, `dimension`
    /// of them) into `namespace`, which Pinecone creates on first upsert.
    pub async fn upsert_probe(&self, host: &str, namespace: &str, id: &str, dimension: u64) -> Result<()> {
        let values = vec![0.1_f32; dimension.max(1) as usize];
        let body =
            serde_json::json!({ "vectors": [{ "id": id, "values": values }], "namespace": namespace }).to_string();
        let url = format!("{}/vectors/upsert", data_plane_url(host));
        let request = format!("POST {url}");
        self.call_inner(Method::POST, &url, &request, Some(&body), false).await.map(|_| ())
    }

    /// One request with bounded retries; the body of a 2xx answer.
    async fn call(&self, method: Method, url: &str, request: &str, body: Option<&str>) -> Result<Vec<u8>> {
        Ok(self.call_inner(method, url, request, body, false).await?.unwrap_or_default())
    }

    /// One request with bounded retries; the body of a 2xx answer. `request` names it in
    /// errors. Each attempt ends at the earliest of the request timeout, the call budget and
    /// the client's overall budget; a `Retry-After` is waited for when it fits the overall
    /// budget, even past the call budget (the retry then gets up to one request timeout more).
    /// With `missing_ok`, a 404 answer is `Ok(None)`.
    async fn call_inner(
        &self,
        method: Method,
        url: &str,
        request: &str,
        body: Option<&str>,
        missing_ok: bool,
    ) -> Result<Option<Vec<u8>>> {
        let b = self.budget;
        let total_end = b.started + b.total;
        let mut call_end = (Instant::now() + b.call).min(total_end);
        let max_attempts = self.cfg.max_retries + 1;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let now = Instant::now();
            // on a tie the overall budget is the one to name
            let limits =
                [(total_end, Limit::Total), (call_end, Limit::Call), (now + self.cfg.request_timeout, Limit::Request)];
            let (end, limit) = limits.into_iter().min_by_key(|(t, _)| *t).unwrap_or((total_end, Limit::Total));
            let sent = if end > now {
                tokio::time::timeout_at(end.into(), self.attempt(method.clone(), url, body)).await.ok()
            } else {
                None
            };
            let f = match sent {
                Some(Ok(bytes)) => return Ok(Some(bytes)),
                Some(Err(f)) if missing_ok && f.status == Some(StatusCode::NOT_FOUND) => return Ok(None),
                Some(Err(f)) if !f.timed_out => f,
                _ => self.timed_out(limit),
            };
            let now = Instant::now();
            let mut too_long = None;
            if f.retryable && attempt < max_attempts {
                let wait = match f.retry_after {
                    Some(w) if now + w < call_end => Some(w),
                    Some(w) if now + w < total_end => {
                        call_end = (now + w + self.cfg.request_timeout).min(total_end);
                        Some(w)
                    }
                    Some(w) => {
                        too_long = Some((w, total_end.saturating_duration_since(now)));
                        None
                    }
                    None => Some(backoff(attempt)).filter(|s| now + *s < call_end),
                };
                if let Some(w) = wait {
                    tokio::time::sleep(w).await;
                    continue;
                }
            }
            let mut reason = if attempt > 1 { format!("{} (after {attempt} attempts)", f.reason) } else { f.reason };
            let fix = match too_long {
                Some((w, left)) => {
                    reason.push_str(&format!(
                        "; Retry-After {} s is longer than the {} s left of the {} s budget for all Pinecone calls",
                        secs(w),
                        secs(left),
                        secs(b.total)
                    ));
                    format!("Pinecone asked to wait {} s: re-run the check after that, or run it less often", secs(w))
                }
                None if f.timed_out => {
                    "Pinecone did not answer in time: re-run later, check status.pinecone.io and the network path to Pinecone".into()
                }
                None => fix_for(f.status, url, &self.cfg),
            };
            return Err(Error::Http { request: request.to_string(), reason, fix });
        }
    }

    /// One attempt: the body of a 2xx answer, or why it failed.
    async fn attempt(&self, method: Method, url: &str, body: Option<&str>) -> Result<Vec<u8>, Failure> {
        let mut rb = self.http.request(method, url);
        if let Some(b) = body {
            rb = rb.header(CONTENT_TYPE, "application/json").body(b.to_string());
        }
        let resp = rb.send().await.map_err(|e| self.transport(&e))?;
        let status = resp.status();
        let retry_after = resp.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
        let bytes = resp.bytes().await.map_err(|e| self.transport(&e))?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        let reason = format!("http {}: {}", status.as_u16(), error_message(&bytes, &self.cfg.api_key));
        Err(Failure { retryable: retried(status), reason, retry_after, status: Some(status), timed_out: false })
    }

    /// A transport failure (no answer, or a broken one): retried.
    fn transport(&self, e: &reqwest::Error) -> Failure {
        let reason = if e.is_connect() { format!("cannot connect: {}", chain(e)) } else { chain(e) };
        let reason = self.cfg.api_key.scrub(&reason);
        Failure { retryable: true, reason, retry_after: None, status: None, timed_out: e.is_timeout() }
    }

    /// No complete answer before `limit`: retried only when the limit was the request's own.
    fn timed_out(&self, limit: Limit) -> Failure {
        let b = self.budget;
        let reason = match limit {
            Limit::Request => format!("no complete response within {:.1} s", self.cfg.request_timeout.as_secs_f64()),
            Limit::Call => format!("no complete response within the {} s budget of one call", secs(b.call)),
            Limit::Total => {
                format!("no complete response before the {} s budget for all Pinecone calls ran out", secs(b.total))
            }
        };
        Failure { retryable: limit == Limit::Request, reason, retry_after: None, status: None, timed_out: true }
    }
}

/// Which deadline ends an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Limit {
    /// All calls of the client ([`TOTAL_BUDGET`]).
    Total,
    /// This call with its retries ([`CALL_BUDGET`]).
    Call,
    /// This attempt (`PineconeConfig::request_timeout`).
    Request,
}

/// Why an attempt failed.
struct Failure {
    retryable: bool,
    /// Scrubbed of the key; no value from a 2xx body.
    reason: String,
    retry_after: Option<Duration>,
    status: Option<StatusCode>,
    timed_out: bool,
}

/// `https://{host}/namespaces/{namespace}`, the namespace escaped as one path segment.
fn namespace_url(host: &str, namespace: &str) -> Result<reqwest::Url> {
    let mut url = reqwest::Url::parse(&format!("{}/namespaces", data_plane_url(host))).map_err(|e| {
        Error::config(
            format!("pinecone host `{host}` does not make a URL: {e}"),
            "set PINECONE_INDEX_HOST to the host shown in the console",
        )
    })?;
    url.path_segments_mut()
        .map_err(|_| {
            Error::config(format!("pinecone host `{host}` cannot take a path"), "set PINECONE_INDEX_HOST to a host")
        })?
        .push(namespace);
    Ok(url)
}

/// Seconds for a message: `3`, `1.5`.
fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s:.1}")
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

/// 408, 429 and 5xx answers are worth another try.
fn retried(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// A 2xx answer that does not parse: the error names the request and the field, and shows no
/// value from the body (a proxy may have echoed the key into it).
fn malformed(request: String, what: &str, e: &ParseError) -> Error {
    Error::Http {
        request,
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
        Some(408) => "Pinecone timed the request out on every try: re-run later and check status.pinecone.io".into(),
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
