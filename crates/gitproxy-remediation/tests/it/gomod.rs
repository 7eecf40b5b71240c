//! Go fixes checked by the real `go` command (Debian's golang, installed by `cargo xtask test`)
//! against a loopback GOPROXY stand-in: the fix branch's `go.mod` and `go.sum` must build
//! read-only (`go build`, `go list -m all`: every needed `go.sum` line is present) and verify
//! (`go mod verify`: every line matches the module zips and `.mod` files served).
//!
//! Two projects: one on real module sources (Debian's `.orig.tar.gz` of the upstream tags, whose
//! zips hash to the published `go.sum` lines, see tests/fixtures/go/README.md), and one whose fix
//! raises transitive requirements under MVS, on small stand-ins under the real paths (the
//! `go.mod` files are the upstream ones of those versions: gjson v1.9.3 raises match to v1.1.1 and
//! pretty to v1.2.0; the zips hold one small Go file), since proxy.golang.org is not reachable
//! where these fixtures were made and Debian does not carry those versions.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use gitproxy_remediation::analysis::analyze;
use gitproxy_remediation::edit::apply_fix;
use gitproxy_remediation::files::Snapshot;
use gitproxy_remediation::plan::{plan, PlanOptions};
use gitproxy_remediation::registry::{go_hash1, CachedRegistry, HttpRegistry};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::registry::{stored_zip, StandIn};

const GJSON: &str = "github.com/tidwall/gjson";
const MATCH: &str = "github.com/tidwall/match";
const PRETTY: &str = "github.com/tidwall/pretty";

/// (module, version, go.mod, source file name, source).
fn modules() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
)> {
    let gjson_src = "package gjson\n\nimport (\n\t\"github.com/tidwall/match\"\n\t\"github.com/tidwall/pretty\"\n)\n\n// Get returns json when it matches path.\nfunc Get(json, path string) string {\n\tif match.Match(json, path) {\n\t\treturn string(pretty.Pretty([]byte(json)))\n\t}\n\treturn \"\"\n}\n";
    let match_src = "package match\n\n// Match reports whether str matches pattern.\nfunc Match(str, pattern string) bool { return str == pattern }\n";
    let pretty_src = "package pretty\n\n// Pretty formats json.\nfunc Pretty(json []byte) []byte { return json }\n";
    vec![
        (GJSON, "v1.6.0", "module github.com/tidwall/gjson\n\ngo 1.12\n\nrequire (\n\tgithub.com/tidwall/match v1.0.1\n\tgithub.com/tidwall/pretty v1.0.0\n)\n", "gjson.go", gjson_src),
        (GJSON, "v1.9.3", "module github.com/tidwall/gjson\n\ngo 1.12\n\nrequire (\n\tgithub.com/tidwall/match v1.1.1\n\tgithub.com/tidwall/pretty v1.2.0\n)\n", "gjson.go", gjson_src),
        (MATCH, "v1.0.1", "module github.com/tidwall/match\n", "match.go", match_src),
        (MATCH, "v1.1.1", "module github.com/tidwall/match\n\ngo 1.15\n", "match.go", match_src),
        (PRETTY, "v1.0.0", "module github.com/tidwall/pretty\n", "pretty.go", pretty_src),
        (PRETTY, "v1.2.0", "module github.com/tidwall/pretty\n\ngo 1.16\n", "pretty.go", pretty_src),
    ]
}

