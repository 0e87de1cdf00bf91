//! The server's stash: values one request leaves for a later one (WPT's
//! `request.server.stash`), keyed by a path and a key; taking a value
//! removes it.

use std::collections::HashMap;
use std::sync::Mutex;

/// Values by `(path, key)`.
#[derive(Debug, Default)]
pub(crate) struct Stash {
    values: Mutex<HashMap<(String, String), String>>,
}

impl Stash {
    /// Stores `value` under `path` and `key`, replacing what was there.
    pub(crate) fn put(&self, path: &str, key: &str, value: String) {
        self.lock().insert((path.to_owned(), key.to_owned()), value);
    }

    /// Removes and returns the value under `path` and `key`.
    pub(crate) fn take(&self, path: &str, key: &str) -> Option<String> {
        self.lock().remove(&(path.to_owned(), key.to_owned()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), String>> {
        self.values.lock().unwrap_or_else(|e| e.into_inner())
    }
}
