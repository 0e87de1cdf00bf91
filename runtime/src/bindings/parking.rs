//! Bodies that storage work leaves for JavaScript to read.
//!
//! Work runs on a pool thread and can only return a `HostValue`; a value
//! too large to hand over whole (a KV value read as a stream, an R2
//! object's body) is parked here as a [`Body`] under a token, and the work
//! returns the token. The prelude then calls `storage_body(token)`, which
//! takes the body out and opens it as a host readable of the running event
//! (read chunk by chunk, see `crate::streams`). A parked body nobody takes
//! (its promise settled after its isolate went away) goes with the
//! isolate's `Parking`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::Body;

/// One isolate's parked bodies; clones share them.
#[derive(Clone, Default)]
pub(crate) struct Parking(Arc<Inner>);

#[derive(Default)]
struct Inner {
    next: AtomicU64,
    bodies: Mutex<HashMap<u64, Body>>,
}

impl Parking {
    /// Parks `body`: its token.
    pub(crate) fn park(&self, body: Body) -> u64 {
        let token = self.0.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.0.bodies.lock().insert(token, body);
        token
    }

    /// Takes the body parked under `token`.
    pub(crate) fn take(&self, token: u64) -> Option<Body> {
        self.0.bodies.lock().remove(&token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_taken_once() {
        let parking = Parking::default();
        let a = parking.park(Body::from_chunks(vec![bytes::Bytes::from_static(b"a")]));
        let b = parking.clone().park(Body::empty());
        assert_ne!(a, b);
        assert!(parking.take(a).is_some());
        assert!(parking.take(a).is_none());
        assert!(parking.take(b).is_some());
    }
}
