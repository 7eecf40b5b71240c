//! NuGet edits: the version in the file that declares it (`Directory.Packages.props` under
//! central package management, the project file otherwise, `packages.config`), a transitive
//! package pinned with a `PackageReference` (or a `PackageVersion` under central management),
//! and `packages.lock.json` entries rewritten in place from the registry's `.nupkg` hash and
//! `.nuspec`, or left to `dotnet restore --force-evaluate`.

mod framework;
mod lock;

use super::{edit_error, splice, Work};
use crate::analysis::nuget::{self, projects_of_lock, read_project, read_props, Site};
use crate::analysis::{file_name, Dependency, Location};
use crate::files::LineIndex;
use crate::plan::{LockfileRefresh, PackageFix, Tier};
use crate::registry::{Digest, Registry};
use crate::version::nuget::VersionRange;
use crate::{Ecosystem, Error};

pub(super) async fn edit(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    digests: &[Digest],
    registry: &dyn Registry,
) -> Result<(), Error> {
    let file = dep.location.file.clone();
    if file_name(&file).eq_ignore_ascii_case("packages.config") {
        return packages_config(work, fix, dep);
    }
    if file_name(&file) != nuget::LOCKFILE {
        let declared = dep
            .declared_in
            .clone()
            .unwrap_or_else(|| dep.location.clone());
        return declaration(work, fix, &dep.name, &declared).map(|_| ());
    }
    let requested = if dep.direct {
        let Some(declared) = dep.declared_in.clone() else {
            return Err(edit_error(
                &file,
                format!(
                    "no project file next to it declares {}: add the reference, then run `dotnet restore --force-evaluate`",
                    dep.name
                ),
            ));
        };
        Some(declaration(work, fix, &dep.name, &declared)?)
    } else {
        pin(work, fix, dep)?;
        None
    };
    let refreshed = match (&fix.lockfile, requested, digests.first()) {
        (LockfileRefresh::Agent, Some(requested), Some(hash)) => {
            let nuspec = registry.nuget_nuspec(&dep.name, &fix.to).await?;
            match nuspec {
                Some(nuspec) => {
                    lock::update_entry(work, dep, &fix.to, &requested, &hash.value, &nuspec)?
                }
                None => Err(format!(
                    "no registry gave the .nuspec of {} {}",
                    dep.name, fix.to
                )),
            }
        }
        (_, None, _) => Err(format!(
            "{} becomes a top-level entry, which restore places itself",
            dep.name
        )),
        _ => Err(format!(
            "no NuGet registry gave the content hash of {} {}",
            dep.name, fix.to
        )),
    };
    if let Err(why) = refreshed {
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{file} was left as it is ({why}): run `dotnet restore --force-evaluate` on the pull request's branch to refresh it"
        ));
    }
    Ok(())
}

/// The new text of a declared version or range once it must admit `to`: a bare version becomes
/// `to`, an exact `[x]` becomes `[to]`, a bracketed range gets `to` as its inclusive minimum
/// (keeping an upper bound that still admits it), a float that misses `to` becomes `to`.
pub(super) fn bumped(old: &str, to: &str) -> String {
    let old = old.trim();
    let Ok(range) = VersionRange::parse(old) else {
        return to.to_string();
    };
    let Ok(target) = crate::version::nuget::Version::parse(to) else {
        return to.to_string();
    };
    if range.is_floating() {
        return if range.contains(&target) {
            old.to_string()
        } else {
            to.to_string()
        };
    }
    if !old.starts_with(['[', '(']) {
        return to.to_string();
    }
    let inner = &old[1..old.len() - 1];
    match inner.split_once(',') {
        None => format!("[{to}]"),
        Some((_, upper)) => {
            let close = &old[old.len() - 1..];
            let keep = VersionRange::parse(&format!("[{to},{upper}{close}"))
                .is_ok_and(|r| r.contains(&target));
            if keep {
                format!("[{to},{upper}{close}")
            } else {
                format!("[{to},)")
            }
        }
    }
}

/// [`bumped`], but a float becomes the target even when it admits it.
fn bumped_pinned(old: &str, to: &str) -> String {
    if VersionRange::parse(old).is_ok_and(|r| r.is_floating()) {
        to.to_string()
    } else {
        bumped(old, to)
    }
}

/// Moves the version that applies to the reference declared at `declared` (a project file's
/// `PackageReference`, or a `PackageVersion` of `Directory.Packages.props`) to admit `fix.to`;
/// returns the new range.
fn declaration(
    work: &mut Work,
    fix: &PackageFix,
    name: &str,
    declared: &Location,
) -> Result<String, Error> {
    let key = Ecosystem::NuGet.normalize_name(name);
    let (value, site) = if file_name(&declared.file) == nuget::PROPS {
        let props = read_props(&work.snapshot, &declared.file)?;
        let Some((_, value, site)) = props.versions.get(&key).cloned() else {
            return Err(edit_error(
                &declared.file,
                format!("no `PackageVersion` of {name}"),
            ));
        };
        (value, site)
    } else {
        let project = read_project(&work.snapshot, &declared.file)?;
        let found = project
            .references
            .iter()
            .find(|r| Ecosystem::NuGet.normalize_name(&r.name) == key && r.line == declared.line);
        match found.and_then(|r| Some((r.version.clone()?, r.site.clone()?))) {
            Some(found) => found,
            None => {
                return Err(edit_error(
                    &declared.file,
                    format!(
                        "no version of {name} is declared for line {}; add `Version=\"{}\"` to its `PackageReference`",
                        declared.line, fix.to
                    ),
                ))
            }
        }
    };
    // A float that admits the target stays when only the lockfile moves; when the declaration
    // has to carry the fix (no registry gave the lockfile entry), the target is written.
    let new = if fix.tier == Tier::LockfileUpdate {
        bumped(&value, &fix.to)
    } else {
        bumped_pinned(&value, &fix.to)
    };
    write_site(work, &site, &new)?;
    Ok(new)
}

