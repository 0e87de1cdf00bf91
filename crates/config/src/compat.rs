//! Compatibility flags: the ones motu implements.
//!
//! A Worker's `compatibility_flags` are recorded as given
//! ([`WorkerSettings::compatibility_flags`](crate::WorkerSettings::compatibility_flags)).
//! The flags below are the ones motu honours; every other flag is reported
//! once at start-up, by name, and has no effect.

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
];

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
}
