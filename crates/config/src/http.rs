//! `[server]`'s HTTP listener settings: timeouts, size limits, keep-alive
//! and the shutdown grace period.
//!
//! Every way a client can hold a connection is bounded: the request head
//! by `header_timeout_ms`, `max_header_bytes` and `max_headers`; the body
//! by `max_body_mb`, `body_timeout_ms` and `body_min_rate`; an idle
//! keep-alive connection by `header_timeout_ms` again.

use std::time::Duration;

use crate::raw::RawServer;

/// The smallest `max_header_bytes`: hyper's HTTP/1.1 reader never buffers
/// less than 8 KiB.
pub const MIN_HEADER_BYTES: usize = 8192;

/// The largest `max_headers`.
pub const MAX_HEADERS: usize = 65_536;

/// How the HTTP listener treats connections, and how long a shutdown may
/// take. Part of [`ServerSettings`](crate::ServerSettings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpSettings {
    /// `grace_period_s`: after SIGTERM or SIGINT, how long in-flight
    /// requests and `waitUntil` work may go on before the process exits
    /// anyway. Default 30 s.
    pub grace_period: Duration,
    /// `header_timeout_ms`: how long a client may take to send a request's
    /// head (request line and headers), counted from when the connection
    /// opens or the previous response was sent. The same bound closes an
    /// idle keep-alive connection. Default 10000 ms.
    pub header_timeout: Duration,
    /// `max_header_bytes`: the largest request head (HTTP/1.1: request line
    /// and headers; HTTP/2: the header list). Larger ones get a 431.
    /// Default 65536; at least 8192.
    pub max_header_bytes: usize,
    /// `max_body_mb`: the largest request body. A larger `content-length`,
    /// or a streamed body that grows past it, gets a 413. Default 100 MiB.
    pub max_body_bytes: u64,
    /// `max_headers`: the most header fields an HTTP/1.1 request may have
    /// (a 431 beyond); the head stays within `max_header_bytes` as well.
    /// HTTP/2 header lists are bounded by `max_header_bytes` alone.
    /// Default 256; 1 to 65536.
    pub max_headers: usize,
    /// `body_timeout_ms`: the longest the server waits for the next piece
    /// of a request body it is reading. Default 10000 ms.
    pub body_timeout: Duration,
    /// `body_min_rate`: bytes per second a request body must average while
    /// the server waits for it: all the time spent waiting for a body may
    /// be at most `body_timeout` plus one second per this many bytes
    /// received. 0 turns the rate off (only `body_timeout` applies).
    /// Default 500.
    ///
    /// A body that breaks either bound fails: a body read before the Worker
    /// runs gets a 408; for a streamed one the Worker's read fails, and the
    /// request is answered with a 408 whatever the Worker returned. Time
    /// when nobody reads the body (the Worker has not asked for it yet)
    /// does not count.
    pub body_min_rate: u64,
    /// `first_chunk_wait_ms`: how long the head of a streamed response
    /// waits for the body's first chunk. If the body fails before its first
    /// chunk within this time, the client gets a 500 instead of a broken
    /// reply; after it, the head is sent alone and the body follows as it
    /// comes. 0 sends the head at once. Default 1000 ms.
    pub first_chunk_wait: Duration,
    /// `keep_alive_max_requests`: requests served on one connection before
    /// the server closes it (HTTP/1.1: after that response; HTTP/2: with a
    /// GOAWAY that lets open streams finish). Default 1000.
    pub keep_alive_max_requests: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            grace_period: Duration::from_secs(30),
            header_timeout: Duration::from_millis(10_000),
            max_header_bytes: 64 * 1024,
            max_body_bytes: 100 << 20,
            keep_alive_max_requests: 1000,
            max_headers: 256,
            body_timeout: Duration::from_millis(10_000),
            body_min_rate: 500,
            first_chunk_wait: Duration::from_millis(1000),
        }
    }
}

