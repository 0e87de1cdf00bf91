//! Bodies of requests and responses: whole bytes, or a stream of chunks that
//! is produced while it is consumed.
//!
//! A [`Body`] is what [`FetchRequest`](crate::FetchRequest) and
//! [`FetchResponse`](crate::FetchResponse) carry. Small bodies stay whole
//! ([`Body::as_bytes`]); a body from a socket or from a Worker's
//! `ReadableStream` is a stream ([`Body::from_stream`], [`Body::channel`]).
//! `Body` implements [`http_body::Body`], so hyper can send it as it is, and
//! [`Body::collect`] gathers any body into one buffer.

use std::fmt;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use http_body::{Frame, SizeHint};
use parking_lot::Mutex;
use tokio::sync::mpsc;

/// Why a streamed body ended before it was complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BodyError {
    message: String,
    client: bool,
    unavailable: bool,
}

impl BodyError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            client: false,
            unavailable: false,
        }
    }

    /// A response body the runtime ended because its isolate went away
    /// (evicted for a limit, or stopped): the Worker is unavailable, rather
    /// than its code having failed.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self {
            unavailable: true,
            ..Self::new(message)
        }
    }

    /// Whether the body ended because its isolate went away.
    pub fn is_unavailable(&self) -> bool {
        self.unavailable
    }

    /// A request body that failed through its client's fault (malformed,
    /// too slow, too large): a Worker whose read fails with it is not to
    /// blame, and an exception that follows is not logged as its error.
    pub fn client(message: impl Into<String>) -> Self {
        Self {
            client: true,
            ..Self::new(message)
        }
    }

    /// Whether the client that sent the body is to blame.
    pub fn is_client(&self) -> bool {
        self.client
    }
}

/// A stream of body chunks.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, BodyError>> + Send + 'static>>;

/// A request or response body: whole bytes or a stream of chunks.
#[derive(Default)]
pub struct Body {
    inner: Inner,
}

enum Inner {
    Full(Bytes),
    /// A whole body in the pieces it was read in (at least two, none
    /// empty): the isolate copies them straight into one buffer.
    Chunks(Vec<Bytes>),
    Stream(BodyStream),
}

impl Default for Inner {
    fn default() -> Self {
        Inner::Full(Bytes::new())
    }
}

impl Body {
    /// An empty body.
    pub fn empty() -> Self {
        Self::default()
    }

    /// A body of the chunks `stream` yields; an `Err` item ends it with an error.
    pub fn from_stream(
        stream: impl Stream<Item = Result<Bytes, BodyError>> + Send + 'static,
    ) -> Self {
        Self {
            inner: Inner::Stream(Box::pin(stream)),
        }
    }

