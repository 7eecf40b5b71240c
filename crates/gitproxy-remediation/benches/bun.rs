//! The Bun sections of the remediation bench: a generated `bun.lock` of many packages (figure
//! 3f, read and matched in `generated_lockfiles`) and a fix through the tree of a 20,000-entry
//! lock (figure 3g).

use std::fmt::Write as _;

use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::analysis::analyze;
use gitproxy_remediation::files::Snapshot;
use gitproxy_remediation::osv::Record;

use crate::{ms, time};

/// One `bun.lock` line as Bun writes it.
fn entry(key: &str, name: &str, version: &str, deps: &str) -> String {
    let info = if deps.is_empty() {
        "{}".to_string()
    } else {
        format!("{{ \"dependencies\": {{ {deps} }} }}")
    };
    format!(
        "    \"{key}\": [\"{name}@{version}\", \"\", {info}, \"sha512-{}\"],",
        "A".repeat(86)
    )
}

/// A `bun.lock` of the packages of the bench's `package-lock.json` (`pkg-i` at `1.(i%7).(i%5)`,
/// each depending on the next, the project requiring the first 50), all at the top; and its
/// `package.json`.
pub(crate) fn lockfile(n: usize) -> (String, String) {
    let mut manifest = String::from("{\n  \"name\": \"bench\",\n  \"dependencies\": {\n");
    let mut workspace = String::new();
    let mut names: Vec<String> = (0..50).map(|i| format!("pkg-{i}")).collect();
    names.sort();
    for (k, name) in names.iter().enumerate() {
        let _ = writeln!(
            manifest,
            "    \"{name}\": \"^1.0.0\"{}",
            if k < 49 { "," } else { "" }
        );
        let _ = writeln!(workspace, "        \"{name}\": \"^1.0.0\",");
    }
    manifest.push_str("  }\n}\n");
    let mut lines: Vec<(String, String)> = (0..n)
        .map(|i| {
            let name = format!("pkg-{i}");
            let deps = format!("\"pkg-{}\": \"^1.0.0\"", (i + 1) % n);
            let line = entry(&name, &name, &format!("1.{}.{}", i % 7, i % 5), &deps);
            (name, line)
        })
        .collect();
    lines.sort();
    let body: Vec<String> = lines.into_iter().map(|(_, l)| l).collect();
    let lock = format!(
        "{{\n  \"lockfileVersion\": 2,\n  \"configVersion\": 1,\n  \"workspaces\": {{\n    \"\": {{\n      \"name\": \"bench\",\n      \"dependencies\": {{\n{workspace}      }},\n    }},\n  }},\n  \"packages\": {{\n{}\n  }}\n}}\n",
        body.join("\n\n")
    );
    (manifest, lock)
}

/// Figure 3g, a Bun fix through the tree: a `bun.lock` of 20,000 entries in a chain (a -> p0 ->
/// ... -> p19999 -> b) whose b 1.0.0 has an advisory fixed in 1.5.0, which depends on c (new):
/// analysis, plan and edit, the tree laid out again as Bun lays it out.
pub(crate) fn fix_through_the_tree() {
    use gitproxy_remediation::edit::apply;
    use gitproxy_remediation::plan::{plan, PlanOptions};
    use gitproxy_remediation::registry::StaticRegistry;
    use gitproxy_remediation::Ecosystem;
    let n = 20_000;
    let mut lines = vec![
        (
            "a".to_string(),
            entry("a", "a", "1.0.0", "\"p0\": \"^1.0.0\""),
        ),
        ("b".to_string(), entry("b", "b", "1.0.0", "")),
    ];
    for i in 0..n {
        let next = if i + 1 == n {
            "\"b\": \"^1.0.0\"".to_string()
        } else {
            format!("\"p{}\": \"^1.0.0\"", i + 1)
        };
        let name = format!("p{i}");
        lines.push((name.clone(), entry(&name, &name, "1.0.0", &next)));
    }
    lines.sort();
    let body: Vec<String> = lines.into_iter().map(|(_, l)| l).collect();
    let lock = format!(
        "{{\n  \"lockfileVersion\": 2,\n  \"configVersion\": 1,\n  \"workspaces\": {{\n    \"\": {{\n      \"name\": \"x\",\n      \"dependencies\": {{\n        \"a\": \"^1.0.0\",\n      }},\n    }},\n  }},\n  \"packages\": {{\n{}\n  }}\n}}\n",
        body.join("\n\n")
    );
    let snapshot = Snapshot::new()
        .with(
            "package.json",
            r#"{"name": "x", "dependencies": {"a": "^1.0.0"}}"#,
        )
        .with("bun.lock", lock.as_bytes().to_vec());
    let mut db = AdvisoryDb::new();
    let record = br#"{"id": "B-1", "affected": [{"package": {"ecosystem": "npm", "name": "b"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.5.0"}]}]}]}"#;
    match Record::from_json("bench", record) {
        Ok(r) => {
            db.insert(r);
        }
        Err(e) => panic!("the bench record: {e}"),
    }
    let meta = |name: &str, version: &str, deps: &str| {
        format!(
            r#"{{"name": "{name}", "version": "{version}", "dependencies": {{{deps}}}, "dist": {{"integrity": "sha512-{name}", "tarball": "https://registry.npmjs.org/{name}/-/{name}-{version}.tgz"}}}}"#
        )
    };
    let registry = StaticRegistry::new()
        .publish(Ecosystem::Npm, "b", "1.0.0", &[(None, "sha512-b1")])
        .publish(Ecosystem::Npm, "b", "1.5.0", &[(None, "sha512-b15")])
        .publish(Ecosystem::Npm, "c", "1.0.0", &[(None, "sha512-c1")])
        .npm_manifest("b", "1.5.0", &meta("b", "1.5.0", r#""c": "^1.0.0""#))
        .npm_manifest("c", "1.0.0", &meta("c", "1.0.0", ""));
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt,
        Err(e) => panic!("no runtime: {e}"),
    };
    let (med, min, written) = time(|| {
        runtime.block_on(async {
            let analysis = analyze(&snapshot);
            let findings = db.scan(&analysis);
            let Ok(planned) = plan(
                &analysis,
                &findings,
                &db,
                &registry,
                &PlanOptions::recommended(),
            )
            .await
            else {
                return false;
            };
            apply(&planned, &analysis, &snapshot, &registry)
                .await
                .is_ok_and(|set| set.files.contains_key("bun.lock") && !set.needs_package_manager)
        })
    });
    println!(
        "- bun.lock of {n} entries ({} KiB), a fix that adds a dependency (analysis, plan, edit, tree laid out again): {} ({}), lock written: {written}",
        lock.len() / 1024,
        ms(med),
        ms(min)
    );
}
