//! Tests for formatting-preserving edits in every ecosystem, driven by real plans.

use super::*;
use crate::advisories::AdvisoryDb;
use crate::analysis::analyze;
use crate::osv::Record;
use crate::plan::{plan, PlanOptions, StaticRegistry};

fn db(records: &[(&str, &str, &str, &str)]) -> AdvisoryDb {
    let mut db = AdvisoryDb::new();
    for (id, eco, name, fixed) in records {
        let kind = if *eco == "PyPI" || *eco == "Maven" {
            "ECOSYSTEM"
        } else {
            "SEMVER"
        };
        let json = format!(
            r#"{{"id": "{id}", "summary": "bad {name}", "affected": [{{"package": {{"ecosystem": "{eco}", "name": "{name}"}},
            "ranges": [{{"type": "{kind}", "events": [{{"introduced": "0"}}, {{"fixed": "{fixed}"}}]}}]}}]}}"#
        );
        db.insert(Record::from_json("t", json.as_bytes()).unwrap());
    }
    db
}

async fn edits(snapshot: &Snapshot, db: &AdvisoryDb, registry: &StaticRegistry) -> (Plan, EditSet) {
    let analysis = analyze(snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    let findings = db.scan(&analysis);
    let plan = plan(
        &analysis,
        &findings,
        db,
        registry,
        &PlanOptions::recommended(),
    )
    .await
    .unwrap();
    let set = apply(&plan, &analysis, snapshot, registry).await.unwrap();
    (plan, set)
}

const PACKAGE_JSON: &str = r#"{
  "name": "web",
  "dependencies": {
    "express": "^4.17.0",
    "lodash": "4.17.20"
  }
}
"#;

const LOCK: &str = r#"{
  "name": "web",
  "lockfileVersion": 2,
  "packages": {
    "": {
      "dependencies": {
        "express": "^4.17.0",
        "lodash": "4.17.20"
      }
    },
    "node_modules/express": {
      "version": "4.17.1",
      "dependencies": {
        "minimist": "^1.2.0",
        "qs": "~6.7.0"
      }
    },
    "node_modules/lodash": {
      "version": "4.17.20",
      "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz",
      "integrity": "sha512-OLD"
    },
    "node_modules/minimist": {
      "version": "1.2.5",
      "resolved": "https://registry.npmjs.org/minimist/-/minimist-1.2.5.tgz",
      "integrity": "sha512-OLDMIN"
    },
    "node_modules/qs": {
      "version": "6.7.0",
      "resolved": "https://registry.npmjs.org/qs/-/qs-6.7.0.tgz",
      "integrity": "sha512-OLDQS"
    }
  },
  "dependencies": {
    "minimist": {
      "version": "1.2.5",
      "resolved": "https://registry.npmjs.org/minimist/-/minimist-1.2.5.tgz",
      "integrity": "sha512-OLDMIN"
    }
  }
}
"#;

#[tokio::test]
async fn npm_lockfile_manifest_and_override_edits() {
    let snapshot = Snapshot::new()
        .with("package.json", PACKAGE_JSON)
        .with("package-lock.json", LOCK);
    let db = db(&[
        ("A1", "npm", "lodash", "4.17.21"),
        ("A2", "npm", "minimist", "1.2.6"),
        ("A3", "npm", "qs", "6.9.0"),
    ]);
    let reg = StaticRegistry::new()
        .publish(
            Ecosystem::Npm,
            "lodash",
            "4.17.21",
            &[(None, "sha512-NEWLO")],
        )
        .publish(
            Ecosystem::Npm,
            "minimist",
            "1.2.6",
            &[(None, "sha512-NEWMIN")],
        )
        .publish(Ecosystem::Npm, "qs", "6.9.0", &[(None, "sha512-NEWQS")]);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    let tiers: Vec<(&str, Tier)> = plan
        .fixes
        .iter()
        .map(|f| (f.name.as_str(), f.tier))
        .collect();
    assert_eq!(
        tiers,
        [
            ("lodash", Tier::ManifestBump),
            ("minimist", Tier::LockfileUpdate),
            ("qs", Tier::Override)
        ]
    );
    assert_eq!(
        set.files["package.json"],
        r#"{
  "name": "web",
  "dependencies": {
    "express": "^4.17.0",
    "lodash": "4.17.21"
  },
  "overrides": {
    "qs": "6.9.0"
  }
}
"#
    );
    let lock = &set.files["package-lock.json"];
    let expected = LOCK
        .replace("\"lodash\": \"4.17.20\"", "\"lodash\": \"4.17.21\"")
        .replace("\"version\": \"4.17.20\"", "\"version\": \"4.17.21\"")
        .replace("lodash-4.17.20.tgz", "lodash-4.17.21.tgz")
        .replace("sha512-OLD\"", "sha512-NEWLO\"")
        .replace("\"version\": \"1.2.5\"", "\"version\": \"1.2.6\"")
        .replace("minimist-1.2.5.tgz", "minimist-1.2.6.tgz")
        .replace("sha512-OLDMIN", "sha512-NEWMIN")
        .replace("\"version\": \"6.7.0\"", "\"version\": \"6.9.0\"")
        .replace("qs-6.7.0.tgz", "qs-6.9.0.tgz")
        .replace("sha512-OLDQS", "sha512-NEWQS");
    assert_eq!(lock, &expected);
    assert!(
        set.needs_package_manager,
        "overrides need npm install to settle"
    );
}

