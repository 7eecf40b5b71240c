//! A real tinyproxy standing in for the corporate egress proxy: generated configuration, a free
//! loopback port, its log read line by line from its stdout (each line is an event waiters wake
//! on); killed on drop.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::Error;

#[cfg(test)]
mod tests;

/// How long tinyproxy may take to listen, and the longest [`Tinyproxy::wait_for_log`] waits.
const START: Duration = Duration::from_secs(10);

/// What the generated configuration enables beyond `Allow 127.0.0.1` and logging at `Info`.
#[derive(Debug, Default, Clone)]
pub struct TinyproxyOptions {
    /// `BasicAuth user pass`: clients must authenticate (407 otherwise).
    pub basic_auth: Option<(String, String)>,
    /// `ConnectPort` lines; none means tinyproxy allows CONNECT to every port.
    pub connect_ports: Vec<u16>,
    /// `Upstream http host:port`: forward everything to a parent proxy (502 when it is down).
    pub upstream: Option<SocketAddr>,
    /// `Upstream http host:port "domain"`: forward only requests for `domain` to a parent proxy
    /// (a dead one stands for an internal host the proxy cannot reach).
    pub upstream_for: Vec<(SocketAddr, String)>,
}

/// The line tinyproxy logs once it accepts connections.
const READY: &str = "Accepting connections";

/// A running tinyproxy on 127.0.0.1.
#[derive(Debug)]
pub struct Tinyproxy {
    child: Child,
    addr: SocketAddr,
    log: Arc<Log>,
    dir: tempfile::TempDir,
}

/// tinyproxy's log as read so far, with a signal for every line and for its end.
#[derive(Debug)]
struct Log {
    state: Mutex<LogState>,
    /// Wakes the blocking waiter (start-up).
    grew: Condvar,
    /// Wakes async waiters; the value counts lines.
    lines: tokio::sync::watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct LogState {
    text: String,
    /// tinyproxy closed its stdout (it exited).
    ended: bool,
}

impl Log {
    fn new() -> Log {
        Log {
            state: Mutex::new(LogState::default()),
            grew: Condvar::new(),
            lines: tokio::sync::watch::channel(0).0,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LogState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads `stdout` to its end on a thread of its own, signalling each line.
    fn follow(log: &Arc<Log>, stdout: ChildStdout) {
        let log = log.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = Vec::new();
            loop {
                line.clear();
                let n = reader.read_until(b'\n', &mut line).unwrap_or(0);
                let mut state = log.state();
                if n == 0 {
                    state.ended = true;
                } else {
                    state.text.push_str(&String::from_utf8_lossy(&line));
                }
                drop(state);
                log.grew.notify_all();
                log.lines.send_modify(|count| *count += 1);
                if n == 0 {
                    return;
                }
            }
        });
    }
}

impl Tinyproxy {
    /// Starts tinyproxy with the default options and waits until it accepts connections.
    pub fn start() -> Result<Tinyproxy, Error> {
        Tinyproxy::start_with(&TinyproxyOptions::default())
    }

    /// Starts tinyproxy configured by `options` and waits until it accepts connections.
    pub fn start_with(options: &TinyproxyOptions) -> Result<Tinyproxy, Error> {
        let binary = binary()?;
        let mut last = String::new();
        // A freed port can be taken before tinyproxy binds it: retry a few times.
        for _ in 0..5 {
            let dir = tempfile::tempdir().map_err(|e| Error::io("create a temp dir", "", e))?;
            let port = free_port()?;
            let config = dir.path().join("tinyproxy.conf");
            std::fs::write(&config, config_text(port, options))
                .map_err(|e| Error::io("write tinyproxy.conf", &config, e))?;
            let stderr_path = dir.path().join("stderr.txt");
            let stderr = std::fs::File::create(&stderr_path)
                .map_err(|e| Error::io("create tinyproxy's stderr file", &stderr_path, e))?;
            // Without a `LogFile`, tinyproxy in the foreground logs to stdout.
            let mut child = Command::new(&binary)
                .arg("-d")
                .arg("-c")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(stderr)
                .spawn()
                .map_err(|e| Error::io("start tinyproxy", &binary, e))?;
            let log = Arc::new(Log::new());
            if let Some(stdout) = child.stdout.take() {
                Log::follow(&log, stdout);
            }
            let mut proxy = Tinyproxy {
                child,
                addr: SocketAddr::from(([127, 0, 0, 1], port)),
                log,
                dir,
            };
            match proxy.wait_listening() {
                Ok(()) => return Ok(proxy),
                Err(e) => last = e,
            }
        }
        Err(Error::Setup(format!(
            "tinyproxy did not start: {last}; run it by hand with the generated configuration to see why"
        )))
    }

