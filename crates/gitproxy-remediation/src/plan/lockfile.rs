//! Who brings a fix's lockfile up to date: the agent, when the registry gives what a correct
//! lockfile edit needs, or the ecosystem's own command, named in the plan and the pull request,
//! when it does not (no registry configured, the default). A lockfile is never half-edited.

use serde::Serialize;

use super::Tier;
use crate::analysis::Dependency;
use crate::registry::Registry;
use crate::{Ecosystem, Error};

/// Who refreshes the lockfile of one fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "by", content = "command")]
pub enum LockfileRefresh {
    /// No lockfile records the package (a `pom.xml`, a requirements file).
    NotApplicable,
    /// The agent rewrites the lockfile entries with what the registry gave.
    Agent,
    /// The agent leaves the lockfile as it is; this command refreshes it.
    Command(String),
    /// The plan expected the agent to write the lockfile, but the edit found something only the
    /// package manager can resolve (its note says what); this command refreshes it. Serialized
    /// as [`LockfileRefresh::Command`].
    #[serde(rename = "command")]
    LeftByEdit(String),
}

impl LockfileRefresh {
    /// The command the user runs, when the agent leaves the lockfile alone.
    pub fn command(&self) -> Option<&str> {
        match self {
            LockfileRefresh::Command(c) | LockfileRefresh::LeftByEdit(c) => Some(c),
            _ => None,
        }
    }

    /// One line for a plan preview: who refreshes the lockfile.
    pub fn describe(&self, ecosystem: Ecosystem) -> Option<String> {
        match self {
            LockfileRefresh::NotApplicable => None,
            LockfileRefresh::Agent => Some(format!(
                "the agent updates the lockfile itself with what the configured {ecosystem} registry gave"
            )),
            LockfileRefresh::Command(c) => Some(format!(
                "the agent leaves the lockfile as it is (no {ecosystem} registry gave what a correct edit needs): run `{c}` on the pull request's branch"
            )),
            LockfileRefresh::LeftByEdit(c) => Some(format!(
                "the agent leaves the lockfile as it is (the note below says what only the package manager can resolve): run `{c}` on the pull request's branch"
            )),
        }
    }
}

/// Whether the occurrence is recorded in a lockfile: a lockfile entry, or a `go.mod`
/// requirement (whose `go.sum` lines change with it).
pub(super) fn has_lockfile(dep: &Dependency) -> bool {
    let file = dep.location.file.rsplit('/').next().unwrap_or("");
    matches!(
        file,
        "package-lock.json"
            | "npm-shrinkwrap.json"
            | "yarn.lock"
            | "pnpm-lock.yaml"
            | "bun.lock"
            | "Cargo.lock"
            | "poetry.lock"
            | "Pipfile.lock"
            | "uv.lock"
            | "pdm.lock"
            | "go.mod"
            | "Gemfile.lock"
            | "gems.locked"
            | "composer.lock"
    ) || (file == "packages.lock.json" && dep.ecosystem == Ecosystem::NuGet)
        || crate::analysis::gradle::lockfile::is_lockfile(&dep.location.file)
}

/// Whether a file name is a Python lockfile (Poetry, Pipenv, uv or PDM).
pub(crate) fn is_python_lock(file: &str) -> bool {
    matches!(
        file,
        "poetry.lock" | "Pipfile.lock" | "uv.lock" | "pdm.lock"
    )
}

