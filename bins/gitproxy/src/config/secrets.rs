//! Secrets (access key, token): held in [`Secret`], which never prints, read from a value or a
//! mounted file, and checked to be one line of printable ASCII of at most 8 KiB.

use std::fmt;
use std::path::Path;

use super::sources::{Given, Layers, Source};
use super::ConfigError;
use crate::settings::Setting;

/// The longest secret accepted (tokens and keys are far shorter).
pub(crate) const MAX_SECRET_BYTES: usize = 8 * 1024;

/// A secret value (access key, token). `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub(crate) fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The setting's secret, from a value or a file (see [`Layers::given`]).
pub(super) fn resolve(
    layers: &Layers<'_>,
    setting: &Setting,
) -> Result<Option<Secret>, ConfigError> {
    match layers.given(setting) {
        Some(Given::Value(raw)) => secret_value(&raw.value, &raw.source).map(Some),
        Some(Given::File(path, source)) => read_secret(&path, &source).map(Some),
        None => Ok(None),
    }
}

/// A secret given as a value: trimmed, then checked; errors name `source`, never the value.
fn secret_value(value: &str, source: &Source) -> Result<Secret, ConfigError> {
    let value = value.trim();
    if value.len() > MAX_SECRET_BYTES {
        return Err(ConfigError(format!(
            "{source}: the secret is longer than 8 KiB; give the token or key itself"
        )));
    }
    if let Some(c) = value
        .chars()
        .find(|c| !c.is_ascii() || c.is_ascii_control())
    {
        let what = if c == '\n' || c == '\r' {
            "a line break"
        } else if c.is_ascii_control() {
            "a control character"
        } else {
            "a non-ASCII character"
        };
        return Err(ConfigError(format!(
            "{source}: the secret holds {what}; give the token or key alone on one line of printable ASCII"
        )));
    }
    Ok(Secret::new(value))
}

/// A secret read from a mounted file (trimmed).
fn read_secret(path: &Path, source: &Source) -> Result<Secret, ConfigError> {
    let bytes = std::fs::read(path).map_err(|e| {
        ConfigError(format!(
            "{source}: cannot read secret file {}: {e}; mount the Secret there or fix the path",
            path.display()
        ))
    })?;
    let Ok(text) = String::from_utf8(bytes) else {
        return Err(ConfigError(format!(
            "{source}: secret file {} is not UTF-8 text; put the token or key itself in the Secret",
            path.display()
        )));
    };
    if text.trim().is_empty() {
        return Err(ConfigError(format!(
            "{source}: secret file {} is empty; put the value in the Secret",
            path.display()
        )));
    }
    secret_value(&text, source)
}
