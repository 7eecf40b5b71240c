//! Files: exact raw bytes at any revision, percent-encoding of odd file names, recursive listing,
//! directory and line browsing, and the multipart one-file commit with its conflicts.

use std::collections::BTreeSet;

use bitbucket_dc::{EntryType, Error, FileEdit, NotFoundKind};

use crate::support::{client, rest_log, start, tip, ALICE, BOB, ODD_FILES, REPO_TOKEN};

#[tokio::test]
async fn raw_reads_exact_bytes_at_any_revision() {
    let sim = start().await;
    let files = client(&sim, ALICE).repo("PRJ", "service").files();
    let main = tip(&sim, "service", "main");

    assert_eq!(
        &files.raw("README.md", None).await.expect("raw")[..],
        b"# service\n"
    );
    let feature = b"# service\n\nfeature work\n";
    assert_eq!(
        &files.raw("README.md", Some("feature")).await.expect("raw")[..],
        feature
    );
    assert_eq!(
        &files
            .raw("README.md", Some("refs/heads/feature"))
            .await
            .expect("raw")[..],
        feature
    );
    assert_eq!(
        &files.raw("/README.md", Some(&main)).await.expect("raw")[..],
        b"# service\n"
    );
    let missing = files.raw("missing.txt", None).await;
    assert!(
        matches!(
            missing,
            Err(Error::NotFound {
                kind: NotFoundKind::Path,
                ..
            })
        ),
        "{missing:?}"
    );
    let not_on_main = files.raw("CHANGELOG.md", Some("main")).await;
    assert!(
        matches!(
            not_on_main,
            Err(Error::NotFound {
                kind: NotFoundKind::Path,
                ..
            })
        ),
        "{not_on_main:?}"
    );
    let logged = rest_log(&sim);
    assert_eq!(
        logged[2].query.as_deref(),
        Some("at=refs%2Fheads%2Ffeature")
    );

    // Paths that could escape the repository are refused before anything is sent.
    let sent = rest_log(&sim).len();
    for bad in ["../etc/passwd", "a/./b", "", "/"] {
        let refused = files.raw(bad, None).await;
        assert!(
            matches!(refused, Err(Error::InvalidArgument { .. })),
            "{bad:?}: {refused:?}"
        );
    }
    let deferred = files.list("a/../b", None).collect_all().await;
    assert!(matches!(deferred, Err(Error::InvalidArgument { .. })));
    assert_eq!(rest_log(&sim).len(), sent);
}

#[tokio::test]
async fn odd_file_names_are_encoded_segment_by_segment() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let files = alice.repo("PRJ", "service").files();
    for (path, content) in ODD_FILES {
        let got = files.raw(path, None).await.expect("raw");
        assert_eq!(&got[..], *content, "{path}");
    }
    let on_the_wire: Vec<String> = rest_log(&sim)
        .into_iter()
        .map(|r| {
            r.path
                .trim_start_matches("/rest/api/latest/projects/PRJ/repos/service/raw/")
                .to_owned()
        })
        .collect();
    assert_eq!(
        on_the_wire,
        [
            "docs/a%20file%20with%20spaces.txt",
            "docs/hash%23tag.md",
            "docs/what%3F.txt",
            "docs/100%25.txt",
            "docs/%C3%BCnic%C3%B8de/%E6%96%87%E4%BB%B6.txt",
            "docs/plus%2Band%26amp.txt",
        ]
    );

    // Listing and browsing hand back the decoded names.
    let listed: BTreeSet<String> = files
        .list("docs", None)
        .collect_all()
        .await
        .expect("list")
        .into_iter()
        .collect();
    let expected: BTreeSet<String> = ODD_FILES
        .iter()
        .map(|(path, _)| path.trim_start_matches("docs/").to_owned())
        .collect();
    assert_eq!(listed, expected);
    let unicode = files
        .directory("docs/\u{00fc}nic\u{00f8}de", None)
        .collect_all()
        .await
        .expect("directory");
    assert_eq!(unicode.len(), 1);
    assert_eq!(unicode[0].path.name, "\u{6587}\u{4ef6}.txt");
    assert_eq!(unicode[0].entry_type, EntryType::File);
    // Line browsing loses the CRLF endings that raw keeps.
    let lines = files
        .lines("docs/hash#tag.md", None)
        .collect_all()
        .await
        .expect("lines");
    assert_eq!(lines, ["hash", "with crlf"]);

    // Editing a file with an odd name commits to exactly that path.
    let main = tip(&sim, "service", "main");
    let commit = files
        .edit(
            "docs/what?.txt",
            &FileEdit::new("main", b"answered\n".to_vec())
                .source_commit_id(&main)
                .message("Answer the question"),
        )
        .await
        .expect("edit");
    assert_eq!(commit.parents[0].id, main);
    assert_eq!(
        &files
            .raw("docs/what?.txt", Some(&commit.id))
            .await
            .expect("raw")[..],
        b"answered\n"
    );
    assert_eq!(
        &files.raw("docs/what?.txt", Some(&main)).await.expect("raw")[..],
        b"question\n"
    );
}

