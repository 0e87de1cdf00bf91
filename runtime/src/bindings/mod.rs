//! Storage bindings: how a Worker's `env.NAME` reaches a store of
//! `motu_storage` (a KV namespace, a D1 database, an R2 bucket).
//!
//! # The pieces
//!
//! - **Declared** ([`StorageBinding`]): a [`WorkerSpec`](crate::WorkerSpec)
//!   lists its storage bindings, each a name in `env`, a [`BindingKind`]
//!   and the id of the store (a namespace id, a database id, a bucket
//!   name). Nothing is opened by the spec itself.
//! - **Opened once per id** ([`Storage`]): the runtime holds one `Storage`,
//!   the state folder and every store opened in it, keyed by kind and id.
//!   Registering a Worker opens its stores (so a store that cannot be
//!   opened, e.g. a file that is not SQLite, fails the registration with an
//!   error naming the file); a store already open is handed out again, so
//!   two Workers that name the same namespace id share one store, as on
//!   Cloudflare, and a Worker reloaded by `motu dev` finds its store as it
//!   left it.
//! - **Handed to JavaScript** ([`Bindings`]): each isolate gets its Worker's
//!   bindings, in order. The `init()` op lists them as `storage: [[name,
//!   kind], …]`; the prelude (`js/events.js`) puts in `env[name]` the
//!   binding object that the kind's JavaScript group makes
//!   (`js/cloudflare/<kind>.js`, e.g. `KVNamespace`), given the binding's
//!   index.
//! - **Called as host work**: a method of a binding object calls
//!   `hostWork('storage', index, method, …args)`. The host checks the
//!   event's operation count (below), then asks the binding's [`Store`] for
//!   the [`Work`] of `method` on `args` ([`Store::call`], on the isolate's
//!   thread: check the arguments there and throw Cloudflare's errors for
//!   what is wrong with them at once), and hands that work to the work pool
//!   like any other host work (`crate::work`): it runs off the executor
//!   threads, its CPU time is charged to the event, and it is cancelled if
//!   the event runs out of CPU time. Its result (a `HostValue`) settles the
//!   method's promise. Storage work is never run at once on the executor
//!   thread, however small (it waits on the disk), and storage calls are
//!   refused at a Worker's top level, as Cloudflare refuses I/O there.
//! - **Counted per event** ([`OpLimit`]): each kind says how many of its
//!   operations one event (one invocation) may make, and which count they
//!   share: KV and R2 count against Cloudflare's 1,000 operations to
//!   external services per invocation together; D1 has its own. Past the
//!   limit the call throws Cloudflare's error. A call the host had no room
//!   for yet (the prelude waits and asks again) is counted once.
//! - **Bodies** ([`Parking`]): a result too large to hand over whole (a KV
//!   value read as a stream, an R2 object's body) is parked by the work as
//!   a [`Body`] under a token, and the result carries the token; the
//!   prelude's `storage_body(token)` op turns it into a host readable that
//!   JavaScript reads chunk by chunk (`streamFromHost`), so the value never
//!   sits whole in the isolate. Marked `hostPassThrough` by the kind's
//!   JavaScript, such a stream that a Worker answers with unread goes back
//!   to the host whole (`bodyForHost` in `js/body.js`) and never enters the
//!   isolate at all. A body JavaScript streams *to* a store (an R2 upload)
//!   is a body sink: [`Call::take_sink_body`].
//!
//! # Adding a kind
//!
//! A kind of binding is one file here (`kv.rs`, `d1.rs`, `r2.rs`) and one
//! JavaScript group (`crates/webapi/js/cloudflare/<kind>.js`):
//!
//! 1. In `<kind>.rs`: a `BindingKind` constant (`impl BindingKind { pub
//!    const D1: BindingKind = BindingKind("d1"); }`), a constructor on
//!    [`StorageBinding`] if wanted, a `pub(super) const KIND: Kind` naming
//!    the kind, its [`OpLimit`] and its `open` function (which opens the
//!    store in the state folder with `motu_storage` and returns it as an
//!    `Arc<dyn Store>`), and the [`Store`] implementation: one match arm per
//!    JavaScript method, each returning the [`Work`] that does it
//!    ([`Work::from_fn`]).
//! 2. Here: `mod <kind>;` and its `KIND` in [`KINDS`].
//! 3. The JavaScript group: a prelude chunk (`crates/webapi/src/prelude_text.rs`
//!    `GROUPS`, an index in `js/lazy.js`) exporting `makeBinding(index,
//!    name)`, and the kind's entry in `BINDING_GROUPS` in `js/events.js`.

