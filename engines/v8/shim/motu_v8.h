// The C interface of motu's V8 shim. Everything crosses as plain bytes:
// values in the tagged encoding of codec.cc (mirrored by src/codec.rs),
// errors as an encoded map { name, message, stack }.
#ifndef MOTU_V8_H
#define MOTU_V8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct MotuIsolate MotuIsolate;
typedef struct MotuInterrupt MotuInterrupt;

// Outcome of a call that runs JavaScript.
enum {
  MOTU_OK = 0,
  MOTU_EXCEPTION = 1,   // *out holds the encoded error
  MOTU_TERMINATED = 2,
  MOTU_OUT_OF_MEMORY = 3,
};

// Bytes handed from the shim to Rust; free with motu_v8_buf_free.
typedef struct MotuBuf {
  uint8_t* data;
  size_t len;
} MotuBuf;

// A growable byte string owned by the shim that Rust fills (opaque).
typedef void MotuOut;

// Called for an op. `args` is an encoded list. For a sync op (is_async 0)
// the callee writes the encoded result (status 0) or the encoded error
// (status 1) into `out`; for an async op it starts the work and the result
// arrives later through motu_v8_settle(op_id).
typedef int (*motu_op_fn)(void* host, const char* op, size_t op_len, const uint8_t* args,
                          size_t args_len, int is_async, uint64_t op_id, MotuOut* out);

// Resolves `specifier` imported by `referrer` into a module name (status 0)
// or an error message (status 1), written to `out`.
typedef int (*motu_resolve_fn)(void* loader, const char* referrer, size_t referrer_len,
                               const char* specifier, size_t specifier_len, MotuOut* out);

// Writes the source of module `name` to `out` (status 0), or status 1.
typedef int (*motu_source_fn)(void* loader, const char* name, size_t name_len, MotuOut* out);

void motu_v8_out_write(MotuOut* out, const uint8_t* data, size_t len);
void motu_v8_buf_free(MotuBuf buf);

// Creates an isolate, installs the op functions and evaluates the prelude.
MotuIsolate* motu_v8_isolate_new(size_t heap_limit, int allow_code_generation, void* host,
                                 motu_op_fn op, const char* prelude, size_t prelude_len,
                                 const char* prelude_name, size_t prelude_name_len,
                                 int* status, MotuBuf* error);
void motu_v8_isolate_free(MotuIsolate* isolate);

int motu_v8_eval_script(MotuIsolate* isolate, const char* name, size_t name_len, const char* src,
                        size_t src_len, MotuBuf* error);
int motu_v8_load_module(MotuIsolate* isolate, const char* name, size_t name_len, const char* src,
                        size_t src_len, void* loader, motu_resolve_fn resolve,
                        motu_source_fn source, MotuBuf* error);
int motu_v8_dispatch(MotuIsolate* isolate, uint64_t id, const uint8_t* event, size_t event_len,
                     MotuBuf* error);
int motu_v8_settle(MotuIsolate* isolate, uint64_t op_id, int ok, const uint8_t* value,
                   size_t value_len, MotuBuf* error);
int motu_v8_run_microtasks(MotuIsolate* isolate, MotuBuf* error);
void motu_v8_heap_stats(MotuIsolate* isolate, size_t* used, size_t* total, size_t* limit);

MotuInterrupt* motu_v8_interrupt_new(MotuIsolate* isolate);
void motu_v8_interrupt_terminate(MotuInterrupt* interrupt);
void motu_v8_interrupt_free(MotuInterrupt* interrupt);

#ifdef __cplusplus
}
#endif

#endif
