//! Unit tests of the SBOM: which crates count as part of the binary, and the CycloneDX shape.

use serde_json::json;

use super::{binary_crates, cyclonedx, purl, Component};
use crate::image::spec::Spec;

fn package(name: &str, source: Option<&str>, kind: &str) -> serde_json::Value {
    json!({
        "id": format!("{name}-id"),
        "name": name,
        "version": "1.0.0",
        "source": source,
        "license": "MIT",
        "targets": [{ "kind": [kind] }],
    })
}

fn dep(name: &str, kind: Option<&str>) -> serde_json::Value {
    json!({ "name": name, "pkg": format!("{name}-id"), "dep_kinds": [{ "kind": kind, "target": null }] })
}

#[test]
fn only_normal_non_macro_dependencies_reach_the_binary() {
    let registry = Some("registry+https://github.com/rust-lang/crates.io-index");
    let metadata = json!({
        "packages": [
            package("gitproxy", None, "bin"),
            package("tokio", registry, "lib"),
            package("bytes", registry, "lib"),
            package("serde_derive", registry, "proc-macro"),
            package("syn", registry, "lib"),
            package("cc", registry, "lib"),
            package("tempfile", registry, "lib"),
            package("gitproxy-tunnel", None, "lib"),
        ],
        "resolve": { "nodes": [
            { "id": "gitproxy-id", "deps": [
                dep("tokio", None), dep("serde_derive", None), dep("tempfile", Some("dev")),
                dep("cc", Some("build")), dep("gitproxy-tunnel", None),
            ]},
            { "id": "tokio-id", "deps": [dep("bytes", None)] },
            { "id": "serde_derive-id", "deps": [dep("syn", None)] },
            { "id": "gitproxy-tunnel-id", "deps": [dep("tokio", None)] },
        ]},
    });
    let names: Vec<String> = binary_crates(&metadata, "gitproxy")
        .expect("crates")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["bytes", "gitproxy-tunnel", "tokio"]);
}

#[test]
fn the_document_is_cyclonedx_1_5_with_cargo_purls() {
    let spec = Spec::load(&crate::project_root()).expect("spec");
    let components = [Component {
        name: "tokio".to_owned(),
        version: "1.40.0".to_owned(),
        license: Some("MIT".to_owned()),
    }]
    .into_iter()
    .collect();
    let bom = cyclonedx(&spec, &components, "2026-01-01T00:00:00Z");
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.5");
    assert_eq!(bom["metadata"]["component"]["name"], "gitproxy");
    assert_eq!(bom["metadata"]["timestamp"], "2026-01-01T00:00:00Z");
    let tokio = &bom["components"][0];
    assert_eq!(tokio["purl"], "pkg:cargo/tokio@1.40.0");
    assert_eq!(tokio["licenses"][0]["expression"], "MIT");
    assert_eq!(purl("a-b", "0.1.0"), "pkg:cargo/a-b@0.1.0");
}
