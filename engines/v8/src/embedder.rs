//! The Rust side of an isolate that the shim calls back into: ops, module
//! resolution and sources, and the code cache.
//!
//! The shim holds a pointer to the isolate's [`Embedder`] and passes it to
//! every callback in [`CALLBACKS`]. Callbacks only take shared references;
//! what they hand back to the shim lives in the embedder until the next
//! callback ([`Embedder::reply`]) or until the call from Rust that caused
//! them returns ([`Embedder::end_call`]).
//!
//! Code cache: code compiled without cache gets its cache stored right
//! after its top level ran. Until the isolate served its first event, the
//! code it was lent stays known ([`Embedder::refresh_tokens`]), so that the
//! engine's cold entries can be replaced by warm ones then.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;

use motu_engine::{resolve_specifier, Host, HostValue, JsError, ModuleSource, PreludeChunk};

use crate::cache::{CodeCache, CodeKind};
use crate::codec;
use crate::ffi::{self, MotuBytes, MotuCode, MotuReply};

/// Reply buffers larger than this are not kept for the next callback.
const KEPT_REPLY_BYTES: usize = 64 << 10;

/// ASCII sources at least this long are kept for the isolate's life and
/// read by V8 where they are, rather than copied into its heap (see
/// [`Embedder::lend`]); shorter ones are not worth an external string.
const KEPT_SOURCE_MIN: usize = 1024;

/// Code lent to the shim for one call, kept alive (and known by its token)
/// until the call returns.
#[derive(Clone)]
struct Lent {
    token: u64,
    kind: CodeKind,
    name: Box<str>,
    source: Arc<str>,
    cache: Option<Arc<[u8]>>,
}

/// What an isolate's callbacks need.
pub(crate) struct Embedder {
    host: Rc<dyn Host>,
    cache: Arc<CodeCache>,
    /// The prelude's chunks, evaluated on demand.
    chunks: Arc<[PreludeChunk]>,
    /// The Worker's modules, once one was loaded (for imports, dynamic
    /// ones included).
    modules: RefCell<Option<Arc<dyn ModuleSource>>>,
    /// The bytes of the last callback's answer.
    reply: RefCell<Vec<u8>>,
    lent: RefCell<Vec<Lent>>,
    /// Sources V8 reads in place (external strings): kept until the
    /// isolate is freed, which happens before the embedder is dropped.
    kept: RefCell<Vec<Arc<str>>>,
    /// Code lent before the first event was served.
    retained: RefCell<Vec<Lent>>,
    /// Whether the first event was served (and the cache refreshed).
    served: Cell<bool>,
    /// Whether code cache arriving now is warm.
    refreshing: Cell<bool>,
    next_token: Cell<u64>,
}

impl Embedder {
    /// The state of a new isolate.
    pub(crate) fn new(
        host: Rc<dyn Host>,
        cache: Arc<CodeCache>,
        chunks: Arc<[PreludeChunk]>,
    ) -> Self {
        Self {
            host,
            cache,
            chunks,
            modules: RefCell::new(None),
            reply: RefCell::new(Vec::new()),
            lent: RefCell::new(Vec::new()),
            kept: RefCell::new(Vec::new()),
            retained: RefCell::new(Vec::new()),
            served: Cell::new(false),
            refreshing: Cell::new(false),
            next_token: Cell::new(1),
        }
    }

    /// Makes `modules` the source of imports from now on.
    pub(crate) fn set_modules(&self, modules: Arc<dyn ModuleSource>) {
        *self.modules.borrow_mut() = Some(modules);
    }

    /// Lends code to the shim until [`Embedder::end_call`], with its code
    /// cache when the engine has it.
    ///
    /// An ASCII source of at least [`KEPT_SOURCE_MIN`] bytes is kept until
    /// the isolate is freed and V8 reads it in place: a script's source
    /// stays in the isolate as long as its functions do (lazy compilation
    /// and `Function.prototype.toString` read it), and the sources lent
    /// here (the prelude, its groups, a Worker's modules) are shared by
    /// every isolate that runs them, where a copy in each heap cost every
    /// isolate the prelude's size again.
    pub(crate) fn lend(&self, kind: CodeKind, name: &str, source: Arc<str>) -> MotuCode {
        let source_kept = source.len() >= KEPT_SOURCE_MIN && source.is_ascii();
        if source_kept {
            let mut kept = self.kept.borrow_mut();
            if !kept.iter().any(|k| Arc::ptr_eq(k, &source)) {
                kept.push(source.clone());
            }
        }
        let cache = self.cache.get(kind, name, &source);
        let token = if self.cache.enabled() {
            let t = self.next_token.get();
            self.next_token.set(t + 1);
            t
        } else {
            0
        };
        let lent = Lent {
            token,
            kind,
            name: name.into(),
            source,
            cache,
        };
        // The pointers go to the heap data of `lent`, which stays put when
        // the list grows.
        let code = MotuCode {
            name: MotuBytes::of(lent.name.as_bytes()),
            source: MotuBytes::of(lent.source.as_bytes()),
            cache: lent
                .cache
                .as_deref()
                .map_or(MotuBytes::EMPTY, MotuBytes::of),
            token,
            source_kept: c_int::from(source_kept),
        };
        self.lent.borrow_mut().push(lent);
        code
    }

