// `JSON.parse` with a termination delivered before and after V8's own.
//
// V8's JSON parser (iterative since V8 7.6) has no interrupt check in its
// loop, so `for (;;) JSON.parse(text)` would run on past the watchdog; the
// wrapper stops the JavaScript once the call in progress returns. That
// call itself runs to its end (a 2-million-element array: about 45 ms).
// Parsing a long top-level array in pieces was measured (commit c5ec07d
// of this repository): p99 past a termination 49 -> 22 ms, but one parse
// cost about 1.5x V8's own, mostly the final `concat`, so it is not used.
#include "internal.h"

namespace motu {
namespace {

v8::Local<v8::String> str(v8::Isolate* iso, const char* s) {
  return v8::String::NewFromUtf8(iso, s, v8::NewStringType::kInternalized).ToLocalChecked();
}

// `JSON.parse(text, reviver)`, over V8's own (kSlotJsonParse).
void parse(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  auto* m = static_cast<MotuIsolate*>(iso->GetData(0));
  if (stop_if_terminating(m, iso, ctx)) return;
  v8::Local<v8::Value> args[2];
  int argc = info.Length() < 2 ? info.Length() : 2;
  for (int i = 0; i < argc; i++) args[i] = info[i];
  v8::Local<v8::Value> result;
  if (!slot_value(ctx, kSlotJsonParse)
           .As<v8::Function>()
           ->Call(ctx, receiver(info), argc, args)
           .ToLocal(&result))
    return;
  if (stop_if_terminating(m, iso, ctx)) return;
  info.GetReturnValue().Set(result);
}

}  // namespace

bool install_json(v8::Local<v8::Context> ctx) {
  v8::Isolate* iso = ctx->GetIsolate();
  v8::Local<v8::Value> json, original;
  if (!ctx->Global()->Get(ctx, str(iso, "JSON")).ToLocal(&json) || !json->IsObject() ||
      !json.As<v8::Object>()->Get(ctx, str(iso, "parse")).ToLocal(&original) ||
      !original->IsFunction())
    return false;
  ctx->SetEmbedderData(kSlotJsonParse, original);
  v8::Local<v8::Function> wrapper;
  if (!v8::Function::New(ctx, parse, v8::Local<v8::Value>(), 2, v8::ConstructorBehavior::kThrow)
           .ToLocal(&wrapper))
    return false;
  wrapper->SetName(str(iso, "parse"));
  return json.As<v8::Object>()
      ->DefineOwnProperty(ctx, str(iso, "parse"), wrapper, v8::DontEnum)
      .FromMaybe(false);
}

void add_json_references(std::vector<intptr_t>& refs) {
  v8::FunctionCallback callback = parse;
  refs.push_back(reinterpret_cast<intptr_t>(callback));
}

}  // namespace motu
