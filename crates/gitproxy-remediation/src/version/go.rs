//! Go module versions: semver with a `v` prefix, `+incompatible` and pseudo-versions.

use super::semver;

/// Parses a Go module version (`v1.2.3`, `v2.0.0+incompatible`, pseudo-versions) or the bare
/// form OSV uses (`1.2.3`). Go requires all three numeric components.
pub fn parse(text: &str) -> Result<semver::Version, String> {
    let t = text.trim();
    let bare = t.strip_prefix('v').unwrap_or(t);
    semver::Version::parse(bare)
}

/// Formats a version the way `go.mod` spells it.
pub fn canonical(v: &semver::Version) -> String {
    format!("v{v}")
}

/// True for `+incompatible` versions (a v2+ module without a `/vN` path suffix).
pub fn is_incompatible(v: &semver::Version) -> bool {
    v.build == "incompatible"
}

/// True for pseudo-versions such as `v0.0.0-20191109021931-daa7c04131f5` or
/// `v1.2.4-0.20191109021931-daa7c04131f5`: a commit timestamp and a 12-hex-digit revision.
pub fn is_pseudo(v: &semver::Version) -> bool {
    let ids: Vec<String> = v
        .pre
        .iter()
        .map(|id| match id {
            semver::Identifier::Numeric(n) => n.to_string(),
            semver::Identifier::Alpha(s) => s.clone(),
        })
        .collect();
    let Some(last) = ids.last() else {
        return false;
    };
    // The last identifier is `yyyymmddhhmmss-abcdefabcdef` because `-` is part of identifiers.
    let Some((stamp, rev)) = last.rsplit_once('-') else {
        return false;
    };
    let stamp = stamp.rsplit('.').next().unwrap_or(stamp);
    stamp.len() == 14
        && stamp.bytes().all(|b| b.is_ascii_digit())
        && rev.len() == 12
        && rev.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The major-version suffix a module path must carry for `v` (`/v2` for 2.x), `None` for v0/v1
/// and `+incompatible` versions.
pub fn path_major_suffix(v: &semver::Version) -> Option<String> {
    (v.major >= 2 && !is_incompatible(v)).then(|| format!("/v{}", v.major))
}
