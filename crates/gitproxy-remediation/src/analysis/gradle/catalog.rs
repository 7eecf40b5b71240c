//! Version catalogs (`gradle/libs.versions.toml`): `[versions]`, `[libraries]` in their
//! `module`, `group`+`name` and `"g:a:v"` forms with `version`, `version.ref` and rich versions
//! (`strictly`, `require`, `prefer`), and `[plugins]` (reported as their plugin marker modules).

use toml_edit::{ImDocument, Item, TableLike};

use super::notation::split;
use crate::analysis::maven::Site;
use crate::analysis::parse_error;
use crate::files::LineIndex;
use crate::Error;

/// One library or plugin of a catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The alias as accessors spell it, `-` and `_` written as `.` (`spring.core`).
    pub(crate) alias: String,
    /// `group:artifact`; a plugin `id` as `id:id.gradle.plugin`.
    pub(crate) name: String,
    /// The version text that applies, when the entry gives one.
    pub(crate) version: Option<String>,
    /// Where that text is written (the entry, or its `[versions]` line).
    pub(crate) site: Option<Site>,
    /// The contents of the `version.ref` string, when the version comes from `[versions]`.
    pub(crate) reference: Option<Site>,
    /// The `strictly` range of a rich version, when one bounds a `require` or `prefer` version
    /// that is the one read (`[1.7, 1.8[`): moving that version outside it breaks resolution.
    pub(crate) strictly: Option<String>,
    /// The entry's line.
    pub(crate) line: u32,
    /// A `[plugins]` entry (build tooling).
    pub(crate) plugin: bool,
}

/// The accessor name of the catalog at `path`: `libs` for `gradle/libs.versions.toml`.
pub(crate) fn accessor(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.strip_suffix(".versions.toml")
        .unwrap_or(file)
        .to_string()
}

/// The alias with every separator as `.`, as build scripts reach it.
pub(crate) fn normalize_alias(alias: &str) -> String {
    alias.replace(['-', '_'], ".")
}

/// Reads the catalog at `path`.
pub(crate) fn read(path: &str, text: &str) -> Result<Vec<Entry>, Error> {
    let lines = LineIndex::new(text);
    let doc = ImDocument::parse(text).map_err(|e| {
        let line = e.span().map(|s| lines.line(s.start));
        parse_error(path, line, e.message().trim().to_string())
    })?;
    let reader = Reader {
        path,
        text,
        lines: &lines,
        versions: doc.get("versions").and_then(Item::as_table_like),
    };
    let mut out = Vec::new();
    for (section, plugin) in [("libraries", false), ("plugins", true)] {
        let Some(table) = doc.get(section).and_then(Item::as_table_like) else {
            continue;
        };
        for (alias, item) in table.iter() {
            let line = table
                .get_key_value(alias)
                .and_then(|(k, _)| k.span())
                .map_or(1, |s| lines.line(s.start));
            let entry = if plugin {
                reader.plugin(alias, item, line)
            } else {
                reader.library(alias, item, line)
            };
            out.push(entry.ok_or_else(|| {
                parse_error(
                    path,
                    Some(line),
                    format!("`{alias}` in [{section}] is neither a coordinate string nor a table with a module"),
                )
            })?);
        }
    }
    Ok(out)
}

/// The version an entry gives: its text, where it is written, and a `strictly` range bounding it.
#[derive(Default)]
struct Version {
    text: Option<String>,
    site: Option<Site>,
    reference: Option<Site>,
    strictly: Option<String>,
}

struct Reader<'a> {
    path: &'a str,
    text: &'a str,
    lines: &'a LineIndex,
    versions: Option<&'a dyn TableLike>,
}

