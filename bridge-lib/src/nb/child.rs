//! Checks this build does not include run through the `bridge` binary, as a child process
//! with this environment's configuration; the binary is built on demand.

use super::{CheckId, CheckOutcome, Env, Report, BIN_VAR, BUILD_LIMIT, CHILD_LIMIT};
use crate::{Error, Result};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

impl Env {
    pub(super) fn run_binary(&self, id: CheckId) -> Result<CheckOutcome> {
        let bin = self.bridge_binary()?;
        let mut cmd = Command::new(&bin);
        cmd.args(["check", "--only", id.as_str(), "--format", "json"]).current_dir(std::env::temp_dir());
        for v in crate::config::ENV_VARS {
            cmd.env_remove(v);
        }
        for (k, v) in self.config.child_env() {
            cmd.env(k, v.expose());
        }
        let what = format!("`{} check --only {id}`", bin.display());
        let out = run_bounded(cmd, CHILD_LIMIT, &what)?;
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
        let out = run_bounded(cmd, BUILD_LIMIT, &what)?;
        if !out.status.success() || !bin.is_file() {
            return Err(Error::Input {
                location: what,
                reason: format!("cargo build failed ({}): {}", out.status, tail(&out.stderr)),
                fix: "run `bash scripts/setup.sh`, or set BRIDGE_BIN to a built `bridge` binary".into(),
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

struct Output {
    status: std::process::ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs a command with its output captured, killing it after `limit`.
fn run_bounded(mut cmd: Command, limit: Duration, what: &str) -> Result<Output> {
    let mut child =
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| Error::Input {
            location: what.to_string(),
            reason: format!("cannot start it: {e}"),
            fix: "run `bash scripts/setup.sh`, or set BRIDGE_BIN to a built `bridge` binary".into(),
        })?;
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut s);
            }
            s
        })
    };
    let out = reader(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err = reader(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let began = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if began.elapsed() < limit => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Timeout { what: what.to_string(), seconds: limit.as_secs_f64() });
            }
        }
    };
    Ok(Output { status, stdout: out.join().unwrap_or_default(), stderr: err.join().unwrap_or_default() })
}

/// The last few lines of a process's output, for an error message.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}
