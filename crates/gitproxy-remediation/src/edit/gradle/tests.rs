//! Gradle edit tests: catalog, literal and variable bumps, dependency constraints in both DSLs,
//! and lockfile lines (moved by the agent only when the POMs say nothing else changes).

use super::{constraint_configuration, strictly_allows};
use crate::edit::tests::{db, edits};
use crate::files::Snapshot;
use crate::plan::{LockfileRefresh, Tier};
use crate::registry::StaticRegistry;
use crate::Ecosystem;

const DATABIND: &str = "com.fasterxml.jackson.core:jackson-databind";
const CORE: &str = "com.fasterxml.jackson.core:jackson-core";
const TEXT: &str = "org.apache.commons:commons-text";
const SNAKEYAML: &str = "org.yaml:snakeyaml";
const SLF4J: &str = "org.slf4j:slf4j-api";

fn registry() -> StaticRegistry {
    StaticRegistry::new()
        .publish(Ecosystem::Maven, DATABIND, "2.13.1", &[])
        .publish(Ecosystem::Maven, DATABIND, "2.13.2", &[])
        .publish(Ecosystem::Maven, DATABIND, "2.13.2.1", &[])
        .publish(Ecosystem::Maven, TEXT, "1.9", &[])
        .publish(Ecosystem::Maven, TEXT, "1.10.0", &[])
        .publish(Ecosystem::Maven, SNAKEYAML, "1.33", &[])
        .publish(Ecosystem::Maven, SNAKEYAML, "2.0", &[])
}

fn advisories() -> crate::advisories::AdvisoryDb {
    db(&[
        ("GHSA-57j2-w4cx-62h2", "Maven", DATABIND, "2.13.2.1"),
        ("GHSA-599f-7c49-w659", "Maven", TEXT, "1.10.0"),
        ("GHSA-mjmj-j48q-9wg2", "Maven", SNAKEYAML, "2.0"),
    ])
}

const SHARED_CATALOG: &str = "[versions]\njackson = \"2.13.1\" # JSON\n\n[libraries]\njackson-databind = { module = \"com.fasterxml.jackson.core:jackson-databind\", version.ref = \"jackson\" }\njackson-core = { module = \"com.fasterxml.jackson.core:jackson-core\", version.ref = \"jackson\" }\ncommons-text = { group = \"org.apache.commons\", name = \"commons-text\", version = \"1.9\" }\n";
const CATALOG_USER: &str = "dependencies {\n    implementation(libs.jackson.databind)\n    implementation(libs.commons.text)\n}\n";

/// jackson-databind 2.13.2.1 is a patch release of databind alone: the shared `jackson` version
/// stays (jackson-core has no 2.13.2.1) and databind gets a version of its own in its entry.
#[tokio::test]
async fn a_catalog_version_shared_with_a_module_without_the_fix_stays_and_the_library_gets_its_own()
{
    let snapshot = Snapshot::new()
        .with("gradle/libs.versions.toml", SHARED_CATALOG)
        .with("build.gradle.kts", CATALOG_USER);
    let registry = registry()
        .publish(Ecosystem::Maven, CORE, "2.13.1", &[])
        .publish(Ecosystem::Maven, CORE, "2.13.2", &[]);
    let (plan, set) = edits(&snapshot, &advisories(), &registry).await;
    assert_eq!(plan.fixes.len(), 2);
    assert!(plan
        .fixes
        .iter()
        .all(|f| f.tier == Tier::ManifestBump && f.lockfile == LockfileRefresh::NotApplicable));
    let databind = plan.fixes.iter().find(|f| f.name == DATABIND).unwrap();
    assert!(databind.own_version);
    assert!(
        databind.notes.contains(&"com.fasterxml.jackson.core:jackson-databind gets 2.13.2.1 in its own declaration rather than at gradle/libs.versions.toml:2, which also sets com.fasterxml.jackson.core:jackson-core: the registry publishes no 2.13.2.1 of com.fasterxml.jackson.core:jackson-core, so moving it would break the build; the others keep their version".to_string()),
        "{:?}",
        databind.notes
    );
    assert_eq!(
        set.files["gradle/libs.versions.toml"],
        SHARED_CATALOG
            .replace(
                "jackson-databind\", version.ref = \"jackson\"",
                "jackson-databind\", version = \"2.13.2.1\""
            )
            .replace("\"1.9\"", "\"1.10.0\"")
    );
    assert_eq!(set.files.len(), 1, "the script is unchanged");
}

