//! Outbound `fetch()`: the Worker's subrequests to the outside world.
//!
//! # Concepts
//!
//! - The prelude's `fetch()` builds a `Request`, reads its body, and calls
//!   the async op `fetch(token, method, url, headers, body, redirect)`; the
//!   op's promise settles with the response's status, headers, final URL,
//!   whether it was redirected, and its body. `fetch_abort(token)` cancels
//!   it (the prelude calls it when the request's `AbortSignal` fires).
//! - Requests go out through a hyper client per executor thread (HTTP/1.1
//!   over TCP, or TLS with rustls and the Web PKI roots), so connections are
//!   pooled and live on the event loop of the isolate that uses them.
//! - The **egress policy** ([`EgressPolicy`]) is checked where it cannot be
//!   bypassed: on the addresses a name resolves to, right before connecting
//!   (and on address literals in the URL). By default only public addresses
//!   are reachable, so a Worker cannot reach the host's own services.
//! - **Redirects** are followed here (up to 20), or refused, or returned,
//!   as the request's `redirect` mode says; see `redirect`.
//! - Each event may make `Limits::subrequests` calls; the host counts them
//!   and refuses the next with an error that says so.
//! - `data:` URLs are answered here, without network (`data_url`), and are
//!   not counted as subrequests.

mod client;
mod data_url;
pub(crate) mod egress;
mod mime;
mod op;
mod redirect;

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderMap, Method, StatusCode};
use http_body_util::BodyExt;

use crate::{Body, BodyError};
use motu_engine::JsError;
use url::{Host, Url};

use actix::Recipient;
pub(crate) use data_url::response as data_url_response;
pub use egress::{is_public, EgressPolicy};
pub(crate) use op::{request_at, request_from_args, response_value};
pub use redirect::RedirectMode;

use client::{client, Refused};
use redirect::{is_redirect, next_hop, MAX_REDIRECTS};

/// The outbound side of a runtime: its egress policy.
#[derive(Debug, Clone)]
pub struct Outbound {
    policy: Arc<EgressPolicy>,
    /// The policy for hosts the config names: every address.
    open: Arc<EgressPolicy>,
    /// Where service-binding calls go: the registry.
    dispatcher: Option<Recipient<crate::Dispatch>>,
    /// Where RPC calls to a Worker's entrypoint go: the registry.
    rpc: Option<Recipient<crate::rpc::RpcCall>>,
    /// Where live Durable Objects are, for stubs' direct way.
    objects: Option<crate::durable::direct::Homes>,
    /// Where dynamic Workers are registered, and the loaded ones.
    dynamic: Option<(
        Recipient<crate::dynamic::RegisterDynamic>,
        crate::dynamic::DynamicWorkers,
    )>,
}

impl Default for Outbound {
    fn default() -> Self {
        Self::new(EgressPolicy::public_only())
    }
}

/// A subrequest as the Worker made it.
#[derive(Debug)]
pub(crate) struct OutboundRequest {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    /// Whole, or streamed from JavaScript as it is produced.
    pub(crate) body: Option<Body>,
    pub(crate) redirect: RedirectMode,
}

/// The head of a subrequest's response.
#[derive(Debug)]
pub(crate) struct OutboundHead {
    pub(crate) status: StatusCode,
    /// The reason phrase the server sent, where it is not the status's
    /// canonical one (HTTP/1.1 only).
    pub(crate) reason: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) url: Url,
    pub(crate) redirected: bool,
    /// The socket a 101 response from another Worker or a Durable Object
    /// carries.
    pub(crate) web_socket: Option<crate::websocket::WebSocketLink>,
}

/// The response to a subrequest: its head, and its body as it arrives.
pub(crate) struct OutboundResponse {
    pub(crate) head: OutboundHead,
    pub(crate) body: Body,
}

impl OutboundResponse {
    /// The head and the body, apart.
    pub(crate) fn into_head(self) -> (OutboundHead, Body) {
        (self.head, self.body)
    }
}

/// A hyper response body as a [`Body`] of its data frames.
fn streamed(body: hyper::body::Incoming) -> Body {
    let frames = http_body_util::BodyStream::new(body).filter_map(|frame| async move {
        match frame {
            Ok(frame) => frame.into_data().ok().map(Ok),
            Err(e) => Some(Err(BodyError::new(format!(
                "the response body broke off: {e}"
            )))),
        }
    });
    Body::from_stream(frames)
}

impl Outbound {
    /// Outbound requests under `policy`.
    pub fn new(policy: EgressPolicy) -> Self {
        Self {
            policy: Arc::new(policy),
            open: Arc::new(EgressPolicy::allow_all()),
            dispatcher: None,
            rpc: None,
            objects: None,
            dynamic: None,
        }
    }

    /// Sends service-binding calls to `dispatcher` (the registry).
    pub(crate) fn with_dispatcher(mut self, dispatcher: Recipient<crate::Dispatch>) -> Self {
        self.dispatcher = Some(dispatcher);
        self
    }