/// Whether the registry gives what a correct lockfile edit of `name` at `to` needs: the new
/// version's checksum (npm integrity, crate checksum, Poetry file hashes, `go.sum` hashes),
/// for Cargo.lock also the index entries the resolver reconciles dependencies with, and for
/// Poetry the new version's dependencies (`requires_dist`), for Go its `go.mod`. A Gradle
/// lockfile records no checksum: its entry moves alone when the POMs of `from` and `to` declare
/// the same dependencies (so no other line of the lockfile changes).
pub(super) async fn agent_can_write(
    registry: &dyn Registry,
    ecosystem: Ecosystem,
    name: &str,
    from: &str,
    to: &str,
) -> Result<bool, Error> {
    // Gemfile.lock and composer.lock entries move in place only when the new version's
    // dependencies are the recorded ones: `in_place_refusal` decides.
    if matches!(ecosystem, Ecosystem::RubyGems | Ecosystem::Packagist) {
        return Ok(false);
    }
    if ecosystem == Ecosystem::Maven {
        let (Some(old), Some(new)) = (
            registry.maven_pom(name, from).await?,
            registry.maven_pom(name, to).await?,
        ) else {
            return Ok(false);
        };
        return Ok(pom_dependencies(&old).is_some_and(|o| pom_dependencies(&new) == Some(o)));
    }
    if registry.digests(ecosystem, name, to).await?.is_empty() {
        return Ok(false);
    }
    if ecosystem == Ecosystem::CratesIo {
        return Ok(registry.index_entries(ecosystem, name).await?.is_some());
    }
    // Poetry entries also carry the new version's dependencies.
    if ecosystem == Ecosystem::PyPI {
        return Ok(registry.pypi_release(name, to).await?.is_some());
    }
    // go.mod requirements follow the new version's own go.mod.
    if ecosystem == Ecosystem::Go {
        let to = if to.starts_with('v') {
            to.to_string()
        } else {
            format!("v{to}")
        };
        return Ok(registry.go_mod(name, &to).await?.is_some());
    }
    // packages.lock.json entries list the new version's dependencies from its .nuspec.
    if ecosystem == Ecosystem::NuGet {
        return Ok(registry.nuget_nuspec(name, to).await?.is_some());
    }
    Ok(true)
}

/// What a POM brings into a build: its parent and every dependency (managed ones too) that is
/// neither test, provided, system nor optional, with versions as the POM resolves them from its
/// own properties; `None` when a version cannot be told from the POM alone.
fn pom_dependencies(text: &str) -> Option<std::collections::BTreeSet<String>> {
    let root = crate::xml::parse(text).ok()?;
    let mut props: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    if let Some(p) = root.child("properties") {
        for el in &p.children {
            props.insert(el.name.clone(), el.text.clone());
        }
    }
    let version = root
        .child_text("version")
        .or_else(|| root.path(&["parent", "version"]).map(|e| e.text.as_str()));
    if let Some(v) = version {
        props.insert("project.version".into(), v.to_string());
    }
    let resolve = |s: &str| -> Option<String> {
        let mut s = s.to_string();
        for _ in 0..8 {
            let Some(at) = s.find("${") else {
                return Some(s);
            };
            let end = at + s[at..].find('}')?;
            let value = props.get(&s[at + 2..end])?.clone();
            s.replace_range(at..=end, &value);
        }
        None
    };
    let mut out = std::collections::BTreeSet::new();
    if let Some(parent) = root.child("parent") {
        let coordinate =
            ["groupId", "artifactId", "version"].map(|k| parent.child_text(k).unwrap_or(""));
        out.insert(format!("parent {}", coordinate.join(":")));
    }
    let lists = [
        ("", root.child("dependencies")),
        (
            "managed ",
            root.path(&["dependencyManagement", "dependencies"]),
        ),
    ];
    for (kind, list) in lists {
        for dep in list.iter().flat_map(|l| l.children_named("dependency")) {
            let scope = dep.child_text("scope").unwrap_or("compile");
            if matches!(scope, "test" | "provided" | "system")
                || dep.child_text("optional") == Some("true")
            {
                continue;
            }
            let group = resolve(dep.child_text("groupId")?)?;
            let artifact = resolve(dep.child_text("artifactId")?)?;
            let version = resolve(dep.child_text("version")?)?;
            out.insert(format!("{kind}{group}:{artifact}:{version} {scope}"));
        }
    }
    Some(out)
}

