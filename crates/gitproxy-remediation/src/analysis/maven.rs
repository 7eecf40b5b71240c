//! Maven: `pom.xml` with properties, `dependencyManagement` and a parent POM in the repository.

use std::collections::{HashMap, HashSet};

use super::{file_name, parse_error, unresolved_problem, Dependency, Location, Scope, Sink};
use crate::files::{dir_of, join, LineIndex, Snapshot};
use crate::xml::{self, Element};
use crate::Ecosystem;

pub(super) fn analyze(snapshot: &Snapshot, out: &mut dyn Sink) {
    let mut poms = Vec::new();
    for path in snapshot.paths().filter(|p| file_name(p) == "pom.xml") {
        match read_pom(snapshot, path, 0) {
            Ok(pom) => poms.push(pom),
            Err(e) => out.problem(e),
        }
    }
    // The repository's own modules: a dependency on one of them needs no version to be safe.
    let modules: HashSet<&str> = poms
        .iter()
        .filter_map(|p| p.coordinates.as_deref())
        .collect();
    for pom in &poms {
        report(pom, &modules, out);
    }
}

/// The version of a dependency when the scan can match it: not a range and no property left
/// undefined.
fn exact(version: Option<&String>) -> Option<&String> {
    version.filter(|v| !v.starts_with(['[', '(']) && !v.contains("${") && !v.is_empty())
}

/// Where a value literally lives: the file and the byte span of the text to replace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Site {
    pub(crate) file: String,
    pub(crate) span: (usize, usize),
    pub(crate) line: u32,
}

/// A dependency of a POM after property interpolation and management.
#[derive(Clone, Debug)]
pub(crate) struct PomDependency {
    pub(crate) name: String,
    pub(crate) version: Option<String>,
    pub(crate) scope: Option<String>,
    pub(crate) line: u32,
    /// Where the version text that applies is written (the `<version>` element or the property).
    pub(crate) version_site: Option<Site>,
    /// The text of the `<version>` element that gives the version (its own or its
    /// `dependencyManagement` entry's), where a version of its own replaces a shared property.
    pub(crate) version_element: Option<Site>,
    pub(crate) managed: bool,
}

/// A POM with its effective properties and dependency management (own and inherited).
#[derive(Debug)]
pub(crate) struct Pom {
    pub(crate) path: String,
    /// `groupId:artifactId` of the module itself (the group inherited from the parent).
    pub(crate) coordinates: Option<String>,
    pub(crate) dependencies: Vec<PomDependency>,
    pub(crate) management: HashMap<String, PomDependency>,
    pub(crate) properties: HashMap<String, (String, Option<Site>)>,
    /// Byte offset where a `<dependencyManagement>` block may be inserted (before `<dependencies>`
    /// or before `</project>`), and the offset of an existing managed `<dependencies>` end tag.
    pub(crate) insert_management_at: usize,
    pub(crate) management_deps_end: Option<usize>,
}

fn report(pom: &Pom, modules: &HashSet<&str>, out: &mut dyn Sink) {
    let mut unresolved = Vec::new();
    for d in &pom.dependencies {
        let dev = matches!(d.scope.as_deref(), Some("test"));
        let exact = exact(d.version.as_ref());
        if exact.is_none() && !modules.contains(d.name.as_str()) {
            let why = match &d.version {
                Some(v) => format!("{} `{v}`", d.name),
                None => format!("{} (no version)", d.name),
            };
            unresolved.push((d.line, why));
        }
        out.dependency(Dependency {
            ecosystem: Ecosystem::Maven,
            name: d.name.clone(),
            version: exact.cloned(),
            requirement: d.version.clone(),
            direct: true,
            parents: Vec::new(),
            scope: if dev { Scope::Dev } else { Scope::Runtime },
            location: d.version_site.as_ref().map_or_else(
                || Location::new(&pom.path, d.line),
                |s| Location::new(&s.file, s.line),
            ),
            declared_in: Some(Location::new(&pom.path, d.line)),
            constraints: Vec::new(),
        });
    }
    if !unresolved.is_empty() {
        out.problem(unresolved_problem(
            pom.path.clone(),
            unresolved,
            "their versions come from outside the repository (a parent POM or imported BOM that is not in it, a property it does not define) or are ranges: give each an exact version in the repository's POMs (a `<version>`, a property or a `dependencyManagement` entry of a POM in it) so that the scan can match it",
        ));
    }
}

