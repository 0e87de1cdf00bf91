//! The Worker's outbound sockets: `new WebSocket(url)` and `fetch()` with
//! `Upgrade: websocket`, through the runtime's HTTP client (so the egress
//! policy applies as to any `fetch()`), then a pump on the isolate's
//! thread — or, for a `fetch()` upgrade, the connection kept until the
//! Worker accepts the socket (a pump) or hands it on to its client (a
//! join, `super::join`).

use std::rc::Rc;
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use motu_engine::{HostValue, JsError};

use super::{SocketOwner, Sockets, WebSocketLink};
use crate::Outbound;

/// The op's arguments `(token, url, [[name, value]…])` as the `fetch` op's
/// request: a GET to the URL (`ws:`/`wss:` become `http:`/`https:`).
fn request_args(args: &[HostValue]) -> Result<Vec<HostValue>, JsError> {
    let url = args
        .get(1)
        .and_then(HostValue::as_str)
        .ok_or_else(|| JsError::type_error("WebSocket: the URL must be a string"))?;
    let mut url = url::Url::parse(url).map_err(|e| {
        JsError::new(
            "SyntaxError",
            format!("WebSocket: invalid URL '{url}': {e}"),
        )
    })?;
    let scheme = match url.scheme() {
        "ws" | "http" => "http",
        "wss" | "https" => "https",
        other => {
            return Err(JsError::new(
                "SyntaxError",
                format!(
                    "WebSocket: the URL scheme '{other}' is not supported (ws, wss, http, https)"
                ),
            ))
        }
    };
    // Between special schemes, the URL standard allows the change.
    let _ = url.set_scheme(scheme);
    Ok(vec![
        args.first().cloned().unwrap_or(HostValue::Null),
        "GET".into(),
        url.as_str().into(),
        args.get(2).cloned().unwrap_or(HostValue::List(Vec::new())),
    ])
}

/// Opens the socket `args` describe. Once the server accepted it: with
/// `held` (the op's fourth argument: a `fetch()` upgrade, whose socket the
/// Worker may accept or hand on to its client) the connection is kept in
/// `sockets` for event `event` and the op settles with `{ status, headers,
/// forwarded }`; else (`new WebSocket(url)`) the socket joins `sockets`
/// with a pump delivering to `owner`, and the op settles with `{ status,
/// headers, socket }`.
pub(crate) fn connect(
    outbound: Outbound,
    args: &[HostValue],
    sockets: Rc<Sockets>,
    owner: Arc<dyn SocketOwner>,
    event: Option<u64>,
) -> Result<impl std::future::Future<Output = Result<HostValue, JsError>> + 'static, JsError> {
    let request = crate::fetch::request_from_args(&request_args(args)?)?;
    let held = matches!(args.get(3), Some(HostValue::Bool(true)));
    Ok(async move {
        let (headers, upgraded) = outbound.upgrade(request).await?;
        let connection = TokioIo::new(upgraded);
        let socket = if held {
            let kept = sockets.forward(event, WebSocketLink::outbound(connection));
            ("forwarded".into(), HostValue::Number(kept.into()))
        } else {
            let (socket, pump) = sockets.open(owner);
            actix_rt::spawn(pump.run_client(connection));
            ("socket".into(), HostValue::Number(socket.into()))
        };
        Ok(HostValue::Map(vec![
            ("status".into(), HostValue::Number(101.0)),
            ("headers".into(), crate::event::headers_value(&headers)),
            socket,
        ]))
    })
}
