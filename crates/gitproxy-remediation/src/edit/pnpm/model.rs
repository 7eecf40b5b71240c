//! A `pnpm-lock.yaml` held as pnpm writes it: the top-level sections as text, the `packages`
//! and `snapshots` entries as blocks (kept verbatim unless an edit touches them) with the
//! dependency wiring read out, and a printer that writes entries the way pnpm does (its key
//! order, its quoting, entries sorted by key).

use std::collections::{BTreeMap, BTreeSet};

use crate::analysis::pnpm::{reference_key, split_key, Layout};
use crate::files::LineIndex;
use crate::yaml::{self, Node};

/// One dependency reference of a snapshot: name, reference (`1.2.3`, `real@1.2.3`), optional.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Ref {
    pub(super) name: String,
    pub(super) reference: String,
    pub(super) optional: bool,
}

impl Ref {
    /// The snapshot key this reference names.
    pub(super) fn key(&self) -> Option<String> {
        reference_key(&self.name, &self.reference)
    }
}

/// A `snapshots` entry (v9) or a `packages` entry (v6, which holds both halves).
#[derive(Clone, Debug)]
pub(super) struct Snap {
    /// The block as written (key line first, no trailing blank line); `None` once generated.
    pub(super) raw: Option<String>,
    /// Dependency references, in the file's order.
    pub(super) deps: Vec<Ref>,
    /// `transitivePeerDependencies`.
    pub(super) transitive_peers: BTreeSet<String>,
    /// v6 `dev` flag.
    pub(super) dev: Option<bool>,
    /// Reference replacements to make in `raw`: (name, old reference, new reference).
    pub(super) retarget: Vec<(String, String, String)>,
    /// Whether `transitive_peers` differs from what `raw` lists.
    pub(super) peers_changed: bool,
}

/// A `packages` entry of a v9 file (v6 keeps this half in [`Snap`] as well).
#[derive(Clone, Debug)]
pub(super) struct Package {
    pub(super) raw: Option<String>,
    /// Names in `peerDependencies`.
    pub(super) peers: BTreeSet<String>,
    /// Whether the resolution names a tarball.
    pub(super) tarball: bool,
}

/// A top-level section: its key and text (key line to the next section, blank lines included).
#[derive(Clone, Debug)]
pub(super) struct Section {
    pub(super) key: String,
    pub(super) start: usize,
    pub(super) end: usize,
}

pub(super) struct Model {
    pub(super) layout: Layout,
    pub(super) sections: Vec<Section>,
    /// `name@version` -> entry (v9 `packages`; in v6 the same keys as `snaps`).
    pub(super) packages: BTreeMap<String, Package>,
    /// Snapshot key (no leading `/`) -> entry.
    pub(super) snaps: BTreeMap<String, Snap>,
}

/// The block of entry `i` of a section's entries: from its key line to the next key line,
/// without trailing blank lines.
fn block(text: &str, entries: &[yaml::Entry], i: usize, section_end: usize) -> String {
    let start = text[..entries[i].key_start]
        .rfind('\n')
        .map_or(0, |n| n + 1);
    let end = entries.get(i + 1).map_or(section_end, |e| {
        text[..e.key_start].rfind('\n').map_or(0, |n| n + 1)
    });
    text[start..end].trim_end().to_string()
}

/// Reads `text`; `Err` names what could not be read.
pub(super) fn read(text: &str) -> Result<Model, String> {
    let root = yaml::parse(text)
        .map_err(|(at, m)| format!("line {}: {m}", LineIndex::new(text).line(at)))?;
    let version = root
        .get("lockfileVersion")
        .and_then(Node::as_str)
        .unwrap_or("");
    let layout = match version.split('.').next() {
        Some("9") => Layout::V9,
        Some("6" | "7") => Layout::V6,
        _ => return Err(format!("lockfileVersion {version} is not supported")),
    };
    let mut sections = Vec::new();
    let top = root.entries();
    for (i, e) in top.iter().enumerate() {
        let start = text[..e.key_start].rfind('\n').map_or(0, |n| n + 1);
        let end = top.get(i + 1).map_or(text.len(), |n| {
            text[..n.key_start].rfind('\n').map_or(0, |n| n + 1)
        });
        sections.push(Section {
            key: e.key.clone(),
            start,
            end,
        });
    }
    let section_end = |key: &str| {
        sections
            .iter()
            .find(|s| s.key == key)
            .map_or(text.len(), |s| s.end)
    };
    let mut packages = BTreeMap::new();
    let mut snaps = BTreeMap::new();
    let pkg_entries = root.get("packages").map(Node::entries).unwrap_or(&[]);
    for (i, e) in pkg_entries.iter().enumerate() {
        let key = e.key.strip_prefix('/').unwrap_or(&e.key);
        let Some((name, version)) = split_key(&e.key) else {
            continue;
        };
        let raw = block(text, pkg_entries, i, section_end("packages"));
        let peers = e
            .value
            .get("peerDependencies")
            .map(|p| p.entries().iter().map(|p| p.key.clone()).collect())
            .unwrap_or_default();
        let tarball = e
            .value
            .get("resolution")
            .and_then(|r| r.get("tarball"))
            .is_some();
        packages
            .entry(format!("{name}@{version}"))
            .or_insert(Package {
                raw: Some(raw.clone()),
                peers,
                tarball,
            });
        if layout == Layout::V6 {
            snaps.insert(key.to_string(), snap(&e.value, raw));
        }
    }
    if layout == Layout::V9 {
        let entries = root.get("snapshots").map(Node::entries).unwrap_or(&[]);
        for (i, e) in entries.iter().enumerate() {
            let raw = block(text, entries, i, section_end("snapshots"));
            snaps.insert(e.key.clone(), snap(&e.value, raw));
        }
    }
    Ok(Model {
        layout,
        sections,
        packages,
        snaps,
    })
}

