//! Deleting expired keys in the background.
//!
//! Reads never show an expired key, so purging is only about disk space: a
//! [`Janitor`] thread wakes every so often and deletes the expired keys of
//! every namespace it watches, a batch at a time (each batch one short
//! write transaction, so the namespace's writers are never held up long).
//! It holds its namespaces weakly: a namespace nobody uses any more is not
//! kept open for it. [`Janitor::global`] is the process's, started on first
//! use, waking every [`PURGE_INTERVAL`].

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::{now_ms, KvStore};

/// How often the process's janitor purges.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// Keys deleted per transaction.
const BATCH: usize = 1000;

/// A background thread that purges expired keys (see the module docs).
pub struct Janitor {
    watched: Mutex<Vec<Weak<KvStore>>>,
    wake: Condvar,
}

impl Janitor {
    /// Starts a janitor thread that purges every `interval`.
    pub fn start(interval: Duration) -> Arc<Janitor> {
        let janitor = Arc::new(Janitor {
            watched: Mutex::new(Vec::new()),
            wake: Condvar::new(),
        });
        let weak = Arc::downgrade(&janitor);
        std::thread::Builder::new()
            .name("motu-kv-janitor".into())
            .spawn(move || run(weak, interval))
            .expect("the KV janitor thread starts");
        janitor
    }

    /// The process's janitor.
    pub fn global() -> &'static Arc<Janitor> {
        static GLOBAL: OnceLock<Arc<Janitor>> = OnceLock::new();
        GLOBAL.get_or_init(|| Janitor::start(PURGE_INTERVAL))
    }

    /// Purges `store` from now on.
    pub fn watch(&self, store: &Arc<KvStore>) {
        let mut watched = self.watched.lock();
        watched.retain(|w| w.strong_count() > 0);
        watched.push(Arc::downgrade(store));
    }

    /// Deletes the expired keys of every watched namespace now.
    pub fn purge_now(&self) {
        let stores: Vec<Arc<KvStore>> = self
            .watched
            .lock()
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        for store in stores {
            loop {
                match store.purge_expired(now_ms(), BATCH) {
                    Ok(n) if n == BATCH => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!("purging expired keys of {}: {e}", store.path().display());
                        break;
                    }
                }
            }
        }
    }
}

fn run(janitor: Weak<Janitor>, interval: Duration) {
    loop {
        let Some(j) = janitor.upgrade() else { return };
        {
            let mut watched = j.watched.lock();
            j.wake.wait_for(&mut watched, interval);
        }
        j.purge_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn the_janitor_purges_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(KvStore::open(&dir.path().join("ns.sqlite")).unwrap());
        let past = now_ms() / 1000 - 5;
        for i in 0..1100 {
            store.put(&format!("k{i}"), b"v", Some(past), None).unwrap();
        }
        store.put("kept", b"v", None, None).unwrap();
        let janitor = Janitor::start(Duration::from_millis(20));
        janitor.watch(&store);
        let deadline = Instant::now() + Duration::from_secs(60);
        while store.stored_rows().unwrap() > 1 {
            assert!(Instant::now() < deadline, "the janitor did not purge");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(store.get("kept", now_ms()).unwrap().is_some());
    }
}
