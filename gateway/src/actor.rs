//! The gateway actor: routes each request to its Worker.

use std::collections::HashMap;
use std::time::Instant;

use actix::prelude::*;
use motu_runtime::{
    Body, Dispatch, EgressPolicy, Outbound, Registry, RequestId, RuntimeError, Trigger,
};

use crate::assets::Assets;
use crate::front::{answer, body_guard_of, host_of, Front, GetFront, Table};
use crate::responses::{error_response, no_route};
use crate::RouteTable;

/// Owns the route table and forwards each request to the registry.
pub struct GatewayActor {
    routes: RouteTable,
    registry: Addr<Registry>,
    scheduled_endpoint: bool,
    email_endpoint: bool,
    /// Workers' origins, for `passThroughOnException`.
    origins: HashMap<String, url::Url>,
    /// Sends passed-through requests to origins.
    outbound: Outbound,
    /// What connections route by directly, as last published.
    front: Front,
    /// Workers' static assets.
    assets: HashMap<String, Assets>,
}

/// Replaces the gateway's route table, e.g. when the config changes under
/// `motu dev`; requests already routed are not affected.
pub struct SetRoutes(pub RouteTable);

impl Message for SetRoutes {
    type Result = ();
}

impl Handler<SetRoutes> for GatewayActor {
    type Result = ();

    fn handle(&mut self, SetRoutes(routes): SetRoutes, _ctx: &mut Self::Context) {
        self.routes = routes;
        self.publish();
    }
}

/// Replaces which Workers have static assets (e.g. when the config changes
/// under `motu dev`; a Worker's assets read again are swapped inside its
/// [`Assets`] handle instead).
pub struct SetAssets(pub HashMap<String, Assets>);

impl Message for SetAssets {
    type Result = ();
}

impl Handler<SetAssets> for GatewayActor {
    type Result = ();

