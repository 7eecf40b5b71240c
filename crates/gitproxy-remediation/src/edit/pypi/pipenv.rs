//! The Pipenv side of a PyPI fix: the `Pipfile` requirement raised when it excludes the fixed
//! version, the `Pipfile.lock` entry moved with the new release's file hashes and
//! Requires-Python markers from PyPI, and `_meta.hash.sha256` recomputed as pipenv computes it
//! (SHA-256 of the compact, key-sorted JSON of the Pipfile's sources, requires and package
//! sections). Without the registry's answers the lock is left to `pipenv lock`.

use sha2::{Digest as _, Sha256};
use toml_edit::{DocumentMut, Item, Value};

use super::content_hash::{json_string, python_float};
use super::specifier::{bump_specifier, misfit, relock_note, Context};
use crate::analysis::pypi::pipenv::pinned;
use crate::analysis::Dependency;
use crate::edit::{edit_error, Work};
use crate::files::{dir_of, join};
use crate::json;
use crate::plan::{PackageFix, Tier};
use crate::registry::Registry;
use crate::{Ecosystem, Error};

/// The Pipfile sections that are not package categories (pipenv leaves them out of the hash,
/// except `source` and `requires`, which go under `_meta`).
const SECTIONS: [&str; 7] = [
    "source",
    "packages",
    "dev-packages",
    "requires",
    "scripts",
    "pipfile",
    "pipenv",
];

/// The source pipenv assumes when a Pipfile names none.
const DEFAULT_SOURCE: &str =
    r#"[{"name":"pypi","url":"https://pypi.org/simple","verify_ssl":true}]"#;

pub(super) async fn edit(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    registry: &dyn Registry,
) -> Result<(), Error> {
    let path = dep.location.file.clone();
    let pipfile = join(dir_of(&path), "Pipfile");
    let from = dep.version.as_deref().unwrap_or("");
    let original_pipfile = work.snapshot.text(&pipfile).map(String::from);
    let mut manifest_changed = false;
    if fix.tier == Tier::ManifestBump && dep.direct && dep.declared_in.is_some() {
        manifest_changed = pipfile_bump(work, &pipfile, &dep.name, &fix.to)?;
    }
    let command = fix.lockfile.command().unwrap_or("pipenv lock").to_string();
    let files = match fix.lockfile.command() {
        Some(_) => None,
        None => registry.pypi_files(&fix.name, &fix.to).await?,
    };
    let Some(files) = files.filter(|f| !f.is_empty()) else {
        relock_note(
            work,
            &path,
            &format!(
                "no registry gave the file hashes of {} {}",
                fix.name, fix.to
            ),
            &command,
        );
        return Ok(());
    };
    let text = work.text(&path)?;
    let doc = json::parse(&text).map_err(|(_, e)| edit_error(&path, e))?;
    let locked: Vec<(String, String)> = doc
        .members()
        .iter()
        .filter(|c| c.key != "_meta")
        .flat_map(|c| c.value.members())
        .filter_map(|e| {
            let v = pinned(e.value.get("version")?.as_str()?)?;
            Some((Ecosystem::PyPI.normalize_name(&e.key), v.to_string()))
        })
        .collect();
    let python = doc
        .get("_meta")
        .and_then(|m| m.get("requires"))
        .and_then(|r| {
            r.get("python_full_version")
                .or_else(|| r.get("python_version"))
        })
        .and_then(json::Node::as_str)
        .map(String::from);
    let context = Context {
        locked: &locked,
        recorded: None,
        python,
    };
    if let Some(why) = misfit(registry, &fix.name, from, &fix.to, context).await? {
        relock_note(work, &path, &why, "pipenv lock");
        return Ok(());
    }
    let release = registry.pypi_release(&fix.name, &fix.to).await?;
    let mut hashes: Vec<String> = files
        .iter()
        .map(|f| format!("sha256:{}", f.sha256))
        .collect();
    hashes.sort();
    hashes.dedup();
    let mut edits = Vec::new();
    for category in doc.members().iter().filter(|c| c.key != "_meta") {
        for entry in category.value.members() {
            let same = Ecosystem::PyPI.normalize_name(&entry.key) == dep.name
                && entry
                    .value
                    .get("version")
                    .and_then(json::Node::as_str)
                    .and_then(pinned)
                    == Some(from);
            if !same {
                continue;
            }
            let markers = new_markers(
                entry.value.get("markers").and_then(json::Node::as_str),
                release.as_ref().and_then(|r| r.requires_python.as_deref()),
            );
            let indent = indent_of(&text, entry.key_start);
            let rendered = render_entry(&text, &entry.value, &indent, &fix.to, &hashes, markers);
            edits.push((entry.value.start, entry.value.end, rendered));
        }
    }
    let mut new_text = crate::edit::splice(&text, edits);
    if manifest_changed {
        let manifest = work.text(&pipfile)?;
        let old = meta_hash(&text).unwrap_or_default();
        // pipenv before 2026 hashed the names as the Pipfile spells them: keep the lock's flavour.
        let original = original_pipfile.unwrap_or_default();
        let canonical = pipfile_hash(&original, false).ok().as_deref() != Some(old.as_str());
        let new = pipfile_hash(&manifest, !canonical).map_err(|e| edit_error(&pipfile, e))?;
        if !old.is_empty() {
            new_text = new_text.replacen(
                &format!("\"sha256\": \"{old}\""),
                &format!("\"sha256\": \"{new}\""),
                1,
            );
        }
    }
    work.write(&path, new_text);
    Ok(())
}

