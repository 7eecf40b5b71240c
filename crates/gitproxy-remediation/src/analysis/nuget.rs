//! NuGet: `packages.lock.json` (versions 1 and 2), `PackageReference` in `*.csproj`, `*.fsproj`
//! and `*.vbproj` (version as attribute or child element, `VersionOverride`), central package
//! management in `Directory.Packages.props`, and `packages.config`.

use std::collections::{BTreeMap, BTreeSet};

use super::{file_name, label, parse_error, Dependency, Location, Scope, Sink};
use crate::files::{dir_of, join, LineIndex, Snapshot};
use crate::version::nuget::VersionRange;
use crate::xml::{self, Element};
use crate::{json, Ecosystem, Error};

/// The lockfile NuGet writes next to a project with `RestorePackagesWithLockFile`.
pub(crate) const LOCKFILE: &str = "packages.lock.json";
/// The central package management file.
pub(crate) const PROPS: &str = "Directory.Packages.props";

/// Whether `name` is an MSBuild project file whose `PackageReference`s NuGet restores.
pub(crate) fn is_project_file(name: &str) -> bool {
    [".csproj", ".fsproj", ".vbproj"]
        .iter()
        .any(|ext| name.len() > ext.len() && name.to_ascii_lowercase().ends_with(ext))
}

/// Where a value is literally written: the file, the byte span of the text and its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Site {
    pub(crate) file: String,
    pub(crate) span: (usize, usize),
    pub(crate) line: u32,
}

/// One `PackageReference` of a project, with the version that applies and where it is written.
#[derive(Clone, Debug)]
pub(crate) struct Reference {
    pub(crate) name: String,
    /// The version range that applies (own `Version`, `VersionOverride`, or the central one).
    pub(crate) version: Option<String>,
    /// Where that version is written.
    pub(crate) site: Option<Site>,
    /// The line of the `PackageReference` element.
    pub(crate) line: u32,
}

/// A project file's package references and central management settings.
#[derive(Debug)]
pub(crate) struct Project {
    pub(crate) path: String,
    pub(crate) references: Vec<Reference>,
    /// The central package management file in force, when the project uses one.
    pub(crate) props: Option<Props>,
    /// Where a new `PackageReference` goes: the start of the line holding the end tag of the
    /// first `ItemGroup` with package references, or of `</Project>`; and the indentation.
    pub(crate) insert_at: usize,
    pub(crate) indent: String,
    /// False when no `ItemGroup` holds package references yet (a new one is needed).
    pub(crate) in_group: bool,
}

/// `Directory.Packages.props`: the central versions and switches.
#[derive(Clone, Debug)]
pub(crate) struct Props {
    pub(crate) path: String,
    /// `PackageVersion` entries by normalized name: the original name, the version and its site.
    pub(crate) versions: BTreeMap<String, (String, String, Site)>,
    pub(crate) manage_centrally: bool,
    pub(crate) transitive_pinning: bool,
    /// Where a new `PackageVersion` goes, and its indentation (see [`Project::insert_at`]).
    pub(crate) insert_at: usize,
    pub(crate) indent: String,
    /// See [`Project::in_group`].
    pub(crate) in_group: bool,
}

pub(super) fn analyze(snapshot: &Snapshot, out: &mut dyn Sink) {
    let mut covered: BTreeSet<String> = BTreeSet::new();
    let locks: Vec<&str> = snapshot
        .paths()
        .filter(|p| file_name(p) == LOCKFILE)
        .collect();
    for lock in locks {
        match analyze_lock(snapshot, lock, out) {
            Ok(projects) => covered.extend(projects),
            Err(e) => out.problem(e),
        }
    }
    let projects: Vec<&str> = snapshot
        .paths()
        .filter(|p| is_project_file(file_name(p)) && !covered.contains(*p))
        .collect();
    for path in projects {
        match read_project(snapshot, path) {
            Ok(project) => report_project(&project, out),
            Err(e) => out.problem(e),
        }
    }
    let configs: Vec<&str> = snapshot
        .paths()
        .filter(|p| file_name(p).eq_ignore_ascii_case("packages.config"))
        .collect();
    for path in configs {
        if let Err(e) = analyze_packages_config(snapshot, path, out) {
            out.problem(e);
        }
    }
}

