//! Unit tests for path and query encoding.

use super::*;

fn check_segment(input: &str, expected: &str) {
    assert_eq!(segment(input), expected, "segment({input:?})");
}

#[test]
fn segment_vectors() {
    check_segment("PROJ", "PROJ");
    check_segment("my-repo_1.x~", "my-repo_1.x~");
    check_segment("~jdoe", "~jdoe");
    check_segment("a b", "a%20b");
    check_segment("a/b", "a%2Fb");
    check_segment("a#b", "a%23b");
    check_segment("a?b", "a%3Fb");
    check_segment("100%", "100%25");
    check_segment("a+b", "a%2Bb");
    check_segment("a&b=c", "a%26b%3Dc");
    check_segment("a;b", "a%3Bb");
    check_segment("é", "%C3%A9");
    check_segment("日本", "%E6%97%A5%E6%9C%AC");
    check_segment("a\\b", "a%5Cb");
    check_segment("", "");
}

#[test]
fn query_vectors() {
    assert_eq!(query_value("refs/heads/main"), "refs%2Fheads%2Fmain");
    assert_eq!(query_value("foo&bar"), "foo%26bar");
    assert_eq!(query_value("foo+bar"), "foo%2Bbar");
    assert_eq!(query_value("a b"), "a%20b");
    assert_eq!(query_value("x#y"), "x%23y");
    assert_eq!(query_value("feature/ü"), "feature%2F%C3%BC");
}

#[test]
fn query_string_joins_encoded_pairs() {
    let pairs = vec![
        ("at".to_owned(), "refs/heads/a&b".to_owned()),
        ("permission.1".to_owned(), "REPO_WRITE".to_owned()),
        ("filterText".to_owned(), "a b".to_owned()),
    ];
    assert_eq!(
        query_string(&pairs),
        "at=refs%2Fheads%2Fa%26b&permission.1=REPO_WRITE&filterText=a%20b"
    );
    assert_eq!(query_string(&[]), "");
}

#[test]
fn file_path_keeps_separators_and_encodes_segments() {
    let cases = [
        ("pom.xml", "pom.xml"),
        ("src/main/a b.rs", "src/main/a%20b.rs"),
        ("/leading/and/trailing/", "leading/and/trailing"),
        ("double//slash", "double/slash"),
        ("dir/#hash?q%.txt", "dir/%23hash%3Fq%25.txt"),
        ("ünï/cødé.txt", "%C3%BCn%C3%AF/c%C3%B8d%C3%A9.txt"),
        (".github/workflows/ci.yml", ".github/workflows/ci.yml"),
    ];
    for (input, expected) in cases {
        assert_eq!(file_path(input).unwrap(), expected, "file_path({input:?})");
    }
}

#[test]
fn file_path_rejects_empty_and_dot_segments() {
    for bad in ["", "/", "//", "a/../b", "./a", "a/."] {
        let err = file_path(bad).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { .. }),
            "{bad:?} gave {err:?}"
        );
    }
}

#[test]
fn branch_ref_qualifies_short_names_only() {
    assert_eq!(branch_ref("main"), "refs/heads/main");
    assert_eq!(branch_ref("feature/x"), "refs/heads/feature/x");
    assert_eq!(branch_ref("refs/heads/main"), "refs/heads/main");
    assert_eq!(branch_ref("refs/tags/v1.0"), "refs/tags/v1.0");
}

#[test]
fn commit_sha_detection() {
    assert!(is_commit_sha("0123456789abcdef0123456789abcdef01234567"));
    assert!(is_commit_sha("ABCDEF1"));
    assert!(!is_commit_sha("abc"));
    assert!(!is_commit_sha("refs/heads/main"));
    assert!(!is_commit_sha("main"));
    assert!(!is_commit_sha("0123456789abcdef0123456789abcdef012345678"));
}

#[test]
fn request_paths_with_dot_empty_or_slash_segments_are_refused() {
    use http::Method;

    let api = "/rest/api/latest/projects";
    let refused = |path: String| match check_path(&Method::GET, &path) {
        Err(Error::InvalidPathSegment { what, value, .. }) => (what, value),
        other => panic!("{path} is refused, got {other:?}"),
    };
    for (slug, value) in [
        ("", ""),
        (".", "."),
        ("..", ".."),
        ("%2E%2E", ".."),
        ("a%2Fb", "a/b"),
        ("%2F", "/"),
        ("a%5Cb", "a\\b"),
    ] {
        assert_eq!(
            refused(format!("{api}/PRJ/repos/{slug}/branches")),
            ("repository slug", value.to_owned()),
            "{slug}"
        );
        assert_eq!(
            refused(format!("{api}/{slug}/repos/app")),
            ("project key", value.to_owned()),
            "{slug}"
        );
    }
    // Slugs built with `segment` from caller input.
    assert_eq!(
        refused(format!("{api}/PRJ/repos/{}", segment("team/app"))),
        ("repository slug", "team/app".to_owned())
    );
    assert_eq!(
        refused(format!(
            "{api}/PRJ/repos/app/commits/{}/builds",
            segment("..")
        )),
        ("commit id", "..".to_owned())
    );
    assert_eq!(
        refused(format!("{api}/PRJ/repos/app/")),
        ("path segment", String::new())
    );
    let err = check_path(&Method::DELETE, &format!("{api}/PRJ/repos/..")).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("repository slug \"..\""), "{message}");
    assert!(message.contains("DELETE"), "{message}");

    for fine in [
        format!("{api}/PRJ/repos/app"),
        format!("{api}/~ALICE/repos/my.repo-1_x"),
        format!(
            "{api}/PRJ/repos/app/browse/{}",
            file_path("a/.hidden/b..c").unwrap()
        ),
        format!(
            "{api}/PRJ/repos/app/raw/{}",
            file_path("docs/100%.txt").unwrap()
        ),
        "/rest/build-status/latest/commits/stats".to_owned(),
        format!(
            "{api}/PRJ/repos/app/commits/abc/reports/k/annotations/{}",
            segment("cve/1")
        ),
    ] {
        assert!(check_path(&Method::GET, &fine).is_ok(), "{fine}");
    }
}