#[tokio::test]
async fn recursive_listing_directories_and_lines() {
    let sim = start().await;
    let files = client(&sim, ALICE).repo("PRJ", "service").files();
    let main = tip(&sim, "service", "main");

    let all = files.list("", None).collect_all().await.expect("list");
    assert_eq!(all.len(), 3 + ODD_FILES.len());
    assert!(all.contains(&"src/main.rs".to_owned()));
    let on_feature = files
        .list("/", Some("feature"))
        .collect_all()
        .await
        .expect("list");
    assert_eq!(on_feature.len(), all.len() + 1);
    assert!(on_feature.contains(&"CHANGELOG.md".to_owned()));
    assert_eq!(
        files.list("src", None).collect_all().await.expect("list"),
        ["main.rs"]
    );
    let missing = files.list("nope", None).collect_all().await;
    assert!(
        matches!(
            missing,
            Err(Error::NotFound {
                kind: NotFoundKind::Path,
                ..
            })
        ),
        "{missing:?}"
    );

    let root = files
        .directory("", Some(&main))
        .collect_all()
        .await
        .expect("root");
    let entries: Vec<(String, EntryType)> = root
        .iter()
        .map(|e| (e.path.name.clone(), e.entry_type.clone()))
        .collect();
    assert_eq!(
        entries,
        [
            ("docs".to_owned(), EntryType::Directory),
            ("src".to_owned(), EntryType::Directory),
            ("Cargo.toml".to_owned(), EntryType::File),
            ("README.md".to_owned(), EntryType::File),
        ]
    );
    let src = files
        .directory("src", None)
        .collect_all()
        .await
        .expect("src");
    assert_eq!(src[0].path.name, "main.rs");
    assert_eq!(src[0].size, Some(b"fn main() {}\n".len() as u64));
    assert!(src[0].content_id.is_some());

    assert_eq!(
        files
            .lines("Cargo.toml", None)
            .collect_all()
            .await
            .expect("lines"),
        ["[package]", "name = \"service\""]
    );
    // Browsing the wrong kind of path is a decode error that says which kind it was.
    let file_as_dir = files.directory("README.md", None).collect_all().await;
    assert!(
        matches!(&file_as_dir, Err(Error::Decode { .. }))
            && file_as_dir
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("not a directory"),
        "{file_as_dir:?}"
    );
    let dir_as_file = files.lines("src", None).collect_all().await;
    assert!(
        matches!(dir_as_file, Err(Error::Decode { .. })),
        "{dir_as_file:?}"
    );

    // A long file is browsed page by page.
    let long: String = (1..=1200).map(|n| format!("line {n}\n")).collect();
    sim.commit_file(
        "PRJ",
        "service",
        "main",
        "long.txt",
        long,
        "Long file",
        "alice",
    )
    .await
    .expect("commit");
    sim.request_log().clear();
    let lines = files
        .lines("long.txt", None)
        .limit(500)
        .collect_all()
        .await
        .expect("lines");
    assert_eq!(lines.len(), 1200);
    assert_eq!(lines[0], "line 1");
    assert_eq!(lines[1199], "line 1200");
    let starts: Vec<Option<String>> = rest_log(&sim)
        .iter()
        .map(|r| r.query_param("start"))
        .collect();
    assert_eq!(
        starts,
        [Some("0".into()), Some("500".into()), Some("1000".into())]
    );
}

