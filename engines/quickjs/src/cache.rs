//! A process-wide cache of compiled bytecode, shared by an engine's isolates.
//!
//! Every isolate evaluates the same prelude, and every instance of a Worker
//! the same modules; parsing them again for each isolate would dominate its
//! cold start. The cache maps a source text (with its name and how it was
//! compiled) to its bytecode, so that only the first isolate compiles and
//! the others just read bytecode. Entries keep their source text to compare
//! it in full: a hit is never a different text that merely hashes alike.
//! Entries are found by name, so that a server of thousands of Workers keeps
//! every Worker's bytecode and an isolate started again (after an eviction)
//! reads it rather than compiling its modules again ([`NamedLru`]). The
//! least recently used entries go once the cache holds more than its byte budget (source
//! plus bytecode) or [`MAX_ENTRIES`] entries.
//!
//! A miss is first looked up in the bytecode compiled at build time (see
//! `precompiled`), by name and fingerprint of the text; only then compiled.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use motu_engine::lru::NamedLru;
use motu_engine::EngineError;

use crate::compile::{compile, Options};
use crate::isolate::PRELUDE;
use crate::precompiled::{fingerprint, usable, Precompiled};

/// At most this many entries (the modules of tens of thousands of
/// Workers); the byte budget usually binds first.
pub(crate) const MAX_ENTRIES: usize = 1 << 16;

/// Compiled bytecode by source text.
pub(crate) struct BytecodeCache {
    entries: Mutex<NamedLru<Entry>>,
    /// The byte budget (0: the cache keeps nothing).
    pub(crate) max_bytes: usize,
    /// The most entries it keeps.
    max_entries: usize,
    /// Bytecode compiled at build time by this QuickJS.
    precompiled: Vec<Precompiled>,
    /// How many misses the precompiled bytecode answered.
    precompiled_used: AtomicUsize,
}

struct Entry {
    name: Box<str>,
    source: Arc<str>,
    options: Options,
    bytecode: Arc<[u8]>,
}

impl Entry {
    fn size(&self) -> usize {
        self.name.len() + self.source.len() + self.bytecode.len()
    }

    fn is(&self, name: &str, source: &Arc<str>, options: Options) -> bool {
        self.options == options
            && (Arc::ptr_eq(&self.source, source) || *self.source == **source)
            && *self.name == *name
    }
}

