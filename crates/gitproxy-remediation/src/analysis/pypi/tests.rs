//! Tests for the `Pipfile.lock` and `uv.lock` parsers, on the files pipenv and uv wrote for the
//! fixture projects and on hand-written files covering the rest of each format.

use crate::analysis::{analyze, Analysis, Dependency, Location, Scope};
use crate::files::Snapshot;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pypi");

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{path}")).unwrap()
}

fn dep<'a>(a: &'a Analysis, name: &str) -> &'a Dependency {
    a.dependencies
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("{name} not found in {:#?}", a.dependencies))
}

#[test]
fn pipfile_lock_written_by_pipenv() {
    let snapshot = Snapshot::new()
        .with("svc/Pipfile", fixture("pipenv-sync/Pipfile"))
        .with("svc/Pipfile.lock", fixture("pipenv-sync/Pipfile.lock"));
    let a = analyze(&snapshot);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    let names: Vec<(&str, &str)> = a
        .dependencies
        .iter()
        .map(|d| (d.name.as_str(), d.version.as_deref().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("certifi", "2020.12.5"),
            ("chardet", "4.0.0"),
            ("idna", "2.10"),
            ("requests", "2.25.1"),
            ("urllib3", "1.26.4")
        ]
    );
    let requests = dep(&a, "requests");
    assert!(requests.direct);
    assert_eq!(requests.requirement.as_deref(), Some("==2.25.1"));
    assert_eq!(requests.declared_in, Some(Location::new("svc/Pipfile", 7)));
    assert_eq!(requests.location, Location::new("svc/Pipfile.lock", 42));
    assert_eq!(requests.scope, Scope::Runtime);
    let urllib3 = dep(&a, "urllib3");
    assert!(!urllib3.direct);
    assert_eq!(urllib3.requirement, None);
    assert_eq!(urllib3.declared_in, None);
}

const PIPFILE: &str = r#"[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
Django = {version = ">=3.2, <4", extras = ["bcrypt"]}
"zope.interface" = "*"
mylib = {git = "https://example.invalid/mylib.git", ref = "main"}

[dev-packages]
pytest = "==7.0.0"

[docs]
sphinx = "*"

[requires]
python_version = "3.10"
"#;

const PIPFILE_LOCK: &str = r#"{
    "_meta": {
        "hash": {"sha256": "00"},
        "pipfile-spec": 6,
        "requires": {"python_version": "3.10"},
        "sources": [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": true}]
    },
    "default": {
        "django": {
            "hashes": ["sha256:aa"],
            "index": "pypi",
            "version": "==3.2.10"
        },
        "mylib": {"git": "https://example.invalid/mylib.git", "ref": "0123abcd"},
        "sqlparse": {"hashes": [], "markers": "python_version >= '3.5'", "version": "==0.4.1"},
        "zope.interface": {"hashes": [], "index": "pypi", "version": "==5.4.0"}
    },
    "develop": {
        "pytest": {"hashes": [], "index": "pypi", "version": "==7.0.0"},
        "py": {"hashes": [], "version": "===1.11.0"}
    },
    "docs": {
        "sphinx": {"hashes": [], "index": "pypi", "version": "==4.0.0"}
    }
}
"#;

#[test]
fn pipfile_lock_categories_sources_and_requirements() {
    let a = analyze(
        &Snapshot::new()
            .with("Pipfile", PIPFILE)
            .with("Pipfile.lock", PIPFILE_LOCK),
    );
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    // The git entry carries no version and is not a registry package.
    assert!(a.dependencies.iter().all(|d| d.name != "mylib"));
    let django = dep(&a, "django");
    assert_eq!(django.requirement.as_deref(), Some(">=3.2,<4"));
    assert_eq!(django.declared_in, Some(Location::new("Pipfile", 7)));
    assert_eq!(django.location, Location::new("Pipfile.lock", 9));
    let zope = dep(&a, "zope-interface");
    assert!(zope.direct);
    assert_eq!(zope.requirement, None, "`*` allows any version");
    assert_eq!(zope.declared_in, Some(Location::new("Pipfile", 8)));
    let sqlparse = dep(&a, "sqlparse");
    assert!(!sqlparse.direct);
    assert_eq!(sqlparse.scope, Scope::Runtime);
    let pytest = dep(&a, "pytest");
    assert!(pytest.direct);
    assert_eq!(pytest.scope, Scope::Dev);
    assert_eq!(pytest.declared_in, Some(Location::new("Pipfile", 12)));
    let py = dep(&a, "py");
    assert_eq!(py.version.as_deref(), Some("1.11.0"));
    assert!(!py.direct);
    assert_eq!(py.scope, Scope::Dev);
    let sphinx = dep(&a, "sphinx");
    assert!(sphinx.direct, "a custom category is a Pipfile section too");
    assert_eq!(sphinx.scope, Scope::Dev);
    assert_eq!(sphinx.declared_in, Some(Location::new("Pipfile", 15)));
}

