//! The isolate's memory limit, enforced by its allocator.
//!
//! QuickJS reports running out of memory as an ordinary `InternalError` that
//! JavaScript can catch (and that a promise chain turns into a rejection), so
//! what escapes a call cannot tell the isolate that the limit was hit. Every
//! allocation of the runtime therefore goes through [`LimitedAllocator`],
//! which counts the bytes in use, refuses those past the limit and raises the
//! `exhausted` flag of the shared [`MemoryState`]. The isolate checks the flag
//! after every call into JavaScript, and its interrupt handler stops running
//! JavaScript as soon as the flag is up.
//!
//! QuickJS collects garbage when its heap grows by half since the last
//! collection, a mark that may lie past the limit: a Worker whose live data
//! is above two thirds of the limit would then fail although most of what it
//! allocates is garbage. Once the heap is past half the limit, the allocator
//! keeps that mark no higher than halfway between the heap's size and the
//! limit, so collections come more often as the heap nears the limit, as
//! other engines do.
//!
//! While a termination is asked for and not yet delivered (the isolate's
//! [`TerminateFlag`] is up), the allocator refuses every allocation, without
//! counting it as running out of memory: a built-in that allocates as it
//! goes (growing an array, a string, a parse) fails at its next allocation
//! instead of running to its end before QuickJS next polls for interrupts.
//!
//! Below half the limit, no collection starts while a call into
//! JavaScript runs once the isolate serves events: the mark is held at half
//! the limit (or higher) from each call's start, and a collection the call
//! put off (the heap grew past the mark QuickJS keeps) is made at the next
//! call's start, before any JavaScript runs ([`MemoryState::begin_call`]).
//! A collection walks every object of the heap and cannot be interrupted:
//! an allocation loop holding a few hundred thousand objects made QuickJS
//! collect for 7-9 ms, and a termination that came meanwhile waited for it
//! (the limits bench's `alloc` shape, stopped 9 ms after its termination
//! at p99). Reference counting frees all but cyclic garbage at once, so a
//! call's heap seldom holds more than its live data; past half the limit,
//! collections come within the call as before, as the limit needs them.
//!
//! Below half the limit, once the isolate serves events, the mark is kept at
//! least [`MIN_GROWTH`] above the heap. Reference counting frees most
//! garbage at once; a collection is only needed for cycles, yet it walks
//! the whole heap (the prelude's functions and shapes included). With the
//! mark at half the heap again above a heap of a few hundred KiB, a Worker
//! whose requests hold a few 64 KiB bodies at once would run a full
//! collection every request or two. Start-up keeps QuickJS's own marks, so
//! that an idle isolate holds no more garbage than before.

use std::cell::Cell;
use std::rc::Rc;

use std::sync::Arc;

use rquickjs::allocator::Allocator;
use rquickjs::qjs;

use crate::interrupt::TerminateFlag;

/// What QuickJS's own accounting adds per allocation (its `MALLOC_OVERHEAD`);
/// counting it too keeps `used` equal to the runtime's own figure, against
/// which its collection mark is set.
const OVERHEAD: usize = 8;

/// How far above the heap the collection mark stays at least, once the
/// isolate serves events (see the module docs).
pub(crate) const MIN_GROWTH: usize = 2 << 20;

/// The memory figures an isolate shares with its allocator.
pub(crate) struct MemoryState {
    /// Bytes in use.
    used: Cell<usize>,
    /// The limit in bytes (`usize::MAX`: none).
    limit: usize,
    /// Set once an allocation was refused for the limit; never cleared.
    exhausted: Cell<bool>,
    /// While it is up, every allocation is refused.
    terminate: Arc<TerminateFlag>,
    /// The runtime, once it exists, to adjust its collection mark.
    runtime: Cell<*mut qjs::JSRuntime>,
    /// Whether the mark is kept [`MIN_GROWTH`] above the heap.
    serving: Cell<bool>,
    /// The collection mark as last raised (or seen) by `collect_later`.
    raised: Cell<qjs::size_t>,
    /// The mark QuickJS keeps between calls (see `begin_call`).
    own_mark: Cell<qjs::size_t>,
    /// The mark set for the running call (see `begin_call`).
    call_mark: Cell<qjs::size_t>,
}

impl MemoryState {
    /// State for a heap of at most `limit` bytes (`None`: no limit) that
    /// takes nothing while `terminate` is up.
    pub(crate) fn new(limit: Option<usize>, terminate: Arc<TerminateFlag>) -> Rc<Self> {
        Rc::new(Self {
            used: Cell::new(0),
            limit: limit.unwrap_or(usize::MAX),
            exhausted: Cell::new(false),
            terminate,
            runtime: Cell::new(std::ptr::null_mut()),
            serving: Cell::new(false),
            raised: Cell::new(0),
            own_mark: Cell::new(0),
            call_mark: Cell::new(0),
        })
    }

    /// Bytes in use.
    pub(crate) fn used(&self) -> usize {
        self.used.get()
    }

