//! NuGet end to end against the Bitbucket simulator: a repository with a project file and its
//! `packages.lock.json`, and one under central package management, both fixed through pull
//! requests with versions, `.nupkg` hashes and `.nuspec` files from a NuGet v3 flat container
//! served by the registry stand-in. The advisories are written here, after the real
//! GHSA-5crp-9r3c-p9vr (Newtonsoft.Json, fixed in 13.0.1) and GHSA-ghhp-997w-qr28
//! (System.Text.Encodings.Web, fixed in 4.5.1, 4.7.2 and 5.0.1).

use std::collections::BTreeMap;
use std::time::Duration;

use bitbucket_dc::{Client, Credentials};
use bitbucket_dc_sim::{Permission, ProjectSeed, RepoSeed, Simulator, UserSeed};
use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::host::{BitbucketDc, BitbucketHost};
use gitproxy_remediation::osv::Record;
use gitproxy_remediation::plan::PlanOptions;
use gitproxy_remediation::registry::{
    nuget_content_hash, CachedRegistry, HttpRegistry, OsvRegistry, Registry, RegistryUrls,
};
use gitproxy_remediation::remediate::Remediator;
use gitproxy_remediation::Ecosystem;
use hyper_util::client::legacy::connect::HttpConnector;

use crate::registry::StandIn;

const BOT: &str = "bot-token";

const ORDERS_CSPROJ: &str = r#"<Project Sdk="Microsoft.NET.Sdk">

  <PropertyGroup>
    <TargetFramework>net6.0</TargetFramework>
    <RestorePackagesWithLockFile>true</RestorePackagesWithLockFile>
  </PropertyGroup>

  <ItemGroup>
    <PackageReference Include="Newtonsoft.Json" Version="12.0.1" />
    <PackageReference Include="Microsoft.AspNetCore.Mvc.Razor" Version="2.2.0" />
  </ItemGroup>

</Project>
"#;

const ORDERS_LOCK: &str = r#"{
  "version": 1,
  "dependencies": {
    "net6.0": {
      "Microsoft.AspNetCore.Mvc.Razor": {
        "type": "Direct",
        "requested": "[2.2.0, )",
        "resolved": "2.2.0",
        "contentHash": "cmF6b3ItMi4yLjA=",
        "dependencies": {
          "System.Text.Encodings.Web": "4.5.0"
        }
      },
      "Newtonsoft.Json": {
        "type": "Direct",
        "requested": "[12.0.1, )",
        "resolved": "12.0.1",
        "contentHash": "bmotMTIuMC4x"
      },
      "System.Text.Encodings.Web": {
        "type": "Transitive",
        "resolved": "4.5.0",
        "contentHash": "d2ViLTQuNS4w"
      }
    }
  }
}
"#;

const CATALOG_PROPS: &str = r#"<Project>
  <PropertyGroup>
    <ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally>
    <CentralPackageTransitivePinningEnabled>true</CentralPackageTransitivePinningEnabled>
  </PropertyGroup>
  <ItemGroup>
    <PackageVersion Include="Microsoft.AspNetCore.Mvc.Razor" Version="2.2.0" />
    <PackageVersion Include="Newtonsoft.Json" Version="12.0.1" />
  </ItemGroup>
</Project>
"#;

const CATALOG_CSPROJ: &str = r#"<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net6.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Microsoft.AspNetCore.Mvc.Razor" />
    <PackageReference Include="Newtonsoft.Json" />
  </ItemGroup>
</Project>
"#;

/// The same packages locked with lockfile version 2, as central package management writes it.
fn catalog_lock() -> String {
    ORDERS_LOCK.replace("\"version\": 1,", "\"version\": 2,")
}

/// The `.nupkg` the stand-in serves for Newtonsoft.Json 13.0.1 (any bytes: only its hash counts).
const NJ_NUPKG: &[u8] = b"PK\x05\x06 newtonsoft.json 13.0.1 stand-in package";