mod cache;
mod d1;
mod email;
mod kv;
mod parking;
mod queue;
mod r2;
mod ratelimit;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use motu_engine::{HostValue, JsError};
use motu_storage::{StateFolder, StorageError};
use motu_webapi::Work;
use parking_lot::Mutex;

pub(crate) use parking::Parking;
pub use queue::{Queue, MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, MAX_DELAY_SECONDS, MAX_MESSAGE_BYTES};

use crate::Body;

/// Every kind of storage binding the runtime knows.
const KINDS: &[&Kind] = &[
    &kv::KIND,
    &d1::KIND,
    &r2::KIND,
    &queue::KIND,
    &cache::KIND,
    &email::KIND,
    &ratelimit::KIND,
];

/// A kind of storage binding: `"kv"`, `"d1"`, `"r2"` (what the prelude and
/// the state folder's subfolders call it).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BindingKind(&'static str);

impl BindingKind {
    /// The kind's name.
    pub fn name(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Debug for BindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::fmt::Display for BindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// A storage binding of a Worker: `env.<binding>` is the store of `kind`
/// named `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageBinding {
    /// The name in `env`.
    pub binding: String,
    /// What kind of store it is.
    pub kind: BindingKind,
    /// The store's id: a KV namespace's `id`, a D1 database's
    /// `database_id`, an R2 bucket's `bucket_name`. Workers naming the same
    /// kind and id share the store.
    pub id: String,
}

/// How many operations of a kind one event may make, and the count they
/// are made against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpLimit {
    /// The count: kinds naming the same one share it (Cloudflare counts KV
    /// and R2 operations together as operations to external services).
    pub(crate) count: &'static str,
    /// The most operations one event may make on that count.
    pub(crate) max: u32,
    /// The `Error` message of the call that goes past it.
    pub(crate) message: &'static str,
}

/// The count of operations to external services that KV and R2 share.
pub(crate) const EXTERNAL_OPS: OpLimit = OpLimit {
    count: "external",
    max: 1000,
    message: "Too many API requests by single worker invocation.",
};

/// The "limit" of calls that are not counted (see [`Store::counts`]).
const UNCOUNTED: OpLimit = OpLimit {
    count: "",
    max: u32::MAX,
    message: "",
};

/// A kind of storage binding, as the runtime uses it (see the module docs,
/// "Adding a kind").
pub(crate) struct Kind {
    /// Its name.
    pub(crate) kind: BindingKind,
    /// Its operations per event.
    pub(crate) limit: OpLimit,
    /// Opens (or creates) the store `id` in the state folder, with the
    /// server's [`StoreOptions`]. Called once per id and process; blocking.
    pub(crate) open: OpenStore,
}

/// Opens (or creates) the store of an id in the state folder.
pub(crate) type OpenStore =
    fn(&StateFolder, &str, &StoreOptions) -> Result<Arc<dyn Store>, StorageError>;

fn kind(kind: BindingKind) -> Option<&'static Kind> {
    KINDS.iter().copied().find(|k| k.kind == kind)
}

/// A store opened for bindings, shared by every Worker that names it.
pub(crate) trait Store: Send + Sync + 'static {
    /// The work of the binding method `method` on `args` (as the kind's
    /// JavaScript passes them), made on the isolate's thread. Arguments
    /// that are wrong in a way seen at once are an error here (thrown by the
    /// method); the rest is the work's, which runs on the work pool and
    /// settles the method's promise with its result.
    fn call(&self, method: &str, args: Vec<HostValue>, call: &Call<'_>) -> Result<Work, JsError>;

    /// Whether a call of `method` is an operation counted against the
    /// kind's limit: true but for calls that carry on an operation already
    /// counted (the pieces of a body streamed in or out).
    fn counts(&self, method: &str) -> bool {
        let _ = method;
        true
    }
}

/// What a [`Store::call`] may use of the isolate that calls it.
pub(crate) struct Call<'a> {
    parking: &'a Parking,
    take_sink: &'a dyn Fn(u32) -> Option<Body>,
}

impl Call<'_> {
    /// Where the work parks bodies for JavaScript to read (see
    /// [`Parking`]); a clone can move into the work.
    pub(crate) fn parking(&self) -> Parking {
        self.parking.clone()
    }

    /// The body JavaScript writes into the sink `handle` (opened by the
    /// prelude with `body_sink_open`), for a value streamed to a store.
    #[allow(dead_code)]
    pub(crate) fn take_sink_body(&self, handle: u32) -> Option<Body> {
        (self.take_sink)(handle)
    }
}

