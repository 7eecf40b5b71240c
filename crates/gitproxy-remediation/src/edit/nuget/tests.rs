//! Tests for the NuGet edits: declarations, pins, packages.config and lockfile entries.

use super::bumped;
use super::framework::{nuspec_dependencies, parse, Framework};
use crate::analysis::nuget::tests::{APP_CSPROJ, APP_LOCK, PROPS};
use crate::edit::tests::{db, edits};
use crate::files::Snapshot;
use crate::plan::{LockfileRefresh, Tier};
use crate::registry::StaticRegistry;
use crate::Ecosystem;

const NJ: &str = "Newtonsoft.Json";
const WEB: &str = "System.Text.Encodings.Web";

/// A `.nuspec` with one group per framework family; only .NET Standard 2.0 has a dependency.
const NJ_NUSPEC: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata minClientVersion="2.12">
    <id>Newtonsoft.Json</id>
    <version>13.0.1</version>
    <dependencies>
      <group targetFramework=".NETFramework4.5" />
      <group targetFramework=".NETStandard2.0">
        <dependency id="System.Text.Encodings.Web" version="4.5.0" exclude="Build,Analyzers" />
      </group>
      <group targetFramework="MonoAndroid1.0" />
    </dependencies>
  </metadata>
</package>
"#;

#[test]
fn declared_versions_move_in_their_own_notation() {
    assert_eq!(bumped("12.0.1", "13.0.1"), "13.0.1");
    assert_eq!(bumped("[12.0.1]", "13.0.1"), "[13.0.1]");
    assert_eq!(bumped("[12.0,14.0)", "13.0.1"), "[13.0.1,14.0)");
    assert_eq!(bumped("[12.0,13.0)", "13.0.1"), "[13.0.1,)");
    assert_eq!(bumped("12.*", "13.0.1"), "13.0.1");
    assert_eq!(bumped("13.*", "13.0.1"), "13.*");
    assert_eq!(bumped("$(JsonVersion)", "13.0.1"), "13.0.1");
}

#[test]
fn frameworks_are_read_in_every_spelling() {
    assert_eq!(parse("net6.0"), Some(Framework::Core(6, 0)));
    assert_eq!(parse("net8.0-windows7.0"), Some(Framework::Core(8, 0)));
    assert_eq!(parse("net6.0/win-x64"), Some(Framework::Core(6, 0)));
    assert_eq!(
        parse(".NETCoreApp,Version=v3.1"),
        Some(Framework::Core(3, 1))
    );
    assert_eq!(parse("net472"), Some(Framework::Classic(4, 7, 2)));
    assert_eq!(
        parse(".NETFramework4.6.1"),
        Some(Framework::Classic(4, 6, 1))
    );
    assert_eq!(parse(".NETStandard2.0"), Some(Framework::Standard(2, 0)));
    assert_eq!(parse("MonoAndroid1.0"), None);
}

#[test]
fn the_nearest_dependency_group_applies() {
    let deps = |fw: &str| nuspec_dependencies(NJ_NUSPEC, fw);
    let web = vec![(WEB.to_string(), "4.5.0".to_string())];
    assert_eq!(
        deps("net6.0"),
        Some(web.clone()),
        ".NET 6 takes .NET Standard 2.0"
    );
    assert_eq!(deps("net472"), Some(vec![]), "the same family wins");
    assert_eq!(deps("net40"), Some(vec![]), "no group fits");
    assert_eq!(deps(".NETStandard,Version=v2.1"), Some(web));
    assert_eq!(deps("tizen40"), None, "an unknown framework is not guessed");
    let flat = "<package><metadata><dependencies><dependency id=\"A\" version=\"1.0\" /></dependencies></metadata></package>";
    assert_eq!(
        nuspec_dependencies(flat, "anything"),
        Some(vec![("A".to_string(), "1.0".to_string())])
    );
}

fn versions(reg: StaticRegistry, name: &str, list: &[&str]) -> StaticRegistry {
    list.iter()
        .fold(reg, |r, v| r.publish(Ecosystem::NuGet, name, v, &[]))
}

