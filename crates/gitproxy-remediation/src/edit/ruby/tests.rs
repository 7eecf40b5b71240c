//! Tests of the Gemfile requirement bump.

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
        "Bundler relocks, whatever the registry gives"
    );
    assert_eq!(
        out.files["Gemfile"],
        "source 'https://rubygems.org'\ngem 'rack', '~> 2.2.0', '>= 2.2.6.2', require: false # web\n"
    );
    assert!(!out.files.contains_key("Gemfile.lock"));
    assert!(out.needs_package_manager);
}