/// When every module the shared version sets publishes the fix, the shared version moves.
#[tokio::test]
async fn a_catalog_version_moves_when_every_module_it_sets_publishes_the_fix() {
    let snapshot = Snapshot::new()
        .with("gradle/libs.versions.toml", SHARED_CATALOG)
        .with("build.gradle.kts", CATALOG_USER);
    let registry = registry().publish(Ecosystem::Maven, CORE, "2.13.2.1", &[]);
    let (plan, set) = edits(&snapshot, &advisories(), &registry).await;
    let databind = plan.fixes.iter().find(|f| f.name == DATABIND).unwrap();
    assert!(!databind.own_version);
    assert!(
        databind.notes.contains(&"the version written at gradle/libs.versions.toml:2 also sets com.fasterxml.jackson.core:jackson-core, which moves to 2.13.2.1 with com.fasterxml.jackson.core:jackson-databind (the registry publishes 2.13.2.1 of each)".to_string()),
        "{:?}",
        databind.notes
    );
    assert_eq!(
        set.files["gradle/libs.versions.toml"],
        SHARED_CATALOG
            .replace("\"2.13.1\"", "\"2.13.2.1\"")
            .replace("\"1.9\"", "\"1.10.0\"")
    );
    assert!(
        set.notes.contains(&"gradle/libs.versions.toml:2 also sets the version of com.fasterxml.jackson.core:jackson-core, which moves to 2.13.2.1 with it".to_string()),
        "{:?}",
        set.notes
    );
}

/// A script variable shared with a module without the fix stays; a constraint raises the
/// vulnerable module alone (Gradle takes the highest of a declaration and a constraint).
#[tokio::test]
async fn a_shared_script_variable_stays_and_a_constraint_raises_the_module() {
    let script = "def jacksonVersion = '2.13.1'\n\ndependencies {\n    implementation \"com.fasterxml.jackson.core:jackson-databind:$jacksonVersion\"\n    implementation \"com.fasterxml.jackson.core:jackson-core:$jacksonVersion\"\n}\n";
    let snapshot = Snapshot::new().with("build.gradle", script);
    let (plan, set) = edits(&snapshot, &advisories(), &registry()).await;
    assert!(plan.fixes[0].own_version);
    assert_eq!(
        set.files["build.gradle"],
        "def jacksonVersion = '2.13.1'\n\ndependencies {\n    implementation \"com.fasterxml.jackson.core:jackson-databind:$jacksonVersion\"\n    implementation \"com.fasterxml.jackson.core:jackson-core:$jacksonVersion\"\n    constraints {\n        implementation('com.fasterxml.jackson.core:jackson-databind:2.13.2.1') {\n            because 'GHSA-57j2-w4cx-62h2'\n        }\n    }\n}\n"
    );
}

#[tokio::test]
async fn literals_and_same_file_variables_are_raised() {
    let script = "ext {\n    jacksonVersion = '2.13.1'\n}\n\ndependencies {\n    implementation \"com.fasterxml.jackson.core:jackson-databind:${jacksonVersion}\"\n    implementation 'org.apache.commons:commons-text:1.9' // templating\n}\n";
    let snapshot = Snapshot::new().with("build.gradle", script);
    let (_, set) = edits(&snapshot, &advisories(), &registry()).await;
    assert_eq!(
        set.files["build.gradle"],
        script
            .replace("'2.13.1'", "'2.13.2.1'")
            .replace("commons-text:1.9'", "commons-text:1.10.0'")
    );
}