    /// Whether an allocation was refused: the isolate is out of memory.
    pub(crate) fn exhausted(&self) -> bool {
        self.exhausted.get()
    }

    /// Lets the allocator adjust the collection mark of `runtime`.
    ///
    /// # Safety
    /// `runtime` must be the runtime this state's allocator serves, and the
    /// allocator must not be used once it is freed.
    pub(crate) unsafe fn attach(&self, runtime: *mut qjs::JSRuntime) {
        self.runtime.set(runtime);
    }

    /// Keeps the collection mark at least [`MIN_GROWTH`] above the heap
    /// from now on: the isolate serves events.
    pub(crate) fn serving(&self) {
        self.serving.set(true);
    }

    /// Prepares the collection mark for a call into JavaScript, once the
    /// isolate serves events: makes the collection the last call put off
    /// (the heap is past the mark QuickJS keeps), then holds the mark at
    /// half the limit at least for this call (see the module docs).
    pub(crate) fn begin_call(&self) {
        let runtime = self.runtime.get();
        if runtime.is_null() || !self.serving.get() {
            return;
        }
        // SAFETY: as in `collect_sooner`; no JavaScript runs now, so a
        // collection may run.
        unsafe {
            let now = qjs::JS_GetGCThreshold(runtime);
            // A mark changed during the last call (by a collection past
            // half the limit, or by the allocator) is the one kept.
            let mut own = if now == self.call_mark.get() {
                self.own_mark.get()
            } else {
                now
            };
            if self.used.get() > own as usize {
                qjs::JS_RunGC(runtime);
                // Half the heap again above it, as QuickJS sets it.
                let used = self.used.get();
                own = (used + used / 2).max(used.saturating_add(MIN_GROWTH)) as qjs::size_t;
            }
            self.own_mark.set(own);
            let held = if self.limit == usize::MAX {
                own
            } else {
                own.max((self.limit / 2) as qjs::size_t)
            };
            qjs::JS_SetGCThreshold(runtime, held);
            self.call_mark.set(held);
        }
    }

    /// Whether `wanted` more bytes (with `freed` given back) fit the limit
    /// (raising the flag if not), and no termination is under way.
    fn admit(&self, freed: usize, wanted: usize) -> bool {
        if self.terminate.is_raised() {
            return false;
        }
        let after = (self.used.get() - freed).saturating_add(wanted.saturating_add(OVERHEAD));
        if after > self.limit {
            self.exhausted.set(true);
            return false;
        }
        if after > self.limit / 2 {
            self.collect_sooner(after);
        } else if self.serving.get() {
            self.collect_later(after);
        }
        true
    }

    /// Keeps the runtime's collection mark halfway between `used` and the
    /// limit.
    fn collect_sooner(&self, used: usize) {
        let runtime = self.runtime.get();
        if runtime.is_null() {
            return;
        }
        let mark = (used + (self.limit - used) / 2) as qjs::size_t;
        // SAFETY: `attach` guarantees the runtime is alive while its
        // allocator runs; reading and writing the mark allocates nothing.
        unsafe {
            if qjs::JS_GetGCThreshold(runtime) > mark {
                qjs::JS_SetGCThreshold(runtime, mark);
            }
        }
    }

    /// Raises the runtime's collection mark to [`MIN_GROWTH`] above `used`
    /// when QuickJS set it anew (it sets it to half the heap again above
    /// the heap after each collection); a mark this raised stays, so the
    /// heap does reach it.
    fn collect_later(&self, used: usize) {
        let runtime = self.runtime.get();
        if runtime.is_null() {
            return;
        }
        // SAFETY: as in `collect_sooner`.
        unsafe {
            let mark = qjs::JS_GetGCThreshold(runtime);
            if mark == self.raised.get() {
                return;
            }
            let floor = used.saturating_add(MIN_GROWTH) as qjs::size_t;
            if mark < floor {
                qjs::JS_SetGCThreshold(runtime, floor);
                self.raised.set(floor);
            } else {
                self.raised.set(mark);
            }
        }
    }

    /// Whether `n` more bytes would fit the limit now.
    pub(crate) fn fits(&self, n: usize) -> bool {
        self.used.get().saturating_add(n.saturating_add(OVERHEAD)) <= self.limit
    }

    /// Counts `n` bytes of memory that did not come from the allocator
    /// (a host buffer an `ArrayBuffer` adopts) as in use, if they fit the
    /// limit (raising the flag if not) and no termination is under way.
    pub(crate) fn adopt(&self, n: usize) -> bool {
        if !self.admit(0, n) {
            return false;
        }
        self.account(0, n);
        true
    }

    /// Stops counting `n` bytes counted by [`MemoryState::adopt`].
    pub(crate) fn release(&self, n: usize) {
        self.account(n, 0);
    }

    fn account(&self, freed: usize, taken: usize) {
        self.used.set(self.used.get() - freed + taken);
    }
}

/// Counts bytes and refuses allocations past the limit.
pub(crate) struct LimitedAllocator {
    state: Rc<MemoryState>,
}

