//! `[server]`'s HTTP listener settings: timeouts, size limits, keep-alive
//! and the shutdown grace period.

use std::time::Duration;

use crate::raw::RawServer;

/// The smallest `max_header_bytes`: hyper's HTTP/1.1 reader never buffers
/// less than 8 KiB.
pub const MIN_HEADER_BYTES: usize = 8192;

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
            ..raw()
        };
        let s = HttpSettings::default().with(&r).unwrap();
        assert_eq!(s.grace_period, Duration::ZERO);
        assert_eq!(s.header_timeout, Duration::from_millis(250));
        assert_eq!(s.max_header_bytes, 8192);
        assert_eq!(s.max_body_bytes, 2 << 20);
        assert_eq!(s.keep_alive_max_requests, 5);
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
    }
}