    /// Sends RPC calls to entrypoints to `rpc` (the registry).
    pub(crate) fn with_rpc(mut self, rpc: Recipient<crate::rpc::RpcCall>) -> Self {
        self.rpc = Some(rpc);
        self
    }

    /// Sends Durable Object stubs' events straight to the isolates that
    /// `objects` says host them (see `crate::durable::direct`).
    pub(crate) fn with_objects(mut self, objects: crate::durable::direct::Homes) -> Self {
        self.objects = Some(objects);
        self
    }

    /// Registers dynamic Workers with `registry`, `table` knowing the
    /// loaded ones (see `crate::dynamic`).
    pub(crate) fn with_dynamic(
        mut self,
        registry: Recipient<crate::dynamic::RegisterDynamic>,
        table: crate::dynamic::DynamicWorkers,
    ) -> Self {
        self.dynamic = Some((registry, table));
        self
    }

    /// Where dynamic Workers are registered and the loaded ones, once the
    /// registry runs.
    pub(crate) fn dynamic(
        &self,
    ) -> Option<(
        &Recipient<crate::dynamic::RegisterDynamic>,
        &crate::dynamic::DynamicWorkers,
    )> {
        self.dynamic.as_ref().map(|(r, t)| (r, t))
    }

    /// Where live Durable Objects are, once the registry runs.
    pub(crate) fn objects(&self) -> Option<&crate::durable::direct::Homes> {
        self.objects.as_ref()
    }

    /// Where RPC calls to entrypoints go, once the registry runs.
    pub(crate) fn rpc(&self) -> Option<&Recipient<crate::rpc::RpcCall>> {
        self.rpc.as_ref()
    }

    /// Where service-binding calls go, once the registry runs.
    pub(crate) fn dispatcher(&self) -> Option<&Recipient<crate::Dispatch>> {
        self.dispatcher.as_ref()
    }

    /// The policy in force.
    /// This outbound, also allowing each of `hosts` (`name:port`) whatever
    /// it resolves to; itself when there are none.
    pub fn with_hosts(&self, hosts: &[String]) -> Self {
        if hosts.is_empty() {
            return self.clone();
        }
        let policy = hosts
            .iter()
            .fold((*self.policy).clone(), |p, h| p.with_host(h));
        Self {
            policy: Arc::new(policy),
            ..self.clone()
        }
    }

    /// The egress policy its subrequests are held to.
    pub fn policy(&self) -> &EgressPolicy {
        &self.policy
    }

