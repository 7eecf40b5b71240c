//! Gradle parser tests: lockfiles, catalogs and build scripts written after Gradle's documented
//! formats.

use crate::analysis::{analyze, Analysis, Dependency, Location, Scope};
use crate::files::Snapshot;
use crate::Error;

fn dep<'a>(a: &'a Analysis, name: &str) -> &'a Dependency {
    a.dependencies
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("{name} not found in {:#?}", a.dependencies))
}

fn problem_text(a: &Analysis) -> String {
    a.problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

const GROOVY: &str = r#"plugins {
    id 'java'
}

ext {
    jacksonVersion = '2.13.1'
}
def guavaVersion = "30.1-jre"
ext.slf4jVersion = '1.7.30'

dependencies {
    // literal, command syntax
    implementation 'org.apache.commons:commons-text:1.9'
    implementation("com.google.guava:guava:$guavaVersion")
    implementation "com.fasterxml.jackson.core:jackson-databind:${jacksonVersion}"
    implementation group: 'org.slf4j', name: 'slf4j-api', version: slf4jVersion
    implementation platform('org.springframework.boot:spring-boot-dependencies:2.6.2')
    testImplementation 'junit:junit:4.12'
    testRuntimeOnly("org.junit.platform:junit-platform-launcher:1.8.2") {
        because 'the IDE runs tests with it'
    }
    implementation project(':core')
    implementation files('libs/local.jar')
    constraints {
        implementation('org.yaml:snakeyaml:1.29') {
            because 'GHSA-98wm-3w3q-mw94'
        }
    }
}
"#;

#[test]
fn groovy_literals_maps_variables_and_constraints() {
    let a = analyze(&Snapshot::new().with("build.gradle", GROOVY));
    assert!(a.problems.is_empty(), "{}", problem_text(&a));
    let text = dep(&a, "org.apache.commons:commons-text");
    assert_eq!(text.version.as_deref(), Some("1.9"));
    assert!(text.direct);
    assert_eq!(text.location, Location::new("build.gradle", 13));
    let guava = dep(&a, "com.google.guava:guava");
    assert_eq!(guava.version.as_deref(), Some("30.1-jre"));
    assert_eq!(guava.location.line, 8, "the variable's line");
    assert_eq!(guava.declared_in, Some(Location::new("build.gradle", 14)));
    assert_eq!(
        dep(&a, "com.fasterxml.jackson.core:jackson-databind")
            .location
            .line,
        6
    );
    let slf4j = dep(&a, "org.slf4j:slf4j-api");
    assert_eq!(slf4j.version.as_deref(), Some("1.7.30"));
    assert_eq!(slf4j.location.line, 9);
    assert_eq!(
        dep(&a, "org.springframework.boot:spring-boot-dependencies")
            .version
            .as_deref(),
        Some("2.6.2")
    );
    assert_eq!(dep(&a, "junit:junit").scope, Scope::Dev);
    assert_eq!(
        dep(&a, "org.junit.platform:junit-platform-launcher").scope,
        Scope::Dev
    );
    assert_eq!(dep(&a, "com.google.guava:guava").scope, Scope::Runtime);
    let yaml = dep(&a, "org.yaml:snakeyaml");
    assert_eq!(yaml.version.as_deref(), Some("1.29"));
    assert_eq!(yaml.location.line, 25);
    assert_eq!(a.dependencies.len(), 8, "{:#?}", a.dependencies);
}

const KOTLIN: &str = r#"plugins {
    kotlin("jvm") version "1.9.22"
}

val ktorVersion = "2.3.7"
val logback: String = "1.4.11"
extra["nettyVersion"] = "4.1.100.Final"

dependencies {
    implementation("io.ktor:ktor-server-core:$ktorVersion")
    implementation("io.ktor:ktor-server-netty:${ktorVersion}")
    implementation("ch.qos.logback:logback-classic:$logback")
    implementation(kotlin("reflect", "1.9.22"))
    implementation("io.netty:netty-codec-http:${property("nettyVersion")}")
    runtimeOnly(group = "org.postgresql", name = "postgresql", version = "42.6.0")
    testImplementation("io.mockk:mockk:1.13.8")
}
"#;

