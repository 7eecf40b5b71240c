//! Maven edits: the `<version>` element or property that applies (the element when the property
//! also sets modules that do not publish the fix), or a `dependencyManagement` pin when the
//! version comes from outside the repository.

use super::{edit_error, splice, Work};
use crate::analysis::maven::read_pom;
use crate::analysis::Dependency;
use crate::plan::PackageFix;
use crate::Error;

pub(super) fn edit(work: &mut Work, fix: &PackageFix, dep: &Dependency) -> Result<(), Error> {
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
    // A property shared with modules that do not publish the fix stays; the dependency's own
    // `<version>` element (or its dependencyManagement entry's) gets the version instead.
    let own = d
        .version_element
        .as_ref()
        .filter(|_| fix.own_version && d.version_element != d.version_site);
    match own.or(d.version_site.as_ref()) {
        Some(site) => {
            let text = work.text(&site.file)?;
            let edited = splice(&text, vec![(site.span.0, site.span.1, fix.to.clone())]);
            work.write(&site.file, edited);
        }
        None => {
            // The version comes from outside the repository (an imported BOM or a parent POM
            // that is not here): pin it with dependencyManagement.
            let text = work.text(&pom.path)?;
            let (group, artifact) = dep.name.split_once(':').unwrap_or((&dep.name, ""));
            let entry = format!(
                "      <dependency>\n        <groupId>{group}</groupId>\n        <artifactId>{artifact}</artifactId>\n        <version>{}</version>\n      </dependency>\n",
                fix.to
            );
            let edited = match pom.management_deps_end {
                Some(at) => {
                    let line_start = text[..at].rfind('\n').map_or(at, |i| i + 1);
                    splice(&text, vec![(line_start, line_start, entry)])
                }
                None => {
                    let at = pom.insert_management_at;
                    let line_start = text[..at].rfind('\n').map_or(at, |i| i + 1);
                    let block = format!(
                        "  <dependencyManagement>\n    <dependencies>\n{entry}    </dependencies>\n  </dependencyManagement>\n"
                    );
                    splice(&text, vec![(line_start, line_start, block)])
                }
            };
            work.write(&pom.path, edited);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
