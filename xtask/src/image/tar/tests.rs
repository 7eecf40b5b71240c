//! Unit tests of the layer tar writer: ordering, parents, headers readable by GNU tar, determinism.

use std::io::Write as _;
use std::process::{Command, Stdio};

use super::{Entry, Layer};

fn sample() -> Layer {
    let mut layer = Layer::default();
    layer
        .insert(
            "/usr/local/bin/gitproxy",
            Entry::file(b"#!binary".to_vec(), 0o755),
        )
        .expect("binary");
    layer
        .insert(
            "/etc/passwd",
            Entry::file(b"root:x:0:0::/:/sbin/nologin\n".to_vec(), 0o644),
        )
        .expect("passwd");
    layer.insert("/tmp", Entry::dir(0o1777, 0, 0)).expect("tmp");
    layer
}

/// `tar -tv` of an archive: GNU tar's own reading of the headers.
fn gnu_tar_listing(archive: &[u8]) -> String {
    let mut child = Command::new("tar")
        .args(["--numeric-owner", "--full-time", "-tvf", "-"])
        .env("TZ", "UTC")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("tar runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(archive)
        .expect("write");
    let out = child.wait_with_output().expect("tar exits");
    assert!(out.status.success(), "tar rejected the archive");
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn parents_are_added_and_paths_come_out_sorted() {
    assert_eq!(
        sample().paths(),
        [
            "/etc/",
            "/etc/passwd",
            "/tmp/",
            "/usr/",
            "/usr/local/",
            "/usr/local/bin/",
            "/usr/local/bin/gitproxy"
        ]
    );
}

#[test]
fn gnu_tar_reads_modes_numeric_owners_and_the_fixed_mtime() {
    let listing = gnu_tar_listing(&sample().to_tar(1_700_000_000).expect("tar"));
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 7, "{listing}");
    assert!(lines[0].starts_with("drwxr-xr-x 0/0"), "{listing}");
    assert!(lines[0].ends_with("2023-11-14 22:13:20 etc/"), "{listing}");
    assert!(lines[1].starts_with("-rw-r--r-- 0/0"), "{listing}");
    assert!(lines[1].ends_with("etc/passwd"), "{listing}");
    assert!(lines[2].starts_with("drwxrwxrwt 0/0"), "{listing}");
    assert!(lines[6].starts_with("-rwxr-xr-x 0/0"), "{listing}");
    assert!(lines[6].contains(" 8 2023-11-14"), "{listing}");
}

#[test]
fn the_same_entries_give_the_same_bytes_whatever_the_insertion_order() {
    let mut reversed = Layer::default();
    reversed
        .insert("/tmp", Entry::dir(0o1777, 0, 0))
        .expect("tmp");
    reversed
        .insert(
            "/etc/passwd",
            Entry::file(b"root:x:0:0::/:/sbin/nologin\n".to_vec(), 0o644),
        )
        .expect("passwd");
    reversed
        .insert(
            "/usr/local/bin/gitproxy",
            Entry::file(b"#!binary".to_vec(), 0o755),
        )
        .expect("binary");
    assert_eq!(
        reversed.to_tar(7).expect("tar"),
        sample().to_tar(7).expect("tar")
    );
}

#[test]
fn directories_keep_their_owner() {
    let mut layer = Layer::default();
    layer
        .insert("/home/nonroot", Entry::dir(0o700, 65532, 65532))
        .expect("home");
    let listing = gnu_tar_listing(&layer.to_tar(0).expect("tar"));
    assert!(listing.contains("drwx------ 65532/65532"), "{listing}");
}

#[test]
fn long_paths_use_the_ustar_prefix() {
    let dir = "d".repeat(90);
    let path = format!("/{dir}/{}", "f".repeat(60));
    let mut layer = Layer::default();
    layer
        .insert(&path, Entry::file(b"x".to_vec(), 0o644))
        .expect("file");
    let listing = gnu_tar_listing(&layer.to_tar(0).expect("tar"));
    assert!(listing.contains(&path[1..]), "{listing}");
}

#[test]
fn bad_paths_and_duplicates_are_refused_with_the_fix() {
    let mut layer = Layer::default();
    let relative = layer
        .insert("etc/passwd", Entry::file(Vec::new(), 0o644))
        .expect_err("relative");
    assert!(
        relative.to_string().contains("is not absolute"),
        "{relative}"
    );
    let dotdot = layer
        .insert("/etc/../passwd", Entry::file(Vec::new(), 0o644))
        .expect_err("dot dot");
    assert!(dotdot.to_string().contains("`..`"), "{dotdot}");
    layer
        .insert("/etc/passwd", Entry::file(Vec::new(), 0o644))
        .expect("first");
    let twice = layer
        .insert("/etc/passwd", Entry::file(Vec::new(), 0o644))
        .expect_err("twice");
    assert!(twice.to_string().contains("twice"), "{twice}");
}
