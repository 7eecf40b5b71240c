//! Without a package registry (the default), against the simulator: for npm, crates.io, Poetry
//! and Go the pull request changes the manifest only, leaves the lockfile exactly as it was and
//! names the command that refreshes it; the dry run says so before anything is written; and a
//! transitive crate that only Cargo.lock could carry is reported with its command.

use std::sync::Arc;
use std::time::Duration;

use bitbucket_dc::{Client, Credentials};
use bitbucket_dc_sim::{Permission, ProjectSeed, RepoSeed, Simulator, UserSeed};
use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::host::{BitbucketDc, BitbucketHost};
use gitproxy_remediation::plan::PlanOptions;
use gitproxy_remediation::registry::OsvRegistry;
use gitproxy_remediation::remediate::{RemediationStatus, Remediator, State};

const BOT: &str = "bot-token";

const PACKAGE: &str =
    "{\n  \"name\": \"web\",\n  \"dependencies\": {\n    \"lodash\": \"4.17.20\"\n  }\n}\n";
const PACKAGE_LOCK: &str = "{\n  \"name\": \"web\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\n      \"dependencies\": {\n        \"lodash\": \"4.17.20\"\n      }\n    },\n    \"node_modules/lodash\": {\n      \"version\": \"4.17.20\",\n      \"resolved\": \"https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz\",\n      \"integrity\": \"sha512-old\"\n    }\n  }\n}\n";

const CARGO_TOML: &str = "[package]\nname = \"engine\"\nversion = \"0.1.0\"\n\n[dependencies]\nhyper = \"0.14\"\nsmallvec = \"1.6.0\"\n";
const CARGO_LOCK: &str = "version = 3\n\n[[package]]\nname = \"engine\"\nversion = \"0.1.0\"\ndependencies = [\n \"hyper\",\n \"smallvec\",\n]\n\n[[package]]\nname = \"h2\"\nversion = \"0.3.20\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"aaaa\"\n\n[[package]]\nname = \"hyper\"\nversion = \"0.14.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"bbbb\"\ndependencies = [\n \"h2\",\n]\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"cccc\"\n";

const PYPROJECT: &str = "[tool.poetry]\nname = \"reports\"\n\n[tool.poetry.dependencies]\npython = \"^3.9\"\nurllib3 = \"^1.26\"\n";
const POETRY_LOCK: &str = "[[package]]\nname = \"urllib3\"\nversion = \"1.26.4\"\noptional = false\npython-versions = \"*\"\nfiles = [\n    {file = \"urllib3-1.26.4.tar.gz\", hash = \"sha256:old\"},\n]\n\n[metadata]\nlock-version = \"2.0\"\ncontent-hash = \"abc\"\n";

const GO_MOD: &str =
    "module example.com/gateway\n\ngo 1.21\n\nrequire github.com/gin-gonic/gin v1.6.0\n";
const GO_SUM: &str = "github.com/gin-gonic/gin v1.6.0 h1:old-zip=\ngithub.com/gin-gonic/gin v1.6.0/go.mod h1:old-mod=\n";

fn database() -> AdvisoryDb {
    crate::fixed_in_db(
        "no-registry",
        &[
            ("GHSA-35jh-r3h4-6jhm", "npm", "lodash", "4.17.21"),
            ("RUSTSEC-2021-0003", "crates.io", "smallvec", "1.6.1"),
            ("RUSTSEC-2024-0003", "crates.io", "h2", "0.3.24"),
            ("PYSEC-2021-108", "PyPI", "urllib3", "1.26.5"),
            ("GO-2023-1737", "Go", "github.com/gin-gonic/gin", "1.9.1"),
        ],
    )
}

async fn simulator() -> Simulator {
    Simulator::builder()
        .user(UserSeed::new("bot").token(BOT))
        .project(ProjectSeed::new("SEC"))
        .repo(
            RepoSeed::new("SEC", "web")
                .file("package.json", PACKAGE)
                .file("package-lock.json", PACKAGE_LOCK),
        )
        .repo(
            RepoSeed::new("SEC", "engine")
                .file("Cargo.toml", CARGO_TOML)
                .file("Cargo.lock", CARGO_LOCK),
        )
        .repo(
            RepoSeed::new("SEC", "reports")
                .file("pyproject.toml", PYPROJECT)
                .file("poetry.lock", POETRY_LOCK),
        )
        .repo(
            RepoSeed::new("SEC", "gateway")
                .file("go.mod", GO_MOD)
                .file("go.sum", GO_SUM),
        )
        .grant_project("bot", "SEC", Permission::ProjectWrite)
        .start()
        .await
        .expect("the simulator starts")
}

