//! `gitproxy-demo`, run by `cargo xtask demo`: the Bitbucket simulator seeded with a vulnerable
//! sample project, a local hub standing in for the cloud (TLS from a CA minted at start) and the
//! real `gitproxy run` connected through the tunnel; runs Test Connection, an advisory sync (the
//! agent starts without npm data; the cloud syncs it from its OSV directory and the next scan finds
//! the advisory), scan and fix through the hub and prints the pull requests it opened and the
//! remediation status.

// A command-line program talks to its user on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use gitproxy_e2e::{
    demo_osv_dir, demo_simulator, gitproxy_binary, gitproxy_command, AgentProcess, Cloud, Error,
    Pki, DEMO_PROJECT, DEMO_REPOS, WRITER, WRITER_TOKEN,
};
use gitproxy_remediation::advisories::OsvExport;
use gitproxy_remediation::catalogue::{
    Apply, ApplyResult, ListRepositories, ProjectStatus, Scan, Status, SyncAdvisories,
    TestConnection,
};
use gitproxy_tunnel::ops::AgentInfo;
use gitproxy_tunnel::Operation;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(60);

const USAGE: &str = "usage: gitproxy-demo [--osv DIR] [--workdir DIR] [--gitproxy PATH]

  --osv DIR        the shared OSV data (crates.io/, Go/, PyPI/ with all.zip); default ../shared/osv
                   beside the project root
  --workdir DIR    where the CA, OSV links, secrets and the agent's log go; default a temp dir
  --gitproxy PATH  the agent binary; default target/<profile>/gitproxy beside this program
";

#[derive(Debug)]
struct Args {
    osv: PathBuf,
    workdir: Option<PathBuf>,
    gitproxy: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut args = Args {
        osv: root.join("../shared/osv"),
        workdir: None,
        gitproxy: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--osv" => args.osv = PathBuf::from(value("--osv")?),
            "--workdir" => args.workdir = Some(PathBuf::from(value("--workdir")?)),
            "--gitproxy" => args.gitproxy = Some(PathBuf::from(value("--gitproxy")?)),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("gitproxy-demo: {message}");
            }
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("gitproxy-demo: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(demo(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gitproxy-demo: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|e| Error::io("write", path, e))
}

async fn demo(args: Args) -> Result<(), Error> {
    let started = Instant::now();
    let binary = match args.gitproxy {
        Some(path) => path,
        None => gitproxy_binary()?,
    };
    let temp;
    let workdir = match args.workdir {
        Some(dir) => {
            let previous_demo = dir.join("agent.log").exists() || dir.join("ca.pem").exists();
            let empty = std::fs::read_dir(&dir).map_or(true, |mut d| d.next().is_none());
            if !empty && !previous_demo {
                return Err(Error::Setup(format!(
                    "refusing to clear {}: it is not empty and holds no earlier demo run; pass an empty or new --workdir",
                    dir.display()
                )));
            }
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .map_err(|e| Error::io("clear the work dir", &dir, e))?;
            }
            std::fs::create_dir_all(&dir).map_err(|e| Error::io("create the work dir", &dir, e))?;
            dir
        }
        None => {
            temp = tempfile::tempdir().map_err(|e| Error::io("create a temp dir", "", e))?;
            temp.path().to_path_buf()
        }
    };
    let osv = demo_osv_dir(&args.osv, &workdir)?;
    // The agent starts without npm data; the cloud's OSV directory has it and syncs it.
    let cloud_osv = workdir.join("cloud-osv");
    std::fs::create_dir_all(&cloud_osv)
        .map_err(|e| Error::io("create the cloud's OSV dir", &cloud_osv, e))?;
    std::fs::rename(osv.join("npm"), cloud_osv.join("npm"))
        .map_err(|e| Error::io("move the npm records to the cloud", &cloud_osv, e))?;
    let export = OsvExport::new(&cloud_osv);

    // One CA, minted now, signs the hub's and the simulator's certificates; the agent trusts it as
    // its customCaCert.
    let pki = Pki::new("gitproxy demo CA")?;
    let ca_file = workdir.join("ca.pem");
    pki.write_ca(&ca_file)?;
    let leaf = pki.issue(&["127.0.0.1", "localhost"])?;
    let sim = demo_simulator()
        .tls(leaf.cert_pem(), leaf.key_pem())
        .start()
        .await?;
    let cloud = Cloud::start(&pki, "127.0.0.1:0".parse().expect("a literal address")).await?;

