//! `pom.xml` fixes checked by Maven itself: Debian's Maven 3.8 with its
//! maven-dependency-plugin 3.5 (installed by `cargo xtask test`) resolves each fixed project's
//! dependencies (`dependency:resolve`: the graph, then every artifact downloaded) from a loopback
//! stand-in of a Maven repository, and the resolved list must hold the fixed version (and only
//! the modules the fix meant to move must move).
//!
//! The stand-in serves Debian's Maven repository (`/usr/share/maven-repo`: the plugin and its
//! dependencies, and the real commons-text 1.10.0 POM as Debian ships it) plus a few entries
//! written here, because Maven Central is not reachable from where these tests were written:
//! `maven-metadata.xml` of commons-text and of the Jackson modules listing the versions Central
//! publishes around the fixes, and POMs of jackson-databind 2.13.1 and 2.13.2.1, jackson-core
//! and jackson-annotations 2.13.1 and 2.13.2 with their published dependencies (without their
//! parent POMs, which add nothing the resolution reads) and jars holding only a manifest. jackson-databind 2.13.2.1 is a patch release
//! of databind alone: there is no jackson-core 2.13.2.1, which is what the shared-property case
//! is about.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use gitproxy_remediation::analysis::maven::fetch_maven_poms;
use gitproxy_remediation::analysis::{analyze, Scope};
use gitproxy_remediation::files::Snapshot;
use gitproxy_remediation::local::{fix_dir, LocalPlan};
use gitproxy_remediation::plan::PlanOptions;
use gitproxy_remediation::registry::{CachedRegistry, HttpRegistry, RegistryUrls};
use gitproxy_remediation::{Ecosystem, ScanOptions};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::registry::StandIn;

/// Debian's Maven repository, which the `maven` and `libmaven-dependency-plugin-java` packages
/// fill.
const DEBIAN_REPO: &str = "/usr/share/maven-repo";
const TEXT: &str = "org.apache.commons:commons-text";
const DATABIND: &str = "com.fasterxml.jackson.core:jackson-databind";

fn metadata(group: &str, artifact: &str, versions: &[&str]) -> Vec<u8> {
    let list: String = versions
        .iter()
        .map(|v| format!("      <version>{v}</version>\n"))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata>\n  <groupId>{group}</groupId>\n  <artifactId>{artifact}</artifactId>\n  <versioning>\n    <latest>{last}</latest>\n    <release>{last}</release>\n    <versions>\n{list}    </versions>\n    <lastUpdated>20220330000000</lastUpdated>\n  </versioning>\n</metadata>\n",
        last = versions.last().copied().unwrap_or_default()
    )
    .into_bytes()
}