#[tokio::test]
async fn edit_commits_one_file_and_maps_its_conflicts() {
    let sim = start().await;
    let alice = client(&sim, ALICE);
    let files = alice.repo("PRJ", "service").files();
    let main = tip(&sim, "service", "main");

    // A new branch and its first commit in one call.
    let created = files
        .edit(
            "src/lib.rs",
            &FileEdit::new("fix/cve-1", b"pub fn fixed() {}\n".to_vec())
                .message("Add lib")
                .source_branch("main"),
        )
        .await
        .expect("create branch with a commit");
    assert_eq!(created.message, "Add lib");
    assert_eq!(created.parents.len(), 1);
    assert_eq!(created.parents[0].id, main);
    // The author is the authenticated user, rendered as that Bitbucket user (user name).
    assert_eq!(created.author.name, "alice");
    assert_eq!(
        created.author.email_address.as_deref(),
        Some("alice@example.com")
    );
    assert_eq!(
        sim.branch_tip("PRJ", "service", "fix/cve-1").as_deref(),
        Some(created.id.as_str())
    );
    assert_eq!(tip(&sim, "service", "main"), main, "main is untouched");

    // Further commits chain on the previous id.
    let readme = b"# service\n\nfixed\n".to_vec();
    let second = files
        .edit(
            "README.md",
            &FileEdit::new("refs/heads/fix/cve-1", readme.clone())
                .source_commit_id(&created.id)
                .message("Docs"),
        )
        .await
        .expect("second commit");
    assert_eq!(second.parents[0].id, created.id);
    assert_eq!(
        &files
            .raw("README.md", Some("fix/cve-1"))
            .await
            .expect("raw")[..],
        &readme[..]
    );

    // Exact bytes, binary included.
    let binary: Vec<u8> = (0..=255u8).chain([b'\r', b'\n', 0]).collect();
    let third = files
        .edit(
            "assets/blob.bin",
            &FileEdit::new("fix/cve-1", binary.clone()).message("Binary"),
        )
        .await
        .expect("binary");
    assert_eq!(
        &files
            .raw("assets/blob.bin", Some(&third.id))
            .await
            .expect("raw")[..],
        &binary[..]
    );

    let unmodified = files
        .edit(
            "README.md",
            &FileEdit::new("fix/cve-1", readme.clone()).source_commit_id(&third.id),
        )
        .await;
    assert!(
        matches!(unmodified, Err(Error::FileContentUnmodified { .. })),
        "{unmodified:?}"
    );
    let stale = files
        .edit(
            "README.md",
            &FileEdit::new("fix/cve-1", b"other\n".to_vec()).source_commit_id(&created.id),
        )
        .await;
    match &stale {
        Err(err @ Error::Conflict { .. }) => {
            assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
            assert!(err
                .exception_name()
                .is_some_and(|n| n.ends_with("FileOutOfDateException")));
        }
        other => panic!("expected a conflict on a stale sourceCommitId, got {other:?}"),
    }
    let no_source = files
        .edit("README.md", &FileEdit::new("fix/cve-1", b"x\n".to_vec()))
        .await;
    assert!(
        matches!(no_source, Err(Error::Conflict { .. })),
        "{no_source:?}"
    );
    let no_branch = files
        .edit("x.txt", &FileEdit::new("does-not-exist", b"x\n".to_vec()))
        .await;
    assert!(
        matches!(
            no_branch,
            Err(Error::NotFound {
                kind: NotFoundKind::Branch,
                ..
            })
        ),
        "{no_branch:?}"
    );

    // Who may commit: readers may not; repository tokens have no user to author the commit.
    let reader = client(&sim, BOB)
        .repo("PRJ", "service")
        .files()
        .edit("x.txt", &FileEdit::new("main", b"x\n".to_vec()))
        .await;
    assert!(
        matches!(reader, Err(Error::NoPermission { .. })),
        "{reader:?}"
    );
    let token = client(&sim, REPO_TOKEN)
        .repo("PRJ", "service")
        .files()
        .edit(
            "README.md",
            &FileEdit::new("main", b"x\n".to_vec()).source_commit_id(&main),
        )
        .await;
    assert!(matches!(token, Err(Error::Forbidden { .. })), "{token:?}");
    let archived = alice
        .repo("PRJ", "archived")
        .files()
        .edit("a.txt", &FileEdit::new("main", b"b\n".to_vec()))
        .await;
    assert!(
        matches!(&archived, Err(err @ Error::Conflict { .. })
            if err.exception_name().is_some_and(|n| n.ends_with("RepositoryArchivedException"))),
        "{archived:?}"
    );

    // Every edit went out as multipart/form-data with the XSRF header, never as JSON.
    let edits: Vec<_> = rest_log(&sim)
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert_eq!(edits.len(), 10);
    for edit in &edits {
        assert!(edit.path.contains("/browse/"));
        assert!(edit
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("multipart/form-data; boundary=")));
        assert!(edit.has_xsrf_token());
    }
}