const LOCK: &str = "# This is a Gradle generated file for dependency locking.\n# Manual edits can break the build and are not advised.\n# This file is expected to be part of source control.\norg.springframework.boot:spring-boot:2.7.0=compileClasspath,runtimeClasspath\norg.yaml:snakeyaml:1.33=compileClasspath,runtimeClasspath\nempty=annotationProcessor\n";

#[tokio::test]
async fn a_transitive_module_gets_a_kotlin_constraint_and_the_lock_command() {
    let script = "plugins {\n    java\n}\n\ndependencies {\n    implementation(\"org.springframework.boot:spring-boot:2.7.0\")\n}\n";
    let snapshot = Snapshot::new()
        .with("app/build.gradle.kts", script)
        .with("app/gradle.lockfile", LOCK);
    let (plan, set) = edits(&snapshot, &advisories(), &registry()).await;
    let fix = &plan.fixes[0];
    assert_eq!(fix.name, SNAKEYAML);
    assert_eq!(fix.tier, Tier::Override);
    assert_eq!(
        fix.lockfile,
        LockfileRefresh::Command("./gradlew :app:dependencies --write-locks".into()),
        "no POMs to tell whether snakeyaml 2.0 brings other modules"
    );
    assert!(
        fix.notes[0].contains("dependency constraint"),
        "{:?}",
        fix.notes
    );
    assert_eq!(
        set.files["app/build.gradle.kts"],
        script.replace(
            "2.7.0\")\n}",
            "2.7.0\")\n    constraints {\n        implementation(\"org.yaml:snakeyaml:2.0\") {\n            because(\"GHSA-mjmj-j48q-9wg2\")\n        }\n    }\n}"
        )
    );
    assert!(
        !set.files.contains_key("app/gradle.lockfile"),
        "the lockfile is left to Gradle"
    );
    assert!(set.needs_package_manager);
    assert!(
        set.notes
            .iter()
            .any(|n| n.contains("app/gradle.lockfile was not updated")
                && n.contains("`./gradlew :app:dependencies --write-locks`")),
        "{:?}",
        set.notes
    );
}

const POM: &str = "<project>\n  <groupId>org.yaml</groupId>\n  <artifactId>snakeyaml</artifactId>\n  <version>V</version>\n  <dependencies>\n    <dependency>\n      <groupId>junit</groupId>\n      <artifactId>junit</artifactId>\n      <version>4.13.2</version>\n      <scope>test</scope>\n    </dependency>\n  </dependencies>\n</project>\n";

#[tokio::test]
async fn with_equal_poms_the_agent_moves_the_lock_line_and_a_groovy_constraint() {
    let script = "dependencies {\n\timplementation 'org.springframework.boot:spring-boot:2.7.0'\n\tconstraints {\n\t\timplementation('org.example:pinned:1.0')\n\t}\n}\n";
    let snapshot = Snapshot::new()
        .with("build.gradle", script)
        .with("gradle.lockfile", LOCK);
    let reg = registry()
        .maven_pom(SNAKEYAML, "1.33", &POM.replace('V', "1.33"))
        .maven_pom(SNAKEYAML, "2.0", &POM.replace('V', "2.0"));
    let (plan, set) = edits(&snapshot, &advisories(), &reg).await;
    let fix = plan.fixes.iter().find(|f| f.name == SNAKEYAML).unwrap();
    assert_eq!(fix.lockfile, LockfileRefresh::Agent);
    assert_eq!(
        set.files["gradle.lockfile"],
        LOCK.replace("snakeyaml:1.33=", "snakeyaml:2.0=")
    );
    assert_eq!(
        set.files["build.gradle"],
        script.replace(
            "pinned:1.0')\n\t}",
            "pinned:1.0')\n\t\timplementation('org.yaml:snakeyaml:2.0') {\n\t\t\tbecause 'GHSA-mjmj-j48q-9wg2'\n\t\t}\n\t}"
        )
    );

    // A new runtime dependency in 2.0: the lockfile would gain a line, so Gradle writes it.
    let changed = POM
        .replace('V', "2.0")
        .replace("<scope>test</scope>", "<scope>runtime</scope>");
    let reg = registry()
        .maven_pom(SNAKEYAML, "1.33", &POM.replace('V', "1.33"))
        .maven_pom(SNAKEYAML, "2.0", &changed);
    let (plan, set) = edits(&snapshot, &advisories(), &reg).await;
    assert!(matches!(
        plan.fixes[0].lockfile,
        LockfileRefresh::Command(_)
    ));
    assert!(!set.files.contains_key("gradle.lockfile"));
    assert!(set.files["build.gradle"].contains("snakeyaml:2.0"));
}

