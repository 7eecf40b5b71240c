//! Tests for PyPI edits: requirement pins and hashes, poetry.lock entries and pyproject
//! constraints, and what is left alone without hashes from a registry.

use crate::edit::tests::{db, edits};
use crate::files::Snapshot;
use crate::plan::{LockfileRefresh, Tier};
use crate::registry::StaticRegistry;
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
    let reg = StaticRegistry::new().publish(
        Ecosystem::PyPI,
        "urllib3",
        "1.26.5",
        &[(Some("urllib3-1.26.5.tar.gz"), "sha256:new")],
    );
    let (_, set) = edits(&snapshot, &db, &reg).await;
    assert_eq!(
        set.files["poetry.lock"],
        "[[package]]\nname = \"urllib3\"\nversion = \"1.26.5\"\noptional = false\nfiles = [\n    {file = \"urllib3-1.26.5.tar.gz\", hash = \"sha256:new\"},\n]\n\n[[package]]\nname = \"idna\"\nversion = \"2.10\"\n"
    );
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
    let reg = StaticRegistry::new().publish(
        Ecosystem::PyPI,
        "urllib3",
        "2.0.7",
        &[(Some("urllib3-2.0.7.tar.gz"), "sha256:n")],
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
    assert!(set.needs_package_manager);
    assert!(
        set.notes.iter().any(|n| n.contains("content-hash")),
        "{:?}",
        set.notes
    );
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
