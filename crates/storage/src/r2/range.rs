//! Ranged reads: an `R2Range` (`offset`/`length`, or `suffix`) or a `Range`
//! header, resolved against the object's size.

use crate::r2::failure;
use crate::r2::object::ByteRange;
use crate::StorageError;

/// The range a `get` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeRequest {
    /// An `R2Range`: an offset with an optional length, an optional offset
    /// with a length, or a suffix (the last `suffix` bytes).
    Bytes {
        /// The first byte (default 0).
        offset: Option<u64>,
        /// How many bytes (default: to the end).
        length: Option<u64>,
        /// The last this many bytes (without `offset` and `length`).
        suffix: Option<u64>,
    },
    /// A `Range` header's value (`bytes=0-99`, `bytes=100-`, `bytes=-50`):
    /// one satisfiable range is returned; anything else returns the whole
    /// object.
    Header(String),
}

impl RangeRequest {
    /// The bytes of an object of `size` bytes this asks for.
    pub fn resolve(&self, size: u64) -> Result<ByteRange, StorageError> {
        match self {
            RangeRequest::Bytes {
                offset,
                length,
                suffix,
            } => {
                let (offset, length) = match suffix {
                    Some(suffix) => {
                        if *suffix == 0 {
                            return Err(failure::invalid_range());
                        }
                        let suffix = (*suffix).min(size);
                        (size - suffix, Some(suffix))
                    }
                    None => (offset.unwrap_or(0), *length),
                };
                if offset > size {
                    return Err(failure::invalid_range());
                }
                let length = length.unwrap_or(size - offset);
                if length == 0 {
                    return Err(failure::invalid_range());
                }
                Ok(ByteRange {
                    offset,
                    length: length.min(size - offset),
                })
            }
            RangeRequest::Header(value) => Ok(header_range(value, size).unwrap_or(ByteRange {
                offset: 0,
                length: size,
            })),
        }
    }
}

/// The one range of a `Range: bytes=…` header that an object of `size`
/// bytes can satisfy; `None` for several ranges, a malformed header or one
/// that cannot be satisfied.
fn header_range(value: &str, size: u64) -> Option<ByteRange> {
    let spec = value.trim();
    let (unit, ranges) = spec.split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") || ranges.contains(',') {
        return None;
    }
    let (start, end) = ranges.trim().split_once('-')?;
    let (start, end) = (start.trim(), end.trim());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if start.is_empty() {
        // A suffix: the last `end` bytes.
        if !digits(end) {
            return None;
        }
        let suffix: u64 = end.parse().ok()?;
        if suffix == 0 || size == 0 {
            return None;
        }
        let suffix = suffix.min(size);
        return Some(ByteRange {
            offset: size - suffix,
            length: suffix,
        });
    }
    if !digits(start) || !(end.is_empty() || digits(end)) {
        return None;
    }
    let start: u64 = start.parse().ok()?;
    if start >= size {
        return None;
    }
    let last = if end.is_empty() {
        size - 1
    } else {
        let end: u64 = end.parse().ok()?;
        if end < start {
            return None;
        }
        end.min(size - 1)
    };
    Some(ByteRange {
        offset: start,
        length: last - start + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(offset: Option<u64>, length: Option<u64>, suffix: Option<u64>) -> RangeRequest {
        RangeRequest::Bytes {
            offset,
            length,
            suffix,
        }
    }

    fn r(offset: u64, length: u64) -> ByteRange {
        ByteRange { offset, length }
    }

    #[test]
    fn r2_ranges_clamp_to_the_object() {
        assert_eq!(bytes(Some(2), Some(3), None).resolve(10).unwrap(), r(2, 3));
        assert_eq!(bytes(Some(8), Some(30), None).resolve(10).unwrap(), r(8, 2));
        assert_eq!(bytes(Some(4), None, None).resolve(10).unwrap(), r(4, 6));
        assert_eq!(bytes(None, Some(4), None).resolve(10).unwrap(), r(0, 4));
        assert_eq!(bytes(None, None, Some(3)).resolve(10).unwrap(), r(7, 3));
        assert_eq!(bytes(None, None, Some(30)).resolve(10).unwrap(), r(0, 10));
        for bad in [
            bytes(Some(11), None, None),
            bytes(Some(10), None, None),
            bytes(Some(0), Some(0), None),
            bytes(None, None, Some(0)),
        ] {
            let e = bad.resolve(10).unwrap_err();
            assert_eq!(crate::r2::failure::code(&e), Some(10039), "{bad:?}");
        }
    }

    #[test]
    fn range_headers_give_one_range_or_the_whole_object() {
        let h = |v: &str| RangeRequest::Header(v.into()).resolve(10).unwrap();
        assert_eq!(h("bytes=2-4"), r(2, 3));
        assert_eq!(h("bytes=5-"), r(5, 5));
        assert_eq!(h("bytes=-3"), r(7, 3));
        assert_eq!(h("bytes=8-100"), r(8, 2));
        for whole in [
            "bytes=0-1,3-4",
            "bytes=20-",
            "items=0-1",
            "bytes=4-2",
            "garbage",
        ] {
            assert_eq!(h(whole), r(0, 10), "{whole}");
        }
    }
}
