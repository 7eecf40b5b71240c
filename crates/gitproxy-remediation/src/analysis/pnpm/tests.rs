//! Tests for the pnpm-lock.yaml analysis: key and reference parsing, v9 workspaces with peers and aliases, v6 dev flags, and unreadable files.

use super::{reference_key, split_key};
use crate::analysis::{analyze, Scope};
use crate::files::Snapshot;

const V9: &str = "lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      react-dom:
        specifier: ^18.2.0
        version: 18.2.0(react@18.2.0)
      string-width-cjs:
        specifier: npm:string-width@^4.2.0
        version: string-width@4.2.3
    devDependencies:
      react:
        specifier: ^18.2.0
        version: 18.2.0

  packages/app:
    dependencies:
      lib:
        specifier: workspace:*
        version: link:../lib
      '@scope/util':
        specifier: ~1.0.0
        version: 1.0.1

packages:

  '@scope/util@1.0.1':
    resolution: {integrity: sha512-a==}

  js-tokens@4.0.0:
    resolution: {integrity: sha512-b==}

  loose-envify@1.4.0:
    resolution: {integrity: sha512-c==}
    hasBin: true

  react-dom@18.2.0:
    resolution: {integrity: sha512-d==}
    peerDependencies:
      react: ^18.2.0

  react@18.2.0:
    resolution: {integrity: sha512-e==}
    engines: {node: '>=0.10.0'}

  string-width@4.2.3:
    resolution: {integrity: sha512-f==}

snapshots:

  '@scope/util@1.0.1': {}

  js-tokens@4.0.0: {}

  loose-envify@1.4.0:
    dependencies:
      js-tokens: 4.0.0

  react-dom@18.2.0(react@18.2.0):
    dependencies:
      loose-envify: 1.4.0
      react: 18.2.0

  react@18.2.0:
    dependencies:
      loose-envify: 1.4.0

  string-width@4.2.3: {}
";

const V6: &str = "lockfileVersion: '6.0'

dependencies:
  express:
    specifier: ^4.17.1
    version: 4.17.1

devDependencies:
  ms:
    specifier: 2.1.3
    version: 2.1.3

packages:

  /express@4.17.1:
    resolution: {integrity: sha512-x==}
    dependencies:
      ms: 2.0.0
    dev: false

  /ms@2.0.0:
    resolution: {integrity: sha512-y==}
    dev: false

  /ms@2.1.3:
    resolution: {integrity: sha512-z==}
    dev: true
";

#[test]
fn keys_and_references() {
    assert_eq!(split_key("/@a/b@1.2.3(c@1)"), Some(("@a/b", "1.2.3")));
    assert_eq!(
        split_key("react-dom@18.2.0(react@18.2.0)"),
        Some(("react-dom", "18.2.0"))
    );
    assert_eq!(split_key("noversion"), None);
    assert_eq!(
        reference_key("a", "1.0.0(b@2)").as_deref(),
        Some("a@1.0.0(b@2)")
    );
    assert_eq!(
        reference_key("alias", "real@1.0.0").as_deref(),
        Some("real@1.0.0")
    );
    assert_eq!(
        reference_key("alias", "/real@1.0.0").as_deref(),
        Some("real@1.0.0")
    );
    assert_eq!(reference_key("lib", "link:../lib"), None);
}

#[test]
fn v9_importers_snapshots_peers_and_aliases() {
    let snapshot = Snapshot::new()
        .with("pnpm-lock.yaml", V9)
        .with(
            "package.json",
            "{\n  \"dependencies\": {\n    \"react-dom\": \"^18.2.0\",\n    \"string-width-cjs\": \"npm:string-width@^4.2.0\"\n  },\n  \"devDependencies\": {\n    \"react\": \"^18.2.0\"\n  }\n}\n",
        )
        .with(
            "packages/app/package.json",
            "{\n  \"dependencies\": {\n    \"lib\": \"workspace:*\",\n    \"@scope/util\": \"~1.0.0\"\n  }\n}\n",
        );
    let analysis = analyze(&snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    // package.json files are covered by the lockfile, not reported again.
    assert_eq!(analysis.dependencies.len(), 6);
    let dom = analysis.find("react-dom", "18.2.0").unwrap();
    assert!(dom.direct);
    assert_eq!(dom.requirement.as_deref(), Some("^18.2.0"));
    assert_eq!(dom.location.to_string(), "pnpm-lock.yaml:43");
    assert_eq!(
        dom.declared_in.as_ref().unwrap().to_string(),
        "package.json:3"
    );
    assert_eq!(dom.scope, Scope::Runtime);
    let react = analysis.find("react", "18.2.0").unwrap();
    assert!(react.direct);
    assert_eq!(react.parents, ["react-dom@18.2.0"]);
    // Reached from the runtime react-dom as well as declared for development.
    assert_eq!(react.scope, Scope::Runtime);
    let envify = analysis.find("loose-envify", "1.4.0").unwrap();
    assert!(!envify.direct);
    assert_eq!(envify.parents, ["react-dom@18.2.0", "react@18.2.0"]);
    let tokens = analysis.find("js-tokens", "4.0.0").unwrap();
    assert_eq!(tokens.parents, ["loose-envify@1.4.0"]);
    let width = analysis.find("string-width", "4.2.3").unwrap();
    assert!(width.direct);
    let util = analysis.find("@scope/util", "1.0.1").unwrap();
    assert!(util.direct);
    assert_eq!(
        util.declared_in.as_ref().unwrap().to_string(),
        "packages/app/package.json:4"
    );
    assert_eq!(util.location.to_string(), "pnpm-lock.yaml:33");
}

#[test]
fn v6_top_level_importer_and_dev_flags() {
    let snapshot = Snapshot::new().with("svc/pnpm-lock.yaml", V6).with(
        "svc/package.json",
        "{\"dependencies\": {\"express\": \"^4.17.1\"}, \"devDependencies\": {\"ms\": \"2.1.3\"}}",
    );
    let analysis = analyze(&snapshot);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    assert_eq!(analysis.dependencies.len(), 3);
    let express = analysis.find("express", "4.17.1").unwrap();
    assert!(express.direct);
    assert_eq!(express.location.to_string(), "svc/pnpm-lock.yaml:15");
    let old = analysis.find("ms", "2.0.0").unwrap();
    assert!(!old.direct);
    assert_eq!(old.parents, ["express@4.17.1"]);
    assert_eq!(old.scope, Scope::Runtime);
    let new = analysis.find("ms", "2.1.3").unwrap();
    assert!(new.direct);
    assert_eq!(new.scope, Scope::Dev);
    assert_eq!(new.requirement.as_deref(), Some("2.1.3"));
}

#[test]
fn unsupported_versions_and_bad_yaml_are_problems() {
    for (text, reason) in [
        (
            "lockfileVersion: 5.4\n",
            "lockfileVersion 5.4 is not supported",
        ),
        ("lockfileVersion: '9.0'\npackages: &a\n", "anchors"),
        ("settings: {}\n", "no `lockfileVersion`"),
    ] {
        let analysis = analyze(&Snapshot::new().with("pnpm-lock.yaml", text));
        assert_eq!(analysis.problems.len(), 1, "{text}");
        let problem = analysis.problems[0].to_string();
        assert!(problem.contains(reason), "{problem}");
        assert!(problem.contains("pnpm-lock.yaml"), "{problem}");
    }
}
