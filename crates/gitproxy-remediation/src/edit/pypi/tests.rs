//! Tests for PyPI edits: requirement pins and hashes, poetry.lock entries and pyproject
//! constraints, and what is left alone without hashes from a registry.

use crate::edit::tests::{db, edits};
use crate::files::Snapshot;
use crate::plan::{LockfileRefresh, Tier};
use crate::registry::{PypiRelease, StaticRegistry};
use crate::Ecosystem;

#[tokio::test]
async fn requirements_pins_and_hashes() {
    let reqs = "# top comment\nflask==2.0.1 \\\n    --hash=sha256:aaaa \\\n    --hash=sha256:bbbb\n    # via -r requirements.in\nrequests==2.25.1  # pinned\n";
    let snapshot = Snapshot::new().with("requirements.txt", reqs);
    let db = db(&[
        ("P1", "PyPI", "flask", "2.2.5"),
        ("P2", "PyPI", "requests", "2.31.0"),
    ]);
    let reg = StaticRegistry::new()
        .publish(
            Ecosystem::PyPI,
            "flask",
            "2.2.5",
            &[
                (Some("Flask-2.2.5-py3-none-any.whl"), "sha256:cccc"),
                (Some("Flask-2.2.5.tar.gz"), "sha256:dddd"),
            ],
        )
        .publish(Ecosystem::PyPI, "requests", "2.31.0", &[]);
    let (_, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(
        set.files["requirements.txt"],
        "# top comment\nflask==2.2.5 \\\n    --hash=sha256:cccc \\\n    --hash=sha256:dddd\n    # via -r requirements.in\nrequests==2.31.0  # pinned\n"
    );
    assert!(!set.needs_package_manager);
}

#[tokio::test]
async fn poetry_lock_version_and_files() {
    let lock = "[[package]]\nname = \"urllib3\"\nversion = \"1.26.4\"\noptional = false\nfiles = [\n    {file = \"urllib3-1.26.4.tar.gz\", hash = \"sha256:old\"},\n]\n\n[[package]]\nname = \"idna\"\nversion = \"2.10\"\n";
    let snapshot = Snapshot::new().with("poetry.lock", lock);
    let db = db(&[("P1", "PyPI", "urllib3", "1.26.5")]);
    let reg = StaticRegistry::new()
        .publish(
            Ecosystem::PyPI,
            "urllib3",
            "1.26.5",
            &[(Some("urllib3-1.26.5.tar.gz"), "sha256:new")],
        )
        .pypi_release(
            "urllib3",
            "1.26.5",
            release(&[], Some(">=2.7"), "HTTP library"),
        );
    let (_, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(
        set.files["poetry.lock"],
        "[[package]]\nname = \"urllib3\"\nversion = \"1.26.5\"\ndescription = \"HTTP library\"\noptional = false\npython-versions = \">=2.7\"\nfiles = [\n    {file = \"urllib3-1.26.5.tar.gz\", hash = \"sha256:new\"},\n]\n\n[[package]]\nname = \"idna\"\nversion = \"2.10\"\n"
    );
    assert!(!set.needs_package_manager);
}

#[tokio::test]
async fn poetry_major_bumps_raise_the_pyproject_constraint() {
    let pyproject = "[tool.poetry]\nname = \"svc\"\n\n[tool.poetry.dependencies]\npython = \"^3.9\"\nurllib3 = { version = \"^1.26\", optional = true } # HTTP\n";
    let lock =
        "[[package]]\nname = \"urllib3\"\nversion = \"1.26.4\"\noptional = false\nfiles = []\n";
    let snapshot = Snapshot::new()
        .with("pyproject.toml", pyproject)
        .with("poetry.lock", lock);
    let db = db(&[("P1", "PyPI", "urllib3", "2.0.7")]);
    let reg = StaticRegistry::new()
        .publish(
            Ecosystem::PyPI,
            "urllib3",
            "2.0.7",
            &[(Some("urllib3-2.0.7.tar.gz"), "sha256:n")],
        )
        .pypi_release(
            "urllib3",
            "2.0.7",
            release(&[], Some(">=3.7"), "HTTP library"),
        );
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(
        plan.fixes[0].tier,
        Tier::ManifestBump,
        "^1.26 excludes 2.0.7"
    );
    assert!(plan.fixes[0].breaking);
    assert_eq!(
        set.files["pyproject.toml"],
        pyproject.replace("\"^1.26\"", "\"^2.0.7\"")
    );
    assert!(set.files["poetry.lock"].contains("version = \"2.0.7\""));
    assert!(
        set.files["poetry.lock"].contains("{file = \"urllib3-2.0.7.tar.gz\", hash = \"sha256:n\"}")
    );
    // The lock has no `[metadata]` here, so there is no content-hash to refresh.
    assert!(!set.needs_package_manager, "{:?}", set.notes);
}

/// Release metadata as the PyPI JSON API gives it.
fn release(requires: &[&str], python: Option<&str>, summary: &str) -> PypiRelease {
    PypiRelease {
        requires_dist: requires.iter().map(|r| r.to_string()).collect(),
        requires_python: python.map(String::from),
        summary: summary.into(),
    }
}

const PYPROJECT: &str = "[tool.poetry]\nname = \"svc\"\n\n[tool.poetry.dependencies]\npython = \"^3.9\"\nrequests = \"^2.25\"\nurllib3 = \"^1.26\"\n";
const POETRY_LOCK: &str = "[[package]]\nname = \"requests\"\nversion = \"2.25.1\"\noptional = false\nfiles = [\n    {file = \"requests-2.25.1.tar.gz\", hash = \"sha256:req\"},\n]\n\n[package.dependencies]\nidna = \">=2.5,<3\"\n\n[[package]]\nname = \"idna\"\nversion = \"2.10\"\noptional = false\nfiles = [\n    {file = \"idna-2.10.tar.gz\", hash = \"sha256:idna\"},\n]\n\n[[package]]\nname = \"urllib3\"\nversion = \"1.26.4\"\noptional = false\nfiles = [\n    {file = \"urllib3-1.26.4.tar.gz\", hash = \"sha256:old\"},\n]\n\n[metadata]\ncontent-hash = \"abc\"\n";

#[tokio::test]
async fn poetry_without_hashes_bumps_pyproject_and_leaves_the_lock() {
    let snapshot = Snapshot::new()
        .with("pyproject.toml", PYPROJECT)
        .with("poetry.lock", POETRY_LOCK);
    let db = db(&[("P1", "PyPI", "urllib3", "1.26.5")]);
    let reg = StaticRegistry::new().publish(Ecosystem::PyPI, "urllib3", "1.26.5", &[]);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(plan.fixes[0].tier, Tier::ManifestBump);
    assert_eq!(
        plan.fixes[0].lockfile,
        LockfileRefresh::Command("poetry lock --no-update".into())
    );
    assert_eq!(set.files.keys().collect::<Vec<_>>(), ["pyproject.toml"]);
    assert_eq!(
        set.files["pyproject.toml"],
        PYPROJECT.replace("urllib3 = \"^1.26\"", "urllib3 = \"^1.26.5\"")
    );
    assert!(set.needs_package_manager);
    assert!(
        set.notes
            .iter()
            .any(|n| n.starts_with("poetry.lock was not updated")
                && n.contains("`poetry lock --no-update`")),
        "{:?}",
        set.notes
    );
}

#[tokio::test]
async fn poetry_transitive_without_hashes_changes_nothing_and_names_the_command() {
    let snapshot = Snapshot::new()
        .with("pyproject.toml", PYPROJECT)
        .with("poetry.lock", POETRY_LOCK);
    let db = db(&[("P1", "PyPI", "idna", "2.11")]);
    let reg = StaticRegistry::new().publish(Ecosystem::PyPI, "idna", "2.11", &[]);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(plan.fixes[0].tier, Tier::LockfileUpdate);
    assert_eq!(
        plan.fixes[0].lockfile,
        LockfileRefresh::Command("poetry update --lock idna".into())
    );
    assert!(set.files.is_empty(), "{:?}", set.files);
    assert!(set
        .notes
        .iter()
        .any(|n| n.contains("run `poetry update --lock idna`")));
}

#[tokio::test]
async fn hashed_requirements_without_hashes_are_left_alone() {
    // A new pin under the old version's hashes would fail `pip install --require-hashes`.
    let reqs = "flask==2.0.1 \\\n    --hash=sha256:aaaa\nrequests==2.25.1\n";
    let snapshot = Snapshot::new().with("requirements.txt", reqs);
    let db = db(&[
        ("P1", "PyPI", "flask", "2.2.5"),
        ("P2", "PyPI", "requests", "2.31.0"),
    ]);
    let reg = StaticRegistry::new()
        .publish(Ecosystem::PyPI, "flask", "2.2.5", &[])
        .publish(Ecosystem::PyPI, "requests", "2.31.0", &[]);
    let (plan, set) = edits(&snapshot, &db, &reg).await;
    assert!(plan
        .fixes
        .iter()
        .all(|f| f.lockfile == LockfileRefresh::NotApplicable));
    // The unhashed pin moves; the hashed one is left with a note naming the command.
    assert_eq!(
        set.files["requirements.txt"],
        "flask==2.0.1 \\\n    --hash=sha256:aaaa\nrequests==2.31.0\n"
    );
    assert!(
        set.notes
            .iter()
            .any(|n| n
                .contains("run `pip-compile --generate-hashes --upgrade-package flask==2.2.5`")),
        "{:?}",
        set.notes
    );
}

#[test]
fn content_hash_matches_poetry_1_8_and_2_x() {
    let pyproject =
        include_str!("../../../tests/fixtures/pypi/invoice-sync/pyproject.toml").to_string();
    // Poetry 1.8.5 wrote this hash into the fixture's lock (lock-version 2.0).
    assert_eq!(
        super::content_hash::content_hash(&pyproject, "2.0").unwrap(),
        "dcd9af340b4979f7ff7cb4c9cbe2e749936ba6134c6ad9ae84489bea9de59053"
    );
    let bumped = pyproject.replace("requests = \"2.25.1\"", "requests = \"2.31.0\"");
    assert_eq!(
        super::content_hash::content_hash(&bumped, "2.0").unwrap(),
        "261af185f105e06a45943d615eab98c8d2d9d7899f7e5d6a069977d6958b23e2"
    );
    // Without a [project] table Poetry 2.x hashes the same content.
    assert_eq!(
        super::content_hash::content_hash(&bumped, "2.1").unwrap(),
        "261af185f105e06a45943d615eab98c8d2d9d7899f7e5d6a069977d6958b23e2"
    );
    // With one, lock-version 2.1 also hashes [project]; 2.0 ignores it.
    let pep621 = format!("{bumped}\n[project]\nname = \"x\"\nrequires-python = \">=3.8\"\n");
    assert_ne!(
        super::content_hash::content_hash(&pep621, "2.1").unwrap(),
        super::content_hash::content_hash(&pep621, "2.0").unwrap()
    );
}

#[test]
fn requires_dist_becomes_poetry_dependencies_and_extras() {
    use super::requires::Requires;
    let r = Requires::parse("charset-normalizer (<4,>=2)").unwrap();
    assert_eq!(r.lock_value(), "\">=2,<4\"");
    let r = Requires::parse("PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'").unwrap();
    assert_eq!(r.in_extras, ["socks"]);
    assert_eq!(r.extras_entry(), "PySocks (>=1.5.6,!=1.5.7)");
    let r = Requires::parse("colorama; platform_system == 'Windows'").unwrap();
    assert_eq!(
        r.lock_value(),
        "{version = \"*\", markers = \"platform_system == \\\"Windows\\\"\"}"
    );
    let r = Requires::parse("urllib3[socks]>=1.26").unwrap();
    assert_eq!(
        r.lock_value(),
        "{version = \">=1.26\", extras = [\"socks\"]}"
    );
}

#[tokio::test]
async fn poetry_adds_what_the_new_version_needs_for_the_projects_python_and_drops_the_rest() {
    let pyproject = "[tool.poetry]\nname = \"svc\"\n\n[tool.poetry.dependencies]\npython = \"^3.8\"\nclient = \"^1.0\"\n";
    let lock = "[[package]]\nname = \"client\"\nversion = \"1.0.0\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\nfiles = []\n\n[package.dependencies]\noldhelper = \">=1\"\n\n[[package]]\nname = \"oldhelper\"\nversion = \"1.0\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\nfiles = []\n\n[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.8\"\ncontent-hash = \"x\"\n";
    let snapshot = Snapshot::new()
        .with("pyproject.toml", pyproject)
        .with("poetry.lock", lock);
    let db = db(&[("P1", "PyPI", "client", "1.2.0")]);
    let file = |f: &'static str| [(Some(f), "sha256:00")];
    let reg = StaticRegistry::new()
        .publish(
            Ecosystem::PyPI,
            "client",
            "1.2.0",
            &file("client-1.2.0.tar.gz"),
        )
        .pypi_release(
            "client",
            "1.2.0",
            release(
                &["newhelper (>=1)", "extra-thing ; extra == 'fast'"],
                Some(">=3.8"),
                "Client",
            ),
        )
        .publish(
            Ecosystem::PyPI,
            "newhelper",
            "1.5",
            &file("newhelper-1.5.tar.gz"),
        )
        .pypi_release("newhelper", "1.5", release(&[], Some(">=3.6"), "Helper"))
        .publish(
            Ecosystem::PyPI,
            "newhelper",
            "2.0",
            &file("newhelper-2.0.tar.gz"),
        )
        .pypi_release("newhelper", "2.0", release(&[], Some(">=3.9"), "Helper"));
    let (_, set) = edits(&snapshot, &db, &reg).await;
    assert!(!set.needs_package_manager, "{:?}", set.notes);
    let out = &set.files["poetry.lock"];
    assert!(
        out.contains("name = \"newhelper\"\nversion = \"1.5\""),
        "2.0 needs Python 3.9, the project allows 3.8: {out}"
    );
    assert!(out.contains("[package.dependencies]\nnewhelper = \">=1\"\n\n[package.extras]\nfast = [\"extra-thing\"]\n"));
    assert!(
        !out.contains("oldhelper"),
        "nothing needs oldhelper any more: {out}"
    );
    assert!(
        out.contains("content-hash = \"x\""),
        "pyproject.toml did not change"
    );
}

#[test]
fn content_hash_matches_poetry_2_for_a_pep_621_project() {
    // Poetry 2.2.1 wrote this hash (lock-version 2.1) for this pyproject.toml.
    let pyproject = include_str!("../../../tests/fixtures/pypi/ledger-export/pyproject.toml");
    assert_eq!(
        super::content_hash::content_hash(pyproject, "2.1").unwrap(),
        "38003d0680215e4fb2413fba452f554ca12630c47b6d801521da0da5fc173ea2"
    );
}

#[tokio::test]
async fn a_lock_version_1_1_keeps_categories_and_its_metadata_files_table() {
    let pyproject = "[tool.poetry]\nname = \"svc\"\n\n[tool.poetry.dependencies]\npython = \"^3.8\"\nclient = \"^1.0\"\n";
    let lock = "[[package]]\nname = \"client\"\nversion = \"1.0.0\"\ndescription = \"\"\ncategory = \"main\"\noptional = false\npython-versions = \"*\"\n\n[package.dependencies]\noldhelper = \">=1\"\n\n[[package]]\nname = \"oldhelper\"\nversion = \"1.0\"\ndescription = \"\"\ncategory = \"main\"\noptional = false\npython-versions = \"*\"\n\n[metadata]\nlock-version = \"1.1\"\npython-versions = \"^3.8\"\ncontent-hash = \"x\"\n\n[metadata.files]\nclient = [\n    {file = \"client-1.0.0.tar.gz\", hash = \"sha256:c1\"},\n]\noldhelper = [\n    {file = \"oldhelper-1.0.tar.gz\", hash = \"sha256:o1\"},\n]\n";
    let snapshot = Snapshot::new()
        .with("pyproject.toml", pyproject)
        .with("poetry.lock", lock);
    let db = db(&[("P1", "PyPI", "client", "1.2.0")]);
    let reg = StaticRegistry::new()
        .publish(
            Ecosystem::PyPI,
            "client",
            "1.2.0",
            &[(Some("client-1.2.0.tar.gz"), "sha256:c2")],
        )
        .pypi_release(
            "client",
            "1.2.0",
            release(&["newhelper (>=1)"], None, "Client"),
        )
        .publish(
            Ecosystem::PyPI,
            "newhelper",
            "1.5",
            &[(Some("newhelper-1.5.tar.gz"), "sha256:n1")],
        )
        .pypi_release("newhelper", "1.5", release(&[], None, "Helper"));
    let (_, set) = edits(&snapshot, &db, &reg).await;
    assert!(!set.needs_package_manager, "{:?}", set.notes);
    assert_eq!(
        set.files["poetry.lock"],
        "[[package]]\nname = \"client\"\nversion = \"1.2.0\"\ndescription = \"Client\"\ncategory = \"main\"\noptional = false\npython-versions = \"*\"\n\n[package.dependencies]\nnewhelper = \">=1\"\n\n[[package]]\nname = \"newhelper\"\nversion = \"1.5\"\ndescription = \"Helper\"\ncategory = \"main\"\noptional = false\npython-versions = \"*\"\n\n[metadata]\nlock-version = \"1.1\"\npython-versions = \"^3.8\"\ncontent-hash = \"x\"\n\n[metadata.files]\nclient = [\n    {file = \"client-1.2.0.tar.gz\", hash = \"sha256:c2\"},\n]\nnewhelper = [\n    {file = \"newhelper-1.5.tar.gz\", hash = \"sha256:n1\"},\n]\n"
    );
}

/// The requests/idna lock of [`POETRY_LOCK`] with a registry where requests 2.26.0 accepts
/// idna 3.7 only when `climbs` (else it still pins idna below 3).
fn idna_blocked_by_requests(climbs: bool) -> StaticRegistry {
    let file = |f: &'static str| [(Some(f), "sha256:00")];
    let idna_26 = if climbs {
        "idna (<4,>=2.5) ; python_version >= \"3\""
    } else {
        "idna (<3,>=2.5)"
    };
    StaticRegistry::new()
        .publish(Ecosystem::PyPI, "idna", "3.7", &file("idna-3.7.tar.gz"))
        .pypi_release("idna", "3.7", release(&[], Some(">=3.5"), "IDNA"))
        .publish(
            Ecosystem::PyPI,
            "requests",
            "2.25.1",
            &file("requests-2.25.1.tar.gz"),
        )
        .publish(
            Ecosystem::PyPI,
            "requests",
            "2.26.0",
            &file("requests-2.26.0.tar.gz"),
        )
        .pypi_release(
            "requests",
            "2.26.0",
            release(
                &["idna (<3,>=2.5) ; python_version < \"3\"", idna_26],
                Some(">=2.7"),
                "HTTP",
            ),
        )
}

#[tokio::test]
async fn poetry_fix_blocked_by_a_dependent_moves_the_dependent() {
    let snapshot = Snapshot::new()
        .with("pyproject.toml", PYPROJECT)
        .with("poetry.lock", POETRY_LOCK);
    let db = db(&[("P1", "PyPI", "idna", "3.7")]);
    let (plan, set) = edits(&snapshot, &db, &idna_blocked_by_requests(true)).await;
    assert_eq!(plan.fixes[0].tier, Tier::Override);
    assert!(!set.needs_package_manager, "{:?}", set.notes);
    let lock = &set.files["poetry.lock"];
    assert!(
        lock.contains("name = \"requests\"\nversion = \"2.26.0\""),
        "{lock}"
    );
    assert!(
        lock.contains("name = \"idna\"\nversion = \"3.7\""),
        "{lock}"
    );
    assert!(
        set.notes.iter().any(|n| n
            == "poetry.lock also moves requests 2.25.1 -> 2.26.0 so that every requirement holds with idna 3.7"),
        "{:?}",
        set.notes
    );
    // `^2.25` admits 2.26.0: pyproject.toml stays as it is.
    assert!(!set.files.contains_key("pyproject.toml"));
}

#[tokio::test]
async fn poetry_fix_no_dependent_release_accepts_is_unfixable_with_the_requirement() {
    let snapshot = Snapshot::new()
        .with("pyproject.toml", PYPROJECT)
        .with("poetry.lock", POETRY_LOCK);
    let db = db(&[("P1", "PyPI", "idna", "3.7")]);
    let registry = idna_blocked_by_requests(false);
    let analysis = crate::analysis::analyze(&snapshot);
    let findings = db.scan(&analysis);
    let plan = crate::plan::plan(
        &analysis,
        &findings,
        &db,
        &registry,
        &crate::plan::PlanOptions::recommended(),
    )
    .await
    .unwrap();
    let err = crate::edit::apply_fix(&plan.fixes[0], &analysis, &snapshot, &registry)
        .await
        .unwrap_err();
    match err {
        crate::Error::Unresolvable {
            package,
            from,
            to,
            reason,
            ..
        } => {
            assert_eq!(
                (package.as_str(), from.as_str(), to.as_str()),
                ("idna", "2.10", "3.7")
            );
            assert_eq!(
                reason,
                "requests 2.25.1 requires idna >=2.5,<3, and no later release of requests accepts idna 3.7"
            );
        }
        other => panic!("expected an unresolvable fix, got {other}"),
    }
}

/// A chain `top -> app -> client -> requests -> idna` where each package pins the version of
/// the next below the one a later release of it accepts; `levels` packages may climb.
fn chain(levels: usize) -> (Snapshot, StaticRegistry) {
    // (name, locked, its dependency, locked constraint, later release, its constraint)
    let links = [
        ("requests", "2.25.1", "idna", "<3", "2.26.0", "idna (<4)"),
        (
            "client",
            "1.0",
            "requests",
            "<2.26",
            "1.1",
            "requests (>=2.26)",
        ),
        ("app", "1.0", "client", "<1.1", "2.0", "client (>=1.1)"),
        ("top", "1.0", "app", "<2", "2.0", "app (>=2)"),
    ];
    let block = |name: &str, version: &str, dep: Option<(&str, &str)>| {
        let mut b = format!("[[package]]\nname = \"{name}\"\nversion = \"{version}\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\nfiles = []\n\n");
        if let Some((d, c)) = dep {
            b.push_str(&format!("[package.dependencies]\n{d} = \"{c}\"\n\n"));
        }
        b
    };
    let mut lock = block("idna", "2.10", None);
    let mut reg = StaticRegistry::new()
        .publish(
            Ecosystem::PyPI,
            "idna",
            "3.7",
            &[(Some("idna-3.7.tar.gz"), "sha256:00")],
        )
        .pypi_release("idna", "3.7", release(&[], None, "IDNA"));
    let root = links[levels.min(links.len()) - 1].0;
    for (name, locked, dep, constraint, later, accepts) in &links[..levels] {
        lock.push_str(&block(name, locked, Some((dep, constraint))));
        reg = reg
            .publish(Ecosystem::PyPI, name, locked, &[(None, "sha256:00")])
            .publish(
                Ecosystem::PyPI,
                name,
                later,
                &[(Some("x.tar.gz"), "sha256:00")],
            )
            .pypi_release(name, later, release(&[accepts], None, name));
    }
    lock.push_str(
        "[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.8\"\ncontent-hash = \"x\"\n",
    );
    let pyproject = format!("[tool.poetry]\nname = \"svc\"\n\n[tool.poetry.dependencies]\npython = \"^3.8\"\n{root} = \"*\"\n");
    let snapshot = Snapshot::new()
        .with("pyproject.toml", pyproject.as_str())
        .with("poetry.lock", lock.as_str());
    (snapshot, reg)
}

#[tokio::test]
async fn poetry_climbs_three_dependents_deep_and_no_further() {
    let db = db(&[("P1", "PyPI", "idna", "3.7")]);
    let (snapshot, reg) = chain(3);
    let (_, set) = edits(&snapshot, &db, &reg).await;
    let lock = &set.files["poetry.lock"];
    for moved in [
        "requests\"\nversion = \"2.26.0",
        "client\"\nversion = \"1.1",
        "app\"\nversion = \"2.0",
    ] {
        assert!(lock.contains(moved), "{moved}: {lock}");
    }
    assert!(
        set.notes.iter().any(|n| n.contains(
            "also moves requests 2.25.1 -> 2.26.0, client 1.0 -> 1.1, app 1.0 -> 2.0 so that"
        )),
        "{:?}",
        set.notes
    );

    let (snapshot, reg) = chain(4);
    let analysis = crate::analysis::analyze(&snapshot);
    let findings = db.scan(&analysis);
    let plan = crate::plan::plan(
        &analysis,
        &findings,
        &db,
        &reg,
        &crate::plan::PlanOptions::recommended(),
    )
    .await
    .unwrap();
    let err = crate::edit::apply_fix(&plan.fixes[0], &analysis, &snapshot, &reg)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(
            "top 1.0 requires app <2, and moving it would climb more than 3 packages deep"
        ),
        "{err}"
    );
}
