//! The facts the rendered value sets promise: those of every set ([`common`]), then each set's own.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};

use super::objects::{agent_env, base64, env_path, env_value, Manifest};
use super::{Report, ACCESS_KEY, FULLNAME};

mod common;

use common::{check_common, rule_ports};

/// The environment the chart gives the agent with default values and an access key.
const DEFAULT_ENV: &[&str] = &[
    "GITPROXY_ACCESS_KEY_FILE",
    "GITPROXY_ADVISORY_STORE_DIR",
    "GITPROXY_AGENT_ID",
    "GITPROXY_BRANCH_PREFIX",
    "GITPROXY_CLOUD_URL",
    "GITPROXY_CONNECTIONS",
    "GITPROXY_LISTEN",
    "GITPROXY_LOG",
    "GITPROXY_LOG_FORMAT",
    "GITPROXY_MAX_ADVISORY_AGE",
    "GITPROXY_OSV_DIR",
    "GITPROXY_SHUTDOWN_GRACE",
];

/// The facts every value set promises, then the facts of each set.
pub(super) fn check_cases(
    rendered: &BTreeMap<&'static str, Manifest>,
    ca_b64: &Path,
    report: &mut Report,
) -> Result<()> {
    for (case, m) in rendered {
        if *case == "disabled" {
            continue;
        }
        check_common(case, m, report);
    }
    let get = |name: &str| rendered.get(name);
    if let Some(m) = get("defaults") {
        check_defaults(m, report);
    }
    if let Some(m) = get("advisory-claim") {
        check_advisory_store(
            "advisory-claim",
            m,
            "persistentVolumeClaim.claimName",
            "gitproxy-advisories",
            report,
        );
        report.eq(
            "advisory-claim",
            "advisory memory limit",
            m.one("Deployment")
                .and_then(|d| env_value(d, "GITPROXY_MAX_ADVISORY_MEMORY")),
            "192Mi",
        );
    }
    if let (Some(defaults), Some(rotated)) = (get("defaults"), get("rotated-key")) {
        let (case, d, r) = ("rotated-key", checksums(defaults), checksums(rotated));
        report.check(
            case,
            d.1 != r.1,
            "checksum/secret must change with the access key",
        );
        report.check(
            case,
            d.0 == r.0,
            "checksum/config must not change with the access key",
        );
    }
    if let (Some(defaults), Some(m)) = (get("defaults"), get("proxy")) {
        check_proxy(m, report);
        let (d, p) = (checksums(defaults), checksums(m));
        report.check(
            "proxy",
            d.1 != p.1,
            "checksum/secret must change with the proxy settings",
        );
        report.check(
            "proxy",
            d.0 == p.0,
            "checksum/config must not change with the proxy settings",
        );
    }
    if let (Some(defaults), Some(m)) = (get("defaults"), get("custom-ca")) {
        let expected = std::fs::read_to_string(ca_b64).context("could not read the test CA")?;
        let case = "custom-ca";
        report.eq(
            case,
            "ConfigMap GITPROXY_CUSTOM_CA_CERT",
            m.one("ConfigMap")
                .and_then(|c| c.get("data.GITPROXY_CUSTOM_CA_CERT")),
            &expected,
        );
        report.check(
            case,
            agent_env(m).contains("GITPROXY_CUSTOM_CA_CERT"),
            "the agent must get GITPROXY_CUSTOM_CA_CERT",
        );
        let (d, c) = (checksums(defaults), checksums(m));
        report.check(
            case,
            d.0 != c.0,
            "checksum/config must change with customCaCert",
        );
        report.check(
            case,
            d.1 == c.1,
            "checksum/secret must not change with customCaCert",
        );
    }
    if let (Some(defaults), Some(m)) = (get("defaults"), get("registries")) {
        check_registries(m, report);
        let (d, r) = (checksums(defaults), checksums(m));
        report.check(
            "registries",
            d.0 != r.0,
            "checksum/config must change with the registries",
        );
        report.check(
            "registries",
            d.1 == r.1,
            "checksum/secret must not change with the registries",
        );
    }
    if let Some(m) = get("ci-servers") {
        check_ci_servers(m, report);
    }
    if let Some(m) = get("osv-mirror") {
        check_osv_mirror(m, report);
    }
    if let Some(m) = get("local-bitbucket") {
        check_local_bitbucket("local-bitbucket", m, report);
    }
    if let Some(m) = get("existing-secret") {
        check_existing_secret(m, report);
    }
    if let Some(m) = get("single-replica") {
        let case = "single-replica";
        report.check(
            case,
            m.all("PodDisruptionBudget").is_empty(),
            "no PodDisruptionBudget with one replica",
        );
        report.eq(
            case,
            "replicas",
            m.one("Deployment").and_then(|d| d.get("spec.replicas")),
            "1",
        );
    }
    if let Some(m) = get("everything") {
        check_everything(m, report);
    }
    if let Some(m) = get("disabled") {
        let content = m.yaml.lines().any(|l| {
            let l = l.trim();
            !l.is_empty() && l != "---" && !l.starts_with('#')
        });
        report.check(
            "disabled",
            m.objects.is_empty() && !content,
            format!(
                "gitproxy.enabled=false must render nothing, rendered {:?}",
                m.kinds()
            ),
        );
    }
    Ok(())
}

