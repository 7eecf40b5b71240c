//! Entry points for fuzzing the manifest and lockfile parsers: `pom.xml`, npm's JSON files,
//! `yarn.lock`, `pnpm-lock.yaml`, `bun.lock` (also through a planned fix), the TOML files of Cargo and Poetry, `go.mod` and `go.sum`, pip
//! requirements, Pipenv's, uv's and PDM's lockfiles (PDM's also through a planned fix), NuGet's files, Bundler's `Gemfile.lock` and
//! `Gemfile`, Composer's `composer.lock` and `composer.json`, and Gradle's build scripts, version
//! catalogs and lockfiles (Berry's `yarn.lock` subset is read line by line, not with the YAML
//! reader); and advisory sync batches as the cloud or a local OSV mirror sends them.
//!
//! `crates/gitproxy-remediation/fuzz` drives these with cargo-fuzz; a unit test replays its seed
//! corpus. Each entry puts the input in a snapshot under the file name it selects, analyses it,
//! and panics only when the analysis breaks one of its invariants.

use crate::analysis::{analyze, Analysis};
use crate::files::Snapshot;

/// `pom.xml`, with the input also as its parent POM one directory up, and as a POM fetched from
/// the registry that is a module's parent, imported BOM and dependency at once. Every version
/// site and `<version>` element an edit would write to must lie inside its file.
pub fn fuzz_pom(data: &[u8]) {
    let snapshot = Snapshot::new()
        .with("pom.xml", data)
        .with("svc/pom.xml", data);
    check(&snapshot);
    // The input as a POM fetched from the registry: a parent, an imported BOM and a dependency
    // of a module, whose own dependencies and parent may name it again.
    if let Ok(text) = std::str::from_utf8(data) {
        let mut fetched = Snapshot::new().with(
            "app/pom.xml",
            "<project><parent><groupId>f</groupId><artifactId>f</artifactId><version>1</version><relativePath/></parent><artifactId>app</artifactId><dependencyManagement><dependencies><dependency><groupId>f</groupId><artifactId>f</artifactId><version>1</version><type>pom</type><scope>import</scope></dependency></dependencies></dependencyManagement><dependencies><dependency><groupId>f</groupId><artifactId>f</artifactId><version>1</version></dependency></dependencies></project>",
        );
        fetched.insert_external("f:f:1", text);
        check(&fetched);
    }
    if let Ok(pom) = crate::analysis::maven::read_pom(&snapshot, "svc/pom.xml", 0) {
        for d in &pom.dependencies {
            for site in [&d.version_site, &d.version_element].into_iter().flatten() {
                in_file(&snapshot, site);
            }
        }
    }
}

/// Fails unless `site` is a span of its file's text.
fn in_file(snapshot: &Snapshot, site: &crate::analysis::maven::Site) {
    let text = snapshot.text(&site.file).expect("a site's file is text");
    assert!(
        site.span.0 <= site.span.1 && text.get(site.span.0..site.span.1).is_some(),
        "{}:{:?} is not a span of its file",
        site.file,
        site.span
    );
}

/// npm: the first byte picks `package-lock.json`, `npm-shrinkwrap.json` or `package.json`; the
/// rest is the file (next to a small `package.json` for the lockfiles).
pub fn fuzz_npm(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let manifest =
        r#"{"name": "x", "dependencies": {"a": "^1.0.0"}, "workspaces": ["packages/*"]}"#;
    let snapshot = match selector % 3 {
        0 => Snapshot::new()
            .with("package-lock.json", input)
            .with("package.json", manifest),
        1 => Snapshot::new()
            .with("npm-shrinkwrap.json", input)
            .with("package.json", manifest),
        _ => Snapshot::new().with("package.json", input),
    };
    check(&snapshot);
}

