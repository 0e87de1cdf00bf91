// Shared internals of the shim.
//
// Files, by job:
//   platform.cc  V8's process-wide start and platform, V8's tasks, fatal-error reports
//   isolate.cc   creating and freeing isolates, the prelude, interrupts
//   snapshot.cc  startup snapshots of a context with the prelude evaluated
//   memory.cc    the heap limit and the counting ArrayBuffer allocator
//   pages.cc     V8's page allocator, memory faulted in ahead for a large object
//   calls.cc     entering an isolate for one call and reporting its outcome
//   compile.cc   compiling scripts and modules through the code cache
//   modules.cc   module graphs, static and dynamic imports
//   ops.cc       the op functions and settling async ops' promises
//   codec.cc     the value encoding
//   encode.cc    UTF-8 encoding of long strings, in slices
//   errors.cc    exceptions described for Rust, errors thrown into JavaScript
#ifndef MOTU_V8_INTERNAL_H
#define MOTU_V8_INTERNAL_H

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <v8-platform.h>
#include <v8.h>

#include "motu_v8.h"

namespace motu {

// Drops a result V8 marks as must-use where its failure is observed
// otherwise (through the surrounding TryCatch).
template <typename T>
inline void discard(T&&) {}

// Backing stores of bytes an op call lends to Rust by address: they stay
// alive (even if Worker code detaches their buffer meanwhile) while held.
using Pins = std::vector<std::shared_ptr<v8::BackingStore>>;

// Counts the bytes of ArrayBuffer contents and refuses to pass a cap; a
// refusal marks the isolate out of memory. Free may run on V8's
// background threads, hence the atomic count.
class BufferAllocator final : public v8::ArrayBuffer::Allocator {
 public:
  BufferAllocator(MotuIsolate* owner, size_t cap) : owner_(owner), cap_(cap) {}
  void* Allocate(size_t length) override;
  void* AllocateUninitialized(size_t length) override;
  void Free(void* data, size_t length) override;
  // Bytes of ArrayBuffer contents allocated and not yet freed (counted only
  // under a cap).
  size_t in_use() const { return used_.load(std::memory_order_relaxed); }
  // Counts `length` bytes of memory that did not come from this allocator
  // (a host buffer an ArrayBuffer adopts), if they fit the cap (a refusal
  // marks the isolate out of memory, as Allocate's does).
  bool adopt(size_t length) { return reserve(length); }
  // Whether `length` more bytes would fit the cap now.
  bool fits(size_t length) const {
    size_t used = in_use();
    return cap_ == 0 || (used + length >= used && used + length <= cap_);
  }
  // Stops counting bytes counted by adopt.
  void release(size_t length) {
    if (cap_) used_.fetch_sub(length, std::memory_order_relaxed);
  }

 private:
  bool reserve(size_t length);
  MotuIsolate* owner_;
  size_t cap_;  // 0: no cap
  std::atomic<size_t> used_{0};
};

// A compiled module, by its resolved name.
struct ModuleRecord {
  std::string name;
  v8::Global<v8::Module> module;
  // Kept until the module has run and its code cache is stored.
  v8::Global<v8::UnboundModuleScript> unbound;
  uint64_t token = 0;
  bool needs_cache = false;
};

// Code whose code cache is to be made again once it served an event.
struct Refreshable {
  v8::Global<v8::UnboundScript> script;
  v8::Global<v8::UnboundModuleScript> module;
  uint64_t token = 0;
};

// A dynamic import() waiting for its promise job.
struct ImportJob {
  MotuIsolate* owner;
  std::string referrer;
  v8::Global<v8::String> specifier;
  v8::Global<v8::Promise::Resolver> resolver;
};

// The built-in error classes the shim throws its own errors as.
enum class ErrorClass { kError, kTypeError, kRangeError };

}  // namespace motu

struct MotuIsolate {
  v8::Isolate* isolate = nullptr;
  std::unique_ptr<motu::BufferAllocator> allocator;
  const MotuCallbacks* callbacks = nullptr;
  void* embedder = nullptr;
  v8::Global<v8::Context> context;
  v8::Global<v8::Function> dispatch;
  v8::Global<v8::Function> register_module;
  // The prelude's start hook, until it ran.
  v8::Global<v8::Function> start;
  // Whether the context came from a startup snapshot (snapshot.cc).
  bool from_snapshot = false;