#[tokio::test]
async fn without_a_registry_the_project_moves_and_restore_refreshes_the_lockfile() {
    let snapshot = Snapshot::new()
        .with("src/App/App.csproj", APP_CSPROJ)
        .with("src/App/packages.lock.json", APP_LOCK);
    let db = db(&[("N1", "NuGet", NJ, "13.0.1"), ("W1", "NuGet", WEB, "4.5.1")]);
    let reg = versions(StaticRegistry::new(), NJ, &["12.0.1", "12.0.3", "13.0.1"]);
    let reg = versions(reg, WEB, &["4.5.0", "4.5.1", "5.0.0"]);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    let by_name = |n: &str| plan.fixes.iter().find(|f| f.name == n).unwrap();
    assert_eq!(by_name(NJ).tier, Tier::ManifestBump);
    assert_eq!(by_name(WEB).tier, Tier::Override);
    let command = LockfileRefresh::Command("dotnet restore --force-evaluate".into());
    assert_eq!(by_name(NJ).lockfile, command);
    assert_eq!(by_name(WEB).lockfile, command);
    assert_eq!(
        set.files["src/App/App.csproj"],
        APP_CSPROJ
            .replace(
                "Version=\"12.0.1\"",
                "Version=\"13.0.1\""
            )
            .replace(
                "    <PackageReference Update=\"Microsoft.NETCore.App\" Version=\"6.0.0\" />\n",
                "    <PackageReference Update=\"Microsoft.NETCore.App\" Version=\"6.0.0\" />\n    <PackageReference Include=\"System.Text.Encodings.Web\" Version=\"4.5.1\" />\n"
            )
    );
    assert!(!set.files.contains_key("src/App/packages.lock.json"));
    assert!(set.needs_package_manager);
    assert!(
        set.notes
            .iter()
            .any(|n| n.contains("run `dotnet restore --force-evaluate`")),
        "{:?}",
        set.notes
    );
    assert!(
        set.notes
            .iter()
            .any(|n| n
                .contains("pinned at 4.5.1 with a new `PackageReference` in src/App/App.csproj")),
        "{:?}",
        set.notes
    );
}

#[tokio::test]
async fn with_a_registry_the_lock_entry_is_rewritten_in_place() {
    let snapshot = Snapshot::new()
        .with("src/App/App.csproj", APP_CSPROJ)
        .with("src/App/packages.lock.json", APP_LOCK);
    let db = db(&[("N1", "NuGet", NJ, "13.0.1")]);
    let reg = StaticRegistry::new()
        .publish(Ecosystem::NuGet, NJ, "12.0.1", &[(None, "old==")])
        .publish(Ecosystem::NuGet, NJ, "13.0.1", &[(None, "bmV3IGhhc2g=")])
        .nuspec(NJ, "13.0.1", NJ_NUSPEC);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(plan.fixes[0].lockfile, LockfileRefresh::Agent);
    assert!(!set.needs_package_manager, "{:?}", set.notes);
    let old_entry = r#"        "requested": "[12.0.1, )",
        "resolved": "12.0.1",
        "contentHash": "cGjmMG0yIYadQGXaQdlu3CWfNZtl9oHSaBH9HQx7IVBq2RrEpp/3ykUyYVnpG7WYa+zFZ1FmJQeVl2xRQyq6hQ=="
"#;
    let new_entry = r#"        "requested": "[13.0.1, )",
        "resolved": "13.0.1",
        "contentHash": "bmV3IGhhc2g=",
        "dependencies": {
          "System.Text.Encodings.Web": "4.5.0"
        }
"#;
    assert_eq!(
        set.files["src/App/packages.lock.json"],
        APP_LOCK.replace(old_entry, new_entry)
    );
    assert!(
        set.files["src/App/App.csproj"].contains("Include=\"Newtonsoft.Json\" Version=\"13.0.1\"")
    );

    // A dependency the lockfile does not hold yet leaves the lockfile to restore.
    let needs_more = NJ_NUSPEC.replace(WEB, "System.Memory");
    let reg = StaticRegistry::new()
        .publish(Ecosystem::NuGet, NJ, "13.0.1", &[(None, "bmV3IGhhc2g=")])
        .nuspec(NJ, "13.0.1", &needs_more);
    let (_, set) = edits(&snapshot, &db, &reg).await;
    assert!(!set.files.contains_key("src/App/packages.lock.json"));
    assert!(set.needs_package_manager);
    assert!(
        set.notes
            .iter()
            .any(|n| n.contains("depends on System.Memory, which is not locked yet")),
        "{:?}",
        set.notes
    );
}

#[tokio::test]
async fn a_float_that_admits_the_fix_moves_only_the_lockfile() {
    let csproj = APP_CSPROJ.replace("Version=\"12.0.1\"", "Version=\"12.*\"");
    let lock = APP_LOCK.replace("\"[12.0.1, )\"", "\"[12.*, )\"");
    let snapshot = Snapshot::new()
        .with("src/App/App.csproj", csproj.clone())
        .with("src/App/packages.lock.json", lock.clone());
    let db = db(&[("N1", "NuGet", NJ, "12.0.3")]);
    let with_registry = StaticRegistry::new()
        .publish(Ecosystem::NuGet, NJ, "12.0.3", &[(None, "bmV3IGhhc2g=")])
        .nuspec(
            NJ,
            "12.0.3",
            "<package><metadata><id>Newtonsoft.Json</id></metadata></package>",
        );
    let (plan, set) = edits(&snapshot, &db, &with_registry).await;
    assert_eq!(plan.fixes[0].tier, Tier::LockfileUpdate);
    assert!(
        !set.files.contains_key("src/App/App.csproj"),
        "12.* admits 12.0.3"
    );
    let edited = &set.files["src/App/packages.lock.json"];
    assert!(edited.contains("\"requested\": \"[12.*, )\",\n        \"resolved\": \"12.0.3\",\n        \"contentHash\": \"bmV3IGhhc2g=\""), "{edited}");

    // Without a registry the project file carries the fix.
    let without = versions(StaticRegistry::new(), NJ, &["12.0.3"]);
    let (plan, set) = edits(&snapshot, &db, &without).await;
    assert_eq!(plan.fixes[0].tier, Tier::ManifestBump);
    assert_eq!(
        set.files["src/App/App.csproj"],
        csproj.replace("Version=\"12.*\"", "Version=\"12.0.3\"")
    );
    assert!(set.needs_package_manager);
}

