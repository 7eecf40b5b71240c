//! The per-file size limit on a repository read through Bitbucket: a file over the scan's limit
//! is a problem of that file and the scan goes on, whatever the HTTP client's own response limit;
//! a file under it is read even when the client's limit is lower.

use std::time::Duration;

use bitbucket_dc::{Client, Credentials};
use bitbucket_dc_sim::{Permission, ProjectSeed, RepoSeed, Simulator, UserSeed};
use gitproxy_remediation::host::BitbucketDc;
use gitproxy_remediation::scan::scan_repo;
use gitproxy_remediation::ScanOptions;

/// A valid lockfile of `size` bytes naming no package.
fn padded_lock(size: usize) -> String {
    let head = "{\"lockfileVersion\": 3,";
    let tail = "\"packages\": {}}";
    format!("{head}{}{tail}", " ".repeat(size - head.len() - tail.len()))
}

#[tokio::test]
async fn files_over_the_scan_limit_are_problems_whatever_the_clients_response_limit() {
    let sim = Simulator::builder()
        .user(UserSeed::new("bot").token("bot-token"))
        .project(ProjectSeed::new("SEC").name("Security"))
        .repo(
            RepoSeed::new("SEC", "big")
                .file("requirements.txt", "requests==2.25.1\n")
                .file("small/package-lock.json", padded_lock(10_000))
                .file("huge/package-lock.json", padded_lock(100_000)),
        )
        .grant_project("bot", "SEC", Permission::ProjectWrite)
        .start()
        .await
        .expect("the simulator starts");
    // A client whose own response limit is far below both files.
    let client = Client::builder(sim.base_url().as_str())
        .credentials(Credentials::bearer("bot-token").expect("token"))
        .max_response_bytes(2048)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let host = BitbucketDc::new(client);
    let db = crate::load("PyPI");
    let mut options = ScanOptions::default();
    options.max_file_bytes = 64 * 1024;

    let registry = gitproxy_remediation::registry::StaticRegistry::new();
    let scan = scan_repo(&host, &db, &registry, "SEC", "big", &options)
        .await
        .expect("an oversized file does not fail the scan");

    assert_eq!(
        scan.problems,
        vec![
            "left huge/package-lock.json out of the scan: its 100000 bytes exceed the limit of \
             65536 bytes for one file; raise the scan's file size limit if the file is genuine, \
             or remove it from the repository"
                .to_owned()
        ],
        "only the file over the scan's limit is a problem: {scan:#?}"
    );
    assert!(
        scan.findings.iter().any(|f| f.package == "requests"),
        "the other files are still scanned: {scan:#?}"
    );
}
