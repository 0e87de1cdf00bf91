// Stopping a terminated isolate's JavaScript at once, for the built-ins
// V8 runs without interrupt checks.
//
// V8 honours TerminateExecution at its interrupt checks: at function entry,
// and at a loop's back edge only once the loop has used up its interrupt
// budget (some hundred kilobytes of bytecode: thousands of iterations of a
// short loop). A built-in written in C++ or Torque checks nothing. So a
// loop whose body is one long built-in call, `for (;;) JSON.parse(text)`,
// runs on for thousands of calls after the watchdog fired: seconds.
//
// `stop_if_terminating` delivers a termination asked for by calling a
// JavaScript function that does nothing: its entry is an interrupt check,
// which throws V8's uncatchable termination. The shim's wrappers of such
// built-ins call it before and after V8's original, and between the slices
// they cut a long call into (slices.cc for `fill` and `join`, sort.cc for
// `sort`, json.cc for `JSON.parse`).
#include <cstdlib>
#include <cstring>

#include "internal.h"

namespace motu {

bool stop_if_terminating(MotuIsolate* m, v8::Isolate* iso, v8::Local<v8::Context> ctx) {
  if (!m->terminating.load(std::memory_order_relaxed)) return false;
  if (!iso->IsExecutionTerminating()) {
    v8::Local<v8::Function> check = m->interrupt_check.Get(iso);
    // Returns only if V8 already delivered the termination and it was
    // cancelled since: then an ordinary error stops the built-in.
    if (!check->Call(ctx, v8::Undefined(iso), 0, nullptr).IsEmpty())
      throw_error(iso, ErrorClass::kError, "the Worker is being terminated");
  }
  return true;
}

v8::Local<v8::Value> receiver(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Value> self = info.This();
  if (self->StrictEquals(iso->GetCurrentContext()->Global())) return v8::Undefined(iso);
  return self;
}

namespace {

}  // namespace

bool install_stops(MotuIsolate* m, v8::Local<v8::Context> ctx) {
  v8::Isolate* iso = ctx->GetIsolate();
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> check;
  if (!v8::Script::Compile(ctx, str(iso, "(function () {})")).ToLocal(&script) ||
      !script->Run(ctx).ToLocal(&check) || !check->IsFunction())
    return false;
  m->interrupt_check.Reset(iso, check.As<v8::Function>());
  return true;
}

bool own_builtins_only() {
  static const bool own = [] {
    const char* v = std::getenv("MOTU_V8_OWN_BUILTINS");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return own;
}

}  // namespace motu
