//! A throwaway PostgreSQL cluster started from the machine's own binaries.
//!
//! `initdb` into a private temporary folder, `postgres` listening on a unix socket in that folder
//! and on a free loopback port. When run as root the server runs as the `postgres` OS user
//! (PostgreSQL refuses to run as root). The cluster stops and removes itself on drop; a watchdog
//! process removes it too if the owning process dies without dropping it, and a stale cluster
//! left by a killed process is cleaned up on the next start.

use crate::config::DbTarget;
use crate::{Error, Result};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PREFIX: &str = "bridge-pg-";
/// The superuser of every demo cluster.
pub const SUPERUSER: &str = "postgres";

/// A running throwaway cluster.
#[derive(Debug)]
pub struct PgCluster {
    dir: PathBuf,
    port: u16,
    server: Option<Child>,
    watchdog: Option<Child>,
    /// How long `start` took.
    pub startup: Duration,
    /// The server's major version, from `postgres --version`.
    pub version: String,
}

impl PgCluster {
    /// Starts a new cluster. Takes about two seconds (`initdb` dominates).
    pub fn start() -> Result<Self> {
        let began = Instant::now();
        let bindir = find_bindir()?;
        cleanup_stale();
        let run_as = server_user()?;
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("{PREFIX}{}-{nanos}", std::process::id()));
        let data = dir.join("data");
        fs::create_dir_all(&data).map_err(|e| io_err("create the cluster folder", &dir, e))?;
        fs::write(dir.join("owner.pid"), std::process::id().to_string())
            .map_err(|e| io_err("write owner.pid", &dir, e))?;
        for p in [&dir, &data] {
            fs::set_permissions(p, fs::Permissions::from_mode(0o700)).map_err(|e| io_err("set permissions", p, e))?;
            if let Some((uid, gid)) = run_as {
                nix::unistd::chown(p.as_path(), Some(uid), Some(gid)).map_err(|e| {
                    Error::demo(
                        format!("cannot hand {} to the postgres user: {e}", p.display()),
                        "run as root or as a normal user",
                    )
                })?;
            }
        }
        let mut cluster =
            PgCluster { dir, port: 0, server: None, watchdog: None, startup: Duration::ZERO, version: String::new() };
        cluster.version = version(&bindir);

