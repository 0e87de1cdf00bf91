//! The gateway's direct way: a request is routed on its connection's own
//! thread and sent straight to the Worker's live isolate, when the runtime's
//! [`FastPath`] has one to pick; when it has none (an isolate to start, or
//! one still starting), the registry only chooses the isolate and the
//! request still goes to it straight from the connection
//! ([`FastPath::admit`]). Everything else (no route, the manual trigger
//! paths, Workers with an origin) goes through the gateway actor.
//!
//! Both ways give the request the same id, span, metrics and `x-request-id`
//! answer ([`answer`]).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use actix::prelude::*;
use motu_runtime::{Body, FastPath, Picked, Registry, RequestId, REQUEST_ID_HEADER};
use tracing::Instrument;

use crate::actor::SCHEDULED_PATH;
use crate::assets::Assets;
use crate::client_body::BodyGuard;
use crate::responses::{error_response, text};
use crate::{GatewayActor, Route, RouteTable};

/// What the direct way needs of the gateway's configuration.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub(crate) routes: RouteTable,
    pub(crate) scheduled_endpoint: bool,
    pub(crate) email_endpoint: bool,
    /// Workers with an origin (their requests take the actor's way).
    pub(crate) with_origin: HashSet<String>,
    /// Workers' static assets, answered before the Worker is.
    pub(crate) assets: HashMap<String, Assets>,
}

/// The gateway's configuration as the actor last published it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Front(Arc<RwLock<Arc<Table>>>);

impl Front {
    /// Replaces the published configuration.
    pub(crate) fn publish(&self, table: Table) {
        if let Ok(mut slot) = self.0.write() {
            *slot = Arc::new(table);
        }
    }

    fn table(&self) -> Option<Arc<Table>> {
        self.0.read().ok().map(|t| t.clone())
    }
}

/// Asks the gateway actor for its published configuration and its registry.
#[derive(Debug)]
pub(crate) struct GetFront;

impl Message for GetFront {
    type Result = (Front, Addr<Registry>);
}

/// The host a request is for: its URI's, else its `Host` header's.
pub(crate) fn host_of<B>(request: &http::Request<B>) -> &str {
    request
        .uri()
        .host()
        .or_else(|| {
            request
                .headers()
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
        })
        .unwrap_or("")
}

/// The bounds of a request's body from the client, if it came from one.
pub(crate) fn body_guard_of<B>(request: &http::Request<B>) -> Option<Arc<BodyGuard>> {
    request.extensions().get::<Arc<BodyGuard>>().cloned()
}

/// Answers a routed request: `response` runs in the request's span, and its
/// result is counted in `worker`'s metrics and carries the request's id.
/// When the client's body went wrong (`guard`), the answer is the fault's
/// (a client error), whatever the Worker returned.
pub(crate) fn answer(
    started: Instant,
    request_id: RequestId,
    worker: Option<String>,
    guard: Option<Arc<BodyGuard>>,
    response: impl Future<Output = http::Response<Body>>,
) -> impl Future<Output = http::Response<Body>> {
    let span = tracing::info_span!(
        "request",
        worker = worker.as_deref().unwrap_or(""),
        request_id = request_id.as_str()
    );
    async move {
        let mut response = response.instrument(span).await;
        if let Some(fault) = guard.and_then(|g| g.fault()) {
            response = fault.response();
        }
        if let Some(worker) = &worker {
            motu_runtime::metrics::record_request(
                worker,
                response.status(),
                started.elapsed().as_secs_f64(),
            );
        }
        if let Ok(value) = http::HeaderValue::from_str(request_id.as_str()) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        response
    }
}

/// How connections route their requests: directly when they can, through
/// the gateway actor otherwise.
#[derive(Clone)]
pub(crate) struct Direct {
    gateway: Addr<GatewayActor>,
    front: Front,
    fast: Option<FastPath>,
}

impl Direct {
    /// The direct way of `gateway`, or only the actor's way when its
    /// registry does not answer.
    pub(crate) async fn of(gateway: Addr<GatewayActor>) -> Self {
        let (front, fast) = match gateway.send(GetFront).await {
            Ok((front, registry)) => (front, registry.send(motu_runtime::GetFastPath).await.ok()),
            Err(_) => (Front::default(), None),
        };
        Self {
            gateway,
            front,
            fast,
        }
    }

    /// The runtime's fast path, if there is one.
    pub(crate) fn fast(&self) -> Option<&FastPath> {
        self.fast.as_ref()
    }

    /// Answers `request`; `here` is the executor thread the caller runs on.
    pub(crate) async fn route(
        &self,
        mut request: http::Request<Body>,
        here: Option<usize>,
    ) -> http::Response<Body> {
        let started = Instant::now();
        let (fast, worker, picked) = match self.way(&request, here) {
            Way::Actor => {
                return self.gateway.send(Route(request)).await.unwrap_or_else(|_| {
                    text(
                        http::StatusCode::SERVICE_UNAVAILABLE,
                        "The server is shutting down.\n",
                    )
                })
            }
            Way::Assets(worker, response) => {
                let request_id = RequestId::for_request(request.headers());
                let guard = body_guard_of(&request);
                return answer(
                    started,
                    request_id,
                    Some(worker),
                    guard,
                    std::future::ready(response),
                )
                .await;
            }
            Way::Worker(fast, worker, picked) => (fast, worker, picked),
        };
        let request_id = RequestId::for_request(request.headers());
        request.extensions_mut().insert(request_id.clone());
        let guard = body_guard_of(&request);
        let name = worker.clone();
        let response = async move {
            let result = match picked {
                Some(picked) => picked.fetch(&name, request).await,
                None => fast.admit(&name, here, request).await,
            };
            result.unwrap_or_else(|error| error_response(&error))
        };
        answer(started, request_id, Some(worker), guard, response).await
    }

    /// Which way `request` takes: answered by its Worker's assets, sent
    /// straight to the Worker (with its isolate if one is live to pick), or
    /// through the gateway actor.
    fn way(&self, request: &http::Request<Body>, here: Option<usize>) -> Way {
        let Some(table) = self.front.table() else {
            return Way::Actor;
        };
        let path = request.uri().path();
        if table.scheduled_endpoint && path == SCHEDULED_PATH {
            return Way::Actor;
        }
        if table.email_endpoint && crate::email::is_email_path(path) {
            return Way::Actor;
        }
        let Some(worker) = table.routes.lookup(host_of(request), path) else {
            return Way::Actor;
        };
        if let Some(assets) = table.assets.get(worker) {
            if let Some(response) = assets.current().route(request) {
                return Way::Assets(worker.to_owned(), response);
            }
        }
        let Some(fast) = self.fast.as_ref() else {
            return Way::Actor;
        };
        if table.with_origin.contains(worker) {
            return Way::Actor;
        }
        let picked = fast.pick(worker, here);
        Way::Worker(fast.clone(), worker.to_owned(), picked)
    }
}

/// The way a request takes (see [`Direct::way`]).
enum Way {
    Actor,
    Assets(String, http::Response<Body>),
    Worker(FastPath, String, Option<Picked>),
}