/// `(checksum/config, checksum/secret)` of the pod template.
fn checksums(m: &Manifest) -> (Option<String>, Option<String>) {
    let d = m.one("Deployment");
    let at = |key: &str| {
        d.and_then(|d| {
            d.get(&format!(
                "spec.template.metadata.annotations[\"checksum/{key}\"]"
            ))
        })
    };
    (at("config"), at("secret"))
}

fn check_defaults(m: &Manifest, report: &mut Report) {
    let case = "defaults";
    report.check(
        case,
        m.kinds()
            == [
                "ConfigMap",
                "Deployment",
                "NetworkPolicy",
                "PodDisruptionBudget",
                "Secret",
                "ServiceAccount",
            ],
        format!("unexpected objects {:?}", m.kinds()),
    );
    let env: Vec<String> = agent_env(m).into_iter().collect();
    report.check(
        case,
        env == DEFAULT_ENV,
        format!("agent env must be exactly {DEFAULT_ENV:?}, found {env:?}"),
    );
    report.eq(
        case,
        "OSV data the image ships",
        m.one("Deployment")
            .and_then(|d| env_value(d, "GITPROXY_OSV_DIR")),
        "/usr/share/gitproxy/osv",
    );
    check_advisory_store(case, m, "emptyDir.sizeLimit", "512Mi", report);
    report.eq(
        case,
        "max advisory age",
        m.one("Deployment")
            .and_then(|d| env_value(d, "GITPROXY_MAX_ADVISORY_AGE")),
        "7d",
    );
    let cm = m.one("ConfigMap");
    report.check(
        case,
        !cm.is_some_and(|c| c.has("data.GITPROXY_REGISTRIES")),
        "no GITPROXY_REGISTRIES by default (the agent contacts no registry)",
    );
    report.eq(
        case,
        "egress rules by default (DNS, cloud, Bitbucket; no registries rule)",
        m.one("NetworkPolicy")
            .map(|n| n.len("spec.egress").to_string()),
        "3",
    );
    for (key, expected) in [
        ("GITPROXY_CLOUD_URL", "https://app.backline.ai"),
        ("GITPROXY_CONNECTIONS", "2"),
        ("GITPROXY_BRANCH_PREFIX", "gitproxy/"),
        ("GITPROXY_LISTEN", "0.0.0.0:8080"),
        ("GITPROXY_LOG", "info"),
        ("GITPROXY_LOG_FORMAT", "json"),
        ("GITPROXY_SHUTDOWN_GRACE", "30s"),
    ] {
        report.eq(
            case,
            &format!("ConfigMap {key}"),
            cm.and_then(|c| c.get(&format!("data.{key}"))),
            expected,
        );
    }
    let secret = m.one("Secret");
    report.eq(
        case,
        "Secret name",
        secret.map(|s| s.name.clone()),
        &format!("{FULLNAME}-access-key"),
    );
    report.eq(
        case,
        "Secret accessKey",
        secret.and_then(|s| s.get("data.accessKey")),
        &base64(ACCESS_KEY.as_bytes()),
    );
    report.check(
        case,
        !m.yaml.contains(ACCESS_KEY),
        "the access key must appear only base64-encoded in its Secret",
    );
    let d = m.one("Deployment");
    report.eq(
        case,
        "replicas",
        d.and_then(|d| d.get("spec.replicas")),
        "2",
    );
    report.eq(
        case,
        "image (tag = appVersion)",
        d.and_then(|d| d.get("spec.template.spec.containers[0].image")),
        "registry.example.invalid/backline/gitproxy:0.1.0",
    );
    report.eq(
        case,
        "PDB minAvailable",
        m.one("PodDisruptionBudget")
            .and_then(|p| p.get("spec.minAvailable")),
        "1",
    );
}

