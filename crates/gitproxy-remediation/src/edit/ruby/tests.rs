//! Tests of the Gemfile requirement bump and the in-place Gemfile.lock bump.

use super::requirement_args;

fn args(old: &[&str], to: &str) -> Vec<String> {
    let old: Vec<String> = old.iter().map(|s| s.to_string()).collect();
    requirement_args(&old, to)
}

#[test]
fn a_requirement_that_allows_the_fix_gets_a_floor_at_it() {
    assert_eq!(args(&["~> 2.2.0"], "2.2.6.2"), ["~> 2.2.0", ">= 2.2.6.2"]);
    assert_eq!(args(&[], "1.13.10"), [">= 1.13.10"]);
    assert_eq!(args(&[">= 0.18", "< 2.0"], "1.4.6"), ["< 2.0", ">= 1.4.6"]);
}

#[test]
fn a_requirement_that_excludes_the_fix_moves_to_it() {
    // Pessimistic constraints keep their precision; exact pins move; upper bounds that exclude
    // the fix are dropped.
    assert_eq!(args(&["~> 6.1.0"], "7.0.8.1"), ["~> 7.0.8", ">= 7.0.8.1"]);
    assert_eq!(args(&["~> 2.2"], "3.0.0.1"), ["~> 3.0", ">= 3.0.0.1"]);
    assert_eq!(args(&["= 2.2.4"], "2.2.6.2"), ["= 2.2.6.2"]);
    assert_eq!(args(&["2.2.4"], "2.2.6.2"), ["= 2.2.6.2"]);
    assert_eq!(args(&[">= 2.0", "< 2.2.5"], "2.2.6.2"), [">= 2.2.6.2"]);
}

#[tokio::test]
async fn the_gemfile_line_keeps_its_quotes_and_options_even_with_digests_published() {
    use crate::edit::tests::{db, edits};
    use crate::files::Snapshot;
    use crate::registry::StaticRegistry;
    use crate::Ecosystem;
    let snapshot = Snapshot::new()
        .with(
            "Gemfile",
            "source 'https://rubygems.org'\ngem 'rack', '~> 2.2.0', require: false # web\n",
        )
        .with(
            "Gemfile.lock",
            "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.4)\n\nDEPENDENCIES\n  rack (~> 2.2.0)\n",
        );
    let db = db(&[("GHSA-65f5-mfpf-vfhj", "RubyGems", "rack", "2.2.6.2")]);
    let registry = StaticRegistry::new().publish(
        Ecosystem::RubyGems,
        "rack",
        "2.2.6.2",
        &[(None, "sha256:0123")],
    );
    let (plan, out) = edits(&snapshot, &db, &registry).await;
    assert_eq!(
        plan.fixes[0].lockfile,
        crate::plan::LockfileRefresh::Command("bundle update --conservative rack".into()),
        "without the version's dependencies from the registry, Bundler relocks"
    );
    assert_eq!(
        out.files["Gemfile"],
        "source 'https://rubygems.org'\ngem 'rack', '~> 2.2.0', '>= 2.2.6.2', require: false # web\n"
    );
    assert!(!out.files.contains_key("Gemfile.lock"));
    assert!(out.needs_package_manager);
}

/// A Gemfile.lock as Bundler 2.5 writes it, with platform variants and a CHECKSUMS section.
const NOKOGIRI_LOCK: &str = "GEM
  remote: https://rubygems.org/
  specs:
    nokogiri (1.13.9-arm64-darwin)
      racc (~> 1.4)
    nokogiri (1.13.9-x86_64-linux)
      racc (~> 1.4)
    racc (1.6.0)

PLATFORMS
  arm64-darwin
  x86_64-linux

DEPENDENCIES
  nokogiri (~> 1.13)

CHECKSUMS
  nokogiri (1.13.9-arm64-darwin) sha256=aaaa
  nokogiri (1.13.9-x86_64-linux) sha256=bbbb
  racc (1.6.0) sha256=cccc

