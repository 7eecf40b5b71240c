//! Unit tests of the OCI layout writer: digests, gzip, and a layout written twice being identical.

use std::path::PathBuf;

use serde_json::{json, Value};

use super::{digest, gzip, write_layout, NamedLayer, Settings};
use crate::image::tar::{Entry, Layer};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "xtask-oci-test-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn layers() -> Vec<NamedLayer> {
    let mut base = Layer::default();
    base.insert(
        "/etc/passwd",
        Entry::file(b"root:x:0:0::/:/x\n".to_vec(), 0o644),
    )
    .expect("passwd");
    let mut bin = Layer::default();
    bin.insert("/usr/local/bin/tool", Entry::file(vec![7; 4096], 0o755))
        .expect("tool");
    vec![
        NamedLayer {
            name: "base",
            created_by: "test: base",
            layer: base,
        },
        NamedLayer {
            name: "bin",
            created_by: "test: bin",
            layer: bin,
        },
    ]
}

fn settings() -> Settings {
    Settings {
        created: "2026-01-01T00:00:00Z".to_owned(),
        mtime: 1_767_225_600,
        tag: "1.2.3".to_owned(),
        config: json!({ "User": "65532:65532", "Entrypoint": ["/usr/local/bin/tool"] }),
    }
}

fn read_json(path: PathBuf) -> Value {
    serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json")
}

#[test]
fn digest_is_the_sha256_of_the_content() {
    assert_eq!(
        digest(b"abc"),
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn gzip_output_is_stable_and_gunzips_back() {
    let data = b"hello hello hello hello".repeat(100);
    let first = gzip(&data).expect("gzip");
    assert_eq!(first, gzip(&data).expect("gzip"));
    assert_eq!(
        &first[..4],
        &[0x1f, 0x8b, 8, 0],
        "gzip magic, deflate, no flags"
    );
    assert_eq!(&first[4..8], &[0, 0, 0, 0], "mtime 0");
    let mut out = vec![0u8; data.len() + 16];
    let config = zlib_rs::InflateConfig { window_bits: 31 };
    let (plain, rc) = zlib_rs::decompress_slice(&mut out, &first, config);
    assert_eq!(rc, zlib_rs::ReturnCode::Ok);
    assert_eq!(plain, &data[..]);
}

#[test]
fn the_layout_is_complete_and_its_blobs_are_named_by_digest() {
    let dir = temp_dir("complete");
    let written = write_layout(&dir, &layers(), &settings()).expect("layout");
    assert_eq!(
        std::fs::read_to_string(dir.join("oci-layout")).expect("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#
    );
    let index = read_json(dir.join("index.json"));
    let entry = &index["manifests"][0];
    assert_eq!(entry["digest"], written.manifest_digest.as_str());
    assert_eq!(
        entry["annotations"]["org.opencontainers.image.ref.name"],
        "1.2.3"
    );
    for blob in std::fs::read_dir(dir.join("blobs/sha256")).expect("blobs") {
        let path = blob.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_owned();
        assert_eq!(
            digest(&std::fs::read(&path).expect("blob")),
            format!("sha256:{name}")
        );
    }
    let hex = written.manifest_digest.trim_start_matches("sha256:");
    let manifest = read_json(dir.join("blobs/sha256").join(hex));
    assert_eq!(manifest["layers"].as_array().map(Vec::len), Some(2));
    assert_eq!(manifest["config"]["digest"], written.config_digest.as_str());
    let config = read_json(
        dir.join("blobs/sha256")
            .join(written.config_digest.trim_start_matches("sha256:")),
    );
    assert_eq!(config["config"]["User"], "65532:65532");
    assert_eq!(
        config["rootfs"]["diff_ids"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(config["history"][1]["created_by"], "test: bin");
    assert_eq!(written.layers[1].files, 1);
    assert_eq!(
        written.compressed_without("bin"),
        written.layers[0].compressed
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn writing_twice_gives_the_same_digest() {
    let (one, two) = (temp_dir("one"), temp_dir("two"));
    let first = write_layout(&one, &layers(), &settings()).expect("first");
    let second = write_layout(&two, &layers(), &settings()).expect("second");
    assert_eq!(first, second);
    let later = Settings {
        mtime: settings().mtime + 1,
        ..settings()
    };
    let three = temp_dir("three");
    let third = write_layout(&three, &layers(), &later).expect("third");
    assert_ne!(
        third.manifest_digest, first.manifest_digest,
        "mtimes are part of the layers"
    );
    for dir in [one, two, three] {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
