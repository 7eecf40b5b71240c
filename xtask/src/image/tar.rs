//! A deterministic POSIX ustar writer for image layers: entries sorted by path, one fixed mtime,
//! numeric owners only (no user or group names), parent directories added as needed.

use std::collections::BTreeMap;

use anyhow::{bail, Result};

const BLOCK: usize = 512;

/// What a path in a layer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Dir,
    File(Vec<u8>),
}

/// One entry of a layer: a directory or a regular file, its mode and numeric owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) kind: Kind,
    pub(crate) mode: u32,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

impl Entry {
    /// A root-owned regular file.
    pub(crate) fn file(data: Vec<u8>, mode: u32) -> Self {
        Entry {
            kind: Kind::File(data),
            mode,
            uid: 0,
            gid: 0,
        }
    }

    /// A directory.
    pub(crate) fn dir(mode: u32, uid: u32, gid: u32) -> Self {
        Entry {
            kind: Kind::Dir,
            mode,
            uid,
            gid,
        }
    }
}

/// The entries of one layer by absolute path (`/usr/local/bin/gitproxy`); a `BTreeMap` keeps them sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Layer {
    entries: BTreeMap<String, Entry>,
}

impl Layer {
    /// Adds `entry` at the absolute `path`; every missing parent becomes a root-owned 0755 directory.
    pub(crate) fn insert(&mut self, path: &str, entry: Entry) -> Result<()> {
        let relative = relative_path(path)?;
        let mut parent = String::new();
        let parts: Vec<&str> = relative.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            parent.push_str(part);
            self.entries
                .entry(parent.clone())
                .or_insert_with(|| Entry::dir(0o755, 0, 0));
            parent.push('/');
        }
        if self.entries.insert(relative.to_owned(), entry).is_some() {
            bail!("the image layer lists {path} twice; give each path once in xtask/src/image/spec.rs");
        }
        Ok(())
    }

    /// The absolute paths of the layer, sorted, directories with a trailing `/`.
    pub(crate) fn paths(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|(path, entry)| match entry.kind {
                Kind::Dir => format!("/{path}/"),
                Kind::File(_) => format!("/{path}"),
            })
            .collect()
    }

    /// The uncompressed size of the files' contents.
    pub(crate) fn content_bytes(&self) -> u64 {
        self.entries
            .values()
            .map(|e| match &e.kind {
                Kind::File(data) => data.len() as u64,
                Kind::Dir => 0,
            })
            .sum()
    }

    /// The layer as a tar archive with every mtime set to `mtime` (seconds since the epoch).
    pub(crate) fn to_tar(&self, mtime: u64) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(self.content_bytes() as usize + BLOCK * 4);
        for (path, entry) in &self.entries {
            let (name, size, typeflag) = match &entry.kind {
                Kind::Dir => (format!("{path}/"), 0, b'5'),
                Kind::File(data) => (path.clone(), data.len() as u64, b'0'),
            };
            out.extend_from_slice(&header(&name, entry, size, typeflag, mtime)?);
            if let Kind::File(data) = &entry.kind {
                out.extend_from_slice(data);
                let pad = (BLOCK - data.len() % BLOCK) % BLOCK;
                out.resize(out.len() + pad, 0);
            }
        }
        // Two zero blocks end the archive.
        out.resize(out.len() + 2 * BLOCK, 0);
        Ok(out)
    }
}

fn relative_path(path: &str) -> Result<&str> {
    let Some(relative) = path.strip_prefix('/') else {
        bail!("image path {path:?} is not absolute; write it as /dir/file");
    };
    if relative.is_empty()
        || relative.ends_with('/')
        || relative
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
    {
        bail!("image path {path:?} is not a plain absolute path; drop empty, `.` and `..` parts");
    }
    Ok(relative)
}

/// One ustar header block.
fn header(name: &str, entry: &Entry, size: u64, typeflag: u8, mtime: u64) -> Result<[u8; BLOCK]> {
    let mut h = [0u8; BLOCK];
    let (prefix, name) = split_name(name)?;
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], u64::from(entry.mode))?;
    octal(&mut h[108..116], u64::from(entry.uid))?;
    octal(&mut h[116..124], u64::from(entry.gid))?;
    octal(&mut h[124..136], size)?;
    octal(&mut h[136..148], mtime)?;
    h[156] = typeflag;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    octal(&mut h[329..337], 0)?;
    octal(&mut h[337..345], 0)?;
    h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
    // The checksum is computed with its own field as spaces, then written as six digits, NUL, space.
    h[148..156].fill(b' ');
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    octal(&mut h[148..155], sum)?;
    h[155] = b' ';
    Ok(h)
}

/// Splits a name over 100 bytes at a `/` into ustar's prefix (≤ 155) and name (≤ 100).
fn split_name(name: &str) -> Result<(&str, &str)> {
    if name.len() <= 100 {
        return Ok(("", name));
    }
    let trimmed = name.trim_end_matches('/');
    for (at, _) in trimmed.match_indices('/') {
        let (prefix, rest) = (&name[..at], &name[at + 1..]);
        if prefix.len() <= 155 && rest.len() <= 100 {
            return Ok((prefix, rest));
        }
    }
    bail!("image path {name:?} is too long for a ustar header; shorten it below 255 bytes")
}

/// Writes `value` as zero-padded octal digits followed by a NUL into `field`.
fn octal(field: &mut [u8], value: u64) -> Result<()> {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    if text.len() > digits {
        bail!("value {value} does not fit a {digits}-digit tar header field; the file is too large for ustar");
    }
    field[..digits].copy_from_slice(text.as_bytes());
    field[digits] = 0;
    Ok(())
}

#[cfg(test)]
mod tests;
