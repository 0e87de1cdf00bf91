//! The admin listener: what operators and orchestrators ask a running
//! server, on its own address, apart from the Workers' traffic.
//!
//! - `GET /metrics`: every metric in the Prometheus text format (see
//!   `motu_runtime::metrics`).
//! - `GET /healthz`: 200 while the process runs.
//! - `GET /readyz`: 200 once the server said it is ready ([`Readiness::set_ready`]:
//!   every Worker registered, the HTTP listener bound) and every service it
//!   depends on answers ([`Readiness::depend_on`]: the cluster's Redis); 503
//!   before, while a dependency is down (the body says which and why), and
//!   again once shutdown begins ([`Readiness::set_stopping`]).
//! - `GET /objects`: the Durable Objects in memory, as a JSON array of
//!   `{ worker, class, namespace, id, name, isolate, lastEventMs }` (see
//!   `motu_runtime::live_objects`): the isolate hosting each, and when
//!   it last had an event (milliseconds since the Unix epoch).
//!
//! Other paths get 404, other methods 405.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::GatewayError;

const STARTING: u8 = 0;
const READY: u8 = 1;
const STOPPING: u8 = 2;

/// A service the server depends on, as `/readyz` checks it: `Ok` while it
/// answers, otherwise why not (one line, with no secrets).
pub type Dependency = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// Whether the server takes traffic, as `/readyz` reports it. Clones share
/// one state.
#[derive(Clone, Default)]
pub struct Readiness(Arc<AtomicU8>, Arc<parking_lot::Mutex<Vec<Dependency>>>);

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Readiness").field(&self.describe()).finish()
    }
}

impl Readiness {
    /// A server still starting: not ready.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every Worker is registered and the listener is bound.
    /// Has no effect once shutdown began.
    pub fn set_ready(&self) {
        let _ = self
            .0
            .compare_exchange(STARTING, READY, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Shutdown began: not ready from now on.
    pub fn set_stopping(&self) {
        self.0.store(STOPPING, Ordering::SeqCst);
    }

    /// From now on, `/readyz` answers 503 while `check` says the service
    /// is down.
    pub fn depend_on(&self, check: Dependency) {
        self.1.lock().push(check);
    }

    /// Whether `/readyz` answers 200.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::SeqCst) == READY && self.down().is_empty()
    }

    /// Why each dependency that is down is.
    fn down(&self) -> Vec<String> {
        self.1
            .lock()
            .iter()
            .filter_map(|check| check().err())
            .collect()
    }

    fn describe(&self) -> String {
        match self.0.load(Ordering::SeqCst) {
            READY => {
                let down = self.down();
                if down.is_empty() {
                    "ready\n".into()
                } else {
                    format!("not ready: {}\n", down.join("; "))
                }
            }
            STOPPING => "shutting down\n".into(),
            _ => "starting\n".into(),
        }
    }
}

/// Serves the admin endpoints on `listener` until accepting fails. Must run
/// inside a tokio runtime (an actix system is one).
pub async fn serve_admin(listener: TcpListener, readiness: Readiness) -> Result<(), GatewayError> {
    loop {
        let (stream, peer) = listener.accept().await?;
        let readiness = readiness.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let readiness = readiness.clone();
                async move { Ok::<_, Infallible>(answer(&req, &readiness)) }
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%peer, "admin connection ended with an error: {e}");
            }
        });
    }
}

/// The answer to one admin request.
fn answer(request: &http::Request<Incoming>, readiness: &Readiness) -> http::Response<Full<Bytes>> {
    let text = |status: http::StatusCode, body: String| {
        let mut response = http::Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    };
    let path = request.uri().path();
    if !matches!(path, "/metrics" | "/healthz" | "/readyz" | "/objects") {
        return text(http::StatusCode::NOT_FOUND, "not found\n".into());
    }
    if !matches!(*request.method(), http::Method::GET | http::Method::HEAD) {
        let mut response = text(
            http::StatusCode::METHOD_NOT_ALLOWED,
            "only GET is allowed\n".into(),
        );
        response.headers_mut().insert(
            http::header::ALLOW,
            http::HeaderValue::from_static("GET, HEAD"),
        );
        return response;
    }
    match path {
        "/metrics" => {
            let mut response = text(http::StatusCode::OK, motu_runtime::metrics::render());
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(motu_runtime::metrics::CONTENT_TYPE),
            );
            response
        }
        "/healthz" => text(http::StatusCode::OK, "ok\n".into()),
        "/objects" => {
            let mut response = text(http::StatusCode::OK, motu_runtime::live_objects_json());
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            response
        }
        _ => {
            let status = if readiness.is_ready() {
                http::StatusCode::OK
            } else {
                http::StatusCode::SERVICE_UNAVAILABLE
            };
            text(status, readiness.describe())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_goes_from_starting_to_ready_to_stopping_and_never_back() {
        let r = Readiness::new();
        assert!(!r.is_ready());
        let shared = r.clone();
        shared.set_ready();
        assert!(r.is_ready());
        r.set_stopping();
        assert!(!shared.is_ready());
        shared.set_ready();
        assert!(!r.is_ready());
        assert_eq!(r.describe(), "shutting down\n");
    }

    #[test]
    fn a_dependency_that_is_down_makes_the_server_not_ready() {
        let r = Readiness::new();
        r.set_ready();
        let up = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = up.clone();
        r.depend_on(Arc::new(move || {
            if flag.load(Ordering::SeqCst) {
                Ok(())
            } else {
                Err("Redis at redis://h:6379 is unreachable".into())
            }
        }));
        assert!(!r.is_ready());
        assert_eq!(
            r.describe(),
            "not ready: Redis at redis://h:6379 is unreachable\n"
        );
        up.store(true, Ordering::SeqCst);
        assert!(r.is_ready());
        assert_eq!(r.describe(), "ready\n");
    }
}