  // Async ops waiting for motu_v8_resolve / motu_v8_reject.
  uint64_t next_op = 1;
  std::unordered_map<uint64_t, v8::Global<v8::Promise::Resolver>> pending;

  // Limits and failures.
  size_t encode_budget = 0;  // largest encoding of one value handed to Rust
  std::atomic<bool> out_of_memory{false};
  // Set by motu_v8_terminate, taken down once a call delivered the
  // termination (finish): long host work (the op functions, sliced
  // built-ins) stops early while it is up.
  std::atomic<bool> terminating{false};
  // A JavaScript function that does nothing: calling it makes V8 look for
  // interrupts, and so delivers a termination asked for (stops.cc).
  v8::Global<v8::Function> interrupt_check;
  // The arrays whose sliced join is under way, outermost first (slices.cc).
  std::vector<v8::Global<v8::Array>> joining;
  bool terminated = false;  // a promise job saw a termination it could not pass on
  std::string fatal;  // V8's fatal error message, once it reported one

  // The op functions' encoding buffer, reused from call to call.
  std::string scratch;

  // Modules by name, and by identity hash for finding a referrer's name.
  std::vector<std::unique_ptr<motu::ModuleRecord>> modules;
  std::unordered_map<std::string, motu::ModuleRecord*> modules_by_name;
  std::unordered_multimap<int, motu::ModuleRecord*> modules_by_hash;
  std::vector<motu::ModuleRecord*> compiled;  // in this call, see after_modules
  std::unordered_set<motu::ImportJob*> import_jobs;

  // Code compiled before the first event, for motu_v8_refresh_caches.
  bool keep_for_refresh = true;
  std::vector<motu::Refreshable> refreshable;
};

namespace motu {

// --- isolate.cc
// Installs the shim's functions in `ctx` (built-ins, stops, slices, ops,
// async context); false with an exception pending.
bool install_globals(MotuIsolate* m, v8::Local<v8::Context> ctx,
                     const MotuIsolateOptions& options);
// Keeps the prelude's hooks from its completion value `hooks` (the start
// hook until run_start); false when it lacks them.
bool take_hooks(MotuIsolate* m, v8::Local<v8::Context> ctx, v8::Local<v8::Value> hooks,
                const MotuIsolateOptions& options);
// Calls the prelude's start hook, if it has one, and forgets it; false
// with an exception pending.
bool run_start(MotuIsolate* m, v8::Local<v8::Context> ctx);

// --- snapshot.cc
// A startup snapshot: a context with the shim's globals installed and a
// prelude evaluated, which new isolates deserialize instead of building.
struct Snapshot {
  // What it was made for: the prelude's name, its source (kept here for
  // the process: V8 reads the source of the prelude's functions in place)
  // and the global names of the options.
  std::string key;
  std::string source;
  // The external string resource over `source`, when it is ASCII.
  std::unique_ptr<v8::String::ExternalOneByteStringResource> resource;
  // The native addresses the snapshot refers to by index, null-terminated.
  std::vector<intptr_t> references;
  // Every blob made, the current one last: an isolate made from an earlier
  // one may read it as long as it lives. Empty when the prelude cannot be
  // snapshotted.
  std::vector<std::unique_ptr<v8::StartupData>> blobs;
  // The length of the code cache the current blob's prelude was compiled
  // with (0: none), and whether the blob was made again with warmer cache.
  size_t cache_len = 0;
  bool remade = false;
};
// What the snapshot's context hands back, by index.
enum : size_t {
  kSnapshotDispatch,
  kSnapshotRegisterModule,
  kSnapshotInterruptCheck,
  kSnapshotFunctions,
  // The start hook, or undefined.
  kSnapshotStart = kSnapshotFunctions,
  // The prelude's UnboundScript, for its code cache.
  kSnapshotPrelude,
};
// The current blob of the snapshot for this prelude and these global
// names, made by the first call that asks for it, and its external
// references in *references; null when isolates are to be made without one
// (a prelude that cannot be snapshotted, or MOTU_V8_SNAPSHOT=0). Both stay
// valid for the process.
v8::StartupData* snapshot_for(const MotuIsolateOptions& options, const MotuCode& prelude,
                              const intptr_t** references);

// --- platform.cc
void ensure_platform();
// Runs the tasks V8 posted for the isolate's thread (garbage collection
// steps, FinalizationRegistry cleanups) that are due, each followed by the
// promise jobs it queued, until none is left, one fails or stops, or a
// bound is reached.
void run_tasks(MotuIsolate* m, v8::TryCatch& tc);
void install_failure_handlers(v8::Isolate* iso);
// Drops the platform's task queue of an isolate about to be disposed.
void forget_isolate(v8::Isolate* iso);

// --- pages.cc
// The page allocator motu's platform gives V8: `inner` (V8's default), but
// that a thread's PrefaultedPages serve its next allocation of their size.
v8::PageAllocator* wrap_page_allocator(v8::PageAllocator* inner);

// A region of memory for one large allocation the calling thread's isolate
// is about to make (of at least `min` and at most `size` bytes), faulted in
// by step() a part at a time, so that a termination can come between the
// parts; V8's next allocation of such a size on this thread takes it, and
// what is left untaken is released when this goes. One at a time per
// thread (a second one reserves nothing and is never taken).
class PrefaultedPages {
 public:
  PrefaultedPages(size_t min, size_t size);
  ~PrefaultedPages();
  PrefaultedPages(const PrefaultedPages&) = delete;
  PrefaultedPages& operator=(const PrefaultedPages&) = delete;
  // Faults in the next `bytes`; true once all of it is (or nothing was
  // reserved).
  bool step(size_t bytes);
  // Whether V8 took the region.
  bool taken() const { return taken_; }
  // For the page allocator: the region, if it fits `length` and
  // `alignment`, in the given access; null otherwise.
  void* take(size_t length, size_t alignment, v8::PageAllocator::Permission access);