fn jackson_pom(artifact: &str, version: &str, deps: &[(&str, &str)]) -> Vec<u8> {
    let deps: String = deps
        .iter()
        .map(|(a, v)| {
            format!(
                "    <dependency>\n      <groupId>com.fasterxml.jackson.core</groupId>\n      <artifactId>{a}</artifactId>\n      <version>{v}</version>\n    </dependency>\n"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>com.fasterxml.jackson.core</groupId>\n  <artifactId>{artifact}</artifactId>\n  <version>{version}</version>\n  <packaging>jar</packaging>\n  <dependencies>\n{deps}  </dependencies>\n</project>\n"
    )
    .into_bytes()
}

/// A jar of the stand-in: a zip with only a manifest (Maven downloads it, nothing opens it for
/// classes).
fn jar() -> Vec<u8> {
    crate::registry::stored_zip(&[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n\r\n")])
}

/// The entries written here (see the module documentation), under `/maven2/`.
fn routes() -> BTreeMap<String, Vec<u8>> {
    let mut r = BTreeMap::new();
    let jackson = "/maven2/com/fasterxml/jackson/core";
    r.insert(
        "/maven2/org/apache/commons/commons-text/maven-metadata.xml".into(),
        metadata(
            "org.apache.commons",
            "commons-text",
            &[
                "1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "1.10.0",
            ],
        ),
    );
    r.insert(
        format!("{jackson}/jackson-databind/maven-metadata.xml"),
        metadata(
            "com.fasterxml.jackson.core",
            "jackson-databind",
            &["2.13.0", "2.13.1", "2.13.2", "2.13.2.1", "2.13.2.2"],
        ),
    );
    for artifact in ["jackson-core", "jackson-annotations"] {
        r.insert(
            format!("{jackson}/{artifact}/maven-metadata.xml"),
            metadata(
                "com.fasterxml.jackson.core",
                artifact,
                &["2.13.0", "2.13.1", "2.13.2"],
            ),
        );
        for v in ["2.13.1", "2.13.2"] {
            r.insert(
                format!("{jackson}/{artifact}/{v}/{artifact}-{v}.pom"),
                jackson_pom(artifact, v, &[]),
            );
            r.insert(
                format!("{jackson}/{artifact}/{v}/{artifact}-{v}.jar"),
                jar(),
            );
        }
    }
    for (v, with) in [("2.13.1", "2.13.1"), ("2.13.2.1", "2.13.2")] {
        r.insert(
            format!("{jackson}/jackson-databind/{v}/jackson-databind-{v}.pom"),
            jackson_pom(
                "jackson-databind",
                v,
                &[("jackson-annotations", with), ("jackson-core", with)],
            ),
        );
        r.insert(
            format!("{jackson}/jackson-databind/{v}/jackson-databind-{v}.jar"),
            jar(),
        );
    }
    // A company parent POM whose own parent manages versions with properties and imports
    // Jackson's BOM, as Spring Boot's parent does; commons-text 1.9 for the tree before the fix
    // (its POM names the commons-lang3 the stand-in has, 3.12.0; the published one names 3.11).
    let platform = "/maven2/com/example/platform";
    r.insert(
        format!("{platform}/platform-parent/3.1.0/platform-parent-3.1.0.pom"),
        PLATFORM_PARENT.as_bytes().to_vec(),
    );
    r.insert(
        format!("{platform}/platform-dependencies/3.1.0/platform-dependencies-3.1.0.pom"),
        PLATFORM_DEPENDENCIES.as_bytes().to_vec(),
    );
    r.insert(
        "/maven2/com/fasterxml/jackson/jackson-bom/2.13.1/jackson-bom-2.13.1.pom".into(),
        JACKSON_BOM.as_bytes().to_vec(),
    );
    r.insert(
        "/maven2/org/apache/commons/commons-text/1.9/commons-text-1.9.pom".into(),
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>org.apache.commons</groupId>\n  <artifactId>commons-text</artifactId>\n  <version>1.9</version>\n  <dependencies>\n    <dependency>\n      <groupId>org.apache.commons</groupId>\n      <artifactId>commons-lang3</artifactId>\n      <version>3.12.0</version>\n    </dependency>\n  </dependencies>\n</project>\n".to_vec(),
    );
    r.insert(
        "/maven2/org/apache/commons/commons-text/1.9/commons-text-1.9.jar".into(),
        jar(),
    );
    r
}

const PLATFORM_PARENT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>com.example.platform</groupId>
    <artifactId>platform-dependencies</artifactId>
    <version>3.1.0</version>
  </parent>
  <artifactId>platform-parent</artifactId>
  <packaging>pom</packaging>
</project>
"#;

const PLATFORM_DEPENDENCIES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example.platform</groupId>
  <artifactId>platform-dependencies</artifactId>
  <version>3.1.0</version>
  <packaging>pom</packaging>
  <properties>
    <commons-text.version>1.9</commons-text.version>
    <jackson-bom.version>2.13.1</jackson-bom.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.apache.commons</groupId>
        <artifactId>commons-text</artifactId>
        <version>${commons-text.version}</version>
      </dependency>
      <dependency>
        <groupId>com.fasterxml.jackson</groupId>
        <artifactId>jackson-bom</artifactId>
        <version>${jackson-bom.version}</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
</project>
"#;

const JACKSON_BOM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.fasterxml.jackson</groupId>
  <artifactId>jackson-bom</artifactId>
  <version>2.13.1</version>
  <packaging>pom</packaging>
  <properties>
    <jackson.version>2.13.1</jackson.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>com.fasterxml.jackson.core</groupId>
        <artifactId>jackson-annotations</artifactId>
        <version>${jackson.version}</version>
      </dependency>
      <dependency>
        <groupId>com.fasterxml.jackson.core</groupId>
        <artifactId>jackson-core</artifactId>
        <version>${jackson.version}</version>
      </dependency>
      <dependency>
        <groupId>com.fasterxml.jackson.core</groupId>
        <artifactId>jackson-databind</artifactId>
        <version>${jackson.version}</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
</project>
"#;

/// A Maven repository stand-in: the routes above, then Debian's repository.
async fn repository() -> StandIn {
    StandIn::start_with_files(routes(), "/maven2/", PathBuf::from(DEBIAN_REPO)).await
}

async fn plan(dir: &Path, repo: &StandIn) -> LocalPlan {
    let db = crate::fixed_in_db(
        "maven-tools",
        &[
            ("GHSA-599f-7c49-w659", "Maven", TEXT, "1.10.0"),
            ("GHSA-57j2-w4cx-62h2", "Maven", DATABIND, "2.13.2.1"),
        ],
    );
    let urls = RegistryUrls::none()
        .with(Ecosystem::Maven, &format!("http://{}/maven2/", repo.addr))
        .expect("url");
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), urls));
    fix_dir(
        dir,
        &db,
        &registry,
        &PlanOptions::recommended(),
        "gitproxy/security/",
        &ScanOptions::default(),
    )
    .await
    .expect("plan")
}

/// Writes `files` (path -> text) under `dir`.
fn write_all(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(path, text).expect("write");
    }
}

