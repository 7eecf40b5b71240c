//! Tests for every manifest and lockfile parser, through [`analyze`].

use super::*;

fn dep<'a>(a: &'a Analysis, name: &str) -> &'a Dependency {
    a.dependencies
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("{name} not found in {:#?}", a.dependencies))
}

const PACKAGE_JSON: &str = r#"{
  "name": "web",
  "version": "1.0.0",
  "workspaces": ["packages/*"],
  "dependencies": {
    "express": "^4.17.0"
  },
  "devDependencies": {
    "mocha": "~9.1.0"
  }
}
"#;

const LOCK_V3: &str = r#"{
  "name": "web",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "web",
      "workspaces": ["packages/*"],
      "dependencies": { "express": "^4.17.0" },
      "devDependencies": { "mocha": "~9.1.0" }
    },
    "node_modules/express": {
      "version": "4.17.1",
      "resolved": "https://registry.npmjs.org/express/-/express-4.17.1.tgz",
      "integrity": "sha512-aaa",
      "dependencies": { "qs": "6.7.0", "debug": "2.6.9" }
    },
    "node_modules/qs": {
      "version": "6.7.0",
      "integrity": "sha512-bbb"
    },
    "node_modules/debug": {
      "version": "2.6.9",
      "dependencies": { "ms": "2.0.0" }
    },
    "node_modules/ms": {
      "version": "2.0.0"
    },
    "node_modules/mocha": {
      "version": "9.1.3",
      "dev": true,
      "dependencies": { "debug": "4.3.2" }
    },
    "node_modules/mocha/node_modules/debug": {
      "version": "4.3.2",
      "dev": true,
      "dependencies": { "ms": "2.1.2" }
    },
    "node_modules/mocha/node_modules/ms": {
      "version": "2.1.2",
      "dev": true
    },
    "node_modules/ui": {
      "resolved": "packages/ui",
      "link": true
    },
    "packages/ui": {
      "name": "ui",
      "dependencies": { "lodash": "^4.17.15" }
    },
    "node_modules/lodash": {
      "version": "4.17.20"
    }
  }
}
"#;

const UI_PACKAGE_JSON: &str = r#"{
  "name": "ui",
  "dependencies": {
    "lodash": "^4.17.15"
  }
}
"#;

#[test]
fn npm_lock_v3_with_workspaces() {
    let snap = Snapshot::new()
        .with("web/package.json", PACKAGE_JSON)
        .with("web/package-lock.json", LOCK_V3)
        .with("web/packages/ui/package.json", UI_PACKAGE_JSON);
    let a = analyze(&snap);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    let express = dep(&a, "express");
    assert_eq!(express.version.as_deref(), Some("4.17.1"));
    assert!(express.direct);
    assert_eq!(express.scope, Scope::Runtime);
    assert_eq!(express.location, Location::new("web/package-lock.json", 12));
    assert_eq!(
        express.declared_in,
        Some(Location::new("web/package.json", 6))
    );
    assert_eq!(express.requirement.as_deref(), Some("^4.17.0"));

    let qs = dep(&a, "qs");
    assert!(!qs.direct);
    assert_eq!(qs.parents, ["express@4.17.1"]);
    assert_eq!(qs.constraints, ["6.7.0"]);

    // The nested debug resolves under mocha; the hoisted one under express.
    let nested = a.find("debug", "4.3.2").unwrap();
    assert_eq!(nested.parents, ["mocha@9.1.3"]);
    assert_eq!(nested.scope, Scope::Dev);
    let hoisted = a.find("ms", "2.0.0").unwrap();
    assert_eq!(hoisted.parents, ["debug@2.6.9"]);
    assert_eq!(a.find("ms", "2.1.2").unwrap().parents, ["debug@4.3.2"]);

    let mocha = dep(&a, "mocha");
    assert!(mocha.direct);
    assert_eq!(mocha.scope, Scope::Dev);

    // A workspace member's dependency is direct and declared in the member's manifest.
    let lodash = dep(&a, "lodash");
    assert!(lodash.direct);
    assert_eq!(
        lodash.declared_in,
        Some(Location::new("web/packages/ui/package.json", 4))
    );
    // Linked workspace packages are ours, not dependencies.
    assert!(a.dependencies.iter().all(|d| d.name != "ui"));
    assert_eq!(a.dependencies.len(), 8);
}