    let token_file = workdir.join("bitbucket-token");
    write(&token_file, WRITER_TOKEN)?;
    let key_file = workdir.join("access-key");
    write(&key_file, cloud.access_key())?;
    let mut cmd = gitproxy_command(&binary);
    cmd.env("GITPROXY_CLOUD_URL", cloud.url())
        .env("GITPROXY_ACCESS_KEY_FILE", &key_file)
        .env("GITPROXY_CONNECTIONS", "1")
        .env("GITPROXY_BITBUCKET_URL", sim.base_url().as_str())
        .env("GITPROXY_BITBUCKET_USERNAME", WRITER)
        .env("GITPROXY_BITBUCKET_TOKEN_FILE", &token_file)
        .env("GITPROXY_BITBUCKET_PROJECT", DEMO_PROJECT)
        .env("GITPROXY_CUSTOM_CA_CERT_FILE", &ca_file)
        .env("GITPROXY_OSV_DIR", &osv)
        .env(
            "GITPROXY_ADVISORY_STORE_DIR",
            workdir.join("advisory-store"),
        )
        .env("GITPROXY_LOG_FORMAT", "json")
        .env("GITPROXY_SHUTDOWN_GRACE", "20s")
        .args(["run", "--listen", "127.0.0.1:0"]);
    let mut agent = AgentProcess::spawn(cmd)?;

    println!("gitproxy demo");
    println!(
        "  bitbucket  {} (simulator, project {DEMO_PROJECT}, user {WRITER})",
        sim.base_url()
    );
    println!(
        "  cloud      {} (local tunnel hub, TLS from a CA minted now)",
        cloud.url()
    );
    println!("  agent      {} run", binary.display());
    let result = drive(&cloud, &sim, &mut agent, &export).await;

