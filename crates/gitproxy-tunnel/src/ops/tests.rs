//! Unit tests of the byte sequence used by `stream.bytes`.

use super::*;

#[test]
fn the_checker_accepts_the_sequence_whatever_the_chunking() {
    for chunk in [1, 7, 8, 1000, 65536, 100_000] {
        let mut seq = ByteSequence::new(42, 300_001);
        let mut checker = ByteSequenceChecker::new(42, 300_001);
        while let Some(c) = seq.next_chunk(chunk) {
            assert!(checker.feed(&c), "chunk size {chunk}");
        }
        assert!(checker.is_complete());
        assert_eq!(checker.received(), 300_001);
    }
}

#[test]
fn the_checker_rejects_corruption_and_excess() {
    let mut seq = ByteSequence::new(1, 1000);
    let mut data = seq.next_chunk(1000).expect("data");
    let mut checker = ByteSequenceChecker::new(1, 1000);
    let mut corrupted = data.to_vec();
    corrupted[500] ^= 1;
    assert!(!checker.feed(&corrupted));
    let mut checker = ByteSequenceChecker::new(1, 1000);
    assert!(checker.feed(&data.split_to(999)));
    assert!(!checker.is_complete());
    assert!(!checker.feed(&[0, 0]));
    let mut other = ByteSequence::new(2, 8);
    assert_ne!(other.next_chunk(8), ByteSequence::new(1, 8).next_chunk(8));
}