    /// Waits for tinyproxy's "accepting connections" line, or for it to exit (a port race).
    fn wait_listening(&mut self) -> Result<(), String> {
        let state = self.log.state();
        let (state, timeout) = self
            .log
            .grew
            .wait_timeout_while(state, START, |s| !s.text.contains(READY) && !s.ended)
            .unwrap_or_else(|p| p.into_inner());
        if state.text.contains(READY) {
            return Ok(());
        }
        let log = state.text.clone();
        drop(state);
        if timeout.timed_out() {
            return Err(format!(
                "not listening on {} after {START:?}:\n{log}",
                self.addr
            ));
        }
        let status = self
            .child
            .wait()
            .map_or_else(|e| e.to_string(), |s| s.to_string());
        let stderr =
            std::fs::read_to_string(self.dir.path().join("stderr.txt")).unwrap_or_default();
        Err(format!("exited with {status}: {stderr}{log}"))
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port`, the value of `HTTPS_PROXY`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://user:pass@127.0.0.1:port`.
    pub fn url_with_credentials(&self, user: &str, pass: &str) -> String {
        format!("http://{user}:{pass}@{}", self.addr)
    }

    /// The proxy's log read so far. For a line a request should have caused, use
    /// [`Tinyproxy::wait_for_log`]; this is for lines that must be absent after a run.
    pub fn log(&self) -> String {
        self.log.state().text.clone()
    }

    /// Waits (at most 10 s) until the log contains `needle` and returns the log; woken by each
    /// line tinyproxy writes.
    pub async fn wait_for_log(&self, needle: &str) -> Result<String, Error> {
        let mut lines = self.log.lines.subscribe();
        let deadline = tokio::time::Instant::now() + START;
        loop {
            let (log, ended) = {
                let state = self.log.state();
                (state.text.clone(), state.ended)
            };
            if log.contains(needle) {
                return Ok(log);
            }
            let grew = !ended
                && matches!(
                    tokio::time::timeout_at(deadline, lines.changed()).await,
                    Ok(Ok(()))
                );
            if !grew {
                return Err(Error::Timeout {
                    source_name: "tinyproxy".to_owned(),
                    needle: needle.to_owned(),
                    log: self.log(),
                });
            }
        }
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config_text(port: u16, options: &TinyproxyOptions) -> String {
    let mut text = format!(
        "Port {port}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nLogLevel Info\nMaxClients 64\nDisableViaHeader Yes\n"
    );
    if let Some((user, pass)) = &options.basic_auth {
        let _ = writeln!(text, "BasicAuth {user} {pass}");
    }
    for port in &options.connect_ports {
        let _ = writeln!(text, "ConnectPort {port}");
    }
    if let Some(upstream) = options.upstream {
        let _ = writeln!(text, "Upstream http {upstream}");
    }
    for (upstream, domain) in &options.upstream_for {
        let _ = writeln!(text, "Upstream http {upstream} \"{domain}\"");
    }
    text
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> Result<u16, Error> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Error::io("bind an ephemeral loopback port", "127.0.0.1:0", e))
}

fn binary() -> Result<PathBuf, Error> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/bin".into(), "/usr/local/bin".into()])
        .map(|dir| dir.join("tinyproxy"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            Error::Setup(
                "tinyproxy is not installed: run `cargo xtask test` (it installs it) or `apt-get install tinyproxy`"
                    .to_owned(),
            )
        })
}
