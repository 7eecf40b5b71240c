//! Tests of the bun.lock edit that need no Bun: keys and order, the entry printer against what
//! Bun wrote from registry.npmjs.org, the layout model, and what is left to Bun and why.
//! (`tests/it/bun_lock.rs` runs the fixes through Bun itself.)

use super::*;

#[test]
fn keys_map_between_bun_slots_and_node_modules_paths() {
    for (bun, npm) in [
        ("ms", "node_modules/ms"),
        ("send/ms", "node_modules/send/node_modules/ms"),
        ("@s/a", "node_modules/@s/a"),
        ("@s/a/@t/b", "node_modules/@s/a/node_modules/@t/b"),
        (
            "a/@t/b/c",
            "node_modules/a/node_modules/@t/b/node_modules/c",
        ),
    ] {
        assert_eq!(npm_key(bun), npm, "{bun}");
        assert_eq!(bun_key(npm), bun, "{npm}");
    }
    assert_eq!(names("a/@t/b/c"), ["a", "@t/b", "c"]);
    // Depth first, then the parent's path, then the name, as Bun sorts its tree.
    let mut keys = vec!["send/ms", "whatwg-url", "@s/a/ms", "a", "a/b/c", "@s/a"];
    keys.sort_by_key(|k| order(k));
    assert_eq!(
        keys,
        ["@s/a", "a", "whatwg-url", "@s/a/ms", "send/ms", "a/b/c"]
    );
}

#[test]
fn an_override_joins_the_lockfile_before_the_packages_sorted_by_name() {
    let lock = "{\n  \"lockfileVersion\": 2,\n  \"workspaces\": {\n    \"\": {},\n  },\n  \"packages\": {}\n}\n";
    let once = with_override(lock, "qs", "6.7.3");
    assert_eq!(
        once,
        "{\n  \"lockfileVersion\": 2,\n  \"workspaces\": {\n    \"\": {},\n  },\n  \"overrides\": {\n    \"qs\": \"6.7.3\",\n  },\n  \"packages\": {}\n}\n"
    );
    let twice = with_override(&once, "minimist", "1.2.6");
    assert!(
        twice.contains("  \"overrides\": {\n    \"minimist\": \"1.2.6\",\n    \"qs\": \"6.7.3\",\n  },\n  \"packages\""),
        "{twice}"
    );
}

const REAL_LOCK: &str = include_str!("../../../tests/fixtures/bun/real/bun.lock");
const REAL_MANIFESTS: &str = include_str!("../../../tests/fixtures/bun/real/manifests.json");
const HOISTED: &str = include_str!("../../../tests/fixtures/bun/hoisted/bun.lock");
const NESTED: &str = include_str!("../../../tests/fixtures/bun/nested/bun.lock");
const EXPRESS: &str = include_str!("../../../tests/fixtures/bun/express/bun.lock");
const WORKSPACES: &str = include_str!("../../../tests/fixtures/bun/workspaces/bun.lock");

/// The registry of `fixtures/bun/real`: each locked version's metadata as registry.npmjs.org
/// served it.
fn real_registry() -> crate::registry::StaticRegistry {
    let docs: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(REAL_MANIFESTS).unwrap();
    let mut registry = crate::registry::StaticRegistry::new();
    for (ident, doc) in docs {
        let (name, version) = split_ident(&ident).unwrap();
        registry = registry.npm_manifest(name, version, &doc.to_string());
    }
    registry
}

