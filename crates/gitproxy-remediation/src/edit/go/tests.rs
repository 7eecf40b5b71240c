//! Tests for Go edits: go.mod and go.sum, and go.sum left to `go mod tidy` without hashes.

use crate::edit::tests::{db, edits};
use crate::files::Snapshot;
use crate::plan::{LockfileRefresh, Tier};
use crate::registry::StaticRegistry;
use crate::Ecosystem;

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
    assert_eq!(plan.fixes[0].lockfile, LockfileRefresh::Agent);
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
async fn go_without_hashes_bumps_go_mod_and_leaves_go_sum() {
    let gomod = "module example.com/m\n\ngo 1.21\n\nrequire github.com/gin-gonic/gin v1.6.0\n";
    let gosum = "github.com/gin-gonic/gin v1.6.0 h1:old\ngithub.com/gin-gonic/gin v1.6.0/go.mod h1:oldmod\n";
    let snapshot = Snapshot::new().with("go.mod", gomod).with("go.sum", gosum);
    let db = db(&[("G1", "Go", "github.com/gin-gonic/gin", "1.9.1")]);
    let reg =
        StaticRegistry::new().publish(Ecosystem::Go, "github.com/gin-gonic/gin", "v1.9.1", &[]);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(
        plan.fixes[0].lockfile,
        LockfileRefresh::Command("go mod tidy".into())
    );
    assert_eq!(set.files.keys().collect::<Vec<_>>(), ["go.mod"]);
    assert!(set.notes.iter().any(|n| n.contains("run `go mod tidy`")));
}