 private:
  char* base_ = nullptr;
  size_t size_ = 0, min_ = 0, faulted_ = 0;
  bool taken_ = false;
};

// --- memory.cc
size_t near_heap_limit(void* data, size_t current, size_t initial);
// At most the young generation a 128 MiB heap gets (a scavenge's pause).
void cap_young_generation(v8::ResourceConstraints& constraints);
void mark_out_of_memory(MotuIsolate* m);

// --- calls.cc
// The isolate, a handle scope and the context, entered for one call.
struct Enter {
  explicit Enter(MotuIsolate* m);
  v8::Isolate::Scope isolate_scope;
  v8::HandleScope handle_scope;
  v8::Local<v8::Context> ctx;
  v8::Context::Scope context_scope;
};
// MOTU_OK unless the isolate is out of memory or dead (then *error is set).
int check_usable(MotuIsolate* m, MotuBuf* error);
// The outcome of a call that ran JavaScript under `tc`; cancels a
// termination so the isolate stays usable.
int finish(MotuIsolate* m, v8::TryCatch& tc, v8::Local<v8::Context> ctx, MotuBuf* error);
// An exception outcome with a message of the shim's own.
int fail(MotuBuf* error, const char* name, const std::string& message);
// Runs `body` (which returns a status) with C++ exceptions turned into
// outcomes, so none crosses into Rust.
template <typename F>
int guarded(MotuBuf* error, F&& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return MOTU_OUT_OF_MEMORY;
  } catch (...) {
    return fail(error, "Error", "the V8 shim failed unexpectedly");
  }
}

// --- compile.cc
v8::MaybeLocal<v8::Script> compile_script(MotuIsolate* m, v8::Local<v8::Context> ctx,
                                          const MotuCode& code, bool* needs_cache);
// After a script ran: stores its code cache if it was compiled without,
// and keeps it for the refresh.
void after_script(MotuIsolate* m, v8::Local<v8::Script> script, uint64_t token,
                  bool needs_cache);
v8::MaybeLocal<v8::Module> compile_module(MotuIsolate* m, const MotuCode& code,
                                          bool* needs_cache);
// After the modules compiled in this call ran (or failed to): stores the
// code cache of those compiled without, keeps them for the refresh, and
// forgets them; called before the call returns, as tokens are valid only
// until then.
void after_modules(MotuIsolate* m, bool ran);
// Stores fresh code cache for the kept code with these tokens, then keeps
// nothing more.
void refresh_caches(MotuIsolate* m, const uint64_t* tokens, size_t count);

