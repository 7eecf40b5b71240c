//! A real tinyproxy standing in for the corporate egress proxy: generated configuration, a free
//! loopback port, its log file; killed on drop.

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// A running tinyproxy on 127.0.0.1.
#[derive(Debug)]
pub struct Tinyproxy {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
    dir: tempfile::TempDir,
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
            let log = dir.path().join("tinyproxy.log");
            let config = dir.path().join("tinyproxy.conf");
            std::fs::write(&config, config_text(port, &log, options))
                .map_err(|e| Error::io("write tinyproxy.conf", &config, e))?;
            let stderr_path = dir.path().join("stderr.txt");
            let stderr = std::fs::File::create(&stderr_path)
                .map_err(|e| Error::io("create tinyproxy's stderr file", &stderr_path, e))?;
            let child = Command::new(&binary)
                .arg("-d")
                .arg("-c")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .map_err(|e| Error::io("start tinyproxy", &binary, e))?;
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

    /// Waits for the port to accept a connection, or for the process to exit (a port race).
    fn wait_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START;
        let mut pause = Duration::from_millis(2);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let stderr =
                    std::fs::read_to_string(self.dir.path().join("stderr.txt")).unwrap_or_default();
                return Err(format!("exited with {status}: {stderr}{}", self.log()));
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("not listening on {} after {START:?}", self.addr));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(100));
        }
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

    /// The proxy's log so far. tinyproxy writes a request's lines before it forwards anything, so
    /// once a client has its answer the lines of that request are here.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits (at most 10 s) until the log contains `needle` and returns the log; for requests
    /// whose answer the test did not wait for.
    pub async fn wait_for_log(&self, needle: &str) -> Result<String, Error> {
        let deadline = tokio::time::Instant::now() + START;
        loop {
            let log = self.log();
            if log.contains(needle) {
                return Ok(log);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::Timeout {
                    source_name: "tinyproxy".to_owned(),
                    needle: needle.to_owned(),
                    log,
                });
            }
            // The log is a file tinyproxy appends to; there is no event to await, so look again shortly.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config_text(port: u16, log: &Path, options: &TinyproxyOptions) -> String {
    let mut text = format!(
        "Port {port}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nLogFile \"{}\"\nLogLevel Info\nMaxClients 64\nDisableViaHeader Yes\n",
        log.display()
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