#[tokio::test]
async fn npm_without_integrity_leaves_the_lockfile_and_says_so() {
    let snapshot = Snapshot::new()
        .with("package.json", PACKAGE_JSON)
        .with("package-lock.json", LOCK);
    let db = db(&[("A1", "npm", "lodash", "4.17.21")]);
    let reg = StaticRegistry::new().publish(Ecosystem::Npm, "lodash", "4.17.21", &[]);
    let (_, set) = edits(&snapshot, &db, &reg).await;
    assert!(set.files["package.json"].contains("\"lodash\": \"4.17.21\""));
    assert!(!set.files.contains_key("package-lock.json"));
    assert!(set.needs_package_manager);
    assert!(
        set.notes
            .iter()
            .any(|n| n.contains("npm install --package-lock-only")),
        "{:?}",
        set.notes
    );
}

#[tokio::test]
async fn cargo_workspace_manifest_and_lock_edits_keep_comments() {
    let root = "[workspace]\nmembers = [\"app\"]\n\n[workspace.dependencies]\n# Pinned for MSRV.\nsmallvec = \"1.6.0\" # keep\n";
    let app = "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[dependencies]\nsmallvec = { workspace = true }\ntime = { version = \"=0.1.43\", default-features = false }\n";
    let lock = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"smallvec\",\n \"time 0.1.43\",\n]\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"aaaa\"\n\n[[package]]\nname = \"time\"\nversion = \"0.1.43\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"bbbb\"\n\n[[package]]\nname = \"time\"\nversion = \"0.3.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"cccc\"\n";
    let snapshot = Snapshot::new()
        .with("Cargo.toml", root)
        .with("app/Cargo.toml", app)
        .with("Cargo.lock", lock);
    // smallvec 1.6.1 fits the existing "1.6.0" requirement: lockfile only. time needs 0.1.44,
    // outside `=0.1.43`: the manifest changes too.
    let db = db(&[
        ("R1", "crates.io", "smallvec", "1.6.1"),
        ("R2", "crates.io", "time", "0.1.44"),
    ]);
    let reg = StaticRegistry::new()
        .publish(Ecosystem::CratesIo, "smallvec", "1.6.1", &[(None, "dddd")])
        .publish(Ecosystem::CratesIo, "time", "0.1.44", &[(None, "eeee")]);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    let tiers: Vec<(&str, Tier)> = plan
        .fixes
        .iter()
        .map(|f| (f.name.as_str(), f.tier))
        .collect();
    assert_eq!(
        tiers,
        [
            ("smallvec", Tier::LockfileUpdate),
            ("time", Tier::ManifestBump)
        ]
    );
    assert!(
        !set.files.contains_key("Cargo.toml"),
        "the workspace requirement already allows 1.6.1"
    );
    assert_eq!(
        set.files["app/Cargo.toml"],
        app.replace("\"=0.1.43\"", "\"=0.1.44\"")
    );
    let expected = lock
        .replace("\"time 0.1.43\"", "\"time 0.1.44\"")
        .replace("version = \"1.6.0\"", "version = \"1.6.1\"")
        .replace("checksum = \"aaaa\"", "checksum = \"dddd\"")
        .replace("version = \"0.1.43\"", "version = \"0.1.44\"")
        .replace("checksum = \"bbbb\"", "checksum = \"eeee\"");
    assert_eq!(set.files["Cargo.lock"], expected);
}