// --- modules.cc
void install_module_hooks(v8::Isolate* iso);
int run_module(MotuIsolate* m, v8::Local<v8::Context> ctx, const MotuCode& code,
               MotuBuf* error);
void free_modules(MotuIsolate* m);

// The context's embedder data slots that hold what the shim's native
// functions call: the originals of the built-ins they wrap. A native
// function finds them in its context rather than in its own data, which
// must hold nothing of a context that is snapshotted: V8 keeps a function's
// data with its template in the isolate's part of a snapshot, so an object
// there would come back from another realm (another Array.prototype,
// another SyntaxError).
enum ContextSlot : int {
  kSlotJsonParse = 1,
  kSlotArraySort,
  kSlotArrayFill,
  kSlotArrayJoin,
  kSlotArraySlice,
  kSlotArrayPrototype,
  kSlotArrayBuffer,
  // The function sort.cc's `sort` hands long dense arrays to.
  kSlotArraySorter,
  // What json.cc's `JSON.parse` puts pieces together with, and what it
  // checks `concat` would read (the original `Array`, the getter of
  // `Array[Symbol.species]`, and `Symbol.species`).
  kSlotArrayConcat,
  kSlotArrayConstructor,
  kSlotArraySpecies,
  kSlotSpeciesSymbol,
};
// What slot `slot` of `ctx` holds.
inline v8::Local<v8::Value> slot_value(v8::Local<v8::Context> ctx, ContextSlot slot) {
  return ctx->GetEmbedderData(slot);
}

// The internalized string of `s`, a literal of the shim's (never fails).
inline v8::Local<v8::String> str(v8::Isolate* iso, const char* s) {
  return v8::String::NewFromUtf8(iso, s, v8::NewStringType::kInternalized).ToLocalChecked();
}

// `globalThis[global][name]` into *out; false when it could not be read.
inline bool property(v8::Local<v8::Context> ctx, const char* global, const char* name,
                     v8::Local<v8::Value>* out) {
  v8::Isolate* iso = ctx->GetIsolate();
  v8::Local<v8::Value> holder;
  return ctx->Global()->Get(ctx, str(iso, global)).ToLocal(&holder) && holder->IsObject() &&
         holder.As<v8::Object>()->Get(ctx, str(iso, name)).ToLocal(out);
}

// --- accessors.cc
// Installs `__motu_define_getter` (an own getter-only accessor, enumerable
// and not configurable, for Web IDL's unforgeable attributes).
bool install_accessors(v8::Local<v8::Context> ctx);
// Appends its native callback (for startup snapshots).
void add_accessor_references(std::vector<intptr_t>& refs);

// --- builtins.cc
// Installs the ECMAScript built-ins this V8 lacks (ArrayBuffer transfer,
// Error.isError).
bool install_builtins(v8::Local<v8::Context> ctx);
// Appends the native callbacks of the functions it installs (for startup
// snapshots, which refer to them by index).
void add_builtin_references(std::vector<intptr_t>& refs);

// --- stops.cc
// Once a termination is asked for (m->terminating), makes V8 deliver it:
// true, with the termination (or, if it was delivered and cancelled
// already, an error) pending, and the caller returns at once. False, at
// the cost of an atomic load, while none is.
bool stop_if_terminating(MotuIsolate* m, v8::Isolate* iso, v8::Local<v8::Context> ctx);
// Makes the function stop_if_terminating calls.
bool install_stops(MotuIsolate* m, v8::Local<v8::Context> ctx);
// Whether MOTU_V8_OWN_BUILTINS=1 (read once): `sort` and `JSON.parse` are
// then V8's own, in one go, for a benchmark to measure the slicing against.
bool own_builtins_only();
// The receiver of a built-in wrapped by a native function: V8 hands such a
// function the global object for `undefined` and `null`, which the
// original must see as `undefined` to throw its TypeError (so the wrapped
// built-ins treat the global object itself as `undefined`).
v8::Local<v8::Value> receiver(const v8::FunctionCallbackInfo<v8::Value>& info);

