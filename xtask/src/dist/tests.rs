//! Unit tests of the checksum, its file format and the size report.

use std::path::Path;

use super::{checksum_line, dist_dir, human_size, sha256};

#[test]
fn sha256_matches_the_known_digest_of_abc() {
    let dir = std::env::temp_dir().join(format!("xtask-dist-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("abc");
    std::fs::write(&file, b"abc").expect("write");
    let digest = sha256(&file).expect("hash");
    assert_eq!(
        digest,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn checksum_file_uses_the_sha256sum_format() {
    assert_eq!(checksum_line("ab12", "gitproxy"), "ab12  gitproxy\n");
}

#[test]
fn size_is_reported_in_mib_and_bytes() {
    assert_eq!(human_size(3 * 1024 * 1024 / 2), "1.5 MiB (1572864 bytes)");
}

#[test]
fn the_binary_lands_in_target_dist() {
    let root = Path::new("/repo");
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        assert_eq!(dist_dir(root), Path::new("/repo/target/dist"));
    } else {
        assert!(dist_dir(root).ends_with("dist"));
    }
}