fn check_proxy(m: &Manifest, report: &mut Report) {
    let case = "proxy";
    let name = format!("{FULLNAME}-proxy");
    let secret = m.all("Secret").into_iter().find(|s| s.name == name);
    let proxy = base64(b"http://proxy.corp.example:3128");
    let no_proxy = base64(b"bitbucket.corp.example,.corp.example");
    for (key, expected) in [
        ("HTTPS_PROXY", &proxy),
        ("https_proxy", &proxy),
        ("HTTP_PROXY", &proxy),
        ("http_proxy", &proxy),
        ("NO_PROXY", &no_proxy),
        ("no_proxy", &no_proxy),
    ] {
        report.eq(
            case,
            &format!("proxy Secret {key}"),
            secret.and_then(|s| s.get(&format!("data.{key}"))),
            expected,
        );
    }
    report.eq(
        case,
        "envFrom the proxy Secret",
        m.one("Deployment")
            .and_then(|d| d.get("spec.template.spec.containers[0].envFrom[1].secretRef.name")),
        &name,
    );
    report.check(
        case,
        !m.one("ConfigMap").is_some_and(|c| {
            c.keys("data")
                .iter()
                .any(|k| k.to_ascii_uppercase().ends_with("_PROXY"))
        }),
        "proxy URLs (which may carry a password) must not be in the ConfigMap",
    );
    let np = m.one("NetworkPolicy");
    report.eq(
        case,
        "egress rules with a proxy",
        np.map(|n| n.len("spec.egress").to_string()),
        "4",
    );
    report.eq(
        case,
        "egress to the proxy port",
        np.and_then(|n| n.get("spec.egress[3].ports[0].port")),
        "3128",
    );
    report.eq(
        case,
        "egress to the proxy, one port",
        np.map(|n| n.len("spec.egress[3].ports").to_string()),
        "1",
    );
}

fn check_registries(m: &Manifest, report: &mut Report) {
    let case = "registries";
    report.eq(
        case,
        "ConfigMap GITPROXY_REGISTRIES",
        m.one("ConfigMap")
            .and_then(|c| c.get("data.GITPROXY_REGISTRIES")),
        "crates.io=https://index.crates.io/,Maven=http://nexus.corp.example:8081/repository/maven-public/,NuGet=https://api.nuget.org/v3-flatcontainer/,Packagist=https://repo.packagist.org/",
    );
    report.check(
        case,
        agent_env(m).contains("GITPROXY_REGISTRIES"),
        "the agent must get GITPROXY_REGISTRIES",
    );
    let np = m.one("NetworkPolicy");
    report.eq(
        case,
        "egress rules with registries",
        np.map(|n| n.len("spec.egress").to_string()),
        "4",
    );
    let ports = np.map(|n| rule_ports(n, "spec.egress[3]"));
    report.check(
        case,
        ports.as_deref() == Some(&["TCP/443".to_owned(), "TCP/8081".to_owned()][..]),
        format!("egress to the registries must be on 443 (https:// without a port) and 8081 (http://...:8081), found {ports:?}"),
    );
    report.eq(
        case,
        "egress to the registries, addresses",
        np.and_then(|n| n.get("spec.egress[3].to[0].ipBlock.cidr")),
        "0.0.0.0/0",
    );
    report.eq(
        case,
        "egress to the registries, one address block",
        np.map(|n| n.len("spec.egress[3].to").to_string()),
        "1",
    );
}

fn check_ci_servers(m: &Manifest, report: &mut Report) {
    let case = "ci-servers";
    report.eq(
        case,
        "ConfigMap GITPROXY_CI_SERVERS",
        m.one("ConfigMap")
            .and_then(|c| c.get("data.GITPROXY_CI_SERVERS")),
        "jenkins=https://ci.corp.example:8443/jenkins/,bamboo=https://bamboo.corp.example/",
    );
    let env = agent_env(m);
    for name in [
        "GITPROXY_CI_SERVERS",
        "GITPROXY_JENKINS_USERNAME",
        "GITPROXY_JENKINS_TOKEN_FILE",
        "GITPROXY_BAMBOO_TOKEN_FILE",
    ] {
        report.check(
            case,
            env.contains(name),
            format!("the agent must get {name}"),
        );
    }
    if let Some(d) = m.one("Deployment") {
        let volume = d.find("spec.template.spec.volumes", "name", "ci-credentials");
        report.eq(
            case,
            "CI credentials volume secret",
            volume
                .as_ref()
                .and_then(|v| d.get(&format!("{v}.secret.secretName"))),
            "ci-credentials",
        );
    }
    let np = m.one("NetworkPolicy");
    let last = np.map(|n| n.len("spec.egress")).unwrap_or_default();
    let ports = np.map(|n| rule_ports(n, &format!("spec.egress[{}]", last.saturating_sub(1))));
    report.check(
        case,
        ports.as_deref() == Some(&["TCP/8443".to_owned(), "TCP/443".to_owned()][..]),
        format!("egress to the CI servers must be on 8443 (Jenkins's URL) and 443 (https:// without a port), found {ports:?}"),
    );
}