/// The command that refreshes the lockfile after the fix (see [`LockfileRefresh::Command`]);
/// Maven's is Gradle's, the only lockfile that records Maven modules. NuGet's `--force-evaluate` re-resolves every entry of
/// `packages.lock.json` against the changed project files.
fn command(
    ecosystem: Ecosystem,
    path: &str,
    name: &str,
    to: &str,
    manifest_changes: bool,
) -> Option<String> {
    let file = crate::analysis::file_name(path);
    Some(match ecosystem {
        Ecosystem::Npm if file == "yarn.lock" => "yarn install".into(),
        Ecosystem::Npm if file == "bun.lock" && manifest_changes => "bun install".into(),
        Ecosystem::Npm if file == "bun.lock" => format!("bun update {name}"),
        Ecosystem::Npm => "npm install --package-lock-only".into(),
        Ecosystem::CratesIo => format!("cargo update -p {name} --precise {to}"),
        Ecosystem::PyPI if file == "Pipfile.lock" => "pipenv lock".into(),
        Ecosystem::PyPI if file == "uv.lock" && manifest_changes => "uv lock".into(),
        Ecosystem::PyPI if file == "uv.lock" => format!("uv lock --upgrade-package {name}=={to}"),
        Ecosystem::PyPI if file == "pdm.lock" && manifest_changes => {
            "pdm lock --update-reuse".into()
        }
        Ecosystem::PyPI if file == "pdm.lock" => format!("pdm update --no-sync {name}"),
        Ecosystem::PyPI if manifest_changes => "poetry lock --no-update".into(),
        Ecosystem::PyPI => format!("poetry update --lock {name}"),
        Ecosystem::Go => "go mod tidy".into(),
        Ecosystem::RubyGems => format!("bundle update --conservative {name}"),
        Ecosystem::Packagist => format!("composer update {name}"),
        // Only a Gradle lockfile records Maven modules.
        Ecosystem::Maven => gradle_write_locks(path),
        Ecosystem::NuGet => "dotnet restore --force-evaluate".into(),
    })
}

/// The Gradle task that rewrites the lockfile at `path`: `dependencies` of the project the lockfile
/// belongs to (a subproject's directory is its path, `app/lib` is `:app:lib`), `buildEnvironment`
/// for the build script classpath's `buildscript-gradle.lockfile`.
pub(super) fn gradle_write_locks(path: &str) -> String {
    let dir = crate::analysis::gradle::lockfile::project_dir(path);
    let project = if dir.is_empty() {
        String::new()
    } else {
        format!(":{}:", dir.replace('/', ":"))
    };
    let task = if crate::analysis::file_name(path).starts_with("buildscript-") {
        "buildEnvironment"
    } else {
        "dependencies"
    };
    format!("./gradlew {project}{task} --write-locks")
}

/// Who refreshes the lockfile of a fix whose occurrences are `deps`.
pub(super) fn refresh(
    ecosystem: Ecosystem,
    name: &str,
    to: &str,
    tier: Tier,
    deps: &[&Dependency],
    writable: bool,
) -> LockfileRefresh {
    if !deps.iter().any(|d| has_lockfile(d)) {
        return LockfileRefresh::NotApplicable;
    }
    // pip cannot force a version over a parent's requirement: the parent moves first, and the
    // package manager then rewrites the lockfile. The Cargo.lock and poetry.lock updates move
    // the parent themselves when the registry gives its releases (or report the conflict).
    let blocked = tier == Tier::Override
        && ecosystem == Ecosystem::PyPI
        && !deps
            .iter()
            .all(|d| d.location.file.ends_with("poetry.lock"));
    // A NuGet package pinned over its dependents becomes a new top-level entry, which restore
    // places and re-evaluates itself.
    let pinned = tier == Tier::Override && ecosystem == Ecosystem::NuGet;
    if writable && !blocked && !pinned {
        return LockfileRefresh::Agent;
    }
    if deps.iter().all(|d| super::pnpm::is_pnpm(d)) {
        return LockfileRefresh::Command("pnpm install --lockfile-only".into());
    }
    let manifest_changes = tier != Tier::LockfileUpdate && deps.iter().any(|d| d.direct);
    let path = deps
        .iter()
        .find(|d| has_lockfile(d))
        .map_or("", |d| d.location.file.as_str());
    command(ecosystem, path, name, to, manifest_changes)
        .map_or(LockfileRefresh::NotApplicable, LockfileRefresh::Command)
}

