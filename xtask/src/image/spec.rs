//! What the gitproxy image contains, in one list that both `cargo xtask image` and the generated
//! `bins/gitproxy/Dockerfile` are built from: the files of each layer, the user, the environment, the
//! entrypoint, the probe port and the labels.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

/// Where the agent binary lives in the image.
pub(crate) const BINARY: &str = "/usr/local/bin/gitproxy";
/// Where the OSV data layer lands; the chart's `osv.dir` default points here.
pub(crate) const OSV_DIR: &str = "/usr/share/gitproxy/osv";
/// The probe and metrics port (`GITPROXY_LISTEN`, the chart's `containerPort`).
pub(crate) const PROBE_PORT: u16 = 8080;
/// The CA bundle the agent's platform trust store reads.
pub(crate) const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
/// The dynamic loader the binary names (`PT_INTERP`), and the shared libraries it needs (`ldd`), at the
/// same paths on the Debian 12 build host and in the image. `cargo xtask image` fails when `ldd` disagrees.
pub(crate) const LOADER: &str = "/lib64/ld-linux-x86-64.so.2";
pub(crate) const LIBRARIES: &[&str] = &[
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib/x86_64-linux-gnu/libgcc_s.so.1",
    "/lib/x86_64-linux-gnu/libm.so.6",
];
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The layers, in order: rarely changing first.
pub(crate) const BASE: &str = "base";
pub(crate) const AGENT: &str = "gitproxy";
pub(crate) const OSV: &str = "osv";

/// Where a file of the image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// The same path on the build host (Debian 12), symlinks followed.
    Host,
    /// The release binary of `bins/gitproxy`.
    Binary,
    /// Text written by the build.
    Text(String),
    /// A directory owned by `uid:gid`.
    Dir { uid: u32, gid: u32 },
    /// Every file under the OSV data directory (the `osv` build context of the Dockerfile).
    OsvTree,
}

/// One path of the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageFile {
    pub(crate) layer: &'static str,
    pub(crate) path: String,
    pub(crate) mode: u32,
    pub(crate) source: Source,
}

/// The facts the image is built from, read from the workspace and the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spec {
    /// The workspace version, the chart's appVersion and the image tag.
    pub(crate) version: String,
    /// The chart's default `image.repository`.
    pub(crate) repository: String,
    /// The workspace's `repository` URL (the `source` label).
    pub(crate) source: String,
    /// The chart's `securityContext.runAsUser` / `runAsGroup`.
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

impl Spec {
    /// Reads the version and source URL from the root Cargo.toml and the user and repository from the
    /// chart's values.yaml.
    pub(crate) fn load(root: &Path) -> Result<Self> {
        let manifest = read(&root.join("Cargo.toml"))?;
        let values = read(&root.join("charts/gitproxy/values.yaml"))?;
        let field = |name: &str| {
            toml_field(&manifest, "[workspace.package]", name)
                .with_context(|| format!("Cargo.toml has no [workspace.package] {name}; add it"))
        };
        let number = |key: &str| -> Result<u32> {
            let text = yaml_field(&values, "securityContext", key).with_context(|| {
                format!(
                    "values.yaml has no securityContext.{key}; the image runs as the chart's user"
                )
            })?;
            text.parse().with_context(|| {
                format!("values.yaml securityContext.{key} is {text:?}, not a number")
            })
        };
        let spec = Spec {
            version: field("version")?,
            source: field("repository")?,
            repository: yaml_field(&values, "image", "repository").context(
                "values.yaml has no image.repository; the build names the image the chart pulls",
            )?,
            uid: number("runAsUser")?,
            gid: number("runAsGroup")?,
        };
        if spec.uid == 0 || spec.gid == 0 {
            bail!(
                "values.yaml securityContext runs as uid/gid 0; the image's user must be non-root"
            );
        }
        Ok(spec)
    }

    /// `repository:tag`, what the chart's default values pull.
    pub(crate) fn reference(&self) -> String {
        format!("{}:{}", self.repository, self.version)
    }

    /// `/etc/passwd`: root and the non-root user the chart runs as.
    pub(crate) fn passwd(&self) -> String {
        format!(
            "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:{}:{}:nonroot:/home/nonroot:/sbin/nologin\n",
            self.uid, self.gid
        )
    }

