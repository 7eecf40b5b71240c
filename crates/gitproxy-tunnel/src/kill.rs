//! A byte stream that can be cut from outside: the hub uses it to close an agent's tunnel at once, failing
//! the calls in flight on it (HTTP/2 would otherwise keep a connection open while streams are active).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Cuts every [`Killable`] stream made with it.
#[derive(Debug, Default)]
pub(crate) struct KillSwitch {
    killed: AtomicBool,
    read: AtomicWaker,
    write: AtomicWaker,
}

impl KillSwitch {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// From now on reads and writes fail; pending ones are woken to see it.
    pub(crate) fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        self.read.wake();
        self.write.wake();
    }

    fn check(&self, waker: &AtomicWaker, cx: &Context<'_>) -> io::Result<()> {
        waker.register(cx.waker());
        if self.killed.load(Ordering::SeqCst) {
            Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection closed by the hub",
            ))
        } else {
            Ok(())
        }
    }
}

/// A stream that fails once its [`KillSwitch`] is thrown.
#[derive(Debug)]
pub(crate) struct Killable<S> {
    io: S,
    switch: Arc<KillSwitch>,
}

impl<S> Killable<S> {
    pub(crate) fn new(io: S, switch: Arc<KillSwitch>) -> Self {
        Killable { io, switch }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Killable<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.switch.check(&this.switch.read, cx)?;
        Pin::new(&mut this.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Killable<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.switch.check(&this.switch.write, cx)?;
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.switch.check(&this.switch.write, cx)?;
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.switch.check(&this.switch.write, cx)?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
