//! Gradle dependency lockfiles: `gradle.lockfile` (and `buildscript-gradle.lockfile`), one
//! `group:artifact:version=conf1,conf2` line per module and an `empty=` line, and the older
//! per-configuration files `gradle/dependency-locks/<configuration>.lockfile`, one
//! `group:artifact:version` line per module.

use crate::analysis::parse_error;
use crate::Error;

/// One locked module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Locked {
    pub(crate) name: String,
    pub(crate) version: String,
    /// The configurations that resolve it.
    pub(crate) configurations: Vec<String>,
    pub(crate) line: u32,
    /// Byte span of the version on its line.
    pub(crate) version_span: (usize, usize),
}

/// Whether `path` is a Gradle lockfile.
pub(crate) fn is_lockfile(path: &str) -> bool {
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    matches!(
        file,
        "gradle.lockfile" | "buildscript-gradle.lockfile" | "settings-gradle.lockfile"
    ) || (file.ends_with(".lockfile")
        && (dir == "gradle/dependency-locks" || dir.ends_with("/gradle/dependency-locks")))
}

/// The project directory a lockfile belongs to (`""` for the root project).
pub(crate) fn project_dir(path: &str) -> &str {
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let dir = dir
        .strip_suffix("gradle/dependency-locks")
        .map_or(dir, |d| d.strip_suffix('/').unwrap_or(d));
    dir
}

/// Reads the lockfile at `path`. A line that is neither a comment, `empty=...` nor a locked
/// module is an error: the file is not guessed at.
pub(crate) fn read(path: &str, text: &str) -> Result<Vec<Locked>, Error> {
    let file = path.rsplit('/').next().unwrap_or(path);
    let per_configuration = path.contains("gradle/dependency-locks/");
    let own_configuration = file.strip_suffix(".lockfile").unwrap_or(file);
    let mut out = Vec::new();
    let mut offset = 0;
    for (n, raw) in text.split('\n').enumerate() {
        let line = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let start = offset;
        offset += raw.len() + 1;
        let entry = raw.trim_end_matches('\r').trim();
        if entry.is_empty() || entry.starts_with('#') || entry.starts_with("empty=") {
            continue;
        }
        let (coordinate, configurations) = match entry.split_once('=') {
            Some((c, confs)) => (
                c,
                confs
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(String::from)
                    .collect(),
            ),
            None if per_configuration => (entry, vec![own_configuration.to_string()]),
            None => {
                return Err(parse_error(
                    path,
                    Some(line),
                    "a locked module without `=configurations`",
                ))
            }
        };
        let parts: Vec<&str> = coordinate.split(':').collect();
        let valid = parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && !p.contains(' '));
        if !valid {
            return Err(parse_error(
                path,
                Some(line),
                "expected `group:artifact:version=configurations`",
            ));
        }
        let lead = raw.len() - raw.trim_start().len();
        let version_start = start + lead + parts[0].len() + parts[1].len() + 2;
        out.push(Locked {
            name: format!("{}:{}", parts[0], parts[1]),
            version: parts[2].to_string(),
            configurations,
            line,
            version_span: (version_start, version_start + parts[2].len()),
        });
    }
    Ok(out)
}
