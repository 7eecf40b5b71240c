//! The status report as people read it: a Markdown table of every remediation with its state
//! and CI gate, followed by the notes.

use super::{RemediationStatus, State, StatusReport};

impl StatusReport {
    /// A Markdown table of every remediation.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from(
            "| Repository | Remediation | Pull request | State | CI gate |\n|---|---|---|---|---|\n",
        );
        for r in &self.remediations {
            let pr = r
                .pull_request
                .map(|id| format!("#{id}"))
                .unwrap_or_else(|| "-".into());
            let state = serde_json::to_value(r.state)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            let gate = r.gate.as_ref().map_or_else(
                || "-".to_owned(),
                |g| {
                    let state = serde_json::to_value(g.state)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default();
                    format!("{state}: {}", g.reason)
                },
            );
            out.push_str(&format!(
                "| {} | {} | {pr} | {state} | {gate} |\n",
                r.repo, r.title
            ));
        }
        let notes: Vec<String> = self
            .remediations
            .iter()
            .flat_map(|r| r.notes.iter().map(move |n| format!("- {}: {n}\n", r.repo)))
            .collect();
        if !notes.is_empty() {
            out.push('\n');
            out.extend(notes);
        }
        out.push_str(&super::coverage::markdown(&self.unsupported));
        out
    }

    /// Remediations in `state`.
    pub fn in_state(&self, state: State) -> impl Iterator<Item = &RemediationStatus> {
        self.remediations.iter().filter(move |r| r.state == state)
    }
}
