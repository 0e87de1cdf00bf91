// Shared internals of the shim.
#ifndef MOTU_V8_INTERNAL_H
#define MOTU_V8_INTERNAL_H

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <v8.h>

#include "motu_v8.h"

// What an interrupt handle shares with its isolate; outlives it.
struct MotuInterruptState {
  std::mutex mutex;
  v8::Isolate* isolate;  // null once the isolate is gone
};

struct MotuInterrupt {
  std::shared_ptr<MotuInterruptState> state;
};

struct MotuIsolate {
  v8::Isolate* isolate = nullptr;
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator;
  v8::Global<v8::Context> context;
  v8::Global<v8::Function> dispatch;
  v8::Global<v8::Function> register_module;
  void* host = nullptr;
  motu_op_fn op = nullptr;
  uint64_t next_op = 1;
  std::unordered_map<uint64_t, v8::Global<v8::Promise::Resolver>> pending;
  std::shared_ptr<MotuInterruptState> interrupt;
  bool out_of_memory = false;
  // Module loading, valid during motu_v8_load_module only.
  void* loader = nullptr;
  motu_resolve_fn resolve = nullptr;
  motu_source_fn source = nullptr;
  std::vector<std::pair<std::string, v8::Global<v8::Module>>> modules;
};

// Drops a result V8 marks as must-use where its failure is already
// observed through the surrounding TryCatch.
template <typename T>
inline void motu_ignore(T&&) {}

// codec.cc
void motu_encode(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::Local<v8::Value> v,
                 std::string& out, int depth);
bool motu_decode(v8::Isolate* iso, v8::Local<v8::Context> ctx, const uint8_t*& p,
                 const uint8_t* end, v8::Local<v8::Value>* out);
void motu_encode_error(const std::string& name, const std::string& message,
                       const std::string& stack, std::string& out);

void motu_encode_args(const v8::FunctionCallbackInfo<v8::Value>& info, int from,
                      std::string& out);

// errors.cc
v8::Local<v8::Value> motu_make_error(v8::Isolate* iso, v8::Local<v8::Context> ctx,
                                     const uint8_t* encoded, size_t len);
void motu_describe_exception(v8::Isolate* iso, v8::Local<v8::Context> ctx,
                             v8::Local<v8::Value> exception, std::string& out);
MotuBuf motu_to_buf(const std::string& s);
std::string motu_utf8(v8::Isolate* iso, v8::Local<v8::Value> v);

// isolate.cc
int motu_finish(MotuIsolate* m, v8::TryCatch& tc, v8::Local<v8::Context> ctx, MotuBuf* error);

// modules.cc
int motu_load_module(MotuIsolate* m, v8::Local<v8::Context> ctx, const std::string& name,
                     const char* src, size_t src_len, MotuBuf* error);

#endif