/// Every entry of a lockfile Bun 1.4.5 wrote against registry.npmjs.org (esbuild's platform
/// packages with `os` and `cpu`, swc's with `libc`, install scripts, fsevents, string and map `bin`s with and without `./`, an
/// optional peer, a required peer, optional dependencies) is printed back byte for byte from
/// the registry's metadata of its version.
#[tokio::test]
async fn every_entry_bun_wrote_is_printed_back_from_the_registrys_metadata() {
    let registry = real_registry();
    let root = json::parse_trailing_commas(REAL_LOCK).unwrap();
    let members = root.get("packages").unwrap().members();
    assert_eq!(members.len(), 114);
    for m in members {
        let ident = m.value.items()[0].as_str().unwrap();
        let (name, version) = split_ident(ident).unwrap();
        let printed = printed_entry(&registry, &m.key, name, version)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(printed, REAL_LOCK[m.key_start..m.value.end], "{ident}");
    }
    // The lockfile is in the layout Bun writes, and Bun's layout of its graph is the file.
    let lock = Bun::read(REAL_LOCK, "bun.lock").unwrap();
    assert_eq!(lock.editable(), Ok(()));
    assert_eq!(hoist::holds(&lock.packages, &lock.keys), Ok(()));
}

#[tokio::test]
async fn metadata_this_printer_does_not_reproduce_is_refused_with_the_reason() {
    for (doc, says) in [
        (
            r#"{"name": "a", "version": "1.0.0", "dist": {"shasum": "ab"}}"#,
            "the npm registry gave no integrity for a@1.0.0",
        ),
        (
            r#"{"name": "a", "version": "1.0.0", "directories": {"bin": "bin"}, "dist": {"integrity": "sha512-x"}}"#,
            "a@1.0.0 names a `directories.bin`, which Bun records as `binDir`",
        ),
    ] {
        let registry = crate::registry::StaticRegistry::new().npm_manifest("a", "1.0.0", doc);
        let got = printed_entry(&registry, "a", "a", "1.0.0").await.unwrap();
        assert_eq!(got, Err(says.to_string()));
    }
    // A tarball elsewhere than registry.npmjs.org is recorded whole, as Bun records it.
    let registry = crate::registry::StaticRegistry::new().npm_manifest(
        "a",
        "1.0.0",
        r#"{"dist": {"integrity": "sha512-x", "tarball": "https://npm.example.com/a/-/a-1.0.0.tgz"}}"#,
    );
    let got = printed_entry(&registry, "b/a", "a", "1.0.0").await.unwrap();
    assert_eq!(
        got.unwrap(),
        "\"b/a\": [\"a@1.0.0\", \"https://npm.example.com/a/-/a-1.0.0.tgz\", {}, \"sha512-x\"]"
    );
}

#[test]
fn a_lockfile_bun_did_not_write_as_it_stands_is_left_to_bun() {
    let ok = Bun::read(HOISTED, "bun.lock").unwrap();
    assert_eq!(ok.editable(), Ok(()));
    let layout = Err("it is not in the layout Bun writes".to_string());
    for edited in [
        // Entries out of Bun's order.
        HOISTED.replacen(
            "    \"accepts\"",
            "    \"zzz\": [\"zzz@1.0.0\", \"\", {}, \"sha512-z\"],\n\n    \"accepts\"",
            1,
        ),
        // Spacing Bun does not write between entries.
        HOISTED.replacen(",\n\n    \"mime\"", ",\n    \"mime\"", 1),
    ] {
        assert_ne!(edited, HOISTED);
        assert_eq!(Bun::read(&edited, "bun.lock").unwrap().editable(), layout);
    }
    // Within an entry: spacing, an unsorted group, a one-line array written otherwise.
    for (from, to) in [
        ("\"lodash@4.17.20\", ", "\"lodash@4.17.20\",  "),
        (
            "{ \"dependencies\": { \"mime-types\": \"~2.1.34\", \"negotiator\": \"0.6.3\" } }",
            "{ \"dependencies\": { \"negotiator\": \"0.6.3\", \"mime-types\": \"~2.1.34\" } }",
        ),
        (
            "{ \"bin\": { \"mime\": \"cli.js\" } }",
            "{\"bin\": { \"mime\": \"cli.js\" } }",
        ),
    ] {
        let edited = HOISTED.replacen(from, to, 1);
        assert_ne!(edited, HOISTED, "{from}");
        let why = Bun::read(&edited, "bun.lock")
            .unwrap()
            .editable()
            .unwrap_err();
        assert!(why.ends_with("is not written as Bun writes it"), "{why}");
    }
    let git = HOISTED.replacen(
        "\"lodash\": [\"lodash@4.17.20\"",
        "\"zz-git\": [\"zz-git@github:a/b#c\", {}, \"a-b-c\"],\n\n    \"lodash\": [\"lodash@4.17.20\"",
        1,
    );
    assert_eq!(
        Bun::read(&git, "bun.lock").unwrap().editable(),
        Err("`zz-git` is not a registry package under its own name (`zz-git@github:a/b#c`)".into())
    );
    let alias = HOISTED.replacen(
        "\"lodash\": [\"lodash@4.17.20\"",
        "\"lodash\": [\"lodash-es@4.17.20\"",
        1,
    );
    assert!(Bun::read(&alias, "bun.lock")
        .unwrap()
        .editable()
        .unwrap_err()
        .contains("under its own name"));
    let v3 = HOISTED.replacen("\"lockfileVersion\": 2", "\"lockfileVersion\": 3", 1);
    assert_eq!(
        Bun::read(&v3, "bun.lock").unwrap().editable(),
        Err("it is lockfileVersion 3, whose scoped overrides the agent does not rewrite".into())
    );
    let nameless = HOISTED.replacen(
        "  },\n  \"packages\"",
        "    \"packages/a\": {\n      \"version\": \"1.0.0\",\n    },\n  },\n  \"packages\"",
        1,
    );
    assert_eq!(
        Bun::read(&nameless, "bun.lock").unwrap().editable(),
        Err("the workspace `packages/a` has no name".into())
    );
}

