//! The value sets the chart is rendered with, `helm template` on each, kubernetes-validate on what they
//! render, and the test CA the customCaCert sets use.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{bail, Context, Result};

use super::objects::{parse_yaml, Manifest};
use super::{args, output, Report, ACCESS_KEY, NAMESPACE, RELEASE};
use crate::tools::ChartTools;

#[cfg(test)]
mod tests;

/// The oldest and the newest Kubernetes versions kubernetes-validate 1.37.0 ships schemas for.
const KUBERNETES_VERSIONS: &[&str] = &["1.33.0", "1.37.0"];

/// A value set: the `helm template` arguments after the chart, and what rendering it proves.
#[derive(Debug)]
pub(super) struct Case {
    pub(super) name: &'static str,
    pub(super) proves: &'static str,
    pub(super) args: Vec<String>,
}

pub(super) fn cases(ca_file: &Path) -> Vec<Case> {
    let key = format!("gitproxy.accessKey={ACCESS_KEY}");
    let with_key = |rest: &[&str]| {
        let mut all = args(&["--set", &key]);
        all.extend(args(rest));
        all
    };
    let ca = format!("customCaCert={}", ca_file.display());
    vec![
        Case {
            name: "defaults",
            proves: "defaults + an access key: hardened pods labelled app=gitproxy, the contract's env, no ingress, a PDB",
            args: with_key(&[]),
        },
        Case {
            name: "rotated-key",
            proves: "a new access key changes checksum/secret only, so the pods roll out",
            args: args(&["--set", "gitproxy.accessKey=test-access-key-2"]),
        },
        Case {
            name: "proxy",
            proves: "proxy + noProxy reach the agent as HTTPS_PROXY/HTTP_PROXY/NO_PROXY (both casings), egress to the proxy port",
            args: with_key(&[
                "--set",
                "proxy.httpsProxy=http://proxy.corp.example:3128",
                "--set",
                "proxy.httpProxy=http://proxy.corp.example:3128",
                "--set",
                "proxy.noProxy=bitbucket.corp.example\\,.corp.example",
            ]),
        },
        Case {
            name: "custom-ca",
            proves: "a real CA, base64 -w0 and --set-file customCaCert reach the agent as GITPROXY_CUSTOM_CA_CERT",
            args: with_key(&["--set-file", &ca]),
        },
        Case {
            name: "local-bitbucket",
            proves: "bitbucket.existingSecret feeds url/username/projectKey as env and the token as a mounted file",
            args: with_key(&["--set", "bitbucket.existingSecret=bitbucket-credentials"]),
        },
        Case {
            name: "existing-secret",
            proves: "gitproxy.existingSecret replaces the chart's access-key Secret",
            args: args(&[
                "--set",
                "gitproxy.existingSecret.name=gitproxy-access",
                "--set",
                "gitproxy.existingSecret.key=key",
            ]),
        },
        Case {
            name: "registries",
            proves: "four registries reach the agent as GITPROXY_REGISTRIES (fixed order, ecosystem spellings), egress on their URLs' ports",
            args: with_key(&[
                "--set",
                "registries.packagist=https://repo.packagist.org/",
                "--set",
                "registries.nuget=https://api.nuget.org/v3-flatcontainer/",
                "--set",
                "registries.maven=http://nexus.corp.example:8081/repository/maven-public/",
                "--set",
                "registries.cratesIo=https://index.crates.io/",
            ]),
        },
        Case {
            name: "ci-servers",
            proves: "Jenkins and Bamboo reach the agent as GITPROXY_CI_SERVERS with their credentials from an existing Secret, egress on their URLs' ports",
            args: with_key(&[
                "--set",
                "ciServers.jenkins=https://ci.corp.example:8443/jenkins/",
                "--set",
                "ciServers.bamboo=https://bamboo.corp.example/",
                "--set",
                "ciServers.existingSecret=ci-credentials",
            ]),
        },
        Case {
            name: "advisory-claim",
            proves: "advisories.store.existingClaim with one replica mounts that claim as the advisory store; advisories.maxAge and maxMemory reach the agent",
            args: with_key(&[
                "--set",
                "replicaCount=1",
                "--set",
                "advisories.store.existingClaim=gitproxy-advisories",
                "--set",
                "advisories.maxAge=36h",
                "--set",
                "advisories.maxMemory=192Mi",
            ]),
        },
        Case {
            name: "osv-mirror",
            proves: "advisories.mirror reaches the agent as GITPROXY_OSV_MIRROR and its interval, egress on the mirror URL's port",
            args: with_key(&[
                "--set",
                "advisories.mirror.url=https://osv-mirror.corp.example:8443/osv/",
                "--set",
                "advisories.mirror.interval=15m",
            ]),
        },
        Case {
            name: "single-replica",
            proves: "replicaCount=1 renders no PodDisruptionBudget (it would block node drains)",
            args: with_key(&["--set", "replicaCount=1"]),
        },
        Case {
            name: "everything",
            proves: "every option at once (noProxy as a list, metrics ingress, digest, extra env, osv.dir, registries with their own egress) validates",
            args: with_key(&[
                "--set",
                "proxy.httpsProxy=https://user:secret@proxy.corp.example",
                "--set",
                "proxy.noProxy={bitbucket.corp.example,.corp.example,10.0.0.0/8}",
                "--set-file",
                &ca,
                "--set",
                "bitbucket.existingSecret=bitbucket-credentials",
                "--set",
                "networkPolicy.metrics.enabled=true",
                "--set",
                "networkPolicy.metrics.namespaceSelector.name=monitoring",
                "--set",
                "image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "--set",
                "image.pullSecrets={regcred}",
                "--set",
                "gitproxy.extraEnv[0].name=SSL_CERT_DIR",
                "--set",
                "gitproxy.extraEnv[0].value=/etc/ssl/extra",
                "--set",
                "osv.dir=/tmp/osv",
                "--set",
                "registries.npm=https://npm.corp.example:8443/",
                "--set",
                "registries.go=https://proxy.golang.org/",
                "--set",
                "networkPolicy.registries.cidrs={10.20.0.0/16}",
                "--set",
                "networkPolicy.registries.ports={8443}",
                "--set",
                "podDisruptionBudget.minAvailable=50%",
                "--set",
                "replicaCount=3",
            ]),
        },
        Case {
            name: "disabled",
            proves: "gitproxy.enabled=false renders nothing",
            args: args(&["--set", "gitproxy.enabled=false"]),
        },
    ]
}

