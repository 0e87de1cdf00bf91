//! The Cache API (`caches.default`, `caches.open(name)`): the host side of
//! `crates/webapi/js/cloudflare/cache.js`, over
//! [`motu_storage::cache::CacheDb`].
//!
//! Every Worker has one hidden binding of this kind, not in `env`, whose
//! id is the Worker's name: its caches are its own, as each zone's are on
//! Cloudflare, so one tenant cannot read what another cached. All of them
//! share one database in the state folder (`cache/cache.sqlite`), opened on
//! first use (a Worker that never touches `caches` opens nothing), and one
//! size limit, `[cache] max_mb` ([`StoreOptions::cache_max_bytes`]): past
//! it, the least recently used entries go, whoever put them.
//!
//! The methods, as the prelude calls them (`cache` is `default` or
//! `named:<name>`):
//!
//! - `put(cache, url, requestHeaders, status, responseHeaders, body)`:
//!   stores the response if its headers allow (Cloudflare's rules, in
//!   `motu_storage::cache::policy`) and settles with `undefined` either
//!   way; a body larger than an entry may be is an error;
//! - `match(cache, url, requestHeaders)`: `null`, or `[status, headers,
//!   body]` (a 304 or 206 when the request asks for one);
//! - `delete(cache, url)`: whether a fresh entry was removed.
//!
//! Each counts as an operation to an external service, as KV and R2 do.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock, Weak};
use std::time::SystemTime;

use motu_engine::{HostValue, JsError};
use motu_storage::cache::{CacheDb, CacheKey, Header, PutOutcome, Response};
use motu_storage::{StateFolder, StorageError};
use motu_webapi::Work;
use parking_lot::Mutex;

use super::{BindingKind, Call, Kind, StorageBinding, Store, StoreOptions, EXTERNAL_OPS};

impl BindingKind {
    /// The Cache API's hidden binding (every Worker has one).
    pub const CACHE: BindingKind = BindingKind("cache");
}

impl StorageBinding {
    /// The hidden Cache API binding of the Worker named `worker`.
    pub fn cache(worker: impl Into<String>) -> Self {
        Self {
            binding: String::new(),
            kind: BindingKind::CACHE,
            id: worker.into(),
        }
    }
}

pub(super) const KIND: Kind = Kind {
    kind: BindingKind::CACHE,
    limit: EXTERNAL_OPS,
    open,
};

/// The cache database of each state folder open in the process.
fn databases() -> &'static Mutex<HashMap<PathBuf, Weak<CacheDb>>> {
    static DATABASES: OnceLock<Mutex<HashMap<PathBuf, Weak<CacheDb>>>> = OnceLock::new();
    DATABASES.get_or_init(Default::default)
}

fn open(
    state: &StateFolder,
    worker: &str,
    options: &StoreOptions,
) -> Result<Arc<dyn Store>, StorageError> {
    let path = state.store_path("cache", "cache", "sqlite")?;
    let mut open = databases().lock();
    let db = match open.get(&path).and_then(Weak::upgrade) {
        Some(db) => db,
        None => {
            let db = Arc::new(CacheDb::open(&path, options.cache_max_bytes())?);
            open.retain(|_, db| db.strong_count() > 0);
            open.insert(path, Arc::downgrade(&db));
            db
        }
    };
    Ok(Arc::new(WorkerCaches {
        db,
        namespace: worker.to_owned(),
    }))
}

/// The caches of one Worker.
struct WorkerCaches {
    db: Arc<CacheDb>,
    namespace: String,
}

fn string(value: Option<HostValue>, what: &str) -> Result<String, JsError> {
    match value {
        Some(HostValue::String(s)) => Ok(s),
        _ => Err(JsError::type_error(format!(
            "cache: {what} must be a string"
        ))),
    }
}

fn headers(value: Option<HostValue>) -> Result<Vec<Header>, JsError> {
    let Some(HostValue::List(items)) = value else {
        return Err(JsError::type_error("cache: headers must be a list"));
    };
    items
        .into_iter()
        .map(|pair| match pair {
            HostValue::List(mut p) if p.len() == 2 => {
                let value = p.pop().and_then(|v| v.as_str().map(str::to_owned));
                let name = p.pop().and_then(|v| v.as_str().map(str::to_owned));
                name.zip(value)
                    .ok_or_else(|| JsError::type_error("cache: a header must be two strings"))
            }
            _ => Err(JsError::type_error("cache: a header must be a pair")),
        })
        .collect()
}

fn header_list(headers: Vec<Header>) -> HostValue {
    HostValue::List(
        headers
            .into_iter()
            .map(|(n, v)| HostValue::List(vec![n.into(), v.into()]))
            .collect(),
    )
}

fn failed(e: StorageError) -> JsError {
    JsError::new("Error", format!("Cache operation failed: {e}"))
}

impl Store for WorkerCaches {
    fn call(&self, method: &str, args: Vec<HostValue>, _: &Call<'_>) -> Result<Work, JsError> {
        let mut args = args.into_iter();
        let key = CacheKey {
            namespace: self.namespace.clone(),
            cache: string(args.next(), "the cache name")?,
            url: string(args.next(), "the URL")?,
        };
        let db = self.db.clone();
        match method {
            "put" => {
                let request_headers = headers(args.next())?;
                let status = args.next().and_then(|s| s.as_f64()).unwrap_or(200.0) as u16;
                let response_headers = headers(args.next())?;
                let body = match args.next() {
                    Some(HostValue::Bytes(b)) => b,
                    _ => return Err(JsError::type_error("cache: the body must be bytes")),
                };
                let limit = db.max_entry_bytes();
                if body.len() as u64 > limit {
                    return Err(too_large(body.len() as u64, limit));
                }
                Ok(Work::from_fn(body.len(), false, move |_| {
                    let response = Response {
                        status,
                        headers: response_headers,
                        body,
                    };
                    match db
                        .put(&key, &request_headers, response, SystemTime::now())
                        .map_err(failed)?
                    {
                        PutOutcome::TooLarge { size, limit } => Err(too_large(size, limit)),
                        PutOutcome::Stored(_) | PutOutcome::Skipped(_) => Ok(HostValue::Undefined),
                    }
                }))
            }
            "match" => {
                let request_headers = headers(args.next())?;
                Ok(Work::from_fn(key.url.len(), false, move |_| {
                    let found = db
                        .matching(&key, &request_headers, SystemTime::now())
                        .map_err(failed)?;
                    Ok(match found {
                        None => HostValue::Null,
                        Some((answer, body)) => HostValue::List(vec![
                            f64::from(answer.status).into(),
                            header_list(answer.headers),
                            HostValue::Bytes(body),
                        ]),
                    })
                }))
            }
            "delete" => Ok(Work::from_fn(key.url.len(), false, move |_| {
                let removed = db.delete(&key, SystemTime::now()).map_err(failed)?;
                Ok(HostValue::Bool(removed))
            })),
            _ => Err(JsError::type_error(format!("cache: no method '{method}'"))),
        }
    }
}

fn too_large(size: u64, limit: u64) -> JsError {
    JsError::new(
        "Error",
        format!(
            "Cache.put: the response body is {size} bytes, more than a cache entry may hold \
             ({limit} bytes; see [cache] max_mb)"
        ),
    )
}
