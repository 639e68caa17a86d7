//! Checks this build does not include run through the `bridge` binary, as a child process
//! with this environment's configuration; the binary is built on demand.

use super::{block_on, CheckId, CheckOutcome, Env, Report, BIN_VAR, BUILD_LIMIT, CHILD_LIMIT};
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

impl Env {
    pub(super) fn run_binary(&self, id: CheckId) -> Result<CheckOutcome> {
        let bin = self.bridge_binary()?;
        let mut cmd = Command::new(&bin);
        cmd.args(["check", "--config-stdin", "--only", id.as_str(), "--format", "json"]);
        for (v, _) in std::env::vars_os() {
            if v.to_str().is_some_and(crate::config::is_config_var) {
                cmd.env_remove(v);
            }
        }
        let what = format!("`{} check --only {id}`", bin.display());
        let input = self.config.to_child_json();
        let out = block_on(run_bounded(cmd, CHILD_LIMIT, &what, Some(input.expose().as_bytes().to_vec())))?;
        let fail = |reason: String| Error::Input {
            location: what.clone(),
            reason: self.config.scrub(&reason),
            fix: format!("run `bridge check --only {id}` in a terminal with the same configuration to see why"),
        };
        let report = Report::from_json(&out.stdout).map_err(|_| {
            fail(format!("exit status {}, no report on stdout; stderr: {}", out.status, tail(&out.stderr)))
        })?;
        report.check(id).cloned().ok_or_else(|| fail(format!("the report has no `{id}` check")))
    }

    /// The `bridge` binary: [`Env::bridge_bin`], `BRIDGE_BIN`, or the workspace's dev build (the
    /// one `cargo test` builds too; its dependencies are optimised), built with cargo when
    /// missing (minutes, once).
    fn bridge_binary(&self) -> Result<PathBuf> {
        if let Some(p) = self.bridge_bin.clone().or_else(|| std::env::var_os(BIN_VAR).map(PathBuf::from)) {
            return Ok(p);
        }
        let workspace = workspace_dir();
        let bin = workspace.join("target").join("debug").join("bridge");
        if bin.is_file() {
            return Ok(bin);
        }
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.args(["build", "--quiet", "-p", "bridge-lib", "--bin", "bridge", "--target-dir"])
            .arg(workspace.join("target"))
            .current_dir(&workspace);
        // the kernel's build settings are evcxr's, not ours
        for v in ["RUSTFLAGS", "CARGO_TARGET_DIR", "CARGO_BUILD_BUILD_DIR", "RUSTC_WRAPPER", "CARGO_ENCODED_RUSTFLAGS"]
        {
            cmd.env_remove(v);
        }
        let what = format!("building the bridge binary in {}", workspace.display());
        let out = block_on(run_bounded(cmd, BUILD_LIMIT, &what, None))?;
        if !out.status.success() || !bin.is_file() {
            return Err(Error::Input {
                location: what,
                reason: format!("cargo build failed ({}): {}", out.status, tail(&out.stderr)),
                fix: "run `bash scripts/setup.sh --tests` (it builds the binary), or set BRIDGE_BIN to a built `bridge` binary".into(),
            });
        }
        Ok(bin)
    }
}

/// The repository's top folder (the workspace of `bridge-lib`).
pub fn workspace_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

#[derive(Debug)]
struct Output {
    status: std::process::ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs a command with its output captured and `input` on its stdin (else none), killing it
/// after `limit`.
async fn run_bounded(mut cmd: Command, limit: Duration, what: &str, input: Option<Vec<u8>>) -> Result<Output> {
    let stdin = if input.is_some() { Stdio::piped() } else { Stdio::null() };
    let mut child =
        cmd.stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| Error::Input {
            location: what.to_string(),
            reason: format!("cannot start it: {e}"),
            fix: "run `bash scripts/setup.sh --tests` (it builds the binary), or set BRIDGE_BIN to a built `bridge` binary".into(),
        })?;
    if let (Some(mut pipe), Some(bytes)) = (child.stdin.take(), input) {
        // a child that exits without reading gets EPIPE here; its output says why
        tokio::spawn(async move {
            let _ = pipe.write_all(&bytes).await;
        });
    }
    let reader = |pipe: Option<Box<dyn tokio::io::AsyncRead + Send + Unpin>>| {
        tokio::spawn(async move {
            let mut s = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut s).await;
            }
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = reader(child.stdout.take().map(|p| Box::new(p) as _));
    let err = reader(child.stderr.take().map(|p| Box::new(p) as _));
    let status = match tokio::time::timeout(limit, child.wait()).await {
        Ok(Ok(status)) => status,
        _ => {
            let _ = child.kill().await;
            return Err(Error::Timeout { what: what.to_string(), seconds: limit.as_secs_f64() });
        }
    };
    Ok(Output { status, stdout: out.await.unwrap_or_default(), stderr: err.await.unwrap_or_default() })
}

/// The last few lines of a process's output, for an error message.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_past_its_limit_is_killed_and_named() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 30"]);
        let began = std::time::Instant::now();
        let e = block_on(run_bounded(cmd, Duration::from_millis(300), "`sleep 30`", None)).unwrap_err();
        assert!(began.elapsed() < Duration::from_secs(10), "not killed: {:?}", began.elapsed());
        assert!(matches!(e, Error::Timeout { .. }) && e.to_string().contains("`sleep 30`"), "{e}");
    }

    #[test]
    fn a_child_reads_its_input_and_its_output_is_captured() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "cat; echo oops >&2; exit 3"]);
        let out = block_on(run_bounded(cmd, Duration::from_secs(20), "cat", Some(b"{\"a\":1}".to_vec()))).unwrap();
        assert_eq!((out.stdout.as_str(), out.stderr.trim(), out.status.code()), ("{\"a\":1}", "oops", Some(3)));
    }
}
