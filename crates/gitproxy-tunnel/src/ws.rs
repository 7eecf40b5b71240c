//! WebSocket (RFC 6455) framing adapted to a plain byte stream, so HTTP/2 can run inside it.
//!
//! Message boundaries carry no meaning in the tunnel (protocol section 2.1), so this codec never
//! reassembles messages: payload bytes of binary and continuation frames are handed to the reader as they
//! arrive, read straight into the caller's buffer and unmasked in place; each write becomes one binary
//! frame, copied and masked once, and frames are buffered until a flush (or until 256 KiB are pending), so
//! they reach TLS in one write. Text frames and protocol violations are errors; pings get pongs; a close
//! frame ends the stream.

use std::io;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Which end of the WebSocket this is: clients mask what they send, servers do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The agent (it dialed).
    Client,
    /// The hub.
    Server,
}

/// The GUID of RFC 6455 section 1.3, appended to the key to compute `Sec-WebSocket-Accept`.
const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A fresh `Sec-WebSocket-Key`: 16 random bytes, base64.
pub(crate) fn generate_key() -> String {
    use base64::Engine as _;
    let mut rng = fastrand::Rng::new();
    let bytes: [u8; 16] = std::array::from_fn(|_| rng.u8(..));
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The `Sec-WebSocket-Accept` answering `key`: base64 of SHA-1 over the key and the RFC's GUID.
pub(crate) fn accept_key(key: &[u8]) -> String {
    use base64::Engine as _;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(key);
    ctx.update(ACCEPT_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(ctx.finish().as_ref())
}

/// Pending encoded frames above which a write first pushes them to the socket (back-pressure); below it,
/// writes are only buffered and go out together on the next flush.
const WRITE_HIGH_WATER: usize = 256 << 10;
/// Largest frame payload one write produces (section 2.1: senders keep messages at or below 64 KiB).
const MAX_WRITE_FRAME: usize = 64 << 10;

const OP_CONTINUATION: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

#[derive(Debug, Clone, Copy)]
enum ReadState {
    /// Reading a frame header; `need` bytes make it complete so far.
    Header { need: usize },
    /// Delivering the payload of a data frame.
    Data {
        remaining: u64,
        mask: Option<[u8; 4]>,
        offset: usize,
    },
    /// Reading the payload of a control frame into the header buffer.
    Control {
        opcode: u8,
        len: usize,
        mask: Option<[u8; 4]>,
    },
    /// A close frame arrived or the stream ended.
    Eof,
}

/// A byte stream over a WebSocket.
pub(crate) struct WsIo<S> {
    io: S,
    role: Role,
    head: [u8; 14 + 125],
    head_len: usize,
    state: ReadState,
    out: Vec<u8>,
    out_pos: usize,
    close_sent: bool,
    /// Whether the pending flush already yielded once (see `poll_flush`).
    flush_yielded: bool,
    rng: fastrand::Rng,
}

impl<S> std::fmt::Debug for WsIo<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsIo")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("pending_out", &(self.out.len() - self.out_pos))
            .finish_non_exhaustive()
    }
}

fn protocol_error(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("websocket protocol violation: {what}"),
    )
}

