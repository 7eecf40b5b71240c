//! Maven edits: the `<version>` element or property that applies (the element when the property
//! also sets modules that do not publish the fix), or a `dependencyManagement` pin when the
//! version comes from outside the repository or the module is one the dependency tree brings.

use super::{edit_error, splice, Work};
use crate::analysis::maven::{read_pom, version_site, Pom, PomDependency, Site};
use crate::analysis::Dependency;
use crate::plan::PackageFix;
use crate::Error;

pub(super) fn edit(work: &mut Work, fix: &PackageFix, dep: &Dependency) -> Result<(), Error> {
    if !dep.direct {
        // A module the dependency tree brings: the POM's management sets it for the whole tree,
        // where the repository already writes an entry for it, else in a new one.
        let pom = read_pom(&work.snapshot, &dep.location.file, 0)?;
        let managed = pom.management.get(&dep.name).and_then(|m| {
            version_site(
                &pom.properties,
                m.version.as_deref()?,
                m.version_element.as_ref(),
            )
            .1
        });
        return match managed {
            Some(site) => replace(work, &site, &fix.to),
            None => pin(work, &pom, &dep.name, &fix.to),
        };
    }
    let declared = dep
        .declared_in
        .clone()
        .unwrap_or_else(|| dep.location.clone());
    let pom = read_pom(&work.snapshot, &declared.file, 0)?;
    let Some(d) = pom
        .dependencies
        .iter()
        .find(|d| d.name == dep.name && d.line == declared.line)
    else {
        return Err(edit_error(
            &declared.file,
            format!("no `{}` dependency on line {}", dep.name, declared.line),
        ));
    };
    if d.from_parent {
        // Inherited from a parent outside the repository: declared again here, which Maven
        // takes over the parent's declaration.
        return redeclare(work, &pom, d, &fix.to);
    }
    // A property shared with modules that do not publish the fix stays; the dependency's own
    // `<version>` element (or its dependencyManagement entry's) gets the version instead.
    let own = d
        .version_element
        .as_ref()
        .filter(|_| fix.own_version && d.version_element != d.version_site);
    if let Some(range) = (dep.requirement.as_deref()).filter(|r| r.starts_with(['[', '('])) {
        work.out.note(format!(
            "{}: the range `{range}` of {} becomes {}: Maven takes the highest published version inside the range, {}, which is affected",
            declared.file,
            dep.name,
            fix.to,
            dep.version.as_deref().unwrap_or("?")
        ));
    }
    match own.or(d.version_site.as_ref()) {
        Some(site) => replace(work, site, &fix.to),
        // The version comes from outside the repository (a parent POM or BOM from the
        // registry): pin it with dependencyManagement.
        None => pin(work, &pom, &dep.name, &fix.to),
    }
}

/// Declares `d` in `pom`'s own `<dependencies>` at `to` (with its scope when not `compile`),
/// creating the block before `</project>` when there is none.
fn redeclare(work: &mut Work, pom: &Pom, d: &PomDependency, to: &str) -> Result<(), Error> {
    let text = work.text(&pom.path)?;
    let (group, artifact) = d.name.split_once(':').unwrap_or((&d.name, ""));
    let scope = d
        .scope
        .as_deref()
        .filter(|s| *s != "compile")
        .map(|s| format!("      <scope>{s}</scope>\n"))
        .unwrap_or_default();
    let entry = format!(
        "    <dependency>\n      <groupId>{group}</groupId>\n      <artifactId>{artifact}</artifactId>\n      <version>{to}</version>\n{scope}    </dependency>\n"
    );
    let edited = match pom.dependencies_end {
        Some(at) => splice(
            &text,
            vec![(line_start(&text, at), line_start(&text, at), entry)],
        ),
        None => {
            let at = line_start(&text, pom.content_end);
            splice(
                &text,
                vec![(
                    at,
                    at,
                    format!("  <dependencies>\n{entry}  </dependencies>\n"),
                )],
            )
        }
    };
    work.write(&pom.path, edited);
    Ok(())
}

/// The start of the line `at` is on: an element inserted there stands on lines of its own.
fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(at, |i| i + 1)
}

/// Writes `to` where `site` is.
fn replace(work: &mut Work, site: &Site, to: &str) -> Result<(), Error> {
    let text = work.text(&site.file)?;
    let edited = splice(&text, vec![(site.span.0, site.span.1, to.to_owned())]);
    work.write(&site.file, edited);
    Ok(())
}

/// Adds a `dependencyManagement` entry setting `name` to `to` in `pom` (creating the block
/// before `<dependencies>` when there is none), which Maven applies over inherited and imported
/// management and to every module of the tree.
fn pin(work: &mut Work, pom: &Pom, name: &str, to: &str) -> Result<(), Error> {
    let text = work.text(&pom.path)?;
    let (group, artifact) = name.split_once(':').unwrap_or((name, ""));
    let entry = format!(
        "      <dependency>\n        <groupId>{group}</groupId>\n        <artifactId>{artifact}</artifactId>\n        <version>{to}</version>\n      </dependency>\n"
    );
    let (at, inserted) = match pom.management_deps_end {
        Some(at) => (at, entry),
        None => (
            pom.insert_management_at,
            format!(
                "  <dependencyManagement>\n    <dependencies>\n{entry}    </dependencies>\n  </dependencyManagement>\n"
            ),
        ),
    };
    let at = line_start(&text, at);
    let edited = splice(&text, vec![(at, at, inserted)]);
    work.write(&pom.path, edited);
    Ok(())
}

#[cfg(test)]
mod tests;