    /// A streamed body fed through the returned sender, which holds up to
    /// `capacity` chunks before [`BodySender::send`] waits for the consumer.
    /// If the sender is dropped without [`BodySender::finish`], the body ends
    /// with an error, never as if it were complete.
    pub fn channel(capacity: usize) -> (BodySender, Body) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let shared = Arc::new(Shared::default());
        let body = Body::from_stream(ChannelStream {
            rx,
            shared: shared.clone(),
            ended: false,
        });
        (BodySender { tx, shared }, body)
    }

    /// A whole body of the pieces it was read in, without joining them
    /// (empty pieces are left out).
    pub fn from_chunks(chunks: Vec<Bytes>) -> Self {
        let mut chunks: Vec<Bytes> = chunks.into_iter().filter(|c| !c.is_empty()).collect();
        let inner = match chunks.len() {
            0 => Inner::Full(Bytes::new()),
            1 => Inner::Full(chunks.remove(0)),
            _ => Inner::Chunks(chunks),
        };
        Self { inner }
    }

    /// The bytes of a whole body in one piece; `None` for a streamed one
    /// and for one kept in pieces ([`Body::as_chunks`]).
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match &self.inner {
            Inner::Full(b) => Some(b),
            Inner::Chunks(_) | Inner::Stream(_) => None,
        }
    }

    /// The pieces of a whole body (one for a body in one piece, none or one
    /// empty piece for an empty one); `None` for a streamed one.
    pub fn as_chunks(&self) -> Option<&[Bytes]> {
        match &self.inner {
            Inner::Full(b) => Some(std::slice::from_ref(b)),
            Inner::Chunks(c) => Some(c),
            Inner::Stream(_) => None,
        }
    }

    /// The value a whole body hands JavaScript — `null` when it is empty,
    /// its bytes, or its pieces (which the engine joins) — if it is whole
    /// and at most `max` bytes long; else the body itself, to be streamed.
    /// Bytes in one piece that no one else holds become the value without
    /// a copy.
    pub(crate) fn into_whole_value(self, max: usize) -> Result<motu_engine::HostValue, Self> {
        use motu_engine::HostValue;
        match self.inner {
            Inner::Full(b) if b.is_empty() => Ok(HostValue::Null),
            Inner::Full(b) if b.len() <= max => Ok(HostValue::Bytes(Vec::from(b))),
            Inner::Chunks(c) if c.iter().map(Bytes::len).sum::<usize>() <= max => {
                Ok(HostValue::Chunks(c))
            }
            inner => Err(Self { inner }),
        }
    }

    /// Whether the body is streamed (its length is not known in advance).
    pub fn is_stream(&self) -> bool {
        matches!(self.inner, Inner::Stream(_))
    }

    /// The body as a stream of chunks (a whole body is one chunk, or none
    /// when empty).
    pub fn into_stream(self) -> BodyStream {
        match self.inner {
            Inner::Stream(s) => s,
            Inner::Full(b) if b.is_empty() => Box::pin(futures::stream::empty()),
            Inner::Full(b) => Box::pin(futures::stream::once(async move { Ok(b) })),
            Inner::Chunks(c) => Box::pin(futures::stream::iter(c.into_iter().map(Ok))),
        }
    }

    /// Gathers the whole body.
    pub async fn collect(self) -> Result<Bytes, BodyError> {
        match self.inner {
            Inner::Full(b) => Ok(b),
            Inner::Chunks(c) => Ok(Bytes::from(c.concat())),
            Inner::Stream(mut s) => {
                let mut out = BytesMut::new();
                while let Some(chunk) = s.next().await {
                    out.extend_from_slice(&chunk?);
                }
                Ok(out.freeze())
            }
        }
    }
}

/// Gives back a body that was handed on but never read; see [`Body::share`].
pub struct BodyReclaim(ReclaimInner);

enum ReclaimInner {
    Full(Arc<Mutex<Option<Body>>>),
    Stream(Arc<Mutex<Option<BodyStream>>>),
}

impl BodyReclaim {
    /// The body, if whoever got the shared one never started reading it
    /// (for a whole body: never said [`BodyTaken::taken`]).
    pub fn reclaim(self) -> Option<Body> {
        match self.0 {
            ReclaimInner::Full(slot) => slot.lock().take(),
            ReclaimInner::Stream(slot) => slot.lock().take().map(|s| Body {
                inner: Inner::Stream(s),
            }),
        }
    }

    /// For a whole body, what the receiver uses to say it took the body, so
    /// that the copy kept here is let go of (and the receiver's bytes are
    /// its own alone); `None` for a stream (reading it takes it).
    pub(crate) fn taken_marker(&self) -> Option<BodyTaken> {
        match &self.0 {
            ReclaimInner::Full(slot) => Some(BodyTaken(slot.clone())),
            ReclaimInner::Stream(_) => None,
        }
    }
}

/// Travels with a request whose whole body was shared (in its extensions):
/// the receiver calls [`BodyTaken::taken`] once it has accepted the request
/// for good; the sender's [`BodyReclaim`] then gives nothing back.
#[derive(Clone)]
pub(crate) struct BodyTaken(Arc<Mutex<Option<Body>>>);

impl BodyTaken {
    /// Lets go of the sender's reference to the body.
    pub(crate) fn taken(&self) {
        drop(self.0.lock().take());
    }
}