    /// Sends `request`, following redirects as its mode says, and answers
    /// once the final response's head has arrived.
    pub(crate) async fn send(
        &self,
        mut request: OutboundRequest,
    ) -> Result<OutboundResponse, JsError> {
        let mut redirected = false;
        for hop in 0..=MAX_REDIRECTS {
            let client = client(self.policy_for(&request.url)?);
            // A whole body can be sent again after a redirect; a stream
            // cannot.
            let body = request.body.take();
            let replay = body.as_ref().and_then(|b| b.as_bytes().cloned());
            let streamed_body = body.as_ref().is_some_and(Body::is_stream);
            let response = client
                .request(http_request(&request, body)?)
                .await
                .map_err(|e| failure(&request.url, &e))?;
            let status = response.status();
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(str::to_owned);
            if let (true, Some(location)) = (is_redirect(status), location) {
                match request.redirect {
                    RedirectMode::Manual => {}
                    RedirectMode::Error => {
                        return Err(JsError::type_error(format!(
                        "fetch failed: {} redirected and the request's redirect mode is 'error'",
                        request.url
                    )))
                    }
                    RedirectMode::Follow if hop == MAX_REDIRECTS => {
                        return Err(JsError::type_error(format!(
                            "fetch failed: more than {MAX_REDIRECTS} redirects"
                        )))
                    }
                    RedirectMode::Follow => {
                        let (next, to_get) = next_hop(
                            &request.url,
                            &request.method,
                            status,
                            &location,
                            &mut request.headers,
                        )?;
                        if to_get {
                            request.method = Method::GET;
                        } else if streamed_body {
                            return Err(JsError::type_error(format!(
                                "fetch failed: cannot follow a {status} redirect with a streamed request body"
                            )));
                        } else {
                            request.body = replay.map(Body::from);
                        }
                        request.url = next;
                        redirected = true;
                        continue;
                    }
                }
            }
            let (parts, body) = response.into_parts();
            return Ok(OutboundResponse {
                head: OutboundHead {
                    status: parts.status,
                    reason: parts
                        .extensions
                        .get::<hyper::ext::ReasonPhrase>()
                        .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned()),
                    headers: parts.headers,
                    url: request.url,
                    redirected,
                    web_socket: None,
                },
                body: streamed(body),
            });
        }
        unreachable!("the loop returns by its last hop")
    }

    /// Asks `request`'s server for a WebSocket (RFC 6455's handshake, over
    /// this policy's client): the response's headers and the upgraded
    /// connection, or an error when the server did not accept.
    pub(crate) async fn upgrade(
        &self,
        mut request: OutboundRequest,
    ) -> Result<(HeaderMap, hyper::upgrade::Upgraded), JsError> {
        use http::header::{
            HeaderValue, CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY,
            SEC_WEBSOCKET_VERSION, UPGRADE,
        };
        use tokio_tungstenite::tungstenite::handshake::client::generate_key;
        let key = generate_key();
        let h = &mut request.headers;
        h.insert(UPGRADE, HeaderValue::from_static("websocket"));
        h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        h.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        h.insert(
            SEC_WEBSOCKET_KEY,
            HeaderValue::from_str(&key).map_err(|e| JsError::type_error(e.to_string()))?,
        );
        // Extensions (compression) are not offered.
        h.remove("sec-websocket-extensions");
        let client = client(self.policy_for(&request.url)?);
        let response = client
            .request(http_request(&request, None)?)
            .await
            .map_err(|e| failure(&request.url, &e))?;
        let status = response.status();
        if status != StatusCode::SWITCHING_PROTOCOLS {
            return Err(JsError::type_error(format!(
                "WebSocket to {} failed: the server answered {status} instead of 101 Switching Protocols",
                request.url
            )));
        }
        let expected = crate::websocket::accept_key(key.as_bytes());
        if response
            .headers()
            .get(SEC_WEBSOCKET_ACCEPT)
            .map(HeaderValue::as_bytes)
            != Some(expected.as_bytes())
        {
            return Err(JsError::type_error(format!(
                "WebSocket to {} failed: the server's Sec-WebSocket-Accept is wrong",
                request.url
            )));
        }
        let headers = response.headers().clone();
        let upgraded = hyper::upgrade::on(response)
            .await
            .map_err(|e| failure(&request.url, &e))?;
        Ok((headers, upgraded))
    }

    /// Sends `request` to `origin` as it came (same method, path, query,
    /// headers and body; redirects are returned, not followed), for a
    /// Worker that passes requests through to its origin on an exception.
    /// The origin is the operator's, so the egress policy does not apply.
    pub async fn forward(
        &self,
        request: http::Request<Bytes>,
        origin: &Url,
    ) -> Result<http::Response<Bytes>, JsError> {
        let (parts, body) = request.into_parts();
        let mut url = origin.clone();
        url.set_path(parts.uri.path());
        url.set_query(parts.uri.query());
        let forwarded = OutboundRequest {
            method: parts.method,
            url,
            headers: parts
                .headers
                .into_iter()
                .filter_map(|(k, v)| k.map(|k| (k, v)))
                .filter(|(k, _)| k != http::header::HOST)
                .collect(),
            body: None,
            redirect: RedirectMode::Manual,
        };
        let body = (!body.is_empty()).then(|| Body::from(body));
        let client = client(&self.open);
        let response = client
            .request(http_request(&forwarded, body)?)
            .await
            .map_err(|e| failure(&forwarded.url, &e))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| JsError::type_error(format!("reading the origin's response: {e}")))?
            .to_bytes();
        Ok(http::Response::from_parts(parts, body))
    }

    /// The policy that applies to `url`'s host, after refusing address
    /// literals the policy does not allow.
    fn policy_for(&self, url: &Url) -> Result<&Arc<EgressPolicy>, JsError> {
        let host = url.host_str().unwrap_or("");
        let port = url.port_or_known_default().unwrap_or(80);
        if self.policy.names(host, port) {
            return Ok(&self.open);
        }
        let literal = match url.host() {
            Some(Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal.filter(|ip| !self.policy.allows_ip(*ip)) {
            return Err(refused(&ip.to_string()));
        }
        Ok(&self.policy)
    }
}

fn refused(host: &str) -> JsError {
    JsError::type_error(format!(
        "fetch to '{host}' was refused: the server's egress policy allows only public \
         addresses {}",
        egress::REFUSAL_HINT
    ))
}

/// The hyper request for one hop, with `body`.
fn http_request(
    r: &OutboundRequest,
    body: Option<Body>,
) -> Result<http::Request<client::OutBody>, JsError> {
    let uri: http::Uri = r
        .url
        .as_str()
        .parse()
        .map_err(|e| JsError::type_error(format!("fetch: invalid URL '{}': {e}", r.url)))?;
    let mut builder = http::Request::builder().method(r.method.clone()).uri(uri);
    for (name, value) in &r.headers {
        builder = builder.header(name, value);
    }
    let body = body
        .unwrap_or_default()
        .map_err(|e| std::io::Error::other(e.to_string()))
        .boxed_unsync();
    builder
        .body(body)
        .map_err(|e| JsError::type_error(format!("fetch: {e}")))
}

/// A client error as the Worker sees it: a `TypeError` naming the URL and
/// the innermost cause.
fn failure(url: &Url, error: &(dyn std::error::Error + 'static)) -> JsError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut detail = error.to_string();
    while let Some(e) = cause {
        if let Some(r) = e.downcast_ref::<Refused>() {
            return refused(&r.host);
        }
        detail = e.to_string();
        cause = e.source();
    }
    JsError::type_error(format!("fetch to {url} failed: {detail}"))
}
