//! Tests of the composer.json constraint bump.

use super::bumped_constraint;

#[test]
fn the_authors_operator_is_kept_and_complex_constraints_become_a_caret() {
    assert_eq!(bumped_constraint("^2.7", "2.7.7"), "^2.7.7");
    assert_eq!(bumped_constraint("~2.7.0", "2.7.7"), "~2.7.7");
    assert_eq!(bumped_constraint(">=2.0", "2.7.7"), ">=2.7.7");
    assert_eq!(bumped_constraint("2.7.6", "2.7.7"), "2.7.7");
    assert_eq!(bumped_constraint("v2.7.6", "2.7.7"), "2.7.7");
    assert_eq!(bumped_constraint("^1.0 || ^2.0", "2.7.7"), "^2.7.7");
    assert_eq!(bumped_constraint(">=2.0 <2.7.7", "2.7.7"), "^2.7.7");
    assert_eq!(bumped_constraint("2.7.*", "2.7.7"), "^2.7.7");
}
