//! The process's live Durable Objects, as the admin endpoint lists them
//! (`GET /objects`): each object in memory, the isolate hosting it and
//! when it last had an event.
//!
//! Each isolate's [`Objects`](super::objects::Objects) lists an object
//! when it is made in memory and unlists it when it leaves (idle, aborted,
//! its isolate gone); an event only stores its time in the entry's atomic,
//! so the listing costs an event no lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use super::ObjectTarget;

/// One live object, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveObject {
    /// The Worker that exports the class.
    pub worker: String,
    /// The class's name.
    pub class: String,
    /// The namespace's key.
    pub namespace: String,
    /// The object's id (64 hex digits).
    pub id: String,
    /// The name it was made from, for `idFromName` ids.
    pub name: Option<String>,
    /// The isolate hosting it: its Worker's name and the isolate's number
    /// in the process (`worker#3`).
    pub isolate: String,
    /// When it last had an event, in milliseconds since the Unix epoch.
    pub last_event_ms: u64,
}

struct Entry {
    object: LiveObject,
    last_event: Arc<AtomicU64>,
}

static LIVE: LazyLock<Mutex<HashMap<(String, String), Entry>>> = LazyLock::new(Default::default);

fn live() -> std::sync::MutexGuard<'static, HashMap<(String, String), Entry>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Now, in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Lists `target`, made in memory in `isolate`: the atomic its events
/// store their time in.
pub(crate) fn list(target: &ObjectTarget, isolate: &str) -> Arc<AtomicU64> {
    let last_event = Arc::new(AtomicU64::new(now_ms()));
    let object = LiveObject {
        worker: target.worker.clone(),
        class: target.class.clone(),
        namespace: target.namespace.clone(),
        id: target.id.clone(),
        name: target.name.clone(),
        isolate: isolate.to_owned(),
        last_event_ms: 0,
    };
    live().insert(
        target.key(),
        Entry {
            object,
            last_event: last_event.clone(),
        },
    );
    last_event
}

/// Unlists `target`, which left memory in `isolate` (an entry another
/// isolate made since stays).
pub(crate) fn unlist(target: &ObjectTarget, isolate: &str) {
    let mut live = live();
    if live
        .get(&target.key())
        .is_some_and(|e| e.object.isolate == isolate)
    {
        live.remove(&target.key());
    }
}

/// Every live object of the process, by namespace and id.
pub fn live_objects() -> Vec<LiveObject> {
    let mut objects: Vec<LiveObject> = live()
        .values()
        .map(|e| LiveObject {
            last_event_ms: e.last_event.load(Ordering::Relaxed),
            ..e.object.clone()
        })
        .collect();
    objects.sort_by(|a, b| (&a.namespace, &a.id).cmp(&(&b.namespace, &b.id)));
    objects
}

/// [`live_objects`] as JSON: an array of `{ worker, class, namespace, id,
/// name, isolate, lastEventMs }`.
pub fn live_objects_json() -> String {
    let list: Vec<serde_json::Value> = live_objects()
        .into_iter()
        .map(|o| {
            serde_json::json!({
                "worker": o.worker,
                "class": o.class,
                "namespace": o.namespace,
                "id": o.id,
                "name": o.name,
                "isolate": o.isolate,
                "lastEventMs": o.last_event_ms,
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(id: &str) -> ObjectTarget {
        ObjectTarget {
            worker: "w".into(),
            class: "C".into(),
            namespace: "listing-test".into(),
            id: id.into(),
            name: Some("n".into()),
            attempt: 0,
        }
    }

    fn listed(id: &str) -> Option<LiveObject> {
        live_objects()
            .into_iter()
            .find(|o| o.namespace == "listing-test" && o.id == id)
    }

    #[test]
    fn an_object_is_listed_while_live_in_the_isolate_that_listed_it() {
        let a = target("aa");
        let last = list(&a, "w#1");
        last.store(42, Ordering::Relaxed);
        let seen = listed("aa").expect("listed");
        assert_eq!(seen.isolate, "w#1");
        assert_eq!(seen.last_event_ms, 42);
        assert_eq!(seen.name.as_deref(), Some("n"));
        // Made again in another isolate: the old one's unlisting leaves it.
        list(&a, "w#2");
        unlist(&a, "w#1");
        assert_eq!(listed("aa").expect("still listed").isolate, "w#2");
        unlist(&a, "w#2");
        assert!(listed("aa").is_none());
        assert!(live_objects_json().starts_with('['));
    }
}