/// The module proxy's answers, and the `go.sum` lines of every module version.
fn proxy() -> (BTreeMap<String, Vec<u8>>, BTreeMap<String, String>) {
    let mut routes = BTreeMap::new();
    let mut sums = BTreeMap::new();
    let mut lists: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (module, version, gomod, file, src) in modules() {
        let base = format!("/goproxy/{module}/@v/{version}");
        let prefix = format!("{module}@{version}/");
        let zip = stored_zip(&[
            (&format!("{prefix}go.mod"), gomod.as_bytes()),
            (&format!("{prefix}{file}"), src.as_bytes()),
        ]);
        let zip_hash = go_hash1(&mut [
            (format!("{prefix}go.mod"), gomod.as_bytes().to_vec()),
            (format!("{prefix}{file}"), src.as_bytes().to_vec()),
        ])
        .unwrap();
        let mod_hash = go_hash1(&mut [("go.mod".to_string(), gomod.as_bytes().to_vec())]).unwrap();
        sums.insert(
            format!("{module} {version}"),
            format!("{module} {version} {zip_hash}\n{module} {version}/go.mod {mod_hash}\n"),
        );
        routes.insert(format!("{base}.zip"), zip);
        routes.insert(format!("{base}.mod"), gomod.as_bytes().to_vec());
        routes.insert(
            format!("{base}.info"),
            format!("{{\"Version\":\"{version}\",\"Time\":\"2021-10-01T00:00:00Z\"}}").into_bytes(),
        );
        lists.entry(module).or_default().push(version);
    }
    for (module, versions) in lists {
        let mut body = versions.join("\n");
        body.push('\n');
        routes.insert(format!("/goproxy/{module}/@v/list"), body.into_bytes());
    }
    (routes, sums)
}

const GO_MOD: &str = "module example.com/orders\n\ngo 1.17\n\nrequire github.com/tidwall/gjson v1.6.0\n\nrequire (\n\tgithub.com/tidwall/match v1.0.1 // indirect\n\tgithub.com/tidwall/pretty v1.0.0 // indirect\n)\n";
const MAIN_GO: &str = "package main\n\nimport (\n\t\"fmt\"\n\n\t\"github.com/tidwall/gjson\"\n)\n\nfunc main() { fmt.Println(gjson.Get(\"{}\", \"{}\")) }\n";