/// Writes the one fix of `package` in `plan` into `dir` and returns its files.
fn apply(dir: &Path, plan: &LocalPlan, package: &str) -> BTreeMap<String, String> {
    let fix = plan
        .fixes
        .iter()
        .find(|f| f.package == package)
        .unwrap_or_else(|| panic!("no fix of {package}: {plan:#?}"));
    for (path, text) in &fix.files {
        std::fs::write(dir.join(path), text).expect("write");
    }
    fix.files.clone()
}

/// Runs `mvn dependency:resolve` in `dir` against the stand-in, with a local repository of its
/// own: Maven collects the dependency graph (nearest version wins) and downloads every artifact
/// of it, so a version that does not exist fails the build. Returns whether Maven succeeded,
/// and its output.
async fn resolve(dir: &Path, repo: &StandIn) -> (bool, String) {
    maven(dir, repo, "resolve", "resolved.txt").await
}

/// `mvn dependency:list` (with the scope of each module) into `list.txt`.
async fn list(dir: &Path, repo: &StandIn) -> (bool, String) {
    maven(dir, repo, "list", "list.txt").await
}

/// Runs the maven-dependency-plugin's `goal` in `dir` against the stand-in with a local
/// repository of its own, writing `output`; returns whether Maven succeeded, and its output.
async fn maven(dir: &Path, repo: &StandIn, goal: &str, output: &str) -> (bool, String) {
    let home = tempfile::tempdir().expect("tempdir");
    let settings = home.path().join("settings.xml");
    std::fs::write(
        &settings,
        format!(
            "<settings>\n  <mirrors>\n    <mirror>\n      <id>stand-in</id>\n      <mirrorOf>*</mirrorOf>\n      <url>http://{}/maven2/</url>\n    </mirror>\n  </mirrors>\n</settings>\n",
            repo.addr
        ),
    )
    .expect("settings");
    let out = tokio::process::Command::new("mvn")
        .args(["-B", "-s"])
        .arg(&settings)
        .arg(format!(
            "-Dmaven.repo.local={}",
            home.path().join("m2").display()
        ))
        .arg(format!(
            "org.apache.maven.plugins:maven-dependency-plugin:3.5.0:{goal}"
        ))
        .arg(format!("-DoutputFile={output}"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run mvn (cargo xtask test installs maven): {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Resolves and fails the test unless Maven accepts the project; returns the list of resolved
/// artifacts of `module` (a directory under `dir`, `.` for the root).
async fn resolved(dir: &Path, repo: &StandIn, module: &str) -> String {
    let (ok, output) = resolve(dir, repo).await;
    assert!(ok, "Maven refused the project:\n{output}");
    std::fs::read_to_string(dir.join(module).join("resolved.txt")).expect("resolved.txt")
}

const PROPERTY_POM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>templates</artifactId>
  <version>1.0.0</version>
  <properties>
    <commons-text.version>1.9</commons-text.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.apache.commons</groupId>
      <artifactId>commons-text</artifactId>
      <version>${commons-text.version}</version>
    </dependency>
  </dependencies>
</project>
"#;

/// A version written in a property moves there, and Maven resolves the fixed release.
#[tokio::test]
async fn maven_resolves_a_property_bump() {
    let repo = repository().await;
    let work = tempfile::tempdir().expect("tempdir");
    write_all(work.path(), &[("pom.xml", PROPERTY_POM)]);
    let planned = plan(work.path(), &repo).await;
    assert!(planned.problems.is_empty(), "{:?}", planned.problems);
    let files = apply(work.path(), &planned, TEXT);
    assert_eq!(files["pom.xml"], PROPERTY_POM.replace(">1.9<", ">1.10.0<"));
    let tree = resolved(work.path(), &repo, ".").await;
    assert!(
        tree.contains("org.apache.commons:commons-text:jar:1.10.0:compile"),
        "{tree}"
    );
}

const ROOT_POM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>platform</artifactId>
  <version>1.0.0</version>
  <packaging>pom</packaging>
  <modules>
    <module>api</module>
    <module>worker</module>
  </modules>
  <properties>
    <commons-text.version>1.9</commons-text.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.apache.commons</groupId>
        <artifactId>commons-text</artifactId>
        <version>${commons-text.version}</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
</project>
"#;

fn module_pom(name: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>com.example</groupId>
    <artifactId>platform</artifactId>
    <version>1.0.0</version>
  </parent>
  <artifactId>{name}</artifactId>
  <dependencies>
    <dependency>
      <groupId>org.apache.commons</groupId>
      <artifactId>commons-text</artifactId>
    </dependency>
  </dependencies>
</project>
"#
    )
}

/// Two modules take commons-text from the parent's `dependencyManagement`: one edit of the
/// parent's property fixes both, the modules' POMs stay, and the reactor resolves 1.10.0 in each.
#[tokio::test]
async fn maven_resolves_a_managed_version_fixed_in_the_parent_for_every_module() {
    let repo = repository().await;
    let work = tempfile::tempdir().expect("tempdir");
    let api = module_pom("api");
    let worker = module_pom("worker");
    write_all(
        work.path(),
        &[
            ("pom.xml", ROOT_POM),
            ("api/pom.xml", &api),
            ("worker/pom.xml", &worker),
        ],
    );
    let planned = plan(work.path(), &repo).await;
    assert!(planned.problems.is_empty(), "{:?}", planned.problems);
    assert_eq!(planned.fixes.len(), 1, "{planned:#?}");
    let files = apply(work.path(), &planned, TEXT);
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        ["pom.xml"],
        "only the parent changes"
    );
    assert_eq!(files["pom.xml"], ROOT_POM.replace(">1.9<", ">1.10.0<"));
    let (ok, output) = resolve(work.path(), &repo).await;
    assert!(ok, "Maven refused the project:\n{output}");
    for module in ["api", "worker"] {
        let tree = std::fs::read_to_string(work.path().join(module).join("resolved.txt")).unwrap();
        assert!(
            tree.contains("org.apache.commons:commons-text:jar:1.10.0:compile"),
            "{module}: {tree}"
        );
    }
}

const JACKSON_POM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>events</artifactId>
  <version>1.0.0</version>
  <properties>
    <jackson.version>2.13.1</jackson.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>${jackson.version}</version>
    </dependency>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-core</artifactId>
      <version>${jackson.version}</version>
    </dependency>
  </dependencies>
</project>
"#;

/// `jackson.version` also sets jackson-core, which has no 2.13.2.1: Maven refuses the project
/// with the property moved (shown here), so the fix gives jackson-databind its own version and
/// leaves the property, and Maven resolves databind 2.13.2.1 beside core 2.13.1.
#[tokio::test]
async fn maven_resolves_a_module_given_its_own_version_where_the_property_is_shared() {
    let repo = repository().await;
    let work = tempfile::tempdir().expect("tempdir");
    write_all(
        work.path(),
        &[("pom.xml", &JACKSON_POM.replace("2.13.1", "2.13.2.1"))],
    );
    let (ok, output) = resolve(work.path(), &repo).await;
    assert!(
        !ok && output.contains("com.fasterxml.jackson.core:jackson-core:jar:2.13.2.1"),
        "moving the shared property must break the build:\n{output}"
    );

    write_all(work.path(), &[("pom.xml", JACKSON_POM)]);
    let planned = plan(work.path(), &repo).await;
    assert!(planned.problems.is_empty(), "{:?}", planned.problems);
    let fix = planned
        .fixes
        .iter()
        .find(|f| f.package == DATABIND)
        .unwrap();
    assert!(
        fix.notes
            .iter()
            .any(|n| n.contains("gets 2.13.2.1 in its own declaration")
                && n.contains("no 2.13.2.1 of com.fasterxml.jackson.core:jackson-core")),
        "{:?}",
        fix.notes
    );
    let files = apply(work.path(), &planned, DATABIND);
    assert_eq!(
        files["pom.xml"],
        JACKSON_POM.replacen(
            "<version>${jackson.version}</version>",
            "<version>2.13.2.1</version>",
            1
        )
    );
    let tree = resolved(work.path(), &repo, ".").await;
    for line in [
        "com.fasterxml.jackson.core:jackson-databind:jar:2.13.2.1:compile",
        "com.fasterxml.jackson.core:jackson-core:jar:2.13.1:compile",
    ] {
        assert!(tree.contains(line), "{line}: {tree}");
    }
}

const PLATFORM_APP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>com.example.platform</groupId>
    <artifactId>platform-parent</artifactId>
    <version>3.1.0</version>
    <relativePath/>
  </parent>
  <groupId>com.example</groupId>
  <artifactId>billing</artifactId>
  <version>1.0.0</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.commons</groupId>
      <artifactId>commons-text</artifactId>
    </dependency>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
    </dependency>
  </dependencies>
</project>
"#;

/// Versions managed outside the repository, by a parent POM from the registry, its own parent
/// and a BOM that one imports: the agent fetches them and reads the versions Maven resolves
/// (Maven's own resolution of the unchanged project is the oracle), and each fix pins the
/// version in a `dependencyManagement` block of the project's POM, which Maven honours over
/// the parent's and the BOM's.
#[tokio::test]
async fn maven_resolves_pins_of_versions_a_fetched_parent_and_bom_manage() {
    let repo = repository().await;
    let work = tempfile::tempdir().expect("tempdir");
    write_all(work.path(), &[("pom.xml", PLATFORM_APP)]);
    let before = resolved(work.path(), &repo, ".").await;
    for line in [
        "org.apache.commons:commons-text:jar:1.9:compile",
        "com.fasterxml.jackson.core:jackson-databind:jar:2.13.1:compile",
    ] {
        assert!(before.contains(line), "{line}: {before}");
    }
    let planned = plan(work.path(), &repo).await;
    assert!(planned.problems.is_empty(), "{:?}", planned.problems);
    let from: BTreeMap<&str, &str> = planned
        .fixes
        .iter()
        .map(|f| (f.package.as_str(), f.from.as_str()))
        .collect();
    assert_eq!(
        from,
        BTreeMap::from([(DATABIND, "2.13.1"), (TEXT, "1.9")]),
        "the versions the scan read are the ones Maven resolved"
    );
    for (package, to, also) in [
        (TEXT, "1.10.0", "org.apache.commons:commons-lang3:jar"),
        (
            DATABIND,
            "2.13.2.1",
            // The imported BOM manages jackson-core for the whole tree.
            "com.fasterxml.jackson.core:jackson-core:jar:2.13.1:compile",
        ),
    ] {
        let fixed = tempfile::tempdir().expect("tempdir");
        write_all(fixed.path(), &[("pom.xml", PLATFORM_APP)]);
        let files = apply(fixed.path(), &planned, package);
        let (group, artifact) = package.split_once(':').unwrap();
        assert_eq!(
            files["pom.xml"],
            PLATFORM_APP.replace(
                "  <dependencies>\n",
                &format!("  <dependencyManagement>\n    <dependencies>\n      <dependency>\n        <groupId>{group}</groupId>\n        <artifactId>{artifact}</artifactId>\n        <version>{to}</version>\n      </dependency>\n    </dependencies>\n  </dependencyManagement>\n  <dependencies>\n")
            )
        );
        let after = resolved(fixed.path(), &repo, ".").await;
        let line = format!("{package}:jar:{to}:compile");
        assert!(after.contains(&line), "{line}: {after}");
        assert!(after.contains(also), "{also}: {after}");
    }
}

/// A POM of the tree test: `org.tree:NAME:VERSION` with an optional parent and dependencies
/// written as they appear inside `<dependencies>`.
fn tree_pom(name: &str, version: &str, parent: &str, deps: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n{parent}  <groupId>org.tree</groupId>\n  <artifactId>{name}</artifactId>\n  <version>{version}</version>\n  <dependencies>\n{deps}  </dependencies>\n</project>\n"
    )
    .into_bytes()
}

fn tree_dep(name: &str, version: &str, extra: &str) -> String {
    let version = if version.is_empty() {
        String::new()
    } else {
        format!("<version>{version}</version>")
    };
    format!("    <dependency><groupId>org.tree</groupId><artifactId>{name}</artifactId>{version}{extra}</dependency>\n")
}

/// The modules of the tree test, each with a POM and a jar: nearest wins (`common` 1.0 at
/// depth 2, declared first, over 2.0 at the same depth and 3.0 deeper), an exclusion, an
/// optional and a provided dependency of a dependency (not brought), a version a dependency's
/// parent manages, a version range (`[1.0,2.0)` over 1.0, 1.5 and 2.0), test and runtime scopes, the project's management of a transitive module,
/// and commons-text 1.9 three levels down.
fn tree_routes() -> BTreeMap<String, Vec<u8>> {
    let mut r = routes();
    let parent = "  <parent><groupId>org.tree</groupId><artifactId>tree-parent</artifactId><version>1</version></parent>\n";
    let text = "    <dependency><groupId>org.apache.commons</groupId><artifactId>commons-text</artifactId><version>1.9</version></dependency>\n";
    let modules: Vec<(&str, &str, &str, String)> = vec![
        (
            "lib-a",
            "1.0",
            parent,
            [
                tree_dep("common", "1.0", ""),
                tree_dep("opt", "1.0", "<optional>true</optional>"),
                tree_dep("prov", "1.0", "<scope>provided</scope>"),
                tree_dep("lib-deep", "", ""),
            ]
            .concat(),
        ),
        (
            "lib-b",
            "1.0",
            "",
            [
                tree_dep("common", "2.0", ""),
                tree_dep("excluded", "1.0", ""),
                tree_dep("lib-c", "1.0", ""),
            ]
            .concat(),
        ),
        (
            "lib-c",
            "1.0",
            "",
            // A range: Maven takes the highest published version inside it, 1.5.
            [
                tree_dep("common", "3.0", ""),
                tree_dep("leaf", "[1.0,2.0)", ""),
            ]
            .concat(),
        ),
        ("lib-deep", "1.0", "", text.to_owned()),
        ("lib-t", "1.0", "", tree_dep("tdep", "1.0", "")),
        ("lib-r", "1.0", "", tree_dep("rdep", "1.0", "")),
        ("common", "1.0", "", String::new()),
        ("common", "2.0", "", String::new()),
        ("common", "3.0", "", String::new()),
        ("opt", "1.0", "", String::new()),
        ("prov", "1.0", "", String::new()),
        ("excluded", "1.0", "", String::new()),
        ("leaf", "1.0", "", String::new()),
        ("leaf", "1.5", "", String::new()),
        ("leaf", "2.0", "", String::new()),
        ("tdep", "1.0", "", String::new()),
        ("rdep", "1.0", "", String::new()),
        ("rdep", "1.1", "", String::new()),
    ];
    for (name, version, parent, deps) in modules {
        let base = format!("/maven2/org/tree/{name}/{version}/{name}-{version}");
        r.insert(
            format!("{base}.pom"),
            tree_pom(name, version, parent, &deps),
        );
        r.insert(format!("{base}.jar"), jar());
    }
    r.insert(
        "/maven2/org/tree/leaf/maven-metadata.xml".into(),
        metadata("org.tree", "leaf", &["1.0", "1.5", "2.0"]),
    );
    r.insert(
        "/maven2/org/tree/tree-parent/1/tree-parent-1.pom".into(),
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>org.tree</groupId>\n  <artifactId>tree-parent</artifactId>\n  <version>1</version>\n  <packaging>pom</packaging>\n  <properties><deep.version>1.0</deep.version></properties>\n  <dependencyManagement>\n    <dependencies>\n      <dependency><groupId>org.tree</groupId><artifactId>lib-deep</artifactId><version>${deep.version}</version></dependency>\n    </dependencies>\n  </dependencyManagement>\n</project>\n".to_vec(),
    );
    r
}

const TREE_APP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>ledger</artifactId>
  <version>1.0.0</version>
  <dependencyManagement>
    <dependencies>
      <dependency><groupId>org.tree</groupId><artifactId>rdep</artifactId><version>1.1</version></dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency><groupId>org.tree</groupId><artifactId>lib-a</artifactId><version>1.0</version></dependency>
    <dependency>
      <groupId>org.tree</groupId>
      <artifactId>lib-b</artifactId>
      <version>1.0</version>
      <exclusions><exclusion><groupId>org.tree</groupId><artifactId>excluded</artifactId></exclusion></exclusions>
    </dependency>
    <dependency><groupId>org.tree</groupId><artifactId>lib-t</artifactId><version>1.0</version><scope>test</scope></dependency>
    <dependency><groupId>org.tree</groupId><artifactId>lib-r</artifactId><version>1.0</version><scope>runtime</scope></dependency>
  </dependencies>
</project>
"#;

/// `(module, version, test scope)` of every line of a `dependency:list` output file.
fn maven_list(text: &str) -> BTreeSet<(String, String, bool)> {
    text.lines()
        .filter_map(|l| {
            let coordinate = l.split_whitespace().next()?;
            let parts: Vec<&str> = coordinate.split(':').collect();
            // group:artifact:type[:classifier]:version:scope
            (parts.len() >= 5).then(|| {
                let n = parts.len();
                (
                    format!("{}:{}", parts[0], parts[1]),
                    parts[n - 2].to_owned(),
                    parts[n - 1] == "test",
                )
            })
        })
        .collect()
}

/// `(module, version, dev)` of every dependency the agent finds in a project of `pom` alone,
/// with the POMs it needs fetched from the stand-in (all of them, with no problem left).
async fn agent_list(repo: &StandIn, pom: &str) -> BTreeSet<(String, String, bool)> {
    let urls = RegistryUrls::none()
        .with(Ecosystem::Maven, &format!("http://{}/maven2/", repo.addr))
        .expect("url");
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), urls));
    let mut snapshot = Snapshot::new().with("pom.xml", pom);
    let fetched = fetch_maven_poms(&mut snapshot, &registry).await;
    assert!(fetched.failed.is_empty(), "{fetched:?}");
    let analysis = analyze(&snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    analysis
        .dependencies
        .iter()
        .map(|d| {
            (
                d.name.clone(),
                d.version.clone().unwrap_or_default(),
                d.scope == Scope::Dev,
            )
        })
        .collect()
}

