//! The sample project: repositories of five ecosystems pinned to known-vulnerable versions that
//! match the real OSV data in `../shared/osv` (crates.io, Go, PyPI) and the small npm and Maven
//! records shipped here, plus the OSV directory the agent reads.

use std::path::{Path, PathBuf};

use bitbucket_dc_sim::{Permission, RepoSeed, SimulatorBuilder, UserSeed};

use crate::Error;

/// The project key of the sample project.
pub const DEMO_PROJECT: &str = "SHOP";
/// The agent's Bitbucket user: project write, so it can push branches and open pull requests.
pub const WRITER: &str = "remediation-bot";
/// The writer's HTTP access token.
pub const WRITER_TOKEN: &str = "bot-token-5f2c9a71e0d84b36";
/// A user with project read only (the guide's "pull requests are not being created" case).
pub const READER: &str = "auditor";
/// The reader's HTTP access token.
pub const READER_TOKEN: &str = "reader-token-9d14be02c7a35f68";

/// One repository of the sample project.
#[derive(Debug, Clone, Copy)]
pub struct DemoRepo {
    /// Repository slug.
    pub slug: &'static str,
    /// The ecosystem its manifest belongs to (OSV name).
    pub ecosystem: &'static str,
    /// The vulnerable package it pins.
    pub package: &'static str,
    /// Files on the default branch: path and content.
    pub files: &'static [(&'static str, &'static str)],
}

/// The sample project's repositories, one per ecosystem (npm three times: `package.json` alone,
/// with a yarn 1 `yarn.lock`, and with Bun's `bun.lock`).
pub const DEMO_REPOS: &[DemoRepo] = &[
    DemoRepo {
        slug: "billing",
        ecosystem: "crates.io",
        package: "smallvec",
        files: &[
            (
                "Cargo.toml",
                include_str!("../fixtures/repos/billing/Cargo.toml.fixture"),
            ),
            (
                "Cargo.lock",
                include_str!("../fixtures/repos/billing/Cargo.lock.fixture"),
            ),
            ("src/main.rs", "fn main() {}\n"),
        ],
    },
    DemoRepo {
        slug: "gateway",
        ecosystem: "Go",
        package: "golang.org/x/text",
        files: &[
            ("go.mod", include_str!("../fixtures/repos/gateway/go.mod")),
            ("main.go", "package main\n\nfunc main() {}\n"),
        ],
    },
    DemoRepo {
        slug: "reports",
        ecosystem: "PyPI",
        package: "requests",
        files: &[(
            "requirements.txt",
            include_str!("../fixtures/repos/reports/requirements.txt"),
        )],
    },
    DemoRepo {
        slug: "storefront",
        ecosystem: "npm",
        package: "lodash",
        files: &[(
            "package.json",
            include_str!("../fixtures/repos/storefront/package.json"),
        )],
    },
    DemoRepo {
        slug: "checkout",
        ecosystem: "npm",
        package: "lodash",
        files: &[
            (
                "package.json",
                include_str!("../fixtures/repos/checkout/package.json"),
            ),
            (
                "yarn.lock",
                include_str!("../fixtures/repos/checkout/yarn.lock"),
            ),
        ],
    },
    DemoRepo {
        slug: "kiosk",
        ecosystem: "npm",
        package: "lodash",
        files: &[
            (
                "package.json",
                include_str!("../fixtures/repos/kiosk/package.json"),
            ),
            ("bun.lock", include_str!("../fixtures/repos/kiosk/bun.lock")),
        ],
    },
    DemoRepo {
        slug: "ledger",
        ecosystem: "Maven",
        package: "org.apache.logging.log4j:log4j-core",
        files: &[("pom.xml", include_str!("../fixtures/repos/ledger/pom.xml"))],
    },
];

