// Isolates: creation with limits, the op functions, calls into JavaScript,
// microtasks, heap figures and interrupts.
#include <libplatform/libplatform.h>

#include <cstdlib>
#include <cstring>

#include "internal.h"

namespace {

std::once_flag platform_once;

// The platform lives as long as the process: it is never destroyed, so no
// static destructor tears it down under isolates that other threads are
// still disposing at exit.
void init_platform() {
  std::call_once(platform_once, [] {
    v8::Platform* platform = v8::platform::NewDefaultPlatform().release();
    v8::V8::InitializePlatform(platform);
    v8::V8::Initialize();
  });
}

v8::Local<v8::String> str(v8::Isolate* iso, const char* s, size_t len) {
  return v8::String::NewFromUtf8(iso, s, v8::NewStringType::kNormal, static_cast<int>(len))
      .ToLocalChecked();
}

// The heap is nearly full: stop the JavaScript and give V8 room to unwind,
// so it reports termination instead of aborting the process.
size_t near_heap_limit(void* data, size_t current, size_t /*initial*/) {
  auto* m = static_cast<MotuIsolate*>(data);
  m->out_of_memory = true;
  m->isolate->TerminateExecution();
  return current * 2;
}

MotuIsolate* self(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<MotuIsolate*>(info.Data().As<v8::External>()->Value());
}

bool op_name(const v8::FunctionCallbackInfo<v8::Value>& info, std::string* name) {
  if (info.Length() < 1 || !info[0]->IsString()) {
    info.GetIsolate()->ThrowException(v8::Exception::TypeError(
        v8::String::NewFromUtf8Literal(info.GetIsolate(), "an op needs a name")));
    return false;
  }
  *name = motu_utf8(info.GetIsolate(), info[0]);
  return true;
}

void op_sync(const v8::FunctionCallbackInfo<v8::Value>& info) {
  MotuIsolate* m = self(info);
  v8::Isolate* iso = info.GetIsolate();
  v8::HandleScope scope(iso);
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  std::string name, args, out;
  if (!op_name(info, &name)) return;
  motu_encode_args(info, 1, args);
  int status = m->op(m->host, name.data(), name.size(),
                     reinterpret_cast<const uint8_t*>(args.data()), args.size(), 0, 0, &out);
  const uint8_t* p = reinterpret_cast<const uint8_t*>(out.data());
  if (status != 0) {
    iso->ThrowException(motu_make_error(iso, ctx, p, out.size()));
    return;
  }
  v8::Local<v8::Value> result;
  if (motu_decode(iso, ctx, p, p + out.size(), &result)) info.GetReturnValue().Set(result);
}

void op_async(const v8::FunctionCallbackInfo<v8::Value>& info) {
  MotuIsolate* m = self(info);
  v8::Isolate* iso = info.GetIsolate();
  v8::HandleScope scope(iso);
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  std::string name, args, out;
  if (!op_name(info, &name)) return;
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(ctx).ToLocal(&resolver)) return;
  motu_encode_args(info, 1, args);
  uint64_t id = m->next_op++;
  int status = m->op(m->host, name.data(), name.size(),
                     reinterpret_cast<const uint8_t*>(args.data()), args.size(), 1, id, &out);
  if (status == 0) {
    m->pending.emplace(id, v8::Global<v8::Promise::Resolver>(iso, resolver));
  } else {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(out.data());
    motu_ignore(resolver->Reject(ctx, motu_make_error(iso, ctx, p, out.size())));
  }
  info.GetReturnValue().Set(resolver->GetPromise());
}

bool install_ops(MotuIsolate* m, v8::Local<v8::Context> ctx) {
  v8::Isolate* iso = m->isolate;
  auto data = v8::External::New(iso, m);
  v8::Local<v8::Function> sync, async;
  return v8::Function::New(ctx, op_sync, data).ToLocal(&sync) &&
         v8::Function::New(ctx, op_async, data).ToLocal(&async) &&
         ctx->Global()->Set(ctx, v8::String::NewFromUtf8Literal(iso, "__motu_op"), sync).FromMaybe(false) &&
         ctx->Global()->Set(ctx, v8::String::NewFromUtf8Literal(iso, "__motu_op_async"), async).FromMaybe(false);
}

