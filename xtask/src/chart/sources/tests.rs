//! Unit tests of the source checks' parsing: the workspace version and the README values table.

use super::*;
use crate::chart::objects::parse_flat;

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
