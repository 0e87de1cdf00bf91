//! The gateway actor: routes each request to its Worker.

use std::collections::HashMap;

use actix::prelude::*;
use bytes::Bytes;

use motu_runtime::{Dispatch, EgressPolicy, Outbound, Registry, RuntimeError, Trigger};

use crate::responses::{error_response, no_route};
use crate::RouteTable;

/// Owns the route table and forwards each request to the registry.
pub struct GatewayActor {
    routes: RouteTable,
    registry: Addr<Registry>,
    scheduled_endpoint: bool,
    /// Workers' origins, for `passThroughOnException`.
    origins: HashMap<String, url::Url>,
    /// Sends passed-through requests to origins.
    outbound: Outbound,
}

/// The path that fires a Worker's `scheduled` handler, when enabled.
pub const SCHEDULED_PATH: &str = "/__scheduled";

impl GatewayActor {
    /// A gateway over `routes` that dispatches through `registry`.
    pub fn new(routes: RouteTable, registry: Addr<Registry>) -> Self {
        Self {
            routes,
            registry,
            scheduled_endpoint: false,
            origins: HashMap::new(),
            outbound: Outbound::new(EgressPolicy::allow_all()),
        }
    }

    /// Sets `worker`'s origin: where a request goes when the Worker called
    /// `ctx.passThroughOnException()` and then threw.
    pub fn with_origin(mut self, worker: impl Into<String>, origin: url::Url) -> Self {
        self.origins.insert(worker.into(), origin);
        self
    }

    /// Whether `GET /__scheduled?cron=EXPR` on a Worker's host fires its
    /// `scheduled` handler (for development; off by default).
    pub fn with_scheduled_endpoint(mut self, enabled: bool) -> Self {
        self.scheduled_endpoint = enabled;
        self
    }

    /// Fires `worker`'s `scheduled` handler with the request's `cron`
    /// query parameter (default `* * * * *`) and answers how it went.
    fn trigger(&self, worker: String, uri: &http::Uri) -> ResponseFuture<http::Response<Bytes>> {
        let cron = uri
            .query()
            .and_then(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == "cron")
                    .map(|(_, v)| v.into_owned())
            })
            .unwrap_or_else(|| "* * * * *".to_owned());
        let trigger = self.registry.send(Trigger {
            worker,
            cron,
            scheduled_time: chrono::Utc::now().timestamp_millis() as f64,
            retried: false,
        });
        Box::pin(async move {
            match trigger.await {
                Ok(Ok(())) => {
                    crate::responses::text(http::StatusCode::OK, "Ran scheduled event.\n")
                }
                Ok(Err(error)) => error_response(&error),
                Err(_) => error_response(&motu_runtime::RuntimeError::Startup(
                    "the registry stopped".into(),
                )),
            }
        })
    }
}

impl Actor for GatewayActor {
    type Context = Context<Self>;
}

/// An HTTP request to route; the answer is always an HTTP response (a
/// failure is turned into one).
#[derive(Debug)]
pub struct Route(pub http::Request<Bytes>);

impl Message for Route {
    type Result = http::Response<Bytes>;
}

impl Handler<Route> for GatewayActor {
    type Result = ResponseFuture<http::Response<Bytes>>;

    fn handle(&mut self, Route(request): Route, _ctx: &mut Self::Context) -> Self::Result {
        let host = request
            .uri()
            .host()
            .or_else(|| {
                request
                    .headers()
                    .get(http::header::HOST)
                    .and_then(|h| h.to_str().ok())
            })
            .unwrap_or("");
        let path = request.uri().path();
        let manual_trigger = self.scheduled_endpoint && path == SCHEDULED_PATH;
        let worker = self.routes.lookup(host, path).or_else(|| {
            // A Worker whose routes only cover some paths is still found by
            // its host for the trigger path.
            manual_trigger
                .then(|| self.routes.lookup(host, "/"))
                .flatten()
        });
        let Some(worker) = worker else {
            return Box::pin(async { no_route() });
        };
        if manual_trigger {
            return self.trigger(worker.to_owned(), request.uri());
        }
        // A Worker with an origin keeps a copy of the request (the body is
        // shared, not copied) in case it passes the request through.
        let pass_through = self
            .origins
            .get(worker)
            .map(|origin| (origin.clone(), request.clone(), self.outbound.clone()));
        let dispatch = self.registry.send(Dispatch::new(worker, request));
        Box::pin(async move {
            match dispatch.await {
                Ok(Ok(response)) => response,
                Ok(Err(RuntimeError::Exception {
                    pass_through: true,
                    worker,
                    ..
                })) if pass_through.is_some() => {
                    let (origin, request, outbound) = pass_through.expect("checked");
                    match outbound.forward(request, &origin).await {
                        Ok(response) => response,
                        Err(e) => {
                            tracing::error!(worker, %origin, "passing the request through failed: {e}");
                            crate::responses::text(
                                http::StatusCode::BAD_GATEWAY,
                                "The Worker threw an exception and its origin could not be reached.\n",
                            )
                        }
                    }
                }
                Ok(Err(error)) => error_response(&error),
                Err(_) => error_response(&motu_runtime::RuntimeError::Startup(
                    "the registry stopped".into(),
                )),
            }
        })
    }
}
