//! The C interface of the shim, as declared in `shim/motu_v8.h`. Its
//! functions are called through pointers into the shim that `shim` loads.

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
    /// 1: `source` is ASCII and stays valid until the isolate is freed.
    pub(crate) source_kept: c_int,
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
    pub(crate) hook_start: MotuBytes,
    pub(crate) async_context_get: MotuBytes,
    pub(crate) async_context_set: MotuBytes,
}

pub(crate) const MOTU_OK: c_int = 0;
pub(crate) const MOTU_EXCEPTION: c_int = 1;
pub(crate) const MOTU_TERMINATED: c_int = 2;
pub(crate) const MOTU_OUT_OF_MEMORY: c_int = 3;
pub(crate) const MOTU_FATAL: c_int = 4;

pub(crate) const MOTU_SCRIPT: c_int = 0;
pub(crate) const MOTU_MODULE: c_int = 1;

/// Declares the shim's C functions: the table [`ShimFunctions`] that
/// `shim::load` fills with `dlsym`, and one `extern "C"` function per entry
/// that calls through it (so callers use them as if they were linked).
macro_rules! shim_functions {
    ($(fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;)*) => {
        /// The shim's functions, looked up in the loaded shared object.
        pub(crate) struct ShimFunctions {
            $($name: unsafe extern "C" fn($($ty),*) $(-> $ret)?,)*
        }

        impl ShimFunctions {
            /// Looks every function up; the error is the missing name.
            ///
            /// # Safety
            /// `handle` must be a live `dlopen` handle of the shim.
            pub(crate) unsafe fn lookup(handle: *mut c_void) -> Result<Self, String> {
                Ok(Self {
                    $($name: {
                        // SAFETY: a live handle, promised by the caller.
                        let address = unsafe {
                            crate::shim::symbol(handle, concat!(stringify!($name), "\0"))
                        }?;
                        // SAFETY: the shim defines this symbol as a function
                        // of this C signature (`shim/motu_v8.h`).
                        unsafe {
                            std::mem::transmute::<
                                *mut c_void,
                                unsafe extern "C" fn($($ty),*) $(-> $ret)?,
                            >(address)
                        }
                    },)*
                })
            }
        }

        $(
            /// Calls the shim's function of this name (see `shim/motu_v8.h`).
            ///
            /// # Safety
            /// The shim must be loaded, and the C function's contract holds.
            pub(crate) unsafe extern "C" fn $name($($arg: $ty),*) $(-> $ret)? {
                // SAFETY: promised by the caller.
                unsafe { (crate::shim::functions().$name)($($arg),*) }
            }
        )*
    };
}

shim_functions! {
    fn motu_v8_buf_free(buf: MotuBuf);
    fn motu_v8_isolate_new(options: *const MotuIsolateOptions, callbacks: *const MotuCallbacks, embedder: *mut c_void, prelude: *const MotuCode, status: *mut c_int, error: *mut MotuBuf) -> *mut MotuIsolate;
    fn motu_v8_isolate_free(isolate: *mut MotuIsolate);
    fn motu_v8_run_script(isolate: *mut MotuIsolate, code: *const MotuCode, error: *mut MotuBuf) -> c_int;
    fn motu_v8_run_module(isolate: *mut MotuIsolate, code: *const MotuCode, error: *mut MotuBuf) -> c_int;
    fn motu_v8_dispatch(isolate: *mut MotuIsolate, id: u64, event: MotuBytes, error: *mut MotuBuf) -> c_int;
    fn motu_v8_dispatch_turn(isolate: *mut MotuIsolate, id: u64, event: MotuBytes, error: *mut MotuBuf) -> c_int;
    fn motu_v8_resolve(isolate: *mut MotuIsolate, op_id: u64, value: MotuBytes, error: *mut MotuBuf) -> c_int;
    fn motu_v8_reject(isolate: *mut MotuIsolate, op_id: u64, name: MotuBytes, message: MotuBytes, error: *mut MotuBuf) -> c_int;
    fn motu_v8_run_microtasks(isolate: *mut MotuIsolate, error: *mut MotuBuf) -> c_int;
    fn motu_v8_refresh_caches(isolate: *mut MotuIsolate, tokens: *const u64, count: usize, error: *mut MotuBuf) -> c_int;
    fn motu_v8_isolate_from_snapshot(isolate: *mut MotuIsolate) -> c_int;
    fn motu_v8_heap_stats(isolate: *mut MotuIsolate, used: *mut usize, total: *mut usize, limit: *mut usize, footprint: *mut usize, young: *mut usize);
    fn motu_v8_collect_garbage(isolate: *mut MotuIsolate);
    fn motu_v8_terminate(isolate: *mut MotuIsolate);
}