#[test]
fn npm_lock_v1_nested_tree() {
    let lock = r#"{
  "name": "old",
  "lockfileVersion": 1,
  "dependencies": {
    "minimist": {
      "version": "0.0.8",
      "dev": true
    },
    "mkdirp": {
      "version": "0.5.1",
      "requires": { "minimist": "0.0.8" },
      "dependencies": {
        "minimist": { "version": "0.0.10" }
      }
    },
    "left": { "version": "npm:left-pad@1.3.0" }
  }
}"#;
    let manifest = r#"{ "dependencies": { "mkdirp": "0.5.1", "left": "npm:left-pad@1.3.0" } }"#;
    let snap = Snapshot::new()
        .with("package.json", manifest)
        .with("package-lock.json", lock);
    let a = analyze(&snap);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    let mkdirp = dep(&a, "mkdirp");
    assert!(mkdirp.direct);
    assert_eq!(mkdirp.location.line, 9);
    let nested = a.find("minimist", "0.0.10").unwrap();
    assert_eq!(
        nested.parents,
        ["mkdirp@0.5.1"],
        "nested copy wins for mkdirp"
    );
    let top = a.find("minimist", "0.0.8").unwrap();
    assert!(top.parents.is_empty());
    assert_eq!(top.scope, Scope::Dev);
    assert!(
        dep(&a, "left-pad").direct,
        "aliases resolve to the real package"
    );
}

#[test]
fn npm_manifest_without_lockfile_and_parse_errors() {
    let snap = Snapshot::new()
        .with(
            "a/package.json",
            r#"{"dependencies": {"lodash": "4.17.20", "chalk": "^4"}}"#,
        )
        .with("b/package-lock.json", "{\n  \"packages\": [\n}");
    let a = analyze(&snap);
    assert_eq!(dep(&a, "lodash").version.as_deref(), Some("4.17.20"));
    assert_eq!(dep(&a, "chalk").version, None);
    assert_eq!(dep(&a, "chalk").requirement.as_deref(), Some("^4"));
    assert_eq!(a.problems.len(), 1);
    assert!(a.problems[0]
        .to_string()
        .starts_with("could not parse b/package-lock.json line 3"));
}

const CARGO_TOML: &str = r#"[workspace]
members = ["app"]

[workspace.dependencies]
# Shared versions.
smallvec = "1.6.0"
"#;

const APP_TOML: &str = r#"[package]
name = "app"
version = "0.1.0"

[dependencies]
smallvec = { workspace = true }
time = { version = "0.1.43", features = ["std"] }
local = { path = "../local" }

[dev-dependencies]
tempfile = "3"

[target.'cfg(unix)'.dependencies]
libc = "0.2"
"#;

const CARGO_LOCK: &str = r#"# This file is automatically @generated by Cargo.
version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "libc",
 "smallvec",
 "tempfile",
 "time 0.1.43",
]

[[package]]
name = "libc"
version = "0.2.80"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "smallvec"
version = "1.6.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "tempfile"
version = "3.1.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "time 0.2.0",
]

[[package]]
name = "time"
version = "0.1.43"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "libc",
]

[[package]]
name = "time"
version = "0.2.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

