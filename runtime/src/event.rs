//! Events as the isolate sees them, and responses as the host gets them.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use motu_engine::HostValue;

use crate::Body;

/// A fetch event's request: method, absolute URL (or a path, then the `Host`
/// header or `localhost` supplies the origin), headers and the body (whole,
/// or streamed to the Worker as it arrives).
pub type FetchRequest = http::Request<Body>;

/// A Worker's response; its body is whole, or streamed while the Worker
/// produces it.
pub type FetchResponse = http::Response<Body>;

/// Header bytes as a JavaScript ByteString: each byte one code point.
fn byte_string(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if s.is_ascii() => s.to_owned(),
        _ => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// A header value as the Fetch standard normalises it: without leading or
/// trailing HTTP whitespace (tab, space; a `HeaderValue` holds no CR, LF or
/// NUL).
fn trim_http_whitespace(mut bytes: &[u8]) -> &[u8] {
    while let [b'\t' | b' ', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b'\t' | b' '] = bytes {
        bytes = rest;
    }
    bytes
}

/// Headers as JavaScript sees them: `[[name, value]…]`, names lower-case
/// tokens (as `http` keeps them), values normalised ByteStrings — valid as
/// they are, so the prelude adopts the list without checking it again.
pub(crate) fn headers_value(headers: &http::HeaderMap) -> HostValue {
    HostValue::List(
        headers
            .iter()
            .map(|(k, v)| {
                HostValue::List(vec![
                    HostValue::String(k.as_str().to_owned()),
                    HostValue::String(byte_string(trim_http_whitespace(v.as_bytes()))),
                ])
            })
            .collect(),
    )
}

/// The event payload the prelude's `dispatch` hook receives for a request:
/// the list `[method, url, headers, body, null, httpProtocol]`, or
/// `[method, null, headers, body, rawUrl, httpProtocol]` for a URL that
/// does not parse (the prelude parses `rawUrl` to raise the TypeError a
/// Worker would see; `httpProtocol` is `request.cf.httpProtocol`). A list, not a map:
/// the engines make it in one step, where a map's every key is a property
/// definition. `body` is `null`, the whole body's bytes, or the handle of a
/// readable stream. The URL is serialized here as the URL standard does
/// (`request_url`), so the prelude need not parse it again.
pub(crate) fn fetch_event(request: &http::request::Parts, body: HostValue) -> HostValue {
    let uri = &request.uri;
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    let (scheme, authority) = match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => (scheme, authority.as_str()),
        _ => (
            "http",
            request
                .headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost"),
        ),
    };
    let method: HostValue = request.method.as_str().into();
    let headers = headers_value(&request.headers);
    let protocol = http_protocol(request.version).into();
    match crate::request_url::serialize(scheme, authority, path_and_query) {
        Some(url) => HostValue::List(vec![
            method,
            url.into(),
            headers,
            body,
            HostValue::Null,
            protocol,
        ]),
        None => {
            let raw = if uri.scheme().is_some() {
                uri.to_string()
            } else {
                format!("{scheme}://{authority}{path_and_query}")
            };
            HostValue::List(vec![
                method,
                HostValue::Null,
                headers,
                body,
                raw.into(),
                protocol,
            ])
        }
    }
}

/// `request.cf.httpProtocol`: the HTTP version the request came in with,
/// as Cloudflare names it.
fn http_protocol(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_09 => "HTTP/0.9",
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2",
        http::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    }
}

