//! The answer `cache.match()` gives for a stored entry and the headers of
//! the request that asks: the stored response marked `CF-Cache-Status:
//! HIT` with its `Age`, or, as Cloudflare's cache evaluates them, `304 Not
//! Modified` for a conditional request the entry satisfies
//! (`If-None-Match` against its `ETag`, else `If-Modified-Since` against
//! its `Last-Modified`) and `206 Partial Content` (or `416`) for a
//! request with one byte range.

use std::ops::Range;

use super::policy::{header, Header};

/// What to answer: a status, headers, and which bytes of the stored body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: Vec<Header>,
    /// The bytes of the stored body to send (empty for 304 and 416).
    pub body: Range<usize>,
}

/// Whether the entity tag `stored` is among `list` (an `If-None-Match`
/// value), compared weakly, as `If-None-Match` does.
fn etag_listed(list: &str, stored: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let stored = bare(stored);
    list.split(',')
        .any(|t| t.trim() == "*" || bare(t) == stored)
}

fn not_modified(stored: &[Header], request: &[Header]) -> bool {
    if let Some(list) = header(request, "if-none-match") {
        return header(stored, "etag").is_some_and(|etag| etag_listed(list, etag));
    }
    let (Some(since), Some(modified)) = (
        header(request, "if-modified-since").and_then(|d| httpdate::parse_http_date(d).ok()),
        header(stored, "last-modified").and_then(|d| httpdate::parse_http_date(d).ok()),
    ) else {
        return false;
    };
    modified <= since
}

/// The byte range `value` (a `Range` header) asks of `size` bytes: `None`
/// when it is not one range of bytes (the whole body is sent), `Some(None)`
/// when it cannot be satisfied.
fn byte_range(value: &str, size: usize) -> Option<Option<Range<usize>>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        let suffix: usize = last.parse().ok()?;
        if suffix == 0 {
            return Some(None);
        }
        size.saturating_sub(suffix)..size
    } else {
        let start: usize = first.parse().ok()?;
        let end = if last.is_empty() {
            size
        } else {
            let last: usize = last.parse().ok()?;
            if last < start {
                return None;
            }
            (last + 1).min(size)
        };
        start..end
    };
    Some((range.start < size && range.start < range.end).then_some(range))
}

/// The answer for an entry stored `age_s` seconds ago with `status`,
/// `headers` and a body of `size` bytes, to a request with
/// `request_headers`.
pub fn answer(
    status: u16,
    headers: &[Header],
    size: usize,
    age_s: u64,
    request_headers: &[Header],
) -> Answer {
    let mut out: Vec<Header> = headers
        .iter()
        .filter(|(n, _)| {
            !n.eq_ignore_ascii_case("age") && !n.eq_ignore_ascii_case("cf-cache-status")
        })
        .cloned()
        .collect();
    out.push(("CF-Cache-Status".into(), "HIT".into()));
    out.push(("Age".into(), age_s.to_string()));
    if (200..300).contains(&status) && not_modified(headers, request_headers) {
        out.retain(|(n, _)| {
            !n.eq_ignore_ascii_case("content-length") && !n.eq_ignore_ascii_case("content-type")
        });
        return Answer {
            status: 304,
            headers: out,
            body: 0..0,
        };
    }
    if status == 200 {
        if let Some(range) = header(request_headers, "range").and_then(|r| byte_range(r, size)) {
            out.retain(|(n, _)| !n.eq_ignore_ascii_case("content-length"));
            let Some(range) = range else {
                out.push(("Content-Range".into(), format!("bytes */{size}")));
                return Answer {
                    status: 416,
                    headers: out,
                    body: 0..0,
                };
            };
            out.push((
                "Content-Range".into(),
                format!("bytes {}-{}/{size}", range.start, range.end - 1),
            ));
            out.push(("Content-Length".into(), range.len().to_string()));
            return Answer {
                status: 206,
                headers: out,
                body: range,
            };
        }
    }
    Answer {
        status,
        headers: out,
        body: 0..size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<Header> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_plain_match_is_a_hit_with_its_age() {
        let a = answer(200, &h(&[("content-type", "text/plain")]), 5, 7, &[]);
        assert_eq!(a.status, 200);
        assert_eq!(a.body, 0..5);
        assert_eq!(header(&a.headers, "cf-cache-status"), Some("HIT"));
        assert_eq!(header(&a.headers, "age"), Some("7"));
    }

    #[test]
    fn conditional_requests_get_304() {
        let stored = h(&[
            ("etag", "\"v1\""),
            ("last-modified", "Thu, 01 Jan 2026 00:00:00 GMT"),
        ]);
        let etag = |v: &str| answer(200, &stored, 5, 0, &h(&[("if-none-match", v)])).status;
        assert_eq!(etag("\"v1\""), 304);
        assert_eq!(etag("W/\"v1\""), 304);
        assert_eq!(etag("\"v0\", \"v1\""), 304);
        assert_eq!(etag("*"), 304);
        assert_eq!(etag("\"v2\""), 200);
        let since = |v: &str| answer(200, &stored, 5, 0, &h(&[("if-modified-since", v)])).status;
        assert_eq!(since("Fri, 02 Jan 2026 00:00:00 GMT"), 304);
        assert_eq!(since("Wed, 31 Dec 2025 00:00:00 GMT"), 200);
    }

    #[test]
    fn one_byte_range_gets_206_or_416() {
        let ranged = |v: &str| answer(200, &[], 10, 0, &h(&[("range", v)]));
        let a = ranged("bytes=2-4");
        assert_eq!((a.status, a.body.clone()), (206, 2..5));
        assert_eq!(header(&a.headers, "content-range"), Some("bytes 2-4/10"));
        assert_eq!(ranged("bytes=7-").body, 7..10);
        assert_eq!(ranged("bytes=-3").body, 7..10);
        assert_eq!(ranged("bytes=5-100").body, 5..10);
        let past = ranged("bytes=10-12");
        assert_eq!(past.status, 416);
        assert_eq!(header(&past.headers, "content-range"), Some("bytes */10"));
        // Not one byte range: the whole body.
        assert_eq!(ranged("bytes=0-1,3-4").status, 200);
        assert_eq!(ranged("items=1-2").status, 200);
    }
}