#[test]
fn cargo_workspace_and_lock() {
    let snap = Snapshot::new()
        .with("Cargo.toml", CARGO_TOML)
        .with("app/Cargo.toml", APP_TOML)
        .with("Cargo.lock", CARGO_LOCK);
    let a = analyze(&snap);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    let smallvec = dep(&a, "smallvec");
    assert!(smallvec.direct);
    assert_eq!(smallvec.location, Location::new("Cargo.lock", 20));
    assert_eq!(
        smallvec.declared_in,
        Some(Location::new("app/Cargo.toml", 6))
    );
    assert_eq!(
        smallvec.requirement.as_deref(),
        Some("1.6.0"),
        "inherited from the workspace"
    );
    let old_time = a.find("time", "0.1.43").unwrap();
    assert!(old_time.direct);
    assert_eq!(old_time.scope, Scope::Runtime);
    let new_time = a.find("time", "0.2.0").unwrap();
    assert!(!new_time.direct);
    assert_eq!(new_time.parents, ["tempfile@3.1.0"]);
    assert_eq!(
        new_time.scope,
        Scope::Dev,
        "only reachable through a dev-dependency"
    );
    assert_eq!(dep(&a, "tempfile").scope, Scope::Dev);
    let libc = dep(&a, "libc");
    assert!(libc.direct);
    assert_eq!(libc.parents, ["time@0.1.43"]);
    assert_eq!(libc.declared_in, Some(Location::new("app/Cargo.toml", 14)));
    assert!(a.dependencies.iter().all(|d| d.name != "app"));
}

#[test]
fn cargo_lock_fast_path_agrees_with_toml() {
    let fast = cargo::parse_lock_fast(CARGO_LOCK).unwrap();
    let full = cargo::parse_lock_toml("Cargo.lock", CARGO_LOCK).unwrap();
    assert_eq!(fast, full);
    assert_eq!(fast.len(), 6);
    // A hand-formatted lockfile takes the TOML path and gives the same packages.
    let odd = "version = 3\n[[package]]\nname = 'x'\nversion = \"1.0.0\"\ndependencies = [\"y\"]\n\n[[package]]\nname = \"y\"\nversion = \"2.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    assert!(cargo::parse_lock_fast(odd).is_none());
    let a = analyze(&Snapshot::new().with("Cargo.lock", odd));
    assert!(dep(&a, "y").direct);
    assert_eq!(dep(&a, "y").location.line, 8);
}

#[test]
fn cargo_manifest_without_lock() {
    let snap = Snapshot::new().with(
        "Cargo.toml",
        APP_TOML.replace("{ workspace = true }", "\"=1.6.0\""),
    );
    let a = analyze(&snap);
    assert_eq!(dep(&a, "smallvec").version.as_deref(), Some("1.6.0"));
    assert_eq!(dep(&a, "time").version, None);
    assert_eq!(dep(&a, "time").location.line, 7);
    assert!(
        a.dependencies.iter().all(|d| d.name != "local"),
        "path dependencies are not registry packages"
    );
}

#[test]
fn requirements_with_includes_hashes_markers_and_via() {
    let base = "\
# pinned by pip-compile
flask==2.0.1 \\
    --hash=sha256:aaaa \\
    --hash=sha256:bbbb
    # via -r requirements.in
jinja2==3.0.1
    # via
    #   flask
    #   other
requests[socks]>=2.20,<3 ; python_version >= \"3.7\"
Django (==3.2.4)
-e git+https://example.invalid/x.git#egg=x
urllib3 @ https://example.invalid/urllib3.whl
-r common/extra.txt
";
    let extra = "PyYAML===5.3.1  # inline comment\n";
    let dev = "pytest==6.2.4\n";
    let snap = Snapshot::new()
        .with("requirements.txt", base)
        .with("common/extra.txt", extra)
        .with("requirements-dev.txt", dev);
    let a = analyze(&snap);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    let flask = dep(&a, "flask");
    assert_eq!(flask.version.as_deref(), Some("2.0.1"));
    assert!(flask.direct);
    assert_eq!(flask.location, Location::new("requirements.txt", 2));
    let jinja = dep(&a, "jinja2");
    assert!(!jinja.direct);
    assert_eq!(jinja.parents, ["flask", "other"]);
    let requests = dep(&a, "requests");
    assert_eq!(requests.version, None);
    assert_eq!(requests.requirement.as_deref(), Some(">=2.20,<3"));
    assert_eq!(dep(&a, "django").version.as_deref(), Some("3.2.4"));
    let yaml = dep(&a, "pyyaml");
    assert_eq!(yaml.version.as_deref(), Some("5.3.1"));
    assert_eq!(yaml.location, Location::new("common/extra.txt", 1));
    assert_eq!(dep(&a, "pytest").scope, Scope::Dev);
    assert!(a
        .dependencies
        .iter()
        .all(|d| d.name != "urllib3" && d.name != "x"));
    let parsed = pypi::parse_requirements(base);
    assert_eq!(
        parsed.requirements[0].line, 2,
        "hash continuation lines belong to flask"
    );
    assert_eq!(parsed.includes, ["common/extra.txt"]);
}