#[test]
fn kotlin_literals_named_arguments_and_vals() {
    let a = analyze(&Snapshot::new().with("app/build.gradle.kts", KOTLIN));
    let core = dep(&a, "io.ktor:ktor-server-core");
    assert_eq!(core.version.as_deref(), Some("2.3.7"));
    assert_eq!(core.location, Location::new("app/build.gradle.kts", 5));
    assert_eq!(
        dep(&a, "io.ktor:ktor-server-netty").location.line,
        5,
        "`${{x}}` is the same variable"
    );
    assert_eq!(dep(&a, "ch.qos.logback:logback-classic").location.line, 6);
    assert_eq!(
        dep(&a, "org.jetbrains.kotlin:kotlin-reflect")
            .version
            .as_deref(),
        Some("1.9.22")
    );
    let pg = dep(&a, "org.postgresql:postgresql");
    assert_eq!(pg.version.as_deref(), Some("42.6.0"));
    assert_eq!(pg.location.line, 15);
    assert_eq!(dep(&a, "io.mockk:mockk").scope, Scope::Dev);
    // `${property("nettyVersion")}` is not read: a problem naming the line, never clean.
    assert!(a
        .find("io.netty:netty-codec-http", "4.1.100.Final")
        .is_none());
    assert_eq!(a.problems.len(), 1, "{}", problem_text(&a));
    let p = a.problems[0].to_string();
    assert!(p.contains("app/build.gradle.kts declares (line 14)"), "{p}");
    assert!(p.contains("io.netty:netty-codec-http"), "{p}");
    assert!(p.contains("--write-locks"), "{p}");
}

const CATALOG: &str = r#"[versions]
groovy = "3.0.5"
checkstyle = "8.37"
commons = { strictly = "[3.8, 4.0[", prefer = "3.9" }

[libraries]
groovy-core = { module = "org.codehaus.groovy:groovy", version.ref = "groovy" }
groovy-json = { group = "org.codehaus.groovy", name = "groovy-json", version.ref = "groovy" }
commons-lang3 = { group = "org.apache.commons", name = "commons-lang3", version.ref = "commons" }
guava = "com.google.guava:guava:31.1-jre"
junit = { module = "junit:junit", version = { require = "4.13.1" } }
bom = { module = "org.springframework.boot:spring-boot-dependencies" }

[bundles]
groovy = ["groovy-core", "groovy-json"]

[plugins]
versions = { id = "com.github.ben-manes.versions", version = "0.45.0" }
"#;

const USES_CATALOG: &str = r#"dependencies {
    implementation(libs.groovy.core)
    implementation(libs.bundles.groovy)
    implementation(libs.guava)
    testImplementation(libs.junit)
}
"#;

#[test]
fn catalog_versions_refs_rich_versions_and_plugins() {
    let snapshot = Snapshot::new()
        .with("gradle/libs.versions.toml", CATALOG)
        .with("build.gradle.kts", USES_CATALOG);
    let a = analyze(&snapshot);
    let core = dep(&a, "org.codehaus.groovy:groovy");
    assert_eq!(core.version.as_deref(), Some("3.0.5"));
    assert_eq!(core.location, Location::new("gradle/libs.versions.toml", 2));
    assert_eq!(
        core.declared_in,
        Some(Location::new("gradle/libs.versions.toml", 7))
    );
    assert_eq!(dep(&a, "org.codehaus.groovy:groovy-json").location.line, 2);
    let commons = dep(&a, "org.apache.commons:commons-lang3");
    assert_eq!(
        commons.version.as_deref(),
        Some("3.9"),
        "the exact `prefer`"
    );
    let guava = dep(&a, "com.google.guava:guava");
    assert_eq!(guava.version.as_deref(), Some("31.1-jre"));
    assert_eq!(guava.location.line, 10);
    assert_eq!(guava.scope, Scope::Runtime);
    let junit = dep(&a, "junit:junit");
    assert_eq!(junit.version.as_deref(), Some("4.13.1"));
    assert_eq!(junit.scope, Scope::Dev, "only testImplementation uses it");
    let plugin = dep(
        &a,
        "com.github.ben-manes.versions:com.github.ben-manes.versions.gradle.plugin",
    );
    assert_eq!(plugin.version.as_deref(), Some("0.45.0"));
    assert_eq!(plugin.scope, Scope::Dev);
    // The BOM entry has no version and no lockfile says which: a problem of the catalog.
    assert_eq!(a.problems.len(), 1, "{}", problem_text(&a));
    let p = a.problems[0].to_string();
    assert!(
        p.contains("gradle/libs.versions.toml declares (line 12)"),
        "{p}"
    );
}