    /// Ends a call from Rust into the shim: what was lent may go, or, before
    /// the first event was served, is kept for the refresh.
    pub(crate) fn end_call(&self) {
        let mut lent = self.lent.borrow_mut();
        if lent.is_empty() {
            return;
        }
        if self.served.get() {
            lent.clear();
        } else {
            let mut retained = self.retained.borrow_mut();
            retained.extend(
                lent.drain(..)
                    .filter(|l| l.token != 0)
                    .map(|l| Lent { cache: None, ..l }),
            );
        }
    }

    /// Keeps fresh code cache for the code lent as `token`.
    fn store(&self, token: u64, kind: CodeKind, data: &[u8]) {
        let is = |l: &&Lent| l.token == token && l.kind == kind;
        let warm = self.refreshing.get();
        if let Some(code) = self.lent.borrow().iter().find(is) {
            self.cache
                .insert(kind, &code.name, &code.source, data, warm);
        } else if let Some(code) = self.retained.borrow().iter().find(is) {
            self.cache
                .insert(kind, &code.name, &code.source, data, warm);
        }
    }

    /// Whether the first event was served.
    pub(crate) fn served(&self) -> bool {
        self.served.get()
    }

    /// The tokens of the code lent so far whose cache entry is cold.
    pub(crate) fn refresh_tokens(&self) -> Vec<u64> {
        self.retained
            .borrow()
            .iter()
            .filter(|l| self.cache.is_cold(l.kind, &l.name, &l.source))
            .map(|l| l.token)
            .collect()
    }

    /// Runs `refresh` (which makes the shim hand over fresh code cache) and
    /// marks the first event served: nothing more is kept for a refresh.
    pub(crate) fn refresh(&self, refresh: impl FnOnce()) {
        self.refreshing.set(true);
        refresh();
        self.refreshing.set(false);
        self.served.set(true);
        *self.retained.borrow_mut() = Vec::new();
    }

    /// The reply buffer, emptied, for one callback's answer.
    fn reply(&self) -> std::cell::RefMut<'_, Vec<u8>> {
        let mut reply = self.reply.borrow_mut();
        if reply.capacity() > KEPT_REPLY_BYTES {
            *reply = Vec::new();
        } else {
            reply.clear();
        }
        reply
    }

    /// Runs op `name` on its encoded arguments.
    ///
    /// # Safety
    /// `args` must be the arguments the shim encoded for this call (their
    /// lent bytes stay pinned until it returns).
    unsafe fn run_op(
        &self,
        name: &str,
        args: &[u8],
        op_id: Option<u64>,
    ) -> Result<HostValue, JsError> {
        // SAFETY: promised by the caller.
        let args = unsafe { codec::decode_op_args(args) }
            .ok_or_else(|| JsError::type_error("the op's arguments could not be read"))?;
        match op_id {
            Some(id) => self
                .host
                .start(name, args, id)
                .map(|()| HostValue::Undefined),
            None => self.host.call(name, args),
        }
    }
}

/// The callbacks every isolate's shim uses.
pub(crate) static CALLBACKS: ffi::MotuCallbacks = ffi::MotuCallbacks {
    op,
    resolve,
    source,
    store_cache,
    chunk,
};

/// Text from the shim (lossy if it is not UTF-8, which the shim avoids).
///
/// # Safety
/// As for [`MotuBytes::as_slice`].
unsafe fn text<'a>(bytes: MotuBytes) -> Cow<'a, str> {
    // SAFETY: promised by the caller.
    String::from_utf8_lossy(unsafe { bytes.as_slice() })
}

/// The embedder behind the shim's pointer.
///
/// # Safety
/// `embedder` must be the pointer an isolate was created with, while the
/// isolate lives.
unsafe fn embedder<'a>(embedder: *mut c_void) -> &'a Embedder {
    // SAFETY: promised by the caller; only shared references are made.
    unsafe { &*(embedder as *const Embedder) }
}

