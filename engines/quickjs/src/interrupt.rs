//! Stopping JavaScript from another thread.
//!
//! QuickJS calls the runtime's interrupt handler every few thousand
//! instructions (backward jumps and calls) while JavaScript runs, and, with
//! the vendored QuickJS's patch, as it goes through long built-ins (`fill`,
//! `join`, `sort`'s comparisons, `JSON.parse`'s values, `repeat`). The
//! handler here stops execution when the isolate's `InterruptHandle` raised
//! its atomic flag (clearing it, so the isolate stays usable) or when the
//! isolate ran out of memory. QuickJS then throws an uncatchable error,
//! which unwinds to the host.
//!
//! Between the flag going up and the handler's next call, three more things
//! make the JavaScript stop at once instead of finishing what it is in:
//!
//! - the counting allocator refuses every allocation (see `memory`), so a
//!   built-in that allocates as it goes fails at its next allocation (the
//!   vendored QuickJS asks this handler before throwing an out-of-memory
//!   error, and throws the uncatchable interrupt instead);
//! - an op called from JavaScript stops it there, before it reaches the
//!   host (see `ops`);
//! - host code that runs long (a synchronous op on a large input) can ask
//!   [`Interrupt::is_terminating`] and give up early; `utf8_encode` of a
//!   long string looks at the flag between slices (see `encode`).
//!
//! The isolate then reports the call as terminated, whatever error the
//! refusal made on the way (see `QuickJsIsolate::classify`).
//!
//! Once the interrupt is thrown, the vendored QuickJS puts off freeing the
//! objects the stopped code let go of as its frames unwind (an allocation
//! loop's million objects), so stopping costs the event next to nothing;
//! they are freed before the isolate next runs JavaScript, or with the
//! runtime when an evicted isolate is dropped (see
//! `vendor/rquickjs-sys/MOTU.md`).

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use motu_engine::Interrupt;

use crate::memory::MemoryState;

/// The flag an `InterruptHandle` raises. Only the handle and the isolate
/// hold it, so it outlives the isolate safely.
#[derive(Default)]
pub(crate) struct TerminateFlag(AtomicBool);

impl TerminateFlag {
    /// Whether a termination was asked for and not yet delivered. A plain
    /// load: cheap enough for every allocation.
    pub(crate) fn is_raised(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Takes a raised flag down; whether it was up.
    pub(crate) fn take(&self) -> bool {
        // A cheap load first: the flag is almost never up.
        self.is_raised() && self.0.swap(false, Ordering::SeqCst)
    }
}

impl Interrupt for TerminateFlag {
    fn terminate(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn is_terminating(&self) -> bool {
        self.is_raised()
    }
}

/// The handler for `Runtime::set_interrupt_handler`: stops on a raised flag
/// (and notes that in `hit`) or once memory is exhausted.
pub(crate) fn handler(
    flag: Arc<TerminateFlag>,
    hit: Rc<Cell<bool>>,
    memory: Rc<MemoryState>,
) -> Box<dyn FnMut() -> bool> {
    Box::new(move || {
        if memory.exhausted() {
            return true;
        }
        if flag.take() {
            hit.set(true);
            return true;
        }
        false
    })
}