impl LimitedAllocator {
    /// An allocator that keeps its figures in `state`.
    pub(crate) fn new(state: Rc<MemoryState>) -> Self {
        Self { state }
    }
}

// SAFETY: every method forwards to the system allocator and only adds
// counting; a refused allocation returns null, which QuickJS handles as out
// of memory.
unsafe impl Allocator for LimitedAllocator {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        if !self.state.admit(0, size) {
            return std::ptr::null_mut();
        }
        let p = system::alloc(size);
        if !p.is_null() {
            // SAFETY: `p` was just allocated by the system allocator.
            self.state
                .account(0, unsafe { system::usable_size(p) } + OVERHEAD);
        }
        p
    }

    fn calloc(&mut self, count: usize, size: usize) -> *mut u8 {
        let Some(total) = count.checked_mul(size) else {
            return std::ptr::null_mut();
        };
        if !self.state.admit(0, total) {
            return std::ptr::null_mut();
        }
        let p = system::calloc(total);
        if !p.is_null() {
            // SAFETY: `p` was just allocated by the system allocator.
            self.state
                .account(0, unsafe { system::usable_size(p) } + OVERHEAD);
        }
        p
    }

    unsafe fn dealloc(&mut self, ptr: *mut u8) {
        if ptr.is_null() {
            return;
        }
        // SAFETY: QuickJS only frees what this allocator gave it.
        unsafe {
            self.state.account(system::usable_size(ptr) + OVERHEAD, 0);
            system::free(ptr);
        }
    }

    unsafe fn realloc(&mut self, ptr: *mut u8, new_size: usize) -> *mut u8 {
        if ptr.is_null() {
            return self.alloc(new_size);
        }
        if new_size == 0 {
            // SAFETY: `ptr` came from this allocator.
            unsafe { self.dealloc(ptr) };
            return std::ptr::null_mut();
        }
        // SAFETY: `ptr` came from this allocator.
        let old = unsafe { system::usable_size(ptr) };
        if new_size > old && !self.state.admit(old + OVERHEAD, new_size) {
            return std::ptr::null_mut();
        }
        // SAFETY: `ptr` came from this allocator and is neither null nor
        // resized to zero.
        let p = unsafe { system::realloc(ptr, new_size) };
        if !p.is_null() {
            // SAFETY: `p` was just reallocated by the system allocator.
            self.state.account(old, unsafe { system::usable_size(p) });
        }
        p
    }

    unsafe fn usable_size(ptr: *mut u8) -> usize {
        // SAFETY: forwarded as received.
        unsafe { system::usable_size(ptr) }
    }
}

/// The C allocator where it reports usable sizes, as QuickJS's own
/// allocator uses it: no header of our own on each allocation.
#[cfg(any(target_os = "linux", target_os = "android"))]
mod system {
    pub(super) fn alloc(size: usize) -> *mut u8 {
        // SAFETY: plain C allocation.
        unsafe { libc::malloc(size.max(1)).cast() }
    }

    pub(super) fn calloc(size: usize) -> *mut u8 {
        // SAFETY: plain C allocation.
        unsafe { libc::calloc(1, size.max(1)).cast() }
    }

    /// # Safety
    /// `ptr` must come from this module and not be freed.
    pub(super) unsafe fn free(ptr: *mut u8) {
        // SAFETY: see above.
        unsafe { libc::free(ptr.cast()) }
    }

    /// # Safety
    /// `ptr` must come from this module and not be freed.
    pub(super) unsafe fn realloc(ptr: *mut u8, size: usize) -> *mut u8 {
        // SAFETY: see above.
        unsafe { libc::realloc(ptr.cast(), size).cast() }
    }

    /// # Safety
    /// `ptr` must come from this module and not be freed.
    pub(super) unsafe fn usable_size(ptr: *mut u8) -> usize {
        // SAFETY: see above.
        unsafe { libc::malloc_usable_size(ptr.cast()) }
    }
}

/// Elsewhere, Rust's global allocator with a size header.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod system {
    use rquickjs::allocator::{Allocator, RustAllocator};

    pub(super) fn alloc(size: usize) -> *mut u8 {
        RustAllocator.alloc(size.max(1))
    }

    pub(super) fn calloc(size: usize) -> *mut u8 {
        RustAllocator.calloc(1, size.max(1))
    }

    /// # Safety
    /// `ptr` must come from this module and not be freed.
    pub(super) unsafe fn free(ptr: *mut u8) {
        // SAFETY: see above.
        unsafe { RustAllocator.dealloc(ptr) }
    }

    /// # Safety
    /// `ptr` must come from this module and not be freed.
    pub(super) unsafe fn realloc(ptr: *mut u8, size: usize) -> *mut u8 {
        // SAFETY: see above.
        unsafe { RustAllocator.realloc(ptr, size) }
    }

    /// # Safety
    /// `ptr` must come from this module and not be freed.
    pub(super) unsafe fn usable_size(ptr: *mut u8) -> usize {
        // SAFETY: see above.
        unsafe { RustAllocator::usable_size(ptr) }
    }
}
