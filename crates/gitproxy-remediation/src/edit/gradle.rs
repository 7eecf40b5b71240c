//! Gradle edits: the version text that applies (a catalog `[versions]` entry or inline version,
//! a literal coordinate or a variable of the same build script); a `constraints { }` entry with
//! `because(...)` in the project's build script for a module the build does not declare (or
//! declares without a version of its own); and the lockfile line, when the plan lets the agent
//! refresh the lockfile. A fix outside a rich version's `strictly` range is not written: the
//! range is the author's to move. A version shared with modules that do not publish the fix is
//! left as it is and the module gets a constraint of its own.

use super::{edit_error, splice, Work};
use crate::analysis::gradle::{self, is_exact, lockfile, script};
use crate::analysis::Dependency;
use crate::plan::{LockfileRefresh, PackageFix};
use crate::version::maven::{Version, VersionRange};
use crate::Error;

/// Whether `dep` comes from a Gradle file (rather than a `pom.xml`).
pub(super) fn handles(dep: &Dependency) -> bool {
    gradle::is_gradle_path(&dep.location.file)
        || dep
            .declared_in
            .as_ref()
            .is_some_and(|d| gradle::is_gradle_path(&d.file))
}

pub(super) fn edit(work: &mut Work, fix: &PackageFix, dep: &Dependency) -> Result<(), Error> {
    let build = gradle::read(&work.snapshot);
    let locked = lockfile::is_lockfile(&dep.location.file);
    let declared = dep.declared_in.as_ref().and_then(|at| {
        build
            .declared
            .iter()
            .find(|d| d.name == dep.name && d.location == *at)
    });
    if let Some((d, range)) = declared.and_then(|d| d.strictly.as_deref().map(|r| (d, r))) {
        if !strictly_allows(range, &fix.to) {
            let at = d.site.as_ref().map_or_else(
                || format!("{}:{}", d.location.file, d.location.line),
                |s| format!("{}:{}", s.file, s.line),
            );
            // Neither the `prefer`/`require` version nor a constraint may leave the range: Gradle
            // would fail to resolve the module. The range is the author's to move.
            return Err(Error::Unresolvable {
                ecosystem: fix.ecosystem,
                package: fix.name.clone(),
                from: fix.from.clone(),
                to: fix.to.clone(),
                reason: format!(
                    "the rich version at {at} has `strictly` `{range}`, which does not allow {to}; change that range by hand to one that allows {to} (or to `strictly` `{to}`) and its `prefer`/`require` version with it",
                    to = fix.to
                ),
            });
        }
    }
    let site = declared
        .filter(|d| !d.unread && d.version.as_deref().is_some_and(is_exact))
        .and_then(|d| d.site.clone());
    match site {
        Some(site) => {
            // A catalog `[versions]` entry or a variable may set other modules' versions too.
            let others: std::collections::BTreeSet<&str> = build
                .declared
                .iter()
                .filter(|d| d.name != dep.name && d.site.as_ref() == Some(&site))
                .map(|d| d.name.as_str())
                .collect();
            if fix.own_version && !others.is_empty() {
                // The shared version stays: the plan found modules it sets that do not publish
                // the fix. A constraint of the declaring script raises this module alone
                // (Gradle takes the highest of a declaration and a constraint).
                let at = declared.map_or(&dep.location, |d| &d.location).clone();
                if !gradle::is_build_script(&at.file) {
                    return own_catalog_version(work, fix, &dep.name, &at);
                }
                let configuration = if dep.scope == crate::analysis::Scope::Dev {
                    "testImplementation"
                } else {
                    "implementation"
                };
                let script = at.file.clone();
                add_constraint(work, &script, configuration, fix, &dep.name)?;
                return Ok(());
            }
            if !others.is_empty() {
                let others: Vec<&str> = others.into_iter().collect();
                work.out.note(format!(
                    "{}:{} also sets the version of {}, which moves to {} with it",
                    site.file,
                    site.line,
                    others.join(", "),
                    fix.to
                ));
            }
            let text = work.text(&site.file)?;
            let edited = splice(&text, vec![(site.span.0, site.span.1, fix.to.clone())]);
            work.write(&site.file, edited);
        }
        None if locked => {
            let configurations = locked_configurations(work, dep)?;
            let script = gradle::script_for_lockfile(&work.snapshot, &dep.location.file)
                .ok_or_else(|| {
                    edit_error(
                        &dep.location.file,
                        "no build.gradle or build.gradle.kts next to the lockfile to add a dependency constraint to",
                    )
                })?;
            let configuration = constraint_configuration(&configurations)
                .ok_or_else(|| {
                    edit_error(
                        &dep.location.file,
                        format!("{} is only on the build script classpath; raise it in the `buildscript` block", dep.name),
                    )
                })?;
            add_constraint(work, &script, &configuration, fix, &dep.name)?;
        }
        None => {
            let at = dep.declared_in.as_ref().unwrap_or(&dep.location);
            if !gradle::is_build_script(&at.file) {
                return Err(edit_error(
                    &at.file,
                    format!(
                        "the version of {} on line {} is not written where it can be changed",
                        dep.name, at.line
                    ),
                ));
            }
            let configuration = if dep.scope == crate::analysis::Scope::Dev {
                "testImplementation"
            } else {
                "implementation"
            };
            add_constraint(work, &at.file.clone(), configuration, fix, &dep.name)?;
        }
    }
    if let (true, LockfileRefresh::Command(command)) = (locked, &fix.lockfile) {
        // The plan leaves the lockfile to Gradle: it is not touched.
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{} was not updated because no Maven registry gave the POMs that show whether {} {} brings other modules: run `{command}` and commit the lockfile, or the build fails its lock check",
            dep.location.file, fix.name, fix.to
        ));
    }
    if locked && fix.lockfile == LockfileRefresh::Agent {
        let path = &dep.location.file;
        let text = work.text(path)?;
        let entries = lockfile::read(path, &text)?;
        let entry = entries
            .iter()
            .find(|e| e.name == dep.name && e.line == dep.location.line)
            .ok_or_else(|| {
                edit_error(
                    path,
                    format!("no `{}` entry on line {}", dep.name, dep.location.line),
                )
            })?;
        let edited = splice(
            &text,
            vec![(entry.version_span.0, entry.version_span.1, fix.to.clone())],
        );
        work.write(path, edited);
    }
    Ok(())
}