#[tokio::test]
async fn a_direct_locked_module_moves_in_the_script_and_the_lockfile() {
    let lock = "org.apache.commons:commons-text:1.9=compileClasspath,runtimeClasspath\nempty=\n";
    let script = "dependencies {\n    implementation 'org.apache.commons:commons-text:1.9'\n}\n";
    let snapshot = Snapshot::new()
        .with("build.gradle", script)
        .with("gradle.lockfile", lock);
    let reg = registry()
        .maven_pom(TEXT, "1.9", "<project><version>1.9</version></project>")
        .maven_pom(
            TEXT,
            "1.10.0",
            "<project><version>1.10.0</version></project>",
        );
    let (plan, set) = edits(&snapshot, &advisories(), &reg).await;
    assert_eq!(plan.fixes[0].tier, Tier::ManifestBump);
    assert_eq!(
        set.files["build.gradle"],
        script.replace(":1.9'", ":1.10.0'")
    );
    assert_eq!(
        set.files["gradle.lockfile"],
        lock.replace(":1.9=", ":1.10.0=")
    );
}

#[tokio::test]
async fn a_script_without_dependencies_gets_a_new_block() {
    let snapshot = Snapshot::new()
        .with("build.gradle", "plugins {\n  id 'java'\n}\n")
        .with("gradle.lockfile", LOCK);
    let (_, set) = edits(&snapshot, &advisories(), &registry()).await;
    assert_eq!(
        set.files["build.gradle"],
        "plugins {\n  id 'java'\n}\n\ndependencies {\n  constraints {\n    implementation('org.yaml:snakeyaml:2.0') {\n      because 'GHSA-mjmj-j48q-9wg2'\n    }\n  }\n}\n"
    );
}

#[test]
fn constraints_go_to_the_configuration_that_reaches_the_classpaths() {
    let confs = |c: &[&str]| c.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    let of = |c: &[&str]| constraint_configuration(&confs(c));
    assert_eq!(
        of(&["compileClasspath", "testRuntimeClasspath"]).as_deref(),
        Some("implementation")
    );
    assert_eq!(
        of(&["testCompileClasspath", "testRuntimeClasspath"]).as_deref(),
        Some("testImplementation")
    );
    assert_eq!(
        of(&["integrationTestRuntimeClasspath"]).as_deref(),
        Some("integrationTestImplementation")
    );
    assert_eq!(
        of(&["annotationProcessor"]).as_deref(),
        Some("annotationProcessor")
    );
    assert_eq!(of(&["classpath"]), None);
}

const STRICT_CATALOG: &str = "[versions]\nslf4j = { strictly = \"[1.7, 1.8[\", prefer = \"1.7.26\" }\n\n[libraries]\nslf4j-api = { module = \"org.slf4j:slf4j-api\", version.ref = \"slf4j\" }\n";
const STRICT_CATALOG_USE: &str = "dependencies {\n    implementation(libs.slf4j.api)\n}\n";
const STRICT_GROOVY: &str = "dependencies {\n    implementation('org.slf4j:slf4j-api') {\n        version {\n            strictly '[1.7, 1.8['\n            prefer '1.7.26'\n        }\n    }\n}\n";

