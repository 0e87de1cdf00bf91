//! A least-recently-used store of entries found by name: what the engines'
//! caches of compiled code (QuickJS bytecode, V8 code cache) keep.
//!
//! A server of thousands of Workers keeps thousands of entries, and an
//! isolate started again after an eviction looks its modules up by name, so
//! a lookup goes straight to the few entries of one name (a name may hold
//! several: other texts, other ways of compiling) rather than scanning them
//! all. The store counts entries and bytes (as the caller sizes each entry);
//! when an insert would pass either limit, the least recently used share of
//! the entries ([`EVICTED_SHARE`]) goes at once, so that a full store does
//! not look at every entry for each insert.

use std::collections::HashMap;

/// A full store lets one in this many of its entries (the least recently
/// used) go at once.
pub const EVICTED_SHARE: usize = 16;

/// Entries by name, each with its size and when it was last used.
#[derive(Debug)]
pub struct NamedLru<E> {
    by_name: HashMap<Box<str>, Vec<Slot<E>>>,
    count: usize,
    bytes: usize,
    clock: u64,
}

#[derive(Debug)]
struct Slot<E> {
    entry: E,
    size: usize,
    last_used: u64,
}

impl<E> Default for NamedLru<E> {
    fn default() -> Self {
        Self {
            by_name: HashMap::new(),
            count: 0,
            bytes: 0,
            clock: 0,
        }
    }
}

impl<E> NamedLru<E> {
    /// The entry of `name` that `matches`, marked as used now.
    pub fn get(&mut self, name: &str, matches: impl Fn(&E) -> bool) -> Option<&E> {
        self.clock += 1;
        let now = self.clock;
        let slot = self
            .by_name
            .get_mut(name)?
            .iter_mut()
            .find(|s| matches(&s.entry))?;
        slot.last_used = now;
        Some(&slot.entry)
    }

    /// The entry of `name` that `matches`, without marking it used.
    pub fn peek(&self, name: &str, matches: impl Fn(&E) -> bool) -> Option<&E> {
        self.by_name
            .get(name)?
            .iter()
            .map(|s| &s.entry)
            .find(|e| matches(e))
    }

    /// Takes out the entry of `name` that `matches`.
    pub fn remove(&mut self, name: &str, matches: impl Fn(&E) -> bool) -> Option<E> {
        let list = self.by_name.get_mut(name)?;
        let at = list.iter().position(|s| matches(&s.entry))?;
        let slot = list.swap_remove(at);
        if list.is_empty() {
            self.by_name.remove(name);
        }
        self.count -= 1;
        self.bytes -= slot.size;
        Some(slot.entry)
    }

    /// Keeps `entry` of `size` bytes under `name`, as the most recently
    /// used, after letting the least recently used entries go until it fits
    /// within `max_bytes` and `max_entries`.
    pub fn insert(
        &mut self,
        name: &str,
        entry: E,
        size: usize,
        max_bytes: usize,
        max_entries: usize,
    ) {
        self.evict(size, max_bytes, max_entries);
        self.clock += 1;
        self.bytes += size;
        self.count += 1;
        self.by_name.entry(name.into()).or_default().push(Slot {
            entry,
            size,
            last_used: self.clock,
        });
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The bytes its entries hold, as their sizes were given.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Lets the least recently used entries go: a share of them, and more
    /// if need be until `room` more bytes and one more entry fit.
    fn evict(&mut self, room: usize, max_bytes: usize, max_entries: usize) {
        let fits = |s: &Self| s.bytes + room <= max_bytes && s.count < max_entries;
        while self.count > 0 && !fits(self) {
            let mut ages: Vec<u64> = self
                .by_name
                .values()
                .flatten()
                .map(|s| s.last_used)
                .collect();
            let at = (ages.len() / EVICTED_SHARE).min(ages.len() - 1);
            let (_, &mut cutoff, _) = ages.select_nth_unstable(at);
            let (mut count, mut bytes) = (self.count, self.bytes);
            self.by_name.retain(|_, list| {
                list.retain(|s| {
                    let keep = s.last_used > cutoff;
                    if !keep {
                        count -= 1;
                        bytes -= s.size;
                    }
                    keep
                });
                !list.is_empty()
            });
            (self.count, self.bytes) = (count, bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_found_by_name_and_what_they_match() {
        let mut lru = NamedLru::default();
        lru.insert("a.js", (1, "one"), 10, 100, 10);
        lru.insert("a.js", (2, "two"), 10, 100, 10);
        lru.insert("b.js", (1, "three"), 10, 100, 10);
        assert_eq!(lru.get("a.js", |e| e.0 == 2), Some(&(2, "two")));
        assert_eq!(lru.peek("b.js", |e| e.0 == 1), Some(&(1, "three")));
        assert_eq!(lru.get("b.js", |e| e.0 == 2), None);
        assert_eq!((lru.len(), lru.bytes()), (3, 30));
        assert_eq!(lru.remove("a.js", |e| e.0 == 1), Some((1, "one")));
        assert_eq!((lru.len(), lru.bytes()), (2, 20));
    }

    #[test]
    fn the_least_recently_used_go_first() {
        let mut lru = NamedLru::default();
        for n in 0..4 {
            lru.insert(&format!("{n}.js"), n, 10, 40, 100);
        }
        // 0.js is used again, so 1.js is now the least recently used.
        assert!(lru.get("0.js", |_| true).is_some());
        lru.insert("4.js", 4, 10, 40, 100);
        assert!(lru.peek("1.js", |_| true).is_none());
        for kept in ["0.js", "2.js", "3.js", "4.js"] {
            assert!(lru.peek(kept, |_| true).is_some(), "{kept}");
        }
        assert_eq!((lru.len(), lru.bytes()), (4, 40));
    }

    #[test]
    fn a_full_store_lets_a_share_go_at_once() {
        let mut lru = NamedLru::default();
        let max = 4 * EVICTED_SHARE;
        for n in 0..max {
            lru.insert(&format!("{n}.js"), n, 1, usize::MAX, max);
        }
        lru.insert("last.js", max, 1, usize::MAX, max);
        // The oldest share went (the cutoff's own entry with it), not one.
        assert_eq!(lru.len(), max - 4 - 1 + 1);
        assert!(lru.peek("0.js", |_| true).is_none());
        assert!(lru.peek(&format!("{}.js", max - 1), |_| true).is_some());
    }
}