pub(crate) fn read_pom(snapshot: &Snapshot, path: &str, depth: usize) -> Result<Pom, crate::Error> {
    let text = snapshot
        .text(path)
        .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))?;
    let text: &str = &text;
    let lines = LineIndex::new(text);
    let root =
        xml::parse(text).map_err(|(at, msg)| parse_error(path, Some(lines.line(at)), msg))?;
    if root.name != "project" {
        return Err(parse_error(path, Some(1), "root element is not <project>"));
    }
    let site = |el: &Element| Site {
        file: path.to_string(),
        span: el.text_span,
        line: lines.line(el.text_span.0),
    };
    // Inherit from a parent POM present in the snapshot.
    let mut properties: HashMap<String, (String, Option<Site>)> = HashMap::new();
    let mut management: HashMap<String, PomDependency> = HashMap::new();
    if let Some(parent) = root.child("parent") {
        let rel = parent.child_text("relativePath").unwrap_or("../pom.xml");
        let mut parent_path = join(dir_of(path), rel);
        if !parent_path.ends_with(".xml") {
            parent_path = join(&parent_path, "pom.xml");
        }
        if depth < 8 && parent_path != path && snapshot.contains(&parent_path) {
            if let Ok(p) = read_pom(snapshot, &parent_path, depth + 1) {
                properties = p.properties;
                management = p.management;
            }
        }
        for key in ["version", "groupId"] {
            if let Some(el) = parent.child(key) {
                properties.insert(
                    format!("project.parent.{key}"),
                    (el.text.clone(), Some(site(el))),
                );
                properties
                    .entry(format!("project.{key}"))
                    .or_insert((el.text.clone(), Some(site(el))));
            }
        }
    }
    for key in ["version", "groupId", "artifactId"] {
        if let Some(el) = root.child(key) {
            properties.insert(format!("project.{key}"), (el.text.clone(), Some(site(el))));
        }
    }
    if let Some(props) = root.child("properties") {
        for p in &props.children {
            properties.insert(p.name.clone(), (p.text.clone(), Some(site(p))));
        }
    }
    let interpolate = |s: &str| -> (String, Option<Site>) {
        let mut value = s.to_string();
        let mut origin = None;
        for _ in 0..8 {
            let Some(start) = value.find("${") else {
                break;
            };
            let Some(len) = value[start..].find('}') else {
                break;
            };
            let key = value[start + 2..start + len].to_string();
            let Some((v, s)) = properties.get(&key) else {
                break;
            };
            if origin.is_none() && start == 0 && len + 1 == value.len() {
                origin.clone_from(s);
            }
            value.replace_range(start..start + len + 1, v);
        }
        (value, origin)
    };
    let read_dep = |el: &Element, managed: bool| -> Option<PomDependency> {
        let group = interpolate(el.child_text("groupId")?).0;
        let artifact = interpolate(el.child_text("artifactId")?).0;
        let (version, version_site, version_element) = match el.child("version") {
            Some(v) => {
                let (value, origin) = interpolate(&v.text);
                (
                    Some(value),
                    Some(origin.unwrap_or_else(|| site(v))),
                    Some(site(v)),
                )
            }
            None => (None, None, None),
        };
        Some(PomDependency {
            name: format!("{group}:{artifact}"),
            version,
            scope: el.child_text("scope").map(String::from),
            line: lines.line(el.start),
            version_site,
            version_element,
            managed,
        })
    };
    let mut management_deps_end = None;
    if let Some(deps) = root.path(&["dependencyManagement", "dependencies"]) {
        management_deps_end = Some(deps.content_end);
        for el in deps.children_named("dependency") {
            if let Some(d) = read_dep(el, true) {
                if d.scope.as_deref() != Some("import") {
                    management.insert(d.name.clone(), d);
                }
            }
        }
    }
    let mut dependencies = Vec::new();
    if let Some(deps) = root.child("dependencies") {
        for el in deps.children_named("dependency") {
            let Some(mut d) = read_dep(el, false) else {
                continue;
            };
            if d.version.is_none() {
                if let Some(m) = management.get(&d.name) {
                    d.version.clone_from(&m.version);
                    d.version_site.clone_from(&m.version_site);
                    d.version_element.clone_from(&m.version_element);
                    d.managed = true;
                }
            }
            if d.scope.is_none() {
                d.scope = management.get(&d.name).and_then(|m| m.scope.clone());
            }
            dependencies.push(d);
        }
    }
    let insert_management_at = root
        .child("dependencyManagement")
        .or_else(|| root.child("dependencies"))
        .map_or(root.content_end, |el| el.start);
    let coordinates = match (
        properties.get("project.groupId"),
        root.child_text("artifactId"),
    ) {
        (Some((group, _)), Some(artifact)) => Some(format!("{group}:{artifact}")),
        _ => None,
    };
    Ok(Pom {
        path: path.to_string(),
        coordinates,
        dependencies,
        management,
        properties,
        insert_management_at,
        management_deps_end,
    })
}
