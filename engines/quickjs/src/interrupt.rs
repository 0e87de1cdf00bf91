//! Stopping JavaScript from another thread.
//!
//! QuickJS calls the runtime's interrupt handler every few thousand
//! instructions while JavaScript runs. The handler here stops execution when
//! the isolate's `InterruptHandle` raised its atomic flag (clearing it, so
//! the isolate stays usable) or when the isolate ran out of memory. QuickJS
//! then throws an uncatchable error, which unwinds to the host.

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

impl Interrupt for TerminateFlag {
    fn terminate(&self) {
        self.0.store(true, Ordering::SeqCst);
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
        // A cheap load first: the flag is almost never up.
        if flag.0.load(Ordering::Relaxed) && flag.0.swap(false, Ordering::SeqCst) {
            hit.set(true);
            return true;
        }
        false
    })
}
