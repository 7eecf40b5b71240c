//! `packages.lock.json` entries rewritten in place: `requested`, `resolved`, `contentHash` and the
//! new version's `dependencies` for the entry's target framework, only when every one of those
//! dependencies is already locked at a version its range admits (otherwise restore would change
//! more than this entry, and the lockfile is left to it).

use super::framework::nuspec_dependencies;
use super::{splice, Work};
use crate::analysis::Dependency;
use crate::files::LineIndex;
use crate::json::{self, Node};
use crate::version::nuget::{Version, VersionRange};
use crate::{Ecosystem, Error};

/// Rewrites the lockfile entry of `dep`; `Ok(Err(why))` when it cannot be done correctly.
pub(super) fn update_entry(
    work: &mut Work,
    dep: &Dependency,
    to: &str,
    requested: &str,
    content_hash: &str,
    nuspec: &str,
) -> Result<Result<(), String>, Error> {
    let path = dep.location.file.clone();
    let text = work.text(&path)?;
    let Ok(doc) = json::parse(&text) else {
        return Ok(Err("it is not valid JSON".into()));
    };
    let lines = LineIndex::new(&text);
    let key = Ecosystem::NuGet.normalize_name(&dep.name);
    let frameworks = doc.get("dependencies").map_or(&[][..], Node::members);
    let found = frameworks.iter().find_map(|f| {
        let entry = f.value.members().iter().find(|m| {
            Ecosystem::NuGet.normalize_name(&m.key) == key
                && lines.line(m.key_start) == dep.location.line
        })?;
        Some((f, entry))
    });
    let Some((framework, entry)) = found else {
        return Ok(Err(format!(
            "no entry of {} on line {}",
            dep.name, dep.location.line
        )));
    };
    let Some(wanted) = nuspec_dependencies(nuspec, &framework.key) else {
        return Ok(Err(format!(
            "the dependency groups of {} {to} do not name target framework {}",
            dep.name, framework.key
        )));
    };
    // Every dependency must already be locked at a version its range admits.
    let mut written = Vec::new();
    for (id, range) in &wanted {
        let Ok(parsed) = VersionRange::parse(range) else {
            return Ok(Err(format!(
                "{} {to} declares `{range}` for {id}",
                dep.name
            )));
        };
        let locked = framework
            .value
            .members()
            .iter()
            .find(|m| m.key.eq_ignore_ascii_case(id))
            .and_then(|m| m.value.get("resolved")?.as_str())
            .and_then(|v| Version::parse(v).ok());
        match locked {
            Some(v) if parsed.contains(&v) => written.push((id.clone(), parsed.to_short_string())),
            Some(v) => {
                return Ok(Err(format!(
                    "{} {to} needs {id} {range}, and {v} is locked",
                    dep.name
                )))
            }
            None => {
                return Ok(Err(format!(
                    "{} {to} depends on {id}, which is not locked yet",
                    dep.name
                )))
            }
        }
    }
    written.sort_by_key(|(id, _)| id.to_ascii_lowercase());
    let line_start = text[..entry.key_start].rfind('\n').map_or(0, |i| i + 1);
    let indent: String = text[line_start..entry.key_start]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let inner = format!("{indent}  ");
    let value = &entry.value;
    let quoted = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut edits = Vec::new();
    for (field, new) in [
        ("requested", requested_lock(requested)),
        ("resolved", to.to_string()),
    ] {
        if let Some(node) = value.get(field) {
            edits.push((node.start, node.end, quoted(&new)));
        }
    }
    match value.get("contentHash") {
        Some(node) => edits.push((node.start, node.end, quoted(content_hash))),
        None => return Ok(Err("the entry has no contentHash".into())),
    }
    let deps_text = if written.is_empty() {
        None
    } else {
        let body: Vec<String> = written
            .iter()
            .map(|(id, range)| format!("{inner}  {}: {}", quoted(id), quoted(range)))
            .collect();
        Some(format!("{{\n{}\n{inner}}}", body.join(",\n")))
    };
    let members = value.members();
    match (
        members.iter().position(|m| m.key == "dependencies"),
        deps_text,
    ) {
        (Some(i), Some(new)) => edits.push((members[i].value.start, members[i].value.end, new)),
        (Some(i), None) => {
            // Drop the member with the comma before it.
            let before = members[..i].last().map_or(value.start + 1, |m| m.value.end);
            edits.push((before, members[i].value.end, String::new()));
        }
        (None, Some(new)) => {
            let after = members.last().map_or(value.start + 1, |m| m.value.end);
            edits.push((after, after, format!(",\n{inner}\"dependencies\": {new}")));
        }
        (None, None) => {}
    }
    let edited = splice(&text, edits);
    work.write(&path, edited);
    Ok(Ok(()))
}

/// A requested range as the lockfile writes it (`[13.0.1, )`).
fn requested_lock(range: &str) -> String {
    VersionRange::parse(range).map_or_else(|_| range.to_string(), |r| r.to_lock_string())
}
