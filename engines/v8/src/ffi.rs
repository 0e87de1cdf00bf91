//! The C interface of the shim, as declared in `shim/motu_v8.h`.

use std::ffi::{c_int, c_void};
use std::marker::{PhantomData, PhantomPinned};

/// An isolate of the shim (opaque; neither `Send` nor `Sync`).
#[repr(C)]
pub(crate) struct MotuIsolate {
    _private: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// Borrowed bytes: valid for one call, or, when Rust answers a callback,
/// until the next callback of the same isolate.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct MotuBytes {
    pub(crate) data: *const u8,
    pub(crate) len: usize,
}

impl MotuBytes {
    /// No bytes.
    pub(crate) const EMPTY: Self = Self {
        data: std::ptr::null(),
        len: 0,
    };

    /// Borrows a slice (the caller keeps it alive while the shim may read).
    pub(crate) fn of(bytes: &[u8]) -> Self {
        Self {
            data: bytes.as_ptr(),
            len: bytes.len(),
        }
    }

    /// The bytes.
    ///
    /// # Safety
    /// `data` must point at `len` readable bytes that stay valid for `'a`,
    /// or `len` must be 0.
    pub(crate) unsafe fn as_slice<'a>(self) -> &'a [u8] {
        if self.len == 0 {
            &[]
        } else {
            // SAFETY: promised by the caller.
            unsafe { std::slice::from_raw_parts(self.data, self.len) }
        }
    }
}

/// Bytes the shim allocated; [`MotuBuf::take`] copies and frees them.
#[repr(C)]
pub(crate) struct MotuBuf {
    data: *mut u8,
    len: usize,
}

impl MotuBuf {
    /// No bytes, for the shim to fill.
    pub(crate) fn empty() -> Self {
        Self {
            data: std::ptr::null_mut(),
            len: 0,
        }
    }

    /// Copies the bytes out and frees the buffer.
    pub(crate) fn take(self) -> Vec<u8> {
        if self.data.is_null() {
            return Vec::new();
        }
        // SAFETY: the shim allocated `len` bytes at `data`.
        let bytes = unsafe { std::slice::from_raw_parts(self.data, self.len) }.to_vec();
        // SAFETY: freed once, by the shim's allocator.
        unsafe { motu_v8_buf_free(self) };
        bytes
    }
}

/// A piece of code to compile (see `MotuCode` in the header). Token 0
/// asks for no code cache.
#[repr(C)]
pub(crate) struct MotuCode {
    pub(crate) name: MotuBytes,
    pub(crate) source: MotuBytes,
    pub(crate) cache: MotuBytes,
    pub(crate) token: u64,
}

/// The answer to an op.
#[repr(C)]
pub(crate) struct MotuReply {
    pub(crate) value: MotuBytes,
    pub(crate) name: MotuBytes,
    pub(crate) message: MotuBytes,
}

/// What the shim calls back, with the embedder pointer given at creation.
#[repr(C)]
pub(crate) struct MotuCallbacks {
    pub(crate) op: unsafe extern "C" fn(
        embedder: *mut c_void,
        name: MotuBytes,
        args: MotuBytes,
        is_async: c_int,
        op_id: u64,
        reply: *mut MotuReply,
    ) -> c_int,
    pub(crate) resolve: unsafe extern "C" fn(
        embedder: *mut c_void,
        referrer: MotuBytes,
        specifier: MotuBytes,
        out: *mut MotuBytes,
    ) -> c_int,
    pub(crate) source:
        unsafe extern "C" fn(embedder: *mut c_void, name: MotuBytes, code: *mut MotuCode) -> c_int,
    pub(crate) store_cache:
        unsafe extern "C" fn(embedder: *mut c_void, token: u64, kind: c_int, cache: MotuBytes),
    pub(crate) chunk:
        unsafe extern "C" fn(embedder: *mut c_void, index: u32, code: *mut MotuCode) -> c_int,
}

/// How to make an isolate.
#[repr(C)]
pub(crate) struct MotuIsolateOptions {
    pub(crate) heap_limit: usize,
    pub(crate) allow_code_generation: c_int,
    pub(crate) op_sync: MotuBytes,
    pub(crate) op_async: MotuBytes,
    pub(crate) op_load: MotuBytes,
    pub(crate) hook_dispatch: MotuBytes,
    pub(crate) hook_register_module: MotuBytes,
}

pub(crate) const MOTU_OK: c_int = 0;
pub(crate) const MOTU_EXCEPTION: c_int = 1;
pub(crate) const MOTU_TERMINATED: c_int = 2;
pub(crate) const MOTU_OUT_OF_MEMORY: c_int = 3;
pub(crate) const MOTU_FATAL: c_int = 4;

pub(crate) const MOTU_SCRIPT: c_int = 0;
pub(crate) const MOTU_MODULE: c_int = 1;

unsafe extern "C" {
    pub(crate) fn motu_v8_buf_free(buf: MotuBuf);
    pub(crate) fn motu_v8_isolate_new(
        options: *const MotuIsolateOptions,
        callbacks: *const MotuCallbacks,
        embedder: *mut c_void,
        prelude: *const MotuCode,
        status: *mut c_int,
        error: *mut MotuBuf,
    ) -> *mut MotuIsolate;
    pub(crate) fn motu_v8_isolate_free(isolate: *mut MotuIsolate);
    pub(crate) fn motu_v8_run_script(
        isolate: *mut MotuIsolate,
        code: *const MotuCode,
        error: *mut MotuBuf,
    ) -> c_int;
    pub(crate) fn motu_v8_run_module(
        isolate: *mut MotuIsolate,
        code: *const MotuCode,
        error: *mut MotuBuf,
    ) -> c_int;
    pub(crate) fn motu_v8_dispatch(
        isolate: *mut MotuIsolate,
        id: u64,
        event: MotuBytes,
        error: *mut MotuBuf,
    ) -> c_int;
    pub(crate) fn motu_v8_resolve(
        isolate: *mut MotuIsolate,
        op_id: u64,
        value: MotuBytes,
        error: *mut MotuBuf,
    ) -> c_int;
    pub(crate) fn motu_v8_reject(
        isolate: *mut MotuIsolate,
        op_id: u64,
        name: MotuBytes,
        message: MotuBytes,
        error: *mut MotuBuf,
    ) -> c_int;
    pub(crate) fn motu_v8_run_microtasks(isolate: *mut MotuIsolate, error: *mut MotuBuf) -> c_int;
    pub(crate) fn motu_v8_refresh_caches(
        isolate: *mut MotuIsolate,
        tokens: *const u64,
        count: usize,
        error: *mut MotuBuf,
    ) -> c_int;
    pub(crate) fn motu_v8_heap_stats(
        isolate: *mut MotuIsolate,
        used: *mut usize,
        total: *mut usize,
        limit: *mut usize,
    );
    pub(crate) fn motu_v8_terminate(isolate: *mut MotuIsolate);
}