#[tokio::test]
async fn cargo_inherited_bump_edits_the_workspace_root() {
    let root = "[workspace]\nmembers = [\"app\"]\n\n[workspace.dependencies]\n# Pinned for MSRV.\nsmallvec = \"=1.6.0\" # keep\n";
    let app = "[package]\nname = \"app\"\n\n[dependencies]\nsmallvec = { workspace = true }\n";
    let snapshot = Snapshot::new()
        .with("Cargo.toml", root)
        .with("app/Cargo.toml", app);
    let analysis = analyze(&snapshot);
    let fix = PackageFix {
        ecosystem: Ecosystem::CratesIo,
        name: "smallvec".into(),
        from: "1.6.0".into(),
        to: "1.6.1".into(),
        breaking: false,
        tier: Tier::ManifestBump,
        dependencies: vec![analysis
            .dependencies
            .iter()
            .position(|d| d.location.file == "app/Cargo.toml")
            .unwrap()],
        advisories: vec!["R1".into()],
        locations: Vec::new(),
        notes: Vec::new(),
    };
    let set = apply_fix(&fix, &analysis, &snapshot, &StaticRegistry::new())
        .await
        .unwrap();
    assert_eq!(
        set.files["Cargo.toml"],
        root.replace("\"=1.6.0\"", "\"=1.6.1\"")
    );
    assert!(!set.files.contains_key("app/Cargo.toml"));
}

