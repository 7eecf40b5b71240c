//! Unit tests of the image build: dates, `ldd` parsing, and the layers built from the spec.

use super::{layers, linked_libraries, rfc3339};
use crate::image::spec::{Spec, LIBRARIES, LOADER};

#[test]
fn dates_are_rfc3339_in_utc() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(rfc3339(1_796_360_627), "2026-12-04T05:03:47Z");
}

#[test]
fn ldd_output_gives_the_library_paths_without_the_vdso() {
    let ldd = "\tlinux-vdso.so.1 (0x00007ff3e5dde000)
\tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007ff3e5dad000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007ff3e4f3e000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007ff3e5de0000)
";
    assert_eq!(
        linked_libraries(ldd),
        [
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib/x86_64-linux-gnu/libgcc_s.so.1",
            "/lib64/ld-linux-x86-64.so.2"
        ]
    );
}

#[test]
fn the_layers_hold_the_spec_files_with_the_osv_tree_and_binary() {
    let dir = std::env::temp_dir().join(format!("xtask-image-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let osv = dir.join("osv");
    std::fs::create_dir_all(osv.join("Go")).expect("dirs");
    std::fs::write(osv.join("Go/all.zip"), b"zip").expect("zip");
    std::fs::write(osv.join("README.md"), b"readme").expect("readme");
    let binary = dir.join("gitproxy");
    std::fs::write(&binary, b"\x7fELF").expect("binary");
    let spec = Spec::load(&crate::project_root()).expect("spec");
    let built = layers(&spec, &binary, &osv).expect("layers");
    let names: Vec<&str> = built.iter().map(|l| l.name).collect();
    assert_eq!(names, ["base", "gitproxy", "osv"]);
    let base = built[0].layer.paths();
    for path in LIBRARIES.iter().chain([&LOADER]) {
        assert!(base.iter().any(|p| p == path), "{path} missing: {base:?}");
    }
    for path in [
        "/etc/passwd",
        "/etc/group",
        "/etc/ssl/certs/ca-certificates.crt",
        "/tmp/",
        "/home/nonroot/",
    ] {
        assert!(base.iter().any(|p| p == path), "{path} missing: {base:?}");
    }
    assert_eq!(
        built[1].layer.paths(),
        [
            "/usr/",
            "/usr/local/",
            "/usr/local/bin/",
            "/usr/local/bin/gitproxy"
        ]
    );
    let osv_paths = built[2].layer.paths();
    assert!(
        osv_paths.ends_with(&[
            "/usr/share/gitproxy/osv/".to_owned(),
            "/usr/share/gitproxy/osv/Go/".to_owned(),
            "/usr/share/gitproxy/osv/Go/all.zip".to_owned(),
            "/usr/share/gitproxy/osv/README.md".to_owned(),
        ]),
        "{osv_paths:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
