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
//!   fits: usually one per start, so that teardowns come one at a time
//!   between requests rather than in bursts;
//! - every [`BUDGET_CHECK`], if the memory is over the budget, the idle
//!   isolates that may give back the most garbage collect it first (at most
//!   [`COLLECTIONS`] of them: a collection costs less than an eviction and
//!   the cold start after it), then the least recently used idle isolates
//!   are evicted until the memory fits, with some slack ([`SLACK`]).
//!
//! Neither looks at every isolate each time. The pool keeps the total of
//! the garbage its isolates could give back (counting only those with at
//! least [`MIN_GARBAGE`]), so a start that could not be made room for by
//! collections does not look for them. And the least recently used idle
//! isolates are found by one look at the whole pool that keeps the oldest
//! of them in order, oldest last ([`Victims`]): the evictions that follow
//! take them from there, skipping any used, busy or gone since, until none
//! is left and the pool is looked at again. An isolate left out was used
//! after every one of them (or was busy at the look), so the order is the
//! pool's own.
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

/// Evicting for pressure to bring the memory back under the budget (every
/// [`BUDGET_CHECK`]) goes this share of each limit below it (1/256 of
/// `max_isolates` and of `memory_budget_mb`). Making room for one new
/// isolate goes no further than it needs.
const SLACK: usize = 256;

/// One look at the pool keeps at least this many of the least recently
/// used idle isolates in order...
const VICTIMS_MIN: usize = 64;

/// ...and at least this share of the idle isolates (1/16).
const VICTIMS_SHARE: usize = 16;

/// What the pool of isolates holds together, kept up to date by their
/// [`MemoryGauge`]s.
#[derive(Debug, Default)]
pub(crate) struct PoolMemory {
    /// Bytes all isolates hold, as each last measured.
    held: AtomicUsize,
    /// Bytes their collections could give back, as far as their gauges
    /// know, counting only isolates that could give back at least
    /// [`MIN_GARBAGE`].
    collectable: AtomicUsize,
}

impl PoolMemory {
    /// Bytes all isolates hold, as each last measured.
    pub(crate) fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Bytes the isolates' collections could give back (see the field).
    fn collectable(&self) -> usize {
        self.collectable.load(Ordering::Relaxed)
    }
}

/// An idle isolate that was among the least recently used when the pool
/// was last looked at: evicted next, unless it was used since, is busy,
/// holds WebSockets or is gone.
pub(super) struct Victim {
    /// When it was last used, as it was then.
    used: u64,
    /// Its Worker.
    worker: Arc<str>,
    /// The isolate.
    isolate: Addr<IsolateActor>,
}

/// The next isolates to evict for pressure, oldest last.
#[derive(Default)]
pub(super) struct Victims(Vec<Victim>);

/// A gauge's footprint once [released](MemoryGauge::release).
const RELEASED: usize = usize::MAX;

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
    /// What it counts in the pool's `collectable` total now.
    counted: AtomicUsize,
    /// The totals of every gauge of the pool.
    pool: Arc<PoolMemory>,
    /// WebSockets the isolate holds open: it is busy while it has any.
    sockets: AtomicUsize,
}