#[test]
fn pipfile_lock_without_pipfile_takes_index_entries_as_direct() {
    let a = analyze(&Snapshot::new().with("Pipfile.lock", PIPFILE_LOCK));
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    assert!(dep(&a, "django").direct);
    assert!(!dep(&a, "sqlparse").direct);
    assert_eq!(dep(&a, "django").declared_in, None);
}

#[test]
fn broken_pipfile_lock_is_a_problem_with_its_line() {
    let a = analyze(&Snapshot::new().with("Pipfile.lock", "{\n  \"default\": {\n    \"a\": \n}\n"));
    assert!(a.dependencies.is_empty());
    let text = a.problems[0].to_string();
    assert!(text.contains("Pipfile.lock"), "{text}");
    let a = analyze(&Snapshot::new().with("Pipfile.lock", "[1, 2]"));
    assert_eq!(a.problems.len(), 1, "{:?}", a.problems);
}

#[test]
fn uv_lock_written_by_uv() {
    let snapshot = Snapshot::new()
        .with("pyproject.toml", fixture("uv-sync/pyproject.toml"))
        .with("uv.lock", fixture("uv-sync/uv.lock"));
    let a = analyze(&snapshot);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    let names: Vec<(&str, &str)> = a
        .dependencies
        .iter()
        .map(|d| (d.name.as_str(), d.version.as_deref().unwrap()))
        .collect();
    // The project itself (`source = { virtual = "." }`) is not a dependency.
    assert_eq!(
        names,
        [
            ("certifi", "2020.12.5"),
            ("chardet", "4.0.0"),
            ("idna", "2.10"),
            ("requests", "2.25.1"),
            ("urllib3", "1.26.4")
        ]
    );
    let requests = dep(&a, "requests");
    assert!(requests.direct);
    assert_eq!(requests.requirement.as_deref(), Some("==2.25.1"));
    assert_eq!(
        requests.declared_in,
        Some(Location::new("pyproject.toml", 7))
    );
    assert_eq!(requests.location, Location::new("uv.lock", 52));
    assert!(requests.parents.is_empty());
    let urllib3 = dep(&a, "urllib3");
    assert!(!urllib3.direct);
    assert_eq!(urllib3.parents, ["requests@2.25.1"]);
    assert_eq!(urllib3.scope, Scope::Runtime);
    // idna is in the dev group and needed at run time by requests.
    let idna = dep(&a, "idna");
    assert!(idna.direct);
    assert_eq!(idna.scope, Scope::Runtime);
    assert_eq!(idna.requirement.as_deref(), Some(">=2.5"));
    assert_eq!(idna.declared_in, Some(Location::new("pyproject.toml", 12)));
}

const UV_PYPROJECT: &str = r#"[project]
name = "app"
version = "1.0.0"
requires-python = ">=3.9"
dependencies = ["httpx>=0.27"]

[project.optional-dependencies]
yaml = ["pyyaml>=6"]

[dependency-groups]
test = ["pytest>=8"]

[tool.uv.sources]
mylib = { git = "https://example.invalid/mylib.git" }
"#;

const UV_LOCK: &str = r#"version = 1
revision = 2
requires-python = ">=3.9"
resolution-markers = [
    "python_full_version >= '3.10'",
    "python_full_version < '3.10'",
]

[[package]]
name = "anyio"
version = "4.4.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "exceptiongroup", marker = "python_full_version < '3.11'" },
    { name = "idna" },
]
sdist = { url = "https://files.example.invalid/anyio-4.4.0.tar.gz", hash = "sha256:00", size = 1 }

[[package]]
name = "app"
version = "1.0.0"
source = { editable = "." }
dependencies = [
    { name = "httpx" },
    { name = "mylib" },
]

[package.optional-dependencies]
yaml = [
    { name = "pyyaml" },
]