BUNDLED WITH
   2.5.3
";

fn nokogiri_builds(deps: &[(&str, &str)]) -> Vec<crate::registry::GemBuild> {
    ["arm64-darwin", "x86_64-linux", "java"]
        .iter()
        .map(|platform| crate::registry::GemBuild {
            platform: platform.to_string(),
            sha256: Some(format!("{platform}-sha")),
            dependencies: deps
                .iter()
                .map(|(n, r)| (n.to_string(), r.to_string()))
                .collect(),
        })
        .collect()
}

/// The plan, the edits and the pull request description of the nokogiri fix when the registry
/// lists `deps` for 1.13.10.
async fn nokogiri_fix(deps: &[(&str, &str)]) -> (crate::plan::Plan, crate::edit::EditSet, String) {
    use crate::edit::tests::{db, edits};
    use crate::files::Snapshot;
    use crate::registry::StaticRegistry;
    use crate::Ecosystem;
    let snapshot = Snapshot::new()
        .with(
            "Gemfile",
            "source \"https://rubygems.org\"\ngem \"nokogiri\", \"~> 1.13\"\n",
        )
        .with("Gemfile.lock", NOKOGIRI_LOCK);
    let db = db(&[("GHSA-2qc6-mcvw-92cw", "RubyGems", "nokogiri", "1.13.10")]);
    let registry = StaticRegistry::new()
        .publish(Ecosystem::RubyGems, "nokogiri", "1.13.10", &[])
        .gem_release("nokogiri", "1.13.10", nokogiri_builds(deps));
    let (plan, out) = edits(&snapshot, &db, &registry).await;
    let analysis = crate::analysis::analyze(&snapshot);
    let findings = db.scan(&analysis);
    let files: Vec<String> = out.files.keys().cloned().collect();
    let fix = out.as_applied(&plan.fixes[0]);
    let text = crate::pr::description(&fix, &analysis, &findings, &files, &out.notes);
    (plan, out, text)
}

#[tokio::test]
async fn an_entry_whose_dependencies_stay_moves_in_place_with_its_variants_and_checksums() {
    // The compact index writes `racc:~> 1.4`; the lockfile `racc (~> 1.4)`: the same.
    let (plan, out, text) = nokogiri_fix(&[("racc", "~> 1.4")]).await;
    let fix = &plan.fixes[0];
    assert_eq!(fix.tier, crate::plan::Tier::LockfileUpdate);
    assert_eq!(fix.lockfile, crate::plan::LockfileRefresh::Agent);
    assert!(
        fix.notes.iter().any(|n| n.contains("only its spec line")),
        "{:?}",
        fix.notes
    );
    assert_eq!(out.files.keys().collect::<Vec<_>>(), ["Gemfile.lock"]);
    assert_eq!(
        out.files["Gemfile.lock"],
        NOKOGIRI_LOCK
            .replace("nokogiri (1.13.9-", "nokogiri (1.13.10-")
            .replace("sha256=aaaa", "sha256=arm64-darwin-sha")
            .replace("sha256=bbbb", "sha256=x86_64-linux-sha")
    );
    assert!(!out.needs_package_manager);
    // The pull request says which tier was taken and why.
    assert!(
        text.contains("How: lockfile update within the existing version requirements."),
        "{text}"
    );
    assert!(
        text.contains("the registry lists the same runtime dependencies"),
        "{text}"
    );
    assert!(!text.contains("run `bundle update"), "{text}");
}

