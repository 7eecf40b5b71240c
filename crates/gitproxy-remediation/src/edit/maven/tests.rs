//! Tests for Maven edits: property, managed and BOM pins.

use crate::analysis::analyze;
use crate::analysis::maven::read_pom;
use crate::edit::tests::{db, edits};
use crate::edit::{EditSet, Work};
use crate::files::Snapshot;
use crate::plan::{PackageFix, Tier};
use crate::registry::StaticRegistry;
use crate::Ecosystem;

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
        fixed_versions: Vec::new(),
        breaking: false,
        tier: Tier::Override,
        dependencies: vec![0],
        advisories: Vec::new(),
        locations: Vec::new(),
        notes: Vec::new(),
        lockfile: crate::plan::LockfileRefresh::Agent,
        own_version: false,
    };
    super::edit(&mut work, &fix, &analysis.dependencies[0]).unwrap();
    assert_eq!(
        work.out.files["pom.xml"],
        lone.replace(">2.14.1<", ">2.17.1<")
    );
}

const SHARED_PARENT: &str = "<project>\n  <groupId>com.example</groupId>\n  <artifactId>parent</artifactId>\n  <version>1</version>\n  <properties>\n    <jackson.version>2.13.1</jackson.version>\n  </properties>\n  <dependencyManagement>\n    <dependencies>\n      <dependency>\n        <groupId>com.fasterxml.jackson.core</groupId>\n        <artifactId>jackson-databind</artifactId>\n        <version>${jackson.version}</version>\n      </dependency>\n    </dependencies>\n  </dependencyManagement>\n</project>\n";
const SHARED_CHILD: &str = "<project>\n  <parent><groupId>com.example</groupId><artifactId>parent</artifactId><version>1</version></parent>\n  <artifactId>svc</artifactId>\n  <dependencies>\n    <dependency>\n      <groupId>com.fasterxml.jackson.core</groupId>\n      <artifactId>jackson-databind</artifactId>\n    </dependency>\n    <dependency>\n      <groupId>com.fasterxml.jackson.core</groupId>\n      <artifactId>jackson-core</artifactId>\n      <version>${jackson.version}</version>\n    </dependency>\n  </dependencies>\n</project>\n";

fn jackson(core_has_the_fix: bool) -> StaticRegistry {
    let reg = StaticRegistry::new()
        .publish(
            Ecosystem::Maven,
            "com.fasterxml.jackson.core:jackson-databind",
            "2.13.2.1",
            &[],
        )
        .publish(
            Ecosystem::Maven,
            "com.fasterxml.jackson.core:jackson-core",
            "2.13.2",
            &[],
        );
    if core_has_the_fix {
        reg.publish(
            Ecosystem::Maven,
            "com.fasterxml.jackson.core:jackson-core",
            "2.13.2.1",
            &[],
        )
    } else {
        reg
    }
}

/// `jackson.version` also sets jackson-core, which has no 2.13.2.1 (a databind-only patch): the
/// property stays and the managed `<version>` of jackson-databind gets the fix.
#[tokio::test]
async fn a_property_shared_with_a_module_without_the_fix_stays_and_the_element_moves() {
    let snapshot = Snapshot::new()
        .with("pom.xml", SHARED_PARENT)
        .with("svc/pom.xml", SHARED_CHILD);
    let db = db(&[(
        "GHSA-57j2-w4cx-62h2",
        "Maven",
        "com.fasterxml.jackson.core:jackson-databind",
        "2.13.2.1",
    )]);
    let (plan, set) = edits(&snapshot, &db, &jackson(false)).await;
    assert!(plan.fixes[0].own_version, "{:?}", plan.fixes[0].notes);
    assert_eq!(
        set.files["pom.xml"],
        SHARED_PARENT.replace(
            "<version>${jackson.version}</version>",
            "<version>2.13.2.1</version>"
        )
    );
    assert!(
        SHARED_PARENT.contains("<jackson.version>2.13.1<")
            && !set.files.contains_key("svc/pom.xml")
    );

    // When jackson-core publishes 2.13.2.1 too, the property moves.
    let (plan, set) = edits(&snapshot, &db, &jackson(true)).await;
    assert!(!plan.fixes[0].own_version);
    assert_eq!(
        set.files["pom.xml"],
        SHARED_PARENT.replace(">2.13.1<", ">2.13.2.1<")
    );
}

/// A module the dependency tree brings is pinned in the POM's `dependencyManagement`: a new
/// entry, or the repository's own entry for it (its property) when there is one.
#[tokio::test]
async fn a_module_the_tree_brings_is_pinned_in_the_poms_management() {
    let app = |management: &str| {
        format!("<project>\n  <groupId>com.example</groupId>\n  <artifactId>app</artifactId>\n  <version>1</version>\n  <properties>\n    <text.version>1.9</text.version>\n  </properties>\n{management}  <dependencies>\n    <dependency>\n      <groupId>org.example</groupId>\n      <artifactId>templates</artifactId>\n      <version>1.0</version>\n    </dependency>\n  </dependencies>\n</project>\n")
    };
    let managed = "  <dependencyManagement>\n    <dependencies>\n      <dependency>\n        <groupId>org.apache.commons</groupId>\n        <artifactId>commons-text</artifactId>\n        <version>${text.version}</version>\n      </dependency>\n    </dependencies>\n  </dependencyManagement>\n";
    let templates = "<project><groupId>org.example</groupId><artifactId>templates</artifactId><version>1.0</version><dependencies><dependency><groupId>org.apache.commons</groupId><artifactId>commons-text</artifactId><version>1.9</version></dependency></dependencies></project>";
    let db = db(&[(
        "GHSA-599f-7c49-w659",
        "Maven",
        "org.apache.commons:commons-text",
        "1.10.0",
    )]);
    let reg = StaticRegistry::new().publish(
        Ecosystem::Maven,
        "org.apache.commons:commons-text",
        "1.10.0",
        &[],
    );
    for (before, after) in [
        (
            app(""),
            app("  <dependencyManagement>\n    <dependencies>\n      <dependency>\n        <groupId>org.apache.commons</groupId>\n        <artifactId>commons-text</artifactId>\n        <version>1.10.0</version>\n      </dependency>\n    </dependencies>\n  </dependencyManagement>\n"),
        ),
        (app(managed), app(managed).replace(">1.9<", ">1.10.0<")),
    ] {
        let mut snapshot = Snapshot::new().with("pom.xml", before.as_str());
        snapshot.insert_external("org.example:templates:1.0", templates);
        let (plan, set) = edits(&snapshot, &db, &reg).await;
        assert_eq!(plan.fixes[0].tier, Tier::Override, "{:?}", plan.fixes);
        assert!(
            plan.fixes[0].notes[0].starts_with("org.apache.commons:commons-text is not declared by pom.xml, only brought by org.example:templates@1.0"),
            "{:?}",
            plan.fixes[0].notes
        );
        assert_eq!(set.files["pom.xml"], after);
    }
}
