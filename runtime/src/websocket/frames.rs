//! Where a socket's incoming bytes stand between frames: a reader wrapper
//! that follows the frame headers (parsed by tungstenite) of what the codec
//! reads, so that the pump knows when the codec holds nothing but complete
//! messages it already returned, and may be dropped (the socket parked)
//! and made again later without losing a byte.
//!
//! Following the headers also enforces what the codec (fastwebsockets)
//! leaves to its user: a message's size over all its fragments (the codec
//! limits one frame), and the masking rule of RFC 6455 (a client masks
//! every frame, a server none). Bytes that break either are an error of
//! the read that brought them, before the codec buffers a fragment more.

use std::io::Cursor;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;

/// The longest frame header (RFC 6455: 2 + 8 bytes of length + 4 of mask).
const MAX_HEADER: usize = 14;

/// The position in the stream of frames.
#[derive(Debug, Clone)]
pub(crate) struct Boundary {
    /// The bytes of a header read so far.
    head: [u8; MAX_HEADER],
    have: usize,
    /// Payload bytes of the current frame still to come.
    payload_left: u64,
    /// A fragmented message is under way (its last data frame was not
    /// final).
    in_message: bool,
    /// The payload bytes of the message under way, over its frames.
    message_bytes: u64,
    /// The largest message allowed.
    limit: u64,
    /// A message went over `limit`.
    too_large: bool,
    /// Whether the peer's frames must be masked (the peer is a client).
    masked: bool,
    /// The bytes were not frames, or broke the masking rule.
    broken: bool,
}

impl Boundary {
    /// The start of a stream whose messages may be `limit` bytes, from a
    /// peer that masks its frames (`masked`: a client) or not.
    pub(crate) fn new(limit: usize, masked: bool) -> Self {
        Self {
            head: [0; MAX_HEADER],
            have: 0,
            payload_left: 0,
            in_message: false,
            message_bytes: 0,
            limit: limit as u64,
            too_large: false,
            masked,
            broken: false,
        }
    }

    /// Follows `bytes`, the next bytes the codec read.
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() && !self.broken && !self.too_large {
            if self.payload_left > 0 {
                let n = bytes
                    .len()
                    .min(usize::try_from(self.payload_left).unwrap_or(usize::MAX));
                self.payload_left -= n as u64;
                bytes = &bytes[n..];
                continue;
            }
            let take = bytes.len().min(MAX_HEADER - self.have);
            self.head[self.have..self.have + take].copy_from_slice(&bytes[..take]);
            let mut cursor = Cursor::new(&self.head[..self.have + take]);
            match FrameHeader::parse(&mut cursor) {
                Ok(Some((header, length))) => {
                    let used = cursor.position() as usize - self.have;
                    bytes = &bytes[used..];
                    self.have = 0;
                    self.payload_left = length;
                    if header.mask.is_some() != self.masked {
                        self.broken = true;
                    }
                    if let OpCode::Data(data) = header.opcode {
                        self.message_bytes = match data {
                            Data::Continue => self.message_bytes.saturating_add(length),
                            _ => length,
                        };
                        self.too_large |= self.message_bytes > self.limit;
                        self.in_message = match data {
                            Data::Continue => self.in_message && !header.is_final,
                            _ => !header.is_final,
                        };
                    }
                }
                Ok(None) if self.have + take < MAX_HEADER => {
                    self.have += take;
                    bytes = &bytes[take..];
                }
                _ => self.broken = true,
            }
        }
    }

    /// Whether every byte read so far belongs to a complete frame and no
    /// fragmented message is under way.
    pub(crate) fn at_rest(&self) -> bool {
        !self.broken
            && !self.too_large
            && self.have == 0
            && self.payload_left == 0
            && !self.in_message
    }

    /// Whether a message went over the limit.
    pub(crate) fn too_large(&self) -> bool {
        self.too_large
    }
}

/// A stream whose reads are followed by a [`Boundary`], and that first
/// hands out the bytes read before it was made (`prefix`).
#[derive(Debug)]
pub(crate) struct Followed<S> {
    pub(crate) io: S,
    pub(crate) boundary: Boundary,
    prefix: Vec<u8>,
}

