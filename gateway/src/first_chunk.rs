//! A streamed response's head waits a little for its body's first chunk
//! (`first_chunk_wait_ms`).
//!
//! hyper sends a response head as soon as it has one, and a body that then
//! fails before its first byte leaves the client a head and a cut-off body,
//! or, when the failure comes first, an empty reply with no status line at
//! all (a stream nothing will ever write to ends with an error in the same
//! turn the Worker returned it). Holding the head back until the first
//! chunk, for at most the wait, turns such a failure into a proper `500`.
//! A body that has nothing to send within the wait does not hold its head
//! any longer: the head goes out alone and the body follows as it comes
//! (server-sent events, long polls).

use std::time::Duration;

use futures::StreamExt;
use motu_runtime::{Body, BodyError};

/// What became of a streamed response's first chunk.
pub(crate) enum FirstChunk {
    /// The response to send: its first chunk came (it is sent with the
    /// head), the body ended empty, or the wait is over.
    Send(http::Response<Body>),
    /// The body failed before its first chunk; the response's head is
    /// given back.
    Failed(http::response::Parts, BodyError),
}

/// Waits up to `wait` for the first chunk of `response`'s body, if it is
/// streamed.
pub(crate) async fn first_chunk(response: http::Response<Body>, wait: Duration) -> FirstChunk {
    if wait.is_zero() || !response.body().is_stream() {
        return FirstChunk::Send(response);
    }
    let (parts, body) = response.into_parts();
    let mut stream = body.into_stream();
    let body = match tokio::time::timeout(wait, stream.next()).await {
        Ok(Some(Ok(chunk))) => {
            Body::from_stream(futures::stream::once(async move { Ok(chunk) }).chain(stream))
        }
        Ok(Some(Err(error))) => return FirstChunk::Failed(parts, error),
        Ok(None) => Body::empty(),
        Err(_) => Body::from_stream(stream),
    };
    FirstChunk::Send(http::Response::from_parts(parts, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn streamed(chunks: Vec<Result<Bytes, BodyError>>) -> http::Response<Body> {
        http::Response::new(Body::from_stream(futures::stream::iter(chunks)))
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_chunk_goes_with_the_head() {
        let r = streamed(vec![
            Ok(Bytes::from_static(b"a")),
            Ok(Bytes::from_static(b"b")),
        ]);
        let FirstChunk::Send(r) = first_chunk(r, Duration::from_secs(1)).await else {
            panic!("sent")
        };
        assert_eq!(r.into_body().collect().await.unwrap(), "ab");
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_failing_before_its_first_chunk_is_reported() {
        let r = streamed(vec![Err(BodyError::new("gone"))]);
        assert!(matches!(
            first_chunk(r, Duration::from_secs(1)).await,
            FirstChunk::Failed(_, e) if e.to_string() == "gone"
        ));
        // With no wait, the head goes at once, as before.
        let r = streamed(vec![Err(BodyError::new("gone"))]);
        assert!(matches!(
            first_chunk(r, Duration::ZERO).await,
            FirstChunk::Send(_)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_body_lets_its_head_go_after_the_wait() {
        let (tx, body) = Body::channel(1);
        let r = http::Response::new(body);
        let FirstChunk::Send(r) = first_chunk(r, Duration::from_millis(500)).await else {
            panic!("sent")
        };
        tokio::spawn(async move {
            tx.send(Bytes::from_static(b"late")).await.unwrap();
            tx.finish();
        });
        assert_eq!(r.into_body().collect().await.unwrap(), "late");
    }
}
