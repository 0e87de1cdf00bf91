// The C interface of motu's V8 shim (its Rust side is src/ffi.rs).
//
// Values cross as bytes in the tagged encoding of codec.cc (mirrored by
// src/codec.rs); errors leave the shim as an encoded map
// { name, message, stack }. Strings are UTF-8 (pointer, length) pairs.
//
// Every function that takes a MotuIsolate* must be called on the thread
// that created the isolate, except motu_v8_terminate (any thread, as long
// as the isolate has not been freed).
#ifndef MOTU_V8_H
#define MOTU_V8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct MotuIsolate MotuIsolate;

// Outcome of a call that may run JavaScript.
enum {
  MOTU_OK = 0,
  MOTU_EXCEPTION = 1,      // *error holds the encoded { name, message, stack }
  MOTU_TERMINATED = 2,     // motu_v8_terminate stopped it; the isolate is usable
  MOTU_OUT_OF_MEMORY = 3,  // the isolate reached its limit; do not use it again
  MOTU_FATAL = 4,          // V8 reported a fatal error; *error holds its message
};

// What a piece of code is compiled as.
enum {
  MOTU_SCRIPT = 0,
  MOTU_MODULE = 1,
};

// Bytes borrowed from the caller for the duration of a call (or, when Rust
// answers a callback, until the next callback of the same isolate).
typedef struct MotuBytes {
  const uint8_t* data;
  size_t len;
} MotuBytes;

// Bytes the shim allocated (malloc); free them with motu_v8_buf_free.
typedef struct MotuBuf {
  uint8_t* data;
  size_t len;
} MotuBuf;

// A piece of code: its name (the resource name stack traces show), its
// source, V8 code cache from an earlier compile of the same source (may be
// empty), and the embedder's token for it, handed back to store_cache with
// fresh code cache. Token 0: the embedder wants no code cache. Tokens are
// valid until the call that lent the code returns, and those lent before
// the first motu_v8_refresh_caches until then. `source_kept` 1: the source
// is ASCII and its bytes stay valid and unchanged until the isolate is
// freed, so the shim may have V8 read them where they are instead of
// copying them into the isolate's heap.
typedef struct MotuCode {
  MotuBytes name;
  MotuBytes source;
  MotuBytes cache;
  uint64_t token;
  int source_kept;
} MotuCode;

// The answer to an op: on MOTU_OK `value` holds the encoded result; on
// MOTU_EXCEPTION `name` and `message` describe the error to throw.
typedef struct MotuReply {
  MotuBytes value;
  MotuBytes name;
  MotuBytes message;
} MotuReply;

// What the shim calls back. `embedder` is the pointer given at creation.
typedef struct MotuCallbacks {
  // An op: `__motu_op(name, ...args)` (is_async 0) or
  // `__motu_op_async(name, ...args)` (is_async 1, settled later through
  // motu_v8_resolve / motu_v8_reject with `op_id`). `args` is an encoded
  // list. Returns MOTU_OK or MOTU_EXCEPTION and fills `reply`.
  int (*op)(void* embedder, MotuBytes name, MotuBytes args, int is_async, uint64_t op_id,
            MotuReply* reply);
  // Resolves `specifier` imported by `referrer`: MOTU_OK with the module's
  // name in `out`, or MOTU_EXCEPTION with an error message in `out`.
  int (*resolve)(void* embedder, MotuBytes referrer, MotuBytes specifier, MotuBytes* out);
  // The module named `name`: MOTU_OK with `code` filled, or MOTU_EXCEPTION
  // when there is no such module.
  int (*source)(void* embedder, MotuBytes name, MotuCode* code);
  // Code cache for the code the embedder lent as `token` (kind MOTU_SCRIPT
  // or MOTU_MODULE), produced after it ran. Copy it; it is freed after.
  void (*store_cache)(void* embedder, uint64_t token, int kind, MotuBytes cache);
  // Prelude chunk `index` (see motu_engine::contract::OP_LOAD): MOTU_OK with
  // `code` filled (a classic script), or MOTU_EXCEPTION when there is none.
  int (*chunk)(void* embedder, uint32_t index, MotuCode* code);
} MotuCallbacks;

