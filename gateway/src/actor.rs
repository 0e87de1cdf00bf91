//! The gateway actor: routes each request to its Worker.

use actix::prelude::*;
use motu_runtime::{Body, Dispatch, Registry};

use crate::responses::{error_response, no_route};
use crate::RouteTable;

/// Owns the route table and forwards each request to the registry.
pub struct GatewayActor {
    routes: RouteTable,
    registry: Addr<Registry>,
}

impl GatewayActor {
    /// A gateway over `routes` that dispatches through `registry`.
    pub fn new(routes: RouteTable, registry: Addr<Registry>) -> Self {
        Self { routes, registry }
    }
}

impl Actor for GatewayActor {
    type Context = Context<Self>;
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
        let Some(worker) = self.routes.lookup(host, request.uri().path()) else {
            return Box::pin(async { no_route() });
        };
        let dispatch = self.registry.send(Dispatch::new(worker, request));
        Box::pin(async move {
            match dispatch.await {
                Ok(Ok(response)) => response,
                Ok(Err(error)) => error_response(&error),
                Err(_) => error_response(&motu_runtime::RuntimeError::Startup(
                    "the registry stopped".into(),
                )),
            }
        })
    }
}
