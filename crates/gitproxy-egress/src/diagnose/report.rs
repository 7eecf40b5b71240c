//! The diagnosis report: the stages, how each went, and its rendering as JSON and as one line per stage.

use std::fmt;

use serde::Serialize;
use url::Url;

use super::classify::{classify_config, Failure, FailureCode};
use crate::cert::CertInfo;
use crate::proxy::redact_userinfo;
use crate::{Decision, Error};

/// The stages of a connection, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stage {
    /// Building the proxy and trust settings.
    Config,
    /// Choosing direct or proxy, and why.
    ProxyDecision,
    /// Resolving the host to connect to (the proxy's when proxied).
    Dns,
    /// Opening the TCP connection (to the proxy when proxied).
    TcpConnect,
    /// Asking the proxy for a tunnel (CONNECT).
    ProxyConnect,
    /// The TLS handshake with the server, verifying its certificate.
    TlsHandshake,
    /// One HTTP request, to see the server answer.
    Http,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 7] = [
        Stage::Config,
        Stage::ProxyDecision,
        Stage::Dns,
        Stage::TcpConnect,
        Stage::ProxyConnect,
        Stage::TlsHandshake,
        Stage::Http,
    ];
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Config => "configuration",
            Stage::ProxyDecision => "proxy decision",
            Stage::Dns => "dns",
            Stage::TcpConnect => "tcp connect",
            Stage::ProxyConnect => "proxy CONNECT",
            Stage::TlsHandshake => "tls handshake",
            Stage::Http => "http",
        })
    }
}

/// How a stage went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    /// It worked.
    Passed,
    /// It failed; the report's `failure` says why.
    Failed,
    /// It did not apply or was not attempted.
    Skipped,
}

/// One stage's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StageReport {
    /// Which stage.
    pub stage: Stage,
    /// How it went.
    pub status: StageStatus,
    /// What happened, in a sentence.
    pub detail: String,
    /// How long it took, in milliseconds.
    pub elapsed_ms: f64,
}

/// The outcome of [`diagnose`](super::diagnose): one entry per stage, and the failure if any.
///
/// Serializes to JSON for the cloud's Test Connection; `Display` renders one line per stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DiagnosisReport {
    /// The URL diagnosed (password redacted).
    pub url: String,
    /// Whether every stage passed.
    pub ok: bool,
    /// The proxy decision, once made.
    pub decision: Option<Decision>,
    /// The stages in order.
    pub stages: Vec<StageReport>,
    /// The certificate the server presented, even when it was rejected.
    pub certificate: Option<CertInfo>,
    /// The HTTP status of the probe request.
    pub http_status: Option<u16>,
    /// The first failure.
    pub failure: Option<Failure>,
}

impl DiagnosisReport {
    pub(super) fn new(url: &str) -> DiagnosisReport {
        DiagnosisReport {
            url: redact_userinfo(url),
            ok: false,
            decision: None,
            stages: Vec::new(),
            certificate: None,
            http_status: None,
            failure: None,
        }
    }

    /// A report for settings that could not even be built, e.g. a garbage `customCaCert`.
    pub fn from_config_error(url: &Url, error: &Error) -> DiagnosisReport {
        let mut report = DiagnosisReport::new(url.as_str());
        let (code, hint) = classify_config(error);
        report.fail(
            Stage::Config,
            0.0,
            Failure {
                code,
                stage: Stage::Config,
                message: error.to_string(),
                hint,
            },
        );
        report
    }

    /// The failure's code, if the diagnosis failed.
    pub fn failure_code(&self) -> Option<FailureCode> {
        self.failure.as_ref().map(|f| f.code)
    }

    /// The report of one stage.
    pub fn stage(&self, stage: Stage) -> Option<&StageReport> {
        self.stages.iter().find(|s| s.stage == stage)
    }

    pub(super) fn pass(&mut self, stage: Stage, elapsed_ms: f64, detail: String) {
        self.stages.push(StageReport {
            stage,
            status: StageStatus::Passed,
            detail,
            elapsed_ms,
        });
    }

    pub(super) fn skip(&mut self, stage: Stage, detail: &str) {
        self.stages.push(StageReport {
            stage,
            status: StageStatus::Skipped,
            detail: detail.to_owned(),
            elapsed_ms: 0.0,
        });
    }

    /// Records the failure and marks every later stage as not attempted.
    pub(super) fn fail(&mut self, stage: Stage, elapsed_ms: f64, mut failure: Failure) {
        failure.stage = stage;
        self.stages.push(StageReport {
            stage,
            status: StageStatus::Failed,
            detail: failure.message.clone(),
            elapsed_ms,
        });
        self.failure = Some(failure);
        self.finish();
    }

    pub(super) fn finish(&mut self) {
        for stage in Stage::ALL {
            if self.stage(stage).is_none() {
                self.skip(stage, "not attempted");
            }
        }
        self.stages
            .sort_by_key(|s| Stage::ALL.iter().position(|x| *x == s.stage));
        self.ok = self.failure.is_none();
    }
}

impl fmt::Display for DiagnosisReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "connection diagnosis for {}: {}",
            self.url,
            if self.ok { "ok" } else { "failed" }
        )?;
        for stage in &self.stages {
            let mark = match stage.status {
                StageStatus::Passed => "pass",
                StageStatus::Failed => "FAIL",
                StageStatus::Skipped => "skip",
            };
            write!(
                f,
                "  [{mark}] {:<15} {}",
                stage.stage.to_string(),
                stage.detail
            )?;
            if stage.status != StageStatus::Skipped {
                write!(f, " ({:.1} ms)", stage.elapsed_ms)?;
            }
            writeln!(f)?;
        }
        if let Some(failure) = &self.failure {
            writeln!(f, "error {}: {}", failure.code, failure.message)?;
            writeln!(f, "hint: {}", failure.hint)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
