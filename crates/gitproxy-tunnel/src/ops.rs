//! The typed operation catalogue (section 6.3 of the protocol): request and response types addressed by name.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// A typed operation: its request is `Self`, its JSON response is [`Operation::Response`].
///
/// Operations are versioned by name: an incompatible change makes a new name (`foo.v2`). Mutating
/// operations always carry an idempotency key (the hub adds one when the caller gives none).
pub trait Operation: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The wire name, `[a-z0-9._-]`, starting with a letter.
    const NAME: &'static str;
    /// Whether the operation changes something (and so needs an idempotency key).
    const MUTATING: bool = false;
    /// The JSON response type. Streamed operations use `()` and are called with `Hub::call_stream`.
    type Response: Serialize + DeserializeOwned + Send + 'static;
}

/// `agent.info`: who is at the other end of this connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentInfo {}

/// Response of [`AgentInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentInfoResponse {
    /// The agent's id.
    pub agent_id: String,
    /// The agent's version.
    pub version: String,
    /// The connection that served the call.
    pub connection_index: u32,
    /// Every operation the agent serves.
    pub capabilities: Vec<String>,
    /// Milliseconds since the agent started.
    pub uptime_ms: u64,
}

impl Operation for AgentInfo {
    const NAME: &'static str = "agent.info";
    type Response = AgentInfoResponse;
}

/// `echo`: returns its message (tests, demo, benchmarks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Echo {
    /// The message to send back.
    pub message: String,
}

/// Response of [`Echo`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EchoResponse {
    /// The message that was sent.
    pub message: String,
}

impl Operation for Echo {
    const NAME: &'static str = "echo";
    type Response = EchoResponse;
}

/// `stream.bytes`: streams `len` bytes of the xorshift64 sequence seeded with `seed` (tests, benchmarks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamBytes {
    /// How many bytes to stream.
    pub len: u64,
    /// Seed of the sequence; both ends can regenerate it to check the bytes.
    pub seed: u64,
}

impl Operation for StreamBytes {
    const NAME: &'static str = "stream.bytes";
    type Response = ();
}

/// The deterministic byte sequence of [`StreamBytes`], generated lazily chunk by chunk: byte `i` is byte
/// `i % 8` (little-endian) of the `i / 8`-th output of xorshift64, whatever the chunk sizes.
#[derive(Debug, Clone)]
pub struct ByteSequence {
    state: u64,
    word: [u8; 8],
    used: usize,
    remaining: u64,
}

impl ByteSequence {
    /// A sequence of `len` bytes from `seed` (a zero seed is replaced by a fixed non-zero one).
    pub fn new(seed: u64, len: u64) -> Self {
        ByteSequence {
            state: if seed == 0 {
                0x9e37_79b9_7f4a_7c15
            } else {
                seed
            },
            word: [0; 8],
            used: 8,
            remaining: len,
        }
    }

    /// Bytes not yet produced.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    fn next_word(&mut self) -> [u8; 8] {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x.to_le_bytes()
    }

    /// Fills `buf` with the next bytes (as many as remain, at most `buf.len()`), returning how many.
    pub fn fill(&mut self, buf: &mut [u8]) -> usize {
        let n = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let mut out = &mut buf[..n];
        // The rest of a partly used word first.
        let head = (8 - self.used).min(out.len());
        out[..head].copy_from_slice(&self.word[self.used..self.used + head]);
        self.used += head;
        out = &mut out[head..];
        let mut words = out.chunks_exact_mut(8);
        for chunk in &mut words {
            let word = self.next_word();
            chunk.copy_from_slice(&word);
        }
        let tail = words.into_remainder();
        if !tail.is_empty() {
            self.word = self.next_word();
            let len = tail.len();
            tail.copy_from_slice(&self.word[..len]);
            self.used = len;
        }
        self.remaining -= n as u64;
        n
    }

    /// The next chunk of at most `max` bytes, or `None` at the end.
    pub fn next_chunk(&mut self, max: usize) -> Option<bytes::Bytes> {
        if self.remaining == 0 {
            return None;
        }
        let mut buf = vec![0u8; max.min(usize::try_from(self.remaining).unwrap_or(max))];
        let n = self.fill(&mut buf);
        buf.truncate(n);
        Some(buf.into())
    }
}

/// Checks received bytes against a [`ByteSequence`] incrementally, whatever the chunk boundaries.
#[derive(Debug, Clone)]
pub struct ByteSequenceChecker {
    seq: ByteSequence,
    pending: Vec<u8>,
    pending_pos: usize,
    received: u64,
}

impl ByteSequenceChecker {
    /// A checker for `len` bytes from `seed`.
    pub fn new(seed: u64, len: u64) -> Self {
        ByteSequenceChecker {
            seq: ByteSequence::new(seed, len),
            pending: Vec::new(),
            pending_pos: 0,
            received: 0,
        }
    }

    /// Feeds received bytes; `false` as soon as one differs or there are too many.
    pub fn feed(&mut self, mut data: &[u8]) -> bool {
        self.received += data.len() as u64;
        while !data.is_empty() {
            if self.pending_pos == self.pending.len() {
                // Regenerate in 8-byte-aligned blocks so chunk boundaries do not matter.
                self.pending.resize(64 * 1024, 0);
                let n = self.seq.fill(&mut self.pending);
                if n == 0 {
                    return false;
                }
                self.pending.truncate(n);
                self.pending_pos = 0;
            }
            let take = data.len().min(self.pending.len() - self.pending_pos);
            if data[..take] != self.pending[self.pending_pos..self.pending_pos + take] {
                return false;
            }
            self.pending_pos += take;
            data = &data[take..];
        }
        true
    }

    /// Bytes fed so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Whether exactly the whole sequence was fed.
    pub fn is_complete(&self) -> bool {
        self.seq.remaining() == 0 && self.pending_pos == self.pending.len()
    }
}

#[cfg(test)]
mod tests;
