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
//! So a call of an object made by an event of a condemned isolate carries
//! [`FromDraining`], and an isolate that is itself condemned (not yet
//! evicted) takes such a call for an object it hosts: the object stays
//! where it is, one instance, running the code its isolate has. Such calls
//! come only from events already in flight, so the isolate still drains.

/// Marks an event for a Durable Object (a request extension of a stub's
/// fetch; [`crate::rpc::CallEvent::from_draining`] for an RPC call) as made
/// by an event of a condemned isolate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FromDraining;

/// Whether an isolate takes a new event: when it is not condemned, or,
/// when it is (and not yet evicted), if the event is one of an object's
/// made by an event of a condemned isolate (`nested`).
pub(crate) fn takes(condemned: bool, evicted: bool, nested: bool) -> bool {
    !condemned || (nested && !evicted)
}

#[cfg(test)]
mod tests {
    use super::takes;

    #[test]
    fn a_condemned_isolate_takes_only_nested_object_events() {
        assert!(takes(false, false, false));
        assert!(takes(false, false, true));
        assert!(!takes(true, false, false));
        assert!(takes(true, false, true));
        assert!(!takes(true, true, true));
    }
}