fn check_osv_mirror(m: &Manifest, report: &mut Report) {
    let case = "osv-mirror";
    let d = m.one("Deployment");
    report.eq(
        case,
        "GITPROXY_OSV_MIRROR",
        d.and_then(|d| env_value(d, "GITPROXY_OSV_MIRROR")),
        "https://osv-mirror.corp.example:8443/osv/",
    );
    report.eq(
        case,
        "GITPROXY_OSV_MIRROR_INTERVAL",
        d.and_then(|d| env_value(d, "GITPROXY_OSV_MIRROR_INTERVAL")),
        "15m",
    );
    let np = m.one("NetworkPolicy");
    let last = np.map(|n| n.len("spec.egress")).unwrap_or_default();
    let ports = np.map(|n| rule_ports(n, &format!("spec.egress[{}]", last.saturating_sub(1))));
    report.check(
        case,
        ports.as_deref() == Some(&["TCP/8443".to_owned()][..]),
        format!("egress to the OSV mirror must be on 8443 (its URL's port), found {ports:?}"),
    );
}

fn check_local_bitbucket(case: &str, m: &Manifest, report: &mut Report) {
    let Some(d) = m.one("Deployment") else {
        return;
    };
    for (env, key) in [
        ("GITPROXY_BITBUCKET_URL", "url"),
        ("GITPROXY_BITBUCKET_USERNAME", "username"),
        ("GITPROXY_BITBUCKET_PROJECT", "projectKey"),
    ] {
        let e = env_path(d, env);
        report.eq(
            case,
            &format!("{env} secret"),
            e.as_ref()
                .and_then(|e| d.get(&format!("{e}.valueFrom.secretKeyRef.name"))),
            "bitbucket-credentials",
        );
        report.eq(
            case,
            &format!("{env} key"),
            e.as_ref()
                .and_then(|e| d.get(&format!("{e}.valueFrom.secretKeyRef.key"))),
            key,
        );
    }
    report.eq(
        case,
        "GITPROXY_BITBUCKET_TOKEN_FILE",
        env_value(d, "GITPROXY_BITBUCKET_TOKEN_FILE"),
        "/etc/gitproxy/bitbucket/token",
    );
    report.check(
        case,
        env_path(d, "GITPROXY_BITBUCKET_TOKEN").is_none(),
        "the token must be a file, never an env value",
    );
    let volume = d.find("spec.template.spec.volumes", "name", "bitbucket-token");
    report.eq(
        case,
        "token volume secret",
        volume
            .as_ref()
            .and_then(|v| d.get(&format!("{v}.secret.secretName"))),
        "bitbucket-credentials",
    );
    report.eq(
        case,
        "token volume key",
        volume
            .as_ref()
            .and_then(|v| d.get(&format!("{v}.secret.items[0].key"))),
        "token",
    );
    report.eq(
        case,
        "token volume path",
        volume
            .as_ref()
            .and_then(|v| d.get(&format!("{v}.secret.items[0].path"))),
        "token",
    );
    let mount = d.find(
        "spec.template.spec.containers[0].volumeMounts",
        "name",
        "bitbucket-token",
    );
    report.eq(
        case,
        "token mount",
        mount
            .as_ref()
            .and_then(|v| d.get(&format!("{v}.mountPath"))),
        "/etc/gitproxy/bitbucket",
    );
    report.check(
        case,
        !m.all("Secret")
            .iter()
            .any(|s| s.name == "bitbucket-credentials"),
        "the chart must not create the Bitbucket Secret",
    );
}

fn check_existing_secret(m: &Manifest, report: &mut Report) {
    let case = "existing-secret";
    report.check(
        case,
        m.all("Secret").is_empty(),
        format!(
            "no Secret when gitproxy.existingSecret is named, rendered {:?}",
            m.kinds()
        ),
    );
    let Some(d) = m.one("Deployment") else {
        return;
    };
    let volume = d.find("spec.template.spec.volumes", "name", "access-key");
    report.eq(
        case,
        "access key volume secret",
        volume
            .as_ref()
            .and_then(|v| d.get(&format!("{v}.secret.secretName"))),
        "gitproxy-access",
    );
    report.eq(
        case,
        "access key volume key",
        volume
            .as_ref()
            .and_then(|v| d.get(&format!("{v}.secret.items[0].key"))),
        "key",
    );
}

