//! Static WPT files, as wptserve serves them: a content type from the
//! extension, `{{…}}` templates filled in for `.sub.` files, extra headers
//! from a `FILE.headers` side file, and the `pipe=header(name,value)`
//! query option. Other pipes are not implemented (none of the selected
//! tests needs them).

use http::{header, HeaderName, HeaderValue, Response, StatusCode};

use super::{full, Body, State};

/// The response for the file at the WPT path `path`, or `None` if there is
/// no such file.
pub(crate) fn serve(state: &State, path: &str, query: &str) -> Option<Response<Body>> {
    let rel = path.trim_start_matches('/');
    if rel.split('/').any(|s| s == ".." || s.is_empty()) {
        return None;
    }
    let file = state.sources.root().join(rel);
    let bytes = if rel.contains(".sub.") {
        state.sources.get(path)?.as_bytes().to_vec()
    } else {
        std::fs::read(&file).ok()?
    };
    let mut response = Response::new(full(bytes));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(rel)),
    );
    let mut extra = Vec::new();
    if let Ok(side) = std::fs::read_to_string(
        file.with_file_name(format!("{}.headers", file.file_name()?.to_string_lossy())),
    ) {
        for line in side.lines() {
            if let Some((name, value)) = line.split_once(':') {
                extra.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
    }
    for (name, value) in query_pairs(query) {
        if name == "pipe" {
            extra.extend(header_pipes(&value));
        }
    }
    for (name, value) in extra {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    *response.status_mut() = StatusCode::OK;
    Some(response)
}

/// The `header(name,value)` steps of a `pipe=` option (steps are separated
/// by `|`).
fn header_pipes(pipe: &str) -> Vec<(String, String)> {
    pipe.split('|')
        .filter_map(|step| step.strip_prefix("header(")?.strip_suffix(')'))
        .filter_map(|args| {
            let (name, value) = args.split_once(',')?;
            Some((name.to_owned(), value.to_owned()))
        })
        .collect()
}

/// The query's `name=value` pairs, percent-decoded.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "js" => "text/javascript",
        "json" => "application/json",
        "html" | "htm" => "text/html",
        "txt" | "idl" => "text/plain",
        "xml" => "application/xml",
        "css" => "text/css",
        "png" => "image/png",
        "gif" => "image/gif",
        "jpg" | "jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    }
}
