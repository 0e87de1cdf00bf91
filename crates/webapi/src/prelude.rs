//! The prelude script and its chunks, assembled from the files under `js/`.
//!
//! The prelude is the core every fetch event needs (events, Headers,
//! Request, Response, bodies read whole, timers, the small globals).
//! The rest comes in groups, the prelude's chunks, which the engine
//! evaluates only when the prelude first needs one (see `js/lazy.js`):
//! streams, Web Crypto, the text and compression streams, URLPattern, Blob
//! and FormData, structuredClone, console, ScheduledController, ErrorEvent,
//! fetch() and service bindings; also DOMException, Event and EventTarget,
//! AbortSignal and AbortController (the events group) and URL, which a
//! fetch handler that returns a Response never touches: every isolate reads
//! and evaluates the core, so what it leaves out is memory and start-up
//! time saved in each.

use std::sync::{Arc, OnceLock};

use motu_engine::PreludeChunk;

/// The prelude: one classic script whose completion value is the hooks
/// object of `motu_engine::contract`. The files share one function scope and
/// are joined in dependency order.
pub fn prelude() -> &'static str {
    PRELUDE
}

/// The prelude's chunks, in the order of the group indices of `js/lazy.js`.
/// Each is a classic script whose completion value is a function of the
/// core's helpers (`internal`) that defines the group's globals and returns
/// what the core and other groups use of it.
pub fn prelude_chunks() -> Arc<[PreludeChunk]> {
    static CHUNKS: OnceLock<Arc<[PreludeChunk]>> = OnceLock::new();
    CHUNKS
        .get_or_init(|| {
            GROUPS
                .iter()
                .chain(NODE_GROUPS.iter())
                .map(|(name, source)| PreludeChunk {
                    name: Arc::from(*name),
                    source: Arc::from(*source),
                })
                .collect()
        })
        .clone()
}

include!("prelude_text.rs");

#[cfg(test)]
mod tests {
    #[test]
    fn the_core_prelude_is_ascii() {
        // Every isolate evaluates the core; an engine can share ASCII text
        // between isolates rather than copy it into each (V8 reads it in
        // place), while one character past ASCII makes V8 copy all of it
        // as two-byte text. Write `...` in comments, `\u2026` in strings.
        let prelude = super::prelude();
        let odd = prelude
            .lines()
            .enumerate()
            .find(|(_, line)| !line.is_ascii());
        assert!(odd.is_none(), "line {odd:?} of the prelude is not ASCII");
    }
}