const CPM_CSPROJ: &str = "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <ItemGroup>\n    <PackageReference Include=\"Newtonsoft.Json\" />\n    <PackageReference Include=\"Serilog\" />\n  </ItemGroup>\n</Project>\n";

const CPM_LOCK: &str = r#"{
  "version": 2,
  "dependencies": {
    "net8.0": {
      "Newtonsoft.Json": {
        "type": "Direct",
        "requested": "[12.0.1, )",
        "resolved": "12.0.1",
        "contentHash": "aaa="
      },
      "Serilog": {
        "type": "Direct",
        "requested": "[2.10.0, )",
        "resolved": "2.10.0",
        "contentHash": "bbb=",
        "dependencies": {
          "System.Text.Encodings.Web": "4.5.0"
        }
      },
      "System.Text.Encodings.Web": {
        "type": "Transitive",
        "resolved": "4.5.0",
        "contentHash": "ccc="
      }
    }
  }
}
"#;

#[tokio::test]
async fn under_central_management_the_props_file_carries_the_fix() {
    let db = db(&[("N1", "NuGet", NJ, "13.0.1"), ("W1", "NuGet", WEB, "4.5.1")]);
    let reg = versions(StaticRegistry::new(), NJ, &["13.0.1"]);
    let reg = versions(reg, WEB, &["4.5.1"]);
    let snapshot = Snapshot::new()
        .with("Directory.Packages.props", PROPS)
        .with("src/App/App.csproj", CPM_CSPROJ)
        .with("src/App/packages.lock.json", CPM_LOCK);
    let (_, set) = edits(&snapshot, &db, &reg).await;
    let pinned_props = PROPS.replace("12.0.1", "13.0.1").replace(
        "    <PackageVersion Include=\"Serilog\" Version=\"2.10.0\" />\n",
        "    <PackageVersion Include=\"Serilog\" Version=\"2.10.0\" />\n    <PackageVersion Include=\"System.Text.Encodings.Web\" Version=\"4.5.1\" />\n",
    );
    assert_eq!(set.files["Directory.Packages.props"], pinned_props);
    assert_eq!(
        set.files["src/App/App.csproj"],
        CPM_CSPROJ.replace(
            "  </ItemGroup>",
            "    <PackageReference Include=\"System.Text.Encodings.Web\" />\n  </ItemGroup>"
        ),
        "without transitive pinning the project references the package"
    );
    assert!(set
        .notes
        .iter()
        .any(|n| n.contains("`CentralPackageTransitivePinningEnabled` is off")));

    // With transitive pinning the PackageVersion alone pins it.
    let pinning = PROPS.replace(
        "    <ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally>\n",
        "    <ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally>\n    <CentralPackageTransitivePinningEnabled>true</CentralPackageTransitivePinningEnabled>\n",
    );
    let snapshot = snapshot.with("Directory.Packages.props", pinning.clone());
    let (_, set) = edits(&snapshot, &db, &reg).await;
    assert!(!set.files.contains_key("src/App/App.csproj"));
    assert!(set.files["Directory.Packages.props"]
        .contains("<PackageVersion Include=\"System.Text.Encodings.Web\" Version=\"4.5.1\" />"));
    assert!(set.notes.iter().any(|n| n.contains(
        "with a `PackageVersion` in Directory.Packages.props, which `CentralPackageTransitivePinningEnabled` applies"
    )));
}

#[tokio::test]
async fn packages_config_and_project_files_without_lockfile_change_in_place() {
    let config = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<packages>\n  <package id=\"Newtonsoft.Json\" version=\"12.0.1\" targetFramework=\"net472\" />\n</packages>\n";
    let csproj = "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <ItemGroup>\n    <PackageReference Include=\"Newtonsoft.Json\">\n      <Version>[12.0.1]</Version>\n    </PackageReference>\n  </ItemGroup>\n</Project>\n";
    let snapshot = Snapshot::new()
        .with("Legacy/packages.config", config)
        .with("Api/Api.csproj", csproj);
    let db = db(&[("N1", "NuGet", NJ, "13.0.1")]);
    let reg = versions(StaticRegistry::new(), NJ, &["13.0.1"]);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(plan.fixes[0].lockfile, LockfileRefresh::NotApplicable);
    assert_eq!(
        set.files["Legacy/packages.config"],
        config.replace("12.0.1", "13.0.1")
    );
    assert_eq!(
        set.files["Api/Api.csproj"],
        csproj.replace("[12.0.1]", "[13.0.1]")
    );
    assert!(!set.needs_package_manager);
}
