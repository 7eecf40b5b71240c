//! Value sets the chart must refuse, each with what `helm template`'s error must (and must never) say.

use std::path::Path;

use anyhow::{Context, Result};

use super::objects::base64;
use super::render::template;
use super::{args, Report, ACCESS_KEY};
use crate::tools::ChartTools;

/// A value set the chart must refuse, and what its error must say.
#[derive(Debug)]
struct Refusal {
    name: &'static str,
    args: Vec<String>,
    says: &'static [&'static str],
    /// Text the error must never contain (a secret).
    never: Option<&'static str>,
}

fn refusals(raw_pem: &Path, not_pem_b64: &Path) -> Vec<Refusal> {
    let key = format!("gitproxy.accessKey={ACCESS_KEY}");
    let with_key = |rest: &[&str]| {
        let mut all = args(&["--set", &key]);
        all.extend(args(rest));
        all
    };
    vec![
        Refusal {
            name: "missing access key",
            args: Vec::new(),
            says: &["gitproxy.accessKey is required", "--set gitproxy.accessKey=", "gitproxy.existingSecret.name"],
            never: None,
        },
        Refusal {
            name: "access key and existing secret",
            args: with_key(&["--set", "gitproxy.existingSecret.name=gitproxy-access"]),
            says: &["both set", "keep only one"],
            never: Some(ACCESS_KEY),
        },
        Refusal {
            name: "access key with whitespace",
            args: args(&["--set", "gitproxy.accessKey=secret-part1 secret-part2"]),
            says: &["gitproxy.accessKey contains whitespace"],
            never: Some("secret-part"),
        },
        Refusal {
            name: "customCaCert as raw PEM",
            args: with_key(&["--set-file", &format!("customCaCert={}", raw_pem.display())]),
            says: &["/customCaCert", "does not match pattern"],
            never: None,
        },
        Refusal {
            name: "customCaCert not a certificate",
            args: with_key(&["--set-file", &format!("customCaCert={}", not_pem_b64.display())]),
            says: &["customCaCert does not decode to a PEM certificate", "base64 -w0"],
            never: None,
        },
        Refusal {
            name: "advisory claim with replicas",
            args: with_key(&["--set", "advisories.store.existingClaim=gitproxy-advisories"]),
            says: &["advisories.store.existingClaim needs replicaCount 1 (found 2)"],
            never: None,
        },
        Refusal {
            name: "max advisory age without a unit",
            args: with_key(&["--set", "advisories.maxAge=7"]),
            says: &["/advisories/maxAge"],
            never: None,
        },
        Refusal {
            name: "advisory memory limit that is not a Kubernetes size",
            args: with_key(&["--set", "advisories.maxMemory=lots"]),
            says: &["/advisories/maxMemory"],
            never: None,
        },
        Refusal {
            name: "OSV mirror with credentials",
            args: with_key(&["--set", "advisories.mirror.url=https://user:pw@osv-mirror.corp.example/"]),
            says: &["/advisories/mirror/url"],
            never: None,
        },
        Refusal {
            name: "unknown value",
            args: with_key(&["--set", "gitproxy.acessKey=typo"]),
            says: &["additional properties", "acessKey"],
            never: None,
        },
        Refusal {
            name: "log format",
            args: with_key(&["--set", "gitproxy.logFormat=xml"]),
            says: &["/gitproxy/logFormat"],
            never: None,
        },
        Refusal {
            name: "noProxy with a URL",
            args: with_key(&["--set", "proxy.noProxy=https://bitbucket.corp.example"]),
            says: &["/proxy/noProxy"],
            never: None,
        },
        Refusal {
            name: "plain-http cloud",
            args: with_key(&["--set", "cloud.url=http://app.backline.ai"]),
            says: &["/cloud/url"],
            never: None,
        },
        Refusal {
            name: "registry URL with credentials",
            args: with_key(&["--set", "registries.npm=https://user:pw@mirror.example/"]),
            says: &["/registries/npm", "does not match pattern"],
            never: None,
        },
        Refusal {
            name: "ftp registry",
            args: with_key(&["--set", "registries.maven=ftp://repo.example/maven2/"]),
            says: &["/registries/maven", "does not match pattern"],
            never: None,
        },
        Refusal {
            name: "unknown registry",
            args: with_key(&["--set", "registries.hex=https://repo.hex.pm/"]),
            says: &["additional properties", "hex"],
            never: None,
        },
        Refusal {
            name: "registry URL with a comma",
            args: with_key(&["--set", "registries.pypi=https://pypi.org/\\,npm=https://other.example/"]),
            says: &["/registries/pypi", "does not match pattern"],
            never: None,
        },
        Refusal {
            name: "registry port out of range",
            args: with_key(&["--set", "registries.go=https://goproxy.corp.example:70000/"]),
            says: &["registries.go names port 70000", "1 to 65535"],
            never: None,
        },
        Refusal {
            name: "shutdown grace too long",
            args: with_key(&["--set", "gitproxy.shutdownGraceSeconds=45"]),
            says: &["gitproxy.shutdownGraceSeconds (45) must be below terminationGracePeriodSeconds (45)"],
            never: None,
        },
        Refusal {
            name: "PDB blocks drains",
            args: with_key(&["--set", "podDisruptionBudget.minAvailable=2"]),
            says: &["podDisruptionBudget.minAvailable (2) must be below replicaCount (2)"],
            never: None,
        },
    ]
}

pub(super) fn check_refusals(
    chart: &Path,
    work: &Path,
    tools: &ChartTools,
    report: &mut Report,
) -> Result<()> {
    let not_pem = work.join("not-a-cert.b64");
    std::fs::write(&not_pem, base64(b"hello, this is not a certificate\n"))
        .context("could not write a test file")?;
    let list = refusals(&work.join("ca.pem"), &not_pem);
    let total = list.len();
    for refusal in list {
        let out = template(chart, tools, &refusal.args)?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let case = format!("refuses {}", refusal.name);
        report.check(&case, !out.status.success(), "helm template must fail");
        for needle in refusal.says {
            report.check(
                &case,
                stderr.contains(needle),
                format!("the error must say {needle:?}; it says {:?}", stderr.trim()),
            );
        }
        if let Some(secret) = refusal.never {
            report.check(
                &case,
                !stderr.contains(secret),
                "the error must not contain the secret",
            );
        }
    }
    eprintln!("xtask: chart: {total} bad value sets refused with their messages");
    Ok(())
}