#[test]
fn poetry_lock_with_pyproject() {
    let lock = r#"[[package]]
name = "requests"
version = "2.25.1"
description = "HTTP"
optional = false
python-versions = "*"

[package.dependencies]
urllib3 = ">=1.21.1,<1.27"

[[package]]
name = "urllib3"
version = "1.26.4"
optional = false
python-versions = "*"

[[package]]
name = "pytest"
version = "6.2.4"
optional = false
python-versions = "*"

[metadata]
lock-version = "2.0"
"#;
    let pyproject = r#"[tool.poetry]
name = "svc"

[tool.poetry.dependencies]
python = "^3.9"
requests = "^2.25"

[tool.poetry.group.dev.dependencies]
pytest = "^6.2"
"#;
    let snap = Snapshot::new()
        .with("poetry.lock", lock)
        .with("pyproject.toml", pyproject);
    let a = analyze(&snap);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    let requests = dep(&a, "requests");
    assert!(requests.direct);
    assert_eq!(requests.location, Location::new("poetry.lock", 2));
    assert_eq!(
        requests.declared_in,
        Some(Location::new("pyproject.toml", 6))
    );
    assert_eq!(
        requests.requirement.as_deref(),
        Some(">=2.25,<3"),
        "Poetry's ^2.25 as PEP 440"
    );
    let urllib3 = dep(&a, "urllib3");
    assert!(!urllib3.direct);
    assert_eq!(urllib3.parents, ["requests@2.25.1"]);
    assert_eq!(urllib3.constraints, [">=1.21.1,<1.27"]);
    assert_eq!(urllib3.scope, Scope::Runtime);
    assert_eq!(dep(&a, "pytest").scope, Scope::Dev);
}

#[test]
fn go_mod_requires_replaces_and_indirect() {
    let gomod = "module example.com/svc

go 1.21

require github.com/gin-gonic/gin v1.6.0

require (
\tgolang.org/x/net v0.0.0-20210226172049-e18ecbb05110 // indirect
\tgithub.com/docker/docker v20.10.7+incompatible
\texample.com/local v1.0.0
\tgithub.com/old/name v1.2.0
)

replace example.com/local => ../local

replace github.com/old/name v1.2.0 => github.com/new/name v1.3.1
";
    let snap = Snapshot::new()
        .with("svc/go.mod", gomod)
        .with("svc/go.sum", "");
    let a = analyze(&snap);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    let gin = dep(&a, "github.com/gin-gonic/gin");
    assert!(gin.direct);
    assert_eq!(gin.version.as_deref(), Some("v1.6.0"));
    assert_eq!(gin.location, Location::new("svc/go.mod", 5));
    let net = dep(&a, "golang.org/x/net");
    assert!(!net.direct);
    assert_eq!(net.location.line, 8);
    assert_eq!(
        dep(&a, "github.com/docker/docker").version.as_deref(),
        Some("v20.10.7+incompatible")
    );
    assert!(a.dependencies.iter().all(|d| d.name != "example.com/local"));
    assert_eq!(
        dep(&a, "github.com/new/name").version.as_deref(),
        Some("v1.3.1")
    );
    assert_eq!(a.dependencies.len(), 4);
}