const NJ_NUSPEC: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata minClientVersion="2.12">
    <id>Newtonsoft.Json</id>
    <version>13.0.1</version>
    <dependencies>
      <group targetFramework=".NETFramework2.0" />
      <group targetFramework=".NETStandard1.0">
        <dependency id="System.Text.Encodings.Web" version="4.5.0" exclude="Build,Analyzers" />
      </group>
      <group targetFramework=".NETStandard2.0" />
    </dependencies>
  </metadata>
</package>
"#;

fn database() -> AdvisoryDb {
    let mut db = AdvisoryDb::new();
    let records = [
        r#"{"id": "GHSA-5crp-9r3c-p9vr", "aliases": ["CVE-2024-21907"], "summary": "Newtonsoft.Json mishandles exceptional conditions",
            "affected": [{"package": {"ecosystem": "NuGet", "name": "Newtonsoft.Json"},
              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "13.0.1"}]}]}]}"#,
        r#"{"id": "GHSA-ghhp-997w-qr28", "aliases": ["CVE-2021-26701"], "summary": "System.Text.Encodings.Web remote code execution",
            "affected": [{"package": {"ecosystem": "NuGet", "name": "System.Text.Encodings.Web"},
              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "4.0.0"}, {"fixed": "4.5.1"},
                {"introduced": "4.6.0"}, {"fixed": "4.7.2"}, {"introduced": "5.0.0"}, {"fixed": "5.0.1"}]}]}]}"#,
    ];
    for r in records {
        db.insert(Record::from_json("nuget-e2e", r.as_bytes()).unwrap());
    }
    db
}

/// A NuGet v3 flat container under `/nuget/`.
fn flat_container() -> BTreeMap<String, Vec<u8>> {
    let mut r = BTreeMap::new();
    r.insert(
        "/nuget/newtonsoft.json/index.json".to_string(),
        br#"{"versions": ["11.0.2", "12.0.1", "12.0.3", "13.0.1", "13.0.2", "13.0.3"]}"#.to_vec(),
    );
    r.insert(
        "/nuget/newtonsoft.json/13.0.1/newtonsoft.json.13.0.1.nupkg".to_string(),
        NJ_NUPKG.to_vec(),
    );
    r.insert(
        "/nuget/newtonsoft.json/13.0.1/newtonsoft.json.nuspec".to_string(),
        NJ_NUSPEC.as_bytes().to_vec(),
    );
    r.insert(
        "/nuget/system.text.encodings.web/index.json".to_string(),
        br#"{"versions": ["4.0.0", "4.5.0", "4.5.1", "4.7.2", "5.0.1", "6.0.0-preview.1.21102.12"]}"#
            .to_vec(),
    );
    r
}

async fn simulator() -> Simulator {
    Simulator::builder()
        .user(UserSeed::new("bot").token(BOT))
        .project(ProjectSeed::new("NET").name("Dotnet"))
        .repo(
            RepoSeed::new("NET", "orders")
                .file("src/Orders/Orders.csproj", ORDERS_CSPROJ)
                .file("src/Orders/packages.lock.json", ORDERS_LOCK),
        )
        .repo(
            RepoSeed::new("NET", "catalog")
                .file("Directory.Packages.props", CATALOG_PROPS)
                .file("src/Catalog/Catalog.csproj", CATALOG_CSPROJ)
                .file("src/Catalog/packages.lock.json", catalog_lock()),
        )
        .grant_project("bot", "NET", Permission::ProjectWrite)
        .start()
        .await
        .expect("the simulator starts")
}

async fn on_branch(host: &BitbucketDc, repo: &str, branch: &str, path: &str) -> String {
    let head = host
        .branch_head("NET", repo, branch)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{repo}: branch {branch} exists"));
    String::from_utf8(host.read_file("NET", repo, path, &head).await.unwrap()).unwrap()
}

async fn description(host: &BitbucketDc, repo: &str, branch: &str) -> String {
    let prs = host.pull_requests("NET", repo, branch).await.unwrap();
    assert_eq!(prs.len(), 1, "{repo}: one pull request on {branch}");
    prs[0].description.clone().unwrap_or_default()
}

