//! Packagist edits. When the plan lets the agent refresh `composer.lock` (every constraint on the
//! package accepts the fixed version and the repository lists the same links and `autoload` for
//! it as the lockfile records for the current one), only that package's entry moves: `version`,
//! `dist` `url`, `reference` and `shasum`, `source` `url` and `reference`, `time` and the
//! `support` links (Packagist's `support.source` names the release's tag), each value
//! replaced where it stands so the file keeps Composer's four-space layout and key order.
//! `content-hash` is a hash of `composer.json` alone, which does not change, so it stays.
//! Otherwise the constraint of a direct package in `composer.json` is raised to the fixed version
//! (keeping the author's operator), `composer.lock` is left as it was, and the pull request names
//! `composer update NAME`.

use super::{edit_error, leave_to_package_manager, manifest_to_bump, splice, Work};
use crate::analysis::{file_name, Dependency};
use crate::files::LineIndex;
use crate::json;
use crate::plan::{LockfileRefresh, PackageFix};
use crate::registry::{ComposerRelease, Registry};
use crate::Error;

pub(super) async fn edit(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    registry: &dyn Registry,
) -> Result<(), Error> {
    let is_lock = file_name(&dep.location.file) == "composer.lock";
    if let Some(at) = manifest_to_bump(fix, dep, is_lock) {
        let text = work.text(&at.file)?;
        let root = json::parse(&text).map_err(|(_, e)| edit_error(&at.file, e))?;
        let lines = LineIndex::new(&text);
        let found = ["require", "require-dev"]
            .iter()
            .filter_map(|s| root.get(s))
            .flat_map(json::Node::members)
            .find(|m| m.key.eq_ignore_ascii_case(&dep.name) && lines.line(m.key_start) == at.line);
        let Some(member) = found else {
            return Err(edit_error(
                &at.file,
                format!("no `{}` requirement on line {}", dep.name, at.line),
            ));
        };
        let old = member.value.as_str().unwrap_or("");
        let new = json::quote(&bumped_constraint(old, &fix.to));
        let edited = splice(&text, vec![(member.value.start, member.value.end, new)]);
        work.write(&at.file, edited);
    }
    if is_lock {
        match &fix.lockfile {
            LockfileRefresh::Command(command) => {
                leave_to_package_manager(work, &dep.location.file, "Composer", command);
            }
            LockfileRefresh::Agent => {
                let Some(release) = registry.composer_release(&fix.name, &fix.to).await? else {
                    return Err(edit_error(
                        &dep.location.file,
                        format!("the repository no longer describes {} {}", fix.name, fix.to),
                    ));
                };
                let text = work.text(&dep.location.file)?;
                let bumped = bump_lock(&text, &fix.name, &fix.from, &release)
                    .map_err(|e| edit_error(&dep.location.file, e))?;
                work.write(&dep.location.file, bumped);
            }
            LockfileRefresh::NotApplicable => {}
        }
    }
    Ok(())
}

/// `composer.lock` with the entry of `name` at `from` (in `packages` or `packages-dev`) moved to
/// `release`: its `version`, `dist` (`url`, `reference`, `shasum`), `source` (`url`,
/// `reference`), `time` and `support` string values replaced in place; a key the entry lacks is
/// not added.
pub(crate) fn bump_lock(
    text: &str,
    name: &str,
    from: &str,
    release: &ComposerRelease,
) -> Result<String, String> {
    let root = json::parse(text).map_err(|(_, e)| e)?;
    let entry = ["packages", "packages-dev"]
        .iter()
        .filter_map(|s| root.get(s))
        .flat_map(json::Node::items)
        .find(|p| {
            p.get("name")
                .and_then(json::Node::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
                && p.get("version").and_then(json::Node::as_str) == Some(from)
        })
        .ok_or_else(|| format!("no `{name}` entry at version {from}"))?;
    let mut edits = Vec::new();
    let mut set = |node: Option<&json::Node>, value: Option<&str>| {
        if let (Some(node), Some(value)) = (node, value) {
            if node.as_str().is_some() {
                edits.push((node.start, node.end, json::quote(value)));
            }
        }
    };
    set(entry.get("version"), Some(&release.version));
    let dist = entry.get("dist");
    let new_dist = release.dist.as_ref();
    set(
        dist.and_then(|d| d.get("url")),
        new_dist.map(|d| d.url.as_str()),
    );
    set(
        dist.and_then(|d| d.get("reference")),
        new_dist.and_then(|d| d.reference.as_deref()),
    );
    set(
        dist.and_then(|d| d.get("shasum")),
        new_dist.map(|d| d.shasum.as_deref().unwrap_or("")),
    );
    let source = entry.get("source");
    let new_source = release.source.as_ref();
    set(
        source.and_then(|s| s.get("url")),
        new_source.map(|s| s.url.as_str()),
    );
    set(
        source.and_then(|s| s.get("reference")),
        new_source.and_then(|s| s.reference.as_deref()),
    );
    set(entry.get("time"), release.time.as_deref());
    for (key, value) in &release.support {
        set(entry.get("support").and_then(|s| s.get(key)), Some(value));
    }
    Ok(splice(text, edits))
}

/// The constraint after the bump: the author's operator (`^`, `~`, `>=`) on the fixed version,
/// an exact pin (`1.2.3`, `=1.2.3`, `==1.2.3`) moved to it in the same style, and anything more
/// complex (alternatives, ranges) replaced by `^to`.
pub(crate) fn bumped_constraint(old: &str, to: &str) -> String {
    let old = old.trim();
    let simple = !old.contains([' ', ',', '|']);
    // `==` before `=`, so that the longer operator is kept whole.
    for op in ["^", "~", ">=", "==", "="] {
        if simple && old.starts_with(op) {
            return format!("{op}{to}");
        }
    }
    if simple && old.starts_with(|c: char| c.is_ascii_digit() || c == 'v') && !old.contains('*') {
        return to.to_string();
    }
    format!("^{to}")
}

#[cfg(test)]
mod tests;