impl BytecodeCache {
    /// A cache of at most `max_bytes` bytes.
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self {
            entries: Mutex::new(NamedLru::default()),
            max_bytes,
            max_entries: MAX_ENTRIES,
            precompiled: Vec::new(),
            precompiled_used: AtomicUsize::new(0),
        }
    }

    /// The cache, answering misses from `entries` where they were compiled
    /// by this QuickJS from the same text (prelude scripts only).
    pub(crate) fn with_precompiled(mut self, entries: &[Precompiled]) -> Self {
        self.precompiled = usable(entries);
        self
    }

    /// How many scripts came from precompiled bytecode rather than the
    /// compiler.
    pub(crate) fn precompiled_used(&self) -> usize {
        self.precompiled_used.load(Ordering::Relaxed)
    }

    /// The precompiled bytecode of `source`, if some was compiled from it.
    fn precompiled(&self, name: &str, source: &str, options: Options) -> Option<Arc<[u8]>> {
        if options != PRELUDE {
            return None;
        }
        let entry = self.precompiled.iter().find(|e| e.name == name)?;
        if entry.fingerprint != fingerprint(source) {
            return None;
        }
        self.precompiled_used.fetch_add(1, Ordering::Relaxed);
        Some(Arc::from(entry.bytecode))
    }

    /// The bytecode of `source`, compiled now unless the cache has it.
    pub(crate) fn get(
        &self,
        name: &str,
        source: &Arc<str>,
        options: Options,
        memory_limit: Option<usize>,
    ) -> Result<Arc<[u8]>, EngineError> {
        if let Some(hit) = self.lookup(name, source, options) {
            return Ok(hit);
        }
        let bytecode: Arc<[u8]> = match self.precompiled(name, source, options) {
            Some(bytecode) => bytecode,
            None => compile(name, source, options, memory_limit)?.into(),
        };
        self.insert(name, source, options, &bytecode);
        Ok(bytecode)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, NamedLru<Entry>> {
        // The entries stay consistent even if a holder panicked.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lookup(&self, name: &str, source: &Arc<str>, options: Options) -> Option<Arc<[u8]>> {
        if self.max_bytes == 0 {
            return None;
        }
        self.lock()
            .get(name, |e| e.is(name, source, options))
            .map(|e| e.bytecode.clone())
    }

    fn insert(&self, name: &str, source: &Arc<str>, options: Options, bytecode: &Arc<[u8]>) {
        let entry = Entry {
            name: name.into(),
            source: source.clone(),
            options,
            bytecode: bytecode.clone(),
        };
        let size = entry.size();
        if size > self.max_bytes {
            return;
        }
        let mut entries = self.lock();
        if entries
            .peek(name, |e| e.is(name, source, options))
            .is_some()
        {
            return; // another thread compiled it meanwhile
        }
        entries.insert(name, entry, size, self.max_bytes, self.max_entries);
    }

    /// Entries and bytes held.
    #[cfg(test)]
    pub(crate) fn usage(&self) -> (usize, usize) {
        let entries = self.lock();
        (entries.len(), entries.bytes())
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
    use crate::compile::Kind;

    const SCRIPT: Options = Options {
        kind: Kind::Script,
        strip_source: false,
        strip_debug: false,
    };

    #[test]
    fn equal_texts_hit_and_the_oldest_entries_go() {
        let max = 64;
        let cache = BytecodeCache::new(1 << 20).with_max_entries(max);
        let a: Arc<str> = Arc::from("1 + 1");
        let first = cache.get("a.js", &a, SCRIPT, None).unwrap();
        // An equal text in another allocation hits.
        let again = cache
            .get("a.js", &Arc::from("1 + 1"), SCRIPT, None)
            .unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        // Another name or another way of compiling does not.
        let other = cache.get("b.js", &a, SCRIPT, None).unwrap();
        assert!(!Arc::ptr_eq(&first, &other));
        assert_eq!(cache.usage().0, 2);
        for i in 0..max {
            cache
                .get("n.js", &Arc::from(format!("{i}")), SCRIPT, None)
                .unwrap();
            assert!(cache.usage().0 <= max);
        }
        let recompiled = cache.get("a.js", &a, SCRIPT, None).unwrap();
        assert!(!Arc::ptr_eq(&first, &recompiled));
    }

    #[test]
    fn the_modules_of_thousands_of_workers_stay_cached() {
        let cache = BytecodeCache::new(64 << 20);
        let module = Options {
            kind: Kind::Module,
            strip_source: false,
            strip_debug: false,
        };
        let source = |i: usize| -> Arc<str> {
            Arc::from(format!("export default {{ fetch() {{ return {i}; }} }};"))
        };
        let first: Vec<_> = (0..2000)
            .map(|i| {
                cache
                    .get(&format!("w{i}.js"), &source(i), module, None)
                    .unwrap()
            })
            .collect();
        // Each Worker started again reads the bytecode it was first given.
        for (i, bytecode) in first.iter().enumerate() {
            let again = cache
                .get(&format!("w{i}.js"), &source(i), module, None)
                .unwrap();
            assert!(Arc::ptr_eq(bytecode, &again), "w{i}.js was compiled again");
        }
        assert_eq!(cache.usage().0, 2000);
    }

    #[test]
    fn the_byte_budget_holds() {
        let cache = BytecodeCache::new(2000);
        for i in 0..50 {
            cache
                .get("x.js", &Arc::from(format!("var x{i} = {i};")), SCRIPT, None)
                .unwrap();
            assert!(cache.usage().1 <= 2000);
        }
        let none = BytecodeCache::new(0);
        none.get("x.js", &Arc::from("1"), SCRIPT, None).unwrap();
        assert_eq!(none.usage(), (0, 0));
    }

    #[test]
    fn syntax_errors_are_exceptions() {
        let cache = BytecodeCache::new(1 << 20);
        match cache.get("bad.js", &Arc::from("let = ;"), SCRIPT, None) {
            Err(EngineError::Exception(e)) => {
                assert_eq!(e.name, "SyntaxError");
                assert!(e.stack.unwrap_or_default().contains("bad.js"));
            }
            other => panic!("expected a SyntaxError, got {other:?}"),
        }
        assert_eq!(cache.usage().0, 0);
    }
}
