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
    let reg = StaticRegistry::new()
        .publish(
            Ecosystem::Go,
            "github.com/gin-gonic/gin",
            "v1.9.1",
            &[(None, "h1:new"), (Some("go.mod"), "h1:newmod")],
        )
        .go_mod(
            "github.com/gin-gonic/gin",
            "v1.9.1",
            "module github.com/gin-gonic/gin\n\ngo 1.20\n",
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

#[tokio::test]
async fn the_new_go_mod_raises_and_adds_requirements() {
    let gomod = "module example.com/m\n\ngo 1.17\n\nrequire github.com/tidwall/gjson v1.6.0\n\nrequire (\n\tgithub.com/tidwall/match v1.0.1 // indirect\n)\n";
    let gosum = "github.com/tidwall/gjson v1.6.0 h1:g6\ngithub.com/tidwall/gjson v1.6.0/go.mod h1:g6m\ngithub.com/tidwall/match v1.0.1 h1:m1\ngithub.com/tidwall/match v1.0.1/go.mod h1:m1m\n";
    let snapshot = Snapshot::new().with("go.mod", gomod).with("go.sum", gosum);
    let db = db(&[("G1", "Go", "github.com/tidwall/gjson", "1.9.3")]);
    let reg = StaticRegistry::new()
        .publish(
            Ecosystem::Go,
            "github.com/tidwall/gjson",
            "v1.9.3",
            &[(None, "h1:g9"), (Some("go.mod"), "h1:g9m")],
        )
        .go_mod(
            "github.com/tidwall/gjson",
            "v1.9.3",
            "module github.com/tidwall/gjson\n\ngo 1.12\n\nrequire (\n\tgithub.com/tidwall/match v1.1.1\n\tgithub.com/tidwall/pretty v1.2.0\n)\n",
        )
        .publish(
            Ecosystem::Go,
            "github.com/tidwall/match",
            "v1.1.1",
            &[(None, "h1:m11"), (Some("go.mod"), "h1:m11m")],
        )
        .go_mod("github.com/tidwall/match", "v1.1.1", "module github.com/tidwall/match\n")
        .publish(
            Ecosystem::Go,
            "github.com/tidwall/pretty",
            "v1.2.0",
            &[(None, "h1:p12"), (Some("go.mod"), "h1:p12m")],
        )
        .go_mod("github.com/tidwall/pretty", "v1.2.0", "module github.com/tidwall/pretty\n");
    let (_, set) = edits(&snapshot, &db, &reg).await;
    assert!(!set.needs_package_manager, "{:?}", set.notes);
    assert_eq!(
        set.files["go.mod"],
        "module example.com/m\n\ngo 1.17\n\nrequire github.com/tidwall/gjson v1.9.3\n\nrequire (\n\tgithub.com/tidwall/match v1.1.1 // indirect\n\tgithub.com/tidwall/pretty v1.2.0 // indirect\n)\n"
    );
    assert_eq!(
        set.files["go.sum"],
        "github.com/tidwall/gjson v1.9.3 h1:g9\ngithub.com/tidwall/gjson v1.9.3/go.mod h1:g9m\ngithub.com/tidwall/match v1.1.1 h1:m11\ngithub.com/tidwall/match v1.1.1/go.mod h1:m11m\ngithub.com/tidwall/pretty v1.2.0 h1:p12\ngithub.com/tidwall/pretty v1.2.0/go.mod h1:p12m\n"
    );
}