/// XORs `data` with `mask`, starting at position `offset` of the mask; returns the next offset.
pub(crate) fn apply_mask(data: &mut [u8], mask: [u8; 4], offset: usize) -> usize {
    let mut rotated = [0u8; 4];
    for (i, b) in rotated.iter_mut().enumerate() {
        *b = mask[(offset + i) % 4];
    }
    let word = u64::from_ne_bytes([
        rotated[0], rotated[1], rotated[2], rotated[3], rotated[0], rotated[1], rotated[2],
        rotated[3],
    ]);
    let mut chunks = data.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut v = [0u8; 8];
        v.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u64::from_ne_bytes(v) ^ word).to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= rotated[i % 4];
    }
    (offset + data.len()) % 4
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsIo<S> {
    /// Wraps a stream that already completed the HTTP upgrade.
    pub(crate) fn new(io: S, role: Role) -> Self {
        WsIo {
            io,
            role,
            head: [0; 14 + 125],
            head_len: 0,
            state: ReadState::Header { need: 2 },
            out: Vec::new(),
            out_pos: 0,
            close_sent: false,
            flush_yielded: false,
            rng: fastrand::Rng::new(),
        }
    }

    /// Appends one frame whose payload is the first `len` bytes of the concatenation of `parts`.
    fn encode<T: Deref<Target = [u8]>>(&mut self, opcode: u8, parts: &[T], len: usize) {
        let masked = self.role == Role::Client;
        self.out.reserve(14 + len);
        self.out.push(0x80 | opcode);
        let mask_bit = if masked { 0x80 } else { 0 };
        if len < 126 {
            self.out.push(mask_bit | len as u8);
        } else if let Ok(len16) = u16::try_from(len) {
            self.out.push(mask_bit | 126);
            self.out.extend_from_slice(&len16.to_be_bytes());
        } else {
            self.out.push(mask_bit | 127);
            self.out.extend_from_slice(&(len as u64).to_be_bytes());
        }
        let mask = masked.then(|| self.rng.u32(..).to_ne_bytes());
        if let Some(mask) = mask {
            self.out.extend_from_slice(&mask);
        }
        let start = self.out.len();
        let mut left = len;
        for part in parts {
            let take = part.len().min(left);
            self.out.extend_from_slice(&part[..take]);
            left -= take;
            if left == 0 {
                break;
            }
        }
        if let Some(mask) = mask {
            apply_mask(&mut self.out[start..], mask, 0);
        }
    }

    /// Writes buffered frames to the socket.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.out_pos < self.out.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.out[self.out_pos..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out_pos += n;
        }
        self.out.clear();
        self.out_pos = 0;
        if self.out.capacity() > 4 * WRITE_HIGH_WATER {
            self.out.shrink_to(WRITE_HIGH_WATER);
        }
        Poll::Ready(Ok(()))
    }

    fn write_parts<T: Deref<Target = [u8]>>(
        &mut self,
        cx: &mut Context<'_>,
        parts: &[T],
    ) -> Poll<io::Result<usize>> {
        if self.close_sent {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "websocket already closed",
            )));
        }
        if self.out.len() - self.out_pos >= WRITE_HIGH_WATER {
            ready!(self.poll_drain(cx))?;
        }
        // Whole slices up to the frame cap (at least part of the first one).
        let total = parts
            .iter()
            .map(|p| p.len())
            .sum::<usize>()
            .min(MAX_WRITE_FRAME);
        if total == 0 {
            return Poll::Ready(Ok(0));
        }
        // Buffered only: HTTP/2 flushes after each batch of frames, so the frames of one batch reach TLS in
        // one write (full records, one syscall) instead of one write each.
        self.encode(OP_BINARY, parts, total);
        Poll::Ready(Ok(total))
    }

    /// Reads into the header buffer up to `need` bytes; `false` at end of stream.
    fn poll_fill_head(&mut self, cx: &mut Context<'_>, need: usize) -> Poll<io::Result<bool>> {
        while self.head_len < need {
            let mut buf = ReadBuf::new(&mut self.head[self.head_len..need]);
            ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf))?;
            let n = buf.filled().len();
            if n == 0 {
                return Poll::Ready(Ok(false));
            }
            self.head_len += n;
        }
        Poll::Ready(Ok(true))
    }

    /// Parses a complete-so-far header; returns the next state.
    fn parse_header(&self, need: usize) -> io::Result<ReadState> {
        let b0 = self.head[0];
        let b1 = self.head[1];
        if b0 & 0x70 != 0 {
            return Err(protocol_error("reserved bits set"));
        }
        let opcode = b0 & 0x0F;
        let masked = b1 & 0x80 != 0;
        let len7 = b1 & 0x7F;
        let ext = match len7 {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let full = 2 + ext + if masked { 4 } else { 0 };
        if need < full {
            return Ok(ReadState::Header { need: full });
        }
        match (self.role, masked) {
            (Role::Server, false) => return Err(protocol_error("unmasked frame from a client")),
            (Role::Client, true) => return Err(protocol_error("masked frame from a server")),
            _ => {}
        }
        let len = match ext {
            0 => u64::from(len7),
            2 => u64::from(u16::from_be_bytes([self.head[2], self.head[3]])),
            _ => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&self.head[2..10]);
                u64::from_be_bytes(b)
            }
        };
        let mask = masked.then(|| {
            let m = &self.head[2 + ext..2 + ext + 4];
            [m[0], m[1], m[2], m[3]]
        });
        match opcode {
            OP_BINARY | OP_CONTINUATION => Ok(ReadState::Data {
                remaining: len,
                mask,
                offset: 0,
            }),
            OP_TEXT => Err(protocol_error(
                "text message on the tunnel; only binary messages are allowed",
            )),
            OP_CLOSE | OP_PING | OP_PONG => {
                if b0 & 0x80 == 0 || len > 125 {
                    return Err(protocol_error("fragmented or oversized control frame"));
                }
                Ok(ReadState::Control {
                    opcode,
                    len: len as usize,
                    mask,
                })
            }
            _ => Err(protocol_error("unknown opcode")),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for WsIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            match this.state {
                ReadState::Eof => return Poll::Ready(Ok(())),
                ReadState::Header { need } => {
                    if !ready!(this.poll_fill_head(cx, need))? {
                        this.state = ReadState::Eof;
                        continue;
                    }
                    this.state = this.parse_header(need)?;
                    if !matches!(this.state, ReadState::Header { .. }) {
                        this.head_len = 0;
                    }
                }
                ReadState::Data { remaining: 0, .. } => this.state = ReadState::Header { need: 2 },
                ReadState::Data {
                    remaining,
                    mask,
                    offset,
                } => {
                    if buf.remaining() == 0 {
                        return Poll::Ready(Ok(()));
                    }
                    let limit = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(buf.remaining());
                    // Read the payload straight into the caller's buffer, unmask in place.
                    let dst = buf.initialize_unfilled_to(limit);
                    let mut tmp = ReadBuf::new(dst);
                    ready!(Pin::new(&mut this.io).poll_read(cx, &mut tmp))?;
                    let n = tmp.filled().len();
                    if n == 0 {
                        // The stream ended inside a frame: the peer is gone.
                        this.state = ReadState::Eof;
                        continue;
                    }
                    let next = match mask {
                        Some(mask) => apply_mask(&mut dst[..n], mask, offset),
                        None => 0,
                    };
                    buf.advance(n);
                    this.state = ReadState::Data {
                        remaining: remaining - n as u64,
                        mask,
                        offset: next,
                    };
                    return Poll::Ready(Ok(()));
                }
                ReadState::Control { opcode, len, mask } => {
                    if !ready!(this.poll_fill_head(cx, len))? {
                        this.state = ReadState::Eof;
                        continue;
                    }
                    let mut payload = [0u8; 125];
                    payload[..len].copy_from_slice(&this.head[..len]);
                    if let Some(mask) = mask {
                        apply_mask(&mut payload[..len], mask, 0);
                    }
                    this.head_len = 0;
                    this.state = ReadState::Header { need: 2 };
                    match opcode {
                        OP_PING if !this.close_sent => {
                            this.encode(OP_PONG, &[&payload[..len]], len);
                            // Best effort now; the next write or flush finishes it.
                            if let Poll::Ready(Err(e)) = this.poll_drain(cx) {
                                return Poll::Ready(Err(e));
                            }
                        }
                        OP_CLOSE => this.state = ReadState::Eof,
                        _ => {}
                    }
                }
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for WsIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_parts(cx, &[buf])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_parts(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // Yield once before writing: HTTP/2 sends a request's HEADERS, then its body from another task a
        // moment later, and a stream's DATA frames one flush each; tasks that are ready add their frames
        // meanwhile, and one write carries them all.
        if this.out.len() > this.out_pos && !this.flush_yielded {
            this.flush_yielded = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.flush_yielded = false;
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.close_sent {
            // Close frame, status 1000 (normal closure).
            this.encode(OP_CLOSE, &[&1000u16.to_be_bytes()[..]], 2);
            this.close_sent = true;
        }
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests;
