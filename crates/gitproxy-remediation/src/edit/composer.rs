//! Packagist edits. When the plan lets the agent refresh `composer.lock` (every constraint on the
//! package accepts the fixed version and the repository lists the same links and `autoload` for
//! it as the lockfile records for the current one), only that package's entry moves: `version`,
//! `dist` `url`, `reference` and `shasum`, `source` `url` and `reference`, `time` and the
//! `support` links (Packagist's `support.source` names the release's tag), each value
//! replaced where it stands so the file keeps Composer's four-space layout and key order.
//! `content-hash` is a hash of `composer.json` alone, which does not change, so it stays.
//! When the constraint of a direct package in `composer.json` has to move (keeping the author's
//! operator), the entry moves the same way and `content-hash` is computed again as Composer does
//! ([`content_hash`]), once the old one is confirmed to be that of the old `composer.json`.
//! Otherwise `composer.lock` is left as it was and the pull request names `composer update NAME`.

use super::{edit_error, leave_to_package_manager, manifest_to_bump, relock_instead, splice, Work};
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
    let mut manifest = None;
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
        work.write(&at.file, edited.clone());
        manifest = Some((at.file.clone(), text, edited));
    }
    if is_lock {
        match &fix.lockfile {
            LockfileRefresh::Command(command) | LockfileRefresh::LeftByEdit(command) => {
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
                let mut bumped = bump_lock(&text, &fix.name, &fix.from, &release)
                    .map_err(|e| edit_error(&dep.location.file, e))?;
                if let Some((json_file, old, new)) = &manifest {
                    match rehash_lock(&bumped, old, new) {
                        Ok(rehashed) => bumped = rehashed,
                        Err(reason) => {
                            // The requirement still moves; Composer writes the lock.
                            let command = format!("composer update {}", fix.name);
                            let lock = &dep.location.file;
                            relock_instead(work, lock, json_file, &reason, "Composer", &command);
                            return Ok(());
                        }
                    }
                }
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

/// `lock` with its `content-hash` moved from that of `old_json` to that of `new_json`; refused when
/// the lock's hash is not [`content_hash`] of `old_json` (a layout this computation does not
/// reproduce, or a lock already stale).
fn rehash_lock(lock: &str, old_json: &str, new_json: &str) -> Result<String, String> {
    let root = json::parse(lock).map_err(|(_, e)| e)?;
    let node = root
        .get("content-hash")
        .filter(|n| n.as_str().is_some())
        .ok_or("it has no `content-hash`")?;
    let was = content_hash(old_json)?;
    if node.as_str() != Some(was.as_str()) {
        return Err(format!(
            "its `content-hash` is not the one Composer computes for composer.json ({was}); the lock may be stale"
        ));
    }
    let now = content_hash(new_json)?;
    Ok(splice(
        lock,
        vec![(node.start, node.end, json::quote(&now))],
    ))
}

/// Composer's `content-hash` of a `composer.json` (`Locker::getContentHash`): the MD5 of its keys
/// that matter to the lock (`name`, `version`, `require`, `require-dev`, `conflict`, `replace`,
/// `provide`, `minimum-stability`, `prefer-stable`, `repositories`, `extra`, and
/// `config.platform`), sorted by key, as PHP's `json_encode` writes them without flags: `/`
/// escaped, non-ASCII as `\uXXXX`, an empty or `0..n`-keyed object as an array.
pub(crate) fn content_hash(composer_json: &str) -> Result<String, String> {
    use md5::Digest as _;
    const RELEVANT: [&str; 11] = [
        "name",
        "version",
        "require",
        "require-dev",
        "conflict",
        "replace",
        "provide",
        "minimum-stability",
        "prefer-stable",
        "repositories",
        "extra",
    ];
    let root = json::parse(composer_json).map_err(|(_, e)| format!("composer.json: {e}"))?;
    if !matches!(root.value, json::Value::Object(_)) {
        return Err("composer.json is not a JSON object".into());
    }
    let mut keys: Vec<(&str, String)> = Vec::new();
    for member in root.members() {
        if RELEVANT.contains(&member.key.as_str()) {
            let mut out = String::new();
            php_encode(composer_json, &member.value, &mut out)?;
            keys.retain(|(k, _)| *k != member.key);
            keys.push((&member.key, out));
        }
    }
    if let Some(platform) = root.get("config").and_then(|c| c.get("platform")) {
        let mut out = String::from("{\"platform\":");
        php_encode(composer_json, platform, &mut out)?;
        out.push('}');
        keys.push(("config", out));
    }
    keys.sort_by(|a, b| a.0.cmp(b.0));
    let mut encoded = String::from("{");
    for (i, (key, value)) in keys.iter().enumerate() {
        if i > 0 {
            encoded.push(',');
        }
        php_string(key, &mut encoded);
        encoded.push(':');
        encoded.push_str(value);
    }
    encoded.push('}');
    if keys.is_empty() {
        encoded = "[]".into();
    }
    Ok(crate::lower_hex(&md5::Md5::digest(encoded.as_bytes())))
}

/// One decoded JSON value as PHP's `json_encode` (no flags) writes the array or scalar
/// `json_decode($text, true)` made of it.
fn php_encode(text: &str, node: &json::Node, out: &mut String) -> Result<(), String> {
    match &node.value {
        json::Value::String(s) => php_string(s, out),
        json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                php_encode(text, item, out)?;
            }
            out.push(']');
        }
        json::Value::Object(members) => {
            // PHP turns integer-like keys into integers, and an array keyed 0..n is a list.
            let list = members
                .iter()
                .enumerate()
                .all(|(i, m)| m.key == i.to_string());
            out.push(if list { '[' } else { '{' });
            for (i, m) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !list {
                    php_string(&m.key, out);
                    out.push(':');
                }
                php_encode(text, &m.value, out)?;
            }
            out.push(if list { ']' } else { '}' });
        }
        json::Value::Other => {
            let raw = text.get(node.start..node.end).unwrap_or("").trim();
            let integer = raw.strip_prefix('-').unwrap_or(raw);
            if matches!(raw, "true" | "false" | "null")
                || (!integer.is_empty() && integer.bytes().all(|b| b.is_ascii_digit()))
            {
                out.push_str(raw);
            } else {
                let n: f64 = raw
                    .parse()
                    .map_err(|_| format!("`{raw}` is not a JSON number"))?;
                if !n.is_finite() || n.abs() >= 1e15 {
                    return Err(format!(
                        "the number `{raw}` is not written here as PHP writes it"
                    ));
                }
                out.push_str(&format!("{n}"));
            }
        }
    }
    Ok(())
}

/// A string as PHP's `json_encode` writes it without flags.
fn php_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e && (c as u32) != 0x7f => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
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
