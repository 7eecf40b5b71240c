//! Replays the fuzz targets' seed corpora (and a few hand-written edge cases) through their entry
//! functions, on every test run.

use super::{
    fuzz_advisory_sync, fuzz_bun, fuzz_composer, fuzz_gem, fuzz_go, fuzz_gradle, fuzz_npm,
    fuzz_nuget, fuzz_pdm_fix, fuzz_pnpm, fuzz_pom, fuzz_python_locks, fuzz_requirements, fuzz_toml,
    fuzz_yarn,
};

/// A fuzz entry function.
type Entry = fn(&[u8]);

/// Runs every seed of `corpus/<target>` through `entry`; returns how many there were.
fn replay(target: &str, entry: Entry) -> usize {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry_path in std::fs::read_dir(&dir).expect("corpus dir") {
        let path = entry_path.expect("entry").path();
        let data = std::fs::read(&path).expect("seed");
        entry(&data);
        n += 1;
    }
    n
}

#[test]
fn every_seed_corpus_runs_clean() {
    let targets: [(&str, Entry, usize); 15] = [
        ("pom", fuzz_pom, 4),
        ("npm", fuzz_npm, 5),
        ("pnpm", fuzz_pnpm, 3),
        ("yarn", fuzz_yarn, 4),
        ("toml", fuzz_toml, 6),
        ("go", fuzz_go, 3),
        ("requirements", fuzz_requirements, 2),
        ("python_locks", fuzz_python_locks, 8),
        ("pdm_fix", fuzz_pdm_fix, 2),
        ("bun", fuzz_bun, 3),
        ("nuget", fuzz_nuget, 4),
        ("gem", fuzz_gem, 3),
        ("composer", fuzz_composer, 3),
        ("gradle", fuzz_gradle, 4),
        ("advisory_sync", fuzz_advisory_sync, 4),
    ];
    for (target, entry, at_least) in targets {
        let n = replay(target, entry);
        assert!(
            n >= at_least,
            "corpus/{target} has {n} seeds, expected {at_least}"
        );
    }
}

#[test]
fn the_pdm_fix_seeds_reach_the_edit() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/pdm_fix");
    for seed in ["a-b", "a-b-extras-graph"] {
        let locks = super::pdm_fixed_locks(&std::fs::read(dir.join(seed)).unwrap());
        assert_eq!(locks.len(), 1, "{seed}");
        // b 1.5 needs c (joins at 2.0), no longer e (leaves); its extras entry moves too.
        assert!(
            locks[0].contains("name = \"c\"\nversion = \"2.0\""),
            "{}",
            locks[0]
        );
        assert!(!locks[0].contains("name = \"e\""), "{}", locks[0]);
        assert!(!locks[0].contains("\"1.0\"\nextras"), "{}", locks[0]);
    }
}

