//! Unit tests of the chart checks' parsing and bookkeeping (the checks themselves run in `cargo xtask chart`).

use super::*;

/// What FLATTEN_PY prints for a small Deployment and a ConfigMap.
const FLAT: &str = "---\tDeployment\tgp\n\
apiVersion\t\"apps/v1\"\n\
metadata.labels.app\t\"gitproxy\"\n\
metadata.labels[\"app.kubernetes.io/name\"]\t\"gitproxy\"\n\
spec.replicas\t2\n\
spec.template.metadata.annotations[\"checksum/config\"]\t\"abc\"\n\
spec.template.spec.containers[0].env[0].name\t\"GITPROXY_AGENT_ID\"\n\
spec.template.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath\t\"metadata.name\"\n\
spec.template.spec.containers[0].env[1].name\t\"GITPROXY_ACCESS_KEY_FILE\"\n\
spec.template.spec.containers[0].env[1].value\t\"/etc/gitproxy/access-key/accessKey\"\n\
spec.template.spec.containers[0].envFrom[0].configMapRef.name\t\"gp\"\n\
spec.template.spec.containers[0].securityContext.capabilities.drop[0]\t\"ALL\"\n\
spec.ingress\t[]\n\
---\tConfigMap\tgp\n\
data.GITPROXY_LOG\t\"info\"\n\
data.GITPROXY_CLOUD_URL\t\"https://app.backline.ai\"\n";

fn manifest() -> Manifest {
    Manifest {
        yaml: String::new(),
        objects: parse_flat(FLAT).expect("the sample parses"),
    }
}

#[test]
fn parse_flat_splits_documents_and_keeps_json_leaves() {
    let m = manifest();
    assert_eq!(m.kinds(), ["ConfigMap", "Deployment"]);
    let d = m.one("Deployment").expect("one Deployment");
    assert_eq!(d.name, "gp");
    assert_eq!(d.raw("spec.replicas"), Some("2"));
    assert_eq!(d.get("spec.replicas").as_deref(), Some("2"));
    assert_eq!(d.raw("metadata.labels.app"), Some("\"gitproxy\""));
    assert_eq!(d.get("metadata.labels.app").as_deref(), Some("gitproxy"));
    assert_eq!(
        d.get("metadata.labels[\"app.kubernetes.io/name\"]")
            .as_deref(),
        Some("gitproxy")
    );
    assert_eq!(d.get("spec.ingress").as_deref(), Some("[]"));
    assert_eq!(d.get("spec.missing"), None);
}

#[test]
fn parse_flat_rejects_lines_outside_documents_and_without_tabs() {
    assert!(parse_flat("kind\t\"x\"\n").is_err());
    assert!(parse_flat("---\tA\ta\nno tab here\n").is_err());
    assert!(parse_flat("").expect("empty is fine").is_empty());
}

#[test]
fn lists_are_measured_and_searched_by_item_field() {
    let m = manifest();
    let d = m.one("Deployment").expect("one Deployment");
    let env = "spec.template.spec.containers[0].env";
    assert_eq!(d.len(env), 2);
    assert_eq!(d.len("spec.template.spec.containers"), 1);
    assert_eq!(d.len("spec.template.spec.volumes"), 0);
    assert_eq!(
        d.find(env, "name", "GITPROXY_ACCESS_KEY_FILE").as_deref(),
        Some("spec.template.spec.containers[0].env[1]")
    );
    assert_eq!(d.find(env, "name", "GITPROXY_NOPE"), None);
    assert_eq!(
        env_value(d, "GITPROXY_ACCESS_KEY_FILE").as_deref(),
        Some("/etc/gitproxy/access-key/accessKey")
    );
    assert_eq!(
        d.strings("spec.template.spec.containers[0].securityContext.capabilities.drop"),
        ["ALL"]
    );
}

#[test]
fn has_matches_whole_segments_only() {
    let m = manifest();
    let d = m.one("Deployment").expect("one Deployment");
    assert!(d.has("spec.template"));
    assert!(d.has("spec.replicas"));
    assert!(!d.has("spec.replica"));
    assert!(!d.has("spec.template.spec.containers[0].env[2]"));
    assert!(d.has("spec.template.spec.containers[0].env[1]"));
}

#[test]
fn keys_decode_plain_and_quoted_map_keys() {
    let m = manifest();
    let d = m.one("Deployment").expect("one Deployment");
    let labels: Vec<String> = d.keys("metadata.labels").into_iter().collect();
    assert_eq!(labels, ["app", "app.kubernetes.io/name"]);
    let cm = m.one("ConfigMap").expect("one ConfigMap");
    let data: Vec<String> = cm.keys("data").into_iter().collect();
    assert_eq!(data, ["GITPROXY_CLOUD_URL", "GITPROXY_LOG"]);
}

#[test]
fn agent_env_joins_env_and_env_from_sources() {
    let names: Vec<String> = agent_env(&manifest()).into_iter().collect();
    assert_eq!(
        names,
        [
            "GITPROXY_ACCESS_KEY_FILE",
            "GITPROXY_AGENT_ID",
            "GITPROXY_CLOUD_URL",
            "GITPROXY_LOG"
        ]
    );
}