/// Gives a catalog library a version of its own in its entry: `version.ref = "jackson"` becomes
/// `version = "2.13.2.1"` on the same line, so that the other libraries keep the shared one.
fn own_catalog_version(
    work: &mut Work,
    fix: &PackageFix,
    name: &str,
    at: &crate::analysis::Location,
) -> Result<(), Error> {
    let text = work.text(&at.file)?;
    let reference = gradle::catalog::read(&at.file, &text)?
        .into_iter()
        .find(|e| e.name == name && e.line == at.line)
        .and_then(|e| e.reference);
    // The key before the quoted reference: `version.ref =`, with any spacing.
    let key_start = reference.as_ref().and_then(|r| {
        let quote = r.span.0.checked_sub(1)?;
        let line_start = text[..quote].rfind('\n').map_or(0, |i| i + 1);
        let start = line_start + text[line_start..quote].rfind("version")?;
        let key: String = text[start..quote]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        (key == "version.ref=").then_some(start)
    });
    let (Some(reference), Some(key_start)) = (reference, key_start) else {
        return Err(edit_error(
            &at.file,
            format!(
                "`{name}` on line {} takes a version shared with libraries that do not publish {}; give it `version = \"{}\"` of its own",
                at.line, fix.to, fix.to
            ),
        ));
    };
    let edited = splice(
        &text,
        vec![(
            key_start,
            reference.span.1 + 1,
            format!("version = \"{}\"", fix.to),
        )],
    );
    work.write(&at.file, edited);
    Ok(())
}

/// Whether the `strictly` range of a rich version (Gradle's notation: `[1.7, 1.8[`, `]1.0, 2.0]`,
/// `1.+`) allows `to`. A range the scan cannot read allows nothing: writing into it could break
/// the build.
fn strictly_allows(range: &str, to: &str) -> bool {
    let range = range.trim();
    if let Some(prefix) = range.strip_suffix('+') {
        return is_exact(prefix) && to.starts_with(prefix);
    }
    if !range.starts_with(['[', '(', ']']) {
        return false;
    }
    // Gradle also writes an exclusive bound with the bracket turned outward.
    let mut maven = range.to_string();
    if maven.starts_with(']') {
        maven.replace_range(..1, "(");
    }
    if maven.ends_with('[') {
        let end = maven.len() - 1;
        maven.replace_range(end.., ")");
    }
    VersionRange::parse(&maven).is_ok_and(|r| r.soft().is_none() && r.contains(&Version::parse(to)))
}

/// The configurations of the lockfile entry of `dep`.
fn locked_configurations(work: &Work, dep: &Dependency) -> Result<Vec<String>, Error> {
    let path = &dep.location.file;
    let entries = lockfile::read(path, &work.text(path)?)?;
    Ok(entries
        .into_iter()
        .find(|e| e.name == dep.name && e.line == dep.location.line)
        .map(|e| e.configurations)
        .unwrap_or_default())
}

