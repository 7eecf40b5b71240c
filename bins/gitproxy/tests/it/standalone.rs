//! `gitproxy scan`, `fix` and `status` without the cloud.

use std::collections::BTreeMap;

use bitbucket_dc_sim::RepoSeed;
use gitproxy_e2e::RegistryStandIn;

use crate::support::{checkout, output, text, Env, BOT_TOKEN, PROJECT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_path_finds_the_vulnerable_dependency_of_a_checkout() {
    let env = Env::start().await;
    let path = checkout(env.dir.path());
    let mut cmd = env.command(BOT_TOKEN);
    cmd.env_remove("GITPROXY_BITBUCKET_URL")
        .args(["scan", "--json", "--path"])
        .arg(&path);
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let scans: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let findings = scans[0]["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{scans:#}");
    assert_eq!(findings[0]["package"], "lodash");
    assert_eq!(findings[0]["version"], "4.17.20");
    assert_eq!(findings[0]["id"], "GHSA-35jh-r3h4-6jhm");
    assert_eq!(findings[0]["fixed"][0], "4.17.21");

    let mut cmd = env.command(BOT_TOKEN);
    cmd.args(["scan", "--path"]).arg(&path);
    let out = output(cmd).await;
    let table = text(&out.stdout);
    assert!(table.starts_with("REPOSITORY"), "{table}");
    assert!(table.contains("lodash"), "{table}");
    assert!(
        table.contains("1 vulnerabilities in 1 repositories"),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fix_path_prints_each_fixs_files_and_writes_nothing() {
    let env = Env::start().await;
    let path = checkout(env.dir.path());
    let before = std::fs::read_to_string(path.join("package.json")).expect("read");
    let mut cmd = env.command(BOT_TOKEN);
    cmd.env_remove("GITPROXY_BITBUCKET_URL")
        .args(["fix", "--json", "--path"])
        .arg(&path);
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let fixes = plan["fixes"].as_array().expect("fixes");
    assert_eq!(fixes.len(), 1, "{plan:#}");
    assert_eq!(fixes[0]["package"], "lodash");
    assert_eq!(fixes[0]["from"], "4.17.20");
    assert_eq!(fixes[0]["to"], "4.17.21");
    assert_eq!(fixes[0]["branch"], "gitproxy/security/npm-lodash");
    let manifest = fixes[0]["files"]["package.json"]
        .as_str()
        .expect("package.json");
    assert_eq!(manifest, before.replace("4.17.20", "4.17.21"), "{plan:#}");
    assert_eq!(
        std::fs::read_to_string(path.join("package.json")).expect("read"),
        before,
        "the checkout is never written"
    );

    let mut cmd = env.command(BOT_TOKEN);
    cmd.args(["fix", "--path"]).arg(&path);
    let out = output(cmd).await;
    let table = text(&out.stdout);
    assert!(
        table.starts_with("npm lodash 4.17.20 -> 4.17.21 (GHSA-35jh-r3h4-6jhm): package.json"),
        "{table}"
    );
    assert!(
        table.ends_with("1 fixes planned, nothing written\n"),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_of_the_project_covers_every_repository() {
    let env = Env::start().await;
    let mut cmd = env.command(BOT_TOKEN);
    cmd.args(["scan", "--json"]);
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let scans: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let scans = scans.as_array().expect("array");
    assert_eq!(scans.len(), 2);
    let web = scans
        .iter()
        .find(|s| s["repository"] == "web")
        .expect("web");
    assert_eq!(web["findings"][0]["package"], "lodash");
    let docs = scans
        .iter()
        .find(|s| s["repository"] == "docs")
        .expect("docs");
    assert_eq!(docs["findings"].as_array().map(Vec::len), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fix_opens_a_pull_request_and_status_reports_it() {
    let env = Env::start().await;

    let mut dry = env.command(BOT_TOKEN);
    dry.args(["fix", "--dry-run", "--json"]);
    let out = output(dry).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let planned: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(planned[0]["state"], "planned", "{planned:#}");
    assert!(
        env.sim.pull_request(PROJECT, "web", 1).is_none(),
        "dry run wrote nothing"
    );

    let mut fix = env.command(BOT_TOKEN);
    fix.args(["fix", "--json"]);
    let out = output(fix).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let outcomes: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let web = outcomes
        .as_array()
        .expect("array")
        .iter()
        .find(|o| o["repo"] == "web")
        .expect("web outcome");
    assert_eq!(web["opened"][0], 1, "{outcomes:#}");
    let pr = env
        .sim
        .pull_request(PROJECT, "web", 1)
        .expect("pull request on the simulator");
    let from = pr["fromRef"]["displayId"].as_str().unwrap_or_default();
    assert!(from.starts_with("gitproxy/"), "{pr:#}");
    assert!(
        pr["title"].as_str().unwrap_or_default().contains("lodash"),
        "{pr:#}"
    );
    let main_tip = env
        .sim
        .branch_tip(PROJECT, "web", "master")
        .or_else(|| env.sim.branch_tip(PROJECT, "web", "main"));
    let branch_tip = env.sim.branch_tip(PROJECT, "web", from);
    assert!(branch_tip.is_some() && branch_tip != main_tip);

    let mut status = env.command(BOT_TOKEN);
    status.arg("status");
    let out = output(status).await;
    let table = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(table.contains("| web |"), "{table}");
    assert!(table.contains("#1"), "{table}");
    assert!(table.contains("pr-open"), "{table}");
}

const APP_PACKAGE: &str = "{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {\n    \"lodash\": \"^4.17.20\"\n  }\n}\n";

const APP_LOCK: &str = r#"{
  "name": "app",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "app",
      "version": "1.0.0",
      "dependencies": {
        "lodash": "^4.17.20"
      }
    },
    "node_modules/lodash": {
      "version": "4.17.20",
      "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz",
      "integrity": "sha512-gmTM3PRVNNkCqEymedLkBqWtBjFRTjNZlXOgXfnLn2kIfJaUBKYn4JeLvnXeRMmzBf2FyPq3xCBQeN33eO4Dw=="
    }
  }
}
"#;

/// The integrity npm publishes for lodash 4.17.21.
const LODASH_21_INTEGRITY: &str =
    "sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg==";

fn lodash_packument() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "name": "lodash",
        "dist-tags": {"latest": "4.17.21"},
        "versions": {
            "4.17.20": {"version": "4.17.20", "dist": {
                "integrity": "sha512-gmTM3PRVNNkCqEymedLkBqWtBjFRTjNZlXOgXfnLn2kIfJaUBKYn4JeLvnXeRMmzBf2FyPq3xCBQeN33eO4Dw==",
                "tarball": "https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz"}},
            "4.17.21": {"version": "4.17.21", "dist": {
                "integrity": LODASH_21_INTEGRITY,
                "tarball": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz"}}
        }
    }))
    .expect("packument")
}

async fn app_env() -> Env {
    Env::start_with(vec![RepoSeed::new(PROJECT, "app")
        .file("package.json", APP_PACKAGE)
        .file("package-lock.json", APP_LOCK)])
    .await
}

/// The file at the head of the pull request's branch, read back through the REST API.
async fn file_on_branch(env: &Env, branch: &str, path: &str) -> String {
    let client = bitbucket_dc::Client::builder(env.sim.base_url().as_str())
        .credentials(bitbucket_dc::Credentials::basic("bot", BOT_TOKEN).expect("credentials"))
        .build()
        .expect("client");
    let raw = client
        .repo(PROJECT, "app")
        .files()
        .raw(path, Some(branch))
        .await
        .expect("file on the branch");
    String::from_utf8(raw.to_vec()).expect("utf-8")
}

fn opened_pr(env: &Env) -> (String, String) {
    let pr = env
        .sim
        .pull_request(PROJECT, "app", 1)
        .expect("pull request on the simulator");
    (
        pr["fromRef"]["displayId"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        pr["description"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_configured_registry_the_lockfile_gets_the_published_integrity() {
    let env = app_env().await;
    let registry = RegistryStandIn::start(
        env.server_tls(),
        "127.0.0.1",
        BTreeMap::from([("/npm/lodash".to_owned(), lodash_packument())]),
    )
    .await
    .expect("registry starts");

    let mut fix = env.command(BOT_TOKEN);
    fix.env("GITPROXY_REGISTRIES", format!("npm={}npm/", registry.url()))
        .args(["fix", "--json"]);
    let out = output(fix).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (branch, description) = opened_pr(&env);
    // The registry was asked through the agent's egress (TLS trusting the custom CA).
    assert!(
        registry.asked().iter().all(|p| p == "/npm/lodash") && !registry.asked().is_empty(),
        "{:?}",
        registry.asked()
    );
    let lock = file_on_branch(&env, &branch, "package-lock.json").await;
    assert!(
        lock.contains(&format!(
            "\"version\": \"4.17.21\",\n      \"resolved\": \"https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz\",\n      \"integrity\": \"{LODASH_21_INTEGRITY}\""
        )),
        "{lock}"
    );
    assert!(!lock.contains("lodash-4.17.20.tgz"), "{lock}");
    assert!(
        description.contains("How: lockfile update within the existing version requirements.")
            && description.contains("Files changed: `package-lock.json`.")
            && !description.contains("was not updated"),
        "{description}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_registry_the_pull_request_says_to_run_the_package_manager() {
    let env = app_env().await;
    let mut fix = env.command(BOT_TOKEN);
    fix.args(["fix", "--json"]);
    let out = output(fix).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (branch, description) = opened_pr(&env);
    // No checksum for the new version: the manifest carries the fix, the PR says what to run,
    // and the lockfile is left as it was rather than written with a wrong integrity.
    for expected in [
        "How: manifest version bump.",
        "Files changed: `package.json`.",
        "lodash 4.17.21 is required in the manifest rather than only in the lockfile because no registry gave its checksum; add an entry for npm to the agent's registries setting",
        "package-lock.json was not updated because the registry gave no integrity for lodash@4.17.21: run `npm install --package-lock-only`",
    ] {
        assert!(description.contains(expected), "{expected}\n{description}");
    }
    let manifest = file_on_branch(&env, &branch, "package.json").await;
    assert_eq!(manifest, APP_PACKAGE.replace("^4.17.20", "^4.17.21"));
    let lock = file_on_branch(&env, &branch, "package-lock.json").await;
    assert_eq!(lock, APP_LOCK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_registry_fails_the_fix_and_check_names_it() {
    let env = app_env().await;
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let registries = format!("PyPI=https://127.0.0.1:{port}/,npm=https://127.0.0.1:{port}/npm/");

    let mut fix = env.command(BOT_TOKEN);
    fix.env("GITPROXY_REGISTRIES", &registries)
        .args(["fix", "--json"]);
    let out = output(fix).await;
    let outcomes: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let problems = outcomes[0]["problems"].to_string();
    assert!(
        problems.contains("registry lookup for npm package `lodash` failed")
            && problems.contains(&format!("127.0.0.1:{port}")),
        "{outcomes:#}"
    );
    assert!(env.sim.pull_request(PROJECT, "app", 1).is_none());

    let mut check = env.command(BOT_TOKEN);
    check
        .env("GITPROXY_REGISTRIES", &registries)
        .args(["check", "--json"]);
    let out = output(check).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let stages = report["stages"].as_array().expect("stages");
    let stage = |name: &str| {
        stages
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("stage {name} in {report:#}"))
    };
    assert_eq!(stage("write permission")["status"], "pass");
    for name in ["registry: npm", "registry: PyPI"] {
        assert_eq!(stage(name)["status"], "fail");
        assert_eq!(stage(name)["code"], "connection_refused");
    }
    assert!(
        stage("registry: PyPI")["fix"]
            .as_str()
            .unwrap_or_default()
            .contains("check the host and port of the PyPI registry URL in the registries setting"),
        "{report:#}"
    );
    assert_eq!(report["registries"].as_array().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_passes_a_reachable_registry() {
    let env = app_env().await;
    let registry = RegistryStandIn::start(env.server_tls(), "127.0.0.1", BTreeMap::new())
        .await
        .expect("registry starts");
    let mut check = env.command(BOT_TOKEN);
    check
        .env(
            "GITPROXY_REGISTRIES",
            format!("crates.io={}index/", registry.url()),
        )
        .arg("check");
    let out = output(check).await;
    let rendered = text(&out.stdout);
    assert!(out.status.success(), "{rendered}");
    assert!(
        rendered.contains(&format!(
            "[PASS] registry: crates.io  {}index/ reachable",
            registry.url()
        )),
        "{rendered}"
    );
    assert!(rendered.contains("result: connection OK"), "{rendered}");
    assert_eq!(registry.asked(), vec!["/index/".to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_over_the_configured_size_limit_is_a_problem_and_the_scan_goes_on() {
    let env = Env::start().await;
    let path = checkout(env.dir.path());
    let big = path.join("big");
    std::fs::create_dir_all(&big).expect("mkdir");
    let padding = " ".repeat(4096);
    std::fs::write(
        big.join("package-lock.json"),
        format!("{{\"lockfileVersion\": 3,{padding}\"packages\": {{}}}}"),
    )
    .expect("write");

    let mut cmd = env.command(BOT_TOKEN);
    cmd.env_remove("GITPROXY_BITBUCKET_URL")
        .args(["scan", "--json", "--max-file-bytes", "2048", "--path"])
        .arg(&path);
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let scans: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let findings = scans[0]["findings"].as_array().expect("findings");
    assert_eq!(
        findings.len(),
        1,
        "the other files are still scanned: {scans:#}"
    );
    let problems = scans[0]["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{scans:#}");
    let problem = problems[0].as_str().expect("text");
    assert!(problem.contains("big/package-lock.json"), "{problem}");
    assert!(problem.contains("2048"), "{problem}");

    let mut cmd = env.command(BOT_TOKEN);
    cmd.env("GITPROXY_MAX_FILE_BYTES", "lots")
        .args(["scan", "--path"])
        .arg(&path);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(64), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("GITPROXY_MAX_FILE_BYTES"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_of_a_checkout_with_an_unsupported_lockfile_is_partial_and_exits_3() {
    let env = Env::start().await;
    let path = checkout(env.dir.path());
    std::fs::write(
        path.join("bun.lockb"),
        "{\n  \"lockfileVersion\": 1,\n  \"packages\": {\n    \"lodash\": [\"lodash@4.17.20\", \"\", {}, \"sha512-x\"]\n  }\n}\n",
    )
    .expect("bun.lockb");
    let mut cmd = env.command(BOT_TOKEN);
    cmd.env_remove("GITPROXY_BITBUCKET_URL")
        .args(["scan", "--json", "--path"])
        .arg(&path);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let scans: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(scans[0]["coverage"], "partly-unsupported", "{scans:#}");
    let unsupported = scans[0]["unsupported"].as_array().expect("unsupported");
    assert_eq!(unsupported.len(), 1, "{scans:#}");
    assert_eq!(unsupported[0]["file"], "bun.lockb");
    assert_eq!(unsupported[0]["format"], "Bun binary lockfile");
    assert_eq!(unsupported[0]["ecosystem"], "npm");
    assert!(
        unsupported[0]["remedy"]
            .as_str()
            .is_some_and(|r| r.contains("--save-text-lockfile")),
        "{scans:#}"
    );

    let mut cmd = env.command(BOT_TOKEN);
    cmd.args(["scan", "--path"]).arg(&path);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(3));
    let table = text(&out.stdout);
    assert!(
        table.contains("unsupported: bun.lockb (Bun binary lockfile, npm): not checked; Bun 1.2 and later write the text bun.lock"),
        "{table}"
    );
    // What to do: the migration Bun documents, after which the agent reads the file.
    assert!(
        table.contains("run `bun install --save-text-lockfile --frozen-lockfile --lockfile-only`, delete bun.lockb and commit bun.lock"),
        "{table}"
    );
    assert!(
        table.contains("partly unsupported: 1 files of unsupported formats were not checked"),
        "{table}"
    );

    std::fs::remove_file(path.join("bun.lockb")).expect("remove");
    let mut cmd = env.command(BOT_TOKEN);
    cmd.args(["scan", "--json", "--path"]).arg(&path);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "a fully supported scan exits 0");
    let scans: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(scans[0]["coverage"], "complete", "{scans:#}");
}

/// `gitproxy scan --path` of a Maven module whose parent is not in the checkout: without a
/// Maven registry the dependency is an unresolved problem naming the parent; with one (reached
/// through the agent's egress, TLS with the custom CA) the parent is fetched, the managed
/// version it gives is matched, and the dependency's own POM is read for what it brings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_path_reads_versions_a_parent_pom_from_the_registry_manages() {
    let env = Env::start().await;
    let maven = env.osv_dir().join("Maven");
    std::fs::create_dir_all(&maven).expect("osv dir");
    std::fs::write(
        maven.join("GHSA-599f-7c49-w659.json"),
        r#"{"id": "GHSA-599f-7c49-w659", "summary": "Arbitrary code execution in Apache Commons Text", "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "Maven", "name": "org.apache.commons:commons-text"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.5"}, {"fixed": "1.10.0"}]}]}]}"#,
    )
    .expect("osv record");
    let dir = env.dir.path().join("maven-app");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("pom.xml"),
        "<project>\n  <modelVersion>4.0.0</modelVersion>\n  <parent>\n    <groupId>com.example.platform</groupId>\n    <artifactId>platform-parent</artifactId>\n    <version>3.1.0</version>\n    <relativePath/>\n  </parent>\n  <artifactId>app</artifactId>\n  <dependencies>\n    <dependency>\n      <groupId>org.apache.commons</groupId>\n      <artifactId>commons-text</artifactId>\n    </dependency>\n  </dependencies>\n</project>\n",
    )
    .expect("pom");
    let scan = |registries: Option<String>| {
        let mut cmd = env.command(BOT_TOKEN);
        cmd.env_remove("GITPROXY_BITBUCKET_URL")
            .args(["scan", "--json", "--path"])
            .arg(&dir);
        if let Some(r) = registries {
            cmd.env("GITPROXY_REGISTRIES", r);
        }
        cmd
    };
    let out = output(scan(None)).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let scans: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(scans[0]["findings"].as_array().map(Vec::len), Some(0));
    let problem = scans[0]["problems"][0].as_str().unwrap_or_default();
    assert!(
        problem.contains("org.apache.commons:commons-text (no version) on line 11")
            && problem.contains("com.example.platform:platform-parent:3.1.0")
            && problem.contains("GITPROXY_REGISTRIES"),
        "{scans:#}"
    );

    let registry = RegistryStandIn::start(
        env.server_tls(),
        "127.0.0.1",
        BTreeMap::from([(
            "/maven2/org/apache/commons/commons-text/1.9/commons-text-1.9.pom".to_owned(),
            b"<project>\n  <groupId>org.apache.commons</groupId>\n  <artifactId>commons-text</artifactId>\n  <version>1.9</version>\n</project>\n".to_vec(),
        ), (
            "/maven2/com/example/platform/platform-parent/3.1.0/platform-parent-3.1.0.pom"
                .to_owned(),
            b"<project>\n  <groupId>com.example.platform</groupId>\n  <artifactId>platform-parent</artifactId>\n  <version>3.1.0</version>\n  <properties>\n    <commons-text.version>1.9</commons-text.version>\n  </properties>\n  <dependencyManagement>\n    <dependencies>\n      <dependency>\n        <groupId>org.apache.commons</groupId>\n        <artifactId>commons-text</artifactId>\n        <version>${commons-text.version}</version>\n      </dependency>\n    </dependencies>\n  </dependencyManagement>\n</project>\n"
                .to_vec(),
        )]),
    )
    .await
    .expect("registry starts");
    let out = output(scan(Some(format!("Maven={}maven2/", registry.url())))).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let scans: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        scans[0]["problems"].as_array().map(Vec::len),
        Some(0),
        "{scans:#}"
    );
    let findings = scans[0]["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{scans:#}");
    assert_eq!(findings[0]["package"], "org.apache.commons:commons-text");
    assert_eq!(findings[0]["version"], "1.9");
    assert_eq!(findings[0]["id"], "GHSA-599f-7c49-w659");
    assert_eq!(
        registry.asked(),
        vec![
            "/maven2/com/example/platform/platform-parent/3.1.0/platform-parent-3.1.0.pom",
            "/maven2/org/apache/commons/commons-text/1.9/commons-text-1.9.pom"
        ],
        "the parent, then the POM of the dependency whose version it gives"
    );
}
