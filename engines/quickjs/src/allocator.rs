//! The isolate's memory limit, enforced by its allocator.
//!
//! QuickJS's out-of-memory error is an ordinary exception that JavaScript can
//! catch and that a promise chain turns into a rejection, so the isolate
//! cannot learn of it from what escapes. Instead every allocation goes
//! through [`LimitedAllocator`], which counts the bytes in use, refuses those
//! past the limit and raises a flag. The isolate checks the flag after every
//! call into JavaScript, and the interrupt handler stops execution as soon as
//! it is up.

use std::cell::Cell;
use std::rc::Rc;

use rquickjs::allocator::{Allocator, RustAllocator};

/// Counts bytes and refuses allocations past a limit.
pub(crate) struct LimitedAllocator {
    inner: RustAllocator,
    used: Rc<Cell<usize>>,
    limit: usize,
    exhausted: Rc<Cell<bool>>,
}

impl LimitedAllocator {
    /// An allocator with `limit` bytes (`usize::MAX`: no limit); `used` and
    /// `exhausted` are shared with the isolate.
    pub(crate) fn new(limit: usize, used: Rc<Cell<usize>>, exhausted: Rc<Cell<bool>>) -> Self {
        Self {
            inner: RustAllocator,
            used,
            limit,
            exhausted,
        }
    }

    fn admit(&self, freed: usize, wanted: usize) -> bool {
        let after = (self.used.get() - freed).saturating_add(wanted);
        if after > self.limit {
            self.exhausted.set(true);
            false
        } else {
            true
        }
    }

    fn account(&self, freed: usize, taken: usize) {
        self.used.set(self.used.get() - freed + taken);
    }
}

// SAFETY: every method forwards to `RustAllocator` and only adds counting;
// a refused allocation returns null, which QuickJS handles as out of memory.
unsafe impl Allocator for LimitedAllocator {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        if !self.admit(0, size) {
            return std::ptr::null_mut();
        }
        let p = self.inner.alloc(size);
        if !p.is_null() {
            // SAFETY: `p` was just allocated by the inner allocator.
            self.account(0, unsafe { RustAllocator::usable_size(p) });
        }
        p
    }

    fn calloc(&mut self, count: usize, size: usize) -> *mut u8 {
        if !self.admit(0, count.saturating_mul(size)) {
            return std::ptr::null_mut();
        }
        let p = self.inner.calloc(count, size);
        if !p.is_null() {
            // SAFETY: `p` was just allocated by the inner allocator.
            self.account(0, unsafe { RustAllocator::usable_size(p) });
        }
        p
    }

    unsafe fn dealloc(&mut self, ptr: *mut u8) {
        if !ptr.is_null() {
            // SAFETY: QuickJS only frees what this allocator gave it.
            self.account(unsafe { RustAllocator::usable_size(ptr) }, 0);
            unsafe { self.inner.dealloc(ptr) };
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
        let old = unsafe { RustAllocator::usable_size(ptr) };
        if new_size > old && !self.admit(old, new_size) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded as received (neither null nor zero-sized).
        let p = unsafe { self.inner.realloc(ptr, new_size) };
        if !p.is_null() {
            // SAFETY: `p` was just reallocated by the inner allocator.
            self.account(old, unsafe { RustAllocator::usable_size(p) });
        }
        p
    }

    unsafe fn usable_size(ptr: *mut u8) -> usize {
        // SAFETY: forwarded as received.
        unsafe { RustAllocator::usable_size(ptr) }
    }
}
