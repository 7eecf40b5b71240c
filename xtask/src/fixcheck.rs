//! `cargo xtask fix-check [--registries LIST] [--osv DIR] CHECKOUT`: computes every fix the engine
//! would open for a local checkout (`gitproxy fix --path`), applies each to its own copy and runs
//! the ecosystem's own consistency check on it against the real registries (`cargo metadata
//! --locked`, `npm ci --dry-run`, `pnpm install --frozen-lockfile --lockfile-only`, `bun install
//! --frozen-lockfile --lockfile-only`, `poetry check
//! --lock`, `pipenv verify`, `uv lock --locked`, `pdm lock --check`, `go mod verify`) — after the command the pull
//! request names when it leaves the lockfile to one — then re-scans the copy: the fixed
//! advisories must be gone and none may appear.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// The command line of `fix-check`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Args {
    /// The `--registries` setting handed to gitproxy (`public` by default).
    pub(crate) registries: String,
    /// OSV data (`../shared/osv` by default).
    pub(crate) osv: Option<PathBuf>,
    /// The checkout.
    pub(crate) dir: PathBuf,
}

impl Args {
    pub(crate) fn parse(args: &[String]) -> Result<Args> {
        let usage = "usage: cargo xtask fix-check [--registries LIST] [--osv DIR] CHECKOUT";
        let (mut registries, mut osv, mut dir) = ("public".to_owned(), None, None);
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--registries" => registries = it.next().context(usage)?.clone(),
                "--osv" => osv = Some(PathBuf::from(it.next().context(usage)?)),
                flag if flag.starts_with("--") => bail!("unknown option `{flag}`; {usage}"),
                path if dir.is_none() => dir = Some(PathBuf::from(path)),
                extra => bail!("unexpected argument `{extra}`; {usage}"),
            }
        }
        let dir = dir.context(usage)?;
        Ok(Args {
            registries,
            osv,
            dir,
        })
    }
}

/// The check of one changed lockfile: the tool, its arguments and the directory it runs in.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Check {
    pub(crate) program: &'static str,
    pub(crate) args: Vec<&'static str>,
    /// Directory relative to the copy's root.
    pub(crate) dir: String,
}

/// The ecosystem's own check for each lockfile among `files` (repository-relative paths).
pub(crate) fn checks_for(files: &[&str]) -> Vec<Check> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for file in files {
        let (dir, name) = match file.rsplit_once('/') {
            Some((dir, name)) => (dir.to_owned(), name),
            None => (String::new(), *file),
        };
        let (program, args): (&'static str, Vec<&'static str>) = match name {
            "Cargo.lock" | "Cargo.toml" => (
                "cargo",
                vec!["metadata", "--locked", "--format-version", "1"],
            ),
            "package-lock.json" => ("npm", vec!["ci", "--dry-run", "--ignore-scripts"]),
            "bun.lock" => (
                "bun",
                vec!["install", "--frozen-lockfile", "--lockfile-only"],
            ),
            "pnpm-lock.yaml" => (
                "pnpm",
                vec![
                    "install",
                    "--frozen-lockfile",
                    "--lockfile-only",
                    "--ignore-scripts",
                ],
            ),
            // A uv or PDM project's pyproject.toml is checked by its own tool below.
            "pyproject.toml"
                if ["uv.lock", "pdm.lock"].iter().any(|lock| {
                    let sibling = if dir.is_empty() {
                        (*lock).to_string()
                    } else {
                        format!("{dir}/{lock}")
                    };
                    files.contains(&sibling.as_str())
                }) =>
            {
                continue
            }
            "poetry.lock" | "pyproject.toml" => ("poetry", vec!["check", "--lock"]),
            "Pipfile.lock" | "Pipfile" => ("pipenv", vec!["verify"]),
            "uv.lock" => ("uv", vec!["lock", "--locked"]),
            "pdm.lock" => ("pdm", vec!["lock", "--check"]),
            "go.sum" | "go.mod" => ("go", vec!["mod", "verify"]),
            _ => continue,
        };
        if seen.insert((program, dir.clone())) {
            out.push(Check { program, args, dir });
        }
    }
    out
}

