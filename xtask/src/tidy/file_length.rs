//! The size rule: no production source file over `MAX_LINES` lines unless `exceptions::LONG_FILES` lists it.

use super::exceptions::{LongFile, MAX_LINES};

/// What is wrong with `files` (`(relative path, line count)`, sibling `tests.rs` already left out) under
/// `allowed`: files over the limit that are not listed, and listed files that are gone or fit now.
pub(super) fn problems(files: &[(String, usize)], allowed: &[LongFile]) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, lines) in files {
        if *lines > MAX_LINES && !allowed.iter().any(|a| a.path == path) {
            problems.push(format!(
                "{path}: {lines} lines, over the {MAX_LINES}-line limit; split it by job (or, if it must \
                 stay whole, list it with its reason in xtask/src/tidy/exceptions.rs)"
            ));
        }
    }
    for entry in allowed {
        match files.iter().find(|(path, _)| path == entry.path) {
            None => problems.push(format!(
                "{}: listed in LONG_FILES but no such file; remove the entry from \
                 xtask/src/tidy/exceptions.rs",
                entry.path
            )),
            Some((path, lines)) if *lines <= MAX_LINES => problems.push(format!(
                "{path}: {lines} lines, within the limit now; remove its LONG_FILES entry from \
                 xtask/src/tidy/exceptions.rs"
            )),
            Some(_) => {}
        }
    }
    problems
}