impl<S> Followed<S> {
    pub(crate) fn new(io: S, prefix: Vec<u8>, boundary: Boundary) -> Self {
        Self {
            io,
            boundary,
            prefix,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Followed<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = if this.prefix.is_empty() {
            Pin::new(&mut this.io).poll_read(cx, buf)
        } else {
            let n = this.prefix.len().min(buf.remaining());
            buf.put_slice(&this.prefix[..n]);
            this.prefix.drain(..n);
            Poll::Ready(Ok(()))
        };
        if let Poll::Ready(Ok(())) = polled {
            this.boundary.feed(&buf.filled()[before..]);
            if this.boundary.too_large {
                return Poll::Ready(Err(std::io::Error::other("a message over the limit")));
            }
            if this.boundary.broken {
                return Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "not WebSocket frames, or frames masked against RFC 6455",
                )));
            }
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Followed<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;

    /// The bytes of `frame`, masked as a client's are.
    fn bytes(mut frame: Frame) -> Vec<u8> {
        frame.header_mut().mask = Some([1, 2, 3, 4]);
        let mut out = Vec::new();
        frame.format(&mut out).unwrap();
        out
    }

    fn text(payload: &str, is_final: bool, first: bool) -> Vec<u8> {
        let opcode = if first { Data::Text } else { Data::Continue };
        bytes(Frame::message(
            payload.as_bytes().to_vec(),
            OpCode::Data(opcode),
            is_final,
        ))
    }

    #[test]
    fn complete_frames_fed_a_byte_at_a_time_or_at_once_leave_it_at_rest() {
        let frames = [
            text("hello", true, true),
            bytes(Frame::ping(vec![9; 3])),
            text(&"x".repeat(300), true, true),
            text(&"y".repeat(70_000), true, true),
        ];
        let mut stream = Vec::new();
        let mut ends = std::collections::HashSet::new();
        for frame in &frames {
            stream.extend_from_slice(frame);
            ends.insert(stream.len());
        }
        let mut whole = Boundary::new(1 << 20, true);
        whole.feed(&stream);
        assert!(whole.at_rest());
        let mut bytewise = Boundary::new(1 << 20, true);
        for (i, b) in stream.iter().enumerate() {
            bytewise.feed(std::slice::from_ref(b));
            // At rest exactly where a frame ends.
            assert_eq!(
                bytewise.at_rest(),
                ends.contains(&(i + 1)),
                "after byte {i}"
            );
        }
    }

    #[test]
    fn a_partial_frame_or_an_unfinished_fragmented_message_is_not_at_rest() {
        let frame = text("hello", true, true);
        let mut b = Boundary::new(1 << 20, true);
        b.feed(&frame[..1]);
        assert!(!b.at_rest(), "half a header");
        b.feed(&frame[1..frame.len() - 1]);
        assert!(!b.at_rest(), "a payload byte missing");
        b.feed(&frame[frame.len() - 1..]);
        assert!(b.at_rest());
        // A fragmented message: not at rest until its final continuation,
        // even with a control frame between.
        b.feed(&text("hel", false, true));
        assert!(!b.at_rest());
        b.feed(&bytes(Frame::ping(Vec::new())));
        assert!(!b.at_rest());
        b.feed(&text("lo", true, false));
        assert!(b.at_rest());
        // Bytes that are no frame never count as at rest.
        b.feed(&[0x8f, 0x80, 0, 0, 0, 0]);
        assert!(!b.at_rest());
    }

    #[test]
    fn a_message_over_the_limit_in_fragments_or_an_unmasked_client_frame_is_caught() {
        // Fragments under the limit each, over it together.
        let mut b = Boundary::new(100, true);
        b.feed(&text(&"a".repeat(60), false, true));
        assert!(!b.too_large());
        b.feed(&bytes(Frame::ping(Vec::new())));
        b.feed(&text(&"b".repeat(60), true, false));
        assert!(b.too_large() && !b.at_rest());
        // A message of exactly the limit is not over it; the next message
        // counts afresh.
        let mut b = Boundary::new(100, true);
        b.feed(&text(&"a".repeat(50), false, true));
        b.feed(&text(&"b".repeat(50), true, false));
        b.feed(&text(&"c".repeat(100), true, true));
        assert!(!b.too_large() && b.at_rest());
        // A client's frame must be masked, a server's must not.
        let unmasked = {
            let mut out = Vec::new();
            Frame::message(b"hi".to_vec(), OpCode::Data(Data::Text), true)
                .format(&mut out)
                .unwrap();
            out
        };
        let mut from_client = Boundary::new(100, true);
        from_client.feed(&unmasked);
        assert!(!from_client.at_rest());
        let mut from_server = Boundary::new(100, false);
        from_server.feed(&unmasked);
        assert!(from_server.at_rest());
        from_server.feed(&text("masked", true, true));
        assert!(!from_server.at_rest());
    }
}