    agent.sigterm()?;
    let status = agent.wait_exit(WAIT).await?;
    let log = workdir.join("agent.log");
    write(&log, &(agent.seen().join("\n") + "\n"))?;
    result?;
    if !status.success() {
        return Err(Error::Setup(format!(
            "the agent exited with {status} after SIGTERM; see {}",
            log.display()
        )));
    }
    let audits = agent
        .seen()
        .iter()
        .filter(|l| l.contains("\"target\":\"audit\""))
        .count();
    println!();
    println!(
        "agent stopped on SIGTERM (exit 0); {audits} audit lines in its log{}",
        if workdir.starts_with(std::env::temp_dir()) {
            String::new()
        } else {
            format!(" ({})", log.display())
        }
    );
    println!("demo finished in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

async fn drive(
    cloud: &Cloud,
    sim: &bitbucket_dc_sim::Simulator,
    agent: &mut AgentProcess,
    export: &OsvExport,
) -> Result<(), Error> {
    agent.wait_line("tunnel connected", WAIT).await?;
    cloud.wait_agent(WAIT).await?;
    let info = cloud.call(&AgentInfo {}).await?;
    println!("  connected  agent {} through the tunnel", info.agent_id);

    println!();
    println!("==> Test Connection");
    let check = cloud.call(&TestConnection::default()).await?;
    for stage in &check.stages {
        let mark = match stage.status {
            Status::Pass => "[PASS]",
            Status::Fail => "[FAIL]",
            Status::Skip => "[skip]",
        };
        println!("  {mark} {:<22} {}", stage.name, stage.detail);
        if let Some(fix) = &stage.fix {
            println!("         fix: {fix}");
        }
    }
    if !check.ok {
        return Err(Error::Operation {
            operation: TestConnection::NAME.to_owned(),
            message: "Test Connection failed (see the stages above)".to_owned(),
        });
    }

    sync_advisories(cloud, export).await?;

    println!();
    println!("==> Scan");
    let slugs = cloud.call(&ListRepositories::default()).await?.repositories;
    println!(
        "  {} repositories in {DEMO_PROJECT}: {}",
        slugs.len(),
        slugs.join(", ")
    );
    println!(
        "  {:<12} {:<10} {:<38} {:<9} {:<20} FIXED IN",
        "REPOSITORY", "ECOSYSTEM", "PACKAGE", "VERSION", "ADVISORY"
    );
    let mut vulnerable = Vec::new();
    let mut warnings = Vec::new();
    for slug in &slugs {
        let scan = cloud
            .call(&Scan {
                repository: slug.clone(),
                ..Scan::default()
            })
            .await?;
        for w in &scan.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
        for f in &scan.findings {
            println!(
                "  {:<12} {:<10} {:<38} {:<9} {:<20} {}",
                slug,
                f.ecosystem,
                f.package,
                f.version.as_deref().unwrap_or("-"),
                f.id,
                join(&f.fixed)
            );
        }
        if !scan.findings.is_empty() {
            vulnerable.push(slug.clone());
        }
    }
    for w in &warnings {
        println!("  warning: {w}");
    }
    for repo in DEMO_REPOS {
        if !vulnerable.iter().any(|v| v == repo.slug) {
            return Err(Error::Setup(format!(
                "the scan found nothing in {} ({} {}): is the OSV data complete?",
                repo.slug, repo.ecosystem, repo.package
            )));
        }
    }

    println!();
    println!("==> Fix: pull requests opened");
    let mut opened = 0;
    for slug in &vulnerable {
        let result = cloud
            .call(&Apply {
                repository: slug.clone(),
                ..Apply::default()
            })
            .await?;
        let ApplyResult::Applied(outcomes) = result else {
            return Err(Error::Operation {
                operation: Apply::NAME.to_owned(),
                message: "the agent answered a dry run to a real apply".to_owned(),
            });
        };
        for outcome in &outcomes {
            for &id in &outcome.opened {
                let pr = sim
                    .pull_request(DEMO_PROJECT, slug, u64::try_from(id).unwrap_or_default())
                    .unwrap_or(Value::Null);
                println!(
                    "  {slug} #{id} {}\n      {}",
                    pr["title"].as_str().unwrap_or_default(),
                    pr["links"]["self"][0]["href"].as_str().unwrap_or_default()
                );
                opened += 1;
            }
            for problem in &outcome.problems {
                println!("  {slug}: {problem}");
            }
        }
    }
    if opened == 0 {
        return Err(Error::Setup(
            "no pull request was opened; see the agent's log".to_owned(),
        ));
    }

    println!();
    println!("==> Remediation status");
    let status = cloud.call(&ProjectStatus::default()).await?;
    println!(
        "  {:<12} {:<5} {:<10} REMEDIATION",
        "REPOSITORY", "PR", "STATE"
    );
    for r in &status.remediations {
        let state = serde_json::to_value(r.state).unwrap_or(Value::Null);
        println!(
            "  {:<12} {:<5} {:<10} {}",
            r.repo,
            r.pull_request
                .map(|n| format!("#{n}"))
                .unwrap_or_else(|| "-".to_owned()),
            state.as_str().unwrap_or_default(),
            r.title
        );
    }
    println!("  {opened} pull requests opened");
    Ok(())
}

/// The agent has no npm data: a scan of the npm repository finds nothing; the cloud syncs npm from
/// its OSV directory through the tunnel (`advisories.status`, then a full `advisories.sync`), and
/// the next scan finds the advisory.
async fn sync_advisories(cloud: &Cloud, export: &OsvExport) -> Result<(), Error> {
    let repo = DEMO_REPOS
        .iter()
        .find(|r| r.ecosystem == "npm")
        .expect("the sample project has an npm repository");
    let scan = Scan {
        repository: repo.slug.to_owned(),
        ..Scan::default()
    };
    println!();
    println!("==> Advisory sync");
    let before = cloud.call(&scan).await?;
    println!(
        "  before:  {} findings: {} (the agent has no npm advisory data)",
        repo.slug,
        before.findings.len()
    );
    for synced in cloud.sync_advisories(export, &["npm"]).await {
        let report = synced.result.map_err(|e| Error::Operation {
            operation: SyncAdvisories::NAME.to_owned(),
            message: e.to_string(),
        })?;
        println!(
            "  synced:  agent {} npm up to {} ({} records in its database)",
            synced.agent_id,
            report.watermarks.get("npm").map_or("-", String::as_str),
            report.records
        );
    }
    let after = cloud.call(&scan).await?;
    let found: Vec<&str> = after.findings.iter().map(|f| f.id.as_str()).collect();
    println!(
        "  after:   {} findings: {} ({})",
        repo.slug,
        found.len(),
        found.join(", ")
    );
    if found.is_empty() {
        return Err(Error::Setup(format!(
            "the scan after the advisory sync found nothing in {}",
            repo.slug
        )));
    }
    Ok(())
}

fn join(parts: &[String]) -> String {
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join(", ")
    }
}
