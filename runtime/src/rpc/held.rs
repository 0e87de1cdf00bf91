//! Whether another isolate may still call into this one: stubs of what this
//! isolate exported that peers hold.
//!
//! An event that awaits only a callback it passed to another Worker (a
//! function or an `RpcTarget` the callee kept with `stub.dup()`, to call
//! later) has no op pending while it waits, yet it is not hung: the callee
//! may still call in and settle it. Every [`Origin`](super::Origin) a host
//! sends out carries one [`ExportHold`]; it lives as long as some peer
//! (the receiving isolate's handle, or a duplicate of it) or a call in
//! transit holds the origin, and the exporting isolate counts the holds
//! still alive ([`HeldExports`]). The count only ever errs towards
//! "held" while a release is on its way; the release itself is a turn of
//! the exporting isolate, after which the hang check runs again.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// How many of an isolate's exported grants other isolates still hold.
#[derive(Debug, Default, Clone)]
pub(crate) struct HeldExports(Arc<AtomicUsize>);

impl HeldExports {
    /// A new hold on one grant sent out; it counts until dropped.
    pub(crate) fn hold(&self) -> Arc<ExportHold> {
        self.0.fetch_add(1, Ordering::AcqRel);
        Arc::new(ExportHold(self.0.clone()))
    }

    /// Whether any hold is alive.
    pub(crate) fn any(&self) -> bool {
        self.0.load(Ordering::Acquire) > 0
    }
}

/// One grant held outside the isolate that exported it (see the module
/// docs); shared by every clone of its origin.
#[derive(Debug)]
pub(crate) struct ExportHold(Arc<AtomicUsize>);

impl Drop for ExportHold {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_counts_while_any_clone_of_it_lives() {
        let held = HeldExports::default();
        assert!(!held.any());
        let first = held.hold();
        let second = held.hold();
        let clone = first.clone();
        drop(first);
        assert!(held.any());
        drop(second);
        assert!(held.any(), "a clone still holds the first grant");
        drop(clone);
        assert!(!held.any());
    }
}