[package.dev-dependencies]
test = [
    { name = "pytest", version = "8.2.0", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version < '3.10'" },
    { name = "pytest", version = "8.3.0", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version >= '3.10'" },
]

[package.metadata]
requires-dist = [
    { name = "httpx", specifier = ">=0.27" },
    { name = "mylib", git = "https://example.invalid/mylib.git" },
    { name = "pyyaml", marker = "extra == 'yaml'", specifier = ">=6" },
]
provides-extras = ["yaml"]

[package.metadata.requires-dev]
test = [{ name = "pytest", specifier = ">=8" }]

[[package]]
name = "exceptiongroup"
version = "1.2.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "httpx"
version = "0.27.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "anyio" },
    { name = "idna" },
]

[[package]]
name = "idna"
version = "3.6"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "iniconfig"
version = "2.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "mylib"
version = "0.1.0"
source = { git = "https://example.invalid/mylib.git#0123456789abcdef" }

[[package]]
name = "pytest"
version = "8.2.0"
source = { registry = "https://pypi.org/simple" }
resolution-markers = [
    "python_full_version < '3.10'",
]
dependencies = [
    { name = "iniconfig" },
]

[[package]]
name = "pytest"
version = "8.3.0"
source = { registry = "https://pypi.org/simple" }
resolution-markers = [
    "python_full_version >= '3.10'",
]
dependencies = [
    { name = "iniconfig" },
]

[[package]]
name = "pyyaml"
version = "6.0.1"
source = { registry = "https://pypi.org/simple" }
"#;

#[test]
fn uv_lock_members_groups_extras_forks_and_sources() {
    let a = analyze(
        &Snapshot::new()
            .with("pyproject.toml", UV_PYPROJECT)
            .with("uv.lock", UV_LOCK),
    );
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    assert!(a.dependencies.iter().all(|d| d.name != "app"));
    assert!(
        a.dependencies.iter().all(|d| d.name != "mylib"),
        "a git source is not a registry package"
    );
    let httpx = dep(&a, "httpx");
    assert!(httpx.direct);
    assert_eq!(httpx.requirement.as_deref(), Some(">=0.27"));
    assert_eq!(httpx.declared_in, Some(Location::new("pyproject.toml", 5)));
    let pyyaml = dep(&a, "pyyaml");
    assert!(pyyaml.direct);
    assert_eq!(
        pyyaml.scope,
        Scope::Runtime,
        "an extra ships with the package"
    );
    assert_eq!(pyyaml.declared_in, Some(Location::new("pyproject.toml", 8)));
    let idna = dep(&a, "idna");
    assert!(!idna.direct);
    assert_eq!(idna.parents, ["anyio@4.4.0", "httpx@0.27.0"]);
    let exceptiongroup = dep(&a, "exceptiongroup");
    assert_eq!(exceptiongroup.scope, Scope::Runtime);
    // Both forks of pytest are direct dev dependencies; iniconfig is dev only.
    let pytests: Vec<&Dependency> = a
        .of(crate::Ecosystem::PyPI)
        .filter(|d| d.name == "pytest")
        .collect();
    assert_eq!(pytests.len(), 2);
    for p in &pytests {
        assert!(p.direct);
        assert_eq!(p.scope, Scope::Dev);
        assert_eq!(p.requirement.as_deref(), Some(">=8"));
        assert_eq!(p.declared_in, Some(Location::new("pyproject.toml", 11)));
    }
    assert_eq!(pytests[0].location, Location::new("uv.lock", 80));
    let iniconfig = dep(&a, "iniconfig");
    assert!(!iniconfig.direct);
    assert_eq!(iniconfig.scope, Scope::Dev);
    assert_eq!(iniconfig.parents, ["pytest@8.2.0", "pytest@8.3.0"]);
}

#[test]
fn broken_uv_lock_is_a_problem_with_its_line() {
    let a = analyze(&Snapshot::new().with("uv.lock", "version = 1\n\n[[package]\nname = \"a\"\n"));
    assert!(a.dependencies.is_empty());
    let text = a.problems[0].to_string();
    assert!(text.contains("uv.lock"), "{text}");
    assert!(text.contains(":3") || text.contains("line 3"), "{text}");
}

#[test]
fn deep_or_oversized_python_locks_are_problems_of_their_file() {
    let deep = format!(
        "{{\"default\": {}1{}}}",
        "[".repeat(crate::limits::MAX_NESTING + 10),
        "]".repeat(crate::limits::MAX_NESTING + 10)
    );
    let deep_toml = format!(
        "[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = {}1{}\n",
        "[".repeat(500),
        "]".repeat(500)
    );
    let mut snapshot = Snapshot::new()
        .with("a/Pipfile.lock", deep)
        .with("b/uv.lock", deep_toml)
        .with("c/uv.lock", fixture("uv-sync/uv.lock"));
    snapshot.leave_out("d/Pipfile.lock", Some(1 << 30), 1 << 20);
    let a = analyze(&snapshot);
    let problems: Vec<String> = a.problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].contains("d/Pipfile.lock"), "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("a/Pipfile.lock") && p.contains("nested deeper")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("b/uv.lock")),
        "{problems:?}"
    );
    // The other lock is still read.
    assert_eq!(a.dependencies.len(), 5);
}