/// The `_meta.hash.sha256` of a lock.
fn meta_hash(lock: &str) -> Option<String> {
    let doc = json::parse(lock).ok()?;
    let node = doc.get("_meta")?.get("hash")?.get("sha256")?;
    node.as_str().map(String::from)
}

/// The markers pipenv writes for a release: its Requires-Python as `python_version` clauses.
/// A marker that says more than the Python version is kept as it was.
fn new_markers(old: Option<&str>, requires_python: Option<&str>) -> Option<String> {
    if let Some(m) = old {
        let python_only = m.split(" and ").all(|c| {
            c.trim().starts_with("python_version") || c.trim().starts_with("python_full_version")
        });
        if !python_only {
            return Some(m.to_string());
        }
    }
    let spec = requires_python?.trim();
    let clauses: Vec<String> = spec
        .split(',')
        .map(|c| c.replace(' ', ""))
        .filter(|c| !c.is_empty())
        .map(|c| {
            let op_len = c
                .find(|ch: char| !matches!(ch, '<' | '>' | '=' | '!' | '~'))
                .unwrap_or(c.len());
            let (op, value) = c.split_at(op_len);
            let op = if op.is_empty() { "==" } else { op };
            let value = value.trim_end_matches(".*");
            let var = if value.split('.').count() >= 3 {
                "python_full_version"
            } else {
                "python_version"
            };
            format!("{var} {op} '{value}'")
        })
        .collect();
    (!clauses.is_empty()).then(|| clauses.join(" and "))
}

/// The whitespace before the key that starts at `at`.
fn indent_of(text: &str, at: usize) -> String {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..at]
        .chars()
        .take_while(|c| *c == ' ')
        .collect()
}

/// The entry object as pipenv writes it (keys sorted, four-space indent): the new version,
/// hashes and markers, every other key as it was.
fn render_entry(
    text: &str,
    entry: &json::Node,
    indent: &str,
    to: &str,
    hashes: &[String],
    markers: Option<String>,
) -> String {
    let inner = format!("{indent}    ");
    let mut fields: Vec<(String, String)> = entry
        .members()
        .iter()
        .filter(|m| !matches!(m.key.as_str(), "version" | "hashes" | "markers"))
        .map(|m| (m.key.clone(), text[m.value.start..m.value.end].to_string()))
        .collect();
    fields.push(("version".into(), json::quote(&format!("=={to}"))));
    if let Some(m) = markers {
        fields.push(("markers".into(), json::quote(&m)));
    }
    let list: Vec<String> = hashes
        .iter()
        .map(|h| format!("{inner}    {}", json::quote(h)))
        .collect();
    let hashes = if list.is_empty() {
        "[]".to_string()
    } else {
        format!("[\n{}\n{inner}]", list.join(",\n"))
    };
    fields.push(("hashes".into(), hashes));
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{inner}{}: {v}", json::quote(k)))
        .collect();
    format!("{{\n{}\n{indent}}}", body.join(",\n"))
}

