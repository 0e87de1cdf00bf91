//! Rate limiting bindings (`ratelimits`): the host side of the
//! `RateLimit` objects of `crates/webapi/js/cloudflare/platform.js`.
//!
//! A binding is a store of kind `ratelimit` whose id is its namespace id:
//! bindings naming the same namespace share its counts, as on Cloudflare,
//! where the limit is a threshold applied to a count the namespace keeps.
//! One method, as the JavaScript calls it:
//!
//! - `limit(key, limit, period)`: counts one call of `key` in the current
//!   window of `period` seconds (10 or 60, aligned to the clock: every key
//!   of a period starts a new window at the same instant, as Miniflare's
//!   windows do) and answers whether it was within `limit`; a call past the
//!   limit is not counted.
//!
//! The counts live in the server's memory: they are lost on restart and
//! not shared with a cluster's other nodes (each node limits on its own),
//! as each of Cloudflare's locations limits on its own. The calls are not
//! counted against an operations limit.

use std::collections::HashMap;
use std::sync::Arc;

use motu_engine::{HostValue, JsError};
use motu_storage::{StateFolder, StorageError};
use motu_webapi::Work;
use parking_lot::Mutex;

use super::{BindingKind, Call, Kind, StorageBinding, Store, StoreOptions, UNCOUNTED};

impl BindingKind {
    /// A rate limiting binding (`ratelimits`).
    pub const RATELIMIT: BindingKind = BindingKind("ratelimit");
}

impl StorageBinding {
    /// `env.<binding>` limits calls counted in the namespace `namespace_id`.
    pub fn ratelimit(binding: impl Into<String>, namespace_id: impl Into<String>) -> Self {
        Self {
            binding: binding.into(),
            kind: BindingKind::RATELIMIT,
            id: namespace_id.into(),
        }
    }
}

pub(super) const KIND: Kind = Kind {
    kind: BindingKind::RATELIMIT,
    limit: UNCOUNTED,
    open,
};

/// A namespace's counts: by key and period, the window they are of and how
/// many calls it has counted.
#[derive(Default)]
struct Namespace {
    buckets: Mutex<HashMap<(String, u64), Bucket>>,
}

struct Bucket {
    window: u64,
    count: u64,
}

fn open(_: &StateFolder, _: &str, _: &StoreOptions) -> Result<Arc<dyn Store>, StorageError> {
    Ok(Arc::new(Namespace::default()))
}

impl Namespace {
    /// Counts a call of `key` at `now_ms` if it is within `limit`.
    fn limit(&self, key: String, limit: u64, period: u64, now_ms: u64) -> bool {
        let window = now_ms / (period * 1000);
        let mut buckets = self.buckets.lock();
        let count = match buckets.get(&(key.clone(), period)) {
            Some(b) if b.window == window => b.count,
            _ => {
                // A new window: the period's old ones are over.
                buckets.retain(|(_, p), b| *p != period || b.window == window);
                0
            }
        };
        if count >= limit {
            return false;
        }
        buckets.insert(
            (key, period),
            Bucket {
                window,
                count: count + 1,
            },
        );
        true
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Store for Namespace {
    fn call(&self, method: &str, args: Vec<HostValue>, _: &Call<'_>) -> Result<Work, JsError> {
        if method != "limit" {
            return Err(JsError::type_error(format!(
                "ratelimit: no method '{method}'"
            )));
        }
        let mut args = args.into_iter();
        let key = match args.next() {
            Some(HostValue::String(s)) => s,
            _ => return Err(JsError::type_error("ratelimit: the key must be a string")),
        };
        let number = |v: Option<HostValue>| match v {
            Some(HostValue::Number(n)) if n >= 0.0 && n.is_finite() => Ok(n as u64),
            _ => Err(JsError::type_error(
                "ratelimit: limit and period must be numbers",
            )),
        };
        let limit = number(args.next())?;
        let period = number(args.next())?;
        if period != 10 && period != 60 {
            return Err(JsError::new(
                "Error",
                format!("unsupported period: {period}"),
            ));
        }
        let success = self.limit(key, limit, period, now_ms());
        Ok(Work::from_fn(0, true, move |_| {
            Ok(HostValue::Map(vec![(
                "success".into(),
                HostValue::Bool(success),
            )]))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_each_key_up_to_its_limit() {
        let ns = Namespace::default();
        let t = 60_000 * 16_666_667 + 20_000; // 20 s into a minute
        let calls: Vec<bool> = (0..4).map(|_| ns.limit("a".into(), 3, 60, t)).collect();
        assert_eq!(calls, [true, true, true, false]);
        // Another key, another period, a higher limit on the same count.
        assert!(ns.limit("b".into(), 3, 60, t));
        assert!(ns.limit("a".into(), 3, 10, t));
        assert!(ns.limit("a".into(), 4, 60, t));
        assert!(!ns.limit("a".into(), 4, 60, t));
        // The next window starts from zero, and drops the old buckets.
        assert!(ns.limit("a".into(), 3, 60, t + 40_000));
        assert_eq!(
            ns.buckets.lock().len(),
            2,
            "a's new window and a's 10 s one"
        );
    }
}
