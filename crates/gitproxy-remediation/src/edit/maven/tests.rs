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
    };
    super::edit(&mut work, &fix, &analysis.dependencies[0]).unwrap();
    assert_eq!(
        work.out.files["pom.xml"],
        lone.replace(">2.14.1<", ">2.17.1<")
    );
}
