// Isolates: creation with their limits, the prelude and its hooks, heap
// figures, termination from other threads, and disposal.
#include <pthread.h>

#include <algorithm>
#include <cstring>

#include "internal.h"

namespace motu {
namespace {

// Without a heap limit, one value handed to the host may encode to at most
// this many bytes; with one, to twice the limit.
constexpr size_t kUnlimitedEncodeBudget = size_t{1} << 30;
constexpr size_t kMinEncodeBudget = size_t{16} << 20;

// V8 lets JavaScript use about 1 MB of stack below where the isolate was
// made, whatever the thread's stack is. On a thread with a smaller stack,
// deep recursion would run off its end and crash the process; there the
// limit is moved up to keep this much of the stack for the C++ (V8's and
// the shim's) that runs past the limit.
constexpr size_t kStackReserve = 128 << 10;
constexpr size_t kV8DefaultStack = 984 << 10;

void fit_stack_limit(v8::Isolate* iso) {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* low = nullptr;
  size_t size = 0;
  int got = pthread_attr_getstack(&attr, &low, &size);
  pthread_attr_destroy(&attr);
  if (got != 0 || !low) return;
  int here = 0;
  auto position = reinterpret_cast<uintptr_t>(&here);
  auto bottom = reinterpret_cast<uintptr_t>(low) + kStackReserve;
  if (position > kV8DefaultStack && position - kV8DefaultStack < bottom && bottom < position)
    iso->SetStackLimit(bottom);
}

bool hook(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::Local<v8::Object> hooks,
          MotuBytes name, v8::Global<v8::Function>* out) {
  v8::Local<v8::String> key;
  v8::Local<v8::Value> value;
  if (!v8::String::NewFromUtf8(iso, reinterpret_cast<const char*>(name.data),
                               v8::NewStringType::kInternalized, static_cast<int>(name.len))
           .ToLocal(&key) ||
      !hooks->Get(ctx, key).ToLocal(&value) || !value->IsFunction())
    return false;
  out->Reset(iso, value.As<v8::Function>());
  return true;
}

// A hook the prelude may leave out: true when it is a function (kept) or
// undefined.
bool optional_hook(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::Local<v8::Object> hooks,
                   MotuBytes name, v8::Global<v8::Function>* out) {
  v8::Local<v8::String> key;
  v8::Local<v8::Value> value;
  if (!v8::String::NewFromUtf8(iso, reinterpret_cast<const char*>(name.data),
                               v8::NewStringType::kInternalized, static_cast<int>(name.len))
           .ToLocal(&key) ||
      !hooks->Get(ctx, key).ToLocal(&value))
    return false;
  if (value->IsUndefined()) return true;
  if (!value->IsFunction()) return false;
  out->Reset(iso, value.As<v8::Function>());
  return true;
}

// Evaluates the prelude through the code cache and keeps its hooks; false
// with an exception pending, or with none when the completion value lacks
// the hooks.
bool run_prelude(MotuIsolate* m, v8::Local<v8::Context> ctx, const MotuCode& prelude,
                 const MotuIsolateOptions& options) {
  bool needs_cache = false;
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> hooks;
  if (!compile_script(m, ctx, prelude, &needs_cache).ToLocal(&script) ||
      !script->Run(ctx).ToLocal(&hooks))
    return false;
  after_script(m, script, prelude.token, needs_cache);
  return take_hooks(m, ctx, hooks, options);
}

// A new context, kept as the isolate's; empty with *status set when V8
// could not make one.
v8::Local<v8::Context> new_context(MotuIsolate* m, v8::Isolate* iso, int* status,
                                   MotuBuf* error) {
  v8::Local<v8::Context> ctx = v8::Context::New(iso);
  if (ctx.IsEmpty()) {
    *status = check_usable(m, error);
    if (*status == MOTU_OK) *status = fail(error, "Error", "V8 could not create a context");
    return ctx;
  }
  m->context.Reset(iso, ctx);
  return ctx;
}

constexpr const char* kNoHooks =
    "the prelude's completion value is not an object with the hooks dispatch and "
    "registerModule (and start, if any, a function)";

// The classic way: installs the shim's globals in a new context and
// evaluates the prelude there.
int set_up(MotuIsolate* m, const MotuIsolateOptions& options, const MotuCode& prelude,
           MotuBuf* error) {
  v8::Isolate* iso = m->isolate;
  v8::Isolate::Scope isolate_scope(iso);
  fit_stack_limit(iso);
  v8::HandleScope handle_scope(iso);
  int status = MOTU_OK;
  v8::Local<v8::Context> ctx = new_context(m, iso, &status, error);
  if (ctx.IsEmpty()) return status;
  v8::Context::Scope context_scope(ctx);
  if (!options.allow_code_generation) ctx->AllowCodeGenerationFromStrings(false);
  v8::TryCatch tc(iso);
  bool ok = install_globals(m, ctx, options) && run_prelude(m, ctx, prelude, options) &&
            run_start(m, ctx);
  status = finish(m, tc, ctx, error);
  if (status == MOTU_OK && !ok) status = fail(error, "TypeError", kNoHooks);
  return status;
}

// From a snapshot (snapshot.cc): the context comes deserialized with the
// shim's globals and the prelude's state in it, and hands back the
// functions the isolate keeps.
int set_up_from_snapshot(MotuIsolate* m, const MotuIsolateOptions& options,
                         const MotuCode& prelude, MotuBuf* error) {
  v8::Isolate* iso = m->isolate;
  v8::Isolate::Scope isolate_scope(iso);
  fit_stack_limit(iso);
  v8::HandleScope handle_scope(iso);
  int status = MOTU_OK;
  v8::Local<v8::Context> ctx = new_context(m, iso, &status, error);
  if (ctx.IsEmpty()) return status;
  v8::Context::Scope context_scope(ctx);
  if (!options.allow_code_generation) ctx->AllowCodeGenerationFromStrings(false);
  v8::Local<v8::Function> functions[kSnapshotFunctions];
  for (size_t i = 0; i < kSnapshotFunctions; i++)
    if (!ctx->GetDataFromSnapshotOnce<v8::Function>(i).ToLocal(&functions[i]))
      return fail(error, "Error", "the startup snapshot lacks the prelude's hooks");
  m->dispatch.Reset(iso, functions[kSnapshotDispatch]);
  m->register_module.Reset(iso, functions[kSnapshotRegisterModule]);
  m->interrupt_check.Reset(iso, functions[kSnapshotInterruptCheck]);
  v8::Local<v8::Value> start;
  if (!ctx->GetDataFromSnapshotOnce<v8::Value>(kSnapshotStart).ToLocal(&start))
    return fail(error, "Error", "the startup snapshot lacks the prelude's hooks");
  if (start->IsFunction()) m->start.Reset(iso, start.As<v8::Function>());
  // The prelude's code cache is made again after the first event, as if
  // it had been compiled here: the snapshot is then made again from it
  // (snapshot.cc), with the functions serving an event compiled.
  v8::Local<v8::UnboundScript> unbound;
  if (ctx->GetDataFromSnapshotOnce<v8::UnboundScript>(kSnapshotPrelude).ToLocal(&unbound) &&
      prelude.token != 0 && m->keep_for_refresh) {
    Refreshable r;
    r.script.Reset(iso, unbound);
    r.token = prelude.token;
    m->refreshable.push_back(std::move(r));
  }
  v8::TryCatch tc(iso);
  run_start(m, ctx);
  return finish(m, tc, ctx, error);
}

}  // namespace

bool install_globals(MotuIsolate* m, v8::Local<v8::Context> ctx,
                     const MotuIsolateOptions& options) {
  return install_builtins(ctx) && install_accessors(ctx) && install_stops(m, ctx) && install_slices(ctx) &&
         install_sort(ctx) && install_json(ctx) &&
         install_ops(m, ctx, options) && install_async_context(ctx, options);
}

bool take_hooks(MotuIsolate* m, v8::Local<v8::Context> ctx, v8::Local<v8::Value> hooks,
                const MotuIsolateOptions& options) {
  v8::Isolate* iso = m->isolate;
  return hooks->IsObject() &&
         hook(iso, ctx, hooks.As<v8::Object>(), options.hook_dispatch, &m->dispatch) &&
         hook(iso, ctx, hooks.As<v8::Object>(), options.hook_register_module,
              &m->register_module) &&
         optional_hook(iso, ctx, hooks.As<v8::Object>(), options.hook_start, &m->start);
}

bool run_start(MotuIsolate* m, v8::Local<v8::Context> ctx) {
  if (m->start.IsEmpty()) return true;
  v8::Local<v8::Function> start = m->start.Get(m->isolate);
  m->start.Reset();
  v8::Local<v8::Value> result;
  return start->Call(ctx, v8::Undefined(m->isolate), 0, nullptr).ToLocal(&result);
}

}  // namespace motu

