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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
        .args([
            "org.apache.maven.plugins:maven-dependency-plugin:3.5.0:resolve",
            "-DoutputFile=resolved.txt",
        ])
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
