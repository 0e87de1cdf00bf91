// Stopping a terminated isolate's JavaScript at once, and built-ins V8 runs
// without interrupt checks wrapped so that a termination stops the
// JavaScript around them.
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
// which throws V8's uncatchable termination. The built-ins below call it
// before and after the original, so such a loop stops once the call in
// progress returns. The call in progress itself still runs to its end:
// V8's `JSON.parse` cannot be cut short from outside (see slices.cc for
// `fill` and `join`, and sort.cc for `sort`, which can).
#include <vector>

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

v8::Local<v8::String> str(v8::Isolate* iso, const char* s) {
  return v8::String::NewFromUtf8(iso, s, v8::NewStringType::kInternalized).ToLocalChecked();
}

// The original built-in (in the context slot the data names), called with
// the same receiver and arguments, with the isolate's termination delivered
// before and after.
void guarded(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  auto* m = static_cast<MotuIsolate*>(iso->GetData(0));
  if (stop_if_terminating(m, iso, ctx)) return;
  v8::Local<v8::Value> args[3];
  std::vector<v8::Local<v8::Value>> more;
  int argc = info.Length();
  v8::Local<v8::Value>* argv = args;
  if (argc > 3) {
    more.resize(argc);
    argv = more.data();
  }
  for (int i = 0; i < argc; i++) argv[i] = info[i];
  v8::Local<v8::Value> result;
  auto slot = static_cast<ContextSlot>(info.Data().As<v8::Int32>()->Value());
  if (!slot_value(ctx, slot).As<v8::Function>()->Call(ctx, receiver(info), argc, argv)
           .ToLocal(&result))
    return;
  if (stop_if_terminating(m, iso, ctx)) return;
  info.GetReturnValue().Set(result);
}

// Replaces `holder[name]` (a function of `length` parameters) by `callback`
// with the original kept in context slot `slot` (named by the data),
// keeping the name and non-enumerability.
bool wrap(v8::Local<v8::Context> ctx, v8::Local<v8::Object> holder, const char* name,
          int length, ContextSlot slot, v8::FunctionCallback callback) {
  v8::Isolate* iso = ctx->GetIsolate();
  v8::Local<v8::Value> original;
  if (!holder->Get(ctx, str(iso, name)).ToLocal(&original) || !original->IsFunction())
    return false;
  ctx->SetEmbedderData(slot, original);
  v8::Local<v8::Function> wrapper;
  if (!v8::Function::New(ctx, callback, v8::Integer::New(iso, slot), length,
                         v8::ConstructorBehavior::kThrow)
           .ToLocal(&wrapper))
    return false;
  wrapper->SetName(str(iso, name));
  return holder->DefineOwnProperty(ctx, str(iso, name), wrapper, v8::DontEnum).FromMaybe(false);
}

// `holder` as an object: a global, or a global's property.
bool object_at(v8::Local<v8::Context> ctx, const char* global, const char* property,
               v8::Local<v8::Object>* out) {
  v8::Isolate* iso = ctx->GetIsolate();
  v8::Local<v8::Value> value;
  if (!ctx->Global()->Get(ctx, str(iso, global)).ToLocal(&value) || !value->IsObject())
    return false;
  if (property != nullptr &&
      (!value.As<v8::Object>()->Get(ctx, str(iso, property)).ToLocal(&value) ||
       !value->IsObject()))
    return false;
  *out = value.As<v8::Object>();
  return true;
}

}  // namespace

bool install_stops(MotuIsolate* m, v8::Local<v8::Context> ctx) {
  v8::Isolate* iso = ctx->GetIsolate();
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> check;
  if (!v8::Script::Compile(ctx, str(iso, "(function () {})")).ToLocal(&script) ||
      !script->Run(ctx).ToLocal(&check) || !check->IsFunction())
    return false;
  m->interrupt_check.Reset(iso, check.As<v8::Function>());
  v8::Local<v8::Object> json;
  return object_at(ctx, "JSON", nullptr, &json) &&
         wrap(ctx, json, "parse", 2, kSlotJsonParse, guarded);
}

void add_stop_references(std::vector<intptr_t>& refs) {
  v8::FunctionCallback callback = guarded;
  refs.push_back(reinterpret_cast<intptr_t>(callback));
}

}  // namespace motu
