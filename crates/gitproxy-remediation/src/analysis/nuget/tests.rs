//! Tests for the NuGet parsers, on example files in the layouts `dotnet restore` writes.

use crate::analysis::{analyze, Scope};
use crate::files::Snapshot;
use crate::Ecosystem;

pub(crate) const APP_CSPROJ: &str = r#"<Project Sdk="Microsoft.NET.Sdk">

  <PropertyGroup>
    <TargetFramework>net6.0</TargetFramework>
    <RestorePackagesWithLockFile>true</RestorePackagesWithLockFile>
  </PropertyGroup>

  <ItemGroup>
    <PackageReference Include="Newtonsoft.Json" Version="12.0.1" />
    <PackageReference Include="Serilog">
      <Version>2.10.0</Version>
    </PackageReference>
    <PackageReference Update="Microsoft.NETCore.App" Version="6.0.0" />
  </ItemGroup>

  <ItemGroup>
    <ProjectReference Include="..\Lib\Lib.csproj" />
  </ItemGroup>

</Project>
"#;

pub(crate) const APP_LOCK: &str = r#"{
  "version": 1,
  "dependencies": {
    "net6.0": {
      "Newtonsoft.Json": {
        "type": "Direct",
        "requested": "[12.0.1, )",
        "resolved": "12.0.1",
        "contentHash": "cGjmMG0yIYadQGXaQdlu3CWfNZtl9oHSaBH9HQx7IVBq2RrEpp/3ykUyYVnpG7WYa+zFZ1FmJQeVl2xRQyq6hQ=="
      },
      "Serilog": {
        "type": "Direct",
        "requested": "[2.10.0, )",
        "resolved": "2.10.0",
        "contentHash": "+QX0hmf37a0/OZLxM3wL7V6/ADvC1XihXN4Kq/p6d8lCPfgkRdiuhbWlMaFjR9Av0dy5F0+MBeDmDdRZN/YwQA=="
      },
      "System.Text.Encodings.Web": {
        "type": "Transitive",
        "resolved": "4.5.0",
        "contentHash": "Xg4G4Indi4dqP1iuAiMSwpiWS54ZghzR644OtsVfFT8U4XF3L5ZizQ3Lw5mp6Mhw6ub0gvVx5aqcmErVWrS9nQ=="
      },
      "lib": {
        "type": "Project",
        "dependencies": {
          "System.Text.Encodings.Web": "[4.5.0, )"
        }
      }
    }
  }
}
"#;