const LOCKFILE: &str = "# This is a Gradle generated file for dependency locking.
# Manual edits can break the build and are not advised.
# This file is expected to be part of source control.
com.fasterxml.jackson.core:jackson-annotations:2.13.1=compileClasspath,runtimeClasspath
com.fasterxml.jackson.core:jackson-core:2.13.1=compileClasspath,runtimeClasspath
com.fasterxml.jackson.core:jackson-databind:2.13.1=compileClasspath,runtimeClasspath
junit:junit:4.12=testCompileClasspath,testRuntimeClasspath
org.hamcrest:hamcrest-core:1.3=testCompileClasspath,testRuntimeClasspath
empty=annotationProcessor,testAnnotationProcessor
";

const LOCKED_SCRIPT: &str = r#"dependencies {
    implementation "com.fasterxml.jackson.core:jackson-databind:${rootProject.jacksonVersion}"
    testImplementation 'junit:junit:4.12'
    implementation libraries.unknown
}
"#;

#[test]
fn a_lockfile_gives_versions_direct_and_transitive() {
    let snapshot = Snapshot::new()
        .with("svc/gradle.lockfile", LOCKFILE)
        .with("svc/build.gradle", LOCKED_SCRIPT);
    let a = analyze(&snapshot);
    assert!(a.problems.is_empty(), "{}", problem_text(&a));
    assert_eq!(a.dependencies.len(), 5, "{:#?}", a.dependencies);
    let databind = dep(&a, "com.fasterxml.jackson.core:jackson-databind");
    assert!(databind.direct, "declared, though its version is elsewhere");
    assert_eq!(databind.version.as_deref(), Some("2.13.1"));
    assert_eq!(databind.location, Location::new("svc/gradle.lockfile", 6));
    assert_eq!(
        databind.declared_in,
        Some(Location::new("svc/build.gradle", 2))
    );
    assert_eq!(databind.scope, Scope::Runtime);
    let core = dep(&a, "com.fasterxml.jackson.core:jackson-core");
    assert!(!core.direct);
    assert_eq!(core.declared_in, None);
    let hamcrest = dep(&a, "org.hamcrest:hamcrest-core");
    assert!(!hamcrest.direct);
    assert_eq!(hamcrest.scope, Scope::Dev);
    let junit = dep(&a, "junit:junit");
    assert!(junit.direct);
    assert_eq!(junit.requirement.as_deref(), Some("4.12"));
    assert_eq!(junit.location.file, "svc/gradle.lockfile", "one occurrence");
}

#[test]
fn per_configuration_lockfiles() {
    let snapshot = Snapshot::new()
        .with(
            "gradle/dependency-locks/compileClasspath.lockfile",
            "# comment\norg.slf4j:slf4j-api:1.7.30\n",
        )
        .with(
            "gradle/dependency-locks/testRuntimeClasspath.lockfile",
            "junit:junit:4.12\n",
        );
    let a = analyze(&snapshot);
    assert!(a.problems.is_empty(), "{}", problem_text(&a));
    let slf4j = dep(&a, "org.slf4j:slf4j-api");
    assert_eq!(slf4j.scope, Scope::Runtime);
    assert_eq!(
        slf4j.location,
        Location::new("gradle/dependency-locks/compileClasspath.lockfile", 2)
    );
    assert!(!slf4j.direct);
    assert_eq!(dep(&a, "junit:junit").scope, Scope::Dev);
}

