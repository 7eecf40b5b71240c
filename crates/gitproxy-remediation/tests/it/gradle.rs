//! Gradle end to end against the Bitbucket simulator: a version catalog bump, a literal bump in
//! a Groovy script, and transitive modules raised with a `constraints { }` entry, once with the
//! lockfile line moved by the agent (the Maven repository's POMs show nothing else changes) and
//! once with the lockfile left to `./gradlew dependencies --write-locks`, named in the PR.

use std::collections::BTreeMap;
use std::time::Duration;

use bitbucket_dc::{Client, Credentials};
use bitbucket_dc_sim::{Permission, ProjectSeed, RepoSeed, Simulator, UserSeed};
use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::host::{BitbucketDc, BitbucketHost};
use gitproxy_remediation::osv::Record;
use gitproxy_remediation::plan::PlanOptions;
use gitproxy_remediation::registry::{CachedRegistry, HttpRegistry};
use gitproxy_remediation::remediate::Remediator;
use hyper_util::client::legacy::connect::HttpConnector;

use crate::registry::StandIn;

const BOT: &str = "bot-token";

const INVENTORY_CATALOG: &str = r#"[versions]
jackson = "2.13.1"
junit = "5.9.2"

[libraries]
jackson-databind = { module = "com.fasterxml.jackson.core:jackson-databind", version.ref = "jackson" }
junit-jupiter = { module = "org.junit.jupiter:junit-jupiter", version.ref = "junit" }
"#;

const INVENTORY_SCRIPT: &str = r#"plugins {
    java
}

dependencies {
    implementation(libs.jackson.databind)
    testImplementation(libs.junit.jupiter)
}
"#;

const LEDGER_SCRIPT: &str = r#"plugins {
    id 'java'
}

dependencies {
    implementation 'org.apache.commons:commons-text:1.9'
    testImplementation 'junit:junit:4.13.2'
}
"#;

const PAYMENTS_SCRIPT: &str = r#"plugins {
    java
}

dependencies {
    implementation("org.springframework.boot:spring-boot:2.7.0")
}
"#;

const PAYMENTS_LOCK: &str = "# This is a Gradle generated file for dependency locking.
# Manual edits can break the build and are not advised.
# This file is expected to be part of source control.
org.springframework.boot:spring-boot:2.7.0=compileClasspath,runtimeClasspath
org.springframework:spring-core:5.3.20=compileClasspath,runtimeClasspath
org.yaml:snakeyaml:1.30=runtimeClasspath
empty=annotationProcessor
";

const AUDIT_SCRIPT: &str = r#"plugins {
    id 'java'
}

dependencies {
    implementation 'org.apache.commons:commons-configuration2:2.7'
}
"#;

const AUDIT_LOCK: &str = "# This is a Gradle generated file for dependency locking.
# Manual edits can break the build and are not advised.
# This file is expected to be part of source control.
org.apache.commons:commons-configuration2:2.7=compileClasspath,runtimeClasspath
org.apache.commons:commons-lang3:3.9=compileClasspath,runtimeClasspath
org.apache.commons:commons-text:1.9=compileClasspath,runtimeClasspath
empty=annotationProcessor
";