fn element_site(path: &str, lines: &LineIndex, el: &Element) -> Site {
    Site {
        file: path.to_string(),
        span: el.text_span,
        line: lines.line(el.text_span.0),
    }
}

fn attribute_site(path: &str, lines: &LineIndex, span: (usize, usize)) -> Site {
    Site {
        file: path.to_string(),
        span,
        line: lines.line(span.0),
    }
}

/// An attribute's value or, failing that, a child element's text, with where it is written.
fn value_of(path: &str, lines: &LineIndex, el: &Element, name: &str) -> Option<(String, Site)> {
    if let Some(a) = el.attribute(name) {
        return Some((
            a.value.trim().to_string(),
            attribute_site(path, lines, a.span),
        ));
    }
    let child = el
        .children
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(name))?;
    Some((child.text.clone(), element_site(path, lines, child)))
}

/// True when an MSBuild property `name` is set to `true` anywhere in the document.
fn property_true(root: &Element, name: &str) -> bool {
    let mut found = Vec::new();
    root.descendants_named(name, &mut found);
    found
        .iter()
        .any(|p| p.text.trim().eq_ignore_ascii_case("true"))
}

/// Parses an MSBuild XML file of the snapshot.
fn parse_xml(snapshot: &Snapshot, path: &str) -> Result<(String, Element), Error> {
    let text = snapshot
        .text(path)
        .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))?
        .into_owned();
    let lines = LineIndex::new(&text);
    let root =
        xml::parse(&text).map_err(|(at, msg)| parse_error(path, Some(lines.line(at)), msg))?;
    Ok((text, root))
}

/// The start of the line holding `at`, and the indentation of the line above it plus one level.
fn insertion(text: &str, at: usize, fallback_indent: &str) -> (usize, String) {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let closing: String = text[line_start..at]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let indent = if closing.is_empty() && fallback_indent.is_empty() {
        "  ".to_string()
    } else {
        format!("{closing}{fallback_indent}")
    };
    (line_start, indent)
}

/// The nearest `Directory.Packages.props` at or above `dir`.
fn props_path(snapshot: &Snapshot, dir: &str) -> Option<String> {
    let mut dir = dir.to_string();
    loop {
        let candidate = join(&dir, PROPS);
        if snapshot.contains(&candidate) {
            return Some(candidate);
        }
        if dir.is_empty() {
            return None;
        }
        dir = dir_of(&dir).to_string();
    }
}

pub(crate) fn read_props(snapshot: &Snapshot, path: &str) -> Result<Props, Error> {
    let (text, root) = parse_xml(snapshot, path)?;
    let lines = LineIndex::new(&text);
    let mut entries = Vec::new();
    root.descendants_named("PackageVersion", &mut entries);
    let mut versions = BTreeMap::new();
    for el in &entries {
        let Some(name) = el.attribute("Include").map(|a| a.value.trim().to_string()) else {
            continue;
        };
        if let Some((version, site)) = value_of(path, &lines, el, "Version") {
            let key = Ecosystem::NuGet.normalize_name(&name);
            versions.insert(key, (name, version, site));
        }
    }
    let group = entries
        .first()
        .and_then(|first| {
            root.children_named("ItemGroup")
                .find(|g| g.start < first.start && first.end <= g.end)
        })
        .map(|g| g.content_end);
    let (insert_at, indent) = match group {
        Some(at) => insertion(&text, at, "  "),
        None => insertion(&text, root.content_end, "  "),
    };
    Ok(Props {
        path: path.to_string(),
        versions,
        manage_centrally: property_true(&root, "ManagePackageVersionsCentrally"),
        transitive_pinning: property_true(&root, "CentralPackageTransitivePinningEnabled"),
        insert_at,
        indent,
        in_group: group.is_some(),
    })
}

