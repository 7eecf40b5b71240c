//! The TOML file: read as a table whose keys must be TOML keys of the settings table, each value
//! checked against its setting's type, errors carrying the line and column.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::PathBuf;

use serde::Deserialize as _;
use toml::Spanned;

use super::sources::{err, Source};
use super::ConfigError;
use crate::settings::{self, Kind, Setting};

/// `registries` in the TOML file: the flag's list as a string, or a table of ecosystem = URL.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
enum FileRegistries {
    /// `registries = "npm=https://...,Go=https://..."` or `"public"`.
    List(String),
    /// `[registries]` with `npm = "https://..."` lines.
    Table(BTreeMap<String, String>),
}

/// A TOML value of the setting's type, as text (a registries table as the list).
fn file_text(kind: Kind, value: toml::Value) -> Result<String, toml::de::Error> {
    Ok(match kind {
        Kind::Text => String::deserialize(value)?,
        Kind::Path => PathBuf::deserialize(value)?.display().to_string(),
        Kind::Count => u32::deserialize(value)?.to_string(),
        Kind::Bytes => u64::deserialize(value)?.to_string(),
        Kind::Registries => match FileRegistries::deserialize(value)? {
            FileRegistries::List(list) => list,
            FileRegistries::Table(table) => {
                let entries: Vec<String> = table.iter().map(|(k, v)| format!("{k}={v}")).collect();
                entries.join(",")
            }
        },
    })
}

/// The settings table's TOML key spelled `key`, and its value's type (a `*_file` key: a path).
fn table_key(key: &str) -> Option<(&'static str, Kind)> {
    settings::ALL.iter().find_map(|s| {
        if s.toml == Some(key) {
            s.toml.map(|k| (k, s.kind))
        } else {
            s.toml_file.filter(|k| *k == key).map(|k| (k, Kind::Path))
        }
    })
}

/// Reads the TOML file: every key must be a TOML key of the settings table, of its type.
pub(super) fn load_file(
    path: PathBuf,
    source: &Source,
) -> Result<HashMap<&'static str, String>, ConfigError> {
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let fix = "fix the path or drop the setting";
        err(
            source,
            format!("cannot read {}: {e}; {fix}", path.display()),
        )
    })?;
    let invalid = |span: Option<Range<usize>>, message: &str| {
        let at = span.map_or_else(String::new, |span| {
            let (line, column) = line_column(&text, span.start);
            format!(" at line {line}, column {column}")
        });
        let file = path.display();
        err(
            source,
            format!("{file} is not a valid configuration file{at}: {message}"),
        )
    };
    let document: BTreeMap<Spanned<String>, Spanned<toml::Value>> =
        toml::from_str(&text).map_err(|e| invalid(e.span(), e.message()))?;
    let mut entries: Vec<_> = document.into_iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    let mut values = HashMap::new();
    for (key, value) in entries {
        let found = table_key(key.get_ref());
        let Some((name, kind)) = found else {
            let keys = settings::ALL.iter().flat_map(Setting::toml_keys);
            let expected: Vec<String> = keys.map(|k| format!("`{k}`")).collect();
            let message = format!(
                "unknown field `{}`, expected one of {}",
                key.get_ref(),
                expected.join(", ")
            );
            return Err(invalid(Some(key.span()), &message));
        };
        let span = value.span();
        let text =
            file_text(kind, value.into_inner()).map_err(|e| invalid(Some(span), e.message()))?;
        values.insert(name, text);
    }
    Ok(values)
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit_once('\n')
        .map_or(before, |(_, last)| last)
        .chars()
        .count()
        + 1;
    (line, column)
}
