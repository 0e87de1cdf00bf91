//! The `fetch` op's arguments and result, as `HostValue`s.

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method};
use motu_engine::{HostValue, JsError};
use url::Url;

use super::{OutboundHead, OutboundRequest, RedirectMode};
use crate::Body;

/// Headers the URL and body decide, not the Worker.
const SET_BY_CLIENT: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];

/// Reads `(token, method, url, [[name, value]…], body, redirect)`.
pub(crate) fn request_from_args(args: &[HostValue]) -> Result<OutboundRequest, JsError> {
    request_at(args, 1, true)
}

/// Reads `(method, url, [[name, value]…], body)` from `args[at..]`, and the
/// redirect mode after them when `redirect` (else the default, follow).
pub(crate) fn request_at(
    args: &[HostValue],
    at: usize,
    redirect: bool,
) -> Result<OutboundRequest, JsError> {
    let str_at = |i: usize, what: &str| {
        args.get(at + i)
            .and_then(HostValue::as_str)
            .ok_or_else(|| JsError::type_error(format!("fetch: {what} must be a string")))
    };
    let method = Method::from_bytes(str_at(0, "the method")?.as_bytes())
        .map_err(|_| JsError::type_error("fetch: invalid method"))?;
    let url = str_at(1, "the URL")?;
    let url = Url::parse(url)
        .map_err(|e| JsError::type_error(format!("fetch: invalid URL '{url}': {e}")))?;
    if !matches!(url.scheme(), "http" | "https" | "data") {
        return Err(JsError::type_error(format!(
            "fetch: the URL scheme '{}' is not supported (only http, https and data)",
            url.scheme()
        )));
    }
    let mut headers = HeaderMap::new();
    if let Some(HostValue::List(pairs)) = args.get(at + 2) {
        for pair in pairs {
            let Some([HostValue::String(k), HostValue::String(v)]) = pair.as_list() else {
                return Err(JsError::type_error(
                    "fetch: headers must be [name, value] pairs",
                ));
            };
            if SET_BY_CLIENT.contains(&k.to_ascii_lowercase().as_str()) {
                continue;
            }
            let value: Vec<u8> = v.chars().map(|c| c as u32 as u8).collect();
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| JsError::type_error(format!("fetch: invalid header name '{k}'")))?;
            let value = HeaderValue::from_bytes(&value).map_err(|_| {
                JsError::type_error(format!("fetch: invalid value for header '{k}'"))
            })?;
            headers.append(name, value);
        }
    }
    // A streamed body (a sink's handle) is attached by the host.
    let body = match args.get(at + 3) {
        Some(HostValue::Bytes(b)) => Some(Body::from(b.clone())),
        Some(HostValue::String(s)) => Some(Body::from(s.clone())),
        _ => None,
    };
    let mode = if redirect { args.get(at + 4) } else { None };
    let redirect = match mode.and_then(HostValue::as_str) {
        None => RedirectMode::Follow,
        Some(mode) => RedirectMode::parse(mode)
            .ok_or_else(|| JsError::type_error(format!("fetch: invalid redirect mode '{mode}'")))?,
    };
    Ok(OutboundRequest {
        method,
        url,
        headers,
        body,
        redirect,
    })
}

/// The op's result: `{ status, statusText, headers, url, redirected, body }`,
/// where `body` is given (a readable's handle, or bytes).
pub(crate) fn response_value(r: OutboundHead, body: HostValue) -> HostValue {
    HostValue::Map(vec![
        ("status".into(), HostValue::Number(r.status.as_u16().into())),
        (
            "statusText".into(),
            r.reason
                .as_deref()
                .or(r.status.canonical_reason())
                .unwrap_or("")
                .into(),
        ),
        ("headers".into(), crate::event::headers_value(&r.headers)),
        ("url".into(), r.url.as_str().into()),
        ("redirected".into(), HostValue::Bool(r.redirected)),
        ("body".into(), body),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(url: &str, headers: Vec<(&str, &str)>) -> Vec<HostValue> {
        let headers = headers
            .into_iter()
            .map(|(k, v)| HostValue::List(vec![k.into(), v.into()]))
            .collect();
        vec![
            HostValue::Number(1.0),
            "POST".into(),
            url.into(),
            HostValue::List(headers),
            "body".into(),
            "manual".into(),
        ]
    }

    #[test]
    fn requests_are_read_from_the_op_arguments() {
        let r = request_from_args(&args(
            "https://example.com/a?b",
            vec![
                ("x-a", "é"),
                ("host", "evil.example"),
                ("content-length", "9"),
            ],
        ))
        .unwrap();
        assert_eq!(r.method, Method::POST);
        assert_eq!(r.url.as_str(), "https://example.com/a?b");
        assert_eq!(r.headers["x-a"].as_bytes(), b"\xe9");
        assert!(r.headers.get("host").is_none());
        assert!(r.headers.get("content-length").is_none());
        assert_eq!(
            r.body.unwrap().as_bytes().map(|b| &b[..]),
            Some(&b"body"[..])
        );
        assert_eq!(r.redirect, RedirectMode::Manual);
    }

    #[test]
    fn bad_arguments_are_type_errors() {
        for bad in [
            args("file:///etc/passwd", vec![]),
            args("not a url", vec![]),
            args("http://x/", vec![("bad name", "v")]),
            args("http://x/", vec![("x", "a\nb")]),
        ] {
            assert_eq!(request_from_args(&bad).unwrap_err().name, "TypeError");
        }
    }
}