/// Runs `go` in `dir` against the stand-in, read-only, with every cache under `dir`.
fn go(dir: &Path, proxy: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new("go")
        .args(args)
        .current_dir(dir.join("src"))
        .env("GOPROXY", proxy)
        .env("GOSUMDB", "off")
        .env("GOFLAGS", "-mod=readonly")
        .env("GOPATH", dir.join("gopath"))
        .env("GOMODCACHE", dir.join("gopath/pkg/mod"))
        .env("GOCACHE", dir.join("gocache"))
        .env("GOTOOLCHAIN", "local")
        .env("HOME", dir)
        .env_remove("GOPRIVATE")
        .env_remove("GONOSUMDB")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "could not run `go` ({e}): run `cargo xtask test`, which installs Debian's golang"
            )
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn go_fix_branch_builds_and_verifies_with_the_go_command() {
    let db = crate::load("Go");
    let (routes, sums) = proxy();
    let stand_in = StandIn::start(routes).await;
    let proxy_url = format!("http://{}/goproxy", stand_in.addr);
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let go_sum: String = [
        &sums[&format!("{GJSON} v1.6.0")],
        &sums[&format!("{MATCH} v1.0.1")],
        &sums[&format!("{PRETTY} v1.0.0")],
    ]
    .into_iter()
    .map(String::as_str)
    .collect();
    let snapshot = Snapshot::new()
        .with("go.mod", GO_MOD)
        .with("go.sum", go_sum.as_str())
        .with("main.go", MAIN_GO);

    // The fixture itself is a valid module for the go command.
    let before_dir = tempfile::tempdir().unwrap();
    write(before_dir.path(), &snapshot);
    let (ok, out) = go(before_dir.path(), &proxy_url, &["build", "./..."]);
    assert!(ok, "the unfixed fixture must build:\n{out}");

    let analysis = analyze(&snapshot);
    let findings = db.scan(&analysis);
    let before: Vec<String> = findings.iter().map(|f| f.id.clone()).collect();
    assert!(before.contains(&"GO-2021-0265".to_string()), "{before:?}");
    let plan = plan(
        &analysis,
        &findings,
        &db,
        &registry,
        &PlanOptions::recommended(),
    )
    .await
    .unwrap();
    assert_eq!(plan.fixes.len(), 1, "{:?}", plan.fixes);
    let fix = &plan.fixes[0];
    assert_eq!((fix.name.as_str(), fix.to.as_str()), (GJSON, "v1.9.3"));
    let set = apply_fix(fix, &analysis, &snapshot, &registry)
        .await
        .unwrap();
    assert!(!set.needs_package_manager, "{:?}", set.notes);
    let mut fixed = snapshot.clone();
    for (path, text) in &set.files {
        fixed.insert(path, text.clone().into_bytes());
    }
    assert_eq!(
        fixed.text("go.mod").unwrap(),
        GO_MOD
            .replace("gjson v1.6.0", "gjson v1.9.3")
            .replace("match v1.0.1", "match v1.1.1")
            .replace("pretty v1.0.0", "pretty v1.2.0")
    );
    let expected_sum: String = [
        &sums[&format!("{GJSON} v1.9.3")],
        &sums[&format!("{MATCH} v1.1.1")],
        &sums[&format!("{PRETTY} v1.2.0")],
    ]
    .into_iter()
    .map(String::as_str)
    .collect();
    assert_eq!(fixed.text("go.sum").unwrap(), expected_sum);

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &fixed);
    for args in [
        &["build", "./..."][..],
        &["list", "-m", "all"][..],
        &["mod", "verify"][..],
    ] {
        let (ok, out) = go(dir.path(), &proxy_url, args);
        assert!(ok, "go {} failed on the fix branch:\n{out}", args.join(" "));
    }
    for path in ["go.mod", "go.sum"] {
        let now = std::fs::read_to_string(dir.path().join("src").join(path)).unwrap();
        assert_eq!(now, fixed.text(path).unwrap(), "go changed {path}");
    }
    // The check has teeth: without the raised match line, or with a wrong zip hash, go refuses.
    let sum = fixed.text("go.sum").unwrap().to_string();
    let missing: String = sum
        .lines()
        .filter(|l| !l.starts_with(&format!("{MATCH} v1.1.1 ")))
        .map(|l| format!("{l}\n"))
        .collect();
    let old_zip = sums[&format!("{GJSON} v1.6.0")]
        .split(' ')
        .nth(2)
        .unwrap()
        .split('\n')
        .next()
        .unwrap();
    let new_zip = sums[&format!("{GJSON} v1.9.3")]
        .split(' ')
        .nth(2)
        .unwrap()
        .split('\n')
        .next()
        .unwrap();
    let wrong = sum.replace(new_zip, old_zip);
    for (broken, expected) in [
        (missing, "missing go.sum entry"),
        (wrong, "checksum mismatch"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &fixed.clone().with("go.sum", broken.as_str()));
        let (ok, out) = go(dir.path(), &proxy_url, &["build", "./..."]);
        assert!(!ok && out.contains(expected), "{expected}: {out}");
    }
    // The fixed module has no advisory left and none was introduced.
    let after = db.scan(&analyze(&fixed));
    assert!(
        after.is_empty(),
        "{:?}",
        after.iter().map(|f| &f.id).collect::<Vec<_>>()
    );
}

fn write(dir: &Path, snapshot: &Snapshot) {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    for path in ["go.mod", "go.sum", "main.go"] {
        std::fs::write(src.join(path), snapshot.text(path).unwrap().as_bytes()).unwrap();
    }
}

/// The published `go.sum` lines of the real modules below (the Go checksum database's answers).
const WEBSOCKET: &str = "github.com/gorilla/websocket";
const WS_140_SUM: &str = "github.com/gorilla/websocket v1.4.0 h1:WDFjx/TMzVgy9VdMMQi2K2Emtwi2QcUQsztZ/zLaH/Q=\ngithub.com/gorilla/websocket v1.4.0/go.mod h1:E7qHFY5m1UJ88s3WnNqhKjPHQ0heANvMoAMk2YaljkQ=\n";
const WS_150_SUM: &str = "github.com/gorilla/websocket v1.5.0 h1:PPwGk2jz7EePpoHN/+ClbZu8SPxiqlu12wZP/3sWmnc=\ngithub.com/gorilla/websocket v1.5.0/go.mod h1:YR8l580nyteQvAITg2hZ9XVh4b55+EU/adAjf1fMHhE=\n";
const MATCH_111_SUM: &str = "github.com/tidwall/match v1.1.1 h1:+Ho715JplO36QYgwN9PGYNhgZvoUSc9X2c80KVTi+GA=\ngithub.com/tidwall/match v1.1.1/go.mod h1:eRSPERbgtNPcGhD8UCthc6PmLEQXEWd3PRB5JTxsfmM=\n";

