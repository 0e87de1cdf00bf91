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

use motu_engine::{IsolateConfig, PreludeChunk};

/// The prelude: one classic script whose completion value is the hooks
/// object of `motu_engine::contract`. The files share one function scope and
/// are joined in dependency order.
pub fn prelude() -> &'static str {
    PRELUDE
}

/// The groups the prelude made for a startup snapshot evaluates in it, by
/// name: those nearly every Worker loads on its first requests (`new
/// URL(request.url)`, an `AbortSignal`, a `DOMException`), and the
/// iterator helpers and the recent built-ins (`js/es_builtins.js`), which
/// install themselves where the engine lacks them (V8 before 12.x;
/// `start()` loads them on another engine without them).
const SNAPSHOT_GROUPS: [&str; 4] = [
    "motu:prelude/events",
    "motu:prelude/url",
    "motu:prelude/iterator-helpers",
    "motu:prelude/es-builtins",
];

/// The prelude for an engine that evaluates it once for many isolates (V8's
/// startup snapshot; see `motu_engine::IsolateConfig::snapshot_prelude`):
/// [`prelude`] with the groups of `SNAPSHOT_GROUPS` evaluated in it rather
/// than on first use. Every isolate made from the snapshot then starts with
/// them at no cost per start (only their memory, in each isolate), where
/// loading them on first use costs each isolate that needs them a chunk
/// load. The core's text comes first and unchanged, so its lines are
/// where they are in [`prelude`]; the groups follow it, as the argument of
/// the hooks' `preload` (see `preloadGroups` in `js/lazy.js`).
pub fn snapshot_prelude() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut text = String::from("((hooks, groups) => hooks.preload(groups))(");
        text.push_str(PRELUDE.trim_end());
        text.push_str(", [");
        for name in SNAPSHOT_GROUPS {
            let (index, (_, source)) = GROUPS
                .iter()
                .enumerate()
                .find(|(_, (group, _))| *group == name)
                .expect("a snapshot group is one of GROUPS");
            text.push_str(&format!("\n{index},\n{},", source.trim_end()));
        }
        text.push_str("\n])\n");
        text
    })
}

/// An isolate config with the Web API prelude: its core, chunks and
/// snapshot prelude, the engine's default heap limit and no code generation
/// from strings (set the fields to change those).
pub fn isolate_config() -> IsolateConfig {
    IsolateConfig {
        memory_limit: None,
        allow_code_generation: false,
        prelude: Arc::from(prelude()),
        prelude_name: Arc::from(PRELUDE_NAME),
        prelude_chunks: prelude_chunks(),
        snapshot_prelude: Some(Arc::from(snapshot_prelude())),
    }
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
        for prelude in [super::prelude(), super::snapshot_prelude()] {
            let odd = prelude
                .lines()
                .enumerate()
                .find(|(_, line)| !line.is_ascii());
            assert!(odd.is_none(), "line {odd:?} of the prelude is not ASCII");
        }
    }

    #[test]
    fn the_snapshot_prelude_keeps_the_cores_lines_where_they_are() {
        // Stack positions in the prelude are the same whichever is run.
        let (core, snapshot) = (super::prelude(), super::snapshot_prelude());
        let lines = core.lines().count();
        assert!(snapshot.lines().count() > lines);
        for (n, (a, b)) in core.lines().zip(snapshot.lines()).enumerate().skip(1) {
            let b = if n + 1 == lines { &b[..a.len()] } else { b };
            assert_eq!(a, b, "line {}", n + 1);
        }
        assert!(snapshot
            .lines()
            .next()
            .unwrap()
            .ends_with(core.lines().next().unwrap()));
    }
}
