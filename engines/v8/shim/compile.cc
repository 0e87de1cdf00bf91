// Compiling scripts and modules, through the code cache the embedder keeps:
// code that comes with cache from an earlier compile is deserialized
// instead of parsed; code without (or with cache V8 rejects) is compiled,
// and its fresh cache goes back to the embedder once the code has run, so
// that it covers the functions the run compiled too. Until the isolate has
// served its first event, it keeps what it compiled, so that the embedder
// can have the cache made again then (motu_v8_refresh_caches) to cover the
// functions serving an event compiles.
#include <algorithm>
#include <climits>
#include <memory>

#include "internal.h"

namespace motu {
namespace {

v8::MaybeLocal<v8::String> source_string(v8::Isolate* iso, MotuBytes bytes) {
  if (bytes.len > static_cast<size_t>(v8::String::kMaxLength)) {
    throw_error(iso, ErrorClass::kRangeError, "the source is too long for V8");
    return {};
  }
  v8::MaybeLocal<v8::String> s =
      v8::String::NewFromUtf8(iso, reinterpret_cast<const char*>(bytes.data),
                              v8::NewStringType::kNormal, static_cast<int>(bytes.len));
  if (s.IsEmpty()) throw_error(iso, ErrorClass::kRangeError, "the source is too long for V8");
  return s;
}

// A source V8 reads where the embedder keeps it (MotuCode.source_kept):
// ASCII, valid until the isolate is freed. V8 deletes this wrapper when
// the string dies or the isolate goes; the bytes stay the embedder's.
class KeptSource final : public v8::String::ExternalOneByteStringResource {
 public:
  explicit KeptSource(MotuBytes bytes)
      : data_(reinterpret_cast<const char*>(bytes.data)), length_(bytes.len) {}
  const char* data() const override { return data_; }
  size_t length() const override { return length_; }

 private:
  const char* data_;
  size_t length_;
};

// The source of `code`: an external string over the embedder's bytes when
// it keeps them, otherwise a copy in the heap.
v8::MaybeLocal<v8::String> code_source(v8::Isolate* iso, const MotuCode& code) {
  if (code.source_kept && code.source.len <= static_cast<size_t>(v8::String::kMaxLength)) {
    auto* resource = new KeptSource(code.source);
    v8::Local<v8::String> s;
    if (v8::String::NewExternalOneByte(iso, resource).ToLocal(&s)) return s;
    delete resource;
  }
  return source_string(iso, code.source);
}

// Cache the embedder lent, or null. The Source that takes it does not own
// the bytes; they stay valid while the compile runs.
v8::ScriptCompiler::CachedData* lent_cache(const MotuCode& code) {
  if (code.cache.len == 0 || code.cache.len > static_cast<size_t>(INT_MAX)) return nullptr;
  return new v8::ScriptCompiler::CachedData(code.cache.data, static_cast<int>(code.cache.len),
                                            v8::ScriptCompiler::CachedData::BufferNotOwned);
}

void store(MotuIsolate* m, v8::ScriptCompiler::CachedData* data, uint64_t token, int kind) {
  std::unique_ptr<v8::ScriptCompiler::CachedData> owned(data);
  if (owned && owned->length > 0)
    m->callbacks->store_cache(m->embedder, token, kind,
                              MotuBytes{owned->data, static_cast<size_t>(owned->length)});
}

}  // namespace

v8::MaybeLocal<v8::Script> compile_script(MotuIsolate* m, v8::Local<v8::Context> ctx,
                                          const MotuCode& code, bool* needs_cache) {
  v8::Isolate* iso = m->isolate;
  v8::Local<v8::String> name, source;
  if (!source_string(iso, code.name).ToLocal(&name) ||
      !code_source(iso, code).ToLocal(&source))
    return {};
  v8::ScriptOrigin origin(iso, name);
  v8::ScriptCompiler::CachedData* cache = lent_cache(code);
  v8::ScriptCompiler::Source src(source, origin, cache);
  v8::MaybeLocal<v8::Script> script = v8::ScriptCompiler::Compile(
      ctx, &src,
      cache ? v8::ScriptCompiler::kConsumeCodeCache : v8::ScriptCompiler::kNoCompileOptions);
  *needs_cache = code.token != 0 && (!cache || src.GetCachedData()->rejected);
  return script;
}

void after_script(MotuIsolate* m, v8::Local<v8::Script> script, uint64_t token,
                  bool needs_cache) {
  if (token == 0) return;
  v8::Local<v8::UnboundScript> unbound = script->GetUnboundScript();
  if (needs_cache) store(m, v8::ScriptCompiler::CreateCodeCache(unbound), token, MOTU_SCRIPT);
  if (m->keep_for_refresh) {
    Refreshable r;
    r.script.Reset(m->isolate, unbound);
    r.token = token;
    m->refreshable.push_back(std::move(r));
  }
}

v8::MaybeLocal<v8::Module> compile_module(MotuIsolate* m, const MotuCode& code,
                                          bool* needs_cache) {
  v8::Isolate* iso = m->isolate;
  v8::Local<v8::String> name, source;
  if (!source_string(iso, code.name).ToLocal(&name) ||
      !code_source(iso, code).ToLocal(&source))
    return {};
  v8::ScriptOrigin origin(iso, name, 0, 0, false, -1, v8::Local<v8::Value>(), false, false,
                          /*is_module=*/true);
  v8::ScriptCompiler::CachedData* cache = lent_cache(code);
  v8::ScriptCompiler::Source src(source, origin, cache);
  v8::MaybeLocal<v8::Module> module = v8::ScriptCompiler::CompileModule(
      iso, &src,
      cache ? v8::ScriptCompiler::kConsumeCodeCache : v8::ScriptCompiler::kNoCompileOptions);
  *needs_cache = code.token != 0 && (!cache || src.GetCachedData()->rejected);
  return module;
}

void after_modules(MotuIsolate* m, bool ran) {
  v8::HandleScope scope(m->isolate);
  for (ModuleRecord* record : m->compiled) {
    if (ran && !record->unbound.IsEmpty()) {
      v8::Local<v8::UnboundModuleScript> unbound = record->unbound.Get(m->isolate);
      if (record->needs_cache)
        store(m, v8::ScriptCompiler::CreateCodeCache(unbound), record->token, MOTU_MODULE);
      if (m->keep_for_refresh) {
        Refreshable r;
        r.module.Reset(m->isolate, unbound);
        r.token = record->token;
        m->refreshable.push_back(std::move(r));
      }
    }
    record->unbound.Reset();
  }
  m->compiled.clear();
}

void refresh_caches(MotuIsolate* m, const uint64_t* tokens, size_t count) {
  v8::HandleScope scope(m->isolate);
  for (Refreshable& r : m->refreshable) {
    if (std::find(tokens, tokens + count, r.token) == tokens + count) continue;
    if (!r.script.IsEmpty())
      store(m, v8::ScriptCompiler::CreateCodeCache(r.script.Get(m->isolate)), r.token,
            MOTU_SCRIPT);
    else if (!r.module.IsEmpty())
      store(m, v8::ScriptCompiler::CreateCodeCache(r.module.Get(m->isolate)), r.token,
            MOTU_MODULE);
  }
  m->refreshable.clear();
  m->keep_for_refresh = false;
}

}  // namespace motu
