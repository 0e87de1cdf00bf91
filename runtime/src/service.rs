//! Service bindings: `env.NAME.fetch(request)` calls another Worker of the
//! same runtime in-process, through the registry — no socket, no loopback
//! HTTP. The callee runs under its own limits, on whichever isolate the
//! registry picks (possibly on the caller's executor thread: the caller's
//! isolate is not blocked while it waits, so chains cannot deadlock).
//!
//! A chain of calls is bounded: each request carries its depth as a
//! request extension ([`ChainDepth`]); a call deeper than
//! [`MAX_CHAIN_DEPTH`] fails.

use actix::Recipient;
use motu_engine::{HostValue, JsError};

use crate::fetch::{request_at, OutboundHead, OutboundRequest, OutboundResponse};
use crate::{Dispatch, FetchRequest, RuntimeError};

/// How deep a chain of service-binding calls may go.
pub const MAX_CHAIN_DEPTH: u32 = 16;

/// The depth of a request in a chain of service-binding calls: 0 for a
/// request from outside, 1 for one made by a Worker for that request, …
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChainDepth(pub u32);

/// The depth `request` carries.
pub(crate) fn depth_of(request: &FetchRequest) -> u32 {
    request.extensions().get::<ChainDepth>().map_or(0, |d| d.0)
}

/// The named entrypoint (`export class Name extends WorkerEntrypoint`) whose
/// `fetch` a service-binding request goes to, as a request extension;
/// without it, the default export's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entrypoint(pub(crate) String);

/// The props (`ctx.props`, in RPC wire form) a service-binding request
/// gives its entrypoint, as a request extension; without it, none.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Props(pub(crate) HostValue);

/// The props `request` carries, if any.
pub(crate) fn props_of(request: &FetchRequest) -> Option<HostValue> {
    request.extensions().get::<Props>().map(|p| p.0.clone())
}

/// What a service binding's request goes to in the Worker it calls.
#[derive(Debug, Clone, Default)]
pub(crate) struct Callee {
    /// The named entrypoint; `None`: the default export.
    pub(crate) entrypoint: Option<String>,
    /// Its `ctx.props` in wire form; `None`: an empty object.
    pub(crate) props: Option<HostValue>,
}

/// The entrypoint `request` names, if any.
pub(crate) fn entrypoint_of(request: &FetchRequest) -> Option<String> {
    request
        .extensions()
        .get::<Entrypoint>()
        .map(|e| e.0.clone())
}

/// Reads `(token, service, method, url, headers, body, entrypoint,
/// props)`: the Worker to call and the request for it (the entrypoint and
/// the props are read by [`entrypoint_from_args`] and [`props_from_args`]).
pub(crate) fn call_from_args(args: &[HostValue]) -> Result<(String, OutboundRequest), JsError> {
    let service = args
        .get(1)
        .and_then(HostValue::as_str)
        .ok_or_else(|| JsError::type_error("service binding: the service must be a string"))?
        .to_owned();
    Ok((service, request_at(args, 2, false)?))
}

/// The entrypoint of `service_fetch`'s arguments, if one is named.
pub(crate) fn entrypoint_from_args(args: &[HostValue]) -> Option<String> {
    args.get(6).and_then(HostValue::as_str).map(str::to_owned)
}

/// The props of `service_fetch`'s arguments (wire form), if any.
pub(crate) fn props_from_args(args: &[HostValue]) -> Option<HostValue> {
    args.get(7)
        .filter(|p| !matches!(p, HostValue::Undefined | HostValue::Null))
        .cloned()
}

