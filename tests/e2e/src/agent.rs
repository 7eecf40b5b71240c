//! The real `gitproxy` binary as a child process: where it is, a clean command, its log lines,
//! SIGTERM and its exit.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use gitproxy_test_support::LogWaiter;
use tokio::process::Child;

use crate::Error;

/// The `gitproxy` binary: `GITPROXY_BIN` when set, else the one cargo built beside this program
/// (`target/<profile>/gitproxy`).
pub fn gitproxy_binary() -> Result<PathBuf, Error> {
    if let Some(path) = std::env::var_os("GITPROXY_BIN") {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Ok(path);
        }
        return Err(Error::Setup(format!(
            "GITPROXY_BIN names {}, which is not a file; build it with `cargo build -p gitproxy`",
            path.display()
        )));
    }
    let exe = std::env::current_exe().map_err(|e| Error::io("find this program", "", e))?;
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.pop();
    }
    let candidate = dir.join("gitproxy");
    if candidate.is_file() {
        Ok(candidate)
    } else {
        Err(Error::Setup(format!(
            "the gitproxy binary is not built at {}: run `cargo xtask e2e` (it builds it), or `cargo build -p gitproxy` first",
            candidate.display()
        )))
    }
}

/// The binary with a clean environment (only `PATH` and a host name kept) and stdin closed.
pub fn gitproxy_command(binary: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(binary);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOSTNAME", "gitproxy-e2e")
        .stdin(Stdio::null());
    cmd
}

/// A running `gitproxy run` and the log lines it wrote to stderr.
#[derive(Debug)]
pub struct AgentProcess {
    child: Child,
    log: LogWaiter,
}

impl AgentProcess {
    /// Spawns `cmd` (stdout discarded, stderr read line by line).
    pub fn spawn(cmd: std::process::Command) -> Result<AgentProcess, Error> {
        let program = PathBuf::from(cmd.get_program());
        let mut cmd = tokio::process::Command::from(cmd);
        cmd.stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|e| Error::io("start the agent", &program, e))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| Error::Setup("the agent's stderr is not captured".to_owned()))?;
        Ok(AgentProcess {
            child,
            log: LogWaiter::spawn("the agent", stderr),
        })
    }

    /// Every log line received so far.
    pub fn seen(&self) -> &[String] {
        self.log.seen()
    }

    /// Takes in the lines written so far without waiting.
    pub fn collect(&mut self) -> &[String] {
        self.log.collect()
    }

    /// Waits up to `timeout` for a log line containing `needle` (earlier lines count too).
    pub async fn wait_line(&mut self, needle: &str, timeout: Duration) -> Result<String, Error> {
        Ok(self.log.wait_line(needle, timeout).await?)
    }

    /// Sends SIGTERM, as the kubelet does when a pod stops.
    pub fn sigterm(&self) -> Result<(), Error> {
        let pid = self
            .child
            .id()
            .ok_or_else(|| Error::Setup("the agent has already exited".to_owned()))?;
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .map_err(|e| Error::io("run kill", "kill", e))?;
        if status.success() {
            Ok(())
        } else {
            Err(Error::Setup(format!("kill -TERM {pid} failed ({status})")))
        }
    }

    /// Waits up to `timeout` for the agent to exit, then reads its remaining log lines.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, Error> {
        let status = tokio::time::timeout(timeout, self.child.wait())
            .await
            .map_err(|_| Error::Timeout("the agent to exit".to_owned()))?
            .map_err(|e| Error::io("wait for the agent", "gitproxy", e))?;
        // The reader task ends at EOF once the process is gone.
        self.log.drain(timeout).await;
        Ok(status)
    }
}

/// A plain HTTP/1.1 `GET` of the agent's probe listener (`/healthz`, `/readyz`, `/metrics`):
/// the status and the body.
pub async fn probe_get(addr: std::net::SocketAddr, path: &str) -> Result<(u16, String), Error> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let io = |e| Error::io("query the agent's probes", addr.to_string(), e);
    let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(io)?;
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .map_err(io)?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.map_err(io)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::Setup(format!("the probe answered no HTTP status: {response}")))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}