/// The files of a module version as its zip holds them (`module@version/...`), read from the
/// Debian `.orig.tar.gz` of the same tag (see tests/fixtures/go/README.md).
fn module_files(tarball: &str, module: &str, version: &str) -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/go")
        .join(tarball);
    let out = Command::new("tar")
        .arg("xzf")
        .arg(&path)
        .arg("-C")
        .arg(dir.path())
        .output()
        .expect("run tar");
    assert!(out.status.success(), "tar: {out:?}");
    // The tarball holds one top directory, the module root.
    let root = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(&root).unwrap().to_str().unwrap();
                files.push((
                    format!("{module}@{version}/{rel}"),
                    std::fs::read(&path).unwrap(),
                ));
            }
        }
    }
    files.sort();
    files
}

/// The stand-in's routes for one real module version, after checking its hashes against the
/// published `go.sum` lines.
fn serve_real(
    routes: &mut BTreeMap<String, Vec<u8>>,
    (module, version, tarball, published): (&str, &str, &str, &str),
) {
    let files = module_files(tarball, module, version);
    let root_mod = format!("{module}@{version}/go.mod");
    let gomod = files
        .iter()
        .find(|(name, _)| *name == root_mod)
        .map(|(_, bytes)| bytes.clone())
        .unwrap();
    let zip_hash = go_hash1(&mut files.clone()).unwrap();
    let mod_hash = go_hash1(&mut [("go.mod".to_string(), gomod.clone())]).unwrap();
    assert_eq!(
        format!("{module} {version} {zip_hash}\n{module} {version}/go.mod {mod_hash}\n"),
        published,
        "the module built from {tarball} is not the published one"
    );
    let entries: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
        .collect();
    let base = format!("/goproxy/{module}/@v/{version}");
    routes.insert(format!("{base}.zip"), stored_zip(&entries));
    routes.insert(format!("{base}.mod"), gomod);
    routes.insert(
        format!("{base}.info"),
        format!("{{\"Version\":\"{version}\",\"Time\":\"2022-01-01T00:00:00Z\"}}").into_bytes(),
    );
}

const CHAT_GO_MOD: &str = "module example.com/chat\n\ngo 1.17\n\nrequire (\n\tgithub.com/gorilla/websocket v1.4.0\n\tgithub.com/tidwall/match v1.1.1\n)\n";
const CHAT_MAIN_GO: &str = "package main\n\nimport (\n\t\"fmt\"\n\n\t\"github.com/gorilla/websocket\"\n\t\"github.com/tidwall/match\"\n)\n\nfunc main() {\n\tu := websocket.Upgrader{ReadBufferSize: 1024}\n\tfmt.Println(u.ReadBufferSize, match.Match(\"chat\", \"c*\"))\n}\n";

