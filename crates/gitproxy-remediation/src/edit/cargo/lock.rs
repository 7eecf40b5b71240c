//! `Cargo.lock` as blocks of text: read into packages (keeping each block's original text) and
//! written back in Cargo's layout, so that only the entries a fix changes differ.
//!
//! Lock formats 2 to 4 share the `dependencies = ["name", "name version", "name version
//! (source)"]` encoding: the version is written only when several versions of that name are in
//! the lock, the source only when one name and version come from several sources. Format 1
//! (checksums in a `[metadata]` table) is not edited.

/// The crates.io source as lockfiles spell it.
pub(super) const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// One `[[package]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct LockedPackage {
    pub(super) name: String,
    pub(super) version: String,
    pub(super) source: Option<String>,
    pub(super) checksum: Option<String>,
    /// The `dependencies` strings as written.
    pub(super) deps: Vec<String>,
    /// The block's text, from `[[package]]` up to (not including) the next block.
    pub(super) text: String,
}

/// A parsed lockfile.
#[derive(Debug)]
pub(super) struct LockFile {
    /// Everything before the first `[[package]]` (comments, `version = 3`).
    pub(super) header: String,
    pub(super) packages: Vec<LockedPackage>,
    /// Tables after the packages (`[patch.unused]`), kept as they are.
    pub(super) trailer: String,
}

impl LockFile {
    /// Reads Cargo's layout; `Err` says why the file cannot be edited safely.
    pub(super) fn parse(text: &str) -> Result<LockFile, String> {
        let mut header = String::new();
        let mut trailer = String::new();
        let mut packages = Vec::new();
        let mut current: Option<(LockedPackage, bool)> = None;
        let mut in_deps = false;
        for line in text.split_inclusive('\n') {
            let bare = line.trim_end();
            if !trailer.is_empty() {
                trailer.push_str(line);
                continue;
            }
            if bare == "[[package]]" {
                if let Some(done) = current.take() {
                    packages.push(finish(done)?);
                }
                current = Some((
                    LockedPackage {
                        name: String::new(),
                        version: String::new(),
                        source: None,
                        checksum: None,
                        deps: Vec::new(),
                        text: String::new(),
                    },
                    false,
                ));
            } else if bare.starts_with('[') && !in_deps {
                if bare == "[metadata]" {
                    return Err("it uses lock format 1 (checksums in `[metadata]`)".into());
                }
                trailer.push_str(line);
                continue;
            }
            let Some((pkg, _)) = current.as_mut() else {
                header.push_str(line);
                continue;
            };
            pkg.text.push_str(line);
            if in_deps {
                if bare.trim() == "]" {
                    in_deps = false;
                } else {
                    let item = bare
                        .trim()
                        .trim_end_matches(',')
                        .strip_prefix('"')
                        .and_then(|s| s.strip_suffix('"'))
                        .ok_or_else(|| format!("unexpected dependency line `{bare}`"))?;
                    pkg.deps.push(item.to_string());
                }
                continue;
            }
            if bare.is_empty() || bare == "[[package]]" || bare.starts_with('#') {
                continue;
            }
            let (key, value) = bare
                .split_once(" = ")
                .ok_or_else(|| format!("unexpected line `{bare}`"))?;
            if key == "dependencies" {
                match value {
                    "[" => in_deps = true,
                    "[]" => {}
                    _ => return Err(format!("unexpected dependency list `{bare}`")),
                }
                continue;
            }
            let string = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .filter(|v| !v.contains('\\'))
                .ok_or_else(|| format!("unexpected value in `{bare}`"))?
                .to_string();
            match key {
                "name" => pkg.name = string,
                "version" => pkg.version = string,
                "source" => pkg.source = Some(string),
                "checksum" => pkg.checksum = Some(string),
                other => return Err(format!("unexpected key `{other}` in a package entry")),
            }
        }
        if in_deps {
            return Err("a dependency list is not closed".into());
        }
        if let Some(done) = current.take() {
            packages.push(finish(done)?);
        }
        Ok(LockFile {
            header,
            packages,
            trailer,
        })
    }
}

fn finish((pkg, _): (LockedPackage, bool)) -> Result<LockedPackage, String> {
    if pkg.name.is_empty() || pkg.version.is_empty() {
        return Err("a package entry has no name or version".into());
    }
    Ok(pkg)
}

/// A package entry in Cargo's layout, without the empty line that separates entries.
pub(super) fn render_package(
    name: &str,
    version: &str,
    source: Option<&str>,
    checksum: Option<&str>,
    deps: &[String],
) -> String {
    let mut out = format!("[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n");
    if let Some(source) = source {
        out.push_str(&format!("source = \"{source}\"\n"));
    }
    if let Some(checksum) = checksum {
        out.push_str(&format!("checksum = \"{checksum}\"\n"));
    }
    if !deps.is_empty() {
        out.push_str("dependencies = [\n");
        for d in deps {
            out.push_str(&format!(" \"{d}\",\n"));
        }
        out.push_str("]\n");
    }
    out
}

/// A whole lockfile: `header`, the entries separated by empty lines, then `trailer`.
pub(super) fn render_lock(header: &str, blocks: &[String], trailer: &str) -> String {
    let mut out = header.to_string();
    let blocks: Vec<&str> = blocks.iter().map(|b| b.trim_end_matches('\n')).collect();
    out.push_str(&blocks.join("\n\n"));
    out.push('\n');
    if !trailer.is_empty() {
        out.push('\n');
        out.push_str(trailer);
    }
    out
}