#[test]
fn os_and_cpu_are_combined_and_printed_as_bun_prints_them() {
    for (value, printed) in [
        (r#"["linux"]"#, Some(r#""linux""#)),
        (r#""darwin""#, Some(r#""darwin""#)),
        (r#"["!win32"]"#, Some(r#""!win32""#)),
        (r#"["darwin", "linux"]"#, Some(r#"[ "darwin", "linux", ]"#)),
        (r#"["linux", "darwin"]"#, Some(r#"[ "darwin", "linux", ]"#)),
        (r#"["!win32", "!aix"]"#, Some(r#"[ "!aix", "!win32", ]"#)),
        (r#"["linux", "!linux"]"#, Some(r#""none""#)),
        (r#"["loong64"]"#, Some(r#""none""#)),
        (r#"["!loong64"]"#, None),
        (r#"[]"#, None),
        (r#"["any"]"#, None),
        (r#"["any", "!win32"]"#, Some(r#""!win32""#)),
    ] {
        let node = json::parse(value).unwrap();
        assert_eq!(
            entry::platform(&node, &entry::OS).as_deref(),
            printed,
            "{value}"
        );
    }
    let cpu = json::parse(r#"["loong64"]"#).unwrap();
    assert_eq!(
        entry::platform(&cpu, &entry::CPU).as_deref(),
        Some("\"none\"")
    );
}

#[test]
fn bun_lays_out_each_fixture_lockfile_as_the_model_does_and_a_moved_slot_is_noticed() {
    for text in [HOISTED, NESTED, EXPRESS, WORKSPACES] {
        let lock = Bun::read(text, "bun.lock").unwrap();
        assert_eq!(lock.editable(), Ok(()));
        assert_eq!(hoist::holds(&lock.packages, &lock.keys), Ok(()));
    }
    // `send/ms` moved to the top where `ms` 2.0.0 is: not the tree Bun lays out.
    let moved = HOISTED.replacen("\"send/ms\"", "\"debug/ms\"", 1);
    let lock = Bun::read(&moved, "bun.lock").unwrap();
    assert_eq!(
        hoist::holds(&lock.packages, &lock.keys),
        Err(
            "Bun lays out its packages differently from the agent's model of Bun (at `debug/ms`)"
                .into()
        )
    );
}