/// The state folder and every store opened in it, shared by the runtime's
/// Workers (see the module docs). Clones share them.
#[derive(Clone)]
pub struct Storage(Arc<StorageInner>);

/// Settings of the stores that the server chooses (Cloudflare's plan
/// limits), the same for every store of a kind.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// The limits of D1 databases (the database size is the one to
    /// choose: Cloudflare's is 10 GB on Workers Paid, 500 MB on Free).
    pub d1: motu_storage::d1::D1Limits,
    /// `[cache] max_mb`: the most the Cache API keeps, in MiB, all
    /// Workers together. `None`: [`DEFAULT_CACHE_MAX_MB`].
    pub cache_max_mb: Option<u64>,
    /// The Redis that KV namespaces and queues live in (`[cluster]
    /// redis`), shared with the cluster's other nodes. Default: none, they
    /// are embedded in the state folder.
    pub redis: Option<Arc<motu_storage::redis::Redis>>,
}

/// The Cache API's size when none is configured, in MiB.
pub const DEFAULT_CACHE_MAX_MB: u64 = 512;

impl StoreOptions {
    /// The most bytes the Cache API keeps.
    pub fn cache_max_bytes(&self) -> u64 {
        self.cache_max_mb
            .unwrap_or(DEFAULT_CACHE_MAX_MB)
            .saturating_mul(1 << 20)
    }
}

struct StorageInner {
    /// The folder given, or `None`: a throwaway one made on first use.
    given: Option<PathBuf>,
    options: parking_lot::RwLock<StoreOptions>,
    folder: OnceLock<Result<Arc<StateFolder>, String>>,
    stores: Mutex<HashMap<(BindingKind, String), Arc<dyn Store>>>,
    /// Durable Objects' hibernatable WebSockets, held while their objects
    /// are out of memory (`crate::durable::websockets`).
    hibernation: Arc<crate::durable::websockets::Hibernation>,
    /// When the alarm scheduler next reads the folder's alarm index
    /// (`crate::durable::alarm_clock`).
    alarm_clock: Arc<crate::durable::alarm_clock::AlarmClock>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("state_folder", &self.path())
            .finish_non_exhaustive()
    }
}

impl Default for Storage {
    /// A throwaway state folder, made when a store is first opened.
    fn default() -> Self {
        Self::throwaway()
    }
}

