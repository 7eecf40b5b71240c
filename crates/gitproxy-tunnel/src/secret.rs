//! The agent's access key: a secret that never shows in logs, errors or `Debug` output.

use std::fmt;

use crate::error::Error;

/// The agent's access key (Helm value `gitproxy.accessKey`). `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey(String);

impl AccessKey {
    /// Wraps a key after checking its shape: 16 to 512 visible ASCII characters.
    pub fn new(key: impl Into<String>) -> Result<Self, Error> {
        let key = key.into();
        let len = key.len();
        if !(16..=512).contains(&len) || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Config(format!(
                "the access key must be 16 to 512 visible ascii characters (got {len} characters); copy it again from the cloud console into gitproxy.accessKey"
            )));
        }
        Ok(AccessKey(key))
    }

    /// The key itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares without an early exit, so timing does not reveal how much of a key matched.
    pub fn ct_eq(&self, other: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), other.as_bytes());
        let mut diff = a.len() ^ b.len();
        for (i, x) in a.iter().enumerate() {
            diff |= usize::from(x ^ b.get(i).copied().unwrap_or(0));
        }
        diff == 0
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessKey([redacted])")
    }
}

impl fmt::Display for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}
