//! A request body as the client sends it, under the server's bounds: its
//! size (`max_body_mb`), the longest wait for its next piece
//! (`body_timeout_ms`) and the rate it must average (`body_min_rate`).
//!
//! The body is read through [`Guarded`], a stream that ends with an error
//! the moment the client breaks a bound or sends a malformed body (an
//! invalid chunked encoding, a connection closed before the
//! `content-length` was reached). The error is a client's
//! ([`BodyError::client`]): the runtime does not count a Worker's failure
//! that follows from it as the Worker's error. What went wrong is kept in
//! the request's [`BodyGuard`], and the gateway answers the request with
//! the fault's status ([`Fault::response`]) whatever the Worker returned.
//!
//! **Time counts only while someone waits for the body.** The clock runs
//! from when the reader asks for the next piece and finds none until that
//! piece arrives; a Worker that has not asked for the body yet (or reads it
//! slowly) costs the client nothing. The body fails when one wait lasts
//! longer than `body_timeout`, or when all the waits together exceed
//! `body_timeout` plus one second per `body_min_rate` bytes received (the
//! way Apache's `mod_reqtimeout` extends its body timeout by its
//! `MinRate`): a client trickling a byte a second fails soon after
//! `body_timeout`, one sending slowly but steadily never does.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use http::StatusCode;
use motu_config::HttpSettings;
use motu_runtime::{Body, BodyError};

use crate::responses::text;

/// How long the rest of a refused body is read and discarded.
const LINGER_TIME: Duration = Duration::from_secs(2);

/// How much of a refused body is read and discarded at most.
const LINGER_BYTES: u64 = 16 << 20;

/// Request and response body bytes that passed through the gateway since
/// the process started (see [`crate::body_bytes`]).
pub(crate) static BODY_BYTES: AtomicU64 = AtomicU64::new(0);

/// The body as hyper reads it.
pub(crate) type DataStream = Pin<Box<dyn Stream<Item = Result<Bytes, hyper::Error>> + Send>>;

/// How a client's request body went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Larger than `max_body_mb` (`413`).
    TooLarge,
    /// Too slow for `body_timeout_ms` and `body_min_rate` (`408`).
    TimedOut,
    /// Malformed, or cut off by the client (`400`).
    Malformed,
}

impl Fault {
    fn code(self) -> u8 {
        match self {
            Fault::TooLarge => 1,
            Fault::TimedOut => 2,
            Fault::Malformed => 3,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Fault::TooLarge),
            2 => Some(Fault::TimedOut),
            3 => Some(Fault::Malformed),
            _ => None,
        }
    }

    /// The label of `motu_client_errors_total` for this fault.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Fault::TooLarge => "body_too_large",
            Fault::TimedOut => "body_timeout",
            Fault::Malformed => "body_malformed",
        }
    }

    /// The response the request gets.
    pub(crate) fn response(self) -> http::Response<Body> {
        let mut response = match self {
            Fault::TooLarge => text(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is larger than this server accepts.\n",
            ),
            Fault::TimedOut => text(
                StatusCode::REQUEST_TIMEOUT,
                "The request body was not sent in time.\n",
            ),
            Fault::Malformed => text(
                StatusCode::BAD_REQUEST,
                "The request body could not be read.\n",
            ),
        };
        if self != Fault::TooLarge {
            // The rest of the body will never be read: the connection
            // cannot carry another request.
            response.headers_mut().insert(
                http::header::CONNECTION,
                http::HeaderValue::from_static("close"),
            );
        }
        response
    }
}

/// One request body's bounds and what became of it, shared by its stream
/// and the request's handler.
pub(crate) struct BodyGuard {
    max: u64,
    timeout: Duration,
    min_rate: u64,
    read: AtomicU64,
    fault: AtomicU8,
    /// The unread rest of a body that went past the size limit, to linger
    /// on.
    rest: Mutex<Option<DataStream>>,
}

impl BodyGuard {
    /// The bounds of `settings`.
    pub(crate) fn new(settings: &HttpSettings) -> Self {
        Self {
            max: settings.max_body_bytes,
            timeout: settings.body_timeout,
            min_rate: settings.body_min_rate,
            read: AtomicU64::new(0),
            fault: AtomicU8::new(0),
            rest: Mutex::new(None),
        }
    }

