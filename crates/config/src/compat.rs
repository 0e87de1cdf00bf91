//! Compatibility flags: the ones motu implements.
//!
//! A Worker's `compatibility_flags` are recorded as given
//! ([`WorkerSettings::compatibility_flags`](crate::WorkerSettings::compatibility_flags)).
//! The flags below are the ones motu honours; every other flag is reported
//! once at start-up, by name, and has no effect.
//!
//! Some behaviours change with the compatibility date, as on Cloudflare: a
//! flag turns the new behaviour on before its date, its opposite keeps
//! the old one after. [`PlatformCompat`] resolves those of the platform's
//! APIs (WebSockets, Durable Object storage); the Node.js ones are
//! [`crate::NodeCompat`]'s.

/// The flags motu honours, each with what it means here (besides the
/// Node.js compatibility flags of [`crate::NodeCompat`]).
pub const IMPLEMENTED: &[(&str, &str)] = &[
    (
        "assets_navigation_prefers_asset_serving",
        "a browser navigation that matches no asset gets not_found_handling rather than the Worker (on by default from 2025-04-01)",
    ),
    (
        "assets_navigation_has_no_effect",
        "turns assets_navigation_prefers_asset_serving off",
    ),
    (
        "global_fetch_strictly_public",
        "fetch() reaches only public addresses: motu's default egress policy",
    ),
    (
        "streams_enable_constructors",
        "ReadableStream, WritableStream and their controllers are constructible: always so in motu",
    ),
    (
        "transformstream_enable_standard_constructor",
        "TransformStream follows the Streams standard: always so in motu",
    ),
    (
        "url_standard",
        "URL parses as the WHATWG URL standard says: always so in motu",
    ),
    (
        "websocket_standard_binary_type",
        "WebSocket.binaryType starts as \"blob\": binary messages arrive as Blob (on by default from 2026-03-17)",
    ),
    (
        "no_websocket_standard_binary_type",
        "WebSocket.binaryType starts as \"arraybuffer\" where the compatibility date has \"blob\"",
    ),
    (
        "enable_ctx_exports",
        "ctx.exports holds loopback bindings to the Worker's own entrypoints and Durable Object classes (on by default from 2025-11-17)",
    ),
    (
        "disable_ctx_exports",
        "no ctx.exports where the compatibility date has it",
    ),
    (
        "delete_all_deletes_alarm",
        "a Durable Object's storage.deleteAll() deletes its alarm too (on by default from 2026-02-24)",
    ),
    (
        "fetch_iterable_type_support",
        "a Request or Response body may be a sync or async iterable of strings and buffers, and `process` is tagged as Node.js's (on by default from 2026-02-19)",
    ),
    (
        "no_fetch_iterable_type_support",
        "turns fetch_iterable_type_support off",
    ),
    (
        "delete_all_preserves_alarm",
        "storage.deleteAll() keeps the alarm where the compatibility date has it deleted",
    ),
];

/// The date from which `WebSocket.binaryType` starts as `"blob"`
/// (`websocket_standard_binary_type`).
pub const WEBSOCKET_BLOB_DATE: &str = "2026-03-17";

/// The date from which `storage.deleteAll()` deletes the alarm
/// (`delete_all_deletes_alarm`).
pub const DELETE_ALL_DELETES_ALARM_DATE: &str = "2026-02-24";

/// The date from which bodies may be iterables (`fetch_iterable_type_support`).
pub const ITERABLE_BODIES_DATE: &str = "2026-02-19";

/// The date from which `ctx.exports` exists (`enable_ctx_exports`).
pub const CTX_EXPORTS_DATE: &str = "2025-11-17";

/// The platform behaviours a Worker's compatibility date and flags decide
/// (see the module docs). The default is a Worker without a date or
/// flags: the old behaviours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlatformCompat {
    /// A `WebSocket`'s `binaryType` starts as `"blob"` (binary messages
    /// arrive as `Blob`s) rather than `"arraybuffer"`. A Durable Object's
    /// `webSocketMessage` handler gets an `ArrayBuffer` either way.
    pub websocket_blob: bool,
    /// A Durable Object's `storage.deleteAll()` deletes its alarm too;
    /// before, the alarm was kept.
    pub delete_all_deletes_alarm: bool,
    /// `ctx.exports` (and a Durable Object's `ctx.exports`) holds a
    /// loopback binding for each of the Worker's own entrypoints and
    /// Durable Object classes.
    pub ctx_exports: bool,
    /// A `Request` or `Response` body may be a sync or async iterable of
    /// strings and buffer sources (streamed as it is iterated); and, as
    /// wrangler's bundler then leaves the runtime's own `process` in
    /// place of its polyfill, `process` is tagged `[object process]` as
    /// Node.js's is. Before, such a body was its text, and `process` a
    /// plain object to `Object.prototype.toString`.
    pub iterable_bodies: bool,
}