/// pnpm: `pnpm-lock.yaml` next to a small `package.json` and a workspace member's.
pub fn fuzz_pnpm(data: &[u8]) {
    let snapshot = Snapshot::new()
        .with("pnpm-lock.yaml", data)
        .with("package.json", r#"{"dependencies": {"a": "^1.0.0"}}"#)
        .with(
            "packages/b/package.json",
            r#"{"devDependencies": {"c": "1.0.0"}}"#,
        );
    check(&snapshot);
}

/// yarn: the first byte picks `yarn.lock` (next to a small `package.json` with a workspace) or
/// the workspace's `package.json` (next to a small lockfile); the rest is the file.
pub fn fuzz_yarn(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let manifest =
        r#"{"name": "x", "dependencies": {"a": "^1.0.0"}, "workspaces": ["packages/*"]}"#;
    let lock = "a@^1.0.0:\n  version \"1.0.0\"\n  dependencies:\n    b \"^2.0.0\"\n\nb@^2.0.0:\n  version \"2.1.0\"\n";
    let snapshot = match selector % 2 {
        0 => Snapshot::new()
            .with("yarn.lock", input)
            .with("package.json", manifest),
        _ => Snapshot::new()
            .with("packages/p/package.json", input)
            .with("package.json", manifest)
            .with("yarn.lock", lock),
    };
    check(&snapshot);
}

/// TOML: the first byte picks `Cargo.toml`, `Cargo.lock`, `pyproject.toml` (next to a
/// `poetry.lock`) or `poetry.lock` (next to a `pyproject.toml`); the rest is the file.
pub fn fuzz_toml(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let pyproject = "[tool.poetry.dependencies]\npython = \"^3.8\"\nrequests = \"^2.0\"\n";
    let poetry_lock =
        "[[package]]\nname = \"requests\"\nversion = \"2.25.0\"\ncategory = \"main\"\n";
    let snapshot = match selector % 4 {
        0 => Snapshot::new().with("Cargo.toml", input),
        1 => Snapshot::new().with("Cargo.lock", input),
        2 => Snapshot::new()
            .with("pyproject.toml", input)
            .with("poetry.lock", poetry_lock),
        _ => Snapshot::new()
            .with("poetry.lock", input)
            .with("pyproject.toml", pyproject),
    };
    check(&snapshot);
}

/// Go: the first byte picks `go.mod` or `go.sum`; the rest is the file.
pub fn fuzz_go(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let snapshot = match selector % 2 {
        0 => Snapshot::new().with("go.mod", input),
        _ => Snapshot::new()
            .with("go.sum", input)
            .with("go.mod", "module x\n\nrequire golang.org/x/text v0.3.0\n"),
    };
    check(&snapshot);
}

/// pip requirements, including itself through `-r`.
pub fn fuzz_requirements(data: &[u8]) {
    let snapshot = Snapshot::new()
        .with("requirements.txt", data)
        .with("requirements/dev.txt", data);
    check(&snapshot);
}

/// Pipenv, uv and PDM: the first byte picks `Pipfile.lock` (next to a `Pipfile`), `Pipfile`
/// (next to a `Pipfile.lock`), `uv.lock` or `pdm.lock` (next to a `pyproject.toml`), or the
/// `pyproject.toml` next to a `pdm.lock`; the rest is the file.
pub fn fuzz_python_locks(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let pipfile = "[packages]\nrequests = \"==2.25.1\"\n\n[dev-packages]\npytest = \"*\"\n";
    let pipfile_lock = r#"{"_meta": {}, "default": {"requests": {"version": "==2.25.1"}}}"#;
    let pyproject = "[project]\nname = \"x\"\ndependencies = [\"requests>=2\"]\n";
    let pdm_lock = "[metadata]\nlock_version = \"4.5.1\"\nstrategy = [\"inherit_metadata\"]\n\n[[package]]\nname = \"requests\"\nversion = \"2.25.1\"\ngroups = [\"default\"]\ndependencies = [\"idna<3\"]\n\n[[package]]\nname = \"idna\"\nversion = \"2.10\"\ngroups = [\"default\"]\n";
    let snapshot = match selector % 5 {
        0 => Snapshot::new()
            .with("Pipfile.lock", input)
            .with("Pipfile", pipfile),
        1 => Snapshot::new()
            .with("Pipfile", input)
            .with("Pipfile.lock", pipfile_lock),
        2 => Snapshot::new()
            .with("uv.lock", input)
            .with("pyproject.toml", pyproject),
        3 => {
            // The layout reader and the TOML parse must agree on whatever the first reads.
            let text = String::from_utf8_lossy(input);
            if let Some(fast) = crate::analysis::pypi::pdm::fast::read(&text) {
                match crate::analysis::pypi::pdm::read_toml("pdm.lock", &text) {
                    Ok(full) => assert_eq!(fast, full, "the two pdm.lock readers disagree"),
                    Err(e) => panic!("the layout reader took a lock TOML refuses: {e}"),
                }
            }
            Snapshot::new()
                .with("pdm.lock", input)
                .with("pyproject.toml", pyproject)
        }
        _ => {
            // The content hash PDM would write for this manifest must not fail unreadably either.
            let _ = crate::edit::pdm_content_hash(&String::from_utf8_lossy(input));
            Snapshot::new()
                .with("pyproject.toml", input)
                .with("pdm.lock", pdm_lock)
        }
    };
    check(&snapshot);
}

/// Ruby: the first byte picks `Gemfile.lock` (next to a small `Gemfile`) or `Gemfile`; the rest
/// is the file.
pub fn fuzz_gem(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let gemfile = "source \"https://rubygems.org\"\ngem \"rack\", \"~> 2.2\"\n";
    let snapshot = match selector % 2 {
        0 => Snapshot::new()
            .with("Gemfile.lock", input)
            .with("Gemfile", gemfile),
        _ => Snapshot::new().with("Gemfile", input),
    };
    check(&snapshot);
    // Moving a pin's DEPENDENCIES line: an answer for any lockfile, and a moved line where the
    // lock held the old one.
    if let Some(lock) = snapshot.text("Gemfile.lock") {
        let (old, new) = (vec!["2.2.4".to_owned()], vec!["= 2.2.6.2".to_owned()]);
        if let Ok(moved) = crate::edit::gemfile_lock_dependency_moved(&lock, "rack", &old, &new) {
            assert!(
                moved.contains("  rack (= 2.2.6.2)"),
                "a moved lock lacks the new DEPENDENCIES line"
            );
        }
    }
}

/// NuGet: the first byte picks `packages.lock.json` (next to a project and a central props
/// file), a project file, `Directory.Packages.props` (next to a project and a lockfile) or
/// `packages.config`; the rest is the file.
pub fn fuzz_nuget(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let project = "<Project><ItemGroup><PackageReference Include=\"A\" /><PackageReference Include=\"B\" Version=\"1.0\" /></ItemGroup></Project>";
    let props = "<Project><PropertyGroup><ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally></PropertyGroup><ItemGroup><PackageVersion Include=\"A\" Version=\"[1.0,2.0)\" /></ItemGroup></Project>";
    let lock = r#"{"version": 1, "dependencies": {"net6.0": {"A": {"type": "Direct", "requested": "[1.0.0, )", "resolved": "1.0.0", "contentHash": "x", "dependencies": {"C": "1.0.0"}}, "C": {"type": "Transitive", "resolved": "1.0.0", "contentHash": "y"}}}}"#;
    let snapshot = match selector % 4 {
        0 => Snapshot::new()
            .with("app/packages.lock.json", input)
            .with("app/App.csproj", project)
            .with("Directory.Packages.props", props),
        1 => Snapshot::new()
            .with("app/App.csproj", input)
            .with("Directory.Packages.props", props),
        2 => Snapshot::new()
            .with("Directory.Packages.props", input)
            .with("app/App.csproj", project)
            .with("app/packages.lock.json", lock),
        _ => Snapshot::new().with("packages.config", input),
    };
    check(&snapshot);
}

/// PHP: the first byte picks `composer.lock` (next to a small `composer.json`) or
/// `composer.json`; the rest is the file.
pub fn fuzz_composer(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let manifest = r#"{"require": {"monolog/monolog": "^2.0"}}"#;
    let snapshot = match selector % 2 {
        0 => Snapshot::new()
            .with("composer.lock", input)
            .with("composer.json", manifest),
        _ => Snapshot::new().with("composer.json", input),
    };
    check(&snapshot);
    // Composer's content-hash: an answer for any composer.json, the same one each time.
    if let Some(json) = snapshot.text("composer.json") {
        let hash = crate::edit::composer_content_hash(&json).ok();
        assert_eq!(hash, crate::edit::composer_content_hash(&json).ok());
        assert!(hash.is_none_or(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit())));
    }
}

