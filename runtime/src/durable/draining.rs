//! Calls from an isolate that is going away to the objects it hosts.
//!
//! An isolate that takes no new events (condemned: its Worker was
//! reloaded, or it broke a limit while other events were in flight)
//! finishes the events it has, then goes; only once it is gone may its
//! objects be made again elsewhere (`directory.rs`). An event of it that
//! is still running may call an object hosted in that same isolate: were
//! that call refused like any new event, it would wait for the isolate to
//! be gone, and the isolate for the event — each for the other, until the
//! event's limits ended it.
//!
//! So a call of an object carries [`FromDraining`], the calling isolate's
//! own flag, and an isolate that is itself condemned (not yet evicted)
//! takes a call whose caller is condemned too, for an object it hosts: the
//! object stays where it is, one instance, running the code its isolate
//! has. Such calls come only from events already in flight, so the
//! isolate still drains.
//!
//! The flag is read when the call is delivered, not when it is sent: a
//! call an event makes just before its isolate is condemned may reach the
//! object's isolate — that same one — only after. Read at sending, it
//! would be refused there and wait, through the directory, for its own
//! isolate to be gone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Whether the isolate an event for a Durable Object comes from is
/// condemned (a request extension of a stub's fetch;
/// [`crate::rpc::CallEvent::from_draining`] for an RPC call): the calling
/// isolate's flag itself, shared, so it tells the state at delivery.
#[derive(Debug, Clone, Default)]
pub(crate) struct FromDraining(Arc<AtomicBool>);

impl FromDraining {
    /// Marks the isolate owning this flag as condemned, for good.
    pub(crate) fn set(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether the calling isolate is condemned now.
    pub(crate) fn now(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Whether an isolate takes a new event: when it is not condemned, or,
/// when it is (and not yet evicted), if the event is one of an object's
/// made by an event of a condemned isolate (`nested`).
pub(crate) fn takes(condemned: bool, evicted: bool, nested: bool) -> bool {
    !condemned || (nested && !evicted)
}

#[cfg(test)]
mod tests {
    use super::{takes, FromDraining};

    #[test]
    fn a_call_sent_before_its_isolate_is_condemned_says_so_when_delivered() {
        let isolate = FromDraining::default();
        let sent = isolate.clone();
        assert!(!sent.now());
        isolate.set();
        assert!(sent.now());
    }

    #[test]
    fn a_condemned_isolate_takes_only_nested_object_events() {
        assert!(takes(false, false, false));
        assert!(takes(false, false, true));
        assert!(!takes(true, false, false));
        assert!(takes(true, false, true));
        assert!(!takes(true, true, true));
    }
}