impl MemoryGauge {
    /// A gauge at zero, counted in `pool`.
    pub(crate) fn new(pool: Arc<PoolMemory>) -> Self {
        Self {
            footprint: AtomicUsize::new(0),
            dirty: AtomicBool::new(false),
            clean: AtomicUsize::new(0),
            counted: AtomicUsize::new(0),
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

    /// Bytes the isolate holds, as it last measured (none once
    /// [released](Self::release)).
    pub(crate) fn footprint(&self) -> usize {
        match self.footprint.load(Ordering::Relaxed) {
            RELEASED => 0,
            bytes => bytes,
        }
    }

    /// Sets what the isolate holds, moving the pool's total with it; does
    /// nothing once the gauge is [released](Self::release).
    pub(crate) fn set(&self, bytes: usize) {
        let bytes = bytes.min(RELEASED - 1);
        let mut old = self.footprint.load(Ordering::Relaxed);
        loop {
            if old == RELEASED {
                return;
            }
            match self.footprint.compare_exchange_weak(
                old,
                bytes,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => old = now,
            }
        }
        move_total(&self.pool.held, old, bytes);
        self.recount();
    }

    /// Takes what the isolate holds out of the pool's total for good: its
    /// isolate is going. What the isolate measures later (a heap read or a
    /// collection it had begun before it learnt it was condemned) is not
    /// counted again, or the pool would count memory on its way out and
    /// evict another isolate for it. Returns the bytes it took out.
    pub(crate) fn release(&self) -> usize {
        let old = match self.footprint.swap(RELEASED, Ordering::Relaxed) {
            RELEASED => 0,
            bytes => bytes,
        };
        move_total(&self.pool.held, old, 0);
        self.recount();
        old
    }

    /// Counts what a collection could give back in the pool's total, if
    /// it is at least [`MIN_GARBAGE`].
    fn recount(&self) {
        let garbage = self.garbage();
        let now = if garbage >= MIN_GARBAGE { garbage } else { 0 };
        let old = self.counted.swap(now, Ordering::Relaxed);
        move_total(&self.pool.collectable, old, now);
    }

    /// Notes that JavaScript ran (`true`) or that the isolate collected
    /// garbage (`false`: what it holds now is its clean size).
    pub(crate) fn set_dirty(&self, dirty: bool) {
        self.dirty.store(dirty, Ordering::Relaxed);
        if !dirty {
            self.clean.store(self.footprint(), Ordering::Relaxed);
        }
        self.recount();
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

/// Moves a total from `old` to `new` of one of its parts.
fn move_total(total: &AtomicUsize, old: usize, new: usize) {
    if new >= old {
        total.fetch_add(new - old, Ordering::Relaxed);
    } else {
        total.fetch_sub(old - new, Ordering::Relaxed);
    }
}

impl Registry {
    /// Bytes all isolates hold together, as each last measured.
    fn memory(&self) -> usize {
        self.memory.held()
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
    /// `extra` more isolates fit within the pool's limits, lowered by
    /// `slack` of each ([`SLACK`]; `usize::MAX` for none), or no idle
    /// isolate is left. Returns whether they fit within the limits
    /// themselves.
    fn evict_lru_idle(&mut self, extra: usize, slack: usize) -> bool {
        let (mut count, mut memory) = (self.count, self.memory());
        if self.fits(extra, count, memory, usize::MAX) {
            return true;
        }
        let before = (count, memory);
        let mut evicted = 0;
        let mut looked = false;
        while !self.fits(extra, count, memory, slack) {
            let Some(victim) = self.victims.0.pop() else {
                if looked {
                    break;
                }
                // One look per call at most: what it finds is idle.
                looked = true;
                self.look_for_victims();
                continue;
            };
            let Some((gauge, name)) = self.still_victim(&victim) else {
                continue;
            };
            // Out of the total before the isolate hears it is condemned (it
            // releases its gauge itself as it stops), so that the next start
            // does not evict for the same memory again.
            memory = memory.saturating_sub(gauge.release());
            count -= 1;
            self.remove_instance(&name, &victim.isolate);
            victim.isolate.do_send(Condemn(EvictionReason::Pressure));
            evicted += 1;
        }
        if evicted > 0 {
            tracing::debug!(
                evicted,
                isolates = before.0,
                memory_mb = before.1 as f64 / (1 << 20) as f64,
                "evicted idle isolates under pressure"
            );
        }
        self.fits(extra, count, memory, usize::MAX)
    }

    /// The gauge and Worker of `victim`'s isolate if it may still be
    /// evicted: registered, started, idle, without WebSockets and not used
    /// since it was chosen.
    fn still_victim(&self, victim: &Victim) -> Option<(Arc<MemoryGauge>, Arc<str>)> {
        let (name, entry) = self.workers.get_key_value(&victim.worker)?;
        let instance = entry
            .instances
            .iter()
            .find(|i| i.started() == Some(&victim.isolate))?;
        let idle = instance.in_flight.load(Ordering::Relaxed) == 0
            && !instance.gauge.holds_sockets()
            && instance.last_used.get() == victim.used;
        idle.then(|| (instance.gauge.clone(), name.clone()))
    }

    /// Looks at every isolate of the pool once and keeps the least recently
    /// used idle ones in order, oldest last: at least [`VICTIMS_MIN`] and
    /// 1/[`VICTIMS_SHARE`] of the idle isolates.
    fn look_for_victims(&mut self) {
        // Borrowed while choosing: with thousands of isolates, copying each
        // one's handles costs more than the rest of the look.
        let mut idle: Vec<(u64, &Instance, &Arc<str>)> = self
            .active
            .iter()
            .filter_map(|name| self.workers.get_key_value(name))
            .flat_map(|(name, w)| w.instances.iter().map(move |i| (name, i)))
            .filter(|(_, i)| {
                i.in_flight.load(Ordering::Relaxed) == 0
                    && !i.gauge.holds_sockets()
                    && i.started().is_some()
            })
            .map(|(name, i)| (i.last_used.get(), i, name))
            .collect();
        let keep = (idle.len() / VICTIMS_SHARE).max(VICTIMS_MIN);
        if idle.len() > keep {
            idle.select_nth_unstable_by_key(keep, |(used, ..)| *used);
            idle.truncate(keep);
        }
        // Newest first: the oldest is popped first.
        idle.sort_unstable_by_key(|(used, ..)| std::cmp::Reverse(*used));
        let victims = idle
            .into_iter()
            .filter_map(|(used, i, name)| {
                Some(Victim {
                    used,
                    worker: name.clone(),
                    isolate: i.started()?.clone(),
                })
            })
            .collect();
        self.victims = Victims(victims);
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
            // Not worth a look at every isolate when all of them together
            // could not give back enough.
            if self.memory.collectable() < excess {
                if !self.evict_lru_idle(1, usize::MAX) {
                    self.all_busy();
                }
                return;
            }
            let collect = self.most_garbage(excess);
            if collect.iter().map(|(garbage, _)| garbage).sum::<usize>() >= excess {
                for (_, addr) in collect {
                    addr.do_send(CollectNow);
                }
                return;
            }
        }
        if !self.evict_lru_idle(1, usize::MAX) {
            self.all_busy();
        }
    }

    /// Warns that every isolate is busy at the server's limit.
    fn all_busy(&self) {
        tracing::warn!(
            isolates = self.count,
            memory_mb = self.memory() >> 20,
            "every isolate is busy at the server's limit; starting one more"
        );
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
            if !act.evict_lru_idle(0, SLACK) {
                tracing::warn!(
                    budget_mb = budget >> 20,
                    "the isolates' memory is over the budget and every isolate is busy"
                );
            }
        }));
    }
}
