//! The C interface of the shim (`shim/motu_v8.h`).

use std::ffi::{c_char, c_int, c_void};

/// An isolate of the shim.
#[repr(C)]
pub(crate) struct MotuIsolate {
    _private: [u8; 0],
}

/// An interrupt handle of the shim.
#[repr(C)]
pub(crate) struct MotuInterrupt {
    _private: [u8; 0],
}

/// Bytes the shim hands over; freed with [`motu_v8_buf_free`].
#[repr(C)]
pub(crate) struct MotuBuf {
    pub(crate) data: *mut u8,
    pub(crate) len: usize,
}

impl MotuBuf {
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

pub(crate) const MOTU_OK: c_int = 0;
pub(crate) const MOTU_EXCEPTION: c_int = 1;
pub(crate) const MOTU_TERMINATED: c_int = 2;
pub(crate) const MOTU_OUT_OF_MEMORY: c_int = 3;

pub(crate) type OpFn = unsafe extern "C" fn(
    host: *mut c_void,
    op: *const c_char,
    op_len: usize,
    args: *const u8,
    args_len: usize,
    is_async: c_int,
    op_id: u64,
    out: *mut c_void,
) -> c_int;

pub(crate) type ResolveFn = unsafe extern "C" fn(
    loader: *mut c_void,
    referrer: *const c_char,
    referrer_len: usize,
    specifier: *const c_char,
    specifier_len: usize,
    out: *mut c_void,
) -> c_int;

pub(crate) type SourceFn = unsafe extern "C" fn(
    loader: *mut c_void,
    name: *const c_char,
    name_len: usize,
    out: *mut c_void,
) -> c_int;

unsafe extern "C" {
    pub(crate) fn motu_v8_out_write(out: *mut c_void, data: *const u8, len: usize);
    pub(crate) fn motu_v8_buf_free(buf: MotuBuf);
    pub(crate) fn motu_v8_isolate_new(
        heap_limit: usize,
        allow_code_generation: c_int,
        host: *mut c_void,
        op: OpFn,
        prelude: *const c_char,
        prelude_len: usize,
        prelude_name: *const c_char,
        prelude_name_len: usize,
        status: *mut c_int,
        error: *mut MotuBuf,
    ) -> *mut MotuIsolate;
    pub(crate) fn motu_v8_isolate_free(isolate: *mut MotuIsolate);
    pub(crate) fn motu_v8_eval_script(
        isolate: *mut MotuIsolate,
        name: *const c_char,
        name_len: usize,
        src: *const c_char,
        src_len: usize,
        error: *mut MotuBuf,
    ) -> c_int;
    pub(crate) fn motu_v8_load_module(
        isolate: *mut MotuIsolate,
        name: *const c_char,
        name_len: usize,
        src: *const c_char,
        src_len: usize,
        loader: *mut c_void,
        resolve: ResolveFn,
        source: SourceFn,
        error: *mut MotuBuf,
    ) -> c_int;
    pub(crate) fn motu_v8_dispatch(
        isolate: *mut MotuIsolate,
        id: u64,
        event: *const u8,
        event_len: usize,
        error: *mut MotuBuf,
    ) -> c_int;
    pub(crate) fn motu_v8_settle(
        isolate: *mut MotuIsolate,
        op_id: u64,
        ok: c_int,
        value: *const u8,
        value_len: usize,
        error: *mut MotuBuf,
    ) -> c_int;
    pub(crate) fn motu_v8_run_microtasks(isolate: *mut MotuIsolate, error: *mut MotuBuf) -> c_int;
    pub(crate) fn motu_v8_heap_stats(
        isolate: *mut MotuIsolate,
        used: *mut usize,
        total: *mut usize,
        limit: *mut usize,
    );
    pub(crate) fn motu_v8_interrupt_new(isolate: *mut MotuIsolate) -> *mut MotuInterrupt;
    pub(crate) fn motu_v8_interrupt_terminate(interrupt: *mut MotuInterrupt);
    pub(crate) fn motu_v8_interrupt_free(interrupt: *mut MotuInterrupt);
}