/// Advisory records in OSV form with the real ids and ranges (no Maven data is shipped).
fn database() -> AdvisoryDb {
    let mut db = AdvisoryDb::new();
    let records = [
        r#"{"id": "GHSA-57j2-w4cx-62h2", "aliases": ["CVE-2020-36518"], "summary": "jackson-databind overflows the stack on deeply nested input",
            "affected": [{"package": {"ecosystem": "Maven", "name": "com.fasterxml.jackson.core:jackson-databind"},
              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.13.0"}, {"fixed": "2.13.2.1"}]}]}]}"#,
        r#"{"id": "GHSA-599f-7c49-w659", "aliases": ["CVE-2022-42889"], "summary": "Commons Text interpolation runs code from untrusted input",
            "affected": [{"package": {"ecosystem": "Maven", "name": "org.apache.commons:commons-text"},
              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.5"}, {"fixed": "1.10.0"}]}]}]}"#,
        r#"{"id": "GHSA-mjmj-j48q-9wg2", "aliases": ["CVE-2022-1471"], "summary": "SnakeYaml Constructor deserializes arbitrary types",
            "affected": [{"package": {"ecosystem": "Maven", "name": "org.yaml:snakeyaml"},
              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}]}"#,
    ];
    for r in records {
        db.insert(Record::from_json("gradle-e2e", r.as_bytes()).unwrap());
    }
    db
}

fn metadata(group: &str, artifact: &str, versions: &[&str]) -> Vec<u8> {
    let list: String = versions
        .iter()
        .map(|v| format!("      <version>{v}</version>\n"))
        .collect();
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata>\n  <groupId>{group}</groupId>\n  <artifactId>{artifact}</artifactId>\n  <versioning>\n    <versions>\n{list}    </versions>\n  </versioning>\n</metadata>\n").into_bytes()
}

fn snakeyaml_pom(version: &str) -> Vec<u8> {
    format!("<project>\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>org.yaml</groupId>\n  <artifactId>snakeyaml</artifactId>\n  <version>{version}</version>\n  <dependencies>\n    <dependency>\n      <groupId>junit</groupId>\n      <artifactId>junit</artifactId>\n      <version>4.13.2</version>\n      <scope>test</scope>\n    </dependency>\n  </dependencies>\n</project>\n").into_bytes()
}

/// The Maven repository: metadata of the three vulnerable modules, and snakeyaml's POMs.
fn routes() -> BTreeMap<String, Vec<u8>> {
    let mut r = BTreeMap::new();
    r.insert(
        "/maven2/com/fasterxml/jackson/core/jackson-databind/maven-metadata.xml".into(),
        metadata(
            "com.fasterxml.jackson.core",
            "jackson-databind",
            &["2.13.1", "2.13.2", "2.13.2.1", "2.13.2.2"],
        ),
    );
    r.insert(
        "/maven2/org/apache/commons/commons-text/maven-metadata.xml".into(),
        metadata("org.apache.commons", "commons-text", &["1.9", "1.10.0"]),
    );
    r.insert(
        "/maven2/org/yaml/snakeyaml/maven-metadata.xml".into(),
        metadata("org.yaml", "snakeyaml", &["1.30", "1.33", "2.0"]),
    );
    for v in ["1.30", "2.0"] {
        r.insert(
            format!("/maven2/org/yaml/snakeyaml/{v}/snakeyaml-{v}.pom"),
            snakeyaml_pom(v),
        );
    }
    r
}

async fn simulator() -> Simulator {
    Simulator::builder()
        .user(UserSeed::new("bot").token(BOT))
        .project(ProjectSeed::new("JVM").name("JVM services"))
        .repo(
            RepoSeed::new("JVM", "inventory")
                .file("settings.gradle.kts", "rootProject.name = \"inventory\"\n")
                .file("gradle/libs.versions.toml", INVENTORY_CATALOG)
                .file("build.gradle.kts", INVENTORY_SCRIPT),
        )
        .repo(RepoSeed::new("JVM", "ledger").file("build.gradle", LEDGER_SCRIPT))
        .repo(
            RepoSeed::new("JVM", "payments")
                .file("service/build.gradle.kts", PAYMENTS_SCRIPT)
                .file("service/gradle.lockfile", PAYMENTS_LOCK),
        )
        .repo(
            RepoSeed::new("JVM", "audit")
                .file("build.gradle", AUDIT_SCRIPT)
                .file("gradle.lockfile", AUDIT_LOCK),
        )
        .grant_project("bot", "JVM", Permission::ProjectWrite)
        .start()
        .await
        .expect("the simulator starts")
}

async fn on_branch(host: &BitbucketDc, repo: &str, branch: &str, path: &str) -> String {
    let head = host
        .branch_head("JVM", repo, branch)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{repo}: branch {branch} exists"));
    String::from_utf8(host.read_file("JVM", repo, path, &head).await.unwrap()).unwrap()
}

#[tokio::test]
async fn gradle_catalog_literal_and_constraint_fixes_open_pull_requests() {
    let sim = simulator().await;
    let db = database();
    let stand_in = StandIn::start(routes()).await;
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let client = Client::builder(sim.base_url().as_str())
        .credentials(Credentials::bearer(BOT).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let host = BitbucketDc::new(client);
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended());

    let outcomes = remediator.remediate_project("JVM").await.unwrap();
    assert_eq!(outcomes.len(), 4);
    for o in &outcomes {
        assert!(o.problems.is_empty(), "{}: {:?}", o.repo, o.problems);
        assert!(o.unfixable.is_empty(), "{}: {:?}", o.repo, o.unfixable);
        assert_eq!(o.opened.len(), 1, "{}: {:?}", o.repo, o.opened);
    }

    // The catalog: the `[versions]` entry moves, the script stays as it is.
    let branch = "gitproxy/security/maven-com.fasterxml.jackson.core-jackson-databind";
    assert_eq!(
        on_branch(&host, "inventory", branch, "gradle/libs.versions.toml").await,
        INVENTORY_CATALOG.replace("jackson = \"2.13.1\"", "jackson = \"2.13.2.1\"")
    );
    assert_eq!(
        on_branch(&host, "inventory", branch, "build.gradle.kts").await,
        INVENTORY_SCRIPT
    );

    // The literal coordinate in a Groovy script.
    let branch = "gitproxy/security/maven-org.apache.commons-commons-text";
    assert_eq!(
        on_branch(&host, "ledger", branch, "build.gradle").await,
        LEDGER_SCRIPT.replace("commons-text:1.9'", "commons-text:1.10.0'")
    );

    // A transitive module: a Kotlin constraint, and the lockfile line moved by the agent.
    let branch = "gitproxy/security/maven-org.yaml-snakeyaml";
    assert_eq!(
        on_branch(&host, "payments", branch, "service/build.gradle.kts").await,
        PAYMENTS_SCRIPT.replace(
            "2.7.0\")\n}",
            "2.7.0\")\n    constraints {\n        implementation(\"org.yaml:snakeyaml:2.0\") {\n            because(\"GHSA-mjmj-j48q-9wg2\")\n        }\n    }\n}"
        )
    );
    assert_eq!(
        on_branch(&host, "payments", branch, "service/gradle.lockfile").await,
        PAYMENTS_LOCK.replace("snakeyaml:1.30=", "snakeyaml:2.0=")
    );

    // A transitive module without POMs: a Groovy constraint; the lockfile is left to Gradle
    // and the pull request says how to refresh it.
    let branch = "gitproxy/security/maven-org.apache.commons-commons-text";
    assert_eq!(
        on_branch(&host, "audit", branch, "build.gradle").await,
        AUDIT_SCRIPT.replace(
            "configuration2:2.7'\n}",
            "configuration2:2.7'\n    constraints {\n        implementation('org.apache.commons:commons-text:1.10.0') {\n            because 'GHSA-599f-7c49-w659'\n        }\n    }\n}"
        )
    );
    assert_eq!(
        on_branch(&host, "audit", branch, "gradle.lockfile").await,
        AUDIT_LOCK
    );
    let prs = host
        .pull_requests("JVM", "audit", "gitproxy/")
        .await
        .unwrap();
    let description = prs[0].description.as_deref().unwrap();
    assert!(
        description.contains("./gradlew dependencies --write-locks"),
        "{description}"
    );
    assert!(description.contains("GHSA-599f-7c49-w659"), "{description}");
    let payments = host
        .pull_requests("JVM", "payments", "gitproxy/")
        .await
        .unwrap();
    assert_eq!(
        payments[0].title,
        "Update dependency org.yaml:snakeyaml to 2.0 (major) [SECURITY]"
    );

    // A second run opens nothing new.
    let again = remediator.remediate_project("JVM").await.unwrap();
    for o in &again {
        assert!(o.opened.is_empty(), "{}: {:?}", o.repo, o.opened);
        assert!(o.problems.is_empty(), "{}: {:?}", o.repo, o.problems);
    }
}
