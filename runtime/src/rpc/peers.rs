//! One isolate's side of RPC stubs: the peers it holds stubs of (each an
//! [`Origin`] registered under a handle, for the event that received it,
//! or for as long as a duplicate made with `stub.dup()` is not disposed
//! of), and where its RPC events' answers go.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use tokio::sync::oneshot;

use super::{Answer, Hold, Origin, Release, Retain};

/// A peer: what a received value's stubs call into.
struct Peer {
    origin: Origin,
    /// The event whose end releases it; `None` for a duplicate's, which
    /// only its release ends.
    event: Option<u64>,
    /// What it holds in the exporting isolate.
    hold: Hold,
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
    fn insert(&self, peer: Peer) -> u32 {
        let handle = self.next.get().wrapping_add(1);
        self.next.set(handle);
        self.peers.borrow_mut().insert(handle, peer);
        handle
    }

    /// Registers `origin` for `event`: the handle its stubs use.
    pub(crate) fn register(&self, origin: Origin, event: u64) -> u32 {
        let hold = Hold::Grant(origin.grant);
        self.insert(Peer {
            origin,
            event: Some(event),
            hold,
        })
    }

    /// A duplicate of a stub of `handle`'s export `export` (`stub.dup()`):
    /// a peer of its own, which holds the export in the exporting isolate
    /// (told at once, see [`Retain`]) until it is released, whether or not
    /// the event that received the original is over. `None` when `handle`
    /// is no longer valid or its isolate has gone.
    pub(crate) fn duplicate(&self, handle: u32, export: u64) -> Option<u32> {
        let origin = self.origin(handle)?;
        origin.isolate.upgrade()?.do_send(Retain { export });
        Some(self.insert(Peer {
            origin,
            event: None,
            hold: Hold::Export(export),
        }))
    }

    /// The origin `handle` stands for, while it is valid.
    pub(crate) fn origin(&self, handle: u32) -> Option<Origin> {
        self.peers.borrow().get(&handle).map(|p| p.origin.clone())
    }

    /// The isolate no longer uses the stubs of `handle`: what they hold is
    /// released in the isolate that exported them.
    pub(crate) fn release(&self, handle: u32) {
        let peer = self.peers.borrow_mut().remove(&handle);
        if let Some(peer) = peer {
            release(peer);
        }
    }

    /// Releases the peers of events that are over.
    pub(crate) fn forget(&self, live: impl Fn(u64) -> bool) {
        let mut gone = Vec::new();
        {
            let mut peers = self.peers.borrow_mut();
            let ended: Vec<u32> = peers
                .iter()
                .filter(|(_, p)| p.event.is_some_and(|e| !live(e)))
                .map(|(h, _)| *h)
                .collect();
            for handle in ended {
                gone.extend(peers.remove(&handle));
            }
        }
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

impl Drop for Peers {
    /// The isolate has gone: what its stubs held elsewhere is released.
    fn drop(&mut self) {
        self.peers.get_mut().drain().for_each(|(_, p)| release(p));
    }
}

fn release(peer: Peer) {
    if let Some(addr) = peer.origin.isolate.upgrade() {
        addr.do_send(Release { hold: peer.hold });
    }
}