fn slf4j_registry() -> StaticRegistry {
    StaticRegistry::new()
        .publish(Ecosystem::Maven, SLF4J, "1.7.26", &[])
        .publish(Ecosystem::Maven, SLF4J, "1.7.36", &[])
        .publish(Ecosystem::Maven, SLF4J, "2.0.9", &[])
}

#[tokio::test]
async fn a_preferred_version_moves_within_its_strictly_range() {
    let advisories = db(&[("GHSA-slf4j-in", "Maven", SLF4J, "1.7.36")]);
    let catalog = Snapshot::new()
        .with("gradle/libs.versions.toml", STRICT_CATALOG)
        .with("build.gradle.kts", STRICT_CATALOG_USE);
    let (plan, set) = edits(&catalog, &advisories, &slf4j_registry()).await;
    assert_eq!(plan.fixes[0].to, "1.7.36");
    assert_eq!(
        set.files["gradle/libs.versions.toml"],
        STRICT_CATALOG.replace("\"1.7.26\"", "\"1.7.36\"")
    );
    let script = Snapshot::new().with("build.gradle", STRICT_GROOVY);
    let (_, set) = edits(&script, &advisories, &slf4j_registry()).await;
    assert_eq!(
        set.files["build.gradle"],
        STRICT_GROOVY.replace("'1.7.26'", "'1.7.36'")
    );
}

#[tokio::test]
async fn a_fix_outside_the_strictly_range_is_not_written_and_says_what_to_change() {
    let advisories = db(&[("GHSA-slf4j-out", "Maven", SLF4J, "2.0.9")]);
    let registry = slf4j_registry();
    for (snapshot, at) in [
        (
            Snapshot::new()
                .with("gradle/libs.versions.toml", STRICT_CATALOG)
                .with("build.gradle.kts", STRICT_CATALOG_USE),
            "gradle/libs.versions.toml:2",
        ),
        (
            Snapshot::new().with("build.gradle", STRICT_GROOVY),
            "build.gradle:5",
        ),
    ] {
        let analysis = crate::analysis::analyze(&snapshot);
        let findings = advisories.scan(&analysis);
        let plan = crate::plan::plan(
            &analysis,
            &findings,
            &advisories,
            &registry,
            &crate::plan::PlanOptions::recommended(),
        )
        .await
        .unwrap();
        assert_eq!(plan.fixes[0].to, "2.0.9");
        let err = crate::edit::apply_fix(&plan.fixes[0], &analysis, &snapshot, &registry)
            .await
            .expect_err("writing `prefer '2.0.9'` under `strictly '[1.7, 1.8['` breaks resolution");
        match &err {
            crate::Error::Unresolvable {
                package,
                to,
                reason,
                ..
            } => {
                assert_eq!((package.as_str(), to.as_str()), (SLF4J, "2.0.9"));
                assert!(reason.contains(at), "{reason}");
                assert!(reason.contains("`strictly` `[1.7, 1.8[`"), "{reason}");
                assert!(reason.contains("change that range by hand"), "{reason}");
            }
            other => panic!("expected an unresolvable fix, got {other}"),
        }
    }
}

#[test]
fn strictly_ranges_in_gradle_notation() {
    assert!(strictly_allows("[1.7, 1.8[", "1.7.36"));
    assert!(!strictly_allows("[1.7, 1.8[", "1.8"));
    assert!(!strictly_allows("[1.7, 1.8[", "2.0.9"));
    assert!(strictly_allows("]1.0, 2.0]", "2.0"));
    assert!(!strictly_allows("]1.0, 2.0]", "1.0"));
    assert!(strictly_allows("[1.0,)", "3.1"));
    assert!(strictly_allows("1.+", "1.9.2"));
    assert!(!strictly_allows("1.+", "2.0"));
    assert!(
        !strictly_allows("latest.release", "2.0"),
        "unreadable: nothing is allowed"
    );
}
