//! Repository hygiene checks that run as ordinary tests under `cargo test` (so `cargo xtask test` runs
//! them): module docs, no skipped tests, no source file over 800 lines, no error matched by its text.
//!
//! The justified exceptions to these checks are listed in [`exceptions`], and nowhere else.

use std::fs;
use std::path::{Path, PathBuf};

mod error_text;
mod exceptions;
mod file_length;
mod rust_code;

#[cfg(test)]
mod tests;

/// Every `.rs` file below `dir`, skipping build output, hidden directories and the fuzz crates.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if name == "target" || name.starts_with('.') || name == "fuzz" {
                continue;
            }
            rust_files(&path, out);
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// The `.rs` files under `<root>/<top>/*/<sub>` (for example every crate's `src`), sorted.
fn files_under(root: &Path, top: &str, sub: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = fs::read_dir(root.join(top)) else {
        return files;
    };
    for entry in entries.flatten() {
        rust_files(&entry.path().join(sub), &mut files);
    }
    files.sort();
    files
}

/// Every Rust file of the workspace: crates, binaries, xtask and the end-to-end suite.
fn workspace_sources() -> Vec<PathBuf> {
    let root = crate::project_root();
    let mut files = Vec::new();
    for dir in ["crates", "bins", "xtask", "tests"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(
        !files.is_empty(),
        "tidy found no Rust sources under {}",
        root.display()
    );
    files
}

/// The production sources, as paths relative to the workspace root with `/` separators, and their text:
/// `crates/*/src`, `bins/*/src` and `xtask/src`, and with `examples` the crates' examples too.
fn production_sources(examples: bool) -> Vec<(String, String)> {
    let root = crate::project_root();
    let mut files = files_under(&root, "crates", "src");
    files.extend(files_under(&root, "bins", "src"));
    rust_files(&root.join("xtask/src"), &mut files);
    if examples {
        files.extend(files_under(&root, "crates", "examples"));
    }
    let sources: Vec<(String, String)> = files
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|err| panic!("tidy could not read {}: {err}", path.display()));
            (relative(&root, &path), text)
        })
        .collect();
    assert!(
        sources.len() > 10,
        "tidy found only {} production sources under {}",
        sources.len(),
        root.display()
    );
    sources
}

/// `path` relative to `root`, with `/` separators on every platform.
fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a relative path is a sibling test module (`foo/tests.rs`), which the size and error-text rules skip.
fn is_test_module(path: &str) -> bool {
    path == "tests.rs" || path.ends_with("/tests.rs")
}
