//! The Python resource scripts of WPT (`*.py`) that the selected tests
//! fetch, re-implemented: each function below says which script it stands
//! for and does what that script does for the tests' inputs. Scripts not
//! listed answer 501 with a body that names them, so a test that needs one
//! fails with a clear reason. Not implemented, on purpose:
//! `fetch/api/request/resources/cache.py` (HTTP-cache tests: a Worker's
//! fetch() has no HTTP cache), `bad-chunk-encoding.py` (needs raw socket
//! writes), `authentication.py`, `/xhr/resources/echo-headers.py` and the
//! connection-pool scripts (outside the subset).

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use http::{header, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};

use super::files::{query_pairs, serve};
use super::{full, Body, State};

/// A request as the scripts see it: method, path, query, headers, body.
struct Req {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Req {
    /// The first value of query parameter `name`.
    fn get(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The request header `name`'s value, or `default`.
    fn header_or(&self, name: &str, default: &'static str) -> HeaderValue {
        self.headers
            .get(name)
            .cloned()
            .unwrap_or(HeaderValue::from_static(default))
    }

    /// The request path's directory, with a trailing `/`: the stash
    /// namespace of `stash-put.py` and friends.
    fn dir(&self) -> &str {
        &self.path[..=self.path.rfind('/').unwrap_or(0)]
    }
}

/// Answers one request.
pub(crate) async fn handle(state: &State, request: Request<Incoming>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    // trickle.py and friends read the body first; the others echo it.
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let r = Req {
        method: parts.method,
        query: query_pairs(&raw_query),
        path,
        headers: parts.headers,
        body,
    };
    let script = r.path.rsplit('/').next().unwrap_or("").to_owned();
    if !script.ends_with(".py") {
        return serve(state, &r.path, &raw_query).unwrap_or_else(|| {
            respond(
                StatusCode::NOT_FOUND,
                vec![],
                format!("{} not found", r.path),
            )
        });
    }
    match script.as_str() {
        "inspect-headers.py" => inspect_headers(&r),
        "echo-content.py" | "echo-content.h2.py" => echo_content(&r),
        "status.py" => status(&r),
        "method.py" => method(&r),
        "redirect.py" => redirect(state, &r).await,
        "stash-put.py" => stash_put(state, &r),
        "stash-take.py" => stash_take(state, &r),
        "trickle.py" => trickle(&r).await,
        "infinite-slow-response.py" => infinite_slow_response(state, &r),
        _ => respond(
            StatusCode::NOT_IMPLEMENTED,
            vec![],
            format!("{} is not implemented by motu's WPT server", r.path),
        ),
    }
}

type Headers = Vec<(HeaderName, HeaderValue)>;

fn respond(status: StatusCode, headers: Headers, body: impl Into<Bytes>) -> Response<Body> {
    with_body(status, headers, full(body))
}

fn with_body(status: StatusCode, headers: Headers, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    for (name, value) in headers {
        response.headers_mut().append(name, value);
    }
    response
}

fn name(s: &str) -> Option<HeaderName> {
    HeaderName::from_bytes(s.as_bytes()).ok()
}

fn value(s: &str) -> HeaderValue {
    HeaderValue::from_bytes(&s.chars().map(|c| c as u32 as u8).collect::<Vec<_>>())
        .unwrap_or(HeaderValue::from_static(""))
}

fn text_plain() -> (HeaderName, HeaderValue) {
    (header::CONTENT_TYPE, HeaderValue::from_static("text/plain"))
}

/// `fetch/api/resources/inspect-headers.py`: for each name in
/// `headers=a|b`, the request's value as `x-request-NAME`; with `cors`,
/// the CORS headers that let a browser read them.
fn inspect_headers(r: &Req) -> Response<Body> {
    let mut out = Headers::new();
    let checked: Vec<&str> = r.get("headers").map_or(vec![], |h| h.split('|').collect());
    for h in &checked {
        if let (Some(value), Some(n)) = (r.headers.get(*h), name(&format!("x-request-{h}"))) {
            out.push((n, value.clone()));
        }
    }
    if r.has("cors") {
        let origin = r.header_or("origin", "*");
        out.push((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin));
        out.push((header::ACCESS_CONTROL_ALLOW_CREDENTIALS, value("true")));
        out.push((
            header::ACCESS_CONTROL_ALLOW_METHODS,
            value("GET, POST, HEAD"),
        ));
        let exposed: Vec<String> = checked.iter().map(|h| format!("x-request-{h}")).collect();
        out.push((
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            value(&exposed.join(", ")),
        ));
        let allow = r.get("allow_headers").map_or_else(
            || {
                r.headers
                    .keys()
                    .map(HeaderName::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            str::to_owned,
        );
        out.push((header::ACCESS_CONTROL_ALLOW_HEADERS, value(&allow)));
    }
    out.push(text_plain());
    respond(StatusCode::OK, out, "")
}

/// `fetch/api/resources/echo-content.py`: the body back, with the method,
/// content length and type as `X-Request-*` headers.
fn echo_content(r: &Req) -> Response<Body> {
    let headers = vec![
        (
            name("x-request-method").unwrap_or(header::ALLOW),
            value(r.method.as_str()),
        ),
        (
            name("x-request-content-length").unwrap_or(header::ALLOW),
            r.header_or("content-length", "NO"),
        ),
        (
            name("x-request-content-type").unwrap_or(header::ALLOW),
            r.header_or("content-type", "NO"),
        ),
        text_plain(),
    ];
    respond(StatusCode::OK, headers, r.body.clone())
}

/// `fetch/api/resources/status.py` and `xhr/resources/status.py`: status
/// `code` with reason `text` (default `OMG`), `content` as the body and
/// `type` as the content type.
fn status(r: &Req) -> Response<Body> {
    let code = r
        .get("code")
        .and_then(|c| c.parse::<u16>().ok())
        .and_then(|c| StatusCode::from_u16(c).ok())
        .unwrap_or(StatusCode::OK);
    let headers = vec![
        (header::CONTENT_TYPE, value(r.get("type").unwrap_or(""))),
        (
            name("x-request-method").unwrap_or(header::ALLOW),
            value(r.method.as_str()),
        ),
    ];
    let mut response = respond(code, headers, r.get("content").unwrap_or("").to_owned());
    let reason = r.get("text").unwrap_or("OMG");
    if let Ok(reason) = hyper::ext::ReasonPhrase::try_from(reason.as_bytes().to_vec()) {
        response.extensions_mut().insert(reason);
    }
    response
}

/// `fetch/api/resources/method.py`: the body back, with the method and
/// content headers of the request as `x-request-*`.
fn method(r: &Req) -> Response<Body> {
    let mut headers = Headers::new();
    if r.has("cors") {
        headers.push((header::ACCESS_CONTROL_ALLOW_ORIGIN, value("*")));
        headers.push((header::ACCESS_CONTROL_ALLOW_CREDENTIALS, value("true")));
        headers.push((
            header::ACCESS_CONTROL_ALLOW_METHODS,
            value("GET, POST, PUT, FOO"),
        ));
        headers.push((header::ACCESS_CONTROL_ALLOW_HEADERS, value("x-test, x-foo")));
        headers.push((
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            value("x-request-method"),
        ));
    }
    let mut add = |n: &str, v: HeaderValue| {
        if let Some(n) = name(n) {
            headers.push((n, v));
        }
    };
    add("x-request-method", value(r.method.as_str()));
    for h in [
        "content-type",
        "content-length",
        "content-encoding",
        "content-language",
        "content-location",
    ] {
        add(&format!("x-request-{h}"), r.header_or(h, "NO"));
    }
    respond(StatusCode::OK, headers, r.body.clone())
}

/// `fetch/api/resources/redirect.py`: redirects (status `redirect_status`,
/// default 302) to `location`, adding the query's parameters and a
/// `count` to it unless `simple`; with `token`, counts the hops in the
/// stash and, past `max_count`, answers the count instead.
async fn redirect(state: &State, r: &Req) -> Response<Body> {
    let mut headers = vec![
        text_plain(),
        (header::CACHE_CONTROL, value("no-cache")),
        (header::PRAGMA, value("no-cache")),
    ];
    headers.push((
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        r.headers.get("origin").cloned().unwrap_or(value("*")),
    ));
    let token = r.get("token");
    let mut count: u64 = token
        .and_then(|t| state.stash.take(&r.path, t))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if r.method == Method::OPTIONS && !r.has("redirect_preflight") {
        if let Some(t) = token {
            state.stash.put(&r.path, t, count.to_string());
        }
        return respond(StatusCode::OK, headers, "");
    }
    let status = r
        .get("redirect_status")
        .and_then(|s| s.parse::<u16>().ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::FOUND);
    count += 1;
    if let Some(location) = r.get("location") {
        let mut url = location.to_owned();
        let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        let relative = scheme
            .as_deref()
            .is_none_or(|s| s == "http" || s == "https" || s.contains('/') || s.contains('?'));
        if !r.has("simple") && relative {
            url.push(if url.contains('?') { '&' } else { '?' });
            let params: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(r.query.iter())
                .finish();
            url.push_str(&params);
            url.push_str(&format!("&count={count}"));
        }
        headers.push((header::LOCATION, value(&url)));
    }
    if let Some(delay) = r.get("delay").and_then(|d| d.parse::<f64>().ok()) {
        tokio::time::sleep(Duration::from_secs_f64(delay.max(0.0) / 1000.0)).await;
    }
    if let Some(t) = token {
        state.stash.put(&r.path, t, count.to_string());
        if let Some(max) = r.get("max_count").and_then(|m| m.parse::<u64>().ok()) {
            if count > max {
                return respond(StatusCode::OK, vec![], (count - 1).to_string());
            }
        }
    }
    respond(status, headers, "")
}

/// `fetch/api/resources/stash-put.py`: stores `value` under `key` in the
/// request's directory.
fn stash_put(state: &State, r: &Req) -> Response<Body> {
    let headers = vec![(header::ACCESS_CONTROL_ALLOW_ORIGIN, value("*"))];
    if r.method == Method::OPTIONS {
        return respond(StatusCode::OK, headers, "done");
    }
    if let (Some(key), Some(v)) = (r.get("key"), r.get("value")) {
        state.stash.put(r.dir(), key, v.to_owned());
    }
    respond(StatusCode::OK, headers, "done")
}

/// `fetch/api/resources/stash-take.py`: takes the value under `key` in the
/// request's directory and answers it as JSON (`null` if none).
fn stash_take(state: &State, r: &Req) -> Response<Body> {
    let taken = r.get("key").and_then(|k| state.stash.take(r.dir(), k));
    let json = serde_json::to_string(&taken).unwrap_or_else(|_| "null".into());
    let headers = vec![
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, value("*")),
        (header::CONTENT_TYPE, value("application/json")),
    ];
    respond(StatusCode::OK, headers, json)
}

/// `fetch/api/resources/trickle.py`: after `ms` (default 500), the head;
/// then `count` (default 50) lines of `TEST_TRICKLE`, `ms` apart.
async fn trickle(r: &Req) -> Response<Body> {
    let delay = Duration::from_secs_f64(
        r.get("ms")
            .and_then(|m| m.parse::<f64>().ok())
            .unwrap_or(500.0)
            .max(0.0)
            / 1000.0,
    );
    let count = r
        .get("count")
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(50);
    let mut headers = Headers::new();
    if !r.has("notype") {
        headers.push(text_plain());
    }
    tokio::time::sleep(delay).await;
    let lines = futures::stream::iter(0..count).then(move |_| async move {
        tokio::time::sleep(delay).await;
        Ok(Frame::data(Bytes::from_static(b"TEST_TRICKLE\n")))
    });
    with_body(
        StatusCode::OK,
        headers,
        BodyExt::boxed_unsync(StreamBody::new(lines)),
    )
}

/// `fetch/api/resources/infinite-slow-response.py`: 2 KiB of dots, then a
/// dot every 10 ms until the client goes away or `abortKey` is stashed;
/// `stateKey` reads `open` while it runs and `closed` after.
fn infinite_slow_response(state: &State, r: &Req) -> Response<Body> {
    let dir = r.dir().to_owned();
    let state_key = r
        .get("stateKey")
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    let abort_key = r
        .get("abortKey")
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    let stash = state.stash.clone();
    if let Some(k) = &state_key {
        stash.take(&dir, k);
        stash.put(&dir, k, "open".into());
    }
    // Writes `closed` when the body ends or is dropped with its connection.
    struct Closer(Option<(std::sync::Arc<super::stash::Stash>, String, String)>);
    impl Drop for Closer {
        fn drop(&mut self) {
            if let Some((stash, dir, key)) = self.0.take() {
                stash.take(&dir, &key);
                stash.put(&dir, &key, "closed".into());
            }
        }
    }
    let closer = Closer(state_key.map(|k| (stash.clone(), dir.clone(), k)));
    let first = futures::stream::once(async { Bytes::from(vec![b'.'; 2048]) });
    let dots = futures::stream::unfold((stash, dir, abort_key, closer), |s| async move {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let (stash, dir, abort_key, closer) = s;
        if abort_key
            .as_deref()
            .is_some_and(|k| stash.take(&dir, k).is_some())
        {
            drop(closer);
            return None;
        }
        Some((Bytes::from_static(b"."), (stash, dir, abort_key, closer)))
    });
    let body = first.chain(dots).map(|b| Ok(Frame::data(b)));
    with_body(
        StatusCode::OK,
        vec![text_plain()],
        BodyExt::boxed_unsync(StreamBody::new(body)),
    )
}
