//! Unit tests for name and path validation.

use super::*;

#[test]
fn branch_names_follow_git_ref_rules() {
    for ok in ["main", "feature/x", "fix-1.2", "renovate/time-0.x"] {
        assert!(valid_branch_name(ok), "{ok} should be valid");
    }
    for bad in [
        "", "@", "/a", "a/", "a..b", "a b", "a~1", "a^", "a:b", "a?", "a*", "a[", "a\\b", "x.lock",
        ".hidden", "a/.b", "-x", "a//b", "a@{1}", "end.",
    ] {
        assert!(!valid_branch_name(bad), "{bad:?} should be invalid");
    }
}

#[test]
fn file_paths_are_relative_and_clean() {
    assert!(valid_file_path("a/b.txt"));
    assert!(valid_file_path(".github/workflows/ci.yml"));
    for bad in ["", "/abs", "a/", "a//b", "../x", "a/./b", ".git/config"] {
        assert!(!valid_file_path(bad), "{bad:?} should be invalid");
    }
}
