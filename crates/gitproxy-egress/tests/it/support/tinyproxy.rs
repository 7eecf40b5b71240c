//! A real tinyproxy per test: generated config, a free loopback port, its log file, killed on drop.

use std::fs;
use std::io::Read as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What the generated configuration enables.
#[derive(Debug, Default, Clone)]
pub(crate) struct TinyproxyOptions {
    /// `BasicAuth user pass`: clients must authenticate (407 otherwise).
    pub(crate) basic_auth: Option<(String, String)>,
    /// `ConnectPort` lines; none means tinyproxy allows CONNECT to every port.
    pub(crate) connect_ports: Vec<u16>,
    /// `Upstream http host:port`: forward everything to a parent proxy (502 when it is down).
    pub(crate) upstream: Option<SocketAddr>,
}

/// A running tinyproxy listening on 127.0.0.1.
#[derive(Debug)]
pub(crate) struct Tinyproxy {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
    dir: tempfile::TempDir,
}

impl Tinyproxy {
    /// Starts tinyproxy with the default options.
    pub(crate) fn start() -> Tinyproxy {
        Tinyproxy::start_with(&TinyproxyOptions::default())
    }

    /// Starts tinyproxy and waits until it accepts connections.
    pub(crate) fn start_with(options: &TinyproxyOptions) -> Tinyproxy {
        let binary = binary();
        let mut last_error = String::new();
        // A freed port can be taken by someone else before tinyproxy binds it: retry a few times.
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("temp dir for tinyproxy");
            let port = free_port();
            let log = dir.path().join("tinyproxy.log");
            let config = dir.path().join("tinyproxy.conf");
            fs::write(&config, config_text(port, &log, options)).expect("write tinyproxy.conf");
            let stderr = fs::File::create(dir.path().join("stderr.txt")).expect("stderr file");
            let child = Command::new(&binary)
                .arg("-d")
                .arg("-c")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .unwrap_or_else(|err| panic!("could not start {}: {err}", binary.display()));
            let mut proxy = Tinyproxy {
                child,
                addr: SocketAddr::from(([127, 0, 0, 1], port)),
                log,
                dir,
            };
            match proxy.wait_until_listening() {
                Ok(()) => return proxy,
                Err(err) => last_error = err,
            }
        }
        panic!("tinyproxy did not start: {last_error}");
    }

    fn wait_until_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut pause = Duration::from_millis(2);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut stderr = String::new();
                if let Ok(mut file) = fs::File::open(self.dir.path().join("stderr.txt")) {
                    let _ = file.read_to_string(&mut stderr);
                }
                return Err(format!("exited with {status}: {stderr}{}", self.log()));
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("not listening on {} after 10 s", self.addr));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:port`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://user:pass@127.0.0.1:port`.
    pub(crate) fn url_with_credentials(&self, user: &str, pass: &str) -> String {
        format!("http://{user}:{pass}@{}", self.addr)
    }

    /// The proxy's log so far.
    pub(crate) fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log contains `needle` (tinyproxy writes each line as it handles a request).
    pub(crate) async fn wait_for_log(&self, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if log.contains(needle) {
                return log;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "tinyproxy's log never showed `{needle}`:\n{log}"
            );
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
        text.push_str(&format!("BasicAuth {user} {pass}\n"));
    }
    for port in &options.connect_ports {
        text.push_str(&format!("ConnectPort {port}\n"));
    }
    if let Some(upstream) = options.upstream {
        text.push_str(&format!("Upstream http {upstream}\n"));
    }
    text
}

/// A loopback port nobody listens on right now.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral loopback port")
}

fn binary() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/bin".into(), "/usr/local/bin".into()])
        .map(|dir| dir.join("tinyproxy"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!("tinyproxy is not installed: run `cargo xtask test` (it installs it) or `apt-get install tinyproxy`")
        })
}
