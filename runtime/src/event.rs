//! Events as the isolate sees them, and responses as the host gets them.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use motu_engine::HostValue;

/// A fetch event's request: method, absolute URL (or a path, then the `Host`
/// header or `localhost` supplies the origin), headers and the whole body.
pub type FetchRequest = http::Request<Bytes>;

/// A Worker's response, with its whole body.
pub type FetchResponse = http::Response<Bytes>;

/// Header bytes as a JavaScript ByteString: each byte one code point.
fn byte_string(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if s.is_ascii() => s.to_owned(),
        _ => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// The event payload the prelude's `dispatch` hook receives.
pub(crate) fn fetch_event(request: &FetchRequest) -> HostValue {
    let uri = request.uri();
    let url = if uri.scheme().is_some() {
        uri.to_string()
    } else {
        let host = request
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!(
            "http://{host}{}",
            uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
        )
    };
    let headers = request
        .headers()
        .iter()
        .map(|(k, v)| {
            HostValue::List(vec![
                HostValue::String(k.as_str().to_owned()),
                HostValue::String(byte_string(v.as_bytes())),
            ])
        })
        .collect();
    let body = if request.body().is_empty() {
        HostValue::Null
    } else {
        HostValue::Bytes(request.body().to_vec())
    };
    HostValue::Map(vec![
        ("type".into(), "fetch".into()),
        ("method".into(), request.method().as_str().into()),
        ("url".into(), url.into()),
        ("headers".into(), HostValue::List(headers)),
        ("body".into(), body),
    ])
}

/// Builds the response from the arguments of the `respond` op:
/// `(id, status, statusText, [[name, value]…], body)`.
pub(crate) fn response_from_op(args: Vec<HostValue>) -> Result<FetchResponse, String> {
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
                let value: Vec<u8> = v.chars().map(|c| c as u32 as u8).collect();
                let name = HeaderName::from_bytes(k.as_bytes()).map_err(|e| e.to_string())?;
                let value = HeaderValue::from_bytes(&value).map_err(|e| e.to_string())?;
                builder = builder.header(name, value);
            }
        }
    }
    let body = match args.next() {
        Some(HostValue::String(s)) => Bytes::from(s.into_bytes()),
        Some(HostValue::Bytes(b)) => Bytes::from(b),
        _ => Bytes::new(),
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
            .body(Bytes::new())
            .unwrap();
        let ev = fetch_event(&req);
        assert_eq!(
            ev.get("url").unwrap().as_str(),
            Some("http://example.com:8080/a?b=1")
        );
        assert_eq!(ev.get("body"), Some(&HostValue::Null));
        let headers = ev.get("headers").unwrap().as_list().unwrap();
        assert_eq!(
            headers[1],
            HostValue::List(vec!["x-latin".into(), "café".into()])
        );
    }

    #[test]
    fn responses_are_built_from_the_respond_op() {
        let res = response_from_op(vec![
            HostValue::Number(1.0),
            HostValue::Number(201.0),
            "".into(),
            HostValue::List(vec![HostValue::List(vec!["x-a".into(), "é".into()])]),
            "body".into(),
        ])
        .unwrap();
        assert_eq!(res.status(), 201);
        assert_eq!(res.headers()["x-a"].as_bytes(), b"\xe9");
        assert_eq!(res.body().as_ref(), b"body");
        assert!(response_from_op(vec![HostValue::Number(1.0), HostValue::Number(42.0)]).is_err());
    }
}