/// The oracle for the dependency tree: Maven's own `dependency:list` of the project and the
/// agent's analysis (the declared modules and the ones their trees bring, with dev for `test`)
/// are the same set; then the agent's fix of commons-text, three levels down, is a
/// `dependencyManagement` entry that Maven resolves to 1.10.0.
#[tokio::test]
async fn the_dependency_tree_the_agent_reads_is_the_one_maven_resolves() {
    let repo =
        StandIn::start_with_files(tree_routes(), "/maven2/", PathBuf::from(DEBIAN_REPO)).await;
    let work = tempfile::tempdir().expect("tempdir");
    write_all(work.path(), &[("pom.xml", TREE_APP)]);
    let (ok, output) = list(work.path(), &repo).await;
    assert!(ok, "Maven refused the project:\n{output}");
    let maven = maven_list(&std::fs::read_to_string(work.path().join("list.txt")).unwrap());
    let entry = |name: &str, version: &str, test: bool| (name.to_owned(), version.to_owned(), test);
    for expected in [
        entry("org.tree:common", "1.0", false),
        entry("org.tree:lib-deep", "1.0", false),
        entry("org.tree:leaf", "1.5", false),
        entry("org.tree:tdep", "1.0", true),
        entry("org.tree:rdep", "1.1", false),
        entry(TEXT, "1.9", false),
        entry("org.apache.commons:commons-lang3", "3.12.0", false),
    ] {
        assert!(maven.contains(&expected), "{expected:?} in {maven:?}");
    }
    assert_eq!(maven.len(), 12, "{maven:?}");
    for absent in ["org.tree:opt", "org.tree:prov", "org.tree:excluded"] {
        assert!(
            !maven.iter().any(|(n, _, _)| n == absent),
            "{absent}: {maven:?}"
        );
    }

    let agent = agent_list(&repo, TREE_APP).await;
    assert_eq!(agent, maven, "the agent's tree against Maven's");

    let planned = plan(work.path(), &repo).await;
    let files = apply(work.path(), &planned, TEXT);
    assert!(
        files["pom.xml"].contains("      <dependency>\n        <groupId>org.apache.commons</groupId>\n        <artifactId>commons-text</artifactId>\n        <version>1.10.0</version>\n      </dependency>\n    </dependencies>\n  </dependencyManagement>"),
        "{}",
        files["pom.xml"]
    );
    let (ok, output) = list(work.path(), &repo).await;
    assert!(ok, "Maven refused the fix:\n{output}");
    let after = maven_list(&std::fs::read_to_string(work.path().join("list.txt")).unwrap());
    assert!(
        after.contains(&(TEXT.to_owned(), "1.10.0".to_owned(), false))
            && !after.iter().any(|(n, v, _)| n == TEXT && v == "1.9"),
        "{after:?}"
    );
}