/// Gradle: the first byte picks `build.gradle`, `build.gradle.kts`, `gradle/libs.versions.toml`
/// or `gradle.lockfile`; the rest is the file, next to small files of the other kinds so that
/// lockfile entries meet declarations. Every edit site must lie inside its file.
pub fn fuzz_gradle(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let script =
        "dependencies {\n    implementation(libs.a)\n    implementation 'org.a:b:1.0'\n}\n";
    let catalog = "[libraries]\na = \"org.a:a:1.0\"\n";
    let lock = "org.a:a:1.0=runtimeClasspath\norg.a:c:2.0=compileClasspath\nempty=\n";
    let snapshot = match selector % 4 {
        0 => Snapshot::new()
            .with("build.gradle", input)
            .with("gradle/libs.versions.toml", catalog)
            .with("gradle.lockfile", lock),
        1 => Snapshot::new()
            .with("build.gradle.kts", input)
            .with("gradle/libs.versions.toml", catalog),
        2 => Snapshot::new()
            .with("gradle/libs.versions.toml", input)
            .with("build.gradle", script),
        _ => Snapshot::new()
            .with("gradle.lockfile", input)
            .with("build.gradle", script),
    };
    check(&snapshot);
    let build = crate::analysis::gradle::read(&snapshot);
    for site in build.declared.iter().filter_map(|d| d.site.as_ref()) {
        in_file(&snapshot, site);
    }
    // A `version.ref` a library may be given its own version in place of.
    let path = "gradle/libs.versions.toml";
    if let Some(Ok(entries)) = snapshot
        .text(path)
        .map(|t| crate::analysis::gradle::catalog::read(path, &t))
    {
        for site in entries.iter().filter_map(|e| e.reference.as_ref()) {
            in_file(&snapshot, site);
        }
    }
}

