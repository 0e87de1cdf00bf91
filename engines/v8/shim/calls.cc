// One call into an isolate: entering it, running JavaScript, and turning
// what happened into a status for Rust.
#include <cstdlib>

#include "internal.h"

namespace motu {

Enter::Enter(MotuIsolate* m)
    : isolate_scope(m->isolate),
      handle_scope(m->isolate),
      ctx(m->context.Get(m->isolate)),
      context_scope(ctx) {}

int fail(MotuBuf* error, const char* name, const std::string& message) {
  std::string out;
  encode_error(name, message, "", out);
  *error = to_buf(out);
  return MOTU_EXCEPTION;
}

int check_usable(MotuIsolate* m, MotuBuf* error) {
  if (!m->fatal.empty()) {
    *error = to_buf(m->fatal);
    return MOTU_FATAL;
  }
  if (m->out_of_memory.load()) return MOTU_OUT_OF_MEMORY;
  return MOTU_OK;
}

int finish(MotuIsolate* m, v8::TryCatch& tc, v8::Local<v8::Context> ctx, MotuBuf* error) {
  v8::Isolate* iso = m->isolate;
  bool terminated = tc.HasTerminated() || iso->IsExecutionTerminating() || m->terminated;
  m->terminated = false;
  int status = MOTU_OK;
  if (!m->fatal.empty()) {
    *error = to_buf(m->fatal);
    status = MOTU_FATAL;
  } else if (m->out_of_memory.load()) {
    status = MOTU_OUT_OF_MEMORY;
  } else if (terminated) {
    status = MOTU_TERMINATED;
  } else if (tc.HasCaught()) {
    std::string out;
    describe_exception(iso, ctx, tc, out);
    *error = to_buf(out);
    status = MOTU_EXCEPTION;
  }
  // A termination that arrived while the exception was described ends
  // this call too. Either way the isolate is usable again afterwards.
  if (terminated || iso->IsExecutionTerminating()) {
    m->terminating.store(false);
    iso->CancelTerminateExecution();
    if (status == MOTU_EXCEPTION) {
      motu_v8_buf_free(*error);
      *error = MotuBuf{nullptr, 0};
      status = MOTU_TERMINATED;
    }
  }
  return status;
}

namespace {

// Calls the prelude's dispatch hook with event `id` (encoded in `event`)
// in the entered context `ctx`; the call's status.
int dispatch_in(MotuIsolate* m, v8::Local<v8::Context> ctx, uint64_t id, MotuBytes event,
                MotuBuf* error) {
  v8::TryCatch tc(m->isolate);
  v8::Local<v8::Value> args[2] = {v8::Number::New(m->isolate, static_cast<double>(id)),
                                  v8::Local<v8::Value>()};
  if (!decode_value(m->isolate, ctx, event, &args[1])) {
    if (m->out_of_memory.load()) return finish(m, tc, ctx, error);
    return fail(error, "TypeError", "the event could not be converted to JavaScript");
  }
  v8::Local<v8::Value> result;
  discard(m->dispatch.Get(m->isolate)->Call(ctx, v8::Undefined(m->isolate), 2, args).ToLocal(&result));
  return finish(m, tc, ctx, error);
}

}  // namespace

}  // namespace motu

using motu::Enter;

extern "C" {

void motu_v8_buf_free(MotuBuf buf) { std::free(buf.data); }

int motu_v8_run_script(MotuIsolate* m, const MotuCode* code, MotuBuf* error) {
  return motu::guarded(error, [&]() -> int {
    int status = motu::check_usable(m, error);
    if (status != MOTU_OK) return status;
    Enter e(m);
    v8::TryCatch tc(m->isolate);
    bool needs_cache = false;
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> result;
    if (motu::compile_script(m, e.ctx, *code, &needs_cache).ToLocal(&script) &&
        script->Run(e.ctx).ToLocal(&result))
      motu::after_script(m, script, code->token, needs_cache);
    return motu::finish(m, tc, e.ctx, error);
  });
}

int motu_v8_run_module(MotuIsolate* m, const MotuCode* code, MotuBuf* error) {
  return motu::guarded(error, [&]() -> int {
    int status = motu::check_usable(m, error);
    if (status != MOTU_OK) return status;
    Enter e(m);
    return motu::run_module(m, e.ctx, *code, error);
  });
}

int motu_v8_dispatch(MotuIsolate* m, uint64_t id, MotuBytes event, MotuBuf* error) {
  return motu::guarded(error, [&]() -> int {
    int status = motu::check_usable(m, error);
    if (status != MOTU_OK) return status;
    Enter e(m);
    return motu::dispatch_in(m, e.ctx, id, event, error);
  });
}

int motu_v8_dispatch_turn(MotuIsolate* m, uint64_t id, MotuBytes event, MotuBuf* error) {
  return motu::guarded(error, [&]() -> int {
    int status = motu::check_usable(m, error);
    if (status != MOTU_OK) return status;
    Enter e(m);
    {
      v8::HandleScope scope(m->isolate);
      status = motu::dispatch_in(m, e.ctx, id, event, error);
      if (status != MOTU_OK) return status;
    }
    // The microtasks, in the same entry (what motu_v8_run_microtasks does).
    v8::TryCatch tc(m->isolate);
    m->isolate->PerformMicrotaskCheckpoint();
    motu::run_tasks(m, tc);
    return motu::finish(m, tc, e.ctx, error);
  });
}

int motu_v8_run_microtasks(MotuIsolate* m, MotuBuf* error) {
  return motu::guarded(error, [&]() -> int {
    int status = motu::check_usable(m, error);
    if (status != MOTU_OK) return status;
    Enter e(m);
    v8::TryCatch tc(m->isolate);
    m->isolate->PerformMicrotaskCheckpoint();
    motu::run_tasks(m, tc);
    return motu::finish(m, tc, e.ctx, error);
  });
}

int motu_v8_refresh_caches(MotuIsolate* m, const uint64_t* tokens, size_t count,
                           MotuBuf* error) {
  return motu::guarded(error, [&]() -> int {
    int status = motu::check_usable(m, error);
    if (status != MOTU_OK) return status;
    Enter e(m);
    motu::refresh_caches(m, tokens, count);
    return MOTU_OK;
  });
}

}  // extern "C"
