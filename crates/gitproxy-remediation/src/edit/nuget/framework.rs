//! Target frameworks: which `<group targetFramework=...>` of a `.nuspec` applies to a
//! `packages.lock.json` section, following NuGet's nearest-framework rule for the common
//! families (.NET / .NET Core, .NET Framework, .NET Standard).

use crate::xml;

/// A framework family and version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Framework {
    /// .NET Standard.
    Standard(u32, u32),
    /// .NET Framework (`net472`: 4.7.2).
    Classic(u32, u32, u32),
    /// .NET Core and .NET 5 and later.
    Core(u32, u32),
}

/// Digits of a version like `4.7.2`, `472`, `v3.1`, `6.0`.
fn numbers(text: &str, compact: bool) -> Option<Vec<u32>> {
    let t = text.trim_start_matches('v');
    if t.is_empty() {
        return None;
    }
    if t.contains('.') || !compact {
        return t.split('.').map(|p| p.parse().ok()).collect();
    }
    t.chars().map(|c| c.to_digit(10)).collect()
}

/// Parses the spellings lockfiles and nuspecs use: `net6.0`, `net8.0-windows7.0`, `net472`,
/// `netstandard2.0`, `netcoreapp3.1`, `.NETStandard2.0`, `.NETFramework4.7.2`,
/// `.NETCoreApp,Version=v3.1`. `None` for anything else (portable profiles, Xamarin...).
pub(super) fn parse(text: &str) -> Option<Framework> {
    let t = text.trim().split('/').next()?.to_ascii_lowercase();
    let t = t.split('-').next()?.replace(",version=", "");
    let get = |n: &[u32], i: usize| n.get(i).copied().unwrap_or(0);
    for (prefix, compact) in [(".netstandard", false), ("netstandard", false)] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let n = numbers(rest, compact)?;
            return Some(Framework::Standard(get(&n, 0), get(&n, 1)));
        }
    }
    for prefix in [".netcoreapp", "netcoreapp"] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let n = numbers(rest, false)?;
            return Some(Framework::Core(get(&n, 0), get(&n, 1)));
        }
    }
    if let Some(rest) = t.strip_prefix(".netframework") {
        let n = numbers(rest, false)?;
        return Some(Framework::Classic(get(&n, 0), get(&n, 1), get(&n, 2)));
    }
    let rest = t.strip_prefix("net")?;
    if rest.contains('.') {
        let n = numbers(rest, false)?;
        return Some(if get(&n, 0) >= 5 {
            Framework::Core(get(&n, 0), get(&n, 1))
        } else {
            Framework::Classic(get(&n, 0), get(&n, 1), get(&n, 2))
        });
    }
    let n = numbers(rest, true)?;
    Some(Framework::Classic(get(&n, 0), get(&n, 1), get(&n, 2)))
}

/// The highest .NET Standard a framework implements.
fn standard_of(f: Framework) -> Option<(u32, u32)> {
    match f {
        Framework::Standard(a, b) => Some((a, b)),
        Framework::Core(major, _) if major >= 3 => Some((2, 1)),
        Framework::Core(2, _) => Some((2, 0)),
        Framework::Core(..) => Some((1, 6)),
        Framework::Classic(4, minor, patch) if (minor, patch) >= (6, 1) => Some((2, 0)),
        Framework::Classic(4, 6, _) => Some((1, 3)),
        Framework::Classic(4, 5, patch) if patch >= 1 => Some((1, 2)),
        Framework::Classic(4, 5, _) => Some((1, 1)),
        Framework::Classic(..) => None,
    }
}

/// How well a package built for `group` fits a project targeting `project`: `None` when it
/// does not; higher is nearer (same family first, then the newest version).
fn fitness(project: Framework, group: Framework) -> Option<(u8, Framework)> {
    match (project, group) {
        (Framework::Core(..), Framework::Core(..))
        | (Framework::Classic(..), Framework::Classic(..))
        | (Framework::Standard(..), Framework::Standard(..))
            if group <= project =>
        {
            Some((2, group))
        }
        (_, Framework::Standard(a, b)) if standard_of(project).is_some_and(|s| (a, b) <= s) => {
            Some((1, group))
        }
        _ => None,
    }
}

/// The dependencies (`id`, `version` range) the `.nuspec` declares for a project targeting
/// `framework`; `None` when the file cannot be read or the framework is not understood.
pub(super) fn nuspec_dependencies(nuspec: &str, framework: &str) -> Option<Vec<(String, String)>> {
    let root = xml::parse(nuspec).ok()?;
    let Some(deps) = root.path(&["metadata", "dependencies"]) else {
        return Some(Vec::new());
    };
    let read = |el: &xml::Element| -> Vec<(String, String)> {
        el.children_named("dependency")
            .filter_map(|d| {
                let id = d.attribute("id")?.value.trim().to_string();
                let version = d.attribute("version").map_or("0.0.0", |a| a.value.trim());
                Some((id, version.to_string()))
            })
            .collect()
    };
    let groups: Vec<&xml::Element> = deps.children_named("group").collect();
    if groups.is_empty() {
        return Some(read(deps));
    }
    let project = parse(framework)?;
    let mut best: Option<((u8, Framework), &xml::Element)> = None;
    let mut any_framework = None;
    for g in groups {
        match g.attribute("targetFramework").map(|a| a.value.trim()) {
            None | Some("") => any_framework = Some(g),
            Some(name) => {
                // A group for a framework this does not know is not the project's.
                let fit = parse(name).and_then(|group| fitness(project, group));
                if let Some(fit) = fit {
                    if best.as_ref().is_none_or(|(b, _)| fit > *b) {
                        best = Some((fit, g));
                    }
                }
            }
        }
    }
    Some(
        best.map(|(_, g)| g)
            .or(any_framework)
            .map(read)
            .unwrap_or_default(),
    )
}
