//! Conditional and partial requests (RFC 9110): `If-None-Match` against an
//! asset's strong `ETag` (a match is a 304), and a single `Range` of bytes
//! (a 206, or a 416 when it lies outside the file), honouring `If-Range`.
//! A request for several ranges gets the whole file (200), as the RFC
//! allows.

/// Whether `if_none_match` (the header's value) matches `tag` (an entity
/// tag without quotes), by weak comparison: `*`, or any listed tag equal to
/// it, `W/` or not.
pub(crate) fn none_match(if_none_match: &str, tag: &str) -> bool {
    if_none_match.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || unquote(candidate.strip_prefix("W/").unwrap_or(candidate)) == Some(tag)
    })
}

/// Whether `if_range` lets a `Range` apply to an asset tagged `tag`: only
/// when it is that same strong entity tag (a date never matches: assets have
/// no `Last-Modified`).
pub(crate) fn range_applies(if_range: Option<&str>, tag: &str) -> bool {
    match if_range.map(str::trim) {
        None => true,
        Some(v) => !v.starts_with("W/") && unquote(v) == Some(tag),
    }
}

fn unquote(tag: &str) -> Option<&str> {
    tag.strip_prefix('"')?.strip_suffix('"')
}

/// What a `Range` header asks of a body of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Ranged {
    /// The whole body (no usable range, or several).
    Whole,
    /// Bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// Nothing of the body: a 416.
    Unsatisfiable,
}

/// Reads a `Range` header for a body of `len` bytes.
pub(crate) fn range(header: &str, len: u64) -> Ranged {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Ranged::Whole;
    };
    if spec.contains(',') {
        return Ranged::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ranged::Whole;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // bytes=-N: the last N bytes.
        (true, _, Some(suffix)) => {
            if suffix == 0 || len == 0 {
                Ranged::Unsatisfiable
            } else {
                Ranged::Part {
                    start: len.saturating_sub(suffix),
                    end: len - 1,
                }
            }
        }
        // bytes=A- or bytes=A-B.
        (false, Some(start), end) if last.trim().is_empty() || end.is_some() => {
            if start >= len {
                return Ranged::Unsatisfiable;
            }
            match end {
                Some(end) if end < start => Ranged::Whole,
                Some(end) => Ranged::Part {
                    start,
                    end: end.min(len - 1),
                },
                None => Ranged::Part {
                    start,
                    end: len - 1,
                },
            }
        }
        _ => Ranged::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly() {
        assert!(none_match("\"abc\"", "abc"));
        assert!(none_match("W/\"abc\"", "abc"));
        assert!(none_match("\"x\", \"abc\"", "abc"));
        assert!(none_match("*", "abc"));
        assert!(!none_match("\"abd\"", "abc"));
        assert!(!none_match("abc", "abc"), "tags are quoted");
    }

    #[test]
    fn if_range_needs_the_same_strong_tag() {
        assert!(range_applies(None, "abc"));
        assert!(range_applies(Some("\"abc\""), "abc"));
        assert!(!range_applies(Some("W/\"abc\""), "abc"));
        assert!(!range_applies(Some("\"old\""), "abc"));
        assert!(!range_applies(Some("Wed, 21 Oct 2015 07:28:00 GMT"), "abc"));
    }

    #[test]
    fn ranges() {
        assert_eq!(range("bytes=0-9", 100), Ranged::Part { start: 0, end: 9 });
        assert_eq!(range("bytes=90-", 100), Ranged::Part { start: 90, end: 99 });
        assert_eq!(
            range("bytes=90-500", 100),
            Ranged::Part { start: 90, end: 99 }
        );
        assert_eq!(range("bytes=-10", 100), Ranged::Part { start: 90, end: 99 });
        assert_eq!(range("bytes=-500", 100), Ranged::Part { start: 0, end: 99 });
        assert_eq!(range("bytes=100-", 100), Ranged::Unsatisfiable);
        assert_eq!(range("bytes=-0", 100), Ranged::Unsatisfiable);
        assert_eq!(range("bytes=0-1,5-6", 100), Ranged::Whole);
        assert_eq!(range("bytes=9-1", 100), Ranged::Whole);
        assert_eq!(range("items=0-1", 100), Ranged::Whole);
        assert_eq!(range("bytes=a-b", 100), Ranged::Whole);
        assert_eq!(range("bytes=0-0", 0), Ranged::Unsatisfiable);
    }
}