#[test]
fn unknown_lockfile_lines_are_problems_not_guesses() {
    let a = analyze(&Snapshot::new().with(
        "gradle.lockfile",
        "org.slf4j:slf4j-api:1.7.30=runtimeClasspath\nthis is not a lock line\n",
    ));
    assert!(a.dependencies.is_empty());
    assert!(matches!(
        &a.problems[..],
        [Error::Parse { file, line: Some(2), .. }] if file == "gradle.lockfile"
    ));
    let kts = "dependencies {\n    implementation(\"org.a:b:$v\")\n}\n";
    let a = analyze(&Snapshot::new().with("build.gradle.kts", kts));
    assert!(matches!(
        &a.problems[..],
        [Error::Unresolved { file, line: Some(2), .. }] if file == "build.gradle.kts"
    ));
}

#[test]
fn versions_from_other_files_are_problems_not_clean() {
    let script = r#"dependencies {
    implementation "org.springframework:spring-core:$springVersion"
    implementation 'org.springframework:spring-web'
    implementation 'org.example:dynamic:1.+'
    implementation deps.guava
}
"#;
    let a = analyze(&Snapshot::new().with("build.gradle", script));
    assert!(a.dependencies.is_empty(), "{:#?}", a.dependencies);
    assert_eq!(a.problems.len(), 1);
    let p = a.problems[0].to_string();
    assert!(p.contains("build.gradle declares (line 2)"), "{p}");
    for needle in [
        "org.springframework:spring-core",
        "org.springframework:spring-web (no version)",
        "org.example:dynamic `1.+`",
        "`deps.guava` on line 5",
        "4 declarations",
    ] {
        assert!(p.contains(needle), "{needle}: {p}");
    }
}

#[test]
fn a_catalog_reference_without_a_catalog_is_a_problem() {
    let a = analyze(&Snapshot::new().with("build.gradle.kts", USES_CATALOG));
    assert_eq!(a.problems.len(), 1, "{}", problem_text(&a));
    assert!(a.problems[0].to_string().contains("libs.guava"));
}

#[test]
fn groovy_ext_maps_and_resolution_strategy_force() {
    let script = r#"ext.libraries = [
    guava: 'com.google.guava:guava:31.0-jre',
]
configurations.all {
    resolutionStrategy {
        force 'commons-io:commons-io:2.7', 'org.yaml:snakeyaml:1.33'
    }
}
"#;
    let a = analyze(&Snapshot::new().with("build.gradle", script));
    assert!(a.problems.is_empty(), "{}", problem_text(&a));
    assert_eq!(dep(&a, "com.google.guava:guava").location.line, 2);
    assert_eq!(
        dep(&a, "commons-io:commons-io").version.as_deref(),
        Some("2.7")
    );
    assert_eq!(dep(&a, "org.yaml:snakeyaml").location.line, 6);
}

#[test]
fn comments_and_strings_do_not_confuse_the_reader() {
    let script = r#"/* dependencies { implementation 'a.b:c:1' } */
dependencies {
    // implementation 'x.y:z:1'
    implementation 'org.a:b:1.0' // trailing 'p.q:r:2'
    implementation("org.c:d:2.0"); implementation("org.e:f:3.0")
}
"#;
    let a = analyze(&Snapshot::new().with("build.gradle", script));
    let names: Vec<&str> = a.dependencies.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["org.a:b", "org.c:d", "org.e:f"]);
    assert!(a.problems.is_empty(), "{}", problem_text(&a));
}

#[test]
fn several_coordinates_in_one_groovy_statement_and_kotlin_positional_arguments() {
    let groovy = "dependencies {\n    testImplementation 'junit:junit:4.12', 'org.mockito:mockito-core:4.0.0'\n}\n";
    let a = analyze(&Snapshot::new().with("build.gradle", groovy));
    assert_eq!(dep(&a, "org.mockito:mockito-core").scope, Scope::Dev);
    assert_eq!(dep(&a, "junit:junit").scope, Scope::Dev);
    let kotlin = "dependencies {\n    implementation(\"org.slf4j\", \"slf4j-api\", \"2.0.9\")\n}\n";
    let a = analyze(&Snapshot::new().with("build.gradle.kts", kotlin));
    let slf4j = dep(&a, "org.slf4j:slf4j-api");
    assert_eq!(slf4j.version.as_deref(), Some("2.0.9"));
    assert!(a.problems.is_empty(), "{}", problem_text(&a));
}

