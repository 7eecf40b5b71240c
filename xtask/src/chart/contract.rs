//! The configuration contract's environment variables, read from the settings table of
//! docs/configuration.md (the `gitproxy` binary's tests keep that table equal to its own settings
//! table, which `gitproxy settings` prints as JSON), so the chart checks repeat no names.

use std::path::Path;

use anyhow::{Context, Result};

/// Every environment variable the agent reads, from the `environment` column of the docs' table.
pub(crate) fn contract_env(root: &Path) -> Result<Vec<String>> {
    let path = root.join("docs/configuration.md");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(env_column(&text))
}

/// The backticked variable names of the third column of the `## Settings` table.
pub(crate) fn env_column(markdown: &str) -> Vec<String> {
    let section = markdown
        .split("## Settings")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap_or_default();
    let mut names = Vec::new();
    for row in section.lines().filter(|l| l.starts_with('|')).skip(2) {
        let Some(cell) = row.split('|').nth(3) else {
            continue;
        };
        for (i, word) in cell.split('`').enumerate() {
            let is_name = i % 2 == 1
                && word.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
                && (word.contains('_') || word.chars().all(|c| c.is_ascii_uppercase()));
            if is_name && !names.iter().any(|n| n == word) {
                names.push(word.to_owned());
            }
        }
    }
    names
}
