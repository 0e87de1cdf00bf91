//! Request ids: a name for one request that every log line about it
//! carries, the client's own (`x-request-id`) when it sent a usable one.
//!
//! The id travels with the request as a request extension ([`RequestId`]),
//! as [`ChainDepth`](crate::ChainDepth) does, so the isolate that serves the
//! event can tag the lines it logs (its `console.*` output included), and a
//! service-binding call carries it on to the Worker it calls.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

/// The header a request id comes in and goes back out in.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest client-sent request id that is honoured, in bytes.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// A request's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(Arc<str>);

/// Random bits chosen once per process, so generated ids differ between
/// processes; a counter makes them differ within one.
static PROCESS_SEED: LazyLock<u64> = LazyLock::new(|| {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.finish()
});
static NEXT: AtomicU64 = AtomicU64::new(0);

impl RequestId {
    /// A fresh id, unique in this process and unlikely to repeat across
    /// processes: 32 lowercase hex digits.
    pub fn generate() -> Self {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Self(Arc::from(format!("{:016x}{n:016x}", *PROCESS_SEED)))
    }

    /// The id a client sent, if it is usable: 1 to [`MAX_REQUEST_ID_LEN`]
    /// bytes of visible ASCII (`!` to `~`; no spaces or control
    /// characters, so it is safe in any log line).
    pub fn from_client(value: &[u8]) -> Option<Self> {
        let usable = !value.is_empty()
            && value.len() <= MAX_REQUEST_ID_LEN
            && value.iter().all(|b| (b'!'..=b'~').contains(b));
        // Visible ASCII is valid UTF-8.
        usable.then(|| Self(Arc::from(std::str::from_utf8(value).unwrap_or_default())))
    }

    /// The client's id from `headers` when usable, else a fresh one.
    pub fn for_request(headers: &http::HeaderMap) -> Self {
        headers
            .get(REQUEST_ID_HEADER)
            .and_then(|v| Self::from_client(v.as_bytes()))
            .unwrap_or_else(Self::generate)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id `request` carries, if any.
pub(crate) fn request_id_of<B>(request: &http::Request<B>) -> Option<RequestId> {
    request.extensions().get::<RequestId>().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_honoured_only_when_printable_and_short() {
        assert_eq!(
            RequestId::from_client(b"abc-123_X.y").map(|r| r.to_string()),
            Some("abc-123_X.y".to_owned())
        );
        assert!(RequestId::from_client(b"").is_none());
        assert!(RequestId::from_client(b"has space").is_none());
        assert!(RequestId::from_client(b"tab\there").is_none());
        assert!(RequestId::from_client("caf\u{e9}".as_bytes()).is_none());
        assert!(RequestId::from_client(&[b'a'; MAX_REQUEST_ID_LEN]).is_some());
        assert!(RequestId::from_client(&[b'a'; MAX_REQUEST_ID_LEN + 1]).is_none());
    }

    #[test]
    fn generated_ids_differ_and_replace_unusable_ones() {
        let a = RequestId::generate();
        let b = RequestId::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 32);
        let mut headers = http::HeaderMap::new();
        headers.insert(REQUEST_ID_HEADER, "bad id".parse().unwrap());
        let c = RequestId::for_request(&headers);
        assert_ne!(c.as_str(), "bad id");
        headers.insert(REQUEST_ID_HEADER, "good".parse().unwrap());
        assert_eq!(RequestId::for_request(&headers).as_str(), "good");
    }
}