// --- slices.cc
// Puts built-ins V8 runs without interrupt checks (Array.prototype.fill
// and join) in slices that stop once a termination is asked for.
bool install_slices(v8::Local<v8::Context> ctx);
// Appends the native callbacks of the functions it installs (for startup
// snapshots, which refer to them by index).
void add_slice_references(std::vector<intptr_t>& refs);

// --- sort.cc
// Array.prototype.sort without a comparator, of long dense arrays, with
// the comparisons done natively in slices that stop once a termination is
// asked for; otherwise V8's own, with a termination delivered before and
// after it.
bool install_sort(v8::Local<v8::Context> ctx);
// Appends the native callbacks of the functions it installs (for startup
// snapshots, which refer to them by index).
void add_sort_references(std::vector<intptr_t>& refs);

// --- json.cc
// JSON.parse of long texts whose top level is an array, in slices that
// stop once a termination is asked for; otherwise V8's own, with a
// termination delivered before and after it. After install_slices.
bool install_json(v8::Local<v8::Context> ctx);
// Appends the native callbacks of the functions it installs (for startup
// snapshots, which refer to them by index).
void add_json_references(std::vector<intptr_t>& refs);

// --- encode.cc
// Strings of this many UTF-16 units or more take sliced_utf8_encode.
constexpr int kSlicedEncodeMin = 1 << 20;
// The `utf8_encode` op for a long string: its UTF-8 bytes as a Uint8Array
// in *out, made in slices with a termination delivered between two. False
// with an exception (or the termination) pending.
bool sliced_utf8_encode(MotuIsolate* m, v8::Isolate* iso, v8::Local<v8::Context> ctx,
                        v8::Local<v8::String> s, v8::Local<v8::Value>* out);

// --- ops.cc
// Installs the op functions and the chunk loader as globals under the names `options` gives.
bool install_ops(MotuIsolate* m, v8::Local<v8::Context> ctx, const MotuIsolateOptions& options);
// Appends the native callbacks of the functions it installs (for startup
// snapshots, which refer to them by index).
void add_op_references(std::vector<intptr_t>& refs);

// --- async_context.cc
// Installs the async context functions as globals under the names `options`
// gives.
bool install_async_context(v8::Local<v8::Context> ctx, const MotuIsolateOptions& options);
// Appends the native callbacks of the functions it installs (for startup
// snapshots, which refer to them by index).
void add_async_context_references(std::vector<intptr_t>& refs);

// --- codec.cc
// Appends the encoding of a list of a call's arguments from index `from`;
// false when an exception is pending (a throwing getter or proxy trap, a
// value past the budget) or execution stops.
// Large byte strings are lent by address (see codec.cc), their backing
// stores kept in `pins`, which must outlive the op call.
bool encode_args(MotuIsolate* m, const v8::FunctionCallbackInfo<v8::Value>& info, int from,
                 std::string& out, Pins& pins);
// Decodes one value; false (nothing thrown) when the bytes are invalid or
// V8 cannot hold the value.
bool decode_value(v8::Isolate* iso, v8::Local<v8::Context> ctx, MotuBytes bytes,
                  v8::Local<v8::Value>* out);
void encode_error(const std::string& name, const std::string& message, const std::string& stack,
                  std::string& out);
// Appends `s` as UTF-8 (lone surrogates become U+FFFD); returns the length.
size_t append_utf8(v8::Isolate* iso, v8::Local<v8::String> s, std::string& out);

// --- errors.cc
// Describes a caught exception as an encoded { name, message, stack }.
void describe_exception(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::TryCatch& tc,
                        std::string& out);
// Describes a thrown (or rejected-with) value; `message` may be empty.
void describe_value(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::Local<v8::Value> value,
                    v8::Local<v8::Message> message, std::string& out);
// An error object from a host error's name and message.
v8::Local<v8::Value> make_error(v8::Isolate* iso, v8::Local<v8::Context> ctx, MotuBytes name,
                                MotuBytes message);
void throw_error(v8::Isolate* iso, ErrorClass cls, const std::string& message);
// The value as a string, never throwing (symbols and throwing toString too).
std::string safe_string(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::Local<v8::Value> v);
MotuBuf to_buf(const std::string& s);

}  // namespace motu

#endif