#[tokio::test]
async fn new_dependencies_leave_the_lockfile_to_bundler_and_the_note_says_which() {
    let (plan, out, text) =
        nokogiri_fix(&[("racc", "~> 1.4"), ("mini_portile2", "~> 2.8.0")]).await;
    let fix = &plan.fixes[0];
    assert_eq!(fix.tier, crate::plan::Tier::ManifestBump);
    assert_eq!(
        fix.lockfile,
        crate::plan::LockfileRefresh::Command("bundle update --conservative nokogiri".into())
    );
    assert!(
        fix.notes
            .iter()
            .any(|n| n.contains("adds `mini_portile2 (~> 2.8.0)` and drops nothing")),
        "{:?}",
        fix.notes
    );
    assert!(!out.files.contains_key("Gemfile.lock"));
    assert!(text.contains("How: manifest version bump."), "{text}");
    assert!(text.contains("adds `mini_portile2 (~> 2.8.0)`"), "{text}");
    assert!(
        text.contains("run `bundle update --conservative nokogiri`"),
        "{text}"
    );
    assert_eq!(
        out.files["Gemfile"],
        "source \"https://rubygems.org\"\ngem \"nokogiri\", \"~> 1.13\", \">= 1.13.10\"\n"
    );
}

#[test]
fn a_lock_bump_keeps_every_other_byte_and_refuses_a_missing_platform() {
    use super::bump_lock;
    let builds = nokogiri_builds(&[("racc", "~> 1.4")]);
    let crlf = NOKOGIRI_LOCK.replace('\n', "\r\n");
    let bumped = bump_lock(&crlf, "nokogiri", "1.13.9", "1.13.10", &builds).unwrap();
    assert_eq!(
        bumped,
        crlf.replace("nokogiri (1.13.9-", "nokogiri (1.13.10-")
            .replace("sha256=aaaa", "sha256=arm64-darwin-sha")
            .replace("sha256=bbbb", "sha256=x86_64-linux-sha")
    );
    // racc's own line and its dependency lines are not nokogiri's.
    assert!(bump_lock(NOKOGIRI_LOCK, "racc", "1.6.0", "1.6.1", &builds)
        .unwrap_err()
        .contains("has no ruby build"));
    assert!(
        bump_lock(NOKOGIRI_LOCK, "nokogiri", "1.13.8", "1.13.10", &builds)
            .unwrap_err()
            .contains("no `nokogiri (1.13.8)` spec")
    );
}

#[tokio::test]
async fn a_requirement_that_excludes_the_fix_moves_the_gemfile_and_the_lock_with_it() {
    use crate::edit::tests::{db, edits};
    use crate::files::Snapshot;
    use crate::registry::StaticRegistry;
    use crate::Ecosystem;
    let gemfile =
        "source \"https://rubygems.org\"\ngem \"nokogiri\", \"~> 1.13.0\", \"< 1.13.10\"\n";
    let fixed = |lock: &str| {
        let (lock, gemfile) = (lock.to_owned(), gemfile.to_owned());
        async move {
            let snapshot = Snapshot::new()
                .with("Gemfile", gemfile.as_str())
                .with("Gemfile.lock", lock.as_str());
            let db = db(&[("GHSA-2qc6-mcvw-92cw", "RubyGems", "nokogiri", "1.13.10")]);
            let registry = StaticRegistry::new()
                .publish(Ecosystem::RubyGems, "nokogiri", "1.13.10", &[])
                .gem_release(
                    "nokogiri",
                    "1.13.10",
                    nokogiri_builds(&[("racc", "~> 1.4")]),
                );
            edits(&snapshot, &db, &registry).await
        }
    };
    // The lock's DEPENDENCIES line is the Gemfile's requirement as Bundler writes it.
    let lock = NOKOGIRI_LOCK.replace("nokogiri (~> 1.13)", "nokogiri (~> 1.13.0, < 1.13.10)");
    let (plan, out) = fixed(&lock).await;
    let fix = &plan.fixes[0];
    assert_eq!(fix.tier, crate::plan::Tier::ManifestBump);
    assert_eq!(fix.lockfile, crate::plan::LockfileRefresh::Agent);
    assert!(
        fix.notes.iter().any(|n| n.contains(
            "Gemfile requires nokogiri `~> 1.13.0, < 1.13.10`, which excludes the fixed version, so the requirement moves, and Gemfile.lock with it"
        )),
        "{:?}",
        fix.notes
    );
    assert_eq!(
        out.files["Gemfile"],
        "source \"https://rubygems.org\"\ngem \"nokogiri\", \"~> 1.13.0\", \">= 1.13.10\"\n"
    );
    let moved = &out.files["Gemfile.lock"];
    assert!(
        moved.contains("\nDEPENDENCIES\n  nokogiri (~> 1.13.0, >= 1.13.10)\n"),
        "{moved}"
    );
    assert!(
        moved.contains("    nokogiri (1.13.10-x86_64-linux)\n"),
        "{moved}"
    );
    assert!(!out.needs_package_manager);

    // A DEPENDENCIES line that is not the Gemfile's requirement as Bundler writes it (not
    // Bundler's order): the Gemfile moves, Bundler relocks.
    let (_, out) =
        fixed(&NOKOGIRI_LOCK.replace("nokogiri (~> 1.13)", "nokogiri (< 1.13.10, ~> 1.13.0)"))
            .await;
    assert!(out.files.contains_key("Gemfile"));
    assert!(!out.files.contains_key("Gemfile.lock"));
    assert!(out.needs_package_manager);
    assert!(
        out.notes.iter().any(|n| n.contains("Gemfile.lock was not bumped in place because its `DEPENDENCIES` line for nokogiri is `nokogiri (< 1.13.10, ~> 1.13.0)`, not the Gemfile's requirement as Bundler writes it (`nokogiri (~> 1.13.0, < 1.13.10)`)")),
        "{:?}",
        out.notes
    );
}