extern "C" {

MotuIsolate* motu_v8_isolate_new(const MotuIsolateOptions* options,
                                 const MotuCallbacks* callbacks, void* embedder,
                                 const MotuCode* prelude, int* status, MotuBuf* error) {
  *error = MotuBuf{nullptr, 0};
  MotuIsolate* m = nullptr;
  *status = motu::guarded(error, [&]() -> int {
    motu::ensure_platform();
    m = new MotuIsolate();
    m->callbacks = callbacks;
    m->embedder = embedder;
    m->encode_budget = options->heap_limit
                           ? std::max(options->heap_limit * 2, motu::kMinEncodeBudget)
                           : motu::kUnlimitedEncodeBudget;
    // Lengths in the encoding are 32 bits wide.
    m->encode_budget = std::min(m->encode_budget, size_t{UINT32_MAX});
    m->allocator = std::make_unique<motu::BufferAllocator>(m, options->heap_limit);
    const intptr_t* references = nullptr;
    v8::StartupData* snapshot = motu::snapshot_for(*options, *prelude, &references);
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = m->allocator.get();
    if (snapshot) {
      params.snapshot_blob = snapshot;
      params.external_references = references;
    }
    if (options->heap_limit)
      params.constraints.ConfigureDefaultsFromHeapSize(0, options->heap_limit);
    motu::cap_young_generation(params.constraints);
    m->isolate = v8::Isolate::New(params);
    m->isolate->SetData(0, m);
    motu::install_failure_handlers(m->isolate);
    m->isolate->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
    m->isolate->AddNearHeapLimitCallback(motu::near_heap_limit, m);
    motu::install_module_hooks(m->isolate);
    m->from_snapshot = snapshot != nullptr;
    return snapshot ? motu::set_up_from_snapshot(m, *options, *prelude, error)
                    : motu::set_up(m, *options, *prelude, error);
  });
  if (*status != MOTU_OK && m) {
    motu_v8_isolate_free(m);
    m = nullptr;
  }
  return m;
}

void motu_v8_isolate_free(MotuIsolate* m) {
  if (m->isolate) {
    m->pending.clear();
    m->refreshable.clear();
    motu::free_modules(m);
    m->dispatch.Reset();
    m->register_module.Reset();
    m->start.Reset();
    m->interrupt_check.Reset();
    m->context.Reset();
    motu::forget_isolate(m->isolate);
    m->isolate->Dispose();
  }
  delete m;
}

int motu_v8_isolate_from_snapshot(MotuIsolate* m) { return m->from_snapshot ? 1 : 0; }

void motu_v8_heap_stats(MotuIsolate* m, size_t* used, size_t* total, size_t* limit,
                        size_t* footprint, size_t* young) {
  *young = 0;
  for (size_t i = 0; i < m->isolate->NumberOfHeapSpaces(); i++) {
    v8::HeapSpaceStatistics space;
    m->isolate->GetHeapSpaceStatistics(&space, i);
    if (std::strcmp(space.space_name(), "new_space") == 0) *young = space.space_size();
  }
  v8::HeapStatistics hs;
  m->isolate->GetHeapStatistics(&hs);
  *used = hs.used_heap_size();
  *total = hs.total_heap_size();
  *limit = hs.heap_size_limit();
  // The heap's pages the process holds, V8's own allocations for this
  // isolate (zones, tables) and the contents of its ArrayBuffers.
  *footprint = hs.total_physical_size() + hs.malloced_memory() +
               (m->allocator ? m->allocator->in_use() : 0);
}

void motu_v8_collect_garbage(MotuIsolate* m) {
  if (!m->fatal.empty() || m->out_of_memory.load()) return;
  v8::Isolate::Scope scope(m->isolate);
  m->isolate->LowMemoryNotification();
}

void motu_v8_terminate(MotuIsolate* m) {
  m->terminating.store(true);
  m->isolate->TerminateExecution();
}

}  // extern "C"