#[test]
fn json_string_decodes_escapes_and_refuses_non_strings() {
    assert_eq!(
        json_string(r#""a\"b\\c\/d\ne""#).as_deref(),
        Some("a\"b\\c/d\ne")
    );
    assert_eq!(json_string(r#""\u00e9t\u00e9""#).as_deref(), Some("été"));
    assert_eq!(json_string("\"\"").as_deref(), Some(""));
    assert_eq!(json_string("42"), None);
    assert_eq!(json_string("true"), None);
    assert_eq!(json_string(r#""bad \q escape""#), None);
}

#[test]
fn base64_matches_rfc_4648_vectors() {
    for (plain, encoded) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
        (
            "http://proxy.corp.example:3128",
            "aHR0cDovL3Byb3h5LmNvcnAuZXhhbXBsZTozMTI4",
        ),
    ] {
        assert_eq!(base64(plain.as_bytes()), encoded, "base64 of {plain:?}");
    }
    assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
}

#[test]
fn report_counts_passes_and_names_failures() {
    let mut report = Report::default();
    report.check("a", true, "never shown");
    report.eq("b", "replicas", Some("2".to_owned()), "2");
    report.eq("c", "replicas", Some("1".to_owned()), "2");
    report.eq("d", "label", None, "gitproxy");
    assert_eq!(report.passed, 2);
    assert_eq!(
        report.failures,
        [
            "[c] replicas: expected \"2\", found Some(\"1\")",
            "[d] label: expected \"gitproxy\", found None"
        ]
    );
}

#[test]
fn workspace_version_reads_the_workspace_package_section() {
    let manifest = "[workspace]\nmembers = []\n\n[workspace.package]\nedition = \"2021\"\nversion = \"0.1.0\"\n\n[dependencies]\nversion = \"9\"\n";
    assert_eq!(workspace_version(manifest).as_deref(), Some("0.1.0"));
    assert_eq!(workspace_version("[package]\nversion = \"1.0.0\"\n"), None);
}

#[test]
fn workspace_version_of_this_repository_is_the_charts_app_version() {
    let root = crate::project_root();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("root manifest");
    let version = workspace_version(&manifest).expect("a workspace version");
    let chart =
        std::fs::read_to_string(root.join("charts/gitproxy/Chart.yaml")).expect("Chart.yaml");
    assert!(
        chart
            .lines()
            .any(|l| l == format!("appVersion: \"{version}\"")),
        "Chart.yaml appVersion must be the workspace version {version}"
    );
}

fn values() -> Object {
    let flat = "---\t\t\n\
gitproxy.enabled\ttrue\n\
gitproxy.accessKey\t\"\"\n\
gitproxy.existingSecret.key\t\"accessKey\"\n\
replicaCount\t2\n\
networkPolicy.bitbucket.ports[0]\t443\n\
networkPolicy.bitbucket.ports[1]\t7990\n\
resources.requests.cpu\t\"50m\"\n\
podAnnotations\t{}\n";
    parse_flat(flat).expect("values parse").remove(0)
}

#[test]
fn readme_rows_take_the_backticked_value_and_its_default() {
    let readme = "# x\n\n| value | default | description |\n|---|---|---|\n\
| `gitproxy.enabled` | `true` | Renders. |\n\
| `resources` | requests `cpu: 50m` | CPU. |\n\
not a row | `x` |\n";
    let rows = readme_rows(readme);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows["gitproxy.enabled"], "`true`");
    assert_eq!(rows["resources"], "requests `cpu: 50m`");
}

#[test]
fn readme_problems_accepts_a_complete_table() {
    let readme = "\
| `gitproxy.enabled` | `true` | a |\n\
| `gitproxy.accessKey` | `\"\"` | a |\n\
| `gitproxy.existingSecret.key` | `accessKey` | a |\n\
| `replicaCount` | `2` | a |\n\
| `networkPolicy.bitbucket.ports` | `[443, 7990]` | a |\n\
| `resources` | requests `cpu: 50m` | a |\n\
| `podAnnotations` | `{}` | a |\n";
    assert_eq!(readme_problems(&values(), readme), Vec::<String>::new());
}

#[test]
fn readme_problems_names_missing_unknown_and_wrong_defaults() {
    let readme = "\
| `gitproxy.enabled` | `false` | a |\n\
| `gitproxy.accessKey` | `\"\"` | a |\n\
| `gitproxy.existingSecret.key` | `accessKey` | a |\n\
| `networkPolicy.bitbucket.ports` | `[443]` | a |\n\
| `resources` | requests `cpu: 50m` | a |\n\
| `podAnnotations` | `{}` | a |\n\
| `gitproxy.removed` | `1` | a |\n";
    let problems = readme_problems(&values(), readme);
    assert_eq!(
        problems,
        [
            "value `replicaCount` is missing from the README values table",
            "README row `gitproxy.enabled` shows default `false`, values.yaml has `true`",
            "README row `gitproxy.removed` names no value of values.yaml",
            "README row `networkPolicy.bitbucket.ports` shows default `[443]`, values.yaml has `[443, 7990]`",
        ]
    );
}

#[test]
fn cases_cover_the_value_sets_the_brief_names() {
    let names: Vec<&str> = cases(Path::new("/tmp/ca.b64"))
        .iter()
        .map(|c| c.name)
        .collect();
    for wanted in [
        "defaults",
        "proxy",
        "custom-ca",
        "local-bitbucket",
        "existing-secret",
        "registries",
        "single-replica",
        "disabled",
    ] {
        assert!(names.contains(&wanted), "value set {wanted} is missing");
    }
    let ca = cases(Path::new("/tmp/ca.b64"))
        .into_iter()
        .find(|c| c.name == "custom-ca")
        .expect("custom-ca");
    assert!(ca
        .args
        .windows(2)
        .any(|w| w[0] == "--set-file" && w[1] == "customCaCert=/tmp/ca.b64"));
}