unsafe extern "C" fn op(
    embedder_ptr: *mut c_void,
    name: MotuBytes,
    args: MotuBytes,
    is_async: c_int,
    op_id: u64,
    reply: *mut MotuReply,
) -> c_int {
    // SAFETY: the shim passes the isolate's embedder and bytes valid for
    // this call, and a reply to fill.
    let (embedder, name, args, reply) = unsafe {
        (
            embedder(embedder_ptr),
            text(name),
            args.as_slice(),
            &mut *reply,
        )
    };
    let op_id = (is_async != 0).then_some(op_id);
    // SAFETY: `args` are this op call's, as the shim passes them.
    let result = catch_unwind(AssertUnwindSafe(|| unsafe {
        embedder.run_op(&name, args, op_id)
    }))
    .unwrap_or_else(|_| {
        Err(JsError::new(
            "Error",
            format!("the host failed in op '{name}'"),
        ))
    });
    let mut buf = embedder.reply();
    match result {
        Ok(value) => {
            if op_id.is_none() {
                codec::encode(&value, &mut buf);
            }
            reply.value = MotuBytes::of(&buf);
            ffi::MOTU_OK
        }
        Err(error) => {
            buf.extend_from_slice(error.name.as_bytes());
            buf.extend_from_slice(error.message.as_bytes());
            let (name, message) = buf.split_at(error.name.len());
            reply.name = MotuBytes::of(name);
            reply.message = MotuBytes::of(message);
            ffi::MOTU_EXCEPTION
        }
    }
}

unsafe extern "C" fn resolve(
    embedder_ptr: *mut c_void,
    referrer: MotuBytes,
    specifier: MotuBytes,
    out: *mut MotuBytes,
) -> c_int {
    // SAFETY: as for `op`.
    let (embedder, referrer, specifier, out) = unsafe {
        (
            embedder(embedder_ptr),
            text(referrer),
            text(specifier),
            &mut *out,
        )
    };
    let modules = embedder.modules.borrow().clone();
    let resolved = catch_unwind(AssertUnwindSafe(|| match modules {
        Some(modules) => modules.resolve(&referrer, &specifier),
        None => resolve_specifier(&referrer, &specifier),
    }))
    .unwrap_or_else(|_| Err(format!("resolving '{specifier}' from '{referrer}' failed")));
    let (status, answer) = match resolved {
        Ok(name) => (ffi::MOTU_OK, name),
        Err(message) => (ffi::MOTU_EXCEPTION, message),
    };
    let mut buf = embedder.reply();
    buf.extend_from_slice(answer.as_bytes());
    *out = MotuBytes::of(&buf);
    status
}

unsafe extern "C" fn source(
    embedder_ptr: *mut c_void,
    name: MotuBytes,
    code: *mut MotuCode,
) -> c_int {
    // SAFETY: as for `op`.
    let (embedder, name, code) = unsafe { (embedder(embedder_ptr), text(name), &mut *code) };
    let modules = embedder.modules.borrow().clone();
    let found = catch_unwind(AssertUnwindSafe(|| modules?.source(&name)));
    match found {
        Ok(Some(source)) => {
            *code = embedder.lend(CodeKind::Module, &name, source);
            ffi::MOTU_OK
        }
        _ => ffi::MOTU_EXCEPTION,
    }
}

unsafe extern "C" fn store_cache(
    embedder_ptr: *mut c_void,
    token: u64,
    kind: c_int,
    cache: MotuBytes,
) {
    // SAFETY: as for `op`.
    let (embedder, cache) = unsafe { (embedder(embedder_ptr), cache.as_slice()) };
    let kind = match kind {
        ffi::MOTU_SCRIPT => CodeKind::Script,
        ffi::MOTU_MODULE => CodeKind::Module,
        _ => return,
    };
    embedder.store(token, kind, cache);
}

unsafe extern "C" fn chunk(embedder_ptr: *mut c_void, index: u32, code: *mut MotuCode) -> c_int {
    // SAFETY: as for `op`.
    let (embedder, code) = unsafe { (embedder(embedder_ptr), &mut *code) };
    let Some(chunk) = usize::try_from(index)
        .ok()
        .and_then(|i| embedder.chunks.get(i))
    else {
        return ffi::MOTU_EXCEPTION;
    };
    *code = embedder.lend(CodeKind::Script, &chunk.name, chunk.source.clone());
    ffi::MOTU_OK
}