#[test]
fn gradle_files_are_read_and_nesting_is_limited() {
    for path in [
        "build.gradle",
        "app/build.gradle.kts",
        "gradle/libs.versions.toml",
        "gradle.lockfile",
        "app/gradle/dependency-locks/compileClasspath.lockfile",
    ] {
        assert!(crate::files::is_manifest_path(path), "{path}");
    }
    // A settings script is not a build script; the unsupported table looks at it.
    assert!(!super::is_gradle_path("settings.gradle"));
    let deep = format!(
        "{}dependencies {{ implementation 'a.b:c:1' }}",
        "x {".repeat(300)
    );
    let a = analyze(&Snapshot::new().with("build.gradle", deep));
    assert!(
        a.problems
            .iter()
            .any(|p| p.to_string().contains("nested deeper than")),
        "{}",
        problem_text(&a)
    );
}

#[test]
fn rich_versions_in_a_declaration_closure() {
    let groovy = "dependencies {\n    testImplementation('org.slf4j:slf4j-api') {\n        version {\n            strictly '[1.7, 1.8['\n            prefer '1.7.26'\n        }\n        because 'tests pin it'\n    }\n}\n";
    let a = analyze(&Snapshot::new().with("build.gradle", groovy));
    assert!(a.problems.is_empty(), "{}", problem_text(&a));
    let slf4j = dep(&a, "org.slf4j:slf4j-api");
    assert_eq!(slf4j.version.as_deref(), Some("1.7.26"));
    assert_eq!(slf4j.location.line, 5);
    assert_eq!(slf4j.scope, Scope::Dev);
    let kotlin = "dependencies {\n    implementation(\"org.slf4j:slf4j-api\") { version { strictly(\"2.0.9\") } }\n}\n";
    let a = analyze(&Snapshot::new().with("build.gradle.kts", kotlin));
    assert_eq!(
        dep(&a, "org.slf4j:slf4j-api").version.as_deref(),
        Some("2.0.9")
    );
}

#[test]
fn project_accessors_are_not_modules_and_processors_are_dev() {
    let kts = "dependencies {\n    implementation(projects.core.data)\n    ksp(\"com.google.dagger:hilt-compiler:2.50\")\n    annotationProcessor(\"org.projectlombok:lombok:1.18.30\")\n}\n";
    let a = analyze(&Snapshot::new().with("build.gradle.kts", kts));
    assert!(a.problems.is_empty(), "{}", problem_text(&a));
    assert_eq!(dep(&a, "com.google.dagger:hilt-compiler").scope, Scope::Dev);
    assert_eq!(dep(&a, "org.projectlombok:lombok").scope, Scope::Dev);
}

#[test]
fn a_version_that_refers_to_itself_is_a_problem_not_a_crash() {
    let catalog = r#"[versions]
a = { ref = "a" }
b = { ref = "a" }

[libraries]
guava = { module = "com.google.guava:guava", version.ref = "a" }
text = { module = "org.apache.commons:commons-text", version.ref = "b" }
"#;
    let a = analyze(&Snapshot::new().with("gradle/libs.versions.toml", catalog));
    assert!(
        a.dependencies.iter().all(|d| d.version.is_none()),
        "{:#?}",
        a.dependencies
    );
    let p = problem_text(&a);
    assert!(p.contains("guava") && p.contains("commons-text"), "{p}");
}

#[test]
fn deeply_nested_wrappers_are_too_deep_not_a_stack_overflow() {
    // Every `(` counts toward the nesting limit, not only `{`: 100,000 nested `platform(` stop
    // the reading at the limit and are reported, with no recursion per level.
    let levels = 100_000;
    let script = format!(
        "dependencies {{\n    implementation 'org.apache.commons:commons-text:1.9'\n    implementation {}'com.google.guava:guava:30.1-jre'{}\n}}\n",
        "platform(".repeat(levels),
        ")".repeat(levels)
    );
    let a = analyze(&Snapshot::new().with("build.gradle", script.as_str()));
    let p = problem_text(&a);
    assert!(p.contains(&crate::limits::too_deep()), "{p}");
    assert!(p.contains("build.gradle"), "{p}");
    // What precedes the deep statement is still read.
    assert_eq!(
        dep(&a, "org.apache.commons:commons-text")
            .version
            .as_deref(),
        Some("1.9")
    );
    // Brackets of other kinds count too.
    let script = format!(
        "dependencies {{\n    implementation {}'g.h:a:1'\n}}\n",
        "[".repeat(levels)
    );
    let a = analyze(&Snapshot::new().with("build.gradle.kts", script.as_str()));
    assert!(
        problem_text(&a).contains(&crate::limits::too_deep()),
        "{}",
        problem_text(&a)
    );
}