        let out = command(&bindir.join("initdb"), run_as, &cluster.dir)
            .args(["-D"])
            .arg(&data)
            .args(["-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C", "-N"])
            .output()
            .map_err(|e| spawn_err("initdb", &bindir, &cluster.dir, &e))?;
        if !out.status.success() {
            return Err(Error::demo(
                format!("initdb failed: {}", tail(&String::from_utf8_lossy(&out.stderr))),
                "check that the temporary folder is writable and the PostgreSQL binaries work",
            ));
        }
        fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhost all postgres 127.0.0.1/32 reject\nhost all all 127.0.0.1/32 scram-sha-256\n",
        )
        .map_err(|e| io_err("write pg_hba.conf", &data, e))?;

        cluster.port = free_port()?;
        let log = fs::File::create(cluster.dir.join("postgres.log"))
            .map_err(|e| io_err("create the log", &cluster.dir, e))?;
        if let Some((uid, gid)) = run_as {
            let _ = nix::unistd::chown(cluster.dir.join("postgres.log").as_path(), Some(uid), Some(gid));
        }
        let server = command(&bindir.join("postgres"), run_as, &cluster.dir)
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(&cluster.dir)
            .args(["-p", &cluster.port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
            .args(["-c", "max_connections=200", "-c", "shared_buffers=64MB", "-c", "password_encryption=scram-sha-256"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| io_err("open the log", &cluster.dir, e))?)
            .stderr(log)
            .spawn()
            .map_err(|e| spawn_err("postgres", &bindir, &cluster.dir, &e))?;
        let pm_pid = server.id();
        cluster.server = Some(server);
        cluster.watchdog = spawn_watchdog(&cluster.dir, pm_pid);
        cluster.wait_ready(&data)?;
        cluster.startup = began.elapsed();
        Ok(cluster)
    }

    fn wait_ready(&mut self, data: &Path) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(text) = fs::read_to_string(data.join("postmaster.pid")) {
                if text.lines().nth(7).map(str::trim) == Some("ready") {
                    return Ok(());
                }
            }
            if let Some(server) = self.server.as_mut() {
                if let Ok(Some(status)) = server.try_wait() {
                    let log = fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default();
                    return Err(Error::demo(
                        format!("postgres exited at start-up ({status}): {}", tail(&log)),
                        "check the PostgreSQL installation and free memory",
                    ));
                }
            }
            if Instant::now() > deadline {
                return Err(Error::demo(
                    "postgres did not become ready within 30 s",
                    "check the machine's load and the PostgreSQL installation",
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The folder that holds the unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// The loopback TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A superuser connection over the unix socket.
    pub fn superuser(&self, dbname: &str) -> DbTarget {
        DbTarget::from_parts(&self.dir.display().to_string(), self.port, SUPERUSER, None, dbname)
    }

    /// A password connection over loopback TCP as `user`.
    pub fn tcp(&self, user: &str, password: &str, dbname: &str) -> DbTarget {
        DbTarget::from_parts("127.0.0.1", self.port, user, Some(password), dbname)
    }

    /// Stops the server at once and removes the folder.
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let pid = nix::unistd::Pid::from_raw(server.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGQUIT);
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = server.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = server.kill();
            let _ = server.wait();
        }
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::demo(
        format!("cannot {what} at {}: {e}", path.display()),
        "check that the temporary folder (TMPDIR) is writable",
    )
}

/// Why `program` could not be started, with the fix for that cause: a missing binary is an
/// installation problem; anything else (permission denied on the cluster folder or the binary)
/// is about the folder or the binaries' permissions, not about installing PostgreSQL.
fn spawn_err(program: &str, bindir: &Path, dir: &Path, e: &std::io::Error) -> Error {
    let fix = match e.kind() {
        std::io::ErrorKind::NotFound => format!(
            "install PostgreSQL server binaries (apt-get install postgresql), or set BRIDGE_PG_BINDIR (looked in {})",
            bindir.display()
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "check that {} can be run and that the user running the server may enter {} (set TMPDIR to a folder it can use)",
            bindir.join(program).display(),
            dir.display()
        ),
        _ => format!("check {} and the temporary folder {}", bindir.join(program).display(), dir.display()),
    };
    Error::demo(format!("cannot run {program}: {e}"), fix)
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..].join(" | ")
}

fn command(program: &Path, run_as: Option<(nix::unistd::Uid, nix::unistd::Gid)>, cwd: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(cwd).env("LC_ALL", "C").env_remove("PGDATA");
    if let Some((uid, gid)) = run_as {
        c.gid(gid.as_raw()).uid(uid.as_raw());
    }
    c
}

/// PostgreSQL refuses to run as root: as root, run it as the `postgres` OS user.
fn server_user() -> Result<Option<(nix::unistd::Uid, nix::unistd::Gid)>> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    match nix::unistd::User::from_name("postgres") {
        Ok(Some(u)) => Ok(Some((u.uid, u.gid))),
        _ => Err(Error::demo(
            "running as root and there is no `postgres` OS user to run the server as",
            "create one (useradd --system postgres) or run as a normal user",
        )),
    }
}