// Evaluates the prelude and keeps its hooks.
void load_prelude(MotuIsolate* m, v8::Local<v8::Context> ctx, const char* src, size_t src_len,
                  const char* name, size_t name_len) {
  v8::Isolate* iso = m->isolate;
  v8::ScriptOrigin origin(iso, str(iso, name, name_len));
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> hooks;
  if (!v8::Script::Compile(ctx, str(iso, src, src_len), &origin).ToLocal(&script) ||
      !script->Run(ctx).ToLocal(&hooks) || !hooks->IsObject())
    return;
  v8::Local<v8::Value> dispatch, reg;
  auto o = hooks.As<v8::Object>();
  if (o->Get(ctx, v8::String::NewFromUtf8Literal(iso, "dispatch")).ToLocal(&dispatch) &&
      dispatch->IsFunction())
    m->dispatch.Reset(iso, dispatch.As<v8::Function>());
  if (o->Get(ctx, v8::String::NewFromUtf8Literal(iso, "registerModule")).ToLocal(&reg) &&
      reg->IsFunction())
    m->register_module.Reset(iso, reg.As<v8::Function>());
}

// Enters the isolate and its context for one call.
struct Enter {
  explicit Enter(MotuIsolate* m)
      : isolate_scope(m->isolate),
        handle_scope(m->isolate),
        ctx(m->context.Get(m->isolate)),
        context_scope(ctx) {}
  v8::Isolate::Scope isolate_scope;
  v8::HandleScope handle_scope;
  v8::Local<v8::Context> ctx;
  v8::Context::Scope context_scope;
};

int fail(MotuBuf* error, const std::string& message) {
  std::string out;
  motu_encode_error("Error", message, "", out);
  *error = motu_to_buf(out);
  return MOTU_EXCEPTION;
}

}  // namespace

int motu_finish(MotuIsolate* m, v8::TryCatch& tc, v8::Local<v8::Context> ctx, MotuBuf* error) {
  v8::Isolate* iso = m->isolate;
  bool terminated = tc.HasTerminated() || iso->IsExecutionTerminating();
  if (terminated) iso->CancelTerminateExecution();
  if (m->out_of_memory) return MOTU_OUT_OF_MEMORY;
  if (terminated) return MOTU_TERMINATED;
  if (tc.HasCaught()) {
    std::string out;
    motu_describe_exception(iso, ctx, tc.Exception(), out);
    *error = motu_to_buf(out);
    return MOTU_EXCEPTION;
  }
  return MOTU_OK;
}

