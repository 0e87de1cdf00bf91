//! A process-wide cache of compiled bytecode, shared by an engine's isolates.
//!
//! Every isolate evaluates the same prelude, and every instance of a Worker
//! the same modules; parsing them again for each isolate would dominate its
//! cold start. The cache maps a source text (with its name and how it was
//! compiled) to its bytecode, so that only the first isolate compiles and
//! the others just read bytecode. Entries keep their source text to compare
//! it in full: a hit is never a different text that merely hashes alike. The
//! least recently used entries go once the cache holds more than its byte
//! budget (source plus bytecode) or [`MAX_ENTRIES`] entries.
//!
//! A miss is first looked up in the bytecode compiled at build time (see
//! `precompiled`), by name and fingerprint of the text; only then compiled.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use motu_engine::EngineError;

use crate::compile::{compile, Options};
use crate::isolate::PRELUDE;
use crate::precompiled::{fingerprint, usable, Precompiled};

/// At most this many entries, so that a lookup's scan stays short.
pub(crate) const MAX_ENTRIES: usize = 256;

/// Compiled bytecode by source text.
pub(crate) struct BytecodeCache {
    entries: Mutex<Entries>,
    /// The byte budget (0: the cache keeps nothing).
    pub(crate) max_bytes: usize,
    /// Bytecode compiled at build time by this QuickJS.
    precompiled: Vec<Precompiled>,
    /// How many misses the precompiled bytecode answered.
    precompiled_used: AtomicUsize,
}

#[derive(Default)]
struct Entries {
    list: Vec<Entry>,
    bytes: usize,
    clock: u64,
}

struct Entry {
    name: Box<str>,
    source: Arc<str>,
    options: Options,
    bytecode: Arc<[u8]>,
    last_used: u64,
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
            entries: Mutex::new(Entries::default()),
            max_bytes,
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // The entries stay consistent even if a holder panicked.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lookup(&self, name: &str, source: &Arc<str>, options: Options) -> Option<Arc<[u8]>> {
        if self.max_bytes == 0 {
            return None;
        }
        let mut entries = self.lock();
        entries.clock += 1;
        let now = entries.clock;
        let entry = entries
            .list
            .iter_mut()
            .find(|e| e.is(name, source, options))?;
        entry.last_used = now;
        Some(entry.bytecode.clone())
    }

    fn insert(&self, name: &str, source: &Arc<str>, options: Options, bytecode: &Arc<[u8]>) {
        let entry = Entry {
            name: name.into(),
            source: source.clone(),
            options,
            bytecode: bytecode.clone(),
            last_used: 0,
        };
        if entry.size() > self.max_bytes {
            return;
        }
        let mut entries = self.lock();
        if entries.list.iter().any(|e| e.is(name, source, options)) {
            return; // another thread compiled it meanwhile
        }
        while entries.bytes + entry.size() > self.max_bytes || entries.list.len() >= MAX_ENTRIES {
            let oldest = entries
                .list
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(i, _)| i)
                .expect("a full cache has entries");
            let gone = entries.list.swap_remove(oldest);
            entries.bytes -= gone.size();
        }
        entries.clock += 1;
        let entry = Entry {
            last_used: entries.clock,
            ..entry
        };
        entries.bytes += entry.size();
        entries.list.push(entry);
    }

    /// Entries and bytes held.
    #[cfg(test)]
    pub(crate) fn usage(&self) -> (usize, usize) {
        let entries = self.lock();
        (entries.list.len(), entries.bytes)
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
        let cache = BytecodeCache::new(1 << 20);
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
        for i in 0..MAX_ENTRIES {
            cache
                .get("n.js", &Arc::from(format!("{i}")), SCRIPT, None)
                .unwrap();
        }
        assert_eq!(cache.usage().0, MAX_ENTRIES);
        let recompiled = cache.get("a.js", &a, SCRIPT, None).unwrap();
        assert!(!Arc::ptr_eq(&first, &recompiled));
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