    fn handle(&mut self, SetAssets(assets): SetAssets, _ctx: &mut Self::Context) {
        self.assets = assets;
        self.publish();
    }
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
            email_endpoint: false,
            origins: HashMap::new(),
            outbound: Outbound::new(EgressPolicy::allow_all()),
            front: Front::default(),
            assets: HashMap::new(),
        }
    }

    /// Serves `worker`'s static assets before the Worker (see
    /// [`crate::assets`]).
    pub fn with_assets(mut self, worker: impl Into<String>, assets: Assets) -> Self {
        self.assets.insert(worker.into(), assets);
        self
    }

    /// Publishes the routes and settings connections route by directly.
    fn publish(&self) {
        self.front.publish(Table {
            routes: self.routes.clone(),
            scheduled_endpoint: self.scheduled_endpoint,
            email_endpoint: self.email_endpoint,
            with_origin: self.origins.keys().cloned().collect(),
            assets: self.assets.clone(),
        });
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

    /// Whether `POST /cdn-cgi/handler/email?from=…&to=…` (or
    /// `/cdn-cgi/local/email`) on a Worker's host fires its `email`
    /// handler with the request's body as the message (for development;
    /// off by default; see `crate::email`).
    pub fn with_email_endpoint(mut self, enabled: bool) -> Self {
        self.email_endpoint = enabled;
        self
    }

    /// Fires `worker`'s `scheduled` handler with the request's `cron`
    /// query parameter (default `* * * * *`) and answers how it went.
    fn trigger(&self, worker: String, uri: &http::Uri) -> ResponseFuture<http::Response<Body>> {
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

    fn started(&mut self, _ctx: &mut Self::Context) {
        self.publish();
    }
}

impl Handler<GetFront> for GatewayActor {
    type Result = MessageResult<GetFront>;

    fn handle(&mut self, _msg: GetFront, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult((self.front.clone(), self.registry.clone()))
    }
}

/// An HTTP request to route; the answer is always an HTTP response (a
/// failure is turned into one).
#[derive(Debug)]
pub struct Route(pub http::Request<Body>);

impl Message for Route {
    type Result = http::Response<Body>;
}

impl Handler<Route> for GatewayActor {
    type Result = ResponseFuture<http::Response<Body>>;

    /// Gives the request its id (the client's `x-request-id` when usable),
    /// routes it, and answers with the id in `x-request-id`; the request is
    /// counted in the routed Worker's metrics.
    fn handle(&mut self, Route(mut request): Route, _ctx: &mut Self::Context) -> Self::Result {
        let started = Instant::now();
        let request_id = RequestId::for_request(request.headers());
        request.extensions_mut().insert(request_id.clone());
        let guard = body_guard_of(&request);
        let (worker, response) = self.route(request);
        Box::pin(answer(started, request_id, worker, guard, response))
    }
}

impl GatewayActor {
    /// Routes `request`: the Worker it goes to, if any, and its response.
    fn route(
        &mut self,
        request: http::Request<Body>,
    ) -> (Option<String>, ResponseFuture<http::Response<Body>>) {
        let host = host_of(&request);
        let path = request.uri().path();
        let manual_trigger = self.scheduled_endpoint && path == SCHEDULED_PATH;
        let email_trigger = self.email_endpoint && crate::email::is_email_path(path);
        let worker = self.routes.lookup(host, path).or_else(|| {
            // A Worker whose routes only cover some paths is still found by
            // its host for the trigger paths.
            (manual_trigger || email_trigger)
                .then(|| self.routes.lookup(host, "/"))
                .flatten()
        });
        let Some(worker) = worker else {
            return (None, Box::pin(async { no_route() }));
        };
        let name = Some(worker.to_owned());
        if manual_trigger {
            return (name, self.trigger(worker.to_owned(), request.uri()));
        }
        if email_trigger {
            let registry = self.registry.clone();
            let email = crate::email::deliver(registry, worker.to_owned(), request);
            return (name, Box::pin(email));
        }
        if let Some(response) = self
            .assets
            .get(worker)
            .and_then(|assets| assets.current().route(&request))
        {
            return (name, Box::pin(async { response }));
        }
        // A Worker with an origin gets its request body whole, and a copy of
        // the request is kept in case the Worker passes it through.
        let Some(origin) = self.origins.get(worker).cloned() else {
            let dispatch = self.registry.send(Dispatch::new(worker, request));
            return (
                name,
                Box::pin(async move {
                    match dispatch.await {
                        Ok(Ok(response)) => response,
                        Ok(Err(error)) => error_response(&error),
                        Err(_) => {
                            error_response(&RuntimeError::Startup("the registry stopped".into()))
                        }
                    }
                }),
            );
        };
        let registry = self.registry.clone();
        let outbound = self.outbound.clone();
        let worker = worker.to_owned();
        let response = Box::pin(async move {
            let (parts, body) = request.into_parts();
            let Ok(bytes) = body.collect().await else {
                return crate::responses::text(
                    http::StatusCode::BAD_REQUEST,
                    "The request body could not be read.\n",
                );
            };
            let copy = http::Request::from_parts(parts, bytes);
            let mut request = http::Request::new(Body::from(copy.body().clone()));
            *request.method_mut() = copy.method().clone();
            *request.uri_mut() = copy.uri().clone();
            *request.version_mut() = copy.version();
            *request.headers_mut() = copy.headers().clone();
            *request.extensions_mut() = copy.extensions().clone();
            match registry.send(Dispatch::new(worker, request)).await {
                Ok(Ok(response)) => response,
                Ok(Err(RuntimeError::Exception {
                    pass_through: true,
                    worker,
                    ..
                })) => match outbound.forward(copy, &origin).await {
                    Ok(response) => response.map(Body::from),
                    Err(e) => {
                        tracing::error!(worker, %origin, "passing the request through failed: {e}");
                        crate::responses::text(
                            http::StatusCode::BAD_GATEWAY,
                            "The Worker threw an exception and its origin could not be reached.\n",
                        )
                    }
                },
                Ok(Err(error)) => error_response(&error),
                Err(_) => error_response(&motu_runtime::RuntimeError::Startup(
                    "the registry stopped".into(),
                )),
            }
        });
        (name, response)
    }
}
