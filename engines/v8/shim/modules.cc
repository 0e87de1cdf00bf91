// ES modules: compiling, resolving imports through Rust, evaluating with
// top-level await, and handing the namespace to the prelude.
#include "internal.h"

namespace {

v8::Local<v8::String> str(v8::Isolate* iso, const std::string& s) {
  return v8::String::NewFromUtf8(iso, s.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(s.size()))
      .ToLocalChecked();
}

v8::MaybeLocal<v8::Module> compile(MotuIsolate* m, const std::string& name, const char* src,
                                   size_t len) {
  v8::Isolate* iso = m->isolate;
  v8::ScriptOrigin origin(iso, str(iso, name), 0, 0, false, -1, v8::Local<v8::Value>(), false,
                          false, true);
  v8::ScriptCompiler::Source source(str(iso, std::string(src, len)), origin);
  v8::Local<v8::Module> module;
  if (!v8::ScriptCompiler::CompileModule(iso, &source).ToLocal(&module)) return {};
  m->modules.emplace_back(name, v8::Global<v8::Module>(iso, module));
  return module;
}

void throw_error(v8::Isolate* iso, const std::string& message) {
  iso->ThrowException(v8::Exception::Error(str(iso, message)));
}

v8::MaybeLocal<v8::Module> resolve(v8::Local<v8::Context> ctx, v8::Local<v8::String> specifier,
                                   v8::Local<v8::FixedArray> /*assertions*/,
                                   v8::Local<v8::Module> referrer) {
  v8::Isolate* iso = ctx->GetIsolate();
  auto* m = static_cast<MotuIsolate*>(iso->GetData(0));
  std::string referrer_name;
  for (auto& entry : m->modules)
    if (entry.second.Get(iso) == referrer) referrer_name = entry.first;
  std::string spec = motu_utf8(iso, specifier), resolved;
  if (m->resolve(m->loader, referrer_name.data(), referrer_name.size(), spec.data(), spec.size(),
                 &resolved) != 0) {
    throw_error(iso, resolved);
    return {};
  }
  for (auto& entry : m->modules)
    if (entry.first == resolved) return entry.second.Get(iso);
  std::string text;
  if (m->source(m->loader, resolved.data(), resolved.size(), &text) != 0) {
    throw_error(iso, "the Worker has no module '" + resolved + "' (imported from '" +
                         referrer_name + "')");
    return {};
  }
  return compile(m, resolved, text.data(), text.size());
}

}  // namespace

int motu_load_module(MotuIsolate* m, v8::Local<v8::Context> ctx, const std::string& name,
                     const char* src, size_t src_len, MotuBuf* error) {
  v8::Isolate* iso = m->isolate;
  v8::TryCatch tc(iso);
  v8::Local<v8::Module> module;
  v8::Local<v8::Value> result;
  if (!compile(m, name, src, src_len).ToLocal(&module) ||
      !module->InstantiateModule(ctx, resolve).FromMaybe(false) ||
      !module->Evaluate(ctx).ToLocal(&result))
    return motu_finish(m, tc, ctx, error);
  iso->PerformMicrotaskCheckpoint();
  if (tc.HasCaught() || tc.HasTerminated() || iso->IsExecutionTerminating() || m->out_of_memory)
    return motu_finish(m, tc, ctx, error);
  if (result->IsPromise()) {
    auto promise = result.As<v8::Promise>();
    if (promise->State() == v8::Promise::kRejected) {
      promise->MarkAsHandled();
      std::string out;
      motu_describe_exception(iso, ctx, promise->Result(), out);
      *error = motu_to_buf(out);
      return MOTU_EXCEPTION;
    }
    if (promise->State() == v8::Promise::kPending) {
      std::string out;
      motu_encode_error("Error", "the Worker's top-level await never finished", "", out);
      *error = motu_to_buf(out);
      return MOTU_EXCEPTION;
    }
  }
  v8::Local<v8::Value> args[1] = {module->GetModuleNamespace()};
  motu_ignore(m->register_module.Get(iso)->Call(ctx, v8::Undefined(iso), 1, args).ToLocal(&result));
  return motu_finish(m, tc, ctx, error);
}
