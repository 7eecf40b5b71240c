//! Maven: `pom.xml` with properties, `dependencyManagement`, parent POMs and imported BOMs (in
//! the repository, or fetched from the registry by [`fetch_maven_poms`]).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

mod remote;
mod resolve;

pub use remote::{
    fetch_maven_poms, fetch_maven_poms_in_flight, Fetched, IN_FLIGHT, MAX_FETCHED,
    MAX_FETCHED_BYTES, MAX_POM_BYTES,
};

use super::{file_name, parse_error, unresolved_problem, Dependency, Location, Scope, Sink};
use crate::files::{dir_of, join, LineIndex, Snapshot};
use crate::xml::{self, Element};
use crate::Ecosystem;

pub(super) fn analyze(snapshot: &Snapshot, out: &mut dyn Sink) {
    let mut poms = Vec::new();
    let cache = Cache::default();
    for path in snapshot.paths().filter(|p| file_name(p) == "pom.xml") {
        match read_model(snapshot, Source::Repo(path), 0, &cache) {
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
        report(pom, &modules, snapshot, out);
        report_tree(
            pom,
            &resolve::tree(snapshot, pom, &modules, &cache),
            snapshot,
            out,
        );
    }
}

/// The modules the tree of `pom` brings, as transitive dependencies located at the declaration
/// that brings each; and, when the registry was asked and part of the tree stays unknown (a POM
/// it does not give, a version it does not tell), one `unresolved` problem saying which.
fn report_tree(pom: &Pom, tree: &resolve::Tree, snapshot: &Snapshot, out: &mut dyn Sink) {
    for node in &tree.nodes {
        let line = pom.dependencies.get(node.via).map_or(1, |d| d.line);
        out.dependency(Dependency {
            ecosystem: Ecosystem::Maven,
            name: node.name.clone(),
            version: Some(node.version.clone()),
            requirement: Some(node.version.clone()),
            direct: false,
            parents: vec![node.parent.clone()],
            scope: if node.scope == "test" {
                Scope::Dev
            } else {
                Scope::Runtime
            },
            location: Location::new(&pom.path, line),
            declared_in: None,
            constraints: Vec::new(),
        });
    }
    if let Some(limit) = &tree.cut {
        out.problem(crate::Error::Unresolved {
            file: pom.path.clone(),
            line: None,
            reason: format!(
                "its dependency tree was read only in part: {limit}; a vulnerable module beyond that would not be found, so split the build or declare the modules that matter with exact versions"
            ),
        });
    }
    // Only what was asked for and not had: without a registry the tree is not read at all.
    let mut unknown: Vec<(u32, String)> = tree
        .missing
        .iter()
        .filter_map(|key| {
            let why = snapshot.external_failure(key)?;
            Some((0, format!("the POM of {key} ({why})")))
        })
        .collect();
    unknown.extend(tree.unknown_versions.iter().map(|v| (0, v.clone())));
    if !unknown.is_empty() {
        let items = unknown.len();
        let shown: Vec<String> = unknown.into_iter().take(5).map(|(_, w)| w).collect();
        out.problem(crate::Error::Unresolved {
            file: pom.path.clone(),
            line: None,
            reason: format!(
                "part of its dependency tree is unknown: {}{}; a vulnerable module there would not be found, so make the Maven registry (`GITPROXY_REGISTRIES`, Helm `registries.maven`) one that serves every POM of the build, or declare the modules with exact versions",
                shown.join(", "),
                if items > 5 { format!(" and {} more", items - 5) } else { String::new() }
            ),
        });
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
    /// `<optional>true</optional>`: not brought to those who depend on the declaring module.
    pub(crate) optional: bool,
    /// `<exclusions>`: `(groupId, artifactId)`, either may be `*`; they apply to everything the
    /// dependency brings.
    pub(crate) exclusions: Vec<(String, String)>,
    /// Declared by a parent POM from outside the repository and inherited (located at the
    /// `<parent>` element): a fix declares it again in the module with the new version.
    pub(crate) from_parent: bool,
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
    /// Where the `<dependencies>` content ends, when the POM has the block; and where the
    /// `<project>` content ends.
    pub(crate) dependencies_end: Option<usize>,
    pub(crate) content_end: usize,
    /// Parent POMs and imported BOMs (`group:artifact:version`) neither the repository nor the
    /// fetched POMs hold, so that versions they would give are unknown.
    pub(crate) missing: BTreeSet<String>,
}

fn report(pom: &Pom, modules: &HashSet<&str>, snapshot: &Snapshot, out: &mut dyn Sink) {
    let mut unresolved = Vec::new();
    for d in &pom.dependencies {
        let dev = matches!(d.scope.as_deref(), Some("test"));
        // A range written here is matched at the version Maven takes for it, once the module's
        // published versions are known (fetched with the tree).
        let ranged = d
            .version
            .as_deref()
            .filter(|v| v.starts_with(['[', '(']) && !v.contains("${"))
            .and_then(|range| resolve::in_range(snapshot, &d.name, range));
        let exact = exact(d.version.as_ref()).cloned().or(ranged);
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
            version: exact,
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
        let advice = if pom.missing.is_empty() {
            "their versions come from outside the repository (a parent POM or imported BOM that is not in it, a property it does not define) or are ranges: give each an exact version in the repository's POMs (a `<version>`, a property or a `dependencyManagement` entry of a POM in it) so that the scan can match it".to_owned()
        } else {
            // With why each could not be had, when the registry was asked.
            let missing: Vec<String> = pom
                .missing
                .iter()
                .map(|key| match snapshot.external_failure(key) {
                    Some(why) => format!("{key} ({why})"),
                    None => key.clone(),
                })
                .collect();
            format!(
                "the parent POM or imported BOM {} that would give their versions is neither in the repository nor served by the Maven registry: add a Maven entry that serves it to the agent's registries (`GITPROXY_REGISTRIES`, Helm `registries.maven`), or give each an exact version in the repository's POMs",
                missing.join(", ")
            )
        };
        out.problem(unresolved_problem(pom.path.clone(), unresolved, &advice));
    }
}

pub(crate) fn read_pom(snapshot: &Snapshot, path: &str, depth: usize) -> Result<Pom, crate::Error> {
    read_model(snapshot, Source::Repo(path), depth, &Cache::default())
}

/// POMs from outside the repository, each read once per analysis: a parent and the BOMs it
/// imports are shared by every module (Spring Boot's are about 60 POMs).
/// It also counts the modules every tree of the analysis has brought, against
/// [`resolve::MAX_ANALYSIS_NODES`].
#[derive(Default)]
pub(crate) struct Cache {
    poms: RefCell<HashMap<String, Option<Rc<Pom>>>>,
    nodes: Cell<usize>,
}

/// The fetched POM `key`, read (or taken from `cache`); `None` when it does not parse.
fn remote_model(snapshot: &Snapshot, key: &str, depth: usize, cache: &Cache) -> Option<Rc<Pom>> {
    if let Some(hit) = cache.poms.borrow().get(key) {
        return hit.clone();
    }
    let pom = read_model(snapshot, Source::Remote(key), depth, cache)
        .ok()
        .map(Rc::new);
    cache.poms.borrow_mut().insert(key.to_owned(), pom.clone());
    pom
}

/// Where a POM comes from: a file of the repository, or a POM fetched from the registry (held
/// in the snapshot's external files under `group:artifact:version`), whose text is never edited.
#[derive(Clone, Copy)]
enum Source<'a> {
    Repo(&'a str),
    Remote(&'a str),
}

/// How deep parents and imported BOMs are followed.
const MAX_DEPTH: usize = 8;

/// Replaces `${...}` with the properties' values (eight rounds at most); the site is that of
/// the property when the whole text is one reference.
pub(crate) fn interpolate(
    properties: &HashMap<String, (String, Option<Site>)>,
    s: &str,
) -> (String, Option<Site>) {
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
}

/// The value of a raw version text and where to write a new one: the property that gives the
/// whole version, else the `<version>` element (none when both are outside the repository).
pub(crate) fn version_site(
    properties: &HashMap<String, (String, Option<Site>)>,
    raw: &str,
    element: Option<&Site>,
) -> (String, Option<Site>) {
    let (value, origin) = interpolate(properties, raw);
    (value, origin.or_else(|| element.cloned()))
}

/// `group:artifact:version` of a parent or BOM reference, when all three are literal or their
/// properties are known.
fn coordinates_of(
    el: &Element,
    properties: &HashMap<String, (String, Option<Site>)>,
) -> Option<String> {
    let part = |name: &str| {
        let (value, _) = interpolate(properties, el.child_text(name)?.trim());
        (!value.is_empty() && !value.contains("${")).then_some(value)
    };
    Some(format!(
        "{}:{}:{}",
        part("groupId")?,
        part("artifactId")?,
        part("version")?
    ))
}

fn read_model(
    snapshot: &Snapshot,
    source: Source<'_>,
    depth: usize,
    cache: &Cache,
) -> Result<Pom, crate::Error> {
    let (path, text) = match source {
        Source::Repo(path) => (
            path,
            snapshot
                .text(path)
                .ok_or_else(|| parse_error(path, None, "not valid UTF-8"))?,
        ),
        Source::Remote(key) => (
            key,
            std::borrow::Cow::Borrowed(
                snapshot
                    .external(key)
                    .ok_or_else(|| parse_error(key, None, "not fetched"))?,
            ),
        ),
    };
    let remote = matches!(source, Source::Remote(_));
    let text: &str = &text;
    let lines = LineIndex::new(text);
    let root =
        xml::parse(text).map_err(|(at, msg)| parse_error(path, Some(lines.line(at)), msg))?;
    if root.name != "project" {
        return Err(parse_error(path, Some(1), "root element is not <project>"));
    }
    // A POM from outside the repository gives values, never places to edit.
    let site = |el: &Element| {
        (!remote).then(|| Site {
            file: path.to_string(),
            span: el.text_span,
            line: lines.line(el.text_span.0),
        })
    };
    let mut missing = BTreeSet::new();
    let mut inherited_deps: Vec<PomDependency> = Vec::new();
    // Inherit from the parent: in the repository, else fetched from the registry.
    let mut properties: HashMap<String, (String, Option<Site>)> = HashMap::new();
    let mut management: HashMap<String, PomDependency> = HashMap::new();
    if let Some(parent) = root.child("parent") {
        let rel = parent.child_text("relativePath").unwrap_or("../pom.xml");
        let mut parent_path = join(dir_of(path), rel);
        if !parent_path.ends_with(".xml") {
            parent_path = join(&parent_path, "pom.xml");
        }
        let in_repo = !remote && !rel.is_empty() && parent_path != path;
        let parent_source = if in_repo && snapshot.contains(&parent_path) {
            Some(Source::Repo(&parent_path))
        } else {
            None
        };
        let key = coordinates_of(parent, &HashMap::new());
        let inherited = match (parent_source, &key) {
            (Some(source), _) if depth < MAX_DEPTH => {
                read_model(snapshot, source, depth + 1, cache)
                    .ok()
                    .map(|p| {
                        // Only what the repository's parent itself inherited from outside.
                        let deps = p
                            .dependencies
                            .into_iter()
                            .filter(|d| d.from_parent)
                            .collect();
                        (p.properties, p.management, p.missing, deps)
                    })
            }
            (None, Some(key)) if depth < MAX_DEPTH && snapshot.external(key).is_some() => {
                remote_model(snapshot, key, depth + 1, cache).map(|p| {
                    (
                        p.properties.clone(),
                        p.management.clone(),
                        p.missing.clone(),
                        p.dependencies.clone(),
                    )
                })
            }
            // Not fetched (at the depth limit it is, but not followed).
            (None, Some(key)) if snapshot.external(key).is_none() => {
                missing.insert(key.clone());
                None
            }
            _ => None,
        };
        if let Some((p, m, missed, deps)) = inherited {
            properties = p;
            management = m;
            missing.extend(missed);
            let line = lines.line(parent.start);
            inherited_deps = deps
                .into_iter()
                .map(|d| PomDependency {
                    line,
                    version_site: None,
                    version_element: None,
                    from_parent: true,
                    ..d
                })
                .collect();
        }
        for key in ["version", "groupId"] {
            if let Some(el) = parent.child(key) {
                properties.insert(format!("project.parent.{key}"), (el.text.clone(), site(el)));
                properties
                    .entry(format!("project.{key}"))
                    .or_insert((el.text.clone(), site(el)));
            }
        }
    }
    for key in ["version", "groupId", "artifactId"] {
        if let Some(el) = root.child(key) {
            properties.insert(format!("project.{key}"), (el.text.clone(), site(el)));
        }
    }
    if let Some(props) = root.child("properties") {
        for p in &props.children {
            properties.insert(p.name.clone(), (p.text.clone(), site(p)));
        }
    }
    // A dependency as written: its version stays raw (`${x}`) until the POM that uses it
    // interpolates it with its own properties, as Maven does after inheritance.
    let read_dep = |el: &Element, managed: bool| -> Option<PomDependency> {
        let group = interpolate(&properties, el.child_text("groupId")?).0;
        let artifact = interpolate(&properties, el.child_text("artifactId")?).0;
        let version_el = el.child("version");
        let exclusions = el
            .child("exclusions")
            .map(|x| {
                x.children_named("exclusion")
                    .filter_map(|e| {
                        let g = interpolate(&properties, e.child_text("groupId")?).0;
                        let a = interpolate(&properties, e.child_text("artifactId")?).0;
                        Some((g, a))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(PomDependency {
            name: format!("{group}:{artifact}"),
            version: version_el.map(|v| v.text.clone()),
            scope: el.child_text("scope").map(String::from),
            line: lines.line(el.start),
            version_site: None,
            version_element: version_el.and_then(site),
            managed,
            optional: el
                .child_text("optional")
                .is_some_and(|o| o.trim() == "true"),
            exclusions,
            from_parent: false,
        })
    };
    let mut management_deps_end = None;
    let mut imports = Vec::new();
    if let Some(deps) = root.path(&["dependencyManagement", "dependencies"]) {
        management_deps_end = Some(deps.content_end);
        for el in deps.children_named("dependency") {
            if el.child_text("scope") == Some("import") {
                imports.push(el);
            } else if let Some(d) = read_dep(el, true) {
                management.insert(d.name.clone(), d);
            }
        }
    }
    // Imported BOMs add what is not managed yet, with versions as the BOM itself gives them.
    for el in imports {
        let Some(key) = coordinates_of(el, &properties) else {
            continue;
        };
        if depth >= MAX_DEPTH {
            continue;
        }
        if snapshot.external(&key).is_none() {
            missing.insert(key);
            continue;
        }
        let Some(bom) = remote_model(snapshot, &key, depth + 1, cache) else {
            continue;
        };
        missing.extend(bom.missing.iter().cloned());
        for (name, m) in &bom.management {
            if !management.contains_key(name) {
                let version = m
                    .version
                    .as_ref()
                    .map(|v| interpolate(&bom.properties, v).0);
                management.insert(
                    name.clone(),
                    PomDependency {
                        version,
                        version_element: None,
                        ..m.clone()
                    },
                );
            }
        }
    }
    let mut dependencies = Vec::new();
    if let Some(deps) = root.child("dependencies") {
        for el in deps.children_named("dependency") {
            let Some(mut d) = read_dep(el, false) else {
                continue;
            };
            let managed = management.get(&d.name);
            if d.version.is_none() {
                if let Some(m) = managed {
                    d.version.clone_from(&m.version);
                    d.version_element.clone_from(&m.version_element);
                    d.managed = true;
                }
            }
            if let Some(raw) = d.version.take() {
                let (value, site) = version_site(&properties, &raw, d.version_element.as_ref());
                d.version = Some(value);
                d.version_site = site;
            }
            if d.scope.is_none() {
                d.scope = managed.and_then(|m| m.scope.clone());
            }
            dependencies.push(d);
        }
    }
    // A parent's dependencies are the module's too, unless it declares the module itself.
    for d in inherited_deps {
        if !dependencies.iter().any(|own| own.name == d.name) {
            dependencies.push(d);
        }
    }
    let dependencies_end = root.child("dependencies").map(|el| el.content_end);
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
        dependencies_end,
        content_end: root.content_end,
        missing,
    })
}

#[cfg(test)]
mod tests;