/// A PDM fix on a hostile `pdm.lock`: the input is the lock next to a project that requires `a`;
/// an advisory on `b` (fixed in 1.5, which a registry in memory describes with its files and a
/// requirement on `c`) is planned and applied. The edit must not panic, and a lock it writes
/// must still parse and lock `b` at 1.5.
pub fn fuzz_pdm_fix(data: &[u8]) {
    pdm_fixed_locks(data);
}

/// The `pdm.lock` texts the fixes of [`fuzz_pdm_fix`] write.
fn pdm_fixed_locks(data: &[u8]) -> Vec<String> {
    use crate::advisories::AdvisoryDb;
    use crate::osv::Record;
    use crate::plan::{plan, PlanOptions};
    use crate::registry::{PypiDist, PypiRelease, StaticRegistry};
    use crate::Ecosystem;
    let lock = String::from_utf8_lossy(data);
    let pyproject = "[project]\nname = \"x\"\nversion = \"0\"\nrequires-python = \">=3.8\"\ndependencies = [\"a\"]\n";
    let snapshot = Snapshot::new()
        .with("pyproject.toml", pyproject)
        .with("pdm.lock", lock.as_bytes());
    let analysis = check(&snapshot);
    let mut db = AdvisoryDb::new();
    let record = br#"{"id": "P-1", "affected": [{"package": {"ecosystem": "PyPI", "name": "b"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.5"}]}]}]}"#;
    match Record::from_json("fuzz", record) {
        Ok(r) => {
            db.insert(r);
        }
        Err(e) => panic!("the fuzz advisory is refused: {e}"),
    }
    let file = |name: &str, sha: &str| PypiDist {
        filename: name.into(),
        url: format!("https://files.example.invalid/{name}"),
        sha256: sha.into(),
        size: None,
        upload_time: None,
    };
    let release = |requires: &[&str]| PypiRelease {
        requires_dist: requires.iter().map(|r| r.to_string()).collect(),
        requires_python: Some(">=3.7".into()),
        summary: "B.".into(),
    };
    let registry = StaticRegistry::new()
        .publish(
            Ecosystem::PyPI,
            "b",
            "1.5",
            &[(Some("b-1.5.tar.gz"), "sha256:b5")],
        )
        .publish(
            Ecosystem::PyPI,
            "c",
            "2.0",
            &[(Some("c-2.0.tar.gz"), "sha256:c2")],
        )
        .pypi_release("b", "1.5", release(&["c>=2", "d; extra == \"x\""]))
        .pypi_files(
            "b",
            "1.5",
            vec![
                file("b-1.5.tar.gz", "b5"),
                file("b-1.5-cp37-abi3-win32.whl", "b6"),
            ],
        )
        .pypi_release("c", "2.0", release(&[]))
        .pypi_files("c", "2.0", vec![file("c-2.0.tar.gz", "c2")]);
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt,
        Err(e) => panic!("no runtime: {e}"),
    };
    runtime.block_on(async {
        let mut written = Vec::new();
        let findings = db.scan(&analysis);
        let Ok(planned) = plan(
            &analysis,
            &findings,
            &db,
            &registry,
            &PlanOptions::recommended(),
        )
        .await
        else {
            return written;
        };
        for fix in &planned.fixes {
            let Ok(set) = crate::edit::apply_fix(fix, &analysis, &snapshot, &registry).await else {
                continue;
            };
            if let Some(text) = set.files.get("pdm.lock") {
                if let Err(e) = toml_edit::ImDocument::parse(text.as_str()) {
                    panic!("the fixed pdm.lock does not parse: {e}\n{text}");
                }
                let fixed = Snapshot::new()
                    .with("pyproject.toml", pyproject)
                    .with("pdm.lock", text.as_str());
                let again = analyze(&fixed);
                let b: Vec<_> = (again.dependencies.iter())
                    .filter(|d| d.name == "b")
                    .map(|d| d.version.clone())
                    .collect();
                assert!(
                    b.iter().all(|v| v.as_deref() == Some("1.5")),
                    "b after the fix: {b:?}\n{text}"
                );
                written.push(text.clone());
            }
        }
        written
    })
}

