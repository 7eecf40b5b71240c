//! The one place that lists the justified exceptions to the tidy rules, each with its reason.
//!
//! Keep both tables short and honest: an entry that no longer matches anything fails the tidy tests, so
//! the list shrinks as the code improves.

/// The most lines a production source file may have (sibling `tests.rs` files are not counted).
pub(super) const MAX_LINES: usize = 800;

/// A production source file allowed over [`MAX_LINES`], and why.
#[derive(Debug)]
pub(super) struct LongFile {
    /// Relative to the workspace root, with `/` separators.
    pub(super) path: &'static str,
    pub(super) reason: &'static str,
}

/// Files over [`MAX_LINES`], each with the reason it cannot be split by job. None today.
pub(super) const LONG_FILES: &[LongFile] = &[];

/// A string search on error-like text that is not matching one of our own errors, and why.
#[derive(Debug)]
pub(super) struct TextMatch {
    /// A file, or a directory ending in `/`, relative to the workspace root.
    pub(super) path: &'static str,
    /// Text of the flagged source line that identifies the search.
    pub(super) code: &'static str,
    pub(super) reason: &'static str,
}

/// Searches the error-text rule lets through.
pub(super) const ERROR_TEXT_MATCHES: &[TextMatch] = &[
    // Permanent: the text of a Bitbucket response is external input, and classifying it is the error
    // module's job; the resulting `Error::Xsrf` is what the rest of the code matches on.
    TextMatch {
        path: "crates/bitbucket-dc/src/",
        code: r#"error.message.contains("XSRF check failed")"#,
        reason: "classifies Bitbucket's response text (external input) into Error::Xsrf",
    },
];
