//! What a request's head must be before it is routed: a method a Worker can
//! receive, and the one valid `Host` HTTP requires.
//!
//! - `TRACE`, `TRACK` and `CONNECT` are methods the Fetch standard forbids
//!   in a `Request`, so no Worker could ever see one: they get a `501`, as
//!   Cloudflare answers methods the Workers runtime does not support.
//! - RFC 9112 §3.2: an HTTP/1.1 request without a `Host`, any request with
//!   more than one, or one whose `Host` is not a valid `host[:port]` gets a
//!   `400`. A `Host` (or an absolute request target) with user info, such
//!   as `a@example.com`, is invalid: it is never routed by what follows the
//!   `@`.
//!
//! A host is valid when it is an RFC 3986 `uri-host [":" port]` (IPv6
//! literals in brackets, no user info) and the URL standard parses
//! `http://HOST/` as well, so every request that reaches a Worker has a URL
//! its `Request` accepts.

use std::cell::RefCell;

use http::{header, Method, Version};

/// Why a request's head is refused before routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A method no Worker can receive (`501`).
    Method,
    /// No `Host`, several, or an invalid one (`400`).
    Host(&'static str),
}

/// Checks the head of a request before it is routed.
pub(crate) fn check(parts: &http::request::Parts) -> Result<(), Refusal> {
    if is_forbidden_method(&parts.method) {
        return Err(Refusal::Method);
    }
    let mut hosts = parts.headers.get_all(header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (_, Some(_)) => return Err(Refusal::Host("more than one Host header")),
        (None, None) if parts.version == Version::HTTP_11 => {
            return Err(Refusal::Host("no Host header"))
        }
        (Some(host), None) => {
            let valid = host.to_str().is_ok_and(valid_host);
            if !valid {
                return Err(Refusal::Host("an invalid Host header"));
            }
        }
        (None, None) => {}
    }
    if let Some(authority) = parts.uri.authority() {
        if !valid_host(authority.as_str()) {
            return Err(Refusal::Host("an invalid host in the request target"));
        }
    }
    Ok(())
}

/// `CONNECT`, `TRACE` and `TRACK`, in any case (the Fetch standard's
/// forbidden methods).
fn is_forbidden_method(method: &Method) -> bool {
    let m = method.as_str();
    ["CONNECT", "TRACE", "TRACK"]
        .iter()
        .any(|f| m.eq_ignore_ascii_case(f))
}

thread_local! {
    /// The last host this thread found valid: most connections send the
    /// same one with every request.
    static LAST_VALID: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Whether `s` is a valid `host[:port]` (see the module docs).
pub(crate) fn valid_host(s: &str) -> bool {
    if LAST_VALID.with(|last| *last.borrow() == s) {
        return !s.is_empty();
    }
    let valid = rfc3986_host_port(s) && whatwg_parses(s);
    if valid {
        LAST_VALID.with(|last| {
            let mut last = last.borrow_mut();
            last.clear();
            last.push_str(s);
        });
    }
    valid
}

/// RFC 3986: `( IP-literal / IPv4address / reg-name ) [ ":" *DIGIT ]`,
/// with a non-empty host; IPv6 literals only (no `IPvFuture`).
fn rfc3986_host_port(s: &str) -> bool {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let Some((literal, after)) = rest.split_once(']') else {
            return false;
        };
        if literal.parse::<std::net::Ipv6Addr>().is_err() {
            return false;
        }
        match after {
            "" => return true,
            _ => match after.strip_prefix(':') {
                Some(port) => ("[]", port),
                None => return false,
            },
        }
    } else {
        s.rsplit_once(':').unwrap_or((s, ""))
    };
    if host.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    if host == "[]" {
        return true;
    }
    let bytes = host.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let ok = match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => true,
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' => true,
            b'%' => {
                let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 2;
                true
            }
            _ => false,
        };
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether the URL standard parses `http://HOST/` with this host and no
/// user info.
fn whatwg_parses(s: &str) -> bool {
    url::Url::parse(&format!("http://{s}/"))
        .is_ok_and(|u| u.username().is_empty() && u.password().is_none() && u.host_str().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(raw: &[(&str, &str)], version: Version, method: &str) -> http::request::Parts {
        let mut b = http::Request::builder()
            .method(method)
            .uri("/")
            .version(version);
        for (k, v) in raw {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn valid_hosts_pass() {
        for h in [
            "localhost",
            "localhost:8787",
            "example.com",
            "api.example.com:443",
            "127.0.0.1",
            "127.0.0.1:80",
            "[::1]",
            "[::1]:8080",
            "xn--nxasmq6b.example",
            "under_score.test",
            "Mixed.Case.Example",
        ] {
            assert!(valid_host(h), "{h}");
            assert!(valid_host(h), "{h} (remembered)");
        }
    }

    #[test]
    fn invalid_hosts_are_refused() {
        for h in [
            "",
            "a b",
            "a@healthy.localhost",
            "user:pass@example.com",
            "example.com/path",
            "example.com?q",
            "example.com#f",
            "a\\b",
            "[::1",
            "[nope]",
            "[::1]x",
            "host:port",
            ":8080",
            "a%zz",
            "1.2.3.999",
            "exa<mple",
        ] {
            assert!(!valid_host(h), "{h:?}");
        }
    }

    #[test]
    fn the_host_header_must_be_there_once_on_http_1_1() {
        let ok = head(&[("host", "localhost")], Version::HTTP_11, "GET");
        assert_eq!(check(&ok), Ok(()));
        let none = head(&[], Version::HTTP_11, "GET");
        assert!(matches!(check(&none), Err(Refusal::Host(_))));
        let old = head(&[], Version::HTTP_10, "GET");
        assert_eq!(check(&old), Ok(()), "HTTP/1.0 needs no Host");
        let h2 = head(&[], Version::HTTP_2, "GET");
        assert_eq!(check(&h2), Ok(()), "HTTP/2 has :authority");
        let two = head(&[("host", "a"), ("host", "b")], Version::HTTP_11, "GET");
        assert!(matches!(check(&two), Err(Refusal::Host(_))));
        let two_old = head(&[("host", "a"), ("host", "a")], Version::HTTP_10, "GET");
        assert!(matches!(check(&two_old), Err(Refusal::Host(_))));
        let at = head(&[("host", "a@localhost")], Version::HTTP_11, "GET");
        assert!(matches!(check(&at), Err(Refusal::Host(_))));
    }

    #[test]
    fn an_absolute_target_with_user_info_is_refused() {
        let parts = http::Request::get("http://a@localhost/")
            .header("host", "localhost")
            .body(())
            .unwrap()
            .into_parts()
            .0;
        assert!(matches!(check(&parts), Err(Refusal::Host(_))));
    }

    #[test]
    fn forbidden_methods_are_refused_in_any_case() {
        for m in ["TRACE", "TRACK", "CONNECT", "trace", "Track"] {
            let parts = head(&[("host", "localhost")], Version::HTTP_11, m);
            assert_eq!(check(&parts), Err(Refusal::Method), "{m}");
        }
        for m in ["GET", "POST", "OPTIONS", "PATCH", "PURGE"] {
            let parts = head(&[("host", "localhost")], Version::HTTP_11, m);
            assert_eq!(check(&parts), Ok(()), "{m}");
        }
    }
}