#[test]
fn edge_cases_do_not_panic() {
    let cases: Vec<&[u8]> = vec![
        b"",
        b"\x00",
        b"\x01",
        b"\xff\xfe",
        b"\xef\xbb\xbf",
        b"\x00{\"packages\": {\"node_modules/\": {\"version\": \"1\"}}}",
        b"\x00{\"lockfileVersion\": 1, \"dependencies\": {\"\": {\"version\": \"\"}}}",
        b"\x02{\"dependencies\": {\"\\ud800\": \"\\u12\"}}",
        b"\x01[[package]]\nname = \"\"\nversion = \"\"\ndependencies = [\" \", \"a b (c\"]\n",
        b"\x00require (\n\t v\n)\nrequire\n",
        b"\x00{\"default\": {\"a\": {\"version\": \"==\"}, \"b\": [], \"c\": {\"version\": 1}}, \"develop\": 2}",
        b"\x02[[package]]\nname = \"a\"\nversion = \"1\"\nsource = { virtual = \".\" }\ndependencies = [{ name = \"a\" }, 1, { name = 2 }]\n",
        b"-r requirements.txt\n-r \n-c x\n\\\n",
        b"<project><parent><relativePath>.</relativePath></parent></project>",
        b"\x01<Project><PackageReference Include=\"\" Version=\"[,]\" VersionOverride=\"*-*\"/></Project>",
        b"\x00{\"version\": 2, \"dependencies\": {\"net6.0\": {\"A\": {\"resolved\": 1}}, \"x\": []}}",
        b"\x03<packages><package id=\"a\" version=\"\" developmentDependency=\"maybe\"/></packages>",
        b"lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a: {version: 'a@'}\n",
        b"lockfileVersion: '6.0'\npackages:\n  /@:\n    dependencies: {x: /@@}\n- \n",
        b"a: [{b: [\"\\u", 
        b"\x00\"a@^1, \":\n  version\n    x \"\n  dependencies:\n    b\n",
        b"\x00__metadata:\n  version: 8\n\"a@npm:\":\n  resolution: \"@npm:\"\n  version: \n",
        b"\x00\"\\u12\":\n",
        b"\x00GEM\n  specs:\n    (\n      )\n",
        b"\x00GEM\n  specs:\n    a ()\n      b (\n",
        b"\x01gem \"\", '', (((\ngroup :test do\nend\nend\nend\n",
        b"\x00{\"packages\": [{\"name\": \"\", \"version\": \"\", \"require\": []}]}",
        b"\x01{\"require\": {\"a/b\": 1, \"\": \"\"}, \"require-dev\": []}",
        b"\x00dependencies { implementation \"a.b:c:${",
        b"\x01val x = \"\\\nimplementation(\"a.b:c:$x\")\"\"\"",
        b"\x00dependencies{implementation group:'a',name:'b',version:v,\n",
        b"\x02[libraries]\na = { module = \"a:b\", version.ref = \"missing\" }\n",
        b"\x03a:b:c\xc3\xa9=x\n:::=\n",
        b"\x00'\xc3\xa9",
        b"<project><parent><relativePath>../../../../x</relativePath></parent><properties><a>${a}</a></properties><dependencies><dependency><groupId>${a}</groupId><artifactId>${b</artifactId><version>${a}${a}</version></dependency></dependencies></project>",
    ];
    for case in cases {
        fuzz_pom(case);
        fuzz_npm(case);
        fuzz_pnpm(case);
        fuzz_yarn(case);
        fuzz_toml(case);
        fuzz_go(case);
        fuzz_requirements(case);
        fuzz_python_locks(case);
        fuzz_nuget(case);
        fuzz_gem(case);
        fuzz_composer(case);
        fuzz_gradle(case);
    }
}

#[test]
fn the_bun_seeds_reach_the_edit() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/bun");
    let read = |seed: &str| super::bun::bun_fixed_locks(&std::fs::read(dir.join(seed)).unwrap());
    // b 1.5.0 brings c 2.0.0, at the top where nothing else holds c...
    let locks = read("a-b");
    assert_eq!(locks.len(), 1);
    assert!(
        locks[0].contains("    \"b\": [\"b@1.5.0\", \"\", { \"dependencies\": { \"c\": \"^2.0.0\" }, \"peerDependencies\": { \"d\": \"*\" }, \"optionalPeers\": [\"d\"], \"os\": \"!win32\", \"bin\": { \"b\": \"./b.js\" } }, \"sha512-b1.5.0\"],\n\n    \"c\": [\"c@2.0.0\", \"\", {}, \"sha512-c2.0.0\"],"),
        "{}",
        locks[0]
    );
    // ...and inside b where a's c 3.0.0 sits at the top.
    let locks = read("a-b-nests-c");
    assert_eq!(locks.len(), 1);
    assert!(
        locks[0].contains(
            "    \"c\": [\"c@3.0.0\", \"\", {}, \"sha512-c300\"],\n\n    \"b/c\": [\"c@2.0.0\""
        ),
        "{}",
        locks[0]
    );
}