/// Analyses `snapshot` and checks what any analysis promises.
/// An advisory sync batch applied to a store that holds one npm record: the first byte picks a
/// full archive (the rest is the `all.zip`), a delta (the rest is records separated by `\x1e`,
/// the first part being withdrawn ids separated by `,`) or a `modified_id.csv`. A batch is
/// applied whole or refused with the store unchanged.
pub fn fuzz_advisory_sync(data: &[u8]) {
    use crate::advisories::{AdvisoryStore, StoreOptions, SyncBatch, SyncChange};
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    const T0: &str = "2024-01-01T00:00:00Z";
    let store = AdvisoryStore::unconfigured(StoreOptions::default());
    let seed = br#"{"id": "S-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "npm", "name": "seed"}}]}"#;
    let base = SyncBatch {
        ecosystem: "npm".into(),
        watermark: T0.into(),
        change: SyncChange::Delta {
            since: T0.into(),
            records: vec![seed.to_vec()],
            withdrawn: Vec::new(),
        },
    };
    let archive = crate::zip::stored_zip(&[("S-1.json".into(), seed.to_vec())])
        .unwrap_or_else(|e| panic!("a one-record archive: {e}"));
    let full = |archive: Vec<u8>| SyncBatch {
        ecosystem: "npm".into(),
        watermark: "2024-02-01T00:00:00Z".into(),
        change: SyncChange::Full { archive },
    };
    if let Err(e) = store.sync(&full(archive)) {
        panic!("the seed archive is refused: {e}");
    }
    let before = (store.watermarks(), store.snapshot().len());
    let batch = match selector % 3 {
        0 => full(input.to_vec()),
        1 => {
            let mut parts = input.split(|&b| b == 0x1e);
            let withdrawn = parts
                .next()
                .unwrap_or_default()
                .split(|&b| b == b',')
                .filter(|id| !id.is_empty())
                .map(|id| String::from_utf8_lossy(id).into_owned())
                .collect();
            SyncBatch {
                change: SyncChange::Delta {
                    since: "2024-02-01T00:00:00Z".into(),
                    records: parts.map(<[u8]>::to_vec).collect(),
                    withdrawn,
                },
                watermark: "2024-03-01T00:00:00Z".into(),
                ..base
            }
        }
        _ => {
            let text = String::from_utf8_lossy(input);
            for (_, id) in crate::advisories::modified_ids_of(&text, "npm") {
                assert!(text.contains(id.as_str()), "{id} is not in the file");
            }
            return;
        }
    };
    match store.sync(&batch) {
        Ok(watermarks) => assert_eq!(watermarks["npm"], batch.watermark),
        Err(_) => assert_eq!(
            (store.watermarks(), store.snapshot().len()),
            before,
            "a refused batch changed the store"
        ),
    }
}

fn check(snapshot: &Snapshot) -> Analysis {
    let analysis = analyze(snapshot);
    for dep in &analysis.dependencies {
        for location in std::iter::once(&dep.location).chain(dep.declared_in.as_ref()) {
            let text = snapshot
                .get(&location.file)
                .unwrap_or_else(|| panic!("{location} names a file outside the snapshot"));
            let lines = text.iter().filter(|&&b| b == b'\n').count() + 1;
            assert!(
                location.line >= 1 && location.line as usize <= lines,
                "{location} is outside its file of {lines} lines"
            );
        }
    }
    analysis
}

mod bun;
pub use bun::fuzz_bun;

#[cfg(test)]
mod tests;