#[test]
fn wrappers_within_the_limit_are_still_read() {
    let levels = 10;
    let script = format!(
        "dependencies {{\n    implementation {}'com.google.guava:guava:30.1-jre'{}\n}}\n",
        "platform(".repeat(levels),
        ")".repeat(levels)
    );
    let a = analyze(&Snapshot::new().with("build.gradle", script.as_str()));
    assert!(a.problems.is_empty(), "{}", problem_text(&a));
    assert_eq!(
        dep(&a, "com.google.guava:guava").version.as_deref(),
        Some("30.1-jre")
    );
}

#[test]
fn unbalanced_arguments_are_scanned_to_their_statement_end_only() {
    // `implementation(x]` never closes its `(`: the argument scan stops at the next statement
    // instead of running to the end of the block on every line (quadratic in the block's size).
    let mut script = String::from("dependencies {\n");
    for _ in 0..20_000 {
        script.push_str("    implementation(x]\n");
    }
    script.push_str("    implementation 'org.apache.commons:commons-text:1.9'\n}\n");
    let started = std::time::Instant::now();
    let a = analyze(&Snapshot::new().with("build.gradle", script.as_str()));
    let elapsed = started.elapsed();
    // Each unreadable line is its own unresolved declaration; the last line is still read.
    let p = problem_text(&a);
    assert!(p.contains("implementation(x]") || p.contains("x]"), "{p}");
    assert_eq!(
        dep(&a, "org.apache.commons:commons-text")
            .version
            .as_deref(),
        Some("1.9")
    );
    assert!(elapsed.as_secs() < 2, "took {elapsed:?}");
}

#[test]
fn a_module_with_an_unread_version_keeps_its_requirement_and_configuration_whole() {
    let version = "${rootProject.ext.springBootVersionSharedByEveryProjectOfThisBuild}";
    let script = format!(
        "dependencies {{\n    testImplementation \"org.springframework.boot:spring-boot-starter-test:{version}\"\n    implementation group: 'org.example', name: 'widgets', version: widgetsVersionFromElsewhere\n}}\n"
    );
    let lock = "org.springframework.boot:spring-boot-starter-test:2.7.18=testCompileClasspath,testRuntimeClasspath\nempty=\n";
    let snapshot = Snapshot::new()
        .with("build.gradle", script.as_str())
        .with("gradle.lockfile", lock);
    let build = super::read(&snapshot);
    let starter = build
        .declared
        .iter()
        .find(|d| d.name == "org.springframework.boot:spring-boot-starter-test")
        .expect("the starter is declared");
    assert_eq!(starter.version.as_deref(), Some(version), "not shortened");
    assert!(starter.dev, "declared by testImplementation");
    let widgets = build
        .declared
        .iter()
        .find(|d| d.name == "org.example:widgets")
        .expect("widgets is declared");
    assert_eq!(
        widgets.version.as_deref(),
        Some("widgetsVersionFromElsewhere")
    );
    assert!(!widgets.dev);

    let a = analyze(&snapshot);
    let starter = dep(&a, "org.springframework.boot:spring-boot-starter-test");
    assert!(starter.direct);
    assert_eq!(starter.requirement.as_deref(), Some(version));
    // The unlocked module's variable is not taken for a version: a problem, never clean.
    assert!(a
        .dependencies
        .iter()
        .all(|d| d.name != "org.example:widgets"));
    let p = problem_text(&a);
    assert!(
        p.contains("org.example:widgets `widgetsVersionFromElsewhere` on line 3"),
        "{p}"
    );
}
