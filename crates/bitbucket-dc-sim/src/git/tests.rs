//! Unit tests for the git wrapper: output parsers and a real fast-import round trip.

use super::import::quote_path;
use super::*;

#[test]
fn parses_ls_tree_entries_with_sizes() {
    let out = b"100644 blob aaaa      12\tREADME.md\x00040000 tree bbbb       -\tsrc\x00160000 commit cccc       -\tvendor\0";
    let entries = parse_ls_tree(out);
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0].kind, EntryKind::File);
    assert_eq!(entries[0].size, Some(12));
    assert_eq!(entries[0].path, "README.md");
    assert_eq!(entries[1].kind, EntryKind::Directory);
    assert_eq!(entries[1].size, None);
    assert_eq!(entries[2].kind, EntryKind::Submodule);
}

#[test]
fn parses_log_records_and_keeps_multiline_messages() {
    let out = "abc\u{1f}p1 p2\u{1f}Ann\u{1f}ann@x\u{1f}10\u{1f}Cid\u{1f}cid@x\u{1f}20\u{1f}subject\n\nbody\n\u{1e}\ndef\u{1f}\u{1f}B\u{1f}b@x\u{1f}1\u{1f}B\u{1f}b@x\u{1f}2\u{1f}root\n\u{1e}";
    let commits = parse_log(out.as_bytes());
    assert_eq!(commits.len(), 2);
    assert_eq!(commits[0].parents, vec!["p1", "p2"]);
    assert_eq!(commits[0].message, "subject\n\nbody");
    assert_eq!(commits[0].author_time, 10);
    assert_eq!(commits[0].committer_email, "cid@x");
    assert!(commits[1].parents.is_empty());
}

#[test]
fn parses_raw_diff_including_renames() {
    let out = b":100644 100644 aaa bbb M\0a.txt\0:000000 100755 000 ccc A\0run.sh\0:100644 100644 ddd ddd R100\0old.txt\0new.txt\0";
    let changes = parse_raw_diff(out);
    assert_eq!(changes.len(), 3);
    assert_eq!(changes[0].kind, 'M');
    assert_eq!(changes[1].kind, 'A');
    assert!(changes[1].executable);
    assert_eq!(changes[2].kind, 'R');
    assert_eq!(changes[2].path, "new.txt");
    assert_eq!(changes[2].src_path.as_deref(), Some("old.txt"));
    assert_eq!(changes[2].percent, Some(100));
}

#[test]
fn quotes_paths_for_fast_import() {
    assert_eq!(quote_path("a b/\"c\"\\d"), "\"a b/\\\"c\\\"\\\\d\"");
}

#[test]
fn rejects_option_like_and_range_revisions() {
    assert!(safe_rev("refs/heads/main"));
    assert!(safe_rev("0123abcd"));
    assert!(!safe_rev("--upload-pack=x"));
    assert!(!safe_rev("a..b"));
    assert!(!safe_rev("HEAD:file"));
    assert!(!safe_rev(""));
    assert!(is_hex_id("0123abcd"));
    assert!(!is_hex_id("main"));
    assert!(!is_hex_id("abc"));
}

#[tokio::test]
async fn fast_import_writes_commits_that_git_reads_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let git = Git::new(dir.path().to_path_buf());
    let repo = dir.path().join("r.git");
    git.init_bare(&repo, "main").await.expect("init");
    let sig = Signature {
        name: "Tester".into(),
        email: "t@example.com".into(),
        time: 1_700_000_000,
    };
    let files = vec![
        ("dir/a.txt".to_owned(), b"one\r\ntwo".to_vec()),
        ("b.bin".to_owned(), vec![0, 1, 2, 255]),
    ];
    let mut stream = ImportStream::default();
    stream.commit(&ImportCommit {
        git_ref: "refs/heads/main",
        author: &sig,
        message: "first",
        from: None,
        files: &files,
    });
    stream.reset("refs/heads/copy", "refs/heads/main");
    git.fast_import(&repo, &stream.into_bytes())
        .await
        .expect("import");

    let refs = git.refs(&repo).await.expect("refs");
    let names: Vec<&str> = refs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, vec!["refs/heads/copy", "refs/heads/main"]);
    assert_eq!(refs[0].sha, refs[1].sha);
    assert_eq!(refs[1].time, 1_700_000_000);

    let head = git
        .resolve_commit(&repo, "main")
        .await
        .expect("resolve")
        .expect("main exists");
    let blob = git
        .read_blob(&repo, &head, "dir/a.txt")
        .await
        .expect("read");
    assert_eq!(blob.as_deref(), Some(&b"one\r\ntwo"[..]));
    assert_eq!(
        git.read_blob(&repo, &head, "dir").await.expect("read dir"),
        None
    );
    assert_eq!(
        git.read_blob(&repo, &head, "missing")
            .await
            .expect("read missing"),
        None
    );
    let files = git.list_files(&repo, &head, "").await.expect("files");
    assert_eq!(files, vec!["b.bin", "dir/a.txt"]);
    let commit = git
        .commit(&repo, &head)
        .await
        .expect("commit")
        .expect("exists");
    assert_eq!(commit.message, "first");
    assert_eq!(commit.author_name, "Tester");
    assert!(git
        .resolve_commit(&repo, "nope")
        .await
        .expect("resolve")
        .is_none());
}