fn check_everything(m: &Manifest, report: &mut Report) {
    let case = "everything";
    check_local_bitbucket(case, m, report);
    let np = m.one("NetworkPolicy");
    report.eq(
        case,
        "one metrics ingress rule",
        np.map(|n| n.len("spec.ingress").to_string()),
        "1",
    );
    report.eq(
        case,
        "metrics ingress port",
        np.and_then(|n| n.get("spec.ingress[0].ports[0].port")),
        "8080",
    );
    report.eq(
        case,
        "metrics ingress namespace",
        np.and_then(|n| n.get("spec.ingress[0].from[0].namespaceSelector.matchLabels.name")),
        "monitoring",
    );
    report.eq(
        case,
        "egress to an https:// proxy without a port",
        np.and_then(|n| n.get("spec.egress[3].ports[0].port")),
        "443",
    );
    report.eq(
        case,
        "egress rules with a proxy and registries",
        np.map(|n| n.len("spec.egress").to_string()),
        "5",
    );
    let ports = np.map(|n| rule_ports(n, "spec.egress[4]"));
    report.check(
        case,
        ports.as_deref() == Some(&["TCP/8443".to_owned()][..]),
        format!("egress to the registries must be on networkPolicy.registries.ports only (8443), found {ports:?}"),
    );
    report.eq(
        case,
        "egress to the registries, networkPolicy.registries.cidrs",
        np.and_then(|n| n.get("spec.egress[4].to[0].ipBlock.cidr")),
        "10.20.0.0/16",
    );
    report.eq(
        case,
        "GITPROXY_REGISTRIES",
        m.one("ConfigMap")
            .and_then(|c| c.get("data.GITPROXY_REGISTRIES")),
        "npm=https://npm.corp.example:8443/,Go=https://proxy.golang.org/",
    );
    let secret = m
        .all("Secret")
        .into_iter()
        .find(|s| s.name == format!("{FULLNAME}-proxy"));
    report.eq(
        case,
        "NO_PROXY from a list",
        secret.and_then(|s| s.get("data.NO_PROXY")),
        &base64(b"bitbucket.corp.example,.corp.example,10.0.0.0/8"),
    );
    report.check(
        case,
        !m.one("ConfigMap")
            .is_some_and(|c| c.fields.values().any(|v| v.contains("user:secret"))),
        "the proxy password must stay out of the ConfigMap",
    );
    let d = m.one("Deployment");
    report.eq(case, "image by digest", d.and_then(|d| d.get("spec.template.spec.containers[0].image")), "registry.example.invalid/backline/gitproxy@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    report.eq(
        case,
        "imagePullSecrets",
        d.and_then(|d| d.get("spec.template.spec.imagePullSecrets[0].name")),
        "regcred",
    );
    report.eq(
        case,
        "extra env",
        d.and_then(|d| env_value(d, "SSL_CERT_DIR")),
        "/etc/ssl/extra",
    );
    report.eq(
        case,
        "osv.dir",
        d.and_then(|d| env_value(d, "GITPROXY_OSV_DIR")),
        "/tmp/osv",
    );
    report.eq(
        case,
        "PDB minAvailable",
        m.one("PodDisruptionBudget")
            .and_then(|p| p.get("spec.minAvailable")),
        "50%",
    );
}

/// GITPROXY_ADVISORY_STORE_DIR is the writable advisory-store mount, whose volume has `field` =
/// `expected` (an emptyDir by default, an existing claim when asked).
fn check_advisory_store(
    case: &str,
    m: &Manifest,
    field: &str,
    expected: &str,
    report: &mut Report,
) {
    let Some(d) = m.one("Deployment") else {
        return;
    };
    let c = "spec.template.spec.containers[0]";
    let mount = d
        .find(&format!("{c}.volumeMounts"), "name", "advisory-store")
        .and_then(|mnt| d.get(&format!("{mnt}.mountPath")));
    report.check(
        case,
        mount.is_some() && mount == env_value(d, "GITPROXY_ADVISORY_STORE_DIR"),
        format!("GITPROXY_ADVISORY_STORE_DIR must be the advisory-store mount {mount:?}"),
    );
    let volume = d.find("spec.template.spec.volumes", "name", "advisory-store");
    report.eq(
        case,
        &format!("advisory-store volume {field}"),
        volume.and_then(|v| d.get(&format!("{v}.{field}"))),
        expected,
    );
}