/// Runs `fix-check`.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<()> {
    let args = Args::parse(args)?;
    let checkout = args
        .dir
        .canonicalize()
        .with_context(|| format!("{} is not a directory", args.dir.display()))?;
    let osv = args.osv.unwrap_or_else(|| root.join("../shared/osv"));
    crate::step(
        root,
        "build gitproxy",
        &["build", "--package", "gitproxy", "--bin", "gitproxy"],
    )?;
    let gitproxy = crate::demo::target_dir(root).join("debug/gitproxy");
    let run_gitproxy = |extra: &[&str], dir: &Path| -> Result<Value> {
        let out = Command::new(&gitproxy)
            .args(extra)
            .arg("--json")
            .arg("--path")
            .arg(dir)
            .env("GITPROXY_OSV_DIR", &osv)
            .env("GITPROXY_REGISTRIES", &args.registries)
            .env("GITPROXY_LOG", "warn")
            .stderr(Stdio::inherit())
            .output()
            .context("could not start gitproxy")?;
        if !out.status.success() {
            bail!("gitproxy {} failed ({})", extra.join(" "), out.status);
        }
        serde_json::from_slice(&out.stdout).context("gitproxy printed no JSON")
    };
    let advisories = |scan: &Value| -> BTreeSet<(String, String)> {
        let findings = scan[0]["findings"].as_array().cloned().unwrap_or_default();
        (findings.iter())
            .map(|f| {
                (
                    f["package"].as_str().unwrap_or("").to_owned(),
                    f["id"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    let before = advisories(&run_gitproxy(&["scan"], &checkout)?);
    let plan = run_gitproxy(&["fix"], &checkout)?;
    let fixes = plan["fixes"].as_array().cloned().unwrap_or_default();
    eprintln!(
        "xtask: fix-check: {} fixes for {} ({} advisories before)",
        fixes.len(),
        checkout.display(),
        before.len()
    );
    // Outside the workspace, so cargo does not take a copy for one of its members.
    let work = std::env::temp_dir().join(format!("gitproxy-fix-check-{}", std::process::id()));
    let mut failures = 0;
    for (n, fix) in fixes.iter().enumerate() {
        let name = format!(
            "{} {} {} -> {}",
            fix["ecosystem"].as_str().unwrap_or(""),
            fix["package"].as_str().unwrap_or(""),
            fix["from"].as_str().unwrap_or(""),
            fix["to"].as_str().unwrap_or("")
        );
        let files = fix["files"].as_object().cloned().unwrap_or_default();
        if files.is_empty() {
            println!("SKIP {name}: no file changes ({})", notes(fix));
            continue;
        }
        let copy = work.join(format!("fix-{n}"));
        copy_checkout(&checkout, &copy)?;
        for (path, content) in &files {
            let target = copy.join(path);
            std::fs::write(&target, content.as_str().unwrap_or(""))
                .with_context(|| format!("writing {}", target.display()))?;
        }
        let mut problems = Vec::new();
        let paths: Vec<&str> = files.keys().map(String::as_str).collect();
        // A pull request that leaves the lockfile to a command tells its reader to run it on the
        // branch: do the same before checking.
        let refresh = fix["lockfile"]["command"].as_str();
        if let Some(command) = refresh {
            let dir = paths
                .first()
                .and_then(|p| p.rsplit_once('/'))
                .map_or(String::new(), |(dir, _)| dir.to_owned());
            let status = Command::new("sh")
                .args(["-c", command])
                .current_dir(copy.join(&dir))
                .stdout(Stdio::null())
                .status();
            if !matches!(status, Ok(s) if s.success()) {
                problems.push(format!(
                    "the pull request's `{command}` failed ({status:?})"
                ));
            }
        }
        // A pyproject.toml or package.json is checked by the tool whose lockfile sits beside it,
        // changed or not (a pull request that leaves the lock to a command changes only the
        // manifest).
        let mut checked: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
        for path in &paths {
            let (dir, locks) = match path.strip_suffix("pyproject.toml") {
                Some(dir) => (Some(dir), &["uv.lock", "pdm.lock"][..]),
                None => (path.strip_suffix("package.json"), &["bun.lock"][..]),
            };
            for lock in locks {
                let sibling = dir.map(|d| format!("{d}{lock}"));
                if let Some(sibling) = sibling.filter(|s| copy.join(s).exists()) {
                    if !checked.contains(&sibling) {
                        checked.push(sibling);
                    }
                }
            }
        }
        let checked: Vec<&str> = checked.iter().map(String::as_str).collect();
        for check in checks_for(&checked) {
            let status = Command::new(check.program)
                .args(&check.args)
                .current_dir(copy.join(&check.dir))
                .stdout(Stdio::null())
                .status();
            match status {
                Ok(s) if s.success() => {}
                Ok(s) => problems.push(format!(
                    "`{} {}` failed ({s})",
                    check.program,
                    check.args.join(" ")
                )),
                Err(e) => problems.push(format!(
                    "`{}` could not run ({e}); install it",
                    check.program
                )),
            }
        }
        let after = advisories(&run_gitproxy(&["scan"], &copy)?);
        let fixed: BTreeSet<&str> = (fix["advisories"].as_array().into_iter().flatten())
            .filter_map(Value::as_str)
            .collect();
        let left: Vec<&str> = (after.iter())
            .filter(|(_, id)| fixed.contains(id.as_str()))
            .map(|(_, id)| id.as_str())
            .collect();
        let introduced: Vec<String> = after
            .difference(&before)
            .map(|(package, id)| format!("{package} {id}"))
            .collect();
        if !left.is_empty() {
            problems.push(format!("advisories left: {}", left.join(", ")));
        }
        if !introduced.is_empty() {
            problems.push(format!("advisories introduced: {}", introduced.join(", ")));
        }
        if problems.is_empty() {
            let after = refresh.map_or(String::new(), |c| {
                format!(" (after the pull request's `{c}`)")
            });
            println!("PASS {name}: {}{after}", paths.join(", "));
        } else {
            failures += 1;
            println!("FAIL {name}: {}", problems.join("; "));
        }
    }
    std::fs::remove_dir_all(&work).ok();
    if failures > 0 {
        bail!("{failures} of {} fixes failed their checks", fixes.len());
    }
    Ok(())
}

/// The fix's notes, joined.
fn notes(fix: &Value) -> String {
    (fix["notes"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Copies the checkout without VCS metadata, build output or installed dependencies.
fn copy_checkout(from: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to).with_context(|| format!("removing {}", to.display()))?;
    }
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if [".git", "target", "node_modules", ".venv"]
            .iter()
            .any(|s| name == *s)
        {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_checkout(&entry.path(), &to.join(&name))?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