const CORP_APP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.tree</groupId>
    <artifactId>corp-parent</artifactId>
    <version>1</version>
    <relativePath/>
  </parent>
  <artifactId>payments</artifactId>
  <dependencies>
    <dependency>
      <groupId>org.tree</groupId>
      <artifactId>leaf</artifactId>
      <version>1.0</version>
    </dependency>
  </dependencies>
</project>
"#;

/// A company parent from the registry that declares a dependency for every module: Maven's list
/// and the agent's analysis agree that the module has it (commons-text 1.9, with what it
/// brings), and the agent's fix declares it again in the module, which Maven takes over the
/// parent's declaration.
#[tokio::test]
async fn a_dependency_a_fetched_parent_declares_is_found_and_declared_again_by_the_fix() {
    let mut routes = tree_routes();
    routes.insert(
        "/maven2/org/tree/corp-parent/1/corp-parent-1.pom".into(),
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>org.tree</groupId>\n  <artifactId>corp-parent</artifactId>\n  <version>1</version>\n  <packaging>pom</packaging>\n  <dependencies>\n    <dependency><groupId>org.apache.commons</groupId><artifactId>commons-text</artifactId><version>1.9</version></dependency>\n  </dependencies>\n</project>\n".to_vec(),
    );
    let repo = StandIn::start_with_files(routes, "/maven2/", PathBuf::from(DEBIAN_REPO)).await;
    let work = tempfile::tempdir().expect("tempdir");
    write_all(work.path(), &[("pom.xml", CORP_APP)]);
    let (ok, output) = list(work.path(), &repo).await;
    assert!(ok, "Maven refused the project:\n{output}");
    let maven = maven_list(&std::fs::read_to_string(work.path().join("list.txt")).unwrap());

    let agent = agent_list(&repo, CORP_APP).await;
    assert_eq!(agent, maven, "the agent's dependencies against Maven's");
    assert!(maven.contains(&(TEXT.to_owned(), "1.9".to_owned(), false)));

    let planned = plan(work.path(), &repo).await;
    let files = apply(work.path(), &planned, TEXT);
    assert_eq!(
        files["pom.xml"],
        CORP_APP.replace(
            "  </dependencies>\n",
            "    <dependency>\n      <groupId>org.apache.commons</groupId>\n      <artifactId>commons-text</artifactId>\n      <version>1.10.0</version>\n    </dependency>\n  </dependencies>\n"
        )
    );
    let (ok, output) = list(work.path(), &repo).await;
    assert!(ok, "Maven refused the fix:\n{output}");
    let after = maven_list(&std::fs::read_to_string(work.path().join("list.txt")).unwrap());
    assert!(
        after.contains(&(TEXT.to_owned(), "1.10.0".to_owned(), false))
            && !after.iter().any(|(n, v, _)| n == TEXT && v == "1.9"),
        "{after:?}"
    );
}

