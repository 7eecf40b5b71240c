//! The OSV record format (<https://ossf.github.io/osv-schema/>) and the reader for osv.dev-style
//! `all.zip` archives.

use serde::{Deserialize, Deserializer, Serialize};

use crate::Error;

/// One OSV vulnerability record. Fields the engine does not use are skipped when decoding.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The record id (`RUSTSEC-2021-0001`, `GO-2022-0001`, `PYSEC-2021-1`, `GHSA-...`).
    pub id: String,
    /// Last modification time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Publication time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Set when the record was withdrawn; withdrawn records never match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    /// Other ids of the same vulnerability (CVE, GHSA, ...).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub aliases: Vec<String>,
    /// One-line summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Markdown details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Severity scores (CVSS vectors).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub severity: Vec<Severity>,
    /// Affected packages and versions.
    #[serde(default, deserialize_with = "null_default")]
    pub affected: Vec<Affected>,
    /// Links.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub references: Vec<Reference>,
    /// Database-specific extras (GHSA `severity`, RustSec `cvss`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<DatabaseSpecific>,
}

/// A severity score.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Severity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The vector or score.
    pub score: String,
}

/// A link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// `ADVISORY`, `WEB`, `FIX`, `PACKAGE`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The URL.
    pub url: String,
}

/// The extras of a record or an affected entry that the engine reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseSpecific {
    /// GHSA severity words (`LOW`, `MODERATE`, `HIGH`, `CRITICAL`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub severity: Option<String>,
    /// RustSec's CVSS vector.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub cvss: Option<String>,
    /// RustSec informational kind: `unmaintained`, `unsound` or `notice`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub informational: Option<String>,
}

/// A package named by a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// OSV ecosystem name.
    pub ecosystem: String,
    /// Package name.
    pub name: String,
    /// Package URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// The versions of one package a record affects.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// The package (absent only in malformed records, which then match nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    /// Per-package severity.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub severity: Vec<Severity>,
    /// Version ranges.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ranges: Vec<Range>,
    /// Explicitly enumerated affected versions.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub versions: Vec<String>,
    /// Database-specific extras (RustSec puts `informational` here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<DatabaseSpecific>,
}

/// A range of affected versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// `SEMVER`, `ECOSYSTEM` or `GIT` (GIT ranges are commits and cannot be evaluated on
    /// versions; records that use them also list the versions).
    #[serde(rename = "type")]
    pub kind: String,
    /// Repository of a `GIT` range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The events, in any order.
    #[serde(default, deserialize_with = "null_default")]
    pub events: Vec<Event>,
}

/// One range event; exactly one field is set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// First affected version (`"0"`: every version before the next event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    /// First unaffected version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    /// Last affected version (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    /// Upper bound of the range (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

impl Record {
    /// Decodes one record from JSON.
    pub fn from_json(name: &str, bytes: &[u8]) -> Result<Record, Error> {
        serde_json::from_slice(bytes).map_err(|e| Error::Osv {
            name: name.to_string(),
            reason: e.to_string(),
        })
    }

    /// The id followed by the aliases.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// RustSec's informational kind of the first affected package that has one.
    pub fn informational(&self) -> Option<&str> {
        self.affected
            .iter()
            .filter_map(|a| a.database_specific.as_ref()?.informational.as_deref())
            .next()
    }

    /// The best severity vector: CVSS v4, then v3, then v2, then RustSec's `cvss`.
    pub fn cvss_vector(&self) -> Option<&str> {
        let all = self
            .severity
            .iter()
            .chain(self.affected.iter().flat_map(|a| a.severity.iter()));
        let all: Vec<&Severity> = all.collect();
        for kind in ["CVSS_V4", "CVSS_V3", "CVSS_V2"] {
            if let Some(s) = all.iter().find(|s| s.kind == kind) {
                return Some(&s.score);
            }
        }
        self.affected
            .iter()
            .filter_map(|a| a.database_specific.as_ref()?.cvss.as_deref())
            .next()
            .or_else(|| self.database_specific.as_ref()?.cvss.as_deref())
    }
}

pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Accepts a string; any other JSON value (a list, an object) reads as absent. Skips the other
/// shapes without building them.
fn lenient_string<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    struct Lenient;
    impl<'de> serde::de::Visitor<'de> for Lenient {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            while map
                .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                .is_some()
            {}
            Ok(None)
        }
    }
    d.deserialize_any(Lenient)
}

/// One member of a zip archive, still compressed.
#[derive(Debug)]
pub(crate) struct ZipMember<'a> {
    pub(crate) name: String,
    pub(crate) method: u16,
    pub(crate) size: usize,
    /// Offset of the compressed data in the archive.
    pub(crate) start: usize,
    pub(crate) data: &'a [u8],
}

impl ZipMember<'_> {
    /// The uncompressed bytes (stored or deflate members).
    pub(crate) fn contents(&self, label: &str) -> Result<Vec<u8>, Error> {
        inflate(label, &self.name, self.method, self.data, self.size)
    }
}

/// Inflates one member's data (stored or raw deflate) and checks its size.
pub(crate) fn inflate(
    label: &str,
    name: &str,
    method: u16,
    data: &[u8],
    size: usize,
) -> Result<Vec<u8>, Error> {
    let mut out = vec![0u8; size];
    Inflater::new().inflate_into(label, name, method, data, &mut out)?;
    Ok(out)
}