    /// What went wrong with the body, if anything.
    pub(crate) fn fault(&self) -> Option<Fault> {
        Fault::from_code(self.fault.load(Ordering::Acquire))
    }

    /// Records the body's first fault (counted in the metrics once).
    fn set_fault(&self, fault: Fault) {
        if self
            .fault
            .compare_exchange(0, fault.code(), Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            motu_runtime::metrics::record_client_error(fault.reason());
        }
    }

    /// Marks a body refused by its `content-length` as too large.
    pub(crate) fn refuse_too_large(&self) {
        self.set_fault(Fault::TooLarge);
    }

    /// Reads and discards the rest of a body that went past the size
    /// limit, for a short while, so the client sees the 413 rather than a
    /// reset connection.
    pub(crate) fn linger(&self) {
        if let Some(rest) = self.rest.lock().ok().and_then(|mut r| r.take()) {
            linger(rest);
        }
    }

    /// The time all the waits for this body may take, having received
    /// `read` bytes.
    fn allowance(&self, read: u64) -> Duration {
        if self.min_rate == 0 {
            return Duration::MAX;
        }
        self.timeout
            .saturating_add(Duration::from_secs_f64(read as f64 / self.min_rate as f64))
    }
}

/// A request body stream under its [`BodyGuard`]'s bounds.
pub(crate) struct Guarded {
    inner: Option<DataStream>,
    guard: Arc<BodyGuard>,
    /// Time spent waiting for the client so far.
    waited: Duration,
    /// Since when the reader has been waiting, and the timer that ends the
    /// wait.
    waiting: Option<(Instant, Pin<Box<tokio::time::Sleep>>)>,
}

impl Guarded {
    /// `body`'s data under `guard`.
    pub(crate) fn new(body: DataStream, guard: Arc<BodyGuard>) -> Self {
        Self {
            inner: Some(body),
            guard,
            waited: Duration::ZERO,
            waiting: None,
        }
    }

    /// Ends the stream with `fault`.
    fn fail(&mut self, fault: Fault, message: String) -> Poll<Option<Result<Bytes, BodyError>>> {
        self.guard.set_fault(fault);
        self.waiting = None;
        let rest = self.inner.take();
        if fault == Fault::TooLarge {
            if let Ok(mut slot) = self.guard.rest.lock() {
                *slot = rest;
            }
        }
        Poll::Ready(Some(Err(BodyError::client(message))))
    }

    /// Starts timing a wait for the client, or looks whether the current
    /// one is over; `true` when the client took too long.
    fn wait_expired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.waiting.is_none() {
            let read = self.guard.read.load(Ordering::Acquire);
            let left = self.guard.allowance(read).saturating_sub(self.waited);
            let wait = self.guard.timeout.min(left);
            let deadline = Instant::now() + wait;
            self.waiting = Some((Instant::now(), Box::pin(tokio::time::sleep_until(deadline))));
        }
        match &mut self.waiting {
            Some((_, timer)) => timer.as_mut().poll(cx).is_ready(),
            None => false,
        }
    }
}

impl Stream for Guarded {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = inner.as_mut().poll_next(cx);
        if polled.is_pending() {
            if self.wait_expired(cx) {
                return self.fail(
                    Fault::TimedOut,
                    "the client did not send the request body in time".to_owned(),
                );
            }
            return Poll::Pending;
        }
        if let Some((since, _)) = self.waiting.take() {
            self.waited += since.elapsed();
        }
        let chunk = match polled {
            Poll::Pending => unreachable!("handled above"),
            Poll::Ready(None) => {
                self.inner = None;
                return Poll::Ready(None);
            }
            Poll::Ready(Some(Err(e))) => {
                return self.fail(
                    Fault::Malformed,
                    format!("the request body could not be read: {e}"),
                );
            }
            Poll::Ready(Some(Ok(chunk))) => chunk,
        };
        BODY_BYTES.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        let read = self
            .guard
            .read
            .fetch_add(chunk.len() as u64, Ordering::AcqRel)
            + chunk.len() as u64;
        if read <= self.guard.max {
            return Poll::Ready(Some(Ok(chunk)));
        }
        let max = self.guard.max;
        self.fail(
            Fault::TooLarge,
            format!("the request body is larger than the server's limit of {max} bytes"),
        )
    }
}