pub(crate) fn read_project(snapshot: &Snapshot, path: &str) -> Result<Project, Error> {
    let (text, root) = parse_xml(snapshot, path)?;
    let lines = LineIndex::new(&text);
    let props = match props_path(snapshot, dir_of(path)) {
        Some(p) => Some(read_props(snapshot, &p)?),
        None => None,
    };
    // The project may switch central management on or off itself.
    let own_switch = {
        let mut found = Vec::new();
        root.descendants_named("ManagePackageVersionsCentrally", &mut found);
        found
            .last()
            .map(|p| p.text.trim().eq_ignore_ascii_case("true"))
    };
    let props = props.filter(|p| own_switch.unwrap_or(p.manage_centrally));
    let mut elements = Vec::new();
    root.descendants_named("PackageReference", &mut elements);
    let mut references = Vec::new();
    for el in &elements {
        let Some(name) = el.attribute("Include").map(|a| a.value.trim().to_string()) else {
            // `Update=` changes a reference made elsewhere (an SDK's implicit one).
            continue;
        };
        let own = value_of(path, &lines, el, "VersionOverride")
            .or_else(|| value_of(path, &lines, el, "Version"));
        let central = match (&own, &props) {
            (None, Some(props)) => props
                .versions
                .get(&Ecosystem::NuGet.normalize_name(&name))
                .map(|(_, v, s)| (v.clone(), s.clone())),
            _ => None,
        };
        let (version, site) = match own.or(central) {
            Some((v, s)) => (Some(v), Some(s)),
            None => (None, None),
        };
        references.push(Reference {
            name,
            version,
            site,
            line: lines.line(el.start),
        });
    }
    let group = elements
        .first()
        .and_then(|first| {
            root.children_named("ItemGroup")
                .find(|g| g.start < first.start && first.end <= g.end)
        })
        .map(|g| g.content_end);
    let (insert_at, indent) = match group {
        Some(at) => insertion(&text, at, "  "),
        None => insertion(&text, root.content_end, "  "),
    };
    Ok(Project {
        path: path.to_string(),
        references,
        props,
        insert_at,
        indent,
        in_group: group.is_some(),
    })
}

/// The version restore picks for a range without a lockfile: the inclusive minimum of a
/// non-floating range (NuGet takes the lowest applicable version).
fn picked(range: &str) -> Option<String> {
    let parsed = VersionRange::parse(range).ok()?;
    parsed.resolved_minimum().map(ToString::to_string)
}

fn report_project(project: &Project, out: &mut dyn Sink) {
    for r in &project.references {
        let Some(version) = &r.version else {
            continue;
        };
        out.dependency(Dependency {
            ecosystem: Ecosystem::NuGet,
            name: r.name.clone(),
            version: picked(version),
            requirement: Some(version.clone()),
            direct: true,
            parents: Vec::new(),
            scope: Scope::Runtime,
            location: r.site.as_ref().map_or_else(
                || Location::new(&project.path, r.line),
                |s| Location::new(&s.file, s.line),
            ),
            declared_in: Some(Location::new(&project.path, r.line)),
            constraints: Vec::new(),
        });
    }
}

/// The project files next to a lockfile.
pub(crate) fn projects_of_lock(snapshot: &Snapshot, lock: &str) -> Vec<String> {
    let dir = dir_of(lock);
    snapshot
        .paths()
        .filter(|p| dir_of(p) == dir && is_project_file(file_name(p)))
        .map(String::from)
        .collect()
}