fn write_site(work: &mut Work, site: &Site, value: &str) -> Result<(), Error> {
    let text = work.text(&site.file)?;
    let escaped = value.replace('&', "&amp;").replace('"', "&quot;");
    let edited = splice(&text, vec![(site.span.0, site.span.1, escaped)]);
    work.write(&site.file, edited);
    Ok(())
}

/// Inserts `line` (without indentation) at `at`, in a new `ItemGroup` when `in_group` is false.
fn insert_item(
    work: &mut Work,
    file: &str,
    at: usize,
    indent: &str,
    in_group: bool,
    line: &str,
) -> Result<(), Error> {
    let text = work.text(file)?;
    let block = if in_group {
        format!("{indent}{line}\n")
    } else {
        format!("{indent}<ItemGroup>\n{indent}  {line}\n{indent}</ItemGroup>\n")
    };
    let edited = splice(&text, vec![(at, at, block)]);
    work.write(file, edited);
    Ok(())
}

/// Pins a transitive package at `fix.to` in the project next to its lockfile: a new
/// `PackageReference`, or under central management a `PackageVersion` (which
/// `CentralPackageTransitivePinningEnabled` applies to transitive packages; without it the
/// project also gets a `PackageReference` without a version).
fn pin(work: &mut Work, fix: &PackageFix, dep: &Dependency) -> Result<(), Error> {
    let lock = &dep.location.file;
    let Some(project_path) = projects_of_lock(&work.snapshot, lock).into_iter().next() else {
        return Err(edit_error(
            lock,
            format!("no project file next to it to pin {} in", dep.name),
        ));
    };
    let key = Ecosystem::NuGet.normalize_name(&dep.name);
    let project = read_project(&work.snapshot, &project_path)?;
    let referenced = project
        .references
        .iter()
        .find(|r| Ecosystem::NuGet.normalize_name(&r.name) == key)
        .cloned();
    let name = &dep.name;
    let to = &fix.to;
    let Some(props) = project.props.clone() else {
        match referenced.and_then(|r| r.site) {
            Some(site) => write_site(work, &site, to)?,
            None => {
                let line = format!("<PackageReference Include=\"{name}\" Version=\"{to}\" />");
                insert_item(
                    work,
                    &project.path,
                    project.insert_at,
                    &project.indent,
                    project.in_group,
                    &line,
                )?;
            }
        }
        work.out.note(format!(
            "{name} is pinned at {to} with a new `PackageReference` in {project_path}, because only other packages depended on it"
        ));
        return Ok(());
    };
    match props.versions.get(&key) {
        Some((_, _, site)) => write_site(work, site, to)?,
        None => {
            let line = format!("<PackageVersion Include=\"{name}\" Version=\"{to}\" />");
            insert_item(
                work,
                &props.path,
                props.insert_at,
                &props.indent,
                props.in_group,
                &line,
            )?;
        }
    }
    if props.transitive_pinning {
        work.out.note(format!(
            "{name} is pinned at {to} with a `PackageVersion` in {}, which `CentralPackageTransitivePinningEnabled` applies to transitive packages",
            props.path
        ));
    } else {
        if referenced.is_none() {
            let project = read_project(&work.snapshot, &project_path)?;
            let line = format!("<PackageReference Include=\"{name}\" />");
            insert_item(
                work,
                &project.path,
                project.insert_at,
                &project.indent,
                project.in_group,
                &line,
            )?;
        }
        work.out.note(format!(
            "{name} is pinned at {to} with a `PackageVersion` in {} and a `PackageReference` in {project_path}, because central package management applies versions only to referenced packages here (`CentralPackageTransitivePinningEnabled` is off)",
            props.path
        ));
    }
    Ok(())
}

fn packages_config(work: &mut Work, fix: &PackageFix, dep: &Dependency) -> Result<(), Error> {
    let path = &dep.location.file;
    let text = work.text(path)?;
    let root = crate::xml::parse(&text).map_err(|(_, e)| edit_error(path, e))?;
    let lines = LineIndex::new(&text);
    let key = Ecosystem::NuGet.normalize_name(&dep.name);
    let found = root.children_named("package").find_map(|el| {
        let id = el.attribute("id")?;
        let version = el.attribute("version")?;
        (Ecosystem::NuGet.normalize_name(&id.value) == key
            && lines.line(version.span.0) == dep.location.line)
            .then_some(version.span)
    });
    let Some(span) = found else {
        return Err(edit_error(
            path,
            format!(
                "no `<package id=\"{}\">` on line {}",
                dep.name, dep.location.line
            ),
        ));
    };
    let edited = splice(&text, vec![(span.0, span.1, fix.to.clone())]);
    work.write(path, edited);
    Ok(())
}

#[cfg(test)]
mod tests;
