//! Unit tests of the image spec: it names what the chart pulls and runs as the chart's user, and the
//! small TOML/YAML readers it uses.

use super::{toml_field, yaml_field, Source, Spec, AGENT, BASE, OSV, OSV_DIR, PROBE_PORT};

fn spec() -> Spec {
    Spec::load(&crate::project_root()).expect("spec loads from the checkout")
}

fn chart_file(name: &str) -> String {
    std::fs::read_to_string(crate::project_root().join("charts/gitproxy").join(name)).expect(name)
}

#[test]
fn the_image_is_what_the_chart_pulls_by_default() {
    let spec = spec();
    let chart = chart_file("Chart.yaml");
    let app_version = chart
        .lines()
        .find_map(|l| l.strip_prefix("appVersion:"))
        .map(|v| v.trim().trim_matches('"').to_owned());
    assert_eq!(app_version.as_deref(), Some(spec.version.as_str()));
    let values = chart_file("values.yaml");
    assert_eq!(
        yaml_field(&values, "image", "tag").as_deref(),
        Some(""),
        "an empty tag means the appVersion"
    );
    assert_eq!(
        spec.reference(),
        format!(
            "registry.example.invalid/backline/gitproxy:{}",
            spec.version
        )
    );
}

#[test]
fn the_image_runs_as_the_charts_non_root_user() {
    let spec = spec();
    assert_eq!((spec.uid, spec.gid), (65532, 65532));
    assert_eq!(spec.oci_config("abc")["User"], "65532:65532");
    assert!(
        spec.passwd().contains("nonroot:x:65532:65532:"),
        "{}",
        spec.passwd()
    );
    assert!(
        spec.group().contains("nonroot:x:65532:"),
        "{}",
        spec.group()
    );
}

#[test]
fn the_osv_layer_and_the_probe_port_are_where_the_chart_expects_them() {
    let values = chart_file("values.yaml");
    assert_eq!(yaml_field(&values, "osv", "dir").as_deref(), Some(OSV_DIR));
    let configmap = chart_file("templates/configmap.yaml");
    assert!(
        configmap.contains(&format!("GITPROXY_LISTEN: \"0.0.0.0:{PROBE_PORT}\"")),
        "{configmap}"
    );
    let deployment = chart_file("templates/deployment.yaml");
    assert!(
        deployment.contains(&format!("containerPort: {PROBE_PORT}")),
        "{deployment}"
    );
    let config = spec().oci_config("abc");
    assert!(config["ExposedPorts"]
        .get(format!("{PROBE_PORT}/tcp"))
        .is_some());
    let env = config["Env"].as_array().expect("env");
    assert!(
        env.contains(&format!("GITPROXY_OSV_DIR={OSV_DIR}").into()),
        "{env:?}"
    );
}

#[test]
fn labels_carry_version_revision_and_source() {
    let config = spec().oci_config("0123abcd");
    let labels = &config["Labels"];
    assert_eq!(labels["org.opencontainers.image.revision"], "0123abcd");
    assert_eq!(
        labels["org.opencontainers.image.version"],
        spec().version.as_str()
    );
    assert_eq!(
        labels["org.opencontainers.image.source"],
        "https://example.invalid/gitproxy"
    );
    assert_eq!(config["Entrypoint"][0], "/usr/local/bin/gitproxy");
    assert_eq!(config["Cmd"][0], "run");
}

#[test]
fn every_layer_has_files_and_each_path_is_listed_once() {
    let files = spec().files();
    for layer in [BASE, AGENT, OSV] {
        assert!(files.iter().any(|f| f.layer == layer), "{layer} is empty");
    }
    let mut paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    paths.sort_unstable();
    let before = paths.len();
    paths.dedup();
    assert_eq!(paths.len(), before);
    assert!(files
        .iter()
        .any(|f| f.path == "/etc/ssl/certs/ca-certificates.crt" && f.source == Source::Host));
}

#[test]
fn the_toml_and_yaml_readers_take_the_field_of_the_right_block() {
    let toml = "[package]\nversion = \"9\"\n[workspace.package]\nversion = \"1.2.3\"\nrepository = \"https://x\"\n";
    assert_eq!(
        toml_field(toml, "[workspace.package]", "version").as_deref(),
        Some("1.2.3")
    );
    assert_eq!(toml_field(toml, "[workspace.package]", "license"), None);
    let yaml = "podSecurityContext:\n  runAsUser: 1\nsecurityContext:\n  # -- comment\n  runAsUser: 65532\n  capabilities:\n    runAsUser: 7\nimage:\n  repository: r.example/x # trailing\n  tag: \"\"\n";
    assert_eq!(
        yaml_field(yaml, "securityContext", "runAsUser").as_deref(),
        Some("65532")
    );
    assert_eq!(
        yaml_field(yaml, "image", "repository").as_deref(),
        Some("r.example/x")
    );
    assert_eq!(yaml_field(yaml, "image", "tag").as_deref(), Some(""));
    assert_eq!(yaml_field(yaml, "image", "digest"), None);
}