/// The declarable configuration whose constraint reaches the resolvable `configurations`:
/// `implementation` for the main classpaths (test classpaths extend them), `testImplementation`
/// when only tests resolve it, `<x>Implementation` for a source set's classpaths, annotation
/// processor paths themselves. `None` for the build script classpath.
pub(crate) fn constraint_configuration(configurations: &[String]) -> Option<String> {
    let has = |c: &str| configurations.iter().any(|x| x == c);
    if has("compileClasspath") || has("runtimeClasspath") {
        return Some("implementation".into());
    }
    if has("testCompileClasspath") || has("testRuntimeClasspath") {
        return Some("testImplementation".into());
    }
    for c in configurations {
        for suffix in ["CompileClasspath", "RuntimeClasspath"] {
            if let Some(set) = c.strip_suffix(suffix).filter(|s| !s.is_empty()) {
                return Some(format!("{set}Implementation"));
            }
        }
        if c == "annotationProcessor" || c.ends_with("AnnotationProcessor") {
            return Some(c.clone());
        }
    }
    if configurations.iter().all(|c| c == "classpath") && !configurations.is_empty() {
        return None;
    }
    Some("implementation".into())
}

/// Adds `configuration("name:to") { because("...") }` to the `constraints { }` block of the
/// script's top-level `dependencies { }` (creating either block as needed), in the script's
/// own DSL and indentation.
fn add_constraint(
    work: &mut Work,
    path: &str,
    configuration: &str,
    fix: &PackageFix,
    name: &str,
) -> Result<(), Error> {
    let text = work.text(path)?;
    let kotlin = path.ends_with(".kts");
    let coordinate = format!("{name}:{}", fix.to);
    if text.contains(&format!("\"{coordinate}\"")) || text.contains(&format!("'{coordinate}'")) {
        return Ok(());
    }
    let parsed = script::read(path, &text, &[]);
    let unit = indent_unit(&text);
    let because = if fix.advisories.is_empty() {
        format!("gitproxy: {} {} is vulnerable", name, fix.from)
    } else {
        fix.advisories.join(", ")
    };
    let entry = |ind: &str| {
        if kotlin {
            format!("{ind}{configuration}(\"{coordinate}\") {{\n{ind}{unit}because(\"{because}\")\n{ind}}}\n")
        } else {
            format!("{ind}{configuration}('{coordinate}') {{\n{ind}{unit}because '{because}'\n{ind}}}\n")
        }
    };
    let edited = if let Some((_, close)) = parsed.constraints_block {
        let (at, ind) = before_closing(&text, close);
        let ind = format!("{ind}{unit}");
        splice(
            &text,
            vec![(at, at, format!("{}{}", lead(&text, at), entry(&ind)))],
        )
    } else if let Some((_, close)) = parsed.dependencies_block {
        let (at, ind) = before_closing(&text, close);
        let inner = format!("{ind}{unit}");
        let block = format!(
            "{}{inner}constraints {{\n{}{inner}}}\n",
            lead(&text, at),
            entry(&format!("{inner}{unit}"))
        );
        splice(&text, vec![(at, at, block)])
    } else {
        let sep = if text.is_empty() || text.ends_with("\n\n") {
            ""
        } else if text.ends_with('\n') {
            "\n"
        } else {
            "\n\n"
        };
        format!(
            "{text}{sep}dependencies {{\n{unit}constraints {{\n{}{unit}}}\n}}\n",
            entry(&format!("{unit}{unit}"))
        )
    };
    work.write(path, edited);
    Ok(())
}

/// Where to insert before the `}` at `close`: the start of its line when it stands alone there
/// (with that line's indentation), else `close` itself.
fn before_closing(text: &str, close: usize) -> (usize, String) {
    let line_start = text[..close].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..close];
    if before.trim().is_empty() {
        (line_start, before.to_string())
    } else {
        let ind: String = before.chars().take_while(|c| c.is_whitespace()).collect();
        (close, ind)
    }
}

/// A line break when inserting in the middle of a line.
fn lead(text: &str, at: usize) -> &'static str {
    if at == 0 || text[..at].ends_with('\n') {
        ""
    } else {
        "\n"
    }
}

/// The script's indentation step: a tab, or the smallest run of leading spaces (4 if none).
fn indent_unit(text: &str) -> String {
    if text.lines().any(|l| l.starts_with('\t')) {
        return "\t".into();
    }
    let n = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .filter(|&n| n > 0)
        .min()
        .unwrap_or(4);
    " ".repeat(n.clamp(2, 8))
}

#[cfg(test)]
mod tests;
