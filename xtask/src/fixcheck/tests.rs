//! Unit tests of `fix-check`'s command line and check selection.

use super::*;

#[test]
fn each_lockfile_gets_its_ecosystems_check_once_per_directory() {
    let checks = checks_for(&[
        "Cargo.toml",
        "Cargo.lock",
        "web/package.json",
        "web/package-lock.json",
        "py/pyproject.toml",
        "py/poetry.lock",
        "svc/go.mod",
        "svc/go.sum",
        "api/requirements.txt",
    ]);
    let got: Vec<(&str, String, String)> = checks
        .iter()
        .map(|c| (c.program, c.args.join(" "), c.dir.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "cargo",
                "metadata --locked --format-version 1".into(),
                String::new()
            ),
            ("npm", "ci --dry-run --ignore-scripts".into(), "web".into()),
            ("poetry", "check --lock".into(), "py".into()),
            ("go", "mod verify".into(), "svc".into()),
        ]
    );
}

#[test]
fn a_uv_or_pdm_projects_pyproject_is_checked_by_its_own_tool_not_poetry() {
    let checks = checks_for(&[
        "pyproject.toml",
        "pdm.lock",
        "svc/pyproject.toml",
        "svc/uv.lock",
        "legacy/pyproject.toml",
    ]);
    let got: Vec<(&str, String, String)> = checks
        .iter()
        .map(|c| (c.program, c.args.join(" "), c.dir.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("pdm", "lock --check".into(), String::new()),
            ("uv", "lock --locked".into(), "svc".into()),
            ("poetry", "check --lock".into(), "legacy".into()),
        ]
    );
}

#[test]
fn the_command_line_takes_registries_osv_and_one_checkout() {
    let args = |v: &[&str]| Args::parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(
        args(&["repo"]).expect("defaults"),
        Args {
            registries: "public".into(),
            osv: None,
            dir: "repo".into()
        }
    );
    assert_eq!(
        args(&[
            "--registries",
            "crates.io=https://mirror/",
            "--osv",
            "/o",
            "repo"
        ])
        .expect("set"),
        Args {
            registries: "crates.io=https://mirror/".into(),
            osv: Some("/o".into()),
            dir: "repo".into()
        }
    );
    assert!(args(&[]).is_err());
    assert!(args(&["a", "b"]).is_err());
    assert!(args(&["--bogus", "a"]).is_err());
}

#[test]
fn a_bun_lock_is_checked_by_bun_and_a_bun_projects_manifest_too() {
    let checks = checks_for(&["web/bun.lock", "web/package.json"]);
    let got: Vec<(&str, String, String)> = checks
        .iter()
        .map(|c| (c.program, c.args.join(" "), c.dir.clone()))
        .collect();
    assert_eq!(
        got,
        vec![(
            "bun",
            "install --frozen-lockfile --lockfile-only".into(),
            "web".into()
        )]
    );
}
