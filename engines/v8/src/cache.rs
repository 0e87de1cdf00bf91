//! A process-wide cache of V8 code cache, shared by an engine's isolates.
//!
//! Every isolate evaluates the same prelude, and every instance of a Worker
//! the same code. The first isolate to compile a source hands V8's code
//! cache for it (made after the code ran, so it also covers the functions
//! the run compiled) to this cache; later isolates deserialize that instead
//! of parsing. That first entry is *cold*; the first isolate with that code
//! to serve an event replaces it with a *warm* one that also covers the
//! functions serving the event compiled. Entries are keyed by kind, name
//! and the full source text (a hit compares the text, or finds the very
//! same `Arc`), and found by name, so that a server of thousands of Workers
//! keeps every Worker's code cache and an isolate started again (after an
//! eviction) neither parses its modules nor makes their cache again
//! ([`NamedLru`]). The
//! least recently used entries go once the cache holds more than its byte
//! budget or [`MAX_ENTRIES`] entries.

use std::sync::{Arc, Mutex, MutexGuard};

use motu_engine::lru::NamedLru;

/// At most this many entries (the modules of tens of thousands of
/// Workers); the byte budget usually binds first.
pub(crate) const MAX_ENTRIES: usize = 1 << 16;

/// What a source was compiled as; a script's cache does not fit a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeKind {
    /// A classic script (the prelude, a service-worker script).
    Script,
    /// An ES module.
    Module,
}

/// V8 code cache by source.
pub(crate) struct CodeCache {
    max_bytes: usize,
    max_entries: usize,
    state: Mutex<NamedLru<Entry>>,
}

struct Entry {
    kind: CodeKind,
    name: Box<str>,
    source: Arc<str>,
    data: Arc<[u8]>,
    /// Made after an event was served.
    warm: bool,
}

impl Entry {
    fn is(&self, kind: CodeKind, name: &str, source: &Arc<str>) -> bool {
        self.kind == kind
            && (Arc::ptr_eq(&self.source, source) || *self.source == **source)
            && *self.name == *name
    }
}

