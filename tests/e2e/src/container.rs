//! The gitproxy container image run for real without a Docker engine: `umoci` unpacks the OCI layout that
//! `cargo xtask image` wrote into a runtime bundle, the bundle's `config.json` is set up the way the Helm
//! chart runs the pod (non-root, read-only root filesystem, no capabilities, a writable `/tmp`, secrets
//! mounted read-only), and `runc` starts it on the host network.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::Error;

/// The image under test: `GITPROXY_IMAGE`, an OCI layout and tag (`target/dist/oci:0.1.0`) as written
/// by `cargo xtask image`.
pub fn image_under_test() -> Result<String, Error> {
    std::env::var("GITPROXY_IMAGE").map_err(|_| {
        Error::Setup(
            "GITPROXY_IMAGE is not set: run `cargo xtask image-e2e`, which builds the image and names it"
                .to_owned(),
        )
    })
}

fn run_tool(cmd: &mut Command, what: &'static str) -> Result<String, Error> {
    let program = PathBuf::from(cmd.get_program());
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::io(what, &program, e))?;
    if !out.status.success() {
        return Err(Error::Setup(format!(
            "could not {what} ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// An unpacked runtime bundle: `rootfs/` and the `config.json` umoci derived from the image config.
#[derive(Debug)]
pub struct Bundle {
    dir: PathBuf,
    image_config: Value,
}

impl Bundle {
    /// `umoci unpack --image <layout:tag> <dir>` (`dir` must not exist yet).
    pub fn unpack(image: &str, dir: &Path) -> Result<Bundle, Error> {
        run_tool(
            Command::new("umoci")
                .args(["unpack", "--image", image])
                .arg(dir),
            "unpack the image with umoci",
        )?;
        let path = dir.join("config.json");
        let text =
            std::fs::read(&path).map_err(|e| Error::io("read the bundle config", &path, e))?;
        let image_config = serde_json::from_slice(&text).map_err(|e| {
            Error::Setup(format!("umoci wrote a config.json that is not JSON: {e}"))
        })?;
        Ok(Bundle {
            dir: dir.to_path_buf(),
            image_config,
        })
    }

    /// The bundle directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The runtime config umoci derived from the image (user, args, env as the image defines them).
    pub fn image_config(&self) -> &Value {
        &self.image_config
    }

    /// Writes a config derived from the image's: the chart's pod settings applied, `args` as the command,
    /// `env` appended to the image's environment, and `mounts` (host path, container path) bound read-only.
    pub fn configure(
        &self,
        args: &[&str],
        env: &[(&str, String)],
        mounts: &[(&Path, &str)],
    ) -> Result<(), Error> {
        let mut config = self.image_config.clone();
        harden(&mut config);
        config["process"]["args"] = json!(args);
        let list = config["process"]["env"]
            .as_array_mut()
            .ok_or_else(|| Error::Setup("the bundle config has no process.env".to_owned()))?;
        // A later duplicate would be ignored (getenv takes the first), so a setting replaces the image's.
        list.retain(|item| {
            let key = item
                .as_str()
                .and_then(|i| i.split_once('='))
                .map(|(k, _)| k);
            !env.iter().any(|(k, _)| Some(*k) == key)
        });
        list.extend(env.iter().map(|(k, v)| Value::String(format!("{k}={v}"))));
        let all = config["mounts"]
            .as_array_mut()
            .ok_or_else(|| Error::Setup("the bundle config has no mounts".to_owned()))?;
        for (source, destination) in mounts {
            all.push(json!({
                "destination": destination,
                "type": "bind",
                "source": source,
                "options": ["rbind", "ro", "nosuid", "nodev", "noexec"],
            }));
        }
        let path = self.dir.join("config.json");
        let text = serde_json::to_vec_pretty(&config)
            .map_err(|e| Error::Setup(format!("cannot encode the bundle config: {e}")))?;
        std::fs::write(&path, text).map_err(|e| Error::io("write the bundle config", &path, e))
    }
}

/// The chart's pod settings on a runtime config: read-only root filesystem, no capabilities, no new
/// privileges, a writable `/tmp` (the chart's emptyDir), no terminal; the host network and no user or
/// cgroup namespace (what runc can do here), so `/sys` is not mounted.
pub fn harden(config: &mut Value) {
    config["process"]["terminal"] = json!(false);
    config["process"]["noNewPrivileges"] = json!(true);
    config["process"]["capabilities"] = json!({
        "bounding": [], "effective": [], "inheritable": [], "permitted": [], "ambient": [],
    });
    config["root"]["readonly"] = json!(true);
    if let Some(mounts) = config["mounts"].as_array_mut() {
        mounts.retain(|m| {
            m["destination"]
                .as_str()
                .is_some_and(|d| d != "/sys" && !d.starts_with("/sys/"))
        });
        mounts.push(json!({
            "destination": "/tmp",
            "type": "tmpfs",
            "source": "tmpfs",
            "options": ["nosuid", "nodev", "mode=1777", "size=65536k"],
        }));
    }
    if let Some(namespaces) = config["linux"]["namespaces"].as_array_mut() {
        namespaces.retain(|n| !matches!(n["type"].as_str(), Some("network" | "user" | "cgroup")));
    }
}

/// `runc` with its state kept in a directory of the test (never the system's `/run/runc`).
#[derive(Debug)]
pub struct Runc {
    state: PathBuf,
}

impl Runc {
    /// State under `dir`.
    pub fn new(dir: &Path) -> Runc {
        Runc {
            state: dir.to_path_buf(),
        }
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("runc");
        cmd.arg("--root").arg(&self.state);
        cmd
    }

    /// `runc run --bundle <bundle> <id>` in the foreground: the container's stdio is this command's, and
    /// its exit status is the container process's.
    pub fn run(&self, bundle: &Bundle, id: &str) -> Command {
        let mut cmd = self.command();
        cmd.arg("run").arg("--bundle").arg(bundle.dir()).arg(id);
        cmd
    }

    /// `runc kill <id> <signal>`, as the kubelet's runtime stops a container.
    pub fn kill(&self, id: &str, signal: &str) -> Result<(), Error> {
        run_tool(
            self.command().args(["kill", id, signal]),
            "signal the container with runc kill",
        )
        .map(|_| ())
    }

    /// The host pid of the container's process (`runc state`).
    pub fn pid(&self, id: &str) -> Result<u32, Error> {
        let text = run_tool(
            self.command().args(["state", id]),
            "read the container state with runc state",
        )?;
        let state: Value = serde_json::from_str(&text)
            .map_err(|e| Error::Setup(format!("runc state printed no JSON: {e}")))?;
        state["pid"]
            .as_u64()
            .and_then(|p| u32::try_from(p).ok())
            .ok_or_else(|| Error::Setup(format!("runc state names no pid: {text}")))
    }

    /// `runc delete --force <id>`, for cleanup after a failed test (errors ignored: it may be gone).
    pub fn delete(&self, id: &str) {
        let _ = self
            .command()
            .args(["delete", "--force", id])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The effective uid and gid of a host process (`/proc/<pid>/status`).
pub fn process_ids(pid: u32) -> Result<(u32, u32), Error> {
    let path = PathBuf::from(format!("/proc/{pid}/status"));
    let status = std::fs::read_to_string(&path)
        .map_err(|e| Error::io("read the process status", &path, e))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| Error::Setup(format!("{} has no {name} line", path.display())))
    };
    Ok((field("Uid:")?, field("Gid:")?))
}

/// The mount options of `/` as a process sees it (`/proc/<pid>/mountinfo`), e.g. `ro,relatime`.
pub fn root_mount_options(pid: u32) -> Result<String, Error> {
    let path = PathBuf::from(format!("/proc/{pid}/mountinfo"));
    let info =
        std::fs::read_to_string(&path).map_err(|e| Error::io("read the mount table", &path, e))?;
    info.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|fields| fields.get(4) == Some(&"/"))
        .and_then(|fields| fields.get(5).map(|o| (*o).to_owned()))
        .ok_or_else(|| Error::Setup(format!("{} lists no mount at /", path.display())))
}
