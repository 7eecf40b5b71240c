//! A real tinyproxy standing in for the corporate egress proxy: generated configuration, a free
//! loopback port, its log file; killed on drop.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Error;

/// A running tinyproxy on 127.0.0.1.
#[derive(Debug)]
pub struct Tinyproxy {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tinyproxy {
    /// Starts tinyproxy with `extra` appended to its configuration (e.g. `Upstream` rules) and
    /// waits until it accepts connections.
    pub fn start(extra: &str) -> Result<Tinyproxy, Error> {
        let binary = binary()?;
        let mut last = String::new();
        // A freed port can be taken before tinyproxy binds it: retry a few times.
        for _ in 0..5 {
            let dir = tempfile::tempdir().map_err(|e| Error::io("create a temp dir", "", e))?;
            let port = free_port()?;
            let log = dir.path().join("tinyproxy.log");
            let config = dir.path().join("tinyproxy.conf");
            let text = format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nLogFile \"{}\"\nLogLevel Info\nMaxClients 64\nDisableViaHeader Yes\n{extra}\n",
                log.display()
            );
            std::fs::write(&config, text)
                .map_err(|e| Error::io("write tinyproxy.conf", &config, e))?;
            let child = Command::new(&binary)
                .arg("-d")
                .arg("-c")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| Error::io("start tinyproxy", &binary, e))?;
            let mut proxy = Tinyproxy {
                child,
                addr: SocketAddr::from(([127, 0, 0, 1], port)),
                log,
                _dir: dir,
            };
            match proxy.wait_listening() {
                Ok(()) => return Ok(proxy),
                Err(e) => last = e,
            }
        }
        Err(Error::Setup(format!("tinyproxy did not start: {last}")))
    }

    fn wait_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut pause = Duration::from_millis(2);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status}: {}", self.log()));
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

    /// `http://127.0.0.1:port`, the value of `HTTPS_PROXY`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The proxy's log so far (one line per request it handled).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