impl CodeCache {
    /// A cache of at most `max_bytes` (names, sources and code cache); `0`
    /// keeps nothing.
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            max_entries: MAX_ENTRIES,
            state: Mutex::new(NamedLru::default()),
        }
    }

    /// Whether the cache keeps anything at all.
    pub(crate) fn enabled(&self) -> bool {
        self.max_bytes > 0
    }

    fn state(&self) -> MutexGuard<'_, NamedLru<Entry>> {
        // Nothing that can panic runs while the state is half updated, so a
        // poisoned lock still guards a usable state.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The code cache for this source, if there is one.
    pub(crate) fn get(&self, kind: CodeKind, name: &str, source: &Arc<str>) -> Option<Arc<[u8]>> {
        if !self.enabled() {
            return None;
        }
        self.state()
            .get(name, |e| e.is(kind, name, source))
            .map(|e| e.data.clone())
    }

    /// Whether the cache lacks a warm entry for this source, and could
    /// keep one.
    pub(crate) fn is_cold(&self, kind: CodeKind, name: &str, source: &Arc<str>) -> bool {
        name.len() + source.len() < self.max_bytes
            && !self
                .state()
                .peek(name, |e| e.is(kind, name, source))
                .is_some_and(|e| e.warm)
    }

    /// Keeps code cache for a source, replacing what was kept for it
    /// (unless that is warm and this is not).
    pub(crate) fn insert(
        &self,
        kind: CodeKind,
        name: &str,
        source: &Arc<str>,
        data: &[u8],
        warm: bool,
    ) {
        let size = name.len() + source.len() + data.len();
        if size > self.max_bytes {
            return;
        }
        let mut state = self.state();
        let is = |e: &Entry| e.is(kind, name, source);
        if state.peek(name, is).is_some_and(|e| e.warm && !warm) {
            return;
        }
        state.remove(name, is);
        let entry = Entry {
            kind,
            name: name.into(),
            source: source.clone(),
            data: data.into(),
            warm,
        };
        state.insert(name, entry, size, self.max_bytes, self.max_entries);
    }

    /// The number of entries.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.state().len()
    }

    /// The cache, keeping at most `max_entries` entries.
    #[cfg(test)]
    pub(crate) fn with_max_entries(mut self, max_entries: usize) -> Self {
        self.max_entries = max_entries;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(s: &str) -> Arc<str> {
        Arc::from(s)
    }

    #[test]
    fn hits_need_the_same_kind_name_and_text() {
        let cache = CodeCache::new(1 << 20);
        let src = source("let a = 1;");
        cache.insert(CodeKind::Script, "a.js", &src, &[1, 2, 3], false);
        assert_eq!(
            cache.get(CodeKind::Script, "a.js", &src).as_deref(),
            Some(&[1u8, 2, 3][..])
        );
        // Equal text in another allocation hits too.
        assert!(cache
            .get(CodeKind::Script, "a.js", &source("let a = 1;"))
            .is_some());
        assert!(cache.get(CodeKind::Module, "a.js", &src).is_none());
        assert!(cache.get(CodeKind::Script, "b.js", &src).is_none());
        assert!(cache
            .get(CodeKind::Script, "a.js", &source("let a = 2;"))
            .is_none());
    }

    #[test]
    fn inserting_again_replaces() {
        let cache = CodeCache::new(1 << 20);
        let src = source("x");
        cache.insert(CodeKind::Module, "m.js", &src, &[1], false);
        cache.insert(CodeKind::Module, "m.js", &src, &[2], false);
        assert_eq!(cache.len(), 1);
        assert_eq!(
            cache.get(CodeKind::Module, "m.js", &src).as_deref(),
            Some(&[2u8][..])
        );
    }

    #[test]
    fn the_least_recently_used_go_first() {
        // Each entry: 1 (name) + 1 (source) + 8 (data) = 10 bytes.
        let cache = CodeCache::new(30);
        let (a, b, c, d) = (source("a"), source("b"), source("c"), source("d"));
        cache.insert(CodeKind::Script, "a", &a, &[0; 8], false);
        cache.insert(CodeKind::Script, "b", &b, &[0; 8], false);
        cache.insert(CodeKind::Script, "c", &c, &[0; 8], false);
        assert!(cache.get(CodeKind::Script, "a", &a).is_some());
        cache.insert(CodeKind::Script, "d", &d, &[0; 8], false);
        assert_eq!(cache.len(), 3);
        assert!(cache.get(CodeKind::Script, "b", &b).is_none());
        assert!(cache.get(CodeKind::Script, "a", &a).is_some());
        assert!(cache.get(CodeKind::Script, "d", &d).is_some());
    }

    #[test]
    fn the_entry_count_is_bounded() {
        let cache = CodeCache::new(usize::MAX).with_max_entries(64);
        for i in 0..64 + 10 {
            cache.insert(CodeKind::Script, &i.to_string(), &source("s"), &[0], false);
            assert!(cache.len() <= 64);
        }
        // The most recent stay.
        assert!(cache.get(CodeKind::Script, "73", &source("s")).is_some());
        assert!(cache.get(CodeKind::Script, "0", &source("s")).is_none());
    }

    #[test]
    fn the_modules_of_thousands_of_workers_stay_cached() {
        let cache = CodeCache::new(64 << 20);
        let text = |i: usize| source(&format!("export default {{ fetch() {{ return {i}; }} }};"));
        for i in 0..2000 {
            cache.insert(
                CodeKind::Module,
                &format!("w{i}.js"),
                &text(i),
                &[1; 64],
                true,
            );
        }
        // Each Worker started again finds its code cache, warm.
        for i in 0..2000 {
            let name = format!("w{i}.js");
            assert!(
                cache.get(CodeKind::Module, &name, &text(i)).is_some(),
                "{name} lost its cache"
            );
            assert!(!cache.is_cold(CodeKind::Module, &name, &text(i)));
        }
        assert_eq!(cache.len(), 2000);
    }

    #[test]
    fn warm_entries_are_not_replaced_by_cold_ones() {
        let cache = CodeCache::new(1 << 20);
        let src = source("x");
        assert!(cache.is_cold(CodeKind::Script, "x", &src));
        cache.insert(CodeKind::Script, "x", &src, &[1], false);
        assert!(cache.is_cold(CodeKind::Script, "x", &src));
        cache.insert(CodeKind::Script, "x", &src, &[2], true);
        assert!(!cache.is_cold(CodeKind::Script, "x", &src));
        cache.insert(CodeKind::Script, "x", &src, &[3], false);
        assert_eq!(
            cache.get(CodeKind::Script, "x", &src).as_deref(),
            Some(&[2u8][..])
        );
    }

    #[test]
    fn a_zero_budget_keeps_nothing() {
        let cache = CodeCache::new(0);
        let src = source("x");
        cache.insert(CodeKind::Script, "x", &src, &[1], false);
        assert!(!cache.enabled());
        assert!(cache.get(CodeKind::Script, "x", &src).is_none());
        assert!(!cache.is_cold(CodeKind::Script, "x", &src));
    }

    #[test]
    fn sources_too_large_to_keep_are_never_cold() {
        let cache = CodeCache::new(16);
        let small = source("s");
        let large = source(&"x".repeat(64));
        assert!(cache.is_cold(CodeKind::Script, "a", &small));
        assert!(!cache.is_cold(CodeKind::Script, "a", &large));
        cache.insert(CodeKind::Script, "a", &large, &[1], false);
        assert_eq!(cache.len(), 0);
    }
}
