//! Unit tests of the flattened-YAML model: parsing, queries, JSON strings, base64, the agent's env.

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