extern "C" {

void motu_v8_out_write(MotuOut* out, const uint8_t* data, size_t len) {
  static_cast<std::string*>(out)->assign(reinterpret_cast<const char*>(data), len);
}

void motu_v8_buf_free(MotuBuf buf) { std::free(buf.data); }

MotuIsolate* motu_v8_isolate_new(size_t heap_limit, int allow_code_generation, void* host,
                                 motu_op_fn op, const char* prelude, size_t prelude_len,
                                 const char* prelude_name, size_t prelude_name_len,
                                 int* status, MotuBuf* error) {
  init_platform();
  auto* m = new MotuIsolate();
  m->host = host;
  m->op = op;
  m->allocator.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = m->allocator.get();
  if (heap_limit > 0) params.constraints.ConfigureDefaultsFromHeapSize(0, heap_limit);
  m->isolate = v8::Isolate::New(params);
  m->isolate->SetData(0, m);
  m->isolate->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  m->isolate->AddNearHeapLimitCallback(near_heap_limit, m);
  m->interrupt = std::make_shared<MotuInterruptState>();
  m->interrupt->isolate = m->isolate;
  {
    v8::Isolate::Scope isolate_scope(m->isolate);
    v8::HandleScope handle_scope(m->isolate);
    v8::Local<v8::Context> ctx = v8::Context::New(m->isolate);
    m->context.Reset(m->isolate, ctx);
    v8::Context::Scope context_scope(ctx);
    if (!allow_code_generation) ctx->AllowCodeGenerationFromStrings(false);
    v8::TryCatch tc(m->isolate);
    if (install_ops(m, ctx)) load_prelude(m, ctx, prelude, prelude_len, prelude_name, prelude_name_len);
    *status = motu_finish(m, tc, ctx, error);
    if (*status == MOTU_OK && (m->dispatch.IsEmpty() || m->register_module.IsEmpty()))
      *status = fail(error, "the prelude did not return its hooks");
  }
  if (*status != MOTU_OK) {
    motu_v8_isolate_free(m);
    return nullptr;
  }
  return m;
}

void motu_v8_isolate_free(MotuIsolate* m) {
  {
    std::lock_guard<std::mutex> guard(m->interrupt->mutex);
    m->interrupt->isolate = nullptr;
  }
  m->pending.clear();
  m->modules.clear();
  m->dispatch.Reset();
  m->register_module.Reset();
  m->context.Reset();
  m->isolate->Dispose();
  delete m;
}

int motu_v8_eval_script(MotuIsolate* m, const char* name, size_t name_len, const char* src,
                        size_t src_len, MotuBuf* error) {
  Enter e(m);
  v8::TryCatch tc(m->isolate);
  v8::ScriptOrigin origin(m->isolate, str(m->isolate, name, name_len));
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> result;
  if (v8::Script::Compile(e.ctx, str(m->isolate, src, src_len), &origin).ToLocal(&script))
    motu_ignore(script->Run(e.ctx).ToLocal(&result));
  return motu_finish(m, tc, e.ctx, error);
}

int motu_v8_load_module(MotuIsolate* m, const char* name, size_t name_len, const char* src,
                        size_t src_len, void* loader, motu_resolve_fn resolve,
                        motu_source_fn source, MotuBuf* error) {
  Enter e(m);
  m->loader = loader;
  m->resolve = resolve;
  m->source = source;
  int status = motu_load_module(m, e.ctx, std::string(name, name_len), src, src_len, error);
  m->loader = nullptr;
  m->resolve = nullptr;
  m->source = nullptr;
  return status;
}

int motu_v8_dispatch(MotuIsolate* m, uint64_t id, const uint8_t* event, size_t event_len,
                     MotuBuf* error) {
  Enter e(m);
  v8::TryCatch tc(m->isolate);
  v8::Local<v8::Value> args[2];
  args[0] = v8::Number::New(m->isolate, static_cast<double>(id));
  const uint8_t* p = event;
  if (!motu_decode(m->isolate, e.ctx, p, event + event_len, &args[1]))
    return fail(error, "the event could not be decoded");
  v8::Local<v8::Value> result;
  motu_ignore(m->dispatch.Get(m->isolate)->Call(e.ctx, v8::Undefined(m->isolate), 2, args).ToLocal(&result));
  return motu_finish(m, tc, e.ctx, error);
}

int motu_v8_settle(MotuIsolate* m, uint64_t op_id, int ok, const uint8_t* value,
                   size_t value_len, MotuBuf* error) {
  auto it = m->pending.find(op_id);
  if (it == m->pending.end()) return MOTU_OK;
  Enter e(m);
  v8::Local<v8::Promise::Resolver> resolver = it->second.Get(m->isolate);
  m->pending.erase(it);
  v8::TryCatch tc(m->isolate);
  if (ok) {
    v8::Local<v8::Value> v;
    const uint8_t* p = value;
    if (!motu_decode(m->isolate, e.ctx, p, value + value_len, &v)) v = v8::Undefined(m->isolate);
    motu_ignore(resolver->Resolve(e.ctx, v));
  } else {
    motu_ignore(resolver->Reject(e.ctx, motu_make_error(m->isolate, e.ctx, value, value_len)));
  }
  return motu_finish(m, tc, e.ctx, error);
}

int motu_v8_run_microtasks(MotuIsolate* m, MotuBuf* error) {
  Enter e(m);
  v8::TryCatch tc(m->isolate);
  m->isolate->PerformMicrotaskCheckpoint();
  return motu_finish(m, tc, e.ctx, error);
}

void motu_v8_heap_stats(MotuIsolate* m, size_t* used, size_t* total, size_t* limit) {
  v8::HeapStatistics hs;
  m->isolate->GetHeapStatistics(&hs);
  *used = hs.used_heap_size();
  *total = hs.total_heap_size();
  *limit = hs.heap_size_limit();
}

MotuInterrupt* motu_v8_interrupt_new(MotuIsolate* m) { return new MotuInterrupt{m->interrupt}; }

void motu_v8_interrupt_terminate(MotuInterrupt* i) {
  std::lock_guard<std::mutex> guard(i->state->mutex);
  if (i->state->isolate) i->state->isolate->TerminateExecution();
}

void motu_v8_interrupt_free(MotuInterrupt* i) { delete i; }

}  // extern "C"