impl Storage {
    /// Stores in the state folder at `path`, created if need be, and locked
    /// now: a folder another process holds is an error naming it.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, StorageError> {
        let path = path.into();
        let folder = StateFolder::open(&path)?;
        let storage = Self::new(Some(path));
        let _ = storage.0.folder.set(Ok(Arc::new(folder)));
        Ok(storage)
    }

    /// Stores in the state folder at `path`, opened (created, locked) when
    /// a store is first needed: for a server none of whose Workers has a
    /// storage binding yet.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self::new(Some(path.into()))
    }

    /// Stores in a throwaway state folder (see
    /// [`StateFolder::throwaway`]), made when a store is first opened and
    /// removed when the last clone of this `Storage` is dropped.
    pub fn throwaway() -> Self {
        Self::new(None)
    }

    fn new(given: Option<PathBuf>) -> Self {
        Self(Arc::new(StorageInner {
            given,
            options: Default::default(),
            folder: OnceLock::new(),
            stores: Mutex::new(HashMap::new()),
            hibernation: Arc::default(),
            alarm_clock: Arc::default(),
        }))
    }

    /// The clock of the Durable Objects' alarm scheduler.
    pub(crate) fn alarm_clock(&self) -> Arc<crate::durable::alarm_clock::AlarmClock> {
        self.0.alarm_clock.clone()
    }

    /// The table of Durable Objects' hibernatable WebSockets.
    pub(crate) fn hibernation(&self) -> Arc<crate::durable::websockets::Hibernation> {
        self.0.hibernation.clone()
    }

    /// Removes the throwaway state folders of this process now: for a
    /// program that exits without dropping its runtime (see
    /// [`motu_storage::state::remove_throwaways`]).
    pub fn remove_throwaways() {
        motu_storage::state::remove_throwaways();
    }

    /// These stores with `options` for the ones opened from now on.
    pub fn with_options(self, options: StoreOptions) -> Self {
        *self.0.options.write() = options;
        self
    }

    /// The state folder, once there is one.
    pub fn path(&self) -> Option<PathBuf> {
        match self.0.folder.get() {
            Some(Ok(folder)) => Some(folder.path().to_path_buf()),
            _ => self.0.given.clone(),
        }
    }

    /// The state folder's path, opening (creating, locking) it if need
    /// be: Durable Objects keep their databases there.
    pub fn folder_path(&self) -> Result<PathBuf, String> {
        self.folder().map(|f| f.path().to_path_buf())
    }

    fn folder(&self) -> Result<&Arc<StateFolder>, String> {
        self.0
            .folder
            .get_or_init(|| {
                let folder = match &self.0.given {
                    Some(path) => StateFolder::open(path),
                    None => StateFolder::throwaway(),
                };
                folder.map(Arc::new).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The store of `binding`, opened now unless it is open already.
    pub(crate) fn store(&self, binding: &StorageBinding) -> Result<Arc<dyn Store>, String> {
        let key = (binding.kind, binding.id.clone());
        if let Some(store) = self.0.stores.lock().get(&key) {
            return Ok(store.clone());
        }
        let kind = kind(binding.kind).ok_or_else(|| {
            format!(
                "storage bindings of kind '{}' are not built in",
                binding.kind
            )
        })?;
        let folder = self.folder()?;
        // Opened outside the lock (it blocks on the disk); if another
        // thread opened the same store meanwhile, the first one stays.
        let options = self.0.options.read().clone();
        let store = (kind.open)(folder, &binding.id, &options).map_err(|e| {
            format!(
                "{} binding '{}' ({}): {e}",
                binding.kind, binding.binding, binding.id
            )
        })?;
        Ok(self.0.stores.lock().entry(key).or_insert(store).clone())
    }

    /// Opens every store of `bindings`: the first that cannot be opened is
    /// the error.
    pub(crate) fn open_all(&self, bindings: &[StorageBinding]) -> Result<(), String> {
        bindings.iter().try_for_each(|b| self.store(b).map(drop))
    }
}

/// One binding of an isolate: its declaration, and its store (or why it
/// could not be opened), opened on first use: the stores of declared
/// bindings were opened when the Worker was registered, so this finds them
/// open; the Cache API's is opened only once a Worker uses it.
struct Bound {
    binding: StorageBinding,
    kind: &'static Kind,
    store: std::cell::OnceCell<Result<Arc<dyn Store>, String>>,
}

/// The storage bindings of one isolate, and what its events have counted
/// against their limits.
pub(crate) struct Bindings {
    storage: Storage,
    bound: Vec<Bound>,
    /// Operations made so far, by event and count.
    counts: std::cell::RefCell<HashMap<(u64, &'static str), u32>>,
    parking: Parking,
}

impl Bindings {
    /// The bindings of the Worker named `worker`, with its stores from
    /// `storage` (opened when the Worker was registered), and last the
    /// hidden bindings of its Cache API (unless it is `sandboxed`: a
    /// dynamic Worker's cache keeps nothing) and of its `email` handler's
    /// outgoing mail (opened on first use).
    pub(crate) fn new(
        storage: &Storage,
        bindings: &[StorageBinding],
        worker: &str,
        sandboxed: bool,
    ) -> Self {
        let cache = (!sandboxed).then(|| StorageBinding::cache(worker));
        let hidden = cache.into_iter().chain([StorageBinding::email_event()]);
        let bound = bindings
            .iter()
            .cloned()
            .chain(hidden)
            .filter_map(|b| {
                let kind = kind(b.kind)?;
                Some(Bound {
                    binding: b,
                    kind,
                    store: std::cell::OnceCell::new(),
                })
            })
            .collect();
        Self {
            storage: storage.clone(),
            bound,
            counts: Default::default(),
            parking: Parking::default(),
        }
    }

    /// What `init()` tells the prelude: `[[name, kind], …]`, by index.
    pub(crate) fn init_value(&self) -> HostValue {
        HostValue::List(
            self.bound
                .iter()
                .map(|b| {
                    HostValue::List(vec![
                        b.binding.binding.as_str().into(),
                        b.kind.kind.name().into(),
                    ])
                })
                .collect(),
        )
    }

    /// The work of `storage(index, method, …args)`, for `event` (`None`:
    /// the top level, where storage calls are refused). `count` is called
    /// with the work's limit once the host has taken it (see
    /// [`Bindings::count`]).
    pub(crate) fn work(
        &self,
        event: Option<u64>,
        args: Vec<HostValue>,
        take_sink: &dyn Fn(u32) -> Option<Body>,
    ) -> Result<(Work, OpLimit), JsError> {
        let Some(event) = event else {
            return Err(JsError::new(
                "Error",
                "Disallowed operation called within global scope. Asynchronous I/O (ex: \
                 fetch() or connect()), setting a timeout, and generating random values are \
                 not allowed within global scope. To fix this error, perform this operation \
                 within a handler.",
            ));
        };
        let mut args = args.into_iter();
        let index = args.next().and_then(|i| i.as_f64()).unwrap_or(-1.0);
        let method = match args.next() {
            Some(HostValue::String(m)) => m,
            _ => {
                return Err(JsError::type_error(
                    "storage: argument 1 must be a method name",
                ))
            }
        };
        let bound = (index >= 0.0)
            .then(|| self.bound.get(index as usize))
            .flatten()
            .ok_or_else(|| JsError::type_error(format!("storage: no binding {index}")))?;
        let store = bound
            .store
            .get_or_init(|| self.storage.store(&bound.binding))
            .as_ref()
            .map_err(|e| JsError::new("Error", e.clone()))?;
        if !store.counts(&method) {
            let call = Call {
                parking: &self.parking,
                take_sink,
            };
            return Ok((
                store.call(&method, args.collect(), &call)?.waiting(),
                UNCOUNTED,
            ));
        }
        let limit = bound.kind.limit;
        let made = self
            .counts
            .borrow()
            .get(&(event, limit.count))
            .copied()
            .unwrap_or(0);
        if made >= limit.max {
            return Err(JsError::new("Error", limit.message));
        }
        let call = Call {
            parking: &self.parking,
            take_sink,
        };
        Ok((store.call(&method, args.collect(), &call)?.waiting(), limit))
    }

    /// Counts one operation of `event` against `limit` (the host took its
    /// work).
    pub(crate) fn count(&self, event: u64, limit: OpLimit) {
        if limit.count == UNCOUNTED.count {
            return;
        }
        *self
            .counts
            .borrow_mut()
            .entry((event, limit.count))
            .or_default() += 1;
    }

    /// Forgets the counts of events that are over.
    pub(crate) fn forget(&self, live: impl Fn(u64) -> bool) {
        self.counts
            .borrow_mut()
            .retain(|(event, _), _| live(*event));
    }

    /// The body parked under `token` (see [`Parking`]).
    pub(crate) fn take_parked(&self, token: u64) -> Option<Body> {
        self.parking.take(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(binding: &str, id: &str) -> StorageBinding {
        StorageBinding {
            binding: binding.into(),
            kind: BindingKind::KV,
            id: id.into(),
        }
    }

    #[test]
    fn stores_are_opened_once_per_kind_and_id() {
        let storage = Storage::throwaway();
        let a = storage.store(&kv("A", "shared")).unwrap();
        let b = storage.store(&kv("B", "shared")).unwrap();
        let c = storage.store(&kv("C", "other")).unwrap();
        assert!(Arc::ptr_eq(&a, &b), "the same id is the same store");
        assert!(!Arc::ptr_eq(&a, &c));
        let folder = storage.path().unwrap();
        assert!(folder.join("kv/shared.sqlite").is_file());
        drop((a, b, c));
        drop(storage);
        assert!(!folder.exists(), "a throwaway folder goes with its storage");
    }

    #[test]
    fn a_store_that_cannot_open_names_its_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("kv")).unwrap();
        std::fs::write(dir.path().join("kv/broken.sqlite"), vec![b'x'; 4096]).unwrap();
        let storage = Storage::open(dir.path()).unwrap();
        let err = storage.open_all(&[kv("NS", "broken")]).unwrap_err();
        assert!(
            err.contains("broken.sqlite") && err.contains("not a SQLite database"),
            "{err}"
        );
        assert!(err.contains("binding 'NS'"), "{err}");
        // Another process (here: another Storage) cannot have the folder.
        let again = Storage::open(dir.path()).unwrap_err();
        assert!(matches!(again, StorageError::Locked { .. }));
    }

    #[test]
    fn operations_are_counted_per_event_up_to_the_limit() {
        let storage = Storage::throwaway();
        let bindings = Bindings::new(&storage, &[kv("NS", "count")], "w", false);
        let no_sink = |_| None;
        let call = |event| {
            bindings.work(
                event,
                vec![0.0.into(), "delete".into(), "k".into()],
                &no_sink,
            )
        };
        let top = call(None).unwrap_err();
        assert!(top
            .message
            .starts_with("Disallowed operation called within global scope"));
        for _ in 0..EXTERNAL_OPS.max {
            let (_, limit) = call(Some(1)).unwrap();
            bindings.count(1, limit);
        }
        let over = call(Some(1)).unwrap_err();
        assert_eq!(over.message, EXTERNAL_OPS.message);
        // Another event has its own count; a finished event is forgotten.
        assert!(call(Some(2)).is_ok());
        bindings.forget(|e| e != 1);
        assert!(call(Some(1)).is_ok());
    }
}
