//! Request paths as the asset server sees them.
//!
//! - [`normalize`]: the path as a URL parser gives it (dot segments such as
//!   `/a/../b` or `/%2e%2e/b` resolved, `\` read as `/`, characters that must
//!   be percent-encoded encoded). Patterns (`_headers`, `_redirects`,
//!   `run_worker_first`) match this form.
//! - [`decode`]: each segment percent-decoded (a segment that is not valid
//!   UTF-8 once decoded is kept as it was), runs of `/` made one. Files are
//!   looked up by this form; it never reaches the file system, so no spelling
//!   of `..` can leave the assets folder.
//! - [`encode`]: each segment encoded as JavaScript's `encodeURIComponent`
//!   does. This is the canonical URL of a file: a request spelled otherwise
//!   is redirected to it.

use std::borrow::Cow;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What `encodeURIComponent` encodes: all but `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Whether `byte` is left alone by both a URL parser's path handling and
/// `encodeURIComponent` (so a path made only of them and `/` needs no work).
fn plain(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/')
}

/// The path of `raw` (a request target's path) as a URL parser gives it.
pub(crate) fn normalize(raw: &str) -> Cow<'_, str> {
    let simple = raw.starts_with('/') && raw.bytes().all(plain) && !raw.contains("/.");
    if simple {
        return Cow::Borrowed(raw);
    }
    let slashed = if raw.starts_with('/') || raw.starts_with('\\') {
        Cow::Borrowed(raw)
    } else {
        Cow::Owned(format!("/{raw}"))
    };
    match url::Url::parse(&format!("http://h{slashed}")) {
        Ok(url) => Cow::Owned(url.path().to_owned()),
        Err(_) => Cow::Owned("/".to_owned()),
    }
}

/// `path` with each segment percent-decoded and runs of `/` made one.
pub(crate) fn decode(path: &str) -> Cow<'_, str> {
    if !path.contains('%') && !path.contains("//") {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len());
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        match strict_decode(segment) {
            Some(decoded) => out.push_str(&decoded),
            None => out.push_str(segment),
        }
    }
    let mut collapsed = String::with_capacity(out.len());
    let mut last_slash = false;
    for c in out.chars() {
        if c == '/' && last_slash {
            continue;
        }
        last_slash = c == '/';
        collapsed.push(c);
    }
    Cow::Owned(collapsed)
}

/// A segment decoded as `decodeURIComponent` does: `None` when a `%` is not
/// followed by two hex digits or the bytes are not UTF-8.
fn strict_decode(segment: &str) -> Option<Cow<'_, str>> {
    let bytes = segment.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return None;
        }
    }
    percent_decode_str(segment).decode_utf8().ok()
}

/// `path` with each segment encoded as `encodeURIComponent` does.
pub(crate) fn encode(path: &str) -> Cow<'_, str> {
    if path
        .bytes()
        .all(|b| plain(b) || matches!(b, b'!' | b'*' | b'\'' | b'(' | b')'))
    {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len() + 8);
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.extend(utf8_percent_encode(segment, COMPONENT));
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizing_resolves_dot_segments_in_every_spelling() {
        assert_eq!(normalize("/a/b.js"), "/a/b.js");
        assert_eq!(normalize("/a/../b.js"), "/b.js");
        assert_eq!(normalize("/../../etc/passwd"), "/etc/passwd");
        assert_eq!(normalize("/%2e%2e/%2E%2E/etc/passwd"), "/etc/passwd");
        assert_eq!(normalize("/a/./b"), "/a/b");
        assert_eq!(normalize("/a\\..\\b"), "/b");
        assert_eq!(normalize("/.well-known/x"), "/.well-known/x");
        assert_eq!(normalize("/caf\u{e9}"), "/caf%C3%A9");
    }

    #[test]
    fn decoding_keeps_what_cannot_be_decoded() {
        assert_eq!(decode("/caf%C3%A9.html"), "/café.html");
        assert_eq!(decode("/a%2Fb"), "/a/b");
        assert_eq!(decode("/..%2f..%2fetc%2fpasswd"), "/../../etc/passwd");
        assert_eq!(decode("/bad%zz/ok%20"), "/bad%zz/ok ");
        assert_eq!(decode("/latin%E9"), "/latin%E9");
        assert_eq!(decode("//a///b"), "/a/b");
    }

    #[test]
    fn encoding_is_encode_uri_component_per_segment() {
        assert_eq!(encode("/café.html"), "/caf%C3%A9.html");
        assert_eq!(encode("/[boop]"), "/%5Bboop%5D");
        assert_eq!(encode("/a b/c!*'()~"), "/a%20b/c!*'()~");
        assert_eq!(encode("/plain/path-1_2.js"), "/plain/path-1_2.js");
    }
}