/// A raw deflate decoder for many members in a row: it allocates its state once.
pub(crate) struct Inflater(zlib_rs::Inflate);

impl Inflater {
    pub(crate) fn new() -> Inflater {
        // Raw deflate (no header, 15 window bits): zip members carry no zlib header.
        Inflater(zlib_rs::Inflate::new(false, 15))
    }

    /// Inflates one member's data (stored or raw deflate) into `out`, which must be exactly
    /// the member's uncompressed size.
    pub(crate) fn inflate_into(
        &mut self,
        label: &str,
        name: &str,
        method: u16,
        data: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        let err = |reason: String| Error::Zip {
            path: label.to_string(),
            reason: format!("{name}: {reason}"),
        };
        let size = out.len();
        match method {
            0 if data.len() == size => out.copy_from_slice(data),
            0 => return Err(err(format!("expected {size} bytes, stored {}", data.len()))),
            8 => {
                self.0.reset(false);
                let status = self
                    .0
                    .decompress(data, out, zlib_rs::InflateFlush::Finish)
                    .map_err(|e| err(format!("corrupt deflate data ({})", e.as_str())))?;
                let written = self.0.total_out();
                if status != zlib_rs::Status::StreamEnd {
                    let reason = if written == size as u64 {
                        format!("inflates to more than the expected {size} bytes")
                    } else {
                        format!("truncated deflate data ({written} of {size} bytes)")
                    };
                    return Err(err(reason));
                }
                if written != size as u64 {
                    return Err(err(format!("expected {size} bytes, inflated {written}")));
                }
            }
            m => {
                return Err(err(format!(
                    "unsupported compression method {m}; only stored and deflate are read"
                )))
            }
        }
        Ok(())
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The bytes of an archive's central directory (names, sizes and CRC-32 of every member):
/// a cheap fingerprint of the archive's contents.
pub(crate) fn central_directory<'a>(bytes: &'a [u8], label: &str) -> Result<&'a [u8], Error> {
    let bad = || Error::Zip {
        path: label.to_string(),
        reason: "no readable central directory; download the archive again".into(),
    };
    let floor = bytes.len().saturating_sub(22 + 65_535);
    let eocd = (floor..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&i| u32_at(bytes, i) == Some(0x0605_4b50))
        .ok_or_else(bad)?;
    let size = u32_at(bytes, eocd + 12).ok_or_else(bad)? as usize;
    let offset = u32_at(bytes, eocd + 16).ok_or_else(bad)? as usize;
    bytes.get(offset..offset + size).ok_or_else(bad)
}

/// Lists the members of a zip archive by reading its central directory.
pub(crate) fn zip_members<'a>(bytes: &'a [u8], label: &str) -> Result<Vec<ZipMember<'a>>, Error> {
    let err = |reason: &str| Error::Zip {
        path: label.to_string(),
        reason: reason.to_string(),
    };
    let bad = || err("truncated or malformed zip structure");
    // The end-of-central-directory record sits in the last 64 KiB + 22 bytes.
    let floor = bytes.len().saturating_sub(22 + 65_535);
    let eocd = (floor..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&i| u32_at(bytes, i) == Some(0x0605_4b50))
        .ok_or_else(|| err("no end of central directory record; not a zip archive"))?;
    let count = usize::from(u16_at(bytes, eocd + 10).ok_or_else(bad)?);
    let cd_offset = u32_at(bytes, eocd + 16).ok_or_else(bad)?;
    if count == 0xFFFF || cd_offset == 0xFFFF_FFFF {
        return Err(err(
            "zip64 archives are not supported; re-create the archive without zip64",
        ));
    }
    let mut at = usize::try_from(cd_offset).map_err(|_| bad())?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        if u32_at(bytes, at) != Some(0x0201_4b50) {
            return Err(bad());
        }
        let flags = u16_at(bytes, at + 8).ok_or_else(bad)?;
        let method = u16_at(bytes, at + 10).ok_or_else(bad)?;
        let csize = u32_at(bytes, at + 20).ok_or_else(bad)? as usize;
        let size = u32_at(bytes, at + 24).ok_or_else(bad)? as usize;
        let name_len = usize::from(u16_at(bytes, at + 28).ok_or_else(bad)?);
        let extra_len = usize::from(u16_at(bytes, at + 30).ok_or_else(bad)?);
        let comment_len = usize::from(u16_at(bytes, at + 32).ok_or_else(bad)?);
        let local = u32_at(bytes, at + 42).ok_or_else(bad)? as usize;
        let name = String::from_utf8_lossy(bytes.get(at + 46..at + 46 + name_len).ok_or_else(bad)?)
            .into_owned();
        at += 46 + name_len + extra_len + comment_len;
        if flags & 1 != 0 {
            return Err(err("encrypted members are not supported"));
        }
        if name.ends_with('/') {
            continue;
        }
        if u32_at(bytes, local) != Some(0x0403_4b50) {
            return Err(bad());
        }
        let lname = usize::from(u16_at(bytes, local + 26).ok_or_else(bad)?);
        let lextra = usize::from(u16_at(bytes, local + 28).ok_or_else(bad)?);
        let start = local + 30 + lname + lextra;
        let data = bytes.get(start..start + csize).ok_or_else(bad)?;
        out.push(ZipMember {
            name,
            method,
            size,
            start,
            data,
        });
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests;
