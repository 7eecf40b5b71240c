//! Replays the fuzz target's seed corpus (and a few hand-written edge cases) through [`fuzz_wire`].

use super::fuzz_wire;

#[test]
fn the_seed_corpus_runs_clean() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/wire");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus dir") {
        let data = std::fs::read(entry.expect("entry").path()).expect("seed");
        fuzz_wire(&data);
        n += 1;
    }
    assert!(n >= 8, "the corpus has seeds for every parser, found {n}");
}

#[test]
fn edge_cases_do_not_panic() {
    let cases: Vec<Vec<u8>> = vec![
        vec![],
        vec![0],
        b"\x00[".to_vec(),
        b"\x00[null, 1, \"x\", {}]".to_vec(),
        b"\x01{\"protocol\":1}".to_vec(),
        b"\x02{\"code\":\"x\",\"message\":\"\xff\",\"retryable\":true}".to_vec(),
        b"\x03/v1/ops/".to_vec(),
        b"\x03/v1/ops/\xc3\xa9".to_vec(),
        b"\x04184467440737095516150".to_vec(),
        b"\x07{\"len\":18446744073709551615,\"seed\":0}".to_vec(),
    ];
    for case in cases {
        fuzz_wire(&case);
    }
}