impl PlatformCompat {
    /// Resolves a Worker's `compatibility_date` (`YYYY-MM-DD`, compared as
    /// text) and `compatibility_flags`.
    pub fn resolve(date: Option<&str>, flags: &[String]) -> Self {
        let has = |f: &str| flags.iter().any(|x| x == f);
        let switch = |on: &str, off: &str, since: &str| {
            has(on) || (!has(off) && date.is_some_and(|date| date >= since))
        };
        PlatformCompat {
            websocket_blob: switch(
                "websocket_standard_binary_type",
                "no_websocket_standard_binary_type",
                WEBSOCKET_BLOB_DATE,
            ),
            delete_all_deletes_alarm: switch(
                "delete_all_deletes_alarm",
                "delete_all_preserves_alarm",
                DELETE_ALL_DELETES_ALARM_DATE,
            ),
            ctx_exports: switch(
                "enable_ctx_exports",
                "disable_ctx_exports",
                CTX_EXPORTS_DATE,
            ),
            iterable_bodies: switch(
                "fetch_iterable_type_support",
                "no_fetch_iterable_type_support",
                ITERABLE_BODIES_DATE,
            ),
        }
    }
}

/// Whether motu honours the compatibility flag `flag`.
pub fn is_implemented(flag: &str) -> bool {
    IMPLEMENTED
        .iter()
        .chain(crate::node_compat::FLAGS)
        .any(|(name, _)| *name == flag)
}

/// The flags of `flags` that motu does not implement, each once, in order.
pub fn unsupported<'a>(flags: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for flag in flags {
        if !is_implemented(flag) && !out.contains(&flag) {
            out.push(flag);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_flags_are_listed_once() {
        let flags = ["url_standard", "y", "x", "y", "nodejs_compat"];
        assert_eq!(unsupported(flags), ["y", "x"]);
        assert!(is_implemented("global_fetch_strictly_public"));
    }

    #[test]
    fn platform_behaviours_follow_the_date_and_the_flags() {
        let flags = |f: &[&str]| f.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            PlatformCompat::resolve(None, &[]),
            PlatformCompat::default()
        );
        let old = PlatformCompat::resolve(Some("2026-02-23"), &[]);
        assert!(!old.websocket_blob && !old.delete_all_deletes_alarm);
        let between = PlatformCompat::resolve(Some("2026-02-24"), &[]);
        assert!(!between.websocket_blob && between.delete_all_deletes_alarm);
        let new = PlatformCompat::resolve(Some("2026-03-17"), &[]);
        assert!(new.websocket_blob && new.delete_all_deletes_alarm);
        let opted_in = PlatformCompat::resolve(
            Some("2024-01-01"),
            &flags(&["websocket_standard_binary_type", "delete_all_deletes_alarm"]),
        );
        assert!(opted_in.websocket_blob && opted_in.delete_all_deletes_alarm);
        assert!(!PlatformCompat::resolve(Some("2025-11-16"), &[]).ctx_exports);
        assert!(PlatformCompat::resolve(Some("2025-11-17"), &[]).ctx_exports);
        assert!(PlatformCompat::resolve(None, &flags(&["enable_ctx_exports"])).ctx_exports);
        assert!(!PlatformCompat::resolve(Some("2026-02-18"), &[]).iterable_bodies);
        assert!(PlatformCompat::resolve(Some("2026-02-19"), &[]).iterable_bodies);
        let opted_out = PlatformCompat::resolve(
            Some("2026-12-01"),
            &flags(&[
                "no_websocket_standard_binary_type",
                "delete_all_preserves_alarm",
                "disable_ctx_exports",
                "no_fetch_iterable_type_support",
            ]),
        );
        assert_eq!(opted_out, PlatformCompat::default());
    }
}
