//! The built-in workloads of `motu bench`: their Worker files (the same
//! files `benches/compare/run.sh` serves from every runtime) and the
//! request each one is sent.

use bytes::Bytes;
use hyper::Method;

/// The size of the body the `echo` workload posts.
pub const ECHO_BODY_BYTES: usize = 64 * 1024;

/// A built-in workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workload {
    /// Its name on the command line and in reports.
    pub name: &'static str,
    /// What it measures, for the report.
    pub description: &'static str,
    /// The Worker's source.
    pub source: &'static str,
}

/// Every built-in workload, in report order.
pub const BUILT_IN: [Workload; 4] = [
    Workload {
        name: "hello",
        description: "a 12-byte text response",
        source: include_str!("../../benches/workers/hello.js"),
    },
    Workload {
        name: "json",
        description: "build a 50-field object and answer it as JSON",
        source: include_str!("../../benches/workers/json.js"),
    },
    Workload {
        name: "cpu",
        description: "a deterministic integer hash loop (about 1-2 ms when JIT-compiled)",
        source: include_str!("../../benches/workers/cpu.js"),
    },
    Workload {
        name: "echo",
        description: "a 64 KiB POST body read whole and answered",
        source: include_str!("../../benches/workers/echo.js"),
    },
];

/// The built-in workload called `name`.
pub fn find(name: &str) -> Option<Workload> {
    BUILT_IN.iter().copied().find(|w| w.name == name)
}

/// The request a load generator sends for a workload: `echo` posts
/// [`ECHO_BODY_BYTES`], every other workload is `GET /`.
#[derive(Debug, Clone)]
pub struct RequestShape {
    /// The method.
    pub method: Method,
    /// The body (empty for GET).
    pub body: Bytes,
}

impl RequestShape {
    /// The request of the workload called `name`.
    pub fn of(name: &str) -> Self {
        if name == "echo" {
            // A deterministic, non-uniform body, so nothing compresses it
            // away or answers it from a shortcut.
            let body: Vec<u8> = (0..ECHO_BODY_BYTES)
                .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
                .collect();
            Self {
                method: Method::POST,
                body: Bytes::from(body),
            }
        } else {
            Self {
                method: Method::GET,
                body: Bytes::new(),
            }
        }
    }
}
