//! Which of a release's files PDM records for a lock target: an sdist always, a wheel only when
//! one of its python/abi tag pairs can run on a Python the target's `requires_python` allows
//! (PDM's `EnvSpec` without platform or implementation, as `dep_logic` evaluates it): a
//! `pp38-pypy38_pp73` wheel is left out of a `>=3.9` lock, a `cp37-abi3` one is kept.

use crate::version::{Requirement, Version};
use crate::Ecosystem;

/// Whether PDM keeps `filename` in a lock whose target requires `requires_python`.
pub(super) fn recorded(filename: &str, requires_python: Option<&str>) -> bool {
    let (Some(stem), Some(range)) = (filename.strip_suffix(".whl"), requires_python) else {
        return true;
    };
    let text = range.replace(' ', "");
    let Ok(range) = Requirement::parse(Ecosystem::PyPI, &text) else {
        return true;
    };
    // name-version(-build)?-python-abi-platform
    let parts: Vec<&str> = stem.split('-').collect();
    if parts.len() < 5 {
        return true;
    }
    let (python, abi) = (parts[parts.len() - 3], parts[parts.len() - 2]);
    let bounds = bounds(&text);
    python.split('.').any(|py| {
        abi.split('.')
            .any(|abi| compatible(py, abi, &range, &bounds))
    })
}

/// The versions a specifier set names, each also with its last part raised by one (the points
/// where a range's truth can change).
fn bounds(range: &str) -> Vec<Vec<u64>> {
    let mut out = Vec::new();
    for clause in range.split(',') {
        let digits = clause.trim_start_matches(|c: char| !c.is_ascii_digit());
        let parts: Vec<u64> = digits
            .trim_end_matches(".*")
            .split('.')
            .map_while(|p| p.parse().ok())
            .collect();
        if parts.is_empty() {
            continue;
        }
        let mut next = parts.clone();
        if let Some(last) = next.last_mut() {
            *last += 1;
        }
        out.push(parts);
        out.push(next);
    }
    out
}

/// Whether some Python in `[low, high)` satisfies `range` (tested at `low` and at each bound
/// inside the interval).
fn meets(range: &Requirement, low: &[u64], high: Option<&[u64]>, bounds: &[Vec<u64>]) -> bool {
    let inside = |v: &[u64]| v >= low && high.is_none_or(|h| v < h);
    std::iter::once(low.to_vec())
        .chain(bounds.iter().filter(|b| inside(b)).cloned())
        .any(|v| {
            let text: Vec<String> = v.iter().map(u64::to_string).collect();
            Version::parse(Ecosystem::PyPI, &text.join(".")).is_ok_and(|v| range.matches(&v))
        })
}

fn compatible(python: &str, abi: &str, range: &Requirement, bounds: &[Vec<u64>]) -> bool {
    if python.len() < 3 || !python.is_ascii() {
        return false;
    }
    let (implementation, version) = python.split_at(2);
    let (major, minor) = version.split_at(1);
    let Ok(major) = major.parse::<u64>() else {
        return false;
    };
    let minor: Option<u64> = if minor.is_empty() {
        None
    } else {
        match minor.parse() {
            Ok(m) => Some(m),
            Err(_) => return false,
        }
    };
    let abi_impl = abi
        .split('_')
        .next()
        .unwrap_or("")
        .replace("pypy", "pp")
        .replace("pyston", "pt")
        .to_ascii_lowercase();
    if abi_impl == "abi3" {
        return implementation == "cp" && meets(range, &[major, minor.unwrap_or(0)], None, bounds);
    }
    if abi_impl != "none" && !abi_impl.starts_with(&python.to_ascii_lowercase()) {
        return false;
    }
    match minor {
        Some(m) => meets(range, &[major, m], Some(&[major, m + 1]), bounds),
        None => meets(range, &[major], Some(&[major + 1]), bounds),
    }
}
