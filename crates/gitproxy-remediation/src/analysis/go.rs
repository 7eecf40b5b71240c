//! Go modules: `go.mod` (`require`, `replace`, `// indirect`) checked against `go.sum`.

use std::collections::HashMap;

use super::{file_name, parse_error, Dependency, Location, Scope, Sink};
use crate::files::{dir_of, join, Snapshot};
use crate::Ecosystem;

/// One `require` of a `go.mod`.
#[derive(Clone, Debug)]
pub(crate) struct Require {
    pub(crate) module: String,
    pub(crate) version: String,
    pub(crate) indirect: bool,
    pub(crate) line: u32,
}

/// A parsed `go.mod`.
#[derive(Debug, Default)]
pub(crate) struct GoMod {
    pub(crate) module: String,
    pub(crate) requires: Vec<Require>,
    /// `old[@version]` -> `(new, version)`; local directory replacements have no version.
    pub(crate) replaces: HashMap<String, (String, Option<String>)>,
}

pub(super) fn analyze(snapshot: &Snapshot, out: &mut dyn Sink) {
    for path in snapshot.paths().filter(|p| file_name(p) == "go.mod") {
        let Some(text) = snapshot.text(path) else {
            out.problem(parse_error(path, None, "not valid UTF-8"));
            continue;
        };
        let text: &str = &text;
        let gomod = match parse_go_mod(path, text) {
            Ok(m) => m,
            Err(e) => {
                out.problem(e);
                continue;
            }
        };
        let sum_path = join(dir_of(path), "go.sum");
        let sums = snapshot.text(&sum_path);
        for r in &gomod.requires {
            let (module, version) = match gomod
                .replaces
                .get(&format!("{}@{}", r.module, r.version))
                .or_else(|| gomod.replaces.get(&r.module))
            {
                // A local directory replacement is not a registry module: nothing to match.
                Some((_, None)) => continue,
                Some((new, Some(v))) => (new.clone(), v.clone()),
                None => (r.module.clone(), r.version.clone()),
            };
            if let Some(sums) = &sums {
                let listed = sums
                    .lines()
                    .any(|l| l.starts_with(&format!("{module} {version}")));
                if !listed {
                    tracing::debug!(%module, %version, "module is missing from go.sum");
                }
            }
            out.dependency(Dependency {
                ecosystem: Ecosystem::Go,
                name: module,
                version: Some(version.clone()),
                requirement: Some(version),
                direct: !r.indirect,
                parents: Vec::new(),
                scope: Scope::Runtime,
                location: Location::new(path, r.line),
                declared_in: None,
                constraints: Vec::new(),
            });
        }
    }
}

pub(crate) fn parse_go_mod(path: &str, text: &str) -> Result<GoMod, crate::Error> {
    let mut out = GoMod::default();
    let mut block: Option<String> = None;
    for (idx, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let (code, comment) = match raw.find("//") {
            Some(i) => (&raw[..i], raw[i + 2..].trim()),
            None => (raw, ""),
        };
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        if code == ")" {
            block = None;
            continue;
        }
        let (verb, rest) = match &block {
            Some(b) => (b.as_str(), code),
            None => {
                let (verb, rest) = code.split_once(char::is_whitespace).unwrap_or((code, ""));
                let rest = rest.trim();
                if rest == "(" {
                    block = Some(verb.to_string());
                    continue;
                }
                (verb, rest)
            }
        };
        let fields: Vec<&str> = rest.split_whitespace().map(unquote).collect();
        match verb {
            "module" => out.module = fields.first().unwrap_or(&"").to_string(),
            "require" => {
                let [module, version, ..] = fields.as_slice() else {
                    return Err(parse_error(
                        path,
                        Some(line_no),
                        "require needs a module path and a version",
                    ));
                };
                out.requires.push(Require {
                    module: module.to_string(),
                    version: version.to_string(),
                    indirect: comment.split(';').any(|c| c.trim() == "indirect"),
                    line: line_no,
                });
            }
            "replace" => {
                let Some(arrow) = fields.iter().position(|f| *f == "=>") else {
                    return Err(parse_error(path, Some(line_no), "replace needs `=>`"));
                };
                let old = match &fields[..arrow] {
                    [m] => m.to_string(),
                    [m, v] => format!("{m}@{v}"),
                    _ => return Err(parse_error(path, Some(line_no), "malformed replace")),
                };
                let new = match &fields[arrow + 1..] {
                    [dir] => (dir.to_string(), None),
                    [m, v] => (m.to_string(), Some(v.to_string())),
                    _ => return Err(parse_error(path, Some(line_no), "malformed replace")),
                };
                out.replaces.insert(old, new);
            }
            _ => {}
        }
    }
    Ok(out)
}

fn unquote(s: &str) -> &str {
    s.trim_matches('"').trim_matches('`')
}