impl Reader<'_> {
    /// The span of a string value's contents, when its text is its value (no escapes).
    fn content(&self, item: &Item) -> Option<Site> {
        let value = item.as_value()?;
        let (s, e) = value.span().map(|r| (r.start, r.end))?;
        let raw = self.text.get(s..e)?;
        let quoted = (raw.starts_with('"') && raw.ends_with('"'))
            || (raw.starts_with('\'') && raw.ends_with('\''));
        if raw.len() < 2 || !quoted || raw.starts_with("\"\"\"") || raw.starts_with("'''") {
            return None;
        }
        if raw[1..raw.len() - 1] != *value.as_str()? {
            return None;
        }
        Some(Site {
            file: self.path.to_string(),
            span: (s + 1, e - 1),
            line: self.lines.line(s),
        })
    }

    /// The version of a library or plugin entry: a `ref` into `[versions]` (followed once: an entry there
    /// is a value, never another reference), a string, or a rich version table.
    fn version(&self, item: &Item) -> Version {
        if let Some(reference) = item.as_table_like().and_then(|t| t.get("ref")) {
            if let Some(r) = reference.as_str() {
                return match self.versions.and_then(|v| v.get(r)) {
                    Some(item) => Version {
                        reference: self.content(reference),
                        ..self.version_value(item)
                    },
                    None => Version::default(),
                };
            }
        }
        self.version_value(item)
    }

    /// A version value: a string, or a rich version table (the first exact one of `strictly`,
    /// `require` and `prefer`, else the first given; with the `strictly` range bounding it).
    fn version_value(&self, item: &Item) -> Version {
        if let Some(s) = item.as_str() {
            return Version {
                text: Some(s.to_string()),
                site: self.content(item),
                reference: None,
                strictly: None,
            };
        }
        let Some(table) = item.as_table_like() else {
            return Version::default();
        };
        let rich: Vec<&Item> = ["strictly", "require", "prefer"]
            .iter()
            .filter_map(|k| table.get(k))
            .filter(|i| i.as_str().is_some())
            .collect();
        let chosen = rich
            .iter()
            .find(|i| i.as_str().is_some_and(super::is_exact))
            .or(rich.first());
        let Some(chosen) = chosen else {
            return Version::default();
        };
        let strictly = table
            .get("strictly")
            .filter(|s| !std::ptr::eq(*s, *chosen))
            .and_then(Item::as_str)
            .filter(|s| !super::is_exact(s))
            .map(String::from);
        Version {
            text: chosen.as_str().map(String::from),
            site: self.content(chosen),
            reference: None,
            strictly,
        }
    }

    fn library(&self, alias: &str, item: &Item, line: u32) -> Option<Entry> {
        let alias = normalize_alias(alias);
        if let Some(s) = item.as_str() {
            let (name, version, offset) = split(s)?;
            let site = self.content(item).zip(offset).map(|(site, (a, b))| Site {
                span: (site.span.0 + a, site.span.0 + b),
                ..site
            });
            return Some(Entry {
                alias,
                name,
                version,
                site,
                reference: None,
                strictly: None,
                line,
                plugin: false,
            });
        }
        let table = item.as_table_like()?;
        let name = match table.get("module").and_then(Item::as_str) {
            Some(m) => {
                let (name, _, _) = split(m)?;
                name
            }
            None => format!(
                "{}:{}",
                table.get("group")?.as_str()?,
                table.get("name")?.as_str()?
            ),
        };
        let version = table
            .get("version")
            .map_or_else(Version::default, |v| self.version(v));
        Some(Entry {
            alias,
            name,
            version: version.text,
            site: version.site,
            reference: version.reference,
            strictly: version.strictly,
            line,
            plugin: false,
        })
    }

    fn plugin(&self, alias: &str, item: &Item, line: u32) -> Option<Entry> {
        let alias = normalize_alias(alias);
        let marker = |id: &str| format!("{id}:{id}.gradle.plugin");
        if let Some(s) = item.as_str() {
            let (id, version) = s.split_once(':').map_or((s, None), |(i, v)| (i, Some(v)));
            let site = self.content(item).map(|site| Site {
                span: (site.span.0 + id.len() + 1, site.span.1),
                ..site
            });
            return Some(Entry {
                alias,
                name: marker(id),
                version: version.map(String::from),
                site: version.and(site),
                reference: None,
                strictly: None,
                line,
                plugin: true,
            });
        }
        let table = item.as_table_like()?;
        let id = table.get("id")?.as_str()?;
        let version = table
            .get("version")
            .map_or_else(Version::default, |v| self.version(v));
        Some(Entry {
            alias,
            name: marker(id),
            version: version.text,
            site: version.site,
            reference: version.reference,
            strictly: version.strictly,
            line,
            plugin: true,
        })
    }
}
