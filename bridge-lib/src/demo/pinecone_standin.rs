//! A tiny local stand-in for a serverless Pinecone index, for the demo's lifecycle run and the
//! tests: HTTP/1.1 on a loopback port, one request per connection, speaking the documented
//! shapes the client parses: `POST /describe_index_stats`, `GET /namespaces` (one page),
//! `POST /vectors/upsert` (creates the namespace) and `DELETE /namespaces/{namespace}` (404
//! when there is none). Every request must carry an `Api-Key`. State lives in memory.

use crate::config::PineconeConfig;
use crate::{Error, Result};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Namespaces (name → records) and the routes made to fail.
#[derive(Debug, Default)]
struct State {
    namespaces: BTreeMap<String, u64>,
    failing: BTreeMap<String, u16>,
}

/// A running stand-in; stops when dropped.
#[derive(Debug)]
pub struct PineconeStandIn {
    /// `http://127.0.0.1:<port>`: the index host to configure.
    pub url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for PineconeStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PineconeStandIn {
    /// Starts the stand-in with these namespaces (name → records).
    pub async fn start(namespaces: BTreeMap<String, u64>) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| {
            Error::demo(format!("the Pinecone stand-in cannot listen on loopback: {e}"), "run it again")
        })?;
        let port =
            listener.local_addr().map_err(|e| Error::demo(format!("no local address: {e}"), "run it again"))?.port();
        let state = Arc::new(Mutex::new(State { namespaces, failing: BTreeMap::new() }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, &s).await;
                });
            }
        });
        Ok(PineconeStandIn { url: format!("http://127.0.0.1:{port}"), state, task })
    }

    /// Starts it with the namespaces of a saved `describe_index_stats` response.
    pub async fn from_stats(path: &std::path::Path) -> Result<Self> {
        let stats = crate::pinecone::load_stats(path)?;
        Self::start(stats.namespaces.into_iter().map(|(n, s)| (n, s.vector_count)).collect()).await
    }

    /// Pinecone settings that point at the stand-in (host only, a placeholder key).
    pub fn config(&self) -> PineconeConfig {
        let mut p = PineconeConfig::new("standin-key");
        p.host = Some(self.url.clone());
        p.max_retries = 0;
        p
    }

    /// The namespaces now.
    pub fn namespaces(&self) -> BTreeMap<String, u64> {
        self.lock().namespaces.clone()
    }

    /// Makes every request to `route` (`"POST /vectors/upsert"`, `"DELETE /namespaces"`…)
    /// answer `status` from now on.
    pub fn fail(&self, route: &str, status: u16) {
        self.lock().failing.insert(route.to_string(), status);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Reads one request, answers it and closes the connection.
async fn serve(mut stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 1 << 20 {
            return Ok(());
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let header = |name: &str| {
        head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    let length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf.get(head_end..).unwrap_or_default();
    let mut parts = head.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, answer) = if header("api-key").is_none_or(|k| k.is_empty()) {
        (401, json!({ "error": { "code": "UNAUTHENTICATED", "message": "Invalid API Key" } }))
    } else {
        route(state, method, path, body)
    };
    let text = answer.to_string();
    let reason = match status {
        200 => "OK",
        202 => "Accepted",
        404 => "Not Found",
        401 => "Unauthorized",
        _ => "Error",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// The answer to one request.
fn route(state: &Mutex<State>, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let key = format!("{method} {}", if path.starts_with("/namespaces/") { "/namespaces" } else { path });
    if let Some(code) = s.failing.get(&key) {
        return (*code, json!({ "code": 3, "message": format!("the stand-in was told to fail {key}") }));
    }
    match (method, path) {
        ("POST", "/describe_index_stats") => {
            let namespaces: serde_json::Map<String, Value> =
                s.namespaces.iter().map(|(n, c)| (n.clone(), json!({ "vectorCount": c }))).collect();
            let total: u64 = s.namespaces.values().sum();
            (200, json!({ "namespaces": namespaces, "dimension": 8, "indexFullness": 0.0, "totalVectorCount": total }))
        }
        ("GET", "/namespaces") => {
            let list: Vec<Value> = s.namespaces.iter().map(|(n, c)| json!({ "name": n, "record_count": c })).collect();
            (200, json!({ "namespaces": list, "total_count": list.len() }))
        }
        ("POST", "/vectors/upsert") => {
            let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let ns = v["namespace"].as_str().unwrap_or("").to_string();
            let n = v["vectors"].as_array().map_or(0, |a| a.len() as u64);
            *s.namespaces.entry(ns).or_insert(0) += n;
            (200, json!({ "upsertedCount": n }))
        }
        ("DELETE", p) if p.starts_with("/namespaces/") => {
            let ns = percent_decode(&p["/namespaces/".len()..]);
            match s.namespaces.remove(&ns) {
                Some(_) => (202, json!({})),
                None => (404, json!({ "code": 5, "message": "Namespace not found" })),
            }
        }
        _ => (404, json!({ "code": 5, "message": format!("no route {method} {path}") })),
    }
}

/// `%XX` escapes of a path segment decoded.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
