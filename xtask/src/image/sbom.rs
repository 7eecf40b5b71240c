//! The image's SBOM: a CycloneDX 1.5 JSON document listing the crates compiled into the gitproxy binary
//! (its normal dependencies for x86_64 Linux, resolved by `cargo metadata`; build scripts, dev-dependencies
//! and proc-macros run at build time only and are left out).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::spec::Spec;

const TARGET: &str = "x86_64-unknown-linux-gnu";

/// One crate of the binary.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Component {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) license: Option<String>,
}

/// Writes the SBOM of the binary to `path`.
pub(crate) fn write(root: &Path, path: &Path, spec: &Spec, epoch: u64) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--filter-platform",
            TARGET,
        ])
        .current_dir(root)
        .output()
        .context("could not run `cargo metadata`")?;
    if !out.status.success() {
        bail!(
            "`cargo metadata` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let metadata: Value =
        serde_json::from_slice(&out.stdout).context("`cargo metadata` printed no JSON")?;
    let components = binary_crates(&metadata, "gitproxy")?;
    let document = cyclonedx(spec, &components, &super::rfc3339(epoch));
    let text = serde_json::to_string_pretty(&document).context("could not encode the SBOM")?;
    std::fs::write(path, text + "\n").with_context(|| format!("could not write {}", path.display()))
}

/// The crates reachable from package `root_name` through normal dependencies, proc-macros excluded.
pub(crate) fn binary_crates(metadata: &Value, root_name: &str) -> Result<BTreeSet<Component>> {
    let packages: BTreeMap<&str, &Value> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let nodes: BTreeMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let root_id = packages
        .iter()
        .find(|(_, p)| p["name"] == root_name && p["source"].is_null())
        .map(|(id, _)| *id)
        .with_context(|| format!("`cargo metadata` lists no workspace package {root_name}"))?;
    let mut seen = BTreeSet::new();
    let mut todo = vec![root_id];
    let mut components = BTreeSet::new();
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        let package = packages
            .get(id)
            .with_context(|| format!("`cargo metadata` resolves {id} but does not list it"))?;
        if is_proc_macro(package) {
            continue;
        }
        if id != root_id {
            components.insert(Component {
                name: package["name"].as_str().unwrap_or_default().to_owned(),
                version: package["version"].as_str().unwrap_or_default().to_owned(),
                license: package["license"].as_str().map(str::to_owned),
            });
        }
        let deps = nodes.get(id).map(|n| &n["deps"]).and_then(Value::as_array);
        for dep in deps.into_iter().flatten() {
            let normal = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null());
            if let (true, Some(pkg)) = (normal, dep["pkg"].as_str()) {
                todo.push(pkg);
            }
        }
    }
    Ok(components)
}

fn is_proc_macro(package: &Value) -> bool {
    package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|t| {
            t["kind"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k == "proc-macro")
        })
}

/// `pkg:cargo/name@version`.
pub(crate) fn purl(name: &str, version: &str) -> String {
    format!("pkg:cargo/{name}@{version}")
}

/// The CycloneDX 1.5 document: the image's binary as the subject, every crate as a library.
pub(crate) fn cyclonedx(spec: &Spec, components: &BTreeSet<Component>, timestamp: &str) -> Value {
    let list: Vec<Value> = components
        .iter()
        .map(|c| {
            let mut item = json!({
                "type": "library",
                "bom-ref": purl(&c.name, &c.version),
                "name": c.name,
                "version": c.version,
                "purl": purl(&c.name, &c.version),
            });
            if let Some(license) = &c.license {
                item["licenses"] = json!([{ "expression": license }]);
            }
            item
        })
        .collect();
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "tools": { "components": [{ "type": "application", "name": "cargo xtask image" }] },
            "component": {
                "type": "application",
                "bom-ref": purl("gitproxy", &spec.version),
                "name": "gitproxy",
                "version": spec.version,
                "purl": purl("gitproxy", &spec.version),
                "licenses": [{ "expression": "Apache-2.0" }],
                "externalReferences": [{ "type": "vcs", "url": spec.source }],
            },
        },
        "components": list,
    })
}

#[cfg(test)]
mod tests;