#[test]
fn a_dependencies_line_is_written_as_bundler_writes_it() {
    use super::lock_requirement;
    let reqs = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        lock_requirement(&reqs(&["~> 2.2.0", ">= 2.2.6.2"])),
        " (~> 2.2.0, >= 2.2.6.2)"
    );
    assert_eq!(
        lock_requirement(&reqs(&[">= 2.2.6.2", "~> 2.2.0"])),
        " (~> 2.2.0, >= 2.2.6.2)"
    );
    assert_eq!(lock_requirement(&reqs(&["2.2.4"])), " (= 2.2.4)");
    assert_eq!(
        lock_requirement(&reqs(&[">= 1.0", "< 3"])),
        " (>= 1.0, < 3)"
    );
    assert_eq!(lock_requirement(&reqs(&[">= 0"])), "");
    assert_eq!(lock_requirement(&[]), "");
}

#[test]
fn a_dependencies_line_moves_only_from_the_gemfiles_requirement() {
    use super::move_dependency;
    let lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.6.2)\n\nDEPENDENCIES\n  rack (= 2.2.4)\n  rack-test!\n  sinatra (~> 2.2)\n";
    let old = vec!["2.2.4".to_string()];
    let new = vec!["= 2.2.6.2".to_string()];
    let moved = move_dependency(lock, "rack", &old, &new).unwrap();
    assert_eq!(
        moved,
        lock.replace("  rack (= 2.2.4)\n", "  rack (= 2.2.6.2)\n")
    );
    // A git or path gem keeps its `!`.
    let git = lock.replace("  rack (= 2.2.4)\n", "  rack (= 2.2.4)!\n");
    let moved = move_dependency(&git, "rack", &old, &new).unwrap();
    assert!(moved.contains("  rack (= 2.2.6.2)!\n"), "{moved}");
    // A line that is not the Gemfile's requirement: the lock is stale, Bundler relocks.
    let e = move_dependency(lock, "rack", &["~> 2.1".to_string()], &new).unwrap_err();
    assert!(
        e.contains("its `DEPENDENCIES` line for rack is `rack (= 2.2.4)`, not the Gemfile's requirement as Bundler writes it (`rack (~> 2.1)`)"),
        "{e}"
    );
    assert!(move_dependency(lock, "puma", &old, &new).is_err());
}