impl Body {
    /// A body to hand on, and a way to get it back if it is never read (for
    /// a retry elsewhere). A whole body is shared until the receiver says it
    /// took it ([`BodyReclaim::taken_marker`]); a stream is taken by the
    /// first read of either.
    pub fn share(self) -> (Body, BodyReclaim) {
        match self.inner {
            Inner::Full(b) => (
                b.clone().into(),
                BodyReclaim(ReclaimInner::Full(Arc::new(Mutex::new(Some(b.into()))))),
            ),
            Inner::Chunks(c) => (
                Body {
                    inner: Inner::Chunks(c.clone()),
                },
                BodyReclaim(ReclaimInner::Full(Arc::new(Mutex::new(Some(Body {
                    inner: Inner::Chunks(c),
                }))))),
            ),
            Inner::Stream(s) => {
                let slot = Arc::new(Mutex::new(Some(s)));
                let mut taken: Option<BodyStream> = None;
                let shared = slot.clone();
                let body = Body::from_stream(futures::stream::poll_fn(move |cx| {
                    if taken.is_none() {
                        taken = shared.lock().take();
                    }
                    match &mut taken {
                        Some(s) => s.as_mut().poll_next(cx),
                        None => Poll::Ready(Some(Err(BodyError::new(
                            "the body was taken back before it was read",
                        )))),
                    }
                }));
                (body, BodyReclaim(ReclaimInner::Stream(slot)))
            }
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Full(b) => f.debug_tuple("Body::Full").field(&b.len()).finish(),
            Inner::Chunks(c) => f.debug_tuple("Body::Chunks").field(&c.len()).finish(),
            Inner::Stream(_) => f.write_str("Body::Stream"),
        }
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Self {
            inner: Inner::Full(b),
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(b: Vec<u8>) -> Self {
        Bytes::from(b).into()
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Bytes::from(s).into()
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Bytes::from_static(s.as_bytes()).into()
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Self {
        Bytes::from_static(s).into()
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        match &mut this.inner {
            Inner::Full(b) if b.is_empty() => Poll::Ready(None),
            Inner::Full(b) => Poll::Ready(Some(Ok(Frame::data(std::mem::take(b))))),
            Inner::Chunks(c) if c.is_empty() => Poll::Ready(None),
            Inner::Chunks(c) => Poll::Ready(Some(Ok(Frame::data(c.remove(0))))),
            Inner::Stream(s) => s
                .as_mut()
                .poll_next(cx)
                .map(|o| o.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Full(b) => b.is_empty(),
            Inner::Chunks(c) => c.is_empty(),
            Inner::Stream(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Inner::Full(b) => SizeHint::with_exact(b.len() as u64),
            Inner::Chunks(c) => SizeHint::with_exact(c.iter().map(|b| b.len() as u64).sum()),
            Inner::Stream(_) => SizeHint::default(),
        }
    }
}

#[derive(Default)]
struct Shared {
    finished: AtomicBool,
    error: Mutex<Option<BodyError>>,
}

/// The producing end of [`Body::channel`].
pub struct BodySender {
    tx: mpsc::Sender<Result<Bytes, BodyError>>,
    shared: Arc<Shared>,
}

impl Clone for BodySender {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl fmt::Debug for BodySender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BodySender")
    }
}

impl BodySender {
    /// Sends one chunk, waiting while the channel is full. Fails when the
    /// consumer went away.
    pub async fn send(&self, chunk: Bytes) -> Result<(), BodyError> {
        self.tx
            .send(Ok(chunk))
            .await
            .map_err(|_| BodyError::new("the body's consumer went away"))
    }

    /// Whether the consumer went away.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Ends the body normally once every sender is dropped.
    pub fn finish(self) {
        self.shared.finished.store(true, Ordering::Release);
    }

    /// Ends the body with `error`, once every sender is dropped.
    pub fn abort(self, error: BodyError) {
        *self.shared.error.lock() = Some(error);
    }
}

struct ChannelStream {
    rx: mpsc::Receiver<Result<Bytes, BodyError>>,
    shared: Arc<Shared>,
    ended: bool,
}

impl Stream for ChannelStream {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        match this.rx.poll_recv(cx) {
            Poll::Ready(None) => {
                this.ended = true;
                let error = this.shared.error.lock().take();
                if let Some(e) = error {
                    Poll::Ready(Some(Err(e)))
                } else if this.shared.finished.load(Ordering::Acquire) {
                    Poll::Ready(None)
                } else {
                    Poll::Ready(Some(Err(BodyError::new(
                        "the body's producer stopped before it finished",
                    ))))
                }
            }
            Poll::Ready(Some(Err(e))) => {
                this.ended = true;
                Poll::Ready(Some(Err(e)))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_rt::test]
    async fn whole_bodies_collect_at_once() {
        let body = Body::from("abc");
        assert_eq!(body.as_bytes().map(|b| b.as_ref()), Some(&b"abc"[..]));
        assert_eq!(body.collect().await.unwrap(), Bytes::from_static(b"abc"));
        assert!(Body::empty().into_stream().next().await.is_none());
    }

    #[actix_rt::test]
    async fn a_body_in_pieces_stays_whole_and_in_order() {
        let pieces = |list: &[&'static [u8]]| list.iter().map(|p| Bytes::from_static(p)).collect();
        // Empty pieces are left out; one piece is a plain whole body.
        assert!(Body::from_chunks(pieces(&[b"", b""]))
            .as_bytes()
            .unwrap()
            .is_empty());
        let one = Body::from_chunks(pieces(&[b"", b"ab"]));
        assert_eq!(one.as_bytes().unwrap().as_ref(), b"ab");
        assert_eq!(one.as_chunks().unwrap().len(), 1);

        let body = Body::from_chunks(pieces(&[b"ab", b"", b"cd", b"e"]));
        assert!(!body.is_stream());
        assert!(body.as_bytes().is_none(), "kept in pieces");
        let got: Vec<&[u8]> = body
            .as_chunks()
            .unwrap()
            .iter()
            .map(|c| c.as_ref())
            .collect();
        assert_eq!(got, [&b"ab"[..], b"cd", b"e"]);
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(5));
        assert_eq!(body.collect().await.unwrap(), Bytes::from_static(b"abcde"));

        let mut body = Body::from_chunks(pieces(&[b"ab", b"cd"]));
        let mut frames = Vec::new();
        while let Some(frame) = http_body_util::BodyExt::frame(&mut body).await {
            frames.push(frame.unwrap().into_data().unwrap());
        }
        assert_eq!(
            frames,
            [Bytes::from_static(b"ab"), Bytes::from_static(b"cd")]
        );
        assert!(http_body::Body::is_end_stream(&body));

        let stream = Body::from_chunks(pieces(&[b"ab", b"cd"])).into_stream();
        let chunks: Vec<Bytes> = stream.map(Result::unwrap).collect().await;
        assert_eq!(
            chunks,
            [Bytes::from_static(b"ab"), Bytes::from_static(b"cd")]
        );

        let (shared, reclaim) = Body::from_chunks(pieces(&[b"ab", b"cd"])).share();
        assert_eq!(shared.as_chunks().unwrap().len(), 2);
        let reclaimed = reclaim.reclaim().expect("not taken yet");
        assert_eq!(
            reclaimed.collect().await.unwrap(),
            Bytes::from_static(b"abcd")
        );
        let (_, reclaim) = Body::from_chunks(pieces(&[b"ab", b"cd"])).share();
        reclaim
            .taken_marker()
            .expect("a whole body has a marker")
            .taken();
        assert!(reclaim.reclaim().is_none());
    }

    #[test]
    fn a_shared_whole_body_is_reclaimed_until_it_is_taken() {
        let (shared, reclaim) = Body::from(vec![1u8, 2, 3]).share();
        assert_eq!(shared.as_bytes().unwrap().as_ref(), [1, 2, 3]);
        let reclaimed = reclaim.reclaim().expect("not taken yet");
        assert_eq!(reclaimed.as_bytes().unwrap().as_ref(), [1, 2, 3]);

        let (shared, reclaim) = Body::from(vec![4u8; 64]).share();
        let marker = reclaim.taken_marker().expect("a whole body has a marker");
        marker.taken();
        assert!(reclaim.reclaim().is_none());
        // The receiver's bytes are its own alone: they become a Vec as they are.
        let bytes = shared.as_bytes().unwrap().clone();
        let at = bytes.as_ptr();
        drop(shared);
        let vec = Vec::from(bytes);
        assert_eq!(vec.as_ptr(), at);

        let (_, reclaim) = Body::from_stream(futures::stream::empty()).share();
        assert!(reclaim.taken_marker().is_none());
    }

    #[actix_rt::test]
    async fn a_channel_ends_well_only_when_finished() {
        let (tx, body) = Body::channel(1);
        actix_rt::spawn(async move {
            tx.send(Bytes::from_static(b"a")).await.unwrap();
            tx.send(Bytes::from_static(b"b")).await.unwrap();
            tx.finish();
        });
        assert_eq!(body.collect().await.unwrap(), Bytes::from_static(b"ab"));

        let (tx, body) = Body::channel(1);
        tx.send(Bytes::from_static(b"a")).await.unwrap();
        drop(tx);
        assert!(
            body.collect().await.is_err(),
            "a dropped sender is an error"
        );

        let (tx, body) = Body::channel(4);
        tx.send(Bytes::from_static(b"a")).await.unwrap();
        tx.abort(BodyError::new("boom"));
        assert_eq!(body.collect().await, Err(BodyError::new("boom")));
    }

    #[actix_rt::test]
    async fn sending_fails_once_the_consumer_is_gone() {
        let (tx, body) = Body::channel(1);
        drop(body);
        assert!(tx.is_closed());
        assert!(tx.send(Bytes::from_static(b"a")).await.is_err());
    }
}