/// Per repository: the remediation branch, the only file its pull request may change, and the
/// command the plan, the dry run and the pull request name.
const EXPECTED: [(&str, &str, &str, &str); 4] = [
    (
        "web",
        "gitproxy/security/npm-lodash",
        "package.json",
        "npm install --package-lock-only",
    ),
    (
        "engine",
        "gitproxy/security/crate-smallvec",
        "Cargo.toml",
        "cargo update -p smallvec --precise 1.6.1",
    ),
    (
        "reports",
        "gitproxy/security/pypi-urllib3",
        "pyproject.toml",
        "poetry lock --no-update",
    ),
    (
        "gateway",
        "gitproxy/security/go-github.com-gin-gonic-gin",
        "go.mod",
        "go mod tidy",
    ),
];

#[tokio::test]
async fn without_a_registry_pull_requests_change_the_manifest_only_and_name_the_command() {
    let sim = simulator().await;
    let bot = Client::builder(sim.base_url().as_str())
        .credentials(Credentials::bearer(BOT).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let host = BitbucketDc::new(bot.clone());
    let db = Arc::new(database());
    // What the agent uses for every ecosystem without a configured registry.
    let registry = OsvRegistry::new(db.clone());
    let remediator = Remediator::new(&host, &db, &registry, PlanOptions::recommended());

    // The dry run says who refreshes each lockfile before anything is written.
    let mut preview: Vec<RemediationStatus> = Vec::new();
    for (repo, ..) in EXPECTED {
        preview.extend(remediator.preview_repo("SEC", repo).await.unwrap());
    }
    for (repo, branch, _, command) in EXPECTED {
        let planned = preview.iter().find(|p| p.branch == branch).expect(branch);
        assert_eq!(planned.state, State::Planned);
        assert_eq!(planned.notes.len(), 1, "{repo}: {:?}", planned.notes);
        assert!(
            planned.notes[0].starts_with("the agent leaves the lockfile as it is")
                && planned.notes[0].contains(&format!("run `{command}`")),
            "{repo}: {}",
            planned.notes[0]
        );
    }
    let h2 = preview
        .iter()
        .find(|p| p.branch == "gitproxy/security/crate-h2")
        .expect("h2 is planned");
    assert!(
        h2.notes[0].contains("no pull request")
            && h2.notes[0].contains("run `cargo update -p h2 --precise 0.3.24`"),
        "{:?}",
        h2.notes
    );
    let table = remediator_preview_markdown(&preview);
    assert!(
        table.contains("- engine: h2 0.3.20 -> 0.3.24: no pull request"),
        "{table}"
    );
    assert!(
        host.pull_requests("SEC", "web", "gitproxy/")
            .await
            .unwrap()
            .is_empty(),
        "the dry run wrote nothing"
    );

    let outcomes = remediator.remediate_project("SEC").await.unwrap();
    for (repo, branch, manifest, command) in EXPECTED {
        let outcome = outcomes.iter().find(|o| o.repo == repo).unwrap();
        assert_eq!(outcome.opened.len(), 1, "{repo}: {outcome:?}");
        let pr = bot.repo("SEC", repo).pull_request(outcome.opened[0]);
        let changed: Vec<String> = pr
            .changes()
            .collect_all()
            .await
            .unwrap()
            .into_iter()
            .filter_map(|c| c.path.full)
            .collect();
        assert_eq!(changed, [manifest], "{repo}: the manifest only");
        let description = pr.get().await.unwrap().description.unwrap_or_default();
        assert!(
            description.contains(&format!("`{command}`")),
            "{repo}: {description}"
        );
        assert!(
            host.branch_head("SEC", repo, branch)
                .await
                .unwrap()
                .is_some(),
            "{repo}"
        );
    }
    // Cargo has no override: h2's fix is reported with its command, not as nothing to do.
    let engine = outcomes.iter().find(|o| o.repo == "engine").unwrap();
    assert_eq!(engine.problems.len(), 1, "{:?}", engine.problems);
    assert!(
        engine.problems[0].starts_with("h2 0.3.20 -> 0.3.24: no pull request")
            && engine.problems[0].contains("run `cargo update -p h2 --precise 0.3.24`"),
        "{}",
        engine.problems[0]
    );
    for repo in ["web", "reports", "gateway"] {
        let outcome = outcomes.iter().find(|o| o.repo == repo).unwrap();
        assert!(
            outcome.problems.is_empty(),
            "{repo}: {:?}",
            outcome.problems
        );
    }
    sim.shutdown().await;
}

fn remediator_preview_markdown(preview: &[RemediationStatus]) -> String {
    gitproxy_remediation::remediate::StatusReport {
        remediations: preview.to_vec(),
        ..Default::default()
    }
    .to_markdown()
}
