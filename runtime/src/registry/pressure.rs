//! Server-wide memory pressure: `max_isolates` and `memory_budget_mb`.
//!
//! Every isolate reports the memory it holds (its engine's
//! [`footprint`](motu_engine::HeapStats::footprint): the heap's pages, what
//! the engine allocates beside them, `ArrayBuffer` contents) to a
//! [`MemoryGauge`], which keeps the pool's total up to date, so the
//! registry compares the pool to its limits without looking at each
//! isolate. Only when the pool is over a limit does it look at them:
//!
//! - when a new isolate is needed and would not fit, idle isolates that
//!   may give back enough garbage are asked to collect it (it starts at
//!   once, and the budget is briefly exceeded); failing that, the least
//!   recently used *idle* isolates are evicted (reason `Pressure`) until it
//!   fits, with some slack ([`SLACK`]), so that the next starts do not each
//!   scan the pool again;
//! - every [`BUDGET_CHECK`], if the memory is over the budget, the idle
//!   isolates that may give back the most garbage collect it first (at most
//!   [`COLLECTIONS`] of them: a collection costs less than an eviction and
//!   the cold start after it), then the least recently used idle isolates
//!   are evicted until the memory fits.
//!
//! Busy isolates are never evicted for pressure: when every isolate is
//! busy, a new one starts anyway and a warning is logged.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;

use super::{Instance, Registry};
use crate::isolate_actor::{CollectNow, Condemn};
use crate::supervisor::EvictionReason;
use crate::IsolateActor;

/// How often the registry compares the isolates' memory to the budget.
pub(super) const BUDGET_CHECK: Duration = Duration::from_millis(500);

/// Over the memory budget, at most this many idle isolates collect garbage
/// in one round before the least recently used are evicted.
const COLLECTIONS: usize = 8;

/// An idle isolate collects for the memory budget only when it may give
/// back at least this much (its growth since its last collection).
const MIN_GARBAGE: usize = 64 << 10;

/// Evicting for pressure goes this share of each limit below it (1/256 of
/// `max_isolates` and of `memory_budget_mb`).
const SLACK: usize = 256;

/// What one isolate holds in memory, as it last measured (at the end of a
/// turn, at most every few milliseconds, and after a collection), kept
/// in the pool's total; written by the isolate, read by the registry.
#[derive(Debug)]
pub(crate) struct MemoryGauge {
    /// Bytes the isolate holds (its engine's footprint).
    footprint: AtomicUsize,
    /// Whether JavaScript ran since the isolate last collected garbage (a
    /// collection could give memory back).
    dirty: AtomicBool,
    /// Bytes it held right after its last collection (or its start).
    clean: AtomicUsize,
    /// The total of every gauge of the pool.
    pool: Arc<AtomicUsize>,
    /// WebSockets the isolate holds open: it is busy while it has any.
    sockets: AtomicUsize,
}

impl MemoryGauge {
    /// A gauge at zero, counted in `pool`.
    pub(crate) fn new(pool: Arc<AtomicUsize>) -> Self {
        Self {
            footprint: AtomicUsize::new(0),
            dirty: AtomicBool::new(false),
            clean: AtomicUsize::new(0),
            pool,
            sockets: AtomicUsize::new(0),
        }
    }

    /// Notes how many WebSockets the isolate holds open.
    pub(crate) fn set_sockets(&self, open: usize) {
        self.sockets.store(open, Ordering::Relaxed);
    }

    /// Whether the isolate holds WebSockets open (never evicted as idle).
    fn holds_sockets(&self) -> bool {
        self.sockets.load(Ordering::Relaxed) > 0
    }

    /// Bytes the isolate holds, as it last measured.
    pub(crate) fn footprint(&self) -> usize {
        self.footprint.load(Ordering::Relaxed)
    }

    /// Sets what the isolate holds, moving the pool's total with it.
    pub(crate) fn set(&self, bytes: usize) {
        let old = self.footprint.swap(bytes, Ordering::Relaxed);
        if bytes >= old {
            self.pool.fetch_add(bytes - old, Ordering::Relaxed);
        } else {
            self.pool.fetch_sub(old - bytes, Ordering::Relaxed);
        }
    }

    /// Notes that JavaScript ran (`true`) or that the isolate collected
    /// garbage (`false`: what it holds now is its clean size).
    pub(crate) fn set_dirty(&self, dirty: bool) {
        self.dirty.store(dirty, Ordering::Relaxed);
        if !dirty {
            self.clean.store(self.footprint(), Ordering::Relaxed);
        }
    }

    /// Notes that the isolate just started: what it holds is its clean
    /// size.
    pub(crate) fn started(&self, bytes: usize) {
        self.set(bytes);
        self.set_dirty(false);
    }

    /// What a collection could give back, as far as the gauge knows: the
    /// growth since the isolate's last collection (or its start), if
    /// JavaScript ran since.
    fn garbage(&self) -> usize {
        if self.dirty.load(Ordering::Relaxed) {
            self.footprint()
                .saturating_sub(self.clean.load(Ordering::Relaxed))
        } else {
            0
        }
    }
}

impl Registry {
    /// Bytes all isolates hold together, as each last measured.
    fn memory(&self) -> usize {
        self.memory.load(Ordering::Relaxed)
    }

