//! The rendered objects as xtask sees them: python3 with PyYAML flattens every YAML document into
//! `path<TAB>json` leaves ([`FLATTEN_PY`]), parsed here into [`Object`]s, with the queries the checks ask.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, Result};

use super::output;
use crate::tools::ChartTools;

#[cfg(test)]
mod tests;

/// Prints every rendered object as `---<TAB>kind<TAB>name`, then one `path<TAB>json` line per leaf.
const FLATTEN_PY: &str = r#"
import json, re, sys, yaml
plain = re.compile(r'^[A-Za-z0-9_-]+$')
def walk(path, value, out):
    if isinstance(value, dict) and value:
        for key, item in value.items():
            key = str(key)
            if plain.match(key):
                walk(path + '.' + key if path else key, item, out)
            else:
                walk(path + '[' + json.dumps(key, ensure_ascii=False) + ']', item, out)
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            walk('%s[%d]' % (path, index), item, out)
    else:
        out.append('%s\t%s' % (path, json.dumps(value, ensure_ascii=False, default=str)))
with open(sys.argv[1], encoding='utf-8') as f:
    docs = [d for d in yaml.safe_load_all(f) if d is not None]
for doc in docs:
    meta = doc.get('metadata') or {} if isinstance(doc, dict) else {}
    kind = doc.get('kind', '') if isinstance(doc, dict) else ''
    print('---\t%s\t%s' % (kind, meta.get('name', '')))
    lines = []
    walk('', doc, lines)
    for line in lines:
        print(line)
"#;

/// One rendered Kubernetes object (or any YAML document), flattened to `path -> json` leaves.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Object {
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) fields: BTreeMap<String, String>,
}

impl Object {
    /// The leaf at `path` as JSON text.
    pub(super) fn raw(&self, path: &str) -> Option<&str> {
        self.fields.get(path).map(String::as_str)
    }

    /// The leaf at `path`: a string decoded, anything else as its JSON text.
    pub(super) fn get(&self, path: &str) -> Option<String> {
        self.raw(path)
            .map(|raw| json_string(raw).unwrap_or_else(|| raw.to_owned()))
    }

    /// Whether anything lives at or below `path`.
    pub(super) fn has(&self, path: &str) -> bool {
        self.fields
            .range(path.to_owned()..)
            .next()
            .is_some_and(|(key, _)| {
                key == path
                    || key
                        .strip_prefix(path)
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            })
    }

    /// How many items the list at `path` has.
    pub(super) fn len(&self, path: &str) -> usize {
        (0..)
            .take_while(|i| self.has(&format!("{path}[{i}]")))
            .count()
    }

    /// The path of the first item of the list at `list` whose `key` is the string `value`.
    pub(super) fn find(&self, list: &str, key: &str, value: &str) -> Option<String> {
        (0..self.len(list))
            .map(|i| format!("{list}[{i}]"))
            .find(|item| self.get(&format!("{item}.{key}")).as_deref() == Some(value))
    }

    /// The strings of the list at `path`.
    pub(super) fn strings(&self, path: &str) -> Vec<String> {
        (0..self.len(path))
            .filter_map(|i| self.get(&format!("{path}[{i}]")))
            .collect()
    }

    /// The keys of the map at `path` (plain or quoted), decoded.
    pub(super) fn keys(&self, path: &str) -> BTreeSet<String> {
        let dotted = format!("{path}.");
        let bracket = format!("{path}[\"");
        self.fields
            .keys()
            .filter_map(|key| {
                if let Some(rest) = key.strip_prefix(&dotted) {
                    Some(rest.split(['.', '[']).next().unwrap_or(rest).to_owned())
                } else {
                    let rest = key.strip_prefix(&bracket)?;
                    let end = rest.find("\"]")?;
                    json_string(&format!("\"{}\"", &rest[..end]))
                }
            })
            .collect()
    }
}

/// Parses a multi-document YAML file into flattened objects.
pub(super) fn parse_yaml(tools: &ChartTools, file: &Path) -> Result<Vec<Object>> {
    let out = output(tools.python().arg("-c").arg(FLATTEN_PY).arg(file))?;
    if !out.status.success() {
        bail!(
            "could not parse {} as YAML: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    parse_flat(&String::from_utf8_lossy(&out.stdout))
}

/// Parses the output of [`FLATTEN_PY`].
pub(super) fn parse_flat(text: &str) -> Result<Vec<Object>> {
    let mut objects: Vec<Object> = Vec::new();
    for (idx, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let Some((path, value)) = line.split_once('\t') else {
            bail!("flattened YAML line {} has no tab: {line:?}", idx + 1);
        };
        if path == "---" {
            let (kind, name) = value.split_once('\t').unwrap_or((value, ""));
            objects.push(Object {
                kind: kind.to_owned(),
                name: name.to_owned(),
                fields: BTreeMap::new(),
            });
            continue;
        }
        let Some(object) = objects.last_mut() else {
            bail!(
                "flattened YAML line {} comes before any document: {line:?}",
                idx + 1
            );
        };
        object.fields.insert(path.to_owned(), value.to_owned());
    }
    Ok(objects)
}

/// Decodes a JSON string literal; `None` when `raw` is not one.
pub(super) fn json_string(raw: &str) -> Option<String> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            '/' => out.push('/'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'u' => {
                let hex: String = chars.by_ref().take(4).collect();
                let code = u32::from_str_radix(&hex, 16).ok()?;
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Standard base64 with padding, to compare with Secret data.
pub(super) fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let bytes = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(bytes[0]) << 16 | u32::from(bytes[1]) << 8 | u32::from(bytes[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The objects one value set renders to, with the raw YAML.
#[derive(Debug)]
pub(super) struct Manifest {
    pub(super) yaml: String,
    pub(super) objects: Vec<Object>,
}

impl Manifest {
    pub(super) fn all(&self, kind: &str) -> Vec<&Object> {
        self.objects.iter().filter(|o| o.kind == kind).collect()
    }

    pub(super) fn one(&self, kind: &str) -> Option<&Object> {
        match self.all(kind).as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    pub(super) fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.objects.iter().map(|o| o.kind.clone()).collect();
        kinds.sort();
        kinds
    }
}

/// Every environment variable name the agent container gets: its `env`, and the keys of the ConfigMaps
/// and Secrets it takes whole with `envFrom`.
pub(super) fn agent_env(m: &Manifest) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let Some(deploy) = m.one("Deployment") else {
        return names;
    };
    let c = "spec.template.spec.containers[0]";
    for i in 0..deploy.len(&format!("{c}.env")) {
        names.extend(deploy.get(&format!("{c}.env[{i}].name")));
    }
    for i in 0..deploy.len(&format!("{c}.envFrom")) {
        for (kind, field) in [("ConfigMap", "configMapRef"), ("Secret", "secretRef")] {
            let Some(name) = deploy.get(&format!("{c}.envFrom[{i}].{field}.name")) else {
                continue;
            };
            if let Some(source) = m.all(kind).into_iter().find(|o| o.name == name) {
                names.extend(source.keys("data"));
            }
        }
    }
    names
}

pub(super) fn env_path(d: &Object, name: &str) -> Option<String> {
    d.find("spec.template.spec.containers[0].env", "name", name)
}

pub(super) fn env_value(d: &Object, name: &str) -> Option<String> {
    env_path(d, name).and_then(|e| d.get(&format!("{e}.value")))
}