const PARENT_POM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project>
  <groupId>com.example</groupId>
  <artifactId>parent</artifactId>
  <version>1.0.0</version>
  <properties>
    <jackson.version>2.9.10</jackson.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.apache.logging.log4j</groupId>
        <artifactId>log4j-core</artifactId>
        <version>2.14.1</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
</project>
"#;

const CHILD_POM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project>
  <parent>
    <groupId>com.example</groupId>
    <artifactId>parent</artifactId>
    <version>1.0.0</version>
  </parent>
  <artifactId>svc</artifactId>
  <dependencies>
    <!-- JSON -->
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>${jackson.version}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
    </dependency>
    <dependency>
      <groupId>junit</groupId>
      <artifactId>junit</artifactId>
      <version>4.12</version>
      <scope>test</scope>
    </dependency>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>sibling</artifactId>
      <version>[1.0,2.0)</version>
    </dependency>
  </dependencies>
</project>
"#;

#[test]
fn maven_properties_management_and_parent() {
    let snap = Snapshot::new()
        .with("pom.xml", PARENT_POM)
        .with("svc/pom.xml", CHILD_POM);
    let a = analyze(&snap);
    assert_eq!(
        a.problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["cannot tell the version of every dependency svc/pom.xml declares (line 26): 1 declaration com.example:sibling `[1.0,2.0)` on line 26; their versions come from outside the repository (a parent POM or imported BOM that is not in it, a property it does not define) or are ranges: give each an exact version in the repository's POMs (a `<version>`, a property or a `dependencyManagement` entry of a POM in it) so that the scan can match it"],
        "a range is never counted as clean"
    );
    let svc: Vec<&Dependency> = a
        .dependencies
        .iter()
        .filter(|d| {
            d.declared_in
                .as_ref()
                .is_some_and(|l| l.file == "svc/pom.xml")
        })
        .collect();
    assert_eq!(svc.len(), 4);
    let jackson = svc
        .iter()
        .find(|d| d.name == "com.fasterxml.jackson.core:jackson-databind")
        .unwrap();
    assert_eq!(jackson.version.as_deref(), Some("2.9.10"));
    assert_eq!(
        jackson.location,
        Location::new("pom.xml", 7),
        "the property that sets it"
    );
    assert_eq!(jackson.declared_in, Some(Location::new("svc/pom.xml", 11)));
    let log4j = svc
        .iter()
        .find(|d| d.name == "org.apache.logging.log4j:log4j-core")
        .unwrap();
    assert_eq!(log4j.version.as_deref(), Some("2.14.1"));
    assert_eq!(log4j.location, Location::new("pom.xml", 14));
    let junit = svc.iter().find(|d| d.name == "junit:junit").unwrap();
    assert_eq!(junit.scope, Scope::Dev);
    assert_eq!(junit.location, Location::new("svc/pom.xml", 23));
    let sibling = svc
        .iter()
        .find(|d| d.name == "com.example:sibling")
        .unwrap();
    assert_eq!(sibling.version, None);
    assert_eq!(sibling.requirement.as_deref(), Some("[1.0,2.0)"));
}