/// Reports every resolved entry of a `packages.lock.json`; returns the project files it covers
/// (those that parse: a broken one is still analysed on its own, and reported).
fn analyze_lock(snapshot: &Snapshot, path: &str, out: &mut dyn Sink) -> Result<Vec<String>, Error> {
    let text = snapshot
        .text(path)
        .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))?;
    let text: &str = &text;
    let lines = LineIndex::new(text);
    let doc = json::parse(text).map_err(|(at, m)| parse_error(path, Some(lines.line(at)), m))?;
    match doc.get("version").map(|v| &text[v.start..v.end]) {
        Some("1" | "2") => {}
        Some(other) => {
            return Err(parse_error(
                path,
                Some(1),
                format!("lockfile version {other} is not supported (1 and 2 are)"),
            ))
        }
        None => return Err(parse_error(path, Some(1), "no `version`")),
    }
    let Some(frameworks) = doc.get("dependencies") else {
        return Err(parse_error(path, Some(1), "no `dependencies` object"));
    };
    let declared: Vec<Project> = projects_of_lock(snapshot, path)
        .iter()
        .filter_map(|p| read_project(snapshot, p).ok())
        .collect();
    for framework in frameworks.members() {
        let entries = framework.value.members();
        // Parents and the ranges they place on each dependency.
        let mut parents: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for e in entries {
            let resolved = e.value.get("resolved").and_then(json::Node::as_str);
            let who = label(&e.key, resolved.unwrap_or("project"));
            for d in e.value.get("dependencies").map_or(&[][..], |d| d.members()) {
                let range = d.value.as_str().unwrap_or("").to_string();
                parents
                    .entry(Ecosystem::NuGet.normalize_name(&d.key))
                    .or_default()
                    .push((who.clone(), range));
            }
        }
        for e in entries {
            let kind = e
                .value
                .get("type")
                .and_then(json::Node::as_str)
                .unwrap_or("");
            let Some(resolved) = e.value.get("resolved").and_then(json::Node::as_str) else {
                // `Project` entries are other projects of the solution.
                continue;
            };
            let direct = matches!(kind, "Direct" | "CentralTransitive");
            let key = Ecosystem::NuGet.normalize_name(&e.key);
            let declared_in = declared.iter().find_map(|p| {
                let r = p
                    .references
                    .iter()
                    .find(|r| Ecosystem::NuGet.normalize_name(&r.name) == key);
                match r {
                    Some(r) => Some(Location::new(&p.path, r.line)),
                    None if kind == "CentralTransitive" => p
                        .props
                        .as_ref()
                        .and_then(|props| props.versions.get(&key))
                        .map(|(_, _, s)| Location::new(&s.file, s.line)),
                    None => None,
                }
            });
            let found = parents.get(&key).cloned().unwrap_or_default();
            out.dependency(Dependency {
                ecosystem: Ecosystem::NuGet,
                name: e.key.clone(),
                version: Some(resolved.to_string()),
                requirement: e
                    .value
                    .get("requested")
                    .and_then(json::Node::as_str)
                    .map(String::from),
                direct,
                parents: found.iter().map(|(p, _)| p.clone()).collect(),
                scope: Scope::Runtime,
                location: Location::new(path, lines.line(e.key_start)),
                declared_in: if direct { declared_in } else { None },
                constraints: found.into_iter().map(|(_, r)| r).collect(),
            });
        }
    }
    Ok(declared.into_iter().map(|p| p.path).collect())
}

fn analyze_packages_config(
    snapshot: &Snapshot,
    path: &str,
    out: &mut dyn Sink,
) -> Result<(), Error> {
    let (text, root) = parse_xml(snapshot, path)?;
    if root.name != "packages" {
        return Err(parse_error(path, Some(1), "root element is not <packages>"));
    }
    let lines = LineIndex::new(&text);
    for el in root.children_named("package") {
        let (Some(id), Some(version)) = (el.attribute("id"), el.attribute("version")) else {
            continue;
        };
        let dev = el
            .attribute("developmentDependency")
            .is_some_and(|a| a.value.trim().eq_ignore_ascii_case("true"));
        let line = lines.line(el.start);
        out.dependency(Dependency {
            ecosystem: Ecosystem::NuGet,
            name: id.value.trim().to_string(),
            version: Some(version.value.trim().to_string()),
            requirement: el.attribute("allowedVersions").map(|a| a.value.clone()),
            direct: true,
            parents: Vec::new(),
            scope: if dev { Scope::Dev } else { Scope::Runtime },
            location: Location::new(path, lines.line(version.span.0)),
            declared_in: Some(Location::new(path, line)),
            constraints: Vec::new(),
        });
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