    /// `/etc/group`.
    pub(crate) fn group(&self) -> String {
        format!("root:x:0:\nnonroot:x:{}:\n", self.gid)
    }

    /// Every path of the image, layer by layer.
    pub(crate) fn files(&self) -> Vec<ImageFile> {
        let file = |layer, path: &str, mode, source| ImageFile {
            layer,
            path: path.to_owned(),
            mode,
            source,
        };
        let mut files = vec![file(BASE, LOADER, 0o755, Source::Host)];
        files.extend(
            LIBRARIES
                .iter()
                .map(|lib| file(BASE, lib, 0o644, Source::Host)),
        );
        files.extend([
            file(BASE, CA_BUNDLE, 0o644, Source::Host),
            file(BASE, "/etc/passwd", 0o644, Source::Text(self.passwd())),
            file(BASE, "/etc/group", 0o644, Source::Text(self.group())),
            file(
                BASE,
                "/home/nonroot",
                0o700,
                Source::Dir {
                    uid: self.uid,
                    gid: self.gid,
                },
            ),
            file(BASE, "/tmp", 0o1777, Source::Dir { uid: 0, gid: 0 }),
            file(AGENT, BINARY, 0o755, Source::Binary),
            file(OSV, OSV_DIR, 0o755, Source::OsvTree),
        ]);
        files
    }

    /// The environment of the image.
    pub(crate) fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PATH", PATH.to_owned()),
            ("GITPROXY_LISTEN", format!("0.0.0.0:{PROBE_PORT}")),
            ("GITPROXY_OSV_DIR", OSV_DIR.to_owned()),
        ]
    }

    /// The OCI labels; `revision` is the commit the image was built from.
    pub(crate) fn labels(&self, revision: &str) -> Vec<(&'static str, String)> {
        vec![
            ("org.opencontainers.image.title", "gitproxy".to_owned()),
            (
                "org.opencontainers.image.description",
                "On-prem agent of the Backline Bitbucket Data Center integration".to_owned(),
            ),
            ("org.opencontainers.image.licenses", "Apache-2.0".to_owned()),
            ("org.opencontainers.image.version", self.version.clone()),
            ("org.opencontainers.image.revision", revision.to_owned()),
            ("org.opencontainers.image.source", self.source.clone()),
        ]
    }

    /// The `config` object of the OCI image config.
    pub(crate) fn oci_config(&self, revision: &str) -> Value {
        let env: Vec<String> = self.env().iter().map(|(k, v)| format!("{k}={v}")).collect();
        let labels: serde_json::Map<String, Value> = self
            .labels(revision)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::String(v)))
            .collect();
        json!({
            "User": format!("{}:{}", self.uid, self.gid),
            "ExposedPorts": { format!("{PROBE_PORT}/tcp"): {} },
            "Env": env,
            "Entrypoint": [BINARY],
            "Cmd": ["run"],
            "WorkingDir": "/",
            "Labels": labels,
        })
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("could not read {}", path.display()))
}

/// `key = "value"` inside `[section]` of a TOML file (plain strings only).
pub(crate) fn toml_field(text: &str, section: &str, key: &str) -> Option<String> {
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == section;
        } else if inside {
            let Some((name, value)) = line.split_once('=') else {
                continue;
            };
            if name.trim() == key {
                return Some(value.trim().trim_matches('"').to_owned());
            }
        }
    }
    None
}

/// `key: value` directly under the top-level mapping `block:` of a YAML file (plain scalars only).
pub(crate) fn yaml_field(text: &str, block: &str, key: &str) -> Option<String> {
    let mut inside = false;
    let mut indent = None;
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let depth = line.len() - line.trim_start().len();
        if depth == 0 {
            inside = line.trim_end() == format!("{block}:");
            indent = None;
            continue;
        }
        if !inside {
            continue;
        }
        let level = *indent.get_or_insert(depth);
        if depth != level {
            continue;
        }
        if let Some((name, value)) = line.trim().split_once(':') {
            if name == key {
                let value = value.split(" #").next().unwrap_or_default().trim();
                return Some(value.trim_matches('"').to_owned());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