/// A Spring Boot module: the parent is not in the repository, so the starters' versions are not
/// known; a property the repository does not define neither. The repository's own module needs
/// no version of its own.
#[test]
fn maven_versions_from_outside_the_repository_are_a_problem_not_clean() {
    let app = r#"<project>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>2.6.1</version>
  </parent>
  <groupId>com.example</groupId>
  <artifactId>app</artifactId>
  <version>1.0.0</version>
  <dependencies>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-web</artifactId>
    </dependency>
    <dependency>
      <groupId>org.yaml</groupId>
      <artifactId>snakeyaml</artifactId>
      <version>${snakeyaml.version}</version>
    </dependency>
    <dependency>
      <groupId>com.example</groupId>
      <artifactId>core</artifactId>
    </dependency>
    <dependency>
      <groupId>commons-io</groupId>
      <artifactId>commons-io</artifactId>
      <version>2.7</version>
    </dependency>
  </dependencies>
</project>
"#;
    let core = "<project>\n  <groupId>com.example</groupId>\n  <artifactId>core</artifactId>\n  <version>1.0.0</version>\n</project>\n";
    let snap = Snapshot::new()
        .with("app/pom.xml", app)
        .with("core/pom.xml", core);
    let a = analyze(&snap);
    assert_eq!(a.problems.len(), 1, "{:?}", a.problems);
    let text = a.problems[0].to_string();
    assert!(
        text.starts_with("cannot tell the version of every dependency app/pom.xml declares (line 11): 2 declarations org.springframework.boot:spring-boot-starter-web (no version) on line 11, org.yaml:snakeyaml `${snakeyaml.version}` on line 15; the parent POM or imported BOM org.springframework.boot:spring-boot-starter-parent:2.6.1 that would give their versions is neither in the repository nor served by the Maven registry: add a Maven entry that serves it to the agent's registries (`GITPROXY_REGISTRIES`, Helm `registries.maven`), or give each an exact version in the repository's POMs"),
        "{text}"
    );
    assert!(
        !text.contains("core"),
        "the repository's own module: {text}"
    );
    // Every declaration is still listed; the exact one is matched as before.
    assert_eq!(a.dependencies.len(), 4);
    let io = a
        .dependencies
        .iter()
        .find(|d| d.name == "commons-io:commons-io")
        .unwrap();
    assert_eq!(io.version.as_deref(), Some("2.7"));
}

/// A company parent POM from the registry, whose own parent manages versions with properties and
/// imports a BOM: the starters' versions are read from them, a property of the repository's
/// POM overrides the parent's (as Maven interpolates after inheritance), and a version a fetched
/// POM gives has no site in the repository.
#[test]
fn maven_versions_from_fetched_parents_and_boms() {
    let app = r#"<project>
  <parent>
    <groupId>com.example.platform</groupId>
    <artifactId>platform-parent</artifactId>
    <version>3.1.0</version>
    <relativePath/>
  </parent>
  <artifactId>app</artifactId>
  <properties>
    <snakeyaml.version>1.33</snakeyaml.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.apache.commons</groupId>
      <artifactId>commons-text</artifactId>
    </dependency>
    <dependency>
      <groupId>org.yaml</groupId>
      <artifactId>snakeyaml</artifactId>
    </dependency>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
    </dependency>
  </dependencies>
</project>
"#;
    let parent = "<project><parent><groupId>com.example.platform</groupId><artifactId>platform-dependencies</artifactId><version>3.1.0</version></parent><artifactId>platform-parent</artifactId></project>";
    let dependencies = r#"<project>
  <groupId>com.example.platform</groupId>
  <artifactId>platform-dependencies</artifactId>
  <version>3.1.0</version>
  <properties>
    <commons-text.version>1.9</commons-text.version>
    <snakeyaml.version>1.30</snakeyaml.version>
    <jackson-bom.version>2.13.1</jackson-bom.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency><groupId>org.apache.commons</groupId><artifactId>commons-text</artifactId><version>${commons-text.version}</version></dependency>
      <dependency><groupId>org.yaml</groupId><artifactId>snakeyaml</artifactId><version>${snakeyaml.version}</version></dependency>
      <dependency><groupId>com.fasterxml.jackson</groupId><artifactId>jackson-bom</artifactId><version>${jackson-bom.version}</version><type>pom</type><scope>import</scope></dependency>
    </dependencies>
  </dependencyManagement>
</project>"#;
    let bom = "<project><groupId>com.fasterxml.jackson</groupId><artifactId>jackson-bom</artifactId><version>2.13.1</version><properties><jackson.version>2.13.1</jackson.version></properties><dependencyManagement><dependencies><dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>${jackson.version}</version></dependency></dependencies></dependencyManagement></project>";
    let mut snap = Snapshot::new().with("pom.xml", app);
    let a = analyze(&snap);
    assert!(
        a.problems[0]
            .to_string()
            .contains("com.example.platform:platform-parent:3.1.0"),
        "{:?}",
        a.problems
    );
    snap.insert_external("com.example.platform:platform-parent:3.1.0", parent);
    let a = analyze(&snap);
    assert!(
        a.problems[0]
            .to_string()
            .contains("com.example.platform:platform-dependencies:3.1.0"),
        "the grandparent is wanted next: {:?}",
        a.problems
    );
    snap.insert_external(
        "com.example.platform:platform-dependencies:3.1.0",
        dependencies,
    );
    snap.insert_external("com.fasterxml.jackson:jackson-bom:2.13.1", bom);
    let a = analyze(&snap);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    let version = |name: &str| {
        let d = a.dependencies.iter().find(|d| d.name == name).unwrap();
        (d.version.clone().unwrap(), d.location.clone())
    };
    assert_eq!(
        version("org.apache.commons:commons-text"),
        ("1.9".into(), Location::new("pom.xml", 13)),
        "from the fetched grandparent: no site in the repository, so the declaration's line"
    );
    assert_eq!(
        version("org.yaml:snakeyaml"),
        ("1.33".into(), Location::new("pom.xml", 10)),
        "the repository's property overrides the parent's"
    );
    assert_eq!(
        version("com.fasterxml.jackson.core:jackson-databind").0,
        "2.13.1",
        "from the BOM the grandparent imports"
    );
}