/// Builds the response from the arguments of the `respond` op:
/// `(id, status, statusText, [[name, value]…], body)`, where the body is a
/// string, bytes, `null`, the handle of a sink, or `[handle]` of a host
/// readable JavaScript never read (a stored value sent on as it is), which
/// `take_stream(handle, readable)` turns into the streamed body.
pub(crate) fn response_from_op(
    args: Vec<HostValue>,
    take_stream: impl FnOnce(u32, bool) -> Option<Body>,
) -> Result<FetchResponse, String> {
    let mut args = args.into_iter().skip(1);
    let status = args
        .next()
        .and_then(|s| s.as_f64())
        .ok_or("the status is not a number")?;
    let status = http::StatusCode::from_u16(status as u16).map_err(|e| e.to_string())?;
    let _status_text = args.next();
    let mut builder = http::Response::builder().status(status);
    if let Some(HostValue::List(headers)) = args.next() {
        for pair in headers {
            if let Some([HostValue::String(k), HostValue::String(v)]) = pair.as_list() {
                let name = HeaderName::from_bytes(k.as_bytes()).map_err(|e| e.to_string())?;
                let value = if v.is_ascii() {
                    HeaderValue::from_str(v)
                } else {
                    // A ByteString: each char is one byte (the prelude
                    // normalised the value, so none is above U+00FF).
                    let bytes: Vec<u8> = v.chars().map(|c| c as u32 as u8).collect();
                    HeaderValue::from_bytes(&bytes)
                }
                .map_err(|e| e.to_string())?;
                builder = builder.header(name, value);
            }
        }
    }
    let body = match args.next() {
        Some(HostValue::String(s)) => Body::from(s),
        Some(HostValue::Bytes(b)) => Body::from(Bytes::from(b)),
        Some(HostValue::Number(n)) if n >= 0.0 && n <= u32::MAX as f64 => {
            take_stream(n as u32, false).ok_or("the body stream is unknown")?
        }
        Some(HostValue::List(readable)) => match readable.first().and_then(HostValue::as_f64) {
            Some(n) if n >= 0.0 && n <= u32::MAX as f64 => {
                take_stream(n as u32, true).ok_or("the body stream is unknown")?
            }
            _ => return Err("the body stream is not a handle".into()),
        },
        _ => Body::empty(),
    };
    builder.body(body).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_only_request_gets_its_origin_from_the_host_header() {
        let req = http::Request::get("/a?b=1")
            .header("host", "example.com:8080")
            .header("x-latin", HeaderValue::from_bytes(b"caf\xe9").unwrap())
            .body(())
            .unwrap();
        let (parts, ()) = req.into_parts();
        let ev = fetch_event(&parts, HostValue::Null);
        let ev = ev.as_list().unwrap();
        assert_eq!(ev[0].as_str(), Some("GET"));
        assert_eq!(ev[1].as_str(), Some("http://example.com:8080/a?b=1"));
        assert_eq!(ev[3], HostValue::Null);
        assert_eq!(ev[4], HostValue::Null);
        assert_eq!(ev[5].as_str(), Some("HTTP/1.1"));
        assert_eq!(ev.len(), 6);
        let headers = ev[2].as_list().unwrap();
        assert_eq!(
            headers[1],
            HostValue::List(vec!["x-latin".into(), "café".into()])
        );
    }

    #[test]
    fn urls_go_serialized_and_values_trimmed() {
        let req = http::Request::get("http://EXAMPLE.com/a/../b?q")
            .header("x-pad", HeaderValue::from_static(" \tv a\t "))
            .body(())
            .unwrap();
        let (parts, ()) = req.into_parts();
        let ev = fetch_event(&parts, HostValue::Null);
        let ev = ev.as_list().unwrap();
        assert_eq!(ev[1].as_str(), Some("http://example.com/b?q"));
        let headers = ev[2].as_list().unwrap();
        assert_eq!(
            headers[0],
            HostValue::List(vec!["x-pad".into(), "v a".into()])
        );
        let bad = http::Request::get("/x")
            .header("host", "a b")
            .body(())
            .unwrap();
        let (parts, ()) = bad.into_parts();
        let ev = fetch_event(&parts, HostValue::Null);
        let ev = ev.as_list().unwrap();
        assert_eq!(ev[1], HostValue::Null);
        assert_eq!(ev[4].as_str(), Some("http://a b/x"));
    }

    #[test]
    fn responses_are_built_from_the_respond_op() {
        let args = vec![
            HostValue::Number(1.0),
            HostValue::Number(201.0),
            "".into(),
            HostValue::List(vec![HostValue::List(vec!["x-a".into(), "é".into()])]),
            "body".into(),
        ];
        let res = response_from_op(args, |_, _| None).unwrap();
        assert_eq!(res.status(), 201);
        assert_eq!(res.headers()["x-a"].as_bytes(), b"\xe9");
        assert_eq!(res.body().as_bytes().unwrap().as_ref(), b"body");
        let no_status = vec![HostValue::Number(1.0), HostValue::Number(42.0)];
        assert!(response_from_op(no_status, |_, _| None).is_err());
        let stream = vec![
            HostValue::Number(1.0),
            HostValue::Number(200.0),
            "".into(),
            HostValue::List(vec![]),
            HostValue::Number(7.0),
        ];
        let res = response_from_op(stream.clone(), |h, _| (h == 7).then(Body::empty)).unwrap();
        assert!(res.body().as_bytes().is_some());
        assert!(response_from_op(stream, |_, _| None).is_err());
    }
}
