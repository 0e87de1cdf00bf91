//! Whether a response may be stored, and for how long: the response
//! headers `cache.put()` honours, as Cloudflare documents them.
//!
//! - `Cache-Control: no-store`, `no-cache` (without field names) and
//!   `private` (without field names) keep the response out of the cache;
//!   `private="Set-Cookie"` (or `no-cache="…"`) stores it without the
//!   headers named.
//! - A response that still carries `Set-Cookie` is not stored (it may hold
//!   data unique to one user); naming it in `private=` is the way to store
//!   the rest.
//! - The time to live is `s-maxage`, else `max-age`, else `Expires` less
//!   `Date` (or now); with none of them, Cloudflare's default edge TTL for
//!   the status: 120 minutes for 200, 206 and 301; 20 for 302 and 303; 3
//!   for 404 and 410; none (not stored) for any other status.
//! - A time to live of zero or less is not stored.

use std::time::{Duration, SystemTime};

/// A response header, as given.
pub type Header = (String, String);

/// What [`decide`] concluded about a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Store it, with these headers (the ones `private=`/`no-cache=` named
    /// left out), for this long.
    Store {
        /// The headers to keep.
        headers: Vec<Header>,
        /// How long it stays fresh.
        ttl: Duration,
    },
    /// Do not store it; why, for the log.
    Skip(&'static str),
}

/// One `Cache-Control` directive: its lower-cased name and its value, if
/// it has one (quotes removed).
fn directives(headers: &[Header]) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for (_, value) in headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("cache-control"))
    {
        for part in split_outside_quotes(value) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            match part.split_once('=') {
                Some((name, value)) => out.push((
                    name.trim().to_ascii_lowercase(),
                    Some(value.trim().trim_matches('"').to_owned()),
                )),
                None => out.push((part.to_ascii_lowercase(), None)),
            }
        }
    }
    out
}

/// `text` split at the commas that are not inside double quotes.
fn split_outside_quotes(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The first value of header `name`.
pub fn header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Cloudflare's default edge TTL for a status with no caching headers.
fn default_ttl(status: u16) -> Option<Duration> {
    let minutes = match status {
        200 | 206 | 301 => 120,
        302 | 303 => 20,
        404 | 410 => 3,
        _ => return None,
    };
    Some(Duration::from_secs(minutes * 60))
}

/// Whether the response of `status` with `headers` may be stored at `now`,
/// and how (see the module docs).
pub fn decide(status: u16, headers: &[Header], now: SystemTime) -> Decision {
    let directives = directives(headers);
    let has = |name: &str| directives.iter().any(|(n, _)| n == name);
    if has("no-store") {
        return Decision::Skip("Cache-Control: no-store");
    }
    // Fields `private=` and `no-cache=` name are left out of what is kept;
    // without field names, the whole response is private or must be
    // revalidated, which a cache without an origin cannot do.
    let mut dropped: Vec<String> = Vec::new();
    for (name, value) in &directives {
        if name != "private" && name != "no-cache" {
            continue;
        }
        match value {
            Some(fields) if !fields.trim().is_empty() => dropped.extend(
                fields
                    .split(',')
                    .map(|f| f.trim().to_ascii_lowercase())
                    .filter(|f| !f.is_empty()),
            ),
            _ if name == "private" => return Decision::Skip("Cache-Control: private"),
            _ => return Decision::Skip("Cache-Control: no-cache"),
        }
    }
    let kept: Vec<Header> = headers
        .iter()
        .filter(|(n, _)| !dropped.contains(&n.to_ascii_lowercase()))
        .cloned()
        .collect();
    if header(&kept, "set-cookie").is_some() {
        return Decision::Skip("the response sets a cookie (Set-Cookie)");
    }
    let seconds = |name: &str| {
        directives
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref()?.parse::<u64>().ok())
    };
    let ttl = if let Some(s) = seconds("s-maxage").or_else(|| seconds("max-age")) {
        Duration::from_secs(s)
    } else if let Some(expires) = header(headers, "expires") {
        // An Expires that cannot be read means "already expired" (RFC 9111).
        let Ok(expires) = httpdate::parse_http_date(expires) else {
            return Decision::Skip("Expires is not a date");
        };
        let base = header(headers, "date")
            .and_then(|d| httpdate::parse_http_date(d).ok())
            .unwrap_or(now);
        expires.duration_since(base).unwrap_or(Duration::ZERO)
    } else {
        match default_ttl(status) {
            Some(ttl) => ttl,
            None => return Decision::Skip("no caching headers, and the status has no default TTL"),
        }
    };
    if ttl.is_zero() {
        return Decision::Skip("its time to live is zero");
    }
    Decision::Store { headers: kept, ttl }
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

    fn ttl(status: u16, headers: &[(&str, &str)]) -> Option<u64> {
        match decide(status, &h(headers), SystemTime::UNIX_EPOCH) {
            Decision::Store { ttl, .. } => Some(ttl.as_secs()),
            Decision::Skip(_) => None,
        }
    }

    #[test]
    fn the_time_to_live_comes_from_the_headers_in_order() {
        assert_eq!(ttl(200, &[("cache-control", "max-age=60")]), Some(60));
        assert_eq!(
            ttl(
                200,
                &[("Cache-Control", "public, max-age=60, s-maxage=600")]
            ),
            Some(600)
        );
        assert_eq!(
            ttl(
                200,
                &[
                    ("date", "Thu, 01 Jan 1970 00:00:00 GMT"),
                    ("expires", "Thu, 01 Jan 1970 00:01:40 GMT")
                ]
            ),
            Some(100)
        );
        assert_eq!(ttl(200, &[("expires", "not a date")]), None);
        assert_eq!(ttl(200, &[("cache-control", "max-age=0")]), None);
    }

    #[test]
    fn without_headers_the_status_decides() {
        assert_eq!(ttl(200, &[]), Some(7200));
        assert_eq!(ttl(301, &[]), Some(7200));
        assert_eq!(ttl(302, &[]), Some(1200));
        assert_eq!(ttl(404, &[]), Some(180));
        assert_eq!(ttl(500, &[]), None);
        assert_eq!(ttl(500, &[("cache-control", "max-age=5")]), Some(5));
    }

    #[test]
    fn private_responses_and_cookies_stay_out() {
        assert_eq!(ttl(200, &[("cache-control", "no-store, max-age=60")]), None);
        assert_eq!(ttl(200, &[("cache-control", "private, max-age=60")]), None);
        assert_eq!(ttl(200, &[("cache-control", "no-cache")]), None);
        assert_eq!(ttl(200, &[("set-cookie", "a=1")]), None);
        let stored = decide(
            200,
            &h(&[
                ("cache-control", "private=\"Set-Cookie\", max-age=60"),
                ("set-cookie", "a=1"),
                ("x-kept", "yes"),
            ]),
            SystemTime::UNIX_EPOCH,
        );
        let Decision::Store { headers, ttl } = stored else {
            panic!("{stored:?}")
        };
        assert_eq!(ttl.as_secs(), 60);
        assert!(header(&headers, "set-cookie").is_none());
        assert_eq!(header(&headers, "x-kept"), Some("yes"));
    }
}
