//! The audit trail: exactly one structured log line per operation (who, what, which repository,
//! outcome), under the `audit` target, never with a secret.

use super::OpRecord;

/// Writes the audit line of one finished operation; `actor` says who asked: `cloud` (through
/// the tunnel) or `cli`. The outcome is `ok`, `failed` (Test Connection's checks failed),
/// `error` or `denied` (local policy); the detail says what went wrong or what was done.
pub fn emit(actor: &str, record: &OpRecord) {
    tracing::info!(
        target: "audit",
        actor = %actor,
        bitbucket_user = record.user.as_deref().unwrap_or("-"),
        operation = %record.operation,
        project = record.project.as_deref().unwrap_or("-"),
        repository = record.repository.as_deref().unwrap_or("-"),
        outcome = %record.outcome.as_str(),
        detail = record.detail.as_deref().unwrap_or(""),
        "audit"
    );
}

#[cfg(test)]
mod tests;