#[tokio::test]
async fn nuget_fix_pull_requests_with_and_without_central_management() {
    let sim = simulator().await;
    let db = database();
    let stand_in = StandIn::start(flat_container()).await;
    let urls = RegistryUrls::none()
        .with(
            Ecosystem::NuGet,
            &format!("http://{}/nuget/", stand_in.addr),
        )
        .unwrap();
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), urls));
    let client = Client::builder(sim.base_url().as_str())
        .credentials(Credentials::bearer(BOT).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let host = BitbucketDc::new(client);
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended());
    let outcomes = remediator.remediate_project("NET").await.unwrap();
    for o in &outcomes {
        assert!(o.problems.is_empty(), "{}: {:?}", o.repo, o.problems);
        assert!(o.unfixable.is_empty(), "{}: {:?}", o.repo, o.unfixable);
        assert_eq!(o.opened.len(), 2, "{}: {:?}", o.repo, o.opened);
    }

    // Without central management: the project file and the lockfile entry.
    let json = "gitproxy/security/nuget-newtonsoft.json";
    assert_eq!(
        on_branch(&host, "orders", json, "src/Orders/Orders.csproj").await,
        ORDERS_CSPROJ.replace("Version=\"12.0.1\"", "Version=\"13.0.1\"")
    );
    let hash = nuget_content_hash(NJ_NUPKG);
    let old = "        \"requested\": \"[12.0.1, )\",\n        \"resolved\": \"12.0.1\",\n        \"contentHash\": \"bmotMTIuMC4x\"\n";
    let new = format!("        \"requested\": \"[13.0.1, )\",\n        \"resolved\": \"13.0.1\",\n        \"contentHash\": \"{hash}\"\n");
    assert_eq!(
        on_branch(&host, "orders", json, "src/Orders/packages.lock.json").await,
        ORDERS_LOCK.replace(old, &new),
        "the .NET Standard 2.0 group (no dependencies) is the nearest to net6.0"
    );
    let text = description(&host, "orders", json).await;
    assert!(text.contains("| Newtonsoft.Json (NuGet) |"), "{text}");
    assert!(text.contains("GHSA-5crp-9r3c-p9vr"), "{text}");

    // The transitive package is pinned with a reference of its own; restore places it.
    let web = "gitproxy/security/nuget-system.text.encodings.web";
    assert_eq!(
        on_branch(&host, "orders", web, "src/Orders/Orders.csproj").await,
        ORDERS_CSPROJ.replace(
            "    <PackageReference Include=\"Microsoft.AspNetCore.Mvc.Razor\" Version=\"2.2.0\" />\n",
            "    <PackageReference Include=\"Microsoft.AspNetCore.Mvc.Razor\" Version=\"2.2.0\" />\n    <PackageReference Include=\"System.Text.Encodings.Web\" Version=\"4.5.1\" />\n"
        )
    );
    assert_eq!(
        on_branch(&host, "orders", web, "src/Orders/packages.lock.json").await,
        ORDERS_LOCK
    );
    let text = description(&host, "orders", web).await;
    assert!(
        text.contains("with a new `PackageReference` in src/Orders/Orders.csproj"),
        "{text}"
    );
    assert!(text.contains("dotnet restore --force-evaluate"), "{text}");

    // Under central management the props file carries both fixes.
    let props = on_branch(&host, "catalog", json, "Directory.Packages.props").await;
    assert_eq!(
        props,
        CATALOG_PROPS.replace(
            "\"Newtonsoft.Json\" Version=\"12.0.1\"",
            "\"Newtonsoft.Json\" Version=\"13.0.1\""
        )
    );
    assert_eq!(
        on_branch(&host, "catalog", json, "src/Catalog/Catalog.csproj").await,
        CATALOG_CSPROJ
    );
    assert_eq!(
        on_branch(&host, "catalog", json, "src/Catalog/packages.lock.json").await,
        catalog_lock().replace(old, &new)
    );
    let props = on_branch(&host, "catalog", web, "Directory.Packages.props").await;
    assert_eq!(
        props,
        CATALOG_PROPS.replace(
            "    <PackageVersion Include=\"Newtonsoft.Json\" Version=\"12.0.1\" />\n",
            "    <PackageVersion Include=\"Newtonsoft.Json\" Version=\"12.0.1\" />\n    <PackageVersion Include=\"System.Text.Encodings.Web\" Version=\"4.5.1\" />\n"
        )
    );
    let text = description(&host, "catalog", web).await;
    assert!(
        text.contains("`CentralPackageTransitivePinningEnabled`"),
        "{text}"
    );

    sim.shutdown().await;
}

