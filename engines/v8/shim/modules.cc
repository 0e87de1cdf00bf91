// ES modules: module graphs whose imports resolve through Rust, compiled
// once per isolate and kept by resolved name; top-level await; dynamic
// import() as a promise job.
#include "internal.h"

namespace motu {
namespace {

MotuIsolate* owner(v8::Isolate* iso) { return static_cast<MotuIsolate*>(iso->GetData(0)); }

MotuBytes bytes(const std::string& s) {
  return MotuBytes{reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

ModuleRecord* record_of(MotuIsolate* m, v8::Local<v8::Module> module) {
  auto range = m->modules_by_hash.equal_range(module->GetIdentityHash());
  for (auto it = range.first; it != range.second; ++it)
    if (it->second->module == module) return it->second;
  return nullptr;
}

// Compiles a module and keeps it under its name.
v8::MaybeLocal<v8::Module> compile_and_keep(MotuIsolate* m, const MotuCode& code) {
  v8::Isolate* iso = m->isolate;
  bool needs_cache = false;
  v8::Local<v8::Module> module;
  if (!compile_module(m, code, &needs_cache).ToLocal(&module)) return {};
  auto record = std::make_unique<ModuleRecord>();
  record->name.assign(reinterpret_cast<const char*>(code.name.data), code.name.len);
  record->module.Reset(iso, module);
  record->token = code.token;
  record->needs_cache = needs_cache;
  if (code.token != 0 && (needs_cache || m->keep_for_refresh)) {
    record->unbound.Reset(iso, module->GetUnboundModuleScript());
    m->compiled.push_back(record.get());
  }
  m->modules_by_name[record->name] = record.get();
  m->modules_by_hash.emplace(module->GetIdentityHash(), record.get());
  m->modules.push_back(std::move(record));
  return module;
}

// Compiles a module that another one imports. A syntax error in it is
// thrown again with the module's file, line and column at the end of its
// stack: V8 reports the error of a module compiled inside its resolve
// callback nowhere (the caller's TryCatch takes it, and the callback then
// returns without an exception), and its message would otherwise point at
// the importer.
v8::MaybeLocal<v8::Module> compile_import(MotuIsolate* m, const MotuCode& code) {
  v8::Isolate* iso = m->isolate;
  v8::TryCatch tc(iso);
  v8::Local<v8::Module> module;
  if (compile_and_keep(m, code).ToLocal(&module)) return module;
  if (!tc.HasCaught()) return {};
  v8::Local<v8::Message> message = tc.Message();
  v8::Local<v8::Value> exception = tc.Exception();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  if (!tc.HasTerminated() && !message.IsEmpty() && !ctx.IsEmpty() && exception->IsObject()) {
    v8::TryCatch inner(iso);
    auto o = exception.As<v8::Object>();
    v8::Local<v8::String> key = v8::String::NewFromUtf8Literal(iso, "stack");
    v8::Local<v8::Value> old;
    std::string stack;
    if (o->Get(ctx, key).ToLocal(&old) && old->IsString()) append_utf8(iso, old.As<v8::String>(), stack);
    std::string resource = safe_string(iso, ctx, message->GetScriptResourceName());
    if (stack.find("\n    at ") == std::string::npos && !resource.empty()) {
      stack += "\n    at " + resource + ":" +
               std::to_string(message->GetLineNumber(ctx).FromMaybe(0)) + ":" +
               std::to_string(message->GetStartColumn(ctx).FromMaybe(0) + 1);
      v8::Local<v8::String> text;
      if (v8::String::NewFromUtf8(iso, stack.data(), v8::NewStringType::kNormal,
                                  static_cast<int>(stack.size()))
              .ToLocal(&text))
        discard(o->Set(ctx, key, text));
    }
  }
  tc.ReThrow();
  return {};
}

// The module `specifier` names when `referrer` imports it: resolved by
// Rust, then taken from the isolate's modules or compiled from the source
// Rust gives. Throws (and returns nothing) when either fails.
v8::MaybeLocal<v8::Module> import_module(MotuIsolate* m, const std::string& referrer,
                                         v8::Local<v8::String> specifier) {
  v8::Isolate* iso = m->isolate;
  std::string spec;
  append_utf8(iso, specifier, spec);
  MotuBytes out{nullptr, 0};
  int status = m->callbacks->resolve(m->embedder, bytes(referrer), bytes(spec), &out);
  std::string name(reinterpret_cast<const char*>(out.data), out.len);
  if (status != MOTU_OK) {
    throw_error(iso, ErrorClass::kError, name);
    return {};
  }
  auto found = m->modules_by_name.find(name);
  if (found != m->modules_by_name.end()) return found->second->module.Get(iso);
  MotuCode code{};
  if (m->callbacks->source(m->embedder, bytes(name), &code) != MOTU_OK) {
    throw_error(iso, ErrorClass::kError,
                "the Worker has no module '" + name + "' (imported by '" + referrer + "')");
    return {};
  }
  return compile_import(m, code);
}

v8::MaybeLocal<v8::Module> resolve_static(v8::Local<v8::Context> ctx,
                                          v8::Local<v8::String> specifier,
                                          v8::Local<v8::FixedArray> /*assertions*/,
                                          v8::Local<v8::Module> referrer) {
  v8::Isolate* iso = ctx->GetIsolate();
  MotuIsolate* m = owner(iso);
  try {
    ModuleRecord* record = record_of(m, referrer);
    return import_module(m, record ? record->name : std::string(), specifier);
  } catch (...) {
    throw_error(iso, ErrorClass::kError, "the V8 shim failed to import a module");
    return {};
  }
}

bool pending_termination(MotuIsolate* m, v8::TryCatch& tc) {
  return tc.HasTerminated() || m->isolate->IsExecutionTerminating() || m->out_of_memory.load();
}

void return_data(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(info.Data());
}

// The promise job of a dynamic import(): loads, links and evaluates the
// module, then settles import()'s promise with its namespace once
// evaluation (top-level await included) is done. False when execution was
// terminated meanwhile.
bool run_import(MotuIsolate* m, ImportJob* job) {
  v8::Isolate* iso = m->isolate;
  v8::HandleScope scope(iso);
  v8::Local<v8::Context> ctx = m->context.Get(iso);
  v8::Context::Scope context_scope(ctx);
  v8::Local<v8::Promise::Resolver> resolver = job->resolver.Get(iso);
  v8::TryCatch tc(iso);
  v8::Local<v8::Module> module;
  v8::Local<v8::Value> evaluated;
  if (!import_module(m, job->referrer, job->specifier.Get(iso)).ToLocal(&module) ||
      !module->InstantiateModule(ctx, resolve_static).FromMaybe(false) ||
      !module->Evaluate(ctx).ToLocal(&evaluated)) {
    after_modules(m, false);
    if (pending_termination(m, tc)) return false;
    discard(resolver->Reject(ctx, tc.Exception()));
    return true;
  }
  after_modules(m, true);
  v8::Local<v8::Value> ns = module->GetModuleNamespace();
  v8::Local<v8::Function> give_namespace;
  v8::Local<v8::Promise> done;
  if (evaluated->IsPromise() &&
      v8::Function::New(ctx, return_data, ns, 0, v8::ConstructorBehavior::kThrow)
          .ToLocal(&give_namespace) &&
      evaluated.As<v8::Promise>()->Then(ctx, give_namespace).ToLocal(&done)) {
    discard(resolver->Resolve(ctx, done));
  } else if (!pending_termination(m, tc)) {
    discard(resolver->Resolve(ctx, ns));
  }
  return !pending_termination(m, tc);
}

void import_job(void* data) {
  auto* job = static_cast<ImportJob*>(data);
  std::unique_ptr<ImportJob> owned(job);
  MotuIsolate* m = job->owner;
  m->import_jobs.erase(job);
  bool done = false;
  try {
    done = run_import(m, job);
  } catch (...) {
    throw_error(m->isolate, ErrorClass::kError, "the V8 shim failed to import a module");
    return;
  }
  if (!done) {
    // The job's TryCatch has swallowed the termination: note it for the
    // call's outcome, and terminate again so that no further promise job
    // of this checkpoint runs.
    m->terminated = true;
    m->isolate->TerminateExecution();
  }
}

v8::MaybeLocal<v8::Promise> import_dynamic(v8::Local<v8::Context> ctx,
                                           v8::Local<v8::Data> /*host_defined_options*/,
                                           v8::Local<v8::Value> resource_name,
                                           v8::Local<v8::String> specifier,
                                           v8::Local<v8::FixedArray> /*assertions*/) {
  v8::Isolate* iso = ctx->GetIsolate();
  MotuIsolate* m = owner(iso);
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(ctx).ToLocal(&resolver)) return {};
  try {
    auto job = std::make_unique<ImportJob>();
    job->owner = m;
    if (!resource_name.IsEmpty() && resource_name->IsString())
      append_utf8(iso, resource_name.As<v8::String>(), job->referrer);
    job->specifier.Reset(iso, specifier);
    job->resolver.Reset(iso, resolver);
    m->import_jobs.insert(job.get());
    iso->EnqueueMicrotask(import_job, job.release());
  } catch (...) {
    discard(resolver->Reject(ctx, v8::Exception::Error(v8::String::NewFromUtf8Literal(
                                    iso, "the V8 shim failed to import a module"))));
  }
  return resolver->GetPromise();
}

}  // namespace

void install_module_hooks(v8::Isolate* iso) {
  iso->SetHostImportModuleDynamicallyCallback(import_dynamic);
}

int run_module(MotuIsolate* m, v8::Local<v8::Context> ctx, const MotuCode& code,
               MotuBuf* error) {
  v8::Isolate* iso = m->isolate;
  v8::TryCatch tc(iso);
  std::string name(reinterpret_cast<const char*>(code.name.data), code.name.len);
  v8::Local<v8::Module> module;
  v8::Local<v8::Value> result;
  auto found = m->modules_by_name.find(name);
  bool ok = found != m->modules_by_name.end()
                ? (module = found->second->module.Get(iso), true)
                : compile_and_keep(m, code).ToLocal(&module);
  if (!ok || !module->InstantiateModule(ctx, resolve_static).FromMaybe(false) ||
      !module->Evaluate(ctx).ToLocal(&result)) {
    after_modules(m, false);
    return finish(m, tc, ctx, error);
  }
  iso->PerformMicrotaskCheckpoint();
  if (tc.HasCaught() || pending_termination(m, tc)) {
    after_modules(m, false);
    return finish(m, tc, ctx, error);
  }
  if (result->IsPromise()) {
    auto promise = result.As<v8::Promise>();
    if (promise->State() == v8::Promise::kRejected) {
      after_modules(m, false);
      promise->MarkAsHandled();
      std::string out;
      describe_value(iso, ctx, promise->Result(), v8::Local<v8::Message>(), out);
      *error = to_buf(out);
      return MOTU_EXCEPTION;
    }
    if (promise->State() == v8::Promise::kPending) {
      after_modules(m, false);
      return fail(error, "Error",
                  "the top-level await of module '" + name +
                      "' had not settled once its promise jobs ran");
    }
  }
  after_modules(m, true);
  v8::Local<v8::Value> ns = module->GetModuleNamespace();
  discard(m->register_module.Get(iso)->Call(ctx, v8::Undefined(iso), 1, &ns).ToLocal(&result));
  return finish(m, tc, ctx, error);
}

void free_modules(MotuIsolate* m) {
  for (ImportJob* job : m->import_jobs) delete job;
  m->import_jobs.clear();
  m->compiled.clear();
  m->modules_by_hash.clear();
  m->modules_by_name.clear();
  m->modules.clear();
}

}  // namespace motu
