//! Lock content hashes: SHA-256 over the JSON (keys sorted, Python's default separators, ASCII
//! only) of the pyproject sections that decide the lock, as Poetry 1.x (`[tool.poetry]` keys) and
//! 2.x (also `[project]`) compute `content-hash`, and as PDM 2 computes `content_hash`.

use sha2::{Digest as _, Sha256};
use toml_edit::{Item, Value};

/// The `[tool.poetry]` keys that are written as `null` when missing (Poetry's legacy keys).
const LEGACY_KEYS: [&str; 4] = ["dependencies", "source", "extras", "dev-dependencies"];
/// Every `[tool.poetry]` key that enters the hash.
const RELEVANT_KEYS: [&str; 5] = [
    "dependencies",
    "source",
    "extras",
    "dev-dependencies",
    "group",
];
/// The `[project]` keys Poetry 2.x adds.
const PROJECT_KEYS: [&str; 3] = ["requires-python", "dependencies", "optional-dependencies"];

/// The content-hash of `pyproject` as the Poetry that wrote a lock of `lock_version` computes
/// it: lock-version 2.1 comes from Poetry 2.x, which also reads `[project]`; older ones from 1.x.
pub(crate) fn content_hash(pyproject: &str, lock_version: &str) -> Result<String, String> {
    let doc: toml_edit::DocumentMut = pyproject
        .parse()
        .map_err(|e: toml_edit::TomlError| e.message().trim().to_string())?;
    let with_project = lock_version_at_least(lock_version, 2, 1);
    let poetry = doc.get("tool").and_then(|t| t.get("poetry"));
    let mut project = Vec::new();
    if with_project {
        if let Some(p) = doc.get("project") {
            for key in PROJECT_KEYS {
                if let Some(v) = p.get(key) {
                    project.push((key.to_string(), json_item(v)));
                }
            }
        }
    }
    let mut tool = Vec::new();
    for key in RELEVANT_KEYS {
        match poetry.and_then(|p| p.get(key)) {
            Some(v) if !v.is_none() => tool.push((key.to_string(), json_item(v))),
            _ if LEGACY_KEYS.contains(&key) && project.is_empty() => {
                tool.push((key.to_string(), "null".to_string()))
            }
            _ => {}
        }
    }
    let json = if project.is_empty() {
        json_object(tool)
    } else {
        let tool = json_object(vec![("poetry".to_string(), json_object(tool))]);
        json_object(vec![
            ("project".to_string(), json_object(project)),
            ("tool".to_string(), tool),
        ])
    };
    Ok(crate::lower_hex(&Sha256::digest(json.as_bytes())))
}

/// PDM 2's `content_hash` of a single project's `pyproject` (without the `sha256:` prefix): its
/// sources, `[project]` dependencies, optional dependencies and `requires-python`, the
/// development groups (`[dependency-groups]`, then `[tool.pdm.dev-dependencies]`, by normalized
/// name) and `[tool.pdm.resolution]`.
pub(crate) fn pdm_content_hash(pyproject: &str) -> Result<String, String> {
    let doc: toml_edit::DocumentMut = pyproject
        .parse()
        .map_err(|e: toml_edit::TomlError| e.message().trim().to_string())?;
    let project = doc.get("project");
    let pdm = doc.get("tool").and_then(|t| t.get("pdm"));
    let or = |item: Option<&Item>, empty: &str| item.map_or(empty.to_string(), json_item);
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let tables = [
        doc.get("dependency-groups"),
        pdm.and_then(|p| p.get("dev-dependencies")),
    ];
    for (i, table) in tables.iter().enumerate() {
        let Some(table) = table.and_then(Item::as_table_like) else {
            continue;
        };
        for (group, deps) in table.iter() {
            let group = crate::Ecosystem::PyPI.normalize_name(group);
            let items: Vec<String> = deps
                .as_array()
                .into_iter()
                .flatten()
                .map(json_value)
                .collect();
            match groups.iter_mut().find(|(g, _)| *g == group) {
                Some(_) if i == 0 => return Err(format!("the group {group} is duplicated")),
                Some((_, list)) => list.extend(items),
                None => groups.push((group, items)),
            }
        }
    }
    let dev = json_object(
        groups
            .into_iter()
            .map(|(g, items)| (g, format!("[{}]", items.join(", "))))
            .collect(),
    );
    let json = json_object(vec![
        (
            "sources".into(),
            or(pdm.and_then(|p| p.get("source")), "[]"),
        ),
        (
            "dependencies".into(),
            or(project.and_then(|p| p.get("dependencies")), "[]"),
        ),
        ("dev-dependencies".into(), dev),
        (
            "optional-dependencies".into(),
            or(project.and_then(|p| p.get("optional-dependencies")), "{}"),
        ),
        (
            "requires-python".into(),
            or(project.and_then(|p| p.get("requires-python")), "\"\""),
        ),
        (
            "resolution".into(),
            or(pdm.and_then(|p| p.get("resolution")), "{}"),
        ),
    ]);
    Ok(crate::lower_hex(&Sha256::digest(json.as_bytes())))
}

fn lock_version_at_least(version: &str, major: u64, minor: u64) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    let (a, b) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (a, b) >= (major, minor)
}

fn json_item(item: &Item) -> String {
    match item {
        Item::None => "null".into(),
        Item::Value(v) => json_value(v),
        Item::Table(t) => json_object(
            t.iter()
                .filter(|(_, v)| !v.is_none())
                .map(|(k, v)| (k.to_string(), json_item(v)))
                .collect(),
        ),
        Item::ArrayOfTables(a) => format!(
            "[{}]",
            a.iter()
                .map(|t| json_item(&Item::Table(t.clone())))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn json_value(value: &Value) -> String {
    match value {
        Value::String(s) => json_string(s.value()),
        Value::Integer(i) => i.value().to_string(),
        Value::Float(f) => python_float(*f.value()),
        Value::Boolean(b) => b.value().to_string(),
        Value::Datetime(d) => json_string(&d.value().to_string()),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(json_value).collect::<Vec<_>>().join(", ")
        ),
        Value::InlineTable(t) => json_object(
            t.iter()
                .map(|(k, v)| (k.to_string(), json_value(v)))
                .collect(),
        ),
    }
}

/// A JSON object with its keys sorted as Python sorts strings (by code point).
fn json_object(mut entries: Vec<(String, String)>) -> String {
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let body: Vec<String> = entries
        .into_iter()
        .map(|(k, v)| format!("{}: {v}", json_string(&k)))
        .collect();
    format!("{{{}}}", body.join(", "))
}

/// A string as Python's `json.dumps` writes it with `ensure_ascii`.
pub(super) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A float as Python's `repr` writes the common cases (`1.0`, `0.5`, `inf`).
pub(super) fn python_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}