/// OSV records the demo ships for ecosystems `../shared/osv` does not cover.
const FIXTURE_OSV: &[(&str, &str, &str)] = &[
    (
        "npm",
        "GHSA-35jh-r3h4-6jhm.json",
        include_str!("../fixtures/osv/npm/GHSA-35jh-r3h4-6jhm.json"),
    ),
    (
        "Maven",
        "GHSA-jfh8-c2jp-5v3q.json",
        include_str!("../fixtures/osv/Maven/GHSA-jfh8-c2jp-5v3q.json"),
    ),
    // The follow-ups to Log4Shell: 2.15.0 alone is not a fix.
    (
        "Maven",
        "GHSA-7rjr-3q55-vv33.json",
        include_str!("../fixtures/osv/Maven/GHSA-7rjr-3q55-vv33.json"),
    ),
    (
        "Maven",
        "GHSA-p6xc-xr62-6r2g.json",
        include_str!("../fixtures/osv/Maven/GHSA-p6xc-xr62-6r2g.json"),
    ),
    (
        "Maven",
        "GHSA-8489-44mv-ggj8.json",
        include_str!("../fixtures/osv/Maven/GHSA-8489-44mv-ggj8.json"),
    ),
];

/// The ecosystems whose real archives come from `../shared/osv`.
const SHARED_ECOSYSTEMS: &[&str] = &["crates.io", "Go", "PyPI"];

/// A simulator builder with the sample project: the repositories of [`DEMO_REPOS`], a `docs`
/// repository without dependencies, [`WRITER`] with project write and [`READER`] with project
/// read.
pub fn demo_simulator() -> SimulatorBuilder {
    let mut builder = bitbucket_dc_sim::Simulator::builder()
        .user(
            UserSeed::new(WRITER)
                .display_name("Remediation Bot")
                .token(WRITER_TOKEN),
        )
        .user(
            UserSeed::new(READER)
                .display_name("Security Auditor")
                .token(READER_TOKEN),
        );
    for repo in DEMO_REPOS {
        let mut seed = RepoSeed::new(DEMO_PROJECT, repo.slug);
        for (path, content) in repo.files {
            seed = seed.file(*path, *content);
        }
        builder = builder.repo(seed);
    }
    builder
        .repo(RepoSeed::new(DEMO_PROJECT, "docs").file("README.md", "# docs\n"))
        .grant_project(WRITER, DEMO_PROJECT, Permission::ProjectWrite)
        .grant_project(READER, DEMO_PROJECT, Permission::ProjectRead)
}

/// Writes the shipped npm and Maven records under `into/osv` and returns that directory.
pub fn fixture_osv_dir(into: &Path) -> Result<PathBuf, Error> {
    let dir = into.join("osv");
    for (ecosystem, name, text) in FIXTURE_OSV {
        let eco = dir.join(ecosystem);
        std::fs::create_dir_all(&eco).map_err(|e| Error::io("create the OSV dir", &eco, e))?;
        let path = eco.join(name);
        std::fs::write(&path, text).map_err(|e| Error::io("write an OSV record", &path, e))?;
    }
    Ok(dir)
}

/// The demo's OSV directory under `into/osv`: links to the real archives in `shared_osv`
/// (`<ECOSYSTEM>/all.zip` for crates.io, Go and PyPI) plus the shipped npm and Maven records.
pub fn demo_osv_dir(shared_osv: &Path, into: &Path) -> Result<PathBuf, Error> {
    let dir = fixture_osv_dir(into)?;
    for ecosystem in SHARED_ECOSYSTEMS {
        let archive = shared_osv.join(ecosystem).join("all.zip");
        if !archive.is_file() {
            return Err(Error::Setup(format!(
                "OSV data missing: {} does not exist; the checkout expects ../shared/osv beside the project root (pass --osv DIR to use another copy)",
                archive.display()
            )));
        }
        let archive = archive
            .canonicalize()
            .map_err(|e| Error::io("resolve the OSV archive", &archive, e))?;
        let eco = dir.join(ecosystem);
        std::fs::create_dir_all(&eco).map_err(|e| Error::io("create the OSV dir", &eco, e))?;
        let link = eco.join("all.zip");
        std::os::unix::fs::symlink(&archive, &link)
            .map_err(|e| Error::io("link an OSV archive", &link, e))?;
    }
    Ok(dir)
}