/// Finds `initdb` and `postgres`: `BRIDGE_PG_BINDIR`, then `PATH`, then `pg_config --bindir`,
/// then the newest `/usr/lib/postgresql/*/bin`.
pub fn find_bindir() -> Result<PathBuf> {
    let has = |d: &Path| d.join("initdb").is_file() && d.join("postgres").is_file();
    if let Ok(d) = std::env::var("BRIDGE_PG_BINDIR") {
        let d = PathBuf::from(d);
        return if has(&d) {
            Ok(d)
        } else {
            Err(Error::demo(
                format!("BRIDGE_PG_BINDIR={} has no initdb and postgres", d.display()),
                "point it at PostgreSQL's bin folder",
            ))
        };
    }
    if let Some(path) = std::env::var_os("PATH") {
        for d in std::env::split_paths(&path) {
            if has(&d) {
                return Ok(d);
            }
        }
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let d = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has(&d) {
            return Ok(d);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, d)| has(d))
        .collect();
    versions.sort();
    versions.pop().map(|(_, d)| d).ok_or_else(|| {
        Error::demo(
            "no PostgreSQL server binaries (initdb, postgres) on PATH, in pg_config --bindir or /usr/lib/postgresql",
            "install them (apt-get install postgresql) or set BRIDGE_PG_BINDIR",
        )
    })
}

fn version(bindir: &Path) -> String {
    Command::new(bindir.join("postgres"))
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::demo(format!("cannot find a free loopback port: {e}"), "check the loopback interface"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::demo(format!("cannot read the port: {e}"), "check the loopback interface"))
}

/// A small `sh` loop that outlives us: when the owning process is gone, it stops the server and
/// removes the folder.
fn spawn_watchdog(dir: &Path, pm_pid: u32) -> Option<Child> {
    watchdog(std::process::id(), pm_pid, dir).spawn().ok()
}

/// The watchdog's command: waits for `owner`, stops `pm_pid`, removes `dir`.
fn watchdog(owner: u32, pm_pid: u32, dir: &Path) -> Command {
    // a fixed script: the pids and the folder are its arguments ($1 $2 $3), never pasted into it,
    // so a TMPDIR with a quote or a `$(…)` is just a path
    const SCRIPT: &str = "while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; \
        kill -QUIT \"$2\" 2>/dev/null; sleep 2; kill -KILL \"$2\" 2>/dev/null; rm -rf -- \"$3\"";
    let mut c = Command::new("sh");
    c.args(["-c", SCRIPT, "bridge-demo-watchdog"])
        .arg(owner.to_string())
        .arg(pm_pid.to_string())
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c.process_group(0);
    c
}

/// Removes clusters whose owning process is gone (killed before it could clean up).
fn cleanup_stale() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with(PREFIX) {
            continue;
        }
        let dir = e.path();
        let owner: Option<i32> = fs::read_to_string(dir.join("owner.pid")).ok().and_then(|s| s.trim().parse().ok());
        let alive = match owner {
            Some(p) => nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), None).is_ok(),
            // another process is creating it right now, unless it was abandoned long ago
            None => e
                .metadata()
                .and_then(|m| m.modified())
                .map(|t| t.elapsed().unwrap_or_default() < Duration::from_secs(300))
                .unwrap_or(true),
        };
        if alive {
            continue;
        }
        if let Some(pm) = fs::read_to_string(dir.join("data/postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next()?.trim().parse::<i32>().ok())
        {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pm), nix::sys::signal::Signal::SIGQUIT);
        }
        let _ = fs::remove_dir_all(&dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cluster folder with a quote and a command substitution in its name is removed as a
    /// path: nothing in it runs.
    #[test]
    fn the_watchdog_takes_the_folder_as_an_argument_not_as_script() {
        let base = std::env::temp_dir().join(format!("bridge-watchdog-{}", std::process::id()));
        let witness = base.join("ran");
        let dir = base.join(format!("it's $(touch {}) x", witness.display()));
        fs::create_dir_all(&dir).unwrap();
        // pids that are gone: the loop ends at once
        let dead = Command::new("true").spawn().unwrap();
        let pid = dead.id();
        let _ = dead.wait_with_output();
        let status = watchdog(pid, pid, &dir).status().unwrap();
        assert!(status.success());
        assert!(!dir.exists(), "the folder was removed");
        assert!(!witness.exists(), "text in the folder's name ran as a command");
        fs::remove_dir_all(&base).unwrap();
    }
}
