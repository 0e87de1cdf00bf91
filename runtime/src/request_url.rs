//! A request's URL as the URL standard serializes it, without running the
//! whole URL parser for every request.
//!
//! An event's Request carries its URL serialized. Parsing it costs most for
//! the part that changes least: the origin (`http://Example.COM:80` becomes
//! `http://example.com`, with IDNA and IP address rules). Each thread keeps
//! the serialized origins it saw last, keyed by the scheme and authority as
//! they came; a path and query made only of characters the parser leaves as
//! they are, with no `.` or `..` segment, follow it unchanged. Anything else
//! (percent signs, quotes, spaces, dot segments, a path not starting with
//! `/`) goes through [`url::Url::parse`] whole, so the result is always the
//! parser's.

use std::cell::RefCell;

/// How many origins each thread remembers.
const REMEMBERED: usize = 8;

thread_local! {
    /// Raw `scheme://authority` → its serialization, most recent first.
    static ORIGINS: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// The serialization of `scheme://authority` + `path_and_query`, or `None`
/// when the URL does not parse (then the raw text is what the Worker sees
/// fail).
pub(crate) fn serialize(scheme: &str, authority: &str, path_and_query: &str) -> Option<String> {
    if plain_path_and_query(path_and_query) {
        if let Some(mut url) = origin(scheme, authority) {
            url.push_str(path_and_query);
            return Some(url);
        }
    }
    let raw = format!("{scheme}://{authority}{path_and_query}");
    url::Url::parse(&raw).ok().map(String::from)
}

/// The serialization of `scheme://authority` up to its path (the origin,
/// and user info if any), from this thread's memory or parsed now; `None`
/// if it does not parse or the scheme is not http(s) or ws(s).
fn origin(scheme: &str, authority: &str) -> Option<String> {
    ORIGINS.with(|cell| {
        let mut origins = cell.borrow_mut();
        let key_matches = |k: &str| {
            k.len() == scheme.len() + 3 + authority.len()
                && k.starts_with(scheme)
                && k[scheme.len()..].starts_with("://")
                && k.ends_with(authority)
        };
        if let Some(i) = origins.iter().position(|(k, _)| key_matches(k)) {
            origins[..=i].rotate_right(1);
            return Some(origins[0].1.clone());
        }
        let key = format!("{scheme}://{authority}");
        let parsed = url::Url::parse(&format!("{key}/")).ok()?;
        // These schemes' paths follow the rules `plain_path_and_query` knows.
        let web = matches!(parsed.scheme(), "http" | "https" | "ws" | "wss");
        if !web || parsed.path() != "/" || parsed.query().is_some() {
            return None;
        }
        let serialized = parsed[..url::Position::BeforePath].to_owned();
        origins.insert(0, (key, serialized.clone()));
        origins.truncate(REMEMBERED);
        Some(serialized)
    })
}

/// Whether the URL parser would keep `pq` exactly as it is after an origin:
/// it starts with `/`, every byte is one the path (and, after `?`, the
/// query) keeps unencoded, and no path segment is `.` or `..`.
fn plain_path_and_query(pq: &str) -> bool {
    let bytes = pq.as_bytes();
    if bytes.first() != Some(&b'/') {
        return false;
    }
    let (path, query) = match pq.find('?') {
        Some(i) => (&pq[..i], Some(&pq[i + 1..])),
        None => (pq, None),
    };
    let kept = |b: u8| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
            )
    };
    path.bytes().all(kept)
        && !path.split('/').any(|s| s == "." || s == "..")
        && query.is_none_or(|q| q.bytes().all(|b| kept(b) || b == b'?'))
}

#[cfg(test)]
mod tests {
    use super::serialize;

    /// Every case must come out exactly as the URL parser serializes it.
    #[test]
    fn matches_the_url_parser() {
        let cases = [
            ("http", "example.com", "/"),
            ("http", "Example.COM:80", "/a/b?c=d&e"),
            ("https", "example.com:443", "/x"),
            ("http", "127.0.0.1:8080", "/a.b/c.d"),
            ("http", "[::1]:3000", "/"),
            ("http", "0x7f.1", "/"),
            ("http", "bücher.example", "/p"),
            ("http", "a", "/a/../b"),
            ("http", "a", "/a/./b"),
            ("http", "a", "/a/%2e%2E/b"),
            ("http", "a", "/%7Efoo"),
            ("http", "a", "/a b"),
            ("http", "a", "/q?x='y'&z=\"w\""),
            ("http", "a", "/q?a?b/c"),
            ("http", "a", "/{x}`^|"),
            ("http", "a", "/..."),
            ("http", "a", "/.."),
            ("http", "a", "/a/."),
            ("http", "a", "*"),
            ("http", "a", ""),
            ("http", "user:pw@a:81", "/"),
            ("ws", "a:80", "/s"),
        ];
        for (scheme, authority, pq) in cases {
            // Twice: the second time the origin comes from memory.
            for _ in 0..2 {
                let raw = format!("{scheme}://{authority}{pq}");
                let expected = url::Url::parse(&raw).ok().map(String::from);
                assert_eq!(serialize(scheme, authority, pq), expected, "{raw}");
            }
        }
    }

    #[test]
    fn a_host_that_does_not_parse_gives_none() {
        assert_eq!(serialize("http", "a b", "/x"), None);
        assert_eq!(serialize("http", "a b", "/x"), None);
        assert_eq!(serialize("http", "[::1", "/"), None);
    }

    #[test]
    fn many_origins_stay_correct_past_the_memory() {
        for round in 0..2 {
            for i in 0..20 {
                let authority = format!("host{i}.example:{}", 8000 + i);
                assert_eq!(
                    serialize("http", &authority, "/p").as_deref(),
                    Some(format!("http://{authority}/p").as_str()),
                    "round {round}"
                );
            }
        }
    }
}