#[test]
fn a_lockfile_gives_direct_and_transitive_entries_with_their_declarations() {
    let snapshot = Snapshot::new()
        .with("src/App/App.csproj", APP_CSPROJ)
        .with("src/App/packages.lock.json", APP_LOCK);
    let analysis = analyze(&snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    let deps: Vec<_> = analysis.of(Ecosystem::NuGet).collect();
    assert_eq!(
        deps.len(),
        3,
        "the project entry is not a package: {deps:#?}"
    );
    let json = analysis.find("Newtonsoft.Json", "12.0.1").unwrap();
    assert!(json.direct);
    assert_eq!(json.requirement.as_deref(), Some("[12.0.1, )"));
    assert_eq!(json.location.to_string(), "src/App/packages.lock.json:5");
    assert_eq!(
        json.declared_in.as_ref().unwrap().to_string(),
        "src/App/App.csproj:9"
    );
    let serilog = analysis.find("Serilog", "2.10.0").unwrap();
    assert_eq!(
        serilog.declared_in.as_ref().unwrap().to_string(),
        "src/App/App.csproj:10",
        "a child <Version> element"
    );
    let web = analysis.find("System.Text.Encodings.Web", "4.5.0").unwrap();
    assert!(!web.direct);
    assert_eq!(web.parents, ["lib@project"]);
    assert_eq!(web.constraints, ["[4.5.0, )"]);
    assert_eq!(web.declared_in, None);
    assert_eq!(web.location.line, 17);
}

#[test]
fn a_project_without_a_lockfile_resolves_the_lowest_version_its_range_allows() {
    let csproj = r#"<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup>
    <PackageReference Include="Newtonsoft.Json" Version="12.0.1" />
    <PackageReference Include="Serilog" Version="[2.10.0,3.0)" />
    <PackageReference Include="Dapper" Version="2.*" />
    <PackageReference Include="NoVersion" />
  </ItemGroup>
</Project>
"#;
    let snapshot = Snapshot::new().with("Api.fsproj", csproj);
    let analysis = analyze(&snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    let deps: Vec<_> = analysis.of(Ecosystem::NuGet).collect();
    assert_eq!(deps.len(), 3, "{deps:#?}");
    assert_eq!(deps[0].version.as_deref(), Some("12.0.1"));
    assert_eq!(deps[0].location.to_string(), "Api.fsproj:3");
    assert_eq!(deps[1].version.as_deref(), Some("2.10.0"));
    assert_eq!(deps[1].requirement.as_deref(), Some("[2.10.0,3.0)"));
    assert_eq!(deps[2].name, "Dapper");
    assert_eq!(
        deps[2].version, None,
        "a float has no version without a lockfile"
    );
}

pub(crate) const PROPS: &str = r#"<Project>
  <PropertyGroup>
    <ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally>
  </PropertyGroup>
  <ItemGroup>
    <PackageVersion Include="Newtonsoft.Json" Version="12.0.1" />
    <PackageVersion Include="Serilog" Version="2.10.0" />
  </ItemGroup>
</Project>
"#;

#[test]
fn central_package_management_takes_versions_from_the_props_file() {
    let csproj = r#"<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup>
    <PackageReference Include="newtonsoft.json" />
    <PackageReference Include="Serilog" VersionOverride="2.12.0" />
  </ItemGroup>
</Project>
"#;
    let snapshot = Snapshot::new()
        .with("Directory.Packages.props", PROPS)
        .with("src/Api/Api.vbproj", csproj);
    let analysis = analyze(&snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    let deps: Vec<_> = analysis.of(Ecosystem::NuGet).collect();
    assert_eq!(deps.len(), 2, "{deps:#?}");
    assert_eq!(deps[0].version.as_deref(), Some("12.0.1"));
    assert_eq!(deps[0].location.to_string(), "Directory.Packages.props:6");
    assert_eq!(
        deps[0].declared_in.as_ref().unwrap().to_string(),
        "src/Api/Api.vbproj:3"
    );
    assert_eq!(
        deps[1].version.as_deref(),
        Some("2.12.0"),
        "VersionOverride wins"
    );
    assert_eq!(deps[1].location.to_string(), "src/Api/Api.vbproj:4");
}

#[test]
fn central_transitive_entries_point_at_the_props_file() {
    let lock = r#"{
  "version": 2,
  "dependencies": {
    "net8.0": {
      "Serilog": {
        "type": "Direct",
        "requested": "[2.10.0, )",
        "resolved": "2.10.0",
        "contentHash": "abc="
      },
      "Newtonsoft.Json": {
        "type": "CentralTransitive",
        "requested": "[12.0.1, )",
        "resolved": "12.0.1",
        "contentHash": "def="
      }
    }
  }
}
"#;
    let csproj = "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <ItemGroup>\n    <PackageReference Include=\"Serilog\" />\n  </ItemGroup>\n</Project>\n";
    let snapshot = Snapshot::new()
        .with("Directory.Packages.props", PROPS)
        .with("App/App.csproj", csproj)
        .with("App/packages.lock.json", lock);
    let analysis = analyze(&snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    let pinned = analysis.find("Newtonsoft.Json", "12.0.1").unwrap();
    assert!(pinned.direct, "the props file names it");
    assert_eq!(
        pinned.declared_in.as_ref().unwrap().to_string(),
        "Directory.Packages.props:6"
    );
    let serilog = analysis.find("Serilog", "2.10.0").unwrap();
    assert_eq!(
        serilog.declared_in.as_ref().unwrap().to_string(),
        "App/App.csproj:3"
    );
}

#[test]
fn packages_config_lists_exact_versions_and_development_dependencies() {
    let config = r#"<?xml version="1.0" encoding="utf-8"?>
<packages>
  <package id="Newtonsoft.Json" version="12.0.1" targetFramework="net472" />
  <package id="StyleCop.Analyzers" version="1.1.118" targetFramework="net472" developmentDependency="true" />
</packages>
"#;
    let analysis = analyze(&Snapshot::new().with("Legacy/packages.config", config));
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    let json = analysis.find("Newtonsoft.Json", "12.0.1").unwrap();
    assert_eq!(json.location.to_string(), "Legacy/packages.config:3");
    assert_eq!(json.scope, Scope::Runtime);
    assert_eq!(
        analysis
            .find("StyleCop.Analyzers", "1.1.118")
            .unwrap()
            .scope,
        Scope::Dev
    );
}

#[test]
fn broken_files_are_problems_with_their_line() {
    let snapshot = Snapshot::new()
        .with(
            "a/packages.lock.json",
            "{\n  \"version\": 3,\n  \"dependencies\": {}\n}\n",
        )
        .with(
            "b/packages.lock.json",
            "{\n  \"version\": 1,\n  \"dependencies\": {\n",
        )
        .with("c/C.csproj", "<Project>\n  <ItemGroup>\n</Project>\n")
        .with(
            "c/packages.lock.json",
            "{\"version\": 1, \"dependencies\": {}}",
        )
        .with("d/packages.config", "<package id=\"x\" version=\"1\" />\n");
    let analysis = analyze(&snapshot);
    let problems: Vec<String> = analysis.problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(
        problems[0].contains("lockfile version 3 is not supported"),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("c/C.csproj")),
        "{problems:?}"
    );
    assert!(problems
        .iter()
        .any(|p| p.contains("root element is not <packages>")));
}

#[test]
fn nuget_files_are_manifest_paths() {
    for path in [
        "src/App/App.csproj",
        "x.fsproj",
        "y.vbproj",
        "Directory.Packages.props",
        "a/packages.lock.json",
        "packages.config",
    ] {
        assert!(crate::files::is_manifest_path(path), "{path}");
    }
    assert!(!crate::files::is_manifest_path(".csproj"));
}
