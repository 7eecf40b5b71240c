//! A child process's log read line by line as it is written, and a bounded wait for a line.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::mpsc;

use crate::Error;

#[cfg(test)]
mod tests;

/// The lines of one stream (e.g. a child's stderr), read by a task as they are written.
#[derive(Debug)]
pub struct LogWaiter {
    name: String,
    lines: mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
}

impl LogWaiter {
    /// Starts reading `stream` on the current tokio runtime; `name` says whose log it is in errors.
    pub fn spawn(name: &str, stream: impl AsyncRead + Unpin + Send + 'static) -> LogWaiter {
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stream).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        LogWaiter {
            name: name.to_owned(),
            lines,
            seen: Vec::new(),
        }
    }

    /// Every line received so far (see [`LogWaiter::collect`]).
    pub fn seen(&self) -> &[String] {
        &self.seen
    }

    /// Takes in the lines written so far without waiting, and returns every line seen.
    pub fn collect(&mut self) -> &[String] {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        &self.seen
    }

    /// Waits up to `timeout` for a line containing `needle` (lines seen earlier count too) and
    /// returns it.
    pub async fn wait_line(&mut self, needle: &str, timeout: Duration) -> Result<String, Error> {
        self.collect();
        if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
            return Ok(line.clone());
        }
        let found = tokio::time::timeout(timeout, async {
            while let Some(line) = self.lines.recv().await {
                self.seen.push(line.clone());
                if line.contains(needle) {
                    return Some(line);
                }
            }
            None
        })
        .await;
        let (source_name, needle, log) =
            (self.name.clone(), needle.to_owned(), self.seen.join("\n"));
        match found {
            Ok(Some(line)) => Ok(line),
            Ok(None) => Err(Error::Ended {
                source_name,
                needle,
                log,
            }),
            Err(_) => Err(Error::Timeout {
                source_name,
                needle,
                log,
            }),
        }
    }

    /// Reads until the stream ends (the process exited and closed it), waiting at most `timeout`
    /// for each line; returns every line seen.
    pub async fn drain(&mut self, timeout: Duration) -> &[String] {
        while let Ok(Some(line)) = tokio::time::timeout(timeout, self.lines.recv()).await {
            self.seen.push(line);
        }
        &self.seen
    }
}
