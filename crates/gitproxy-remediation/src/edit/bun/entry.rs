//! One `bun.lock` package entry as Bun prints it: `"key": ["name@version", registry, { info },
//! integrity]`, the info object on one line with the dependency groups (names sorted),
//! `optionalPeers`, `bundled`, `os`, `cpu`, `libc` (combined as Bun combines them),
//! `hasInstallScript` and `bin`. [`printed_entry`] builds it from the registry's metadata of a
//! version, [`canonical_line`] reprints an entry already in the lockfile, so that a file Bun did
//! not write as it stands is told apart from one it did.

use std::collections::BTreeSet;

use crate::json::{self, Node, Value};
use crate::registry::Registry;
use crate::Error;

/// The registry Bun records as `""`.
const DEFAULT_REGISTRY: &str = "https://registry.npmjs.org";

/// The dependency groups of an info object, in Bun's order.
const GROUPS: [&str; 4] = [
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
];

/// The operating systems, CPUs and C libraries Bun knows, in the order it prints them; any
/// other value counts as unrecognised.
pub(super) const OS: [&str; 8] = [
    "aix", "darwin", "freebsd", "linux", "openbsd", "sunos", "win32", "android",
];
pub(super) const CPU: [&str; 11] = [
    "arm", "arm64", "ia32", "mips", "mipsel", "ppc", "ppc64", "s390", "s390x", "x32", "x64",
];
const LIBC: [&str; 2] = ["glibc", "musl"];

