//! Logging setup: JSON lines in a pod, readable lines on a terminal, always on stderr so command
//! output on stdout stays clean for scripts; the log settings' values are checked here.

use std::io::IsTerminal as _;
use std::str::FromStr;

use tracing_subscriber::EnvFilter;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogFormat {
    /// One JSON object per line (the default in a pod).
    Json,
    /// Readable lines (the default on a terminal).
    Text,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(value: &str) -> Result<LogFormat, String> {
        match value.trim() {
            "json" => Ok(LogFormat::Json),
            "text" => Ok(LogFormat::Text),
            other => Err(format!("`{other}` is not a log format; use json or text")),
        }
    }
}

/// A log filter, trimmed, if `tracing` accepts it.
pub(crate) fn check_filter(value: &str) -> Result<String, String> {
    let filter = value.trim();
    match EnvFilter::try_new(filter) {
        Ok(_) => Ok(filter.to_owned()),
        Err(e) => Err(format!(
            "`{filter}` is not a log filter ({e}); use e.g. info or gitproxy=debug"
        )),
    }
}

/// Installs the subscriber for the process. Text lines are coloured only when stderr is a terminal.
pub(crate) fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