#[tokio::test(flavor = "multi_thread")]
async fn go_fix_on_real_module_sources_matches_the_published_go_sum() {
    let db = crate::load("Go");
    let mut routes = BTreeMap::new();
    serve_real(
        &mut routes,
        (
            WEBSOCKET,
            "v1.5.0",
            "golang-github-gorilla-websocket_1.5.0.orig.tar.gz",
            WS_150_SUM,
        ),
    );
    serve_real(
        &mut routes,
        (
            MATCH,
            "v1.1.1",
            "golang-github-tidwall-match_1.1.1.orig.tar.gz",
            MATCH_111_SUM,
        ),
    );
    // v1.4.0 has no go.mod of its own: the go command (and the proxy) synthesise this one, whose
    // hash is the published `/go.mod` line. Its zip is not needed: nothing builds v1.4.0 here.
    let synthesised = format!("module {WEBSOCKET}\n");
    let mod_hash =
        go_hash1(&mut [("go.mod".to_string(), synthesised.clone().into_bytes())]).unwrap();
    assert!(WS_140_SUM.ends_with(&format!("/go.mod {mod_hash}\n")));
    routes.insert(
        format!("/goproxy/{WEBSOCKET}/@v/v1.4.0.mod"),
        synthesised.into_bytes(),
    );
    routes.insert(
        format!("/goproxy/{WEBSOCKET}/@v/v1.4.0.info"),
        b"{\"Version\":\"v1.4.0\",\"Time\":\"2018-08-25T00:00:00Z\"}".to_vec(),
    );
    routes.insert(
        format!("/goproxy/{WEBSOCKET}/@v/list"),
        b"v1.4.0\nv1.5.0\n".to_vec(),
    );
    routes.insert(format!("/goproxy/{MATCH}/@v/list"), b"v1.1.1\n".to_vec());
    let stand_in = StandIn::start(routes).await;
    let proxy_url = format!("http://{}/goproxy", stand_in.addr);
    let registry = CachedRegistry::new(HttpRegistry::new(HttpConnector::new(), stand_in.urls()));
    let go_sum = format!("{WS_140_SUM}{MATCH_111_SUM}");
    let snapshot = Snapshot::new()
        .with("go.mod", CHAT_GO_MOD)
        .with("go.sum", go_sum.as_str())
        .with("main.go", CHAT_MAIN_GO);

    // The unfixed module's graph and go.sum are consistent for the go command.
    let before_dir = tempfile::tempdir().unwrap();
    write(before_dir.path(), &snapshot);
    let (ok, out) = go(before_dir.path(), &proxy_url, &["list", "-m", "all"]);
    assert!(ok, "the unfixed fixture must load:\n{out}");

    let analysis = analyze(&snapshot);
    let findings = db.scan(&analysis);
    let before: Vec<String> = findings.iter().map(|f| f.id.clone()).collect();
    assert_eq!(before, ["GO-2020-0019"], "{before:?}");
    let plan = plan(
        &analysis,
        &findings,
        &db,
        &registry,
        &PlanOptions::recommended(),
    )
    .await
    .unwrap();
    assert_eq!(plan.fixes.len(), 1, "{:?}", plan.fixes);
    let fix = &plan.fixes[0];
    assert_eq!((fix.name.as_str(), fix.to.as_str()), (WEBSOCKET, "v1.5.0"));
    let set = apply_fix(fix, &analysis, &snapshot, &registry)
        .await
        .unwrap();
    assert!(!set.needs_package_manager, "{:?}", set.notes);
    let mut fixed = snapshot.clone();
    for (path, text) in &set.files {
        fixed.insert(path, text.clone().into_bytes());
    }
    assert_eq!(
        fixed.text("go.mod").unwrap(),
        CHAT_GO_MOD.replace("websocket v1.4.0", "websocket v1.5.0")
    );
    // Exactly the published lines of the new version; the unrelated module's lines untouched.
    assert_eq!(
        fixed.text("go.sum").unwrap(),
        format!("{WS_150_SUM}{MATCH_111_SUM}")
    );

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &fixed);
    for args in [
        &["build", "./..."][..],
        &["list", "-m", "all"][..],
        &["mod", "verify"][..],
    ] {
        let (ok, out) = go(dir.path(), &proxy_url, args);
        assert!(ok, "go {} failed on the fix branch:\n{out}", args.join(" "));
    }
    for path in ["go.mod", "go.sum"] {
        let now = std::fs::read_to_string(dir.path().join("src").join(path)).unwrap();
        assert_eq!(now, fixed.text(path).unwrap(), "go changed {path}");
    }
    let after = db.scan(&analyze(&fixed));
    assert!(
        after.is_empty(),
        "{:?}",
        after.iter().map(|f| &f.id).collect::<Vec<_>>()
    );
}
