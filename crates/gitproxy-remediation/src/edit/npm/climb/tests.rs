//! Tests for the dependent-bump tier of npm lockfile fixes.
