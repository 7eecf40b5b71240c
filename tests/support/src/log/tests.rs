//! Tests of the log waiter: it finds a line written later, remembers earlier ones, and is bounded.

use std::time::Duration;

use tokio::io::AsyncWriteExt as _;

use super::LogWaiter;
use crate::Error;

#[tokio::test]
async fn waits_for_a_line_written_later_and_keeps_every_line() {
    let (mut writer, reader) = tokio::io::duplex(64);
    let mut log = LogWaiter::spawn("the writer", reader);
    writer.write_all(b"starting\n").await.expect("write");
    let wait = tokio::spawn(async move {
        let line = log
            .wait_line("ready", Duration::from_secs(10))
            .await
            .expect("ready line");
        (line, log)
    });
    writer
        .write_all(b"listening; ready at 1\n")
        .await
        .expect("write");
    let (line, mut log) = wait.await.expect("join");
    assert_eq!(line, "listening; ready at 1");
    // An earlier line is found without waiting.
    assert_eq!(
        log.wait_line("starting", Duration::ZERO)
            .await
            .expect("seen"),
        "starting"
    );
    writer.write_all(b"bye\n").await.expect("write");
    drop(writer);
    assert_eq!(
        log.drain(Duration::from_secs(10)).await,
        ["starting", "listening; ready at 1", "bye"]
    );
}

#[tokio::test]
async fn an_ended_stream_and_a_timeout_are_errors_with_the_log() {
    let (mut writer, reader) = tokio::io::duplex(64);
    let mut log = LogWaiter::spawn("the writer", reader);
    writer.write_all(b"only line\n").await.expect("write");
    let err = log
        .wait_line("never", Duration::from_millis(50))
        .await
        .expect_err("times out");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("only line"), "{err}");
    drop(writer);
    let err = log
        .wait_line("never", Duration::from_secs(10))
        .await
        .expect_err("ends");
    assert!(matches!(err, Error::Ended { .. }), "{err}");
    assert_eq!(log.collect(), ["only line"]);
}