/// What an entry's info object holds, each value as Bun prints it.
#[derive(Default)]
struct Info {
    /// `(group, [(name, range)])`, in Bun's group order.
    groups: Vec<(&'static str, Vec<(String, String)>)>,
    optional_peers: Vec<String>,
    bundled: bool,
    /// `os`, `cpu`, `libc`, printed.
    platform: Vec<(&'static str, String)>,
    install_script: bool,
    /// `bin` or `binDir`, printed.
    bin: Option<(&'static str, String)>,
}

impl Info {
    fn print(&self) -> String {
        let mut parts = Vec::new();
        for (group, deps) in &self.groups {
            let mut deps = deps.clone();
            deps.sort();
            let body: Vec<String> = deps
                .iter()
                .map(|(n, r)| format!("{}: {}", json::quote(n), json::quote(r)))
                .collect();
            parts.push(format!("\"{group}\": {{ {} }}", body.join(", ")));
        }
        if !self.optional_peers.is_empty() {
            let peers: Vec<String> = self.optional_peers.iter().map(|p| json::quote(p)).collect();
            parts.push(format!("\"optionalPeers\": [{}]", peers.join(", ")));
        }
        if self.bundled {
            parts.push("\"bundled\": true".into());
        }
        for (key, value) in &self.platform {
            parts.push(format!("\"{key}\": {value}"));
        }
        if self.install_script {
            parts.push("\"hasInstallScript\": true".into());
        }
        if let Some((key, value)) = &self.bin {
            parts.push(format!("\"{key}\": {value}"));
        }
        if parts.is_empty() {
            "{}".into()
        } else {
            format!("{{ {} }}", parts.join(", "))
        }
    }

    /// The info object of an entry in the lockfile, read as recorded (so that printing it back
    /// shows whether Bun wrote it so).
    fn recorded(text: &str, node: &Node) -> Info {
        let mut info = Info::default();
        for group in GROUPS {
            if let Some(g) = node.get(group) {
                let deps = g
                    .members()
                    .iter()
                    .map(|m| (m.key.clone(), m.value.as_str().unwrap_or("").to_string()))
                    .collect();
                info.groups.push((group, deps));
            }
        }
        info.optional_peers = node
            .get("optionalPeers")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .map(|p| p.as_str().unwrap_or("").to_string())
            .collect();
        info.bundled = node.get("bundled").is_some_and(|b| is_true(text, b));
        for key in ["os", "cpu", "libc"] {
            if let Some(v) = node.get(key) {
                info.platform.push((key, printed_values(v)));
            }
        }
        info.install_script = node
            .get("hasInstallScript")
            .is_some_and(|b| is_true(text, b));
        for key in ["bin", "binDir"] {
            if let Some(b) = node.get(key) {
                info.bin = Some((if key == "bin" { "bin" } else { "binDir" }, printed_bin(b)));
            }
        }
        info
    }
}

fn is_true(text: &str, node: &Node) -> bool {
    &text[node.start..node.end] == "true"
}

/// A string or an array of strings as Bun prints `os`/`cpu`/`libc`.
fn printed_values(node: &Node) -> String {
    match &node.value {
        Value::Array(items) => {
            let body: String = items
                .iter()
                .map(|i| format!("{}, ", json::quote(i.as_str().unwrap_or(""))))
                .collect();
            format!("[ {body}]")
        }
        _ => json::quote(node.as_str().unwrap_or("")),
    }
}

/// `bin` on one line: a path, or `{ "command": "path", ... }` in the order given.
fn printed_bin(node: &Node) -> String {
    match &node.value {
        Value::Object(members) => {
            let body: Vec<String> = members
                .iter()
                .map(|b| {
                    format!(
                        "{}: {}",
                        json::quote(&b.key),
                        json::quote(b.value.as_str().unwrap_or(""))
                    )
                })
                .collect();
            format!("{{ {} }}", body.join(", "))
        }
        _ => json::quote(node.as_str().unwrap_or("")),
    }
}

/// The line of a registry entry: `"key": ["ident", "registry", { info }, "integrity"]`.
fn line(key: &str, ident: &str, registry: &str, info: &Info, integrity: &str) -> String {
    format!(
        "{}: [{}, {}, {}, {}]",
        json::quote(key),
        json::quote(ident),
        json::quote(registry),
        info.print(),
        json::quote(integrity)
    )
}

/// The line Bun would write for the registry entry `key` as the lockfile records it (`items`:
/// ident, registry, info, integrity); equal to the recorded text only when Bun wrote it so.
pub(super) fn canonical_line(text: &str, key: &str, items: &[Node]) -> String {
    let s = |i: usize| items.get(i).and_then(Node::as_str).unwrap_or("");
    let info = items
        .get(2)
        .map(|n| Info::recorded(text, n))
        .unwrap_or_default();
    line(key, s(0), s(1), &info, s(3))
}

/// The line Bun writes for `name@version` at `key`, from the registry's metadata; `Err` with
/// the reason when the metadata holds what this printer does not reproduce.
pub(super) async fn printed_entry(
    registry: &dyn Registry,
    key: &str,
    name: &str,
    version: &str,
) -> Result<Result<String, String>, Error> {
    let Some(text) = registry.npm_manifest(name, version).await? else {
        return Ok(Err(format!(
            "the npm registry gave no metadata for {name}@{version}"
        )));
    };
    let Ok(m) = json::parse(&text) else {
        return Ok(Err(format!(
            "the npm registry's metadata for {name}@{version} is not JSON"
        )));
    };
    let dist = m.get("dist");
    let Some(integrity) = dist.and_then(|d| d.get("integrity")).and_then(Node::as_str) else {
        return Ok(Err(format!(
            "the npm registry gave no integrity for {name}@{version}"
        )));
    };
    let tarball = dist
        .and_then(|d| d.get("tarball"))
        .and_then(Node::as_str)
        .unwrap_or("");
    let under_default = tarball
        .strip_prefix(DEFAULT_REGISTRY)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    let registry_field = if under_default { "" } else { tarball };
    match registry_info(&text, &m, name, version) {
        Ok(info) => Ok(Ok(line(
            key,
            &format!("{name}@{version}"),
            registry_field,
            &info,
            integrity,
        ))),
        Err(why) => Ok(Err(why)),
    }
}

/// The info object Bun records for a version, from its registry metadata `m`.
fn registry_info(text: &str, m: &Node, name: &str, version: &str) -> Result<Info, String> {
    let mut info = Info::default();
    let optional: BTreeSet<&str> = m
        .get("optionalDependencies")
        .map(Node::members)
        .unwrap_or(&[])
        .iter()
        .map(|d| d.key.as_str())
        .collect();
    let meta = m.get("peerDependenciesMeta");
    let optional_peer = |n: &str| {
        meta.and_then(|x| x.get(n))
            .and_then(|x| x.get("optional"))
            .is_some_and(|o| is_true(text, o))
    };
    for group in ["dependencies", "optionalDependencies", "peerDependencies"] {
        let mut deps: Vec<(String, String)> = m
            .get(group)
            .map(Node::members)
            .unwrap_or(&[])
            .iter()
            .filter(|d| group != "dependencies" || !optional.contains(d.key.as_str()))
            .map(|d| (d.key.clone(), d.value.as_str().unwrap_or("").to_string()))
            .collect();
        if group == "peerDependencies" {
            // An optional peer named only in `peerDependenciesMeta` is a peer on any version.
            for p in meta.map(Node::members).unwrap_or(&[]) {
                if optional_peer(&p.key) && !deps.iter().any(|(n, _)| *n == p.key) {
                    deps.push((p.key.clone(), "*".into()));
                }
            }
            let mut peers: Vec<String> = deps
                .iter()
                .filter(|(n, _)| optional_peer(n))
                .map(|(n, _)| n.clone())
                .collect();
            peers.sort();
            info.optional_peers = peers;
        }
        if deps.is_empty() {
            continue;
        }
        let group = GROUPS.iter().find(|g| **g == group).copied().unwrap_or("");
        info.groups.push((group, deps));
    }
    for (key, known) in [("os", &OS[..]), ("cpu", &CPU[..]), ("libc", &LIBC[..])] {
        if let Some(value) = m.get(key).and_then(|n| platform(n, known)) {
            info.platform.push((key, value));
        }
    }
    let scripts = m.get("scripts");
    info.install_script = ["preinstall", "install", "postinstall"]
        .iter()
        .any(|s| scripts.and_then(|x| x.get(s)).is_some())
        || m.get("hasInstallScript").is_some_and(|h| is_true(text, h));
    // `gypfile` alone does not count: Bun records it as the scripts say (node-addon-api 5.1.0).
    match m.get("bin") {
        Some(b)
            if matches!(&b.value, Value::String(_))
                || matches!(&b.value, Value::Object(members) if !members.is_empty()) =>
        {
            info.bin = Some(("bin", printed_bin(b)));
        }
        _ if m.get("directories").and_then(|d| d.get("bin")).is_some() => {
            return Err(format!(
                "{name}@{version} names a `directories.bin`, which Bun records as `binDir`"
            ));
        }
        _ => {}
    }
    Ok(info)
}

/// An `os`, `cpu` or `libc` field as Bun records it, `None` when it allows every value Bun
/// knows (Bun leaves it out then): values combined as npm does (`!x` removes, `any` adds all,
/// an unknown value alone allows none), printed as the one value, the one value excluded
/// (`"!win32"`), or Bun's one-line array of whichever list is shorter.
pub(super) fn platform(node: &Node, known: &[&str]) -> Option<String> {
    let all: u32 = (1 << known.len()) - 1;
    let (mut added, mut removed, mut wildcard, mut unrecognised) = (0u32, 0u32, false, false);
    let values: Vec<&str> = match &node.value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Node::as_str).collect(),
        _ => Vec::new(),
    };
    for value in values.into_iter().filter(|v| !v.is_empty()) {
        match value {
            "any" => wildcard = true,
            "none" => unrecognised = true,
            _ => {
                let (negated, name) = match value.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, value),
                };
                match known.iter().position(|k| *k == name) {
                    Some(i) if negated => removed |= 1 << i,
                    Some(i) => added |= 1 << i,
                    None if !negated => unrecognised = true,
                    None => {}
                }
            }
        }
    }
    if wildcard {
        added = all;
    }
    let field = match (added, removed) {
        (0, 0) if unrecognised => 0,
        (0, 0) => all,
        (0, r) => all & !r,
        (a, 0) => a,
        (a, r) => a & !r,
    };
    if field == all {
        return None;
    }
    if field == 0 {
        return Some("\"none\"".into());
    }
    let included = field.count_ones() as usize;
    let excluded = known.len() - included;
    let print_included = excluded >= included;
    let one = (print_included && included == 1) || (!print_included && excluded == 1);
    let mut out = String::new();
    for (i, k) in known.iter().enumerate() {
        let has = field & (1 << i) != 0;
        let item = match (has, print_included) {
            (true, true) => format!("\"{k}\""),
            (false, false) => format!("\"!{k}\""),
            _ => continue,
        };
        if one {
            return Some(item);
        }
        out.push_str(&item);
        out.push_str(", ");
    }
    Some(format!("[ {out}]"))
}