    /// Whether `extra` more isolates fit within the pool's limits, each
    /// lowered by `slack` of itself.
    fn fits(&self, extra: usize, count: usize, memory: usize, slack: usize) -> bool {
        let max_ok = self
            .pool
            .max_isolates
            .is_none_or(|max| count + extra <= max - max / slack);
        let budget_ok = self
            .pool
            .memory_budget_bytes
            .is_none_or(|budget| memory <= budget - budget / slack);
        max_ok && budget_ok
    }

    /// Evicts least recently used idle isolates (reason `Pressure`) until
    /// `extra` more isolates fit within the pool's limits with [`SLACK`]
    /// to spare, or no idle isolate is left. Returns whether they fit
    /// within the limits themselves.
    fn evict_lru_idle(&mut self, extra: usize) -> bool {
        let (mut count, mut memory) = (self.count, self.memory());
        if self.fits(extra, count, memory, usize::MAX) {
            return true;
        }
        // The idle isolates, least recently used first (borrowed: with
        // thousands of isolates, copying each one's handles costs more than
        // the rest of the scan), then the ones to evict.
        let mut idle: Vec<(u64, &Instance, &Arc<str>)> = self
            .active
            .iter()
            .filter_map(|name| self.workers.get(name).map(|w| (name, w)))
            .flat_map(|(name, w)| w.instances.iter().map(move |i| (name, i)))
            .filter(|(_, i)| {
                i.in_flight.load(Ordering::Relaxed) == 0
                    && !i.gauge.holds_sockets()
                    && i.started().is_some()
            })
            .map(|(name, i)| (i.last_used.get(), i, name))
            .collect();
        idle.sort_unstable_by_key(|(used, ..)| *used);
        let mut chosen = Vec::new();
        for (_, instance, name) in idle {
            if self.fits(extra, count, memory, SLACK) {
                break;
            }
            if let Some(addr) = instance.started() {
                chosen.push((name.clone(), addr.clone(), instance.gauge.clone()));
                count -= 1;
                memory = memory.saturating_sub(instance.gauge.footprint());
            }
        }
        let before = (self.count, self.memory());
        let evicted = chosen.len();
        for (worker, addr, gauge) in chosen {
            self.remove_instance(&worker, &addr);
            addr.do_send(Condemn(EvictionReason::Pressure));
            // Out of the total now, before the isolate has stopped, so that
            // the next start does not evict for the same memory again.
            gauge.set(0);
        }
        if evicted > 0 {
            tracing::info!(
                evicted,
                isolates = before.0,
                memory_mb = before.1 as f64 / (1 << 20) as f64,
                "evicted idle isolates under pressure"
            );
        }
        self.fits(extra, count, memory, usize::MAX)
    }

    /// The idle isolates that may give back the most garbage, most first,
    /// at most [`COLLECTIONS`] of them and no more than it takes to give
    /// back `excess` bytes (as far as their gauges know), with what each
    /// may give back.
    fn most_garbage(&self, excess: usize) -> Vec<(usize, Addr<IsolateActor>)> {
        let mut collectable: Vec<(usize, &Instance)> = self
            .all_instances()
            .filter(|i| i.in_flight.load(Ordering::Relaxed) == 0)
            .map(|i| (i.gauge.garbage(), i))
            .filter(|(garbage, _)| *garbage >= MIN_GARBAGE)
            .collect();
        collectable.sort_unstable_by_key(|(garbage, _)| std::cmp::Reverse(*garbage));
        let mut covered = 0;
        collectable
            .into_iter()
            .filter_map(|(garbage, i)| Some((garbage, i.started()?.clone())))
            .take(COLLECTIONS)
            .take_while(|(garbage, _)| {
                let more = covered < excess;
                covered += garbage;
                more
            })
            .collect()
    }

    /// Makes room for one more isolate under `max_isolates` and the memory
    /// budget; when every isolate is busy, the new one starts anyway.
    pub(super) fn make_room(&mut self) {
        let (count, memory) = (self.count, self.memory());
        if self.fits(1, count, memory, usize::MAX) {
            return;
        }
        // Over the budget only: idle isolates that may give back enough
        // garbage collect it rather than go.
        let count_fits = self.pool.max_isolates.is_none_or(|max| count < max);
        if let (true, Some(budget)) = (count_fits, self.pool.memory_budget_bytes) {
            let excess = memory.saturating_sub(budget);
            let collect = self.most_garbage(excess);
            if collect.iter().map(|(garbage, _)| garbage).sum::<usize>() >= excess {
                for (_, addr) in collect {
                    addr.do_send(CollectNow);
                }
                return;
            }
        }
        if !self.evict_lru_idle(1) {
            tracing::warn!(
                isolates = self.count,
                memory_mb = self.memory() >> 20,
                "every isolate is busy at the server's limit; starting one more"
            );
        }
    }

    /// Brings the isolates' memory back under the `budget` if it is over:
    /// first the idle isolates that may give back the most garbage collect
    /// it (each measures itself again as it does), then the least recently
    /// used idle isolates are evicted until it fits.
    pub(super) fn relieve(&mut self, budget: usize, ctx: &mut Context<Self>) {
        let memory = self.memory();
        if self.relieving || memory <= budget {
            return;
        }
        let collectable = self.most_garbage(memory - budget);
        self.relieving = true;
        let collections = async move {
            for (_, addr) in collectable {
                let _ = addr.send(CollectNow).await;
            }
        };
        ctx.spawn(collections.into_actor(self).map(move |(), act, _| {
            act.relieving = false;
            if !act.evict_lru_idle(0) {
                tracing::warn!(
                    budget_mb = budget >> 20,
                    "the isolates' memory is over the budget and every isolate is busy"
                );
            }
        }));
    }
}
