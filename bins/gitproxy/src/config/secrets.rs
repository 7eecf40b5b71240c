//! Secrets (access key, token): held in [`Secret`], which never prints, read from a value or a
//! mounted file, and checked to be one line of printable ASCII of at most 8 KiB.

use std::fmt;
use std::path::Path;

use super::sources::{err, Given, Layers};
use super::ConfigError;
use crate::settings::Setting;

/// The longest secret accepted (tokens and keys are far shorter).
const MAX_SECRET_BYTES: usize = 8 * 1024;

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

/// The setting's secret, from a value or a file (see [`Layers::given`]): trimmed, then checked
/// to be one line of printable ASCII of at most 8 KiB, then held by `wrap` (a type that never
/// prints); errors name the source, never the value.
pub(super) fn resolve<T>(
    layers: &Layers<'_>,
    setting: &Setting,
    wrap: impl FnOnce(String) -> T,
) -> Result<Option<T>, ConfigError> {
    let (text, source) = match layers.given(setting) {
        None => return Ok(None),
        Some(Given::Value(raw)) => (raw.value, raw.source),
        Some(Given::File(path, source)) => (read(&path).map_err(|e| err(&source, e))?, source),
    };
    check(&text)
        .map(|text| Some(wrap(text)))
        .map_err(|e| err(&source, e))
}

/// A secret file's text (a Kubernetes Secret mount).
fn read(path: &Path) -> Result<String, String> {
    let file = path.display();
    let bytes = std::fs::read(path).map_err(|e| {
        format!("cannot read secret file {file}: {e}; mount the Secret there or fix the path")
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        format!("secret file {file} is not UTF-8 text; put the token or key itself in the Secret")
    })?;
    match text.trim().is_empty() {
        true => Err(format!(
            "secret file {file} is empty; put the value in the Secret"
        )),
        false => Ok(text),
    }
}

/// The secret, trimmed, if it can be a token or key.
fn check(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.len() > MAX_SECRET_BYTES {
        return Err("the secret is longer than 8 KiB; give the token or key itself".to_owned());
    }
    let what = match value
        .chars()
        .find(|c| !c.is_ascii() || c.is_ascii_control())
    {
        None => return Ok(value.to_owned()),
        Some('\n' | '\r') => "a line break",
        Some(c) if c.is_ascii_control() => "a control character",
        Some(_) => "a non-ASCII character",
    };
    Err(format!(
        "the secret holds {what}; give the token or key alone on one line of printable ASCII"
    ))
}