/// Raises the Pipfile requirement of `name` (in every package section) to admit `to`, keeping
/// the file's formatting; `false` with a note when no section names it with a version.
fn pipfile_bump(work: &mut Work, path: &str, name: &str, to: &str) -> Result<bool, Error> {
    let text = work.text(path)?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| edit_error(path, e.message().trim()))?;
    let wanted = Ecosystem::PyPI.normalize_name(name);
    let mut changed = false;
    for (section, item) in doc.iter_mut() {
        if matches!(
            section.get(),
            "source" | "requires" | "scripts" | "pipenv" | "pipfile"
        ) {
            continue;
        }
        let Some(table) = item.as_table_like_mut() else {
            continue;
        };
        for (key, item) in table.iter_mut() {
            if Ecosystem::PyPI.normalize_name(key.get()) != wanted {
                continue;
            }
            let value = match item.as_value_mut() {
                Some(v) if v.is_str() => Some(v),
                Some(v) => v.as_inline_table_mut().and_then(|t| t.get_mut("version")),
                None => item
                    .as_table_like_mut()
                    .and_then(|t| t.get_mut("version"))
                    .and_then(Item::as_value_mut),
            };
            let Some(v) = value else { continue };
            let old = v.as_str().unwrap_or("").to_string();
            let Some(new) = bump_specifier(&old, to) else {
                continue;
            };
            let decor = v.decor().clone();
            *v = Value::from(new);
            *v.decor_mut() = decor;
            changed = true;
        }
    }
    if !changed {
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{path}: the requirement of {name} has no version to raise; allow {to} by hand and run `pipenv lock`"
        ));
        return Ok(false);
    }
    work.write(path, doc.to_string());
    Ok(true)
}

/// pipenv's `_meta.hash.sha256` of a Pipfile: the SHA-256 of `{"_meta": {"requires", "sources"},
/// "default", "develop", other categories}` as compact, key-sorted JSON. pipenv 2026 writes the
/// package names in PEP 503 form (`canonical`); older releases (plette) as the Pipfile spells them.
pub(crate) fn pipfile_hash(pipfile: &str, canonical: bool) -> Result<String, String> {
    let doc: DocumentMut = pipfile
        .parse()
        .map_err(|e: toml_edit::TomlError| e.message().trim().to_string())?;
    let sources = match doc.get("source") {
        Some(s) => compact(s, false),
        None => DEFAULT_SOURCE.to_string(),
    };
    let requires = doc
        .get("requires")
        .map_or_else(|| "{}".to_string(), |r| compact(r, false));
    let meta = object(vec![
        ("requires".into(), requires),
        ("sources".into(), sources),
    ]);
    let mut top = vec![("_meta".to_string(), meta)];
    let section = |key: &str| {
        doc.get(key)
            .map_or_else(|| "{}".to_string(), |s| compact(s, canonical))
    };
    top.push(("default".into(), section("packages")));
    top.push(("develop".into(), section("dev-packages")));
    for (key, item) in doc.iter() {
        if SECTIONS.contains(&key) || matches!(key, "default" | "develop") {
            continue;
        }
        top.push((key.to_string(), compact(item, canonical)));
    }
    let json = object(top);
    Ok(crate::lower_hex(&Sha256::digest(json.as_bytes())))
}

/// Compact JSON (`,` and `:` separators, keys sorted, ASCII only) of a TOML item; `names`
/// canonicalises the keys of this table (a package section).
fn compact(item: &Item, names: bool) -> String {
    let key = |k: &str| {
        if names {
            Ecosystem::PyPI.normalize_name(k)
        } else {
            k.to_string()
        }
    };
    match item {
        Item::None => "null".into(),
        Item::Value(v) => match v {
            Value::InlineTable(t) => {
                object(t.iter().map(|(k, v)| (key(k), compact_value(v))).collect())
            }
            v => compact_value(v),
        },
        Item::Table(t) => object(
            t.iter()
                .filter(|(_, v)| !v.is_none())
                .map(|(k, v)| (key(k), compact(v, false)))
                .collect(),
        ),
        Item::ArrayOfTables(a) => format!(
            "[{}]",
            a.iter()
                .map(|t| compact(&Item::Table(t.clone()), false))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

fn compact_value(value: &Value) -> String {
    match value {
        Value::String(s) => json_string(s.value()),
        Value::Integer(i) => i.value().to_string(),
        Value::Float(f) => python_float(*f.value()),
        Value::Boolean(b) => b.value().to_string(),
        Value::Datetime(d) => json_string(&d.value().to_string()),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(compact_value).collect::<Vec<_>>().join(",")
        ),
        Value::InlineTable(t) => object(
            t.iter()
                .map(|(k, v)| (k.to_string(), compact_value(v)))
                .collect(),
        ),
    }
}

/// A compact JSON object with its keys sorted by code point; a repeated key keeps its last value,
/// as a Python dict does.
fn object(entries: Vec<(String, String)>) -> String {
    let mut map = std::collections::BTreeMap::new();
    for (k, v) in entries {
        map.insert(k, v);
    }
    let body: Vec<String> = map
        .into_iter()
        .map(|(k, v)| format!("{}:{v}", json_string(&k)))
        .collect();
    format!("{{{}}}", body.join(","))
}

#[cfg(test)]
mod tests;
