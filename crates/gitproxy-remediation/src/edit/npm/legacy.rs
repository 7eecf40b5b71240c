//! The v1 `dependencies` tree a v2 `package-lock.json` carries next to `packages`, rebuilt from
//! `packages` the way npm writes it: per package its `version`, `resolved`, `integrity`, flags,
//! `requires` (dependency ranges, peers left out) and nested `dependencies`.

use std::collections::BTreeMap;

use super::resolve::Packages;
use super::tree::J;

/// The v1 tree for `packages`, or `None` when it holds something npm writes differently there
/// (links, aliases, git, file or remote sources), which is left to npm.
pub(super) fn tree(packages: &Packages, overrides: &BTreeMap<String, String>) -> Option<J> {
    for (key, entry) in packages {
        if key.is_empty() {
            continue;
        }
        let registry = entry
            .get("resolved")
            .and_then(J::as_str)
            .is_some_and(|r| r.starts_with("http") && r.ends_with(".tgz"));
        if !key.starts_with("node_modules/") || entry.get("link").is_some() || !registry {
            return None;
        }
        if entry.get("name").is_some() || entry.get("inBundle").is_some() {
            return None;
        }
    }
    Some(children(packages, "", overrides))
}

/// The `dependencies` object of the package at `at`: its direct `node_modules` children.
fn children(packages: &Packages, at: &str, overrides: &BTreeMap<String, String>) -> J {
    let prefix = if at.is_empty() {
        "node_modules/".to_string()
    } else {
        format!("{at}/node_modules/")
    };
    let mut out = Vec::new();
    for (key, entry) in packages.range(prefix.clone()..) {
        let Some(name) = key.strip_prefix(&prefix) else {
            break;
        };
        if name.contains("/node_modules/") {
            continue;
        }
        out.push((name.to_string(), node(packages, key, entry, overrides)));
    }
    J::Obj(out)
}

fn node(packages: &Packages, key: &str, entry: &J, overrides: &BTreeMap<String, String>) -> J {
    let mut out = J::Obj(Vec::new());
    for field in [
        "version",
        "resolved",
        "integrity",
        "extraneous",
        "peer",
        "devOptional",
        "dev",
        "optional",
    ] {
        if let Some(value) = entry.get(field) {
            out.set(field, value.clone());
        }
    }
    let mut requires = Vec::new();
    for section in ["dependencies", "optionalDependencies"] {
        for (name, spec) in entry.get(section).map(J::members).unwrap_or(&[]) {
            let spec = overrides
                .get(name)
                .map(|o| J::Str(o.clone()))
                .unwrap_or_else(|| spec.clone());
            requires.retain(|(n, _): &(String, J)| n != name);
            requires.push((name.clone(), spec));
        }
    }
    if !requires.is_empty() {
        out.set("requires", J::Obj(requires));
    }
    let nested = children(packages, key, overrides);
    if !nested.members().is_empty() {
        out.set("dependencies", nested);
    }
    out
}