fn snap(node: &Node, raw: String) -> Snap {
    let mut deps = Vec::new();
    for (section, optional) in [("dependencies", false), ("optionalDependencies", true)] {
        for d in node.get(section).map(Node::entries).unwrap_or(&[]) {
            if let Some(r) = d.value.as_str() {
                deps.push(Ref {
                    name: d.key.clone(),
                    reference: r.to_string(),
                    optional,
                });
            }
        }
    }
    Snap {
        raw: Some(raw),
        deps,
        transitive_peers: node
            .get("transitivePeerDependencies")
            .map(|t| {
                t.items()
                    .iter()
                    .filter_map(|i| i.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        dev: node.get("dev").and_then(Node::as_str).map(|d| d == "true"),
        retarget: Vec::new(),
        peers_changed: false,
    }
}

/// The lines of a block with its `transitivePeerDependencies` replaced by `peers` (placed before
/// `dev` and `optional`, as pnpm orders fields).
fn with_transitive_peers(mut lines: Vec<String>, peers: &BTreeSet<String>) -> Vec<String> {
    if let Some(first) = lines.first_mut() {
        if let Some(head) = first.strip_suffix(" {}") {
            *first = head.to_string();
        }
    }
    if let Some(at) = lines
        .iter()
        .position(|l| l == "    transitivePeerDependencies:")
    {
        let len = lines[at + 1..]
            .iter()
            .take_while(|l| l.starts_with("      - "))
            .count();
        lines.drain(at..at + 1 + len);
    }
    let at = lines
        .iter()
        .position(|l| l.starts_with("    dev: ") || l.starts_with("    optional: "))
        .unwrap_or(lines.len());
    if !peers.is_empty() {
        let mut block = vec!["    transitivePeerDependencies:".to_string()];
        block.extend(
            peers
                .iter()
                .map(|p| format!("      - {}", scalar(p, false))),
        );
        lines.splice(at..at, block);
    }
    if lines.len() == 1 {
        lines[0].push_str(" {}");
    }
    lines
}

/// A scalar as pnpm's YAML writer prints it: plain when that reads back as the same string,
/// else single-quoted. `flow` is for values inside `{...}` and `[...]`.
pub(super) fn scalar(s: &str, flow: bool) -> String {
    let first = s.chars().next();
    let plain = !s.is_empty()
        && !first.is_some_and(|c| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        && !s.ends_with(' ')
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !(flow && s.contains([',', '[', ']', '{', '}']))
        && !s.contains(['\n', '\t'])
        && !looks_typed(s);
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// Whether a plain scalar would read as a number, boolean or null.
fn looks_typed(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true"
            | "false"
            | "null"
            | "~"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | ".inf"
            | ".nan"
            | "-.inf"
    ) {
        return true;
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let mut dots = 0;
    !digits.is_empty()
        && digits.chars().all(|c| {
            if c == '.' {
                dots += 1;
            }
            c.is_ascii_digit() || c == '.' || c == '_'
        })
        && dots <= 1
        || s.starts_with("0x")
        || s.starts_with("0o")
}

/// Orders keys as pnpm does (by UTF-16 code units, which for keys is byte order).
pub(super) fn sorted<'a>(keys: impl Iterator<Item = &'a String>) -> Vec<&'a String> {
    let mut keys: Vec<&String> = keys.collect();
    keys.sort();
    keys
}

impl Model {
    /// The key as this layout writes it (`/` in front for v6).
    pub(super) fn written_key(&self, key: &str) -> String {
        match self.layout {
            Layout::V6 => scalar(&format!("/{key}"), false),
            Layout::V9 => scalar(key, false),
        }
    }

    /// The text of a snapshot block with its pending reference changes made.
    fn snap_text(&self, snap: &Snap) -> String {
        let raw = snap.raw.clone().unwrap_or_default();
        let mut lines: Vec<String> = raw.lines().map(String::from).collect();
        for (name, old, new) in &snap.retarget {
            let from = format!("      {}: {}", scalar(name, false), scalar(old, false));
            let to = format!("      {}: {}", scalar(name, false), scalar(new, false));
            if let Some(line) = lines.iter_mut().find(|l| **l == from) {
                *line = to;
            }
        }
        if let Some(dev) = snap.dev {
            if self.layout == Layout::V6 {
                for line in &mut lines {
                    if line == "    dev: true" || line == "    dev: false" {
                        *line = format!("    dev: {dev}");
                    }
                }
            }
        }
        if snap.peers_changed {
            lines = with_transitive_peers(lines, &snap.transitive_peers);
        }
        lines.join("\n")
    }

    /// The `packages` (and for v9 `snapshots`) sections as pnpm writes them.
    pub(super) fn print_sections(&self) -> BTreeMap<&'static str, String> {
        let mut out = BTreeMap::new();
        match self.layout {
            Layout::V9 => {
                let blocks: Vec<String> = sorted(self.packages.keys())
                    .into_iter()
                    .filter_map(|k| self.packages[k].raw.clone())
                    .collect();
                out.insert("packages", blocks.join("\n\n"));
                let blocks: Vec<String> = sorted(self.snaps.keys())
                    .into_iter()
                    .map(|k| self.snap_text(&self.snaps[k]))
                    .collect();
                out.insert("snapshots", blocks.join("\n\n"));
            }
            Layout::V6 => {
                let blocks: Vec<String> = sorted(self.snaps.keys())
                    .into_iter()
                    .map(|k| self.snap_text(&self.snaps[k]))
                    .collect();
                out.insert("packages", blocks.join("\n\n"));
            }
        }
        out
    }
}
