//! One isolate's side of RPC stubs: the peers it holds stubs of (each an
//! [`Origin`] registered under a handle, for the event that received it),
//! and where its RPC events' answers go.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use tokio::sync::oneshot;

use super::{Answer, Origin, Release};

/// A peer: what a received value's stubs call into, for as long as the
/// event that received it lasts.
struct Peer {
    origin: Origin,
    event: u64,
}

/// The RPC state of one isolate's host.
#[derive(Default)]
pub(crate) struct Peers {
    next: Cell<u32>,
    peers: RefCell<HashMap<u32, Peer>>,
    /// RPC events waiting for their answer.
    answers: RefCell<HashMap<u64, oneshot::Sender<Answer>>>,
}

impl Peers {
    /// Registers `origin` for `event`: the handle its stubs use.
    pub(crate) fn register(&self, origin: Origin, event: u64) -> u32 {
        let handle = self.next.get().wrapping_add(1);
        self.next.set(handle);
        self.peers
            .borrow_mut()
            .insert(handle, Peer { origin, event });
        handle
    }

    /// The origin `handle` stands for, while its event lasts.
    pub(crate) fn origin(&self, handle: u32) -> Option<Origin> {
        self.peers.borrow().get(&handle).map(|p| p.origin.clone())
    }

    /// The isolate no longer uses the stubs of `handle`: their grant is
    /// released in the isolate that exported them.
    pub(crate) fn release(&self, handle: u32) {
        if let Some(peer) = self.peers.borrow_mut().remove(&handle) {
            release(peer.origin);
        }
    }

    /// Releases the peers of events that are over.
    pub(crate) fn forget(&self, live: impl Fn(u64) -> bool) {
        let mut gone = Vec::new();
        self.peers.borrow_mut().retain(|_, p| {
            let keep = live(p.event);
            if !keep {
                gone.push(p.origin.clone());
            }
            keep
        });
        gone.into_iter().for_each(release);
        self.answers.borrow_mut().retain(|id, _| live(*id));
    }

    /// RPC event `id`'s answer goes to `reply`.
    pub(crate) fn expect_answer(&self, id: u64, reply: oneshot::Sender<Answer>) {
        self.answers.borrow_mut().insert(id, reply);
    }

    /// Event `id` answered; false when it was not an RPC event waiting.
    pub(crate) fn answer(&self, id: u64, answer: Answer) -> bool {
        match self.answers.borrow_mut().remove(&id) {
            Some(reply) => {
                let _ = reply.send(answer);
                true
            }
            None => false,
        }
    }
}

fn release(origin: Origin) {
    if let Some(addr) = origin.isolate.upgrade() {
        addr.do_send(Release {
            grant: origin.grant,
        });
    }
}
