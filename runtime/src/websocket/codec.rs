//! The framing of one connection, as the pump and the join both use it:
//! fastwebsockets' two halves over a connection whose reads are followed
//! frame by frame ([`Followed`]: the message size limit over fragments and
//! RFC 6455's masking rule), sharing it through a `RefCell` that each poll
//! borrows for its own length (the halves run in one task, so the borrows
//! never meet: no lock, no `BiLock`).

use std::cell::RefCell;
use std::pin::Pin;
use std::task::{Context, Poll};

use fastwebsockets::{after_handshake_split, FragmentCollectorRead, WebSocketWrite};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::frames::{Boundary, Followed};
use super::MAX_MESSAGE_BYTES;

/// Which end of a connection this side is.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Role {
    /// The server's: the peer masks its frames.
    Server,
    /// The client's: this end masks its frames.
    Client,
}

/// `io` (with `prefix`, bytes already read from it, first) followed frame
/// by frame for a side playing `role`: messages of at most
/// [`MAX_MESSAGE_BYTES`], masked as the peer's role requires.
pub(crate) fn followed<S>(io: S, prefix: Vec<u8>, role: Role) -> RefCell<Followed<S>> {
    let boundary = Boundary::new(MAX_MESSAGE_BYTES, role == Role::Server);
    RefCell::new(Followed::new(io, prefix, boundary))
}

/// The reading half (whole messages, fragments put together) and the
/// writing half of the codec over `io`, for a side playing `role`.
pub(crate) fn split<S>(
    io: &RefCell<Followed<S>>,
    role: Role,
) -> (
    FragmentCollectorRead<Shared<'_, S>>,
    WebSocketWrite<Shared<'_, S>>,
)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let codec_role = match role {
        Role::Server => fastwebsockets::Role::Server,
        Role::Client => fastwebsockets::Role::Client,
    };
    let (mut read, write) = after_handshake_split(Shared(io), Shared(io), codec_role);
    // The codec limits one frame to one byte over the limit (it refuses a
    // frame of its limit or more); the boundary limits whole messages.
    read.set_max_message_size(MAX_MESSAGE_BYTES + 1);
    // (The writer puts a frame of up to 1 KiB together in a small buffer
    // it keeps; a larger one goes out as its header and the payload
    // itself, one vectored write: no buffer grows to the largest message.)
    (FragmentCollectorRead::new(read), write)
}

/// The connection as both halves of the codec use it.
pub(crate) struct Shared<'a, S>(pub(crate) &'a RefCell<Followed<S>>);

impl<S: AsyncRead + Unpin> AsyncRead for Shared<'_, S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Shared<'_, S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.borrow().is_write_vectored()
    }
}