// How to make an isolate.
typedef struct MotuIsolateOptions {
  // Heap limit in bytes (0: V8's default). ArrayBuffer contents are capped
  // at the same number of bytes.
  size_t heap_limit;
  // Whether eval and new Function may compile code from strings.
  int allow_code_generation;
  // The global names of the op functions, and the names of the prelude's
  // hooks (see motu_engine::contract). `op_load` evaluates a prelude chunk
  // (from the chunk callback) and returns its completion value.
  MotuBytes op_sync;
  MotuBytes op_async;
  MotuBytes op_load;
  MotuBytes hook_dispatch;
  MotuBytes hook_register_module;
  // The prelude's optional hook called once the isolate is made (after the
  // prelude, or after its context came from a startup snapshot).
  MotuBytes hook_start;
  // The global names of the async context functions (see
  // motu_engine::contract and async_context.cc).
  MotuBytes async_context_get;
  MotuBytes async_context_set;
} MotuIsolateOptions;

void motu_v8_buf_free(MotuBuf buf);

// Creates an isolate with one context, installs the op functions and
// evaluates the prelude, keeping its hooks. `callbacks` must outlive the
// isolate. Returns null on failure, with *status and *error set.
MotuIsolate* motu_v8_isolate_new(const MotuIsolateOptions* options,
                                 const MotuCallbacks* callbacks, void* embedder,
                                 const MotuCode* prelude, int* status, MotuBuf* error);
void motu_v8_isolate_free(MotuIsolate* isolate);

// Runs a classic script.
int motu_v8_run_script(MotuIsolate* isolate, const MotuCode* code, MotuBuf* error);
// Loads a module and what it imports, evaluates it (running microtasks for
// its top-level await) and hands its namespace to the registerModule hook.
int motu_v8_run_module(MotuIsolate* isolate, const MotuCode* code, MotuBuf* error);
// Calls the dispatch hook with (id, decoded event).
int motu_v8_dispatch(MotuIsolate* isolate, uint64_t id, MotuBytes event, MotuBuf* error);
// motu_v8_dispatch, then (when it ended without an exception or a stop)
// motu_v8_run_microtasks, in one entry into the isolate: a whole turn.
int motu_v8_dispatch_turn(MotuIsolate* isolate, uint64_t id, MotuBytes event, MotuBuf* error);
// Settles the promise of async op `op_id`; unknown ids are ignored.
int motu_v8_resolve(MotuIsolate* isolate, uint64_t op_id, MotuBytes value, MotuBuf* error);
int motu_v8_reject(MotuIsolate* isolate, uint64_t op_id, MotuBytes name, MotuBytes message,
                   MotuBuf* error);
// Runs promise jobs until none is left, then the tasks V8 posted for the
// isolate (garbage collection steps, FinalizationRegistry cleanups) that
// are due, with the promise jobs they queue.
int motu_v8_run_microtasks(MotuIsolate* isolate, MotuBuf* error);

// Makes code cache again for the code lent (with these tokens) before this
// call, and hands it to store_cache; called once, after the isolate served
// its first event, so that the cache covers the functions serving it
// compiled. The isolate keeps nothing for this afterwards.
int motu_v8_refresh_caches(MotuIsolate* isolate, const uint64_t* tokens, size_t count,
                           MotuBuf* error);

// Whether the isolate's context came from a startup snapshot of its
// prelude (1) rather than from evaluating the prelude in it (0).
int motu_v8_isolate_from_snapshot(MotuIsolate* isolate);

void motu_v8_heap_stats(MotuIsolate* isolate, size_t* used, size_t* total, size_t* limit,
                        size_t* footprint, size_t* young);

// Collects all the garbage it can now (a full collection): the runtime
// calls it for an isolate that has gone quiet. Does nothing to an isolate
// that is dead or out of memory.
void motu_v8_collect_garbage(MotuIsolate* isolate);

// Stops the isolate's running JavaScript, or the next that starts. Safe
// from any thread while the isolate exists.
void motu_v8_terminate(MotuIsolate* isolate);

#ifdef __cplusplus
}
#endif

#endif
