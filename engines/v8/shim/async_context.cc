// The async context functions (see motu_engine::contract):
// `__motu_async_context_get()` and `__motu_async_context_set(value)`, over
// V8's continuation-preserved embedder data. V8 captures that value in each
// promise reaction when its handler is registered (then, await) and in each
// thenable job when it is enqueued, and makes it current again while the job
// runs; these functions only read and write it.
#include "internal.h"

namespace motu {
namespace {

void get(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Local<v8::Context> ctx = info.GetIsolate()->GetCurrentContext();
  info.GetReturnValue().Set(ctx->GetContinuationPreservedEmbedderData());
}

void set(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Local<v8::Context> ctx = info.GetIsolate()->GetCurrentContext();
  ctx->SetContinuationPreservedEmbedderData(info[0]);
}

v8::Local<v8::String> global_name(v8::Isolate* iso, MotuBytes name) {
  return v8::String::NewFromUtf8(iso, reinterpret_cast<const char*>(name.data),
                                 v8::NewStringType::kInternalized, static_cast<int>(name.len))
      .ToLocalChecked();
}

}  // namespace

bool install_async_context(v8::Local<v8::Context> ctx, const MotuIsolateOptions& options) {
  v8::Isolate* iso = ctx->GetIsolate();
  v8::Local<v8::Function> getter, setter;
  v8::Local<v8::Object> global = ctx->Global();
  return v8::Function::New(ctx, get, v8::Local<v8::Value>(), 0, v8::ConstructorBehavior::kThrow)
             .ToLocal(&getter) &&
         v8::Function::New(ctx, set, v8::Local<v8::Value>(), 1, v8::ConstructorBehavior::kThrow)
             .ToLocal(&setter) &&
         global->Set(ctx, global_name(iso, options.async_context_get), getter).FromMaybe(false) &&
         global->Set(ctx, global_name(iso, options.async_context_set), setter).FromMaybe(false);
}

void add_async_context_references(std::vector<intptr_t>& refs) {
  for (v8::FunctionCallback f : {get, set}) refs.push_back(reinterpret_cast<intptr_t>(f));
}

}  // namespace motu