/// Reads and discards what is left of a refused body, for a short while, on
/// the current thread.
pub(crate) fn linger(mut rest: DataStream) {
    actix_rt::spawn(async move {
        let drain = async {
            let mut read = 0u64;
            while let Some(Ok(chunk)) = rest.next().await {
                read += chunk.len() as u64;
                if read > LINGER_BYTES {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(LINGER_TIME, drain).await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(timeout_ms: u64, min_rate: u64, max: u64) -> HttpSettings {
        HttpSettings {
            body_timeout: Duration::from_millis(timeout_ms),
            body_min_rate: min_rate,
            max_body_bytes: max,
            ..HttpSettings::default()
        }
    }

    /// A body fed by hand through a channel.
    fn fed(
        s: HttpSettings,
    ) -> (
        futures::channel::mpsc::UnboundedSender<Result<Bytes, hyper::Error>>,
        Guarded,
        Arc<BodyGuard>,
    ) {
        let (tx, rx) = futures::channel::mpsc::unbounded();
        let guard = Arc::new(BodyGuard::new(&s));
        (tx, Guarded::new(Box::pin(rx), guard.clone()), guard)
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stops_coming_times_out() {
        let (tx, mut body, guard) = fed(settings(1000, 0, 1 << 20));
        tx.unbounded_send(Ok(Bytes::from_static(b"abc"))).unwrap();
        assert_eq!(body.next().await.unwrap().unwrap(), "abc");
        let e = body.next().await.unwrap().unwrap_err();
        assert!(e.is_client(), "{e}");
        assert_eq!(guard.fault(), Some(Fault::TimedOut));
        assert!(body.next().await.is_none());
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickle_fails_once_the_rate_allowance_is_spent() {
        // 1 s of grace plus 1 s per 10 bytes: a byte every 500 ms is too
        // slow. Two bytes took 1 s of waiting and earned 1.2 s: the body
        // fails 200 ms into the third wait, though no single gap comes
        // near the 1 s timeout.
        let (tx, mut body, guard) = fed(settings(1000, 10, 1 << 20));
        let feeder = tokio::spawn(async move {
            for _ in 0..100 {
                tokio::time::sleep(Duration::from_millis(500)).await;
                if tx.unbounded_send(Ok(Bytes::from_static(b"x"))).is_err() {
                    return;
                }
            }
        });
        let start = tokio::time::Instant::now();
        let mut got = 0;
        let error = loop {
            match body.next().await.unwrap() {
                Ok(_) => got += 1,
                Err(e) => break e,
            }
        };
        assert!(error.is_client());
        assert_eq!(guard.fault(), Some(Fault::TimedOut));
        assert_eq!(got, 2, "bytes before the timeout");
        assert_eq!(start.elapsed(), Duration::from_millis(1200));
        feeder.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn time_nobody_waits_for_the_body_is_free() {
        let (tx, mut body, guard) = fed(settings(1000, 500, 1 << 20));
        tx.unbounded_send(Ok(Bytes::from_static(b"a"))).unwrap();
        // The reader comes late: the piece was there all along.
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(body.next().await.unwrap().unwrap(), "a");
        drop(tx);
        assert!(body.next().await.is_none());
        assert_eq!(guard.fault(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn bodies_over_the_limit_and_broken_ones_are_client_faults() {
        let (tx, mut body, guard) = fed(settings(1000, 500, 4));
        tx.unbounded_send(Ok(Bytes::from_static(b"abc"))).unwrap();
        tx.unbounded_send(Ok(Bytes::from_static(b"de"))).unwrap();
        assert!(body.next().await.unwrap().is_ok());
        assert!(body.next().await.unwrap().unwrap_err().is_client());
        assert_eq!(guard.fault(), Some(Fault::TooLarge));
        assert!(guard.rest.lock().unwrap().is_some(), "kept to linger on");
        assert_eq!(Fault::TooLarge.response().status(), 413);
        assert_eq!(Fault::TimedOut.response().status(), 408);
        assert_eq!(Fault::Malformed.response().status(), 400);
    }
}