/// Calls `callee` of `service` with `request` at `depth`; its response
/// body streams on as the callee produces it.
pub(crate) async fn call(
    dispatcher: Recipient<Dispatch>,
    service: String,
    request: OutboundRequest,
    depth: u32,
    request_id: Option<crate::RequestId>,
    callee: Callee,
) -> Result<OutboundResponse, JsError> {
    if depth > MAX_CHAIN_DEPTH {
        return Err(JsError::new(
            "Error",
            format!("service binding chain too deep: more than {MAX_CHAIN_DEPTH} nested calls"),
        ));
    }
    let url = request.url.clone();
    let mut http_request = to_http(request, "service binding")?;
    http_request.extensions_mut().insert(ChainDepth(depth));
    if let Some(request_id) = request_id {
        http_request.extensions_mut().insert(request_id);
    }
    if let Some(entrypoint) = callee.entrypoint {
        http_request.extensions_mut().insert(Entrypoint(entrypoint));
    }
    if let Some(props) = callee.props {
        http_request.extensions_mut().insert(Props(props));
    }
    let outcome = dispatcher
        .send(Dispatch::new(service.clone(), http_request))
        .await
        .map_err(|_| RuntimeError::Lost(service.clone()));
    match outcome.and_then(|r| r) {
        Ok(response) => Ok(from_http(response, url)),
        // What the callee threw is thrown in the caller, with its name and
        // message, as Cloudflare's service bindings do.
        Err(RuntimeError::Exception { error, .. }) => Err(error),
        Err(error) => Err(JsError::new(
            "Error",
            format!("service binding to '{service}' failed: {error}"),
        )),
    }
}

/// Sends `request` to the Durable Object `target` (straight to its isolate
/// when `objects` knows it is live, else through the registry's directory,
/// see `crate::durable::direct`) at `depth`, with the calling isolate's
/// draining flag (`from_draining`, see `crate::durable::draining`); its
/// response body streams on as the object produces it.
pub(crate) async fn call_object(
    dispatcher: Recipient<Dispatch>,
    objects: Option<crate::durable::direct::Homes>,
    target: crate::ObjectTarget,
    request: OutboundRequest,
    depth: u32,
    request_id: Option<crate::RequestId>,
    from_draining: crate::durable::draining::FromDraining,
) -> Result<OutboundResponse, JsError> {
    if depth > MAX_CHAIN_DEPTH {
        return Err(JsError::new(
            "Error",
            format!("subrequest chain too deep: more than {MAX_CHAIN_DEPTH} nested calls"),
        ));
    }
    let url = request.url.clone();
    let mut http_request = to_http(request, "Durable Object stub")?;
    http_request.extensions_mut().insert(ChainDepth(depth));
    if let Some(request_id) = request_id {
        http_request.extensions_mut().insert(request_id);
    }
    http_request.extensions_mut().insert(target.clone());
    http_request.extensions_mut().insert(from_draining);
    let outcome =
        crate::durable::direct::fetch(objects.as_ref(), &dispatcher, &target, http_request).await;
    match outcome {
        Ok(response) => Ok(from_http(response, url)),
        Err(RuntimeError::Exception { error, .. }) => Err(error),
        Err(error) => Err(JsError::new("Error", format!("Durable Object: {error}"))),
    }
}

/// A Worker's subrequest as an `http` request (`what` names the binding in
/// errors).
pub(crate) fn to_http(
    request: OutboundRequest,
    what: &str,
) -> Result<http::Request<crate::Body>, JsError> {
    let uri = http::Uri::try_from(request.url.as_str())
        .map_err(|e| JsError::type_error(format!("{what}: {e}")))?;
    let mut http_request = http::Request::new(request.body.unwrap_or_default());
    *http_request.method_mut() = request.method;
    *http_request.uri_mut() = uri;
    *http_request.headers_mut() = request.headers;
    Ok(http_request)
}

/// An in-process response as a subrequest's response for `url`.
pub(crate) fn from_http(response: http::Response<crate::Body>, url: url::Url) -> OutboundResponse {
    let (parts, body) = response.into_parts();
    OutboundResponse {
        head: OutboundHead {
            status: parts.status,
            reason: None,
            headers: parts.headers,
            url,
            redirected: false,
            web_socket: parts
                .extensions
                .get::<crate::websocket::WebSocketLink>()
                .cloned(),
        },
        body,
    }
}

/// Asks a Worker's assets binding.
pub(crate) async fn ask_assets(
    fetcher: std::sync::Arc<dyn crate::AssetFetcher>,
    request: OutboundRequest,
) -> Result<OutboundResponse, JsError> {
    let url = request.url.clone();
    let request = to_http(request, "assets binding")?;
    Ok(from_http(fetcher.fetch(request).await, url))
}