/// RubyGems and Packagist: why the lockfile entries of `name` cannot move from their version to
/// `to` in place, or `None` when they can: the registry gives `to`'s runtime dependencies (a
/// gem's for every platform variant the lockfile holds, with its SHA-256; a Composer package's
/// links, `autoload`, `dist` and `source`) and they are exactly those the lockfile records for
/// the current version, so no other entry has to move (`content-hash`, of `composer.json` alone,
/// stays, or follows a `composer.json` constraint that moves). The requirements on the package are
/// the tier's business
/// ([`Tier::LockfileUpdate`] means every one of them accepts `to`).
pub(super) async fn in_place_refusal(
    registry: &dyn Registry,
    locked: &std::collections::BTreeMap<
        crate::analysis::Location,
        crate::analysis::LockedDependencies,
    >,
    occurrences: &[&Dependency],
    ecosystem: Ecosystem,
    name: &str,
    to: &str,
) -> Result<Option<String>, Error> {
    use std::collections::BTreeSet;
    let what = crate::registry::registry_name(ecosystem);
    let available: crate::analysis::LockedDependencies = match ecosystem {
        Ecosystem::RubyGems => {
            let Some(builds) = registry.gem_release(name, to).await? else {
                return Ok(Some(format!(
                    "no {what} registry gave the runtime dependencies of {name} {to} (add an entry for {ecosystem} to the agent's registries setting)"
                )));
            };
            if let Some(b) = builds.iter().find(|b| b.sha256.is_none()) {
                return Ok(Some(format!(
                    "the {what} registry gave no SHA-256 for {name} {to} ({})",
                    b.platform
                )));
            }
            builds
                .iter()
                .map(|b| {
                    let deps = b
                        .dependencies
                        .iter()
                        .map(|(n, r)| crate::analysis::ruby::canonical_dependency(n, Some(r)))
                        .collect();
                    (b.platform.clone(), deps)
                })
                .collect()
        }
        Ecosystem::Packagist => {
            let Some(release) = registry.composer_release(name, to).await? else {
                return Ok(Some(format!(
                    "no {what} registry gave the metadata of {name} {to} (add an entry for {ecosystem} to the agent's registries setting)"
                )));
            };
            [(
                String::new(),
                crate::analysis::composer::fingerprint(&release),
            )]
            .into()
        }
        _ => {
            return Ok(Some(format!(
                "{ecosystem} lockfiles are not bumped this way"
            )))
        }
    };
    // A locked package that requires a version `to` is outside would have to move as well (a
    // requirement this reading cannot parse is left to the tier's own check).
    let target = crate::version::Version::parse(ecosystem, to).ok();
    for dep in occurrences.iter().filter(|d| has_lockfile(d)) {
        let excluding = dep.constraints.iter().enumerate().find(|(_, c)| {
            let requirement = crate::version::Requirement::parse(ecosystem, c);
            matches!((&requirement, &target), (Ok(r), Some(t)) if !r.matches(t))
        });
        if let Some((i, c)) = excluding {
            return Ok(Some(format!(
                "{} requires {name} `{c}`, which excludes {to}, so that entry would have to move as well",
                dep.parents.get(i).map_or("another locked package", String::as_str)
            )));
        }
    }
    for dep in occurrences.iter().filter(|d| has_lockfile(d)) {
        let file = dep.location.file.rsplit('/').next().unwrap_or("");
        let Some(recorded) = locked.get(&dep.location) else {
            return Ok(Some(format!(
                "{} records no dependencies for {name}",
                dep.location.file
            )));
        };
        for (platform, deps) in recorded {
            let Some(new) = available.get(platform) else {
                return Ok(Some(format!(
                    "{name} {to} has no {platform} build, which {file} locks"
                )));
            };
            if new != deps {
                // The archive's host first: a package of another repository is not a matter of
                // dependencies.
                let host = |set: &BTreeSet<String>| {
                    set.iter()
                        .find_map(|l| l.strip_prefix(crate::analysis::composer::DIST_HOST))
                        .map(str::to_owned)
                };
                if let (Some(locked_from), Some(offered)) = (host(deps), host(new)) {
                    if locked_from != offered {
                        return Ok(Some(format!(
                            "{name} {} was locked from {locked_from}, not from the configured {what} repository ({offered}), and the agent never rewrites a package with another repository's files",
                            dep.version.as_deref().unwrap_or("(the locked version)")
                        )));
                    }
                }
                let shown = |set: &BTreeSet<String>, other: &BTreeSet<String>| {
                    let lines: Vec<&str> = set.difference(other).map(String::as_str).collect();
                    if lines.is_empty() {
                        "nothing".to_string()
                    } else {
                        format!("`{}`", lines.join("`, `"))
                    }
                };
                return Ok(Some(format!(
                    "{name} {to}'s dependencies differ from those {file} records for {}: it adds {} and drops {}, so other entries would have to move",
                    dep.version.as_deref().unwrap_or("the locked version"),
                    shown(new, deps),
                    shown(deps, new)
                )));
            }
        }
    }
    Ok(None)
}
