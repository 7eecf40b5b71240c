//! Where a remediation's review comment goes: the first changed line of each changed manifest
//! (lockfiles only when no manifest changed).

use std::collections::BTreeMap;

use crate::files::Snapshot;
use crate::host::LineAnchor;

/// Manifest files are where reviewers look; lockfiles are commented only when no manifest
/// changed.
fn is_lockfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        "package-lock.json"
            | "npm-shrinkwrap.json"
            | "yarn.lock"
            | "Cargo.lock"
            | "poetry.lock"
            | "go.sum"
    )
}

/// One anchor per changed manifest: its first changed line in the new version.
pub(super) fn anchors(before: &Snapshot, after: &BTreeMap<String, String>) -> Vec<LineAnchor> {
    let manifests: Vec<&String> = after.keys().filter(|p| !is_lockfile(p)).collect();
    let chosen: Vec<&String> = if manifests.is_empty() {
        after.keys().take(1).collect()
    } else {
        manifests
    };
    chosen
        .into_iter()
        .filter_map(|path| {
            let old = before.text(path).unwrap_or_default();
            first_changed_line(&old, &after[path]).map(|line| LineAnchor {
                path: path.clone(),
                line,
            })
        })
        .collect()
}

/// One-based number of the first line of `new` that differs from `old`.
pub(super) fn first_changed_line(old: &str, new: &str) -> Option<u32> {
    let mut old_lines = old.lines();
    for (i, line) in new.lines().enumerate() {
        if old_lines.next() != Some(line) {
            return u32::try_from(i + 1).ok();
        }
    }
    None
}