#[tokio::test]
async fn without_a_nuget_registry_the_lockfile_is_left_to_dotnet_restore() {
    let db = std::sync::Arc::new(database());
    let registry = OsvRegistry::new(std::sync::Arc::clone(&db));
    let versions = registry
        .versions(Ecosystem::NuGet, "newtonsoft.json")
        .await
        .unwrap();
    assert_eq!(versions.len(), 1, "the OSV data's fixed version");
    let snapshot = gitproxy_remediation::files::Snapshot::new()
        .with("src/Orders/Orders.csproj", ORDERS_CSPROJ)
        .with("src/Orders/packages.lock.json", ORDERS_LOCK);
    let analysis = gitproxy_remediation::analysis::analyze(&snapshot);
    let findings = db.scan(&analysis);
    let plan = gitproxy_remediation::plan::plan(
        &analysis,
        &findings,
        &db,
        &registry,
        &PlanOptions::recommended(),
    )
    .await
    .unwrap();
    assert_eq!(plan.fixes.len(), 2);
    for fix in &plan.fixes {
        assert_eq!(
            fix.lockfile.command(),
            Some("dotnet restore --force-evaluate")
        );
    }
    let set = gitproxy_remediation::edit::apply(&plan, &analysis, &snapshot, &registry)
        .await
        .unwrap();
    assert!(set.needs_package_manager);
    assert!(!set.files.contains_key("src/Orders/packages.lock.json"));
    assert!(set.files["src/Orders/Orders.csproj"].contains("Version=\"13.0.1\""));
    assert!(set.files["src/Orders/Orders.csproj"]
        .contains("<PackageReference Include=\"System.Text.Encodings.Web\" Version=\"4.5.1\" />"));
}

#[tokio::test]
async fn the_flat_container_client_normalises_ids_and_versions_and_reads_404_as_absent() {
    let stand_in = StandIn::start(flat_container()).await;
    let urls = RegistryUrls::none()
        .with(Ecosystem::NuGet, &format!("http://{}/nuget", stand_in.addr))
        .unwrap();
    let registry = HttpRegistry::new(HttpConnector::new(), urls);
    let versions = registry
        .versions(Ecosystem::NuGet, "NewtonSoft.JSON")
        .await
        .unwrap();
    assert_eq!(versions.len(), 6);
    assert!(versions.iter().all(|v| !v.yanked));
    // `13.0.1.0` and `13.0.01` are 13.0.1: the path uses the normalised, lower-case form.
    for spelling in ["13.0.1.0", "13.0.01"] {
        let digests = registry
            .digests(Ecosystem::NuGet, "Newtonsoft.Json", spelling)
            .await
            .unwrap();
        assert_eq!(digests.len(), 1, "{spelling}");
        assert_eq!(digests[0].value, nuget_content_hash(NJ_NUPKG));
    }
    assert!(registry
        .nuget_nuspec("Newtonsoft.Json", "13.0.1")
        .await
        .unwrap()
        .is_some_and(|n| n.contains("<id>Newtonsoft.Json</id>")));
    assert!(registry
        .versions(Ecosystem::NuGet, "No.Such.Package")
        .await
        .unwrap()
        .is_empty());
    assert!(registry
        .digests(Ecosystem::NuGet, "Newtonsoft.Json", "9.9.9")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        registry
            .nuget_nuspec("Newtonsoft.Json", "9.9.9")
            .await
            .unwrap(),
        None
    );
    // Without a NuGet registry nothing is asked.
    let none = HttpRegistry::new(HttpConnector::new(), RegistryUrls::none());
    assert_eq!(
        none.nuget_nuspec("Newtonsoft.Json", "13.0.1")
            .await
            .unwrap(),
        None
    );
    let err = none
        .versions(Ecosystem::NuGet, "Newtonsoft.Json")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no NuGet registry is configured"),
        "{err}"
    );
}