#[tokio::test]
async fn requirements_pins_and_hashes() {
    let reqs = "# top comment\nflask==2.0.1 \\\n    --hash=sha256:aaaa \\\n    --hash=sha256:bbbb\n    # via -r requirements.in\nrequests==2.25.1  # pinned\n";
    let snapshot = Snapshot::new().with("requirements.txt", reqs);
    let db = db(&[
        ("P1", "PyPI", "flask", "2.2.5"),
        ("P2", "PyPI", "requests", "2.31.0"),
    ]);
    let reg = StaticRegistry::new()
        .publish(
            Ecosystem::PyPI,
            "flask",
            "2.2.5",
            &[
                (Some("Flask-2.2.5-py3-none-any.whl"), "sha256:cccc"),
                (Some("Flask-2.2.5.tar.gz"), "sha256:dddd"),
            ],
        )
        .publish(Ecosystem::PyPI, "requests", "2.31.0", &[]);
    let (_, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(
        set.files["requirements.txt"],
        "# top comment\nflask==2.2.5 \\\n    --hash=sha256:cccc \\\n    --hash=sha256:dddd\n    # via -r requirements.in\nrequests==2.31.0  # pinned\n"
    );
    assert!(!set.needs_package_manager);
}

#[tokio::test]
async fn poetry_lock_version_and_files() {
    let lock = "[[package]]\nname = \"urllib3\"\nversion = \"1.26.4\"\noptional = false\nfiles = [\n    {file = \"urllib3-1.26.4.tar.gz\", hash = \"sha256:old\"},\n]\n\n[[package]]\nname = \"idna\"\nversion = \"2.10\"\n";
    let snapshot = Snapshot::new().with("poetry.lock", lock);
    let db = db(&[("P1", "PyPI", "urllib3", "1.26.5")]);
    let reg = StaticRegistry::new().publish(
        Ecosystem::PyPI,
        "urllib3",
        "1.26.5",
        &[(Some("urllib3-1.26.5.tar.gz"), "sha256:new")],
    );
    let (_, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(
        set.files["poetry.lock"],
        "[[package]]\nname = \"urllib3\"\nversion = \"1.26.5\"\noptional = false\nfiles = [\n    {file = \"urllib3-1.26.5.tar.gz\", hash = \"sha256:new\"},\n]\n\n[[package]]\nname = \"idna\"\nversion = \"2.10\"\n"
    );
}

#[tokio::test]
async fn go_mod_and_go_sum() {
    let gomod = "module example.com/m\n\ngo 1.21\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.6.0 // web\n\tgolang.org/x/text v0.3.5 // indirect\n)\n";
    let gosum = "github.com/gin-gonic/gin v1.6.0 h1:old\ngithub.com/gin-gonic/gin v1.6.0/go.mod h1:oldmod\ngolang.org/x/text v0.3.5 h1:t\ngolang.org/x/text v0.3.5/go.mod h1:tm\n";
    let snapshot = Snapshot::new().with("go.mod", gomod).with("go.sum", gosum);
    let db = db(&[("G1", "Go", "github.com/gin-gonic/gin", "1.9.1")]);
    let reg = StaticRegistry::new().publish(
        Ecosystem::Go,
        "github.com/gin-gonic/gin",
        "v1.9.1",
        &[(None, "h1:new"), (Some("go.mod"), "h1:newmod")],
    );
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(plan.fixes[0].tier, Tier::ManifestBump);
    assert_eq!(
        set.files["go.mod"],
        gomod.replace("gin v1.6.0 // web", "gin v1.9.1 // web")
    );
    assert_eq!(
        set.files["go.sum"],
        "github.com/gin-gonic/gin v1.9.1 h1:new\ngithub.com/gin-gonic/gin v1.9.1/go.mod h1:newmod\ngolang.org/x/text v0.3.5 h1:t\ngolang.org/x/text v0.3.5/go.mod h1:tm\n"
    );
}

#[tokio::test]
async fn maven_property_managed_and_bom_pins() {
    let parent = "<project>\n  <properties>\n    <jackson.version>2.9.10</jackson.version> <!-- JSON -->\n  </properties>\n  <dependencyManagement>\n    <dependencies>\n      <dependency>\n        <groupId>org.apache.logging.log4j</groupId>\n        <artifactId>log4j-core</artifactId>\n        <version>2.14.1</version>\n      </dependency>\n    </dependencies>\n  </dependencyManagement>\n</project>\n";
    let child = "<project>\n  <parent><artifactId>p</artifactId></parent>\n  <dependencies>\n    <dependency>\n      <groupId>com.fasterxml.jackson.core</groupId>\n      <artifactId>jackson-databind</artifactId>\n      <version>${jackson.version}</version>\n    </dependency>\n    <dependency>\n      <groupId>org.apache.logging.log4j</groupId>\n      <artifactId>log4j-core</artifactId>\n    </dependency>\n  </dependencies>\n</project>\n";
    let snapshot = Snapshot::new()
        .with("pom.xml", parent)
        .with("svc/pom.xml", child);
    let db = db(&[
        (
            "M1",
            "Maven",
            "com.fasterxml.jackson.core:jackson-databind",
            "2.9.10.8",
        ),
        (
            "M2",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            "2.17.1",
        ),
    ]);
    let reg = StaticRegistry::new()
        .publish(
            Ecosystem::Maven,
            "com.fasterxml.jackson.core:jackson-databind",
            "2.9.10.8",
            &[],
        )
        .publish(
            Ecosystem::Maven,
            "org.apache.logging.log4j:log4j-core",
            "2.17.1",
            &[],
        );
    let (_, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(
        set.files["pom.xml"],
        parent
            .replace(">2.9.10<", ">2.9.10.8<")
            .replace(">2.14.1<", ">2.17.1<")
    );
    assert!(!set.files.contains_key("svc/pom.xml"));

    // A version that comes from outside the repository is pinned with dependencyManagement.
    let lone = "<project>\n  <dependencies>\n    <dependency>\n      <groupId>org.apache.logging.log4j</groupId>\n      <artifactId>log4j-core</artifactId>\n      <version>2.14.1</version>\n    </dependency>\n  </dependencies>\n</project>\n";
    let snapshot = Snapshot::new().with("pom.xml", lone);
    let analysis = analyze(&snapshot);
    let mut pom = read_pom(&snapshot, "pom.xml", 0).unwrap();
    assert!(pom.dependencies[0].version_site.is_some());
    pom.dependencies[0].version_site = None;
    let mut work = Work {
        snapshot: snapshot.clone(),
        out: EditSet::default(),
    };
    let fix = PackageFix {
        ecosystem: Ecosystem::Maven,
        name: "org.apache.logging.log4j:log4j-core".into(),
        from: "2.14.1".into(),
        to: "2.17.1".into(),
        breaking: false,
        tier: Tier::Override,
        dependencies: vec![0],
        advisories: Vec::new(),
        locations: Vec::new(),
        notes: Vec::new(),
    };
    maven(&mut work, &fix, &analysis.dependencies[0]).unwrap();
    assert_eq!(
        work.out.files["pom.xml"],
        lone.replace(">2.14.1<", ">2.17.1<")
    );
}

#[test]
fn requirements_keep_their_operator() {
    assert_eq!(bumped_requirement("^4.17.0", "4.17.21"), "^4.17.21");
    assert_eq!(bumped_requirement("~=1.4", "1.5.2"), "~=1.5.2");
    assert_eq!(bumped_requirement("=0.1.43", "0.1.44"), "=0.1.44");
    assert_eq!(bumped_requirement("4.17.20", "4.17.21"), "4.17.21");
}

#[test]
fn npm_overrides_extend_or_replace_existing_entries() {
    let manifest =
        "{\n    \"name\": \"x\",\n    \"overrides\": {\n        \"a\": \"1.0.0\"\n    }\n}\n";
    let mut work = Work {
        snapshot: Snapshot::new().with("package.json", manifest),
        out: EditSet::default(),
    };
    npm_override(&mut work, "package.json", "b", "2.0.0").unwrap();
    npm_override(&mut work, "package.json", "a", "1.1.0").unwrap();
    assert_eq!(
        work.out.files["package.json"],
        "{\n    \"name\": \"x\",\n    \"overrides\": {\n        \"a\": \"1.1.0\",\n        \"b\": \"2.0.0\"\n    }\n}\n"
    );
}

#[tokio::test]
async fn cargo_parents_that_cannot_move_leave_the_lockfile_alone() {
    let lock = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"hyper\",\n]\n\n[[package]]\nname = \"hyper\"\nversion = \"0.14.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\n \"h2\",\n]\n\n[[package]]\nname = \"h2\"\nversion = \"0.2.7\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    let snapshot = Snapshot::new().with("Cargo.lock", lock);
    let db = db(&[("R1", "crates.io", "h2", "0.3.24")]);
    let reg = StaticRegistry::new().publish(Ecosystem::CratesIo, "h2", "0.3.24", &[(None, "ffff")]);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(plan.fixes[0].tier, Tier::Override);
    assert!(plan.fixes[0].breaking);
    assert!(set.files.is_empty());
    assert!(set.needs_package_manager);
    assert!(
        set.notes
            .iter()
            .any(|n| n.contains("upgrade hyper@0.14.0 and run `cargo update`")),
        "{:?}",
        set.notes
    );
}

#[tokio::test]
async fn poetry_major_bumps_raise_the_pyproject_constraint() {
    let pyproject = "[tool.poetry]\nname = \"svc\"\n\n[tool.poetry.dependencies]\npython = \"^3.9\"\nurllib3 = { version = \"^1.26\", optional = true } # HTTP\n";
    let lock =
        "[[package]]\nname = \"urllib3\"\nversion = \"1.26.4\"\noptional = false\nfiles = []\n";
    let snapshot = Snapshot::new()
        .with("pyproject.toml", pyproject)
        .with("poetry.lock", lock);
    let db = db(&[("P1", "PyPI", "urllib3", "2.0.7")]);
    let reg = StaticRegistry::new().publish(
        Ecosystem::PyPI,
        "urllib3",
        "2.0.7",
        &[(Some("urllib3-2.0.7.tar.gz"), "sha256:n")],
    );
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(
        plan.fixes[0].tier,
        Tier::ManifestBump,
        "^1.26 excludes 2.0.7"
    );
    assert!(plan.fixes[0].breaking);
    assert_eq!(
        set.files["pyproject.toml"],
        pyproject.replace("\"^1.26\"", "\"^2.0.7\"")
    );
    assert!(set.files["poetry.lock"].contains("version = \"2.0.7\""));
    assert!(
        set.files["poetry.lock"].contains("{file = \"urllib3-2.0.7.tar.gz\", hash = \"sha256:n\"}")
    );
    assert!(set.needs_package_manager);
    assert!(
        set.notes.iter().any(|n| n.contains("content-hash")),
        "{:?}",
        set.notes
    );
}