const RANGE_APP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.tree</groupId>
  <artifactId>reports</artifactId>
  <version>1.0</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.commons</groupId>
      <artifactId>commons-text</artifactId>
      <version>[1.8,1.10.0)</version>
    </dependency>
  </dependencies>
</project>
"#;

/// A range the repository's own POM writes: Maven takes the highest published version inside
/// it (commons-text 1.9 of 1.0 ... 1.10.0), and so does the agent, which finds the advisory and
/// replaces the range with the fixed version, which Maven then resolves.
#[tokio::test]
async fn a_range_the_pom_writes_is_read_at_the_version_maven_takes_and_fixed() {
    let repo =
        StandIn::start_with_files(tree_routes(), "/maven2/", PathBuf::from(DEBIAN_REPO)).await;
    let work = tempfile::tempdir().expect("tempdir");
    write_all(work.path(), &[("pom.xml", RANGE_APP)]);
    let (ok, output) = list(work.path(), &repo).await;
    assert!(ok, "Maven refused the project:\n{output}");
    let maven = maven_list(&std::fs::read_to_string(work.path().join("list.txt")).unwrap());
    assert!(
        maven.contains(&(TEXT.to_owned(), "1.9".to_owned(), false)),
        "{maven:?}"
    );

    let agent = agent_list(&repo, RANGE_APP).await;
    assert_eq!(agent, maven, "the agent's dependencies against Maven's");

    let planned = plan(work.path(), &repo).await;
    let files = apply(work.path(), &planned, TEXT);
    assert_eq!(
        files["pom.xml"],
        RANGE_APP.replace("[1.8,1.10.0)", "1.10.0")
    );
    let (ok, output) = list(work.path(), &repo).await;
    assert!(ok, "Maven refused the fix:\n{output}");
    let after = maven_list(&std::fs::read_to_string(work.path().join("list.txt")).unwrap());
    assert!(
        after.contains(&(TEXT.to_owned(), "1.10.0".to_owned(), false))
            && !after.iter().any(|(n, v, _)| n == TEXT && v == "1.9"),
        "{after:?}"
    );
}