#[test]
fn maven_reports_broken_xml() {
    let snap = Snapshot::new().with("pom.xml", "<project>\n<dependencies>\n</project>\n");
    let a = analyze(&snap);
    assert_eq!(a.problems.len(), 1, "{:?}", a.dependencies);
    assert!(a.problems[0]
        .to_string()
        .starts_with("could not parse pom.xml"));
}

#[test]
fn poetry_constraints_convert_to_pep_440() {
    let cases = [
        ("^1.2.3", ">=1.2.3,<2"),
        ("^0.2.3", ">=0.2.3,<0.3"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("~1.2.3", ">=1.2.3,<1.3"),
        ("~1", ">=1,<2"),
        ("1.2.*", "==1.2.*"),
        (">=1, <2", ">=1,<2"),
        ("*", ""),
        ("1.2.3", "==1.2.3"),
    ];
    for (poetry, pep440) in cases {
        assert_eq!(
            pypi::poetry_to_pep440(poetry).as_deref(),
            Some(pep440),
            "{poetry}"
        );
    }
    assert_eq!(pypi::poetry_to_pep440("^1 || ^2"), None);
}

/// Fetching follows the chain round by round (parent, its parent, the BOM it imports) and
/// reports a POM the registry does not publish; the analysis then names it.
#[tokio::test]
async fn maven_parents_are_fetched_round_by_round_and_a_missing_one_is_named() {
    use crate::analysis::maven::{fetch_maven_poms, Fetched};
    use crate::registry::StaticRegistry;
    let app = "<project><parent><groupId>g</groupId><artifactId>parent</artifactId><version>1</version><relativePath/></parent><artifactId>app</artifactId><dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId></dependency><dependency><groupId>x</groupId><artifactId>z</artifactId></dependency></dependencies></project>";
    let registry = StaticRegistry::new()
        .maven_pom("g:parent", "1", "<project><parent><groupId>g</groupId><artifactId>base</artifactId><version>1</version></parent><artifactId>parent</artifactId><dependencyManagement><dependencies><dependency><groupId>g</groupId><artifactId>bom</artifactId><version>2</version><type>pom</type><scope>import</scope></dependency><dependency><groupId>g</groupId><artifactId>gone</artifactId><version>9</version><type>pom</type><scope>import</scope></dependency></dependencies></dependencyManagement></project>")
        .maven_pom("g:base", "1", "<project><groupId>g</groupId><artifactId>base</artifactId><version>1</version><dependencyManagement><dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><version>1.0</version></dependency></dependencies></dependencyManagement></project>")
        .maven_pom("g:bom", "2", "<project><groupId>g</groupId><artifactId>bom</artifactId><version>2</version><dependencyManagement><dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><version>0.1</version></dependency><dependency><groupId>x</groupId><artifactId>z</artifactId><version>3.0</version></dependency></dependencies></dependencyManagement></project>");
    // A POM over the size limit is not kept, and says so.
    let registry = registry.maven_pom(
        "x:huge",
        "huge",
        &"x".repeat(crate::analysis::maven::MAX_POM_BYTES + 1),
    );
    let mut huge = Snapshot::new().with("pom.xml", "<project><parent><groupId>x</groupId><artifactId>huge</artifactId><version>huge</version><relativePath/></parent><artifactId>a</artifactId></project>");
    let fetched = fetch_maven_poms(&mut huge, &registry).await;
    assert_eq!(fetched.added, 0);
    assert_eq!(
        fetched.failed[0].1,
        "its 1048577 bytes exceed the limit of 1048576 bytes for one POM"
    );
    assert_eq!(huge.external_count(), 0);

    let mut snap = Snapshot::new().with("pom.xml", app);
    let fetched = fetch_maven_poms(&mut snap, &registry).await;
    let absent = "the Maven registry does not publish it";
    assert_eq!(
        fetched,
        Fetched {
            added: 3,
            failed: vec![
                ("g:gone:9".into(), absent.into()),
                ("x:y:1.0".into(), absent.into()),
                ("x:z:3.0".into(), absent.into()),
            ],
        },
        "the parents and BOMs first, then the POMs of the dependencies they give versions to"
    );
    assert_eq!(snap.external_count(), 3);
    let a = analyze(&snap);
    let version = |name: &str| {
        a.dependencies
            .iter()
            .find(|d| d.name == name)
            .and_then(|d| d.version.clone())
    };
    assert_eq!(
        version("x:y").as_deref(),
        Some("1.0"),
        "inherited beats imported"
    );
    assert_eq!(version("x:z").as_deref(), Some("3.0"), "from the BOM");
    // Every declared version is known; what the two modules bring is not.
    assert_eq!(
        a.problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["cannot tell the version of every dependency pom.xml declares: part of its dependency tree is unknown: the POM of x:y:1.0 (the Maven registry does not publish it), the POM of x:z:3.0 (the Maven registry does not publish it); a vulnerable module there would not be found, so make the Maven registry (`GITPROXY_REGISTRIES`, Helm `registries.maven`) one that serves every POM of the build, or declare the modules with exact versions"]
    );
}

/// A parent the registry serves as something Maven cannot read is not kept, and the problem of
/// the module names it with why; a `system` dependency's POM is never asked for.
#[tokio::test]
async fn a_fetched_parent_that_is_not_xml_is_named_with_why() {
    use crate::analysis::maven::fetch_maven_poms;
    use crate::registry::StaticRegistry;
    let app = "<project><parent><groupId>g</groupId><artifactId>bad</artifactId><version>1</version><relativePath/></parent><artifactId>app</artifactId><dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId></dependency><dependency><groupId>x</groupId><artifactId>tools</artifactId><version>1.0</version><scope>system</scope><systemPath>/opt/tools.jar</systemPath></dependency></dependencies></project>";
    let registry = StaticRegistry::new().maven_pom("g:bad", "1", "<html>not found");
    let mut snap = Snapshot::new().with("pom.xml", app);
    let fetched = fetch_maven_poms(&mut snap, &registry).await;
    assert_eq!(fetched.added, 0);
    assert_eq!(
        fetched.failed.len(),
        1,
        "only the parent is asked for: {fetched:?}"
    );
    assert!(
        fetched.failed[0]
            .1
            .starts_with("the registry's POM is not XML Maven reads"),
        "{fetched:?}"
    );
    let a = analyze(&snap);
    let text = a.problems[0].to_string();
    assert!(
        text.contains("x:y (no version) on line 1")
            && text.contains("g:bad:1 (the registry's POM is not XML Maven reads"),
        "{text}"
    );
}
