//! A streamed 256 MiB response arrives intact with back-pressure while small operations on the same
//! connection keep a low latency (no head-of-line starvation).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use gitproxy_tunnel::ops::{ByteSequence, ByteSequenceChecker, Echo, StreamBytes};
use gitproxy_tunnel::{OpCall, OpResponse, OpSpec, Router};

use crate::support::{agent_config, start_agent, start_hub, Pki, TENANT};

const LEN: u64 = 256 << 20;
const SEED: u64 = 0x5eed;

/// `test.counted-stream`: the `stream.bytes` sequence, counting what the agent produced so far.
fn counting_router(produced: Arc<AtomicU64>) -> Router {
    Router::new().raw(OpSpec::new("test.counted-stream", false), move |req| {
        let produced = produced.clone();
        async move {
            let op: StreamBytes = req.json().await?;
            let mut seq = ByteSequence::new(op.seed, op.len);
            let stream = futures_util::stream::poll_fn(move |_| {
                let chunk = seq.next_chunk(64 << 10);
                if let Some(chunk) = &chunk {
                    produced.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                }
                std::task::Poll::Ready(chunk.map(Ok::<Bytes, std::io::Error>))
            });
            Ok(OpResponse::stream("application/octet-stream", stream))
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_256_mib_stream_arrives_intact_while_small_operations_stay_fast() {
    let pki = Pki::new("stream ca").expect("ca");
    let hub = start_hub(&pki).await;
    let produced = Arc::new(AtomicU64::new(0));
    let agent = start_agent(
        &hub,
        agent_config(&pki, hub.local_addr(), "streamer").connections(1),
        counting_router(produced.clone()),
        1,
    )
    .await;

    let call = OpCall::raw(
        "test.counted-stream",
        "application/json",
        serde_json::to_vec(&StreamBytes {
            len: LEN,
            seed: SEED,
        })
        .expect("json"),
    );
    let mut reply = hub.send(TENANT, call).await.expect("stream starts");
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));

    // Small operations on the same (only) connection while the stream flows.
    let small = {
        let done = done.clone();
        let hub = &hub;
        async move {
            let mut latencies = Vec::new();
            while !done.load(Ordering::SeqCst) {
                let started = Instant::now();
                let res = hub
                    .call(
                        TENANT,
                        &Echo {
                            message: "ping".into(),
                        },
                    )
                    .await
                    .expect("small op during the stream");
                assert_eq!(res.message, "ping");
                latencies.push(started.elapsed());
            }
            latencies
        }
    };
    let stream_started = Instant::now();
    let receive = async {
        let mut checker = ByteSequenceChecker::new(SEED, LEN);
        let mut max_lag = 0u64;
        while let Some(chunk) = reply.body.chunk().await {
            let chunk = chunk.expect("chunk");
            assert!(
                checker.feed(&chunk),
                "byte mismatch at {}",
                checker.received()
            );
            let lag = produced.load(Ordering::SeqCst) - checker.received();
            max_lag = max_lag.max(lag);
        }
        done.store(true, Ordering::SeqCst);
        assert!(
            checker.is_complete(),
            "stream ended early at {}",
            checker.received()
        );
        max_lag
    };
    let (max_lag, mut latencies) = tokio::join!(receive, small);
    let stream_took = stream_started.elapsed();

    // Back-pressure: the agent never ran far ahead of the reader (windows and buffers only, not 256 MiB).
    assert!(
        max_lag < 48 << 20,
        "agent produced {max_lag} bytes ahead of the reader"
    );
    assert!(
        latencies.len() >= 5,
        "only {} small operations completed",
        latencies.len()
    );
    latencies.sort();
    let p50 = latencies[latencies.len() / 2];
    let max = *latencies.last().expect("latencies");
    // Starvation would make small operations wait for the stream to finish; the bound is relative to the
    // stream's own duration so a slow or loaded machine does not matter.
    assert!(
        p50 * 8 < stream_took && max * 2 < stream_took,
        "small operations starved: p50 {p50:?}, max {max:?} over {} calls during a {stream_took:?} stream",
        latencies.len()
    );
    agent.shutdown().await;
    hub.shutdown().await;
}