impl HttpSettings {
    /// These settings with the fields `raw` sets replaced; an error names
    /// the field (without `server.`) and what is wrong.
    pub(crate) fn with(self, raw: &RawServer) -> Result<Self, (String, String)> {
        let positive = |field: &str, v: Option<u64>| match v {
            Some(0) => Err((field.to_owned(), "must be greater than 0".to_owned())),
            other => Ok(other),
        };
        let max_header_bytes = match raw.max_header_bytes {
            None => self.max_header_bytes,
            Some(n) if n < MIN_HEADER_BYTES as u64 => {
                return Err((
                    "max_header_bytes".to_owned(),
                    format!("must be at least {MIN_HEADER_BYTES}"),
                ))
            }
            Some(n) if n > u64::from(u32::MAX) => {
                return Err(("max_header_bytes".to_owned(), "is too large".to_owned()))
            }
            Some(n) => n as usize,
        };
        let max_body_bytes = match positive("max_body_mb", raw.max_body_mb)? {
            None => self.max_body_bytes,
            Some(mb) => mb
                .checked_mul(1 << 20)
                .ok_or_else(|| ("max_body_mb".to_owned(), "is too large".to_owned()))?,
        };
        Ok(Self {
            grace_period: raw
                .grace_period_s
                .map_or(self.grace_period, Duration::from_secs),
            header_timeout: positive("header_timeout_ms", raw.header_timeout_ms)?
                .map_or(self.header_timeout, Duration::from_millis),
            max_header_bytes,
            max_body_bytes,
            keep_alive_max_requests: positive(
                "keep_alive_max_requests",
                raw.keep_alive_max_requests,
            )?
            .unwrap_or(self.keep_alive_max_requests),
            max_headers: match raw.max_headers {
                None => self.max_headers,
                Some(n) if n == 0 || n > MAX_HEADERS as u64 => {
                    return Err((
                        "max_headers".to_owned(),
                        format!("must be between 1 and {MAX_HEADERS}"),
                    ))
                }
                Some(n) => n as usize,
            },
            body_timeout: positive("body_timeout_ms", raw.body_timeout_ms)?
                .map_or(self.body_timeout, Duration::from_millis),
            body_min_rate: raw.body_min_rate.unwrap_or(self.body_min_rate),
            first_chunk_wait: raw
                .first_chunk_wait_ms
                .map_or(self.first_chunk_wait, Duration::from_millis),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawServer {
        RawServer::default()
    }

    #[test]
    fn defaults_stay_when_nothing_is_set() {
        assert_eq!(
            HttpSettings::default().with(&raw()),
            Ok(HttpSettings::default())
        );
    }

    #[test]
    fn fields_replace_defaults() {
        let r = RawServer {
            grace_period_s: Some(0),
            header_timeout_ms: Some(250),
            max_header_bytes: Some(8192),
            max_body_mb: Some(2),
            keep_alive_max_requests: Some(5),
            max_headers: Some(300),
            body_timeout_ms: Some(750),
            body_min_rate: Some(0),
            first_chunk_wait_ms: Some(0),
            ..raw()
        };
        let s = HttpSettings::default().with(&r).unwrap();
        assert_eq!(s.grace_period, Duration::ZERO);
        assert_eq!(s.header_timeout, Duration::from_millis(250));
        assert_eq!(s.max_header_bytes, 8192);
        assert_eq!(s.max_body_bytes, 2 << 20);
        assert_eq!(s.keep_alive_max_requests, 5);
        assert_eq!(s.max_headers, 300);
        assert_eq!(s.body_timeout, Duration::from_millis(750));
        assert_eq!(s.body_min_rate, 0);
        assert_eq!(s.first_chunk_wait, Duration::ZERO);
    }

    #[test]
    fn invalid_values_name_their_field() {
        let field = |r: RawServer| HttpSettings::default().with(&r).unwrap_err().0;
        let r = || raw();
        assert_eq!(
            field(RawServer {
                header_timeout_ms: Some(0),
                ..r()
            }),
            "header_timeout_ms"
        );
        assert_eq!(
            field(RawServer {
                max_header_bytes: Some(100),
                ..r()
            }),
            "max_header_bytes"
        );
        assert_eq!(
            field(RawServer {
                max_body_mb: Some(0),
                ..r()
            }),
            "max_body_mb"
        );
        assert_eq!(
            field(RawServer {
                max_body_mb: Some(u64::MAX),
                ..r()
            }),
            "max_body_mb"
        );
        assert_eq!(
            field(RawServer {
                keep_alive_max_requests: Some(0),
                ..r()
            }),
            "keep_alive_max_requests"
        );
        for max_headers in [0, MAX_HEADERS as u64 + 1] {
            assert_eq!(
                field(RawServer {
                    max_headers: Some(max_headers),
                    ..r()
                }),
                "max_headers"
            );
        }
        assert_eq!(
            field(RawServer {
                body_timeout_ms: Some(0),
                ..r()
            }),
            "body_timeout_ms"
        );
    }
}