pub(super) fn template(chart: &Path, tools: &ChartTools, extra: &[String]) -> Result<Output> {
    output(
        tools
            .helm()
            .args(["template", RELEASE])
            .arg(chart)
            .args(["--namespace", NAMESPACE])
            .args(extra),
    )
}

pub(super) fn render_cases(
    chart: &Path,
    work: &Path,
    tools: &ChartTools,
    ca_b64: &Path,
    report: &mut Report,
) -> Result<BTreeMap<&'static str, Manifest>> {
    let mut rendered = BTreeMap::new();
    for case in cases(ca_b64) {
        let out = template(chart, tools, &case.args)?;
        let ok = out.status.success();
        report.check(
            case.name,
            ok,
            format!(
                "helm template failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        );
        if !ok {
            continue;
        }
        let yaml = String::from_utf8_lossy(&out.stdout).into_owned();
        let file = work.join(format!("{}.yaml", case.name));
        std::fs::write(&file, &yaml)
            .with_context(|| format!("could not write {}", file.display()))?;
        let objects = parse_yaml(tools, &file)?;
        eprintln!(
            "xtask: chart: rendered {:<16} {} object(s): {}",
            case.name,
            objects.len(),
            case.proves
        );
        rendered.insert(case.name, Manifest { yaml, objects });
    }
    Ok(rendered)
}

/// kubernetes-validate --strict on every rendered object, for the oldest and newest schema versions; a
/// kind without a schema is a failure too (the tool only warns).
pub(super) fn validate_objects(
    work: &Path,
    tools: &ChartTools,
    rendered: &BTreeMap<&'static str, Manifest>,
    report: &mut Report,
) -> Result<()> {
    let files: Vec<PathBuf> = rendered
        .iter()
        .filter(|(_, m)| !m.objects.is_empty())
        .map(|(name, _)| work.join(format!("{name}.yaml")))
        .collect();
    let objects: usize = rendered.values().map(|m| m.objects.len()).sum();
    let mut cmd = tools.python();
    cmd.args(["-m", "kubernetes_validate", "--strict"]);
    for version in KUBERNETES_VERSIONS {
        cmd.args(["--kubernetes-version", version]);
    }
    let out = output(cmd.args(&files))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let passed = text
        .lines()
        .filter(|l| l.starts_with("INFO ") && l.contains(" passed "))
        .count();
    for line in text.lines().filter(|l| !l.starts_with("INFO ")) {
        report.check("kubernetes-validate", false, line.to_owned());
    }
    report.check(
        "kubernetes-validate",
        out.status.success(),
        format!(
            "kubernetes-validate exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    );
    let expected = objects * KUBERNETES_VERSIONS.len();
    report.check(
        "kubernetes-validate",
        passed == expected,
        format!("{passed} object validations passed, expected {expected} ({objects} objects x {} versions)", KUBERNETES_VERSIONS.len()),
    );
    eprintln!(
        "xtask: chart: kubernetes-validate --strict: {passed} of {expected} object validations passed (Kubernetes {})",
        KUBERNETES_VERSIONS.join(", ")
    );
    Ok(())
}

/// A CA certificate minted with openssl for this run, encoded as the guide says: `base64 -w0 ca.pem > ca.b64`.
pub(super) fn make_test_ca(work: &Path) -> Result<PathBuf> {
    let pem = work.join("ca.pem");
    let out = output(
        Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
            ])
            .arg("-keyout")
            .arg(work.join("ca.key"))
            .arg("-out")
            .arg(&pem)
            .args(["-days", "2", "-subj", "/CN=gitproxy chart test CA"]),
    )
    .context("openssl is needed to mint a test CA (apt-get install openssl)")?;
    if !out.status.success() {
        bail!(
            "openssl could not mint a test CA: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let b64 = work.join("ca.b64");
    let out = output(Command::new("base64").arg("-w0").arg(&pem))?;
    if !out.status.success() {
        bail!("`base64 -w0 ca.pem` failed ({})", out.status);
    }
    std::fs::write(&b64, &out.stdout)
        .with_context(|| format!("could not write {}", b64.display()))?;
    Ok(b64)
}
