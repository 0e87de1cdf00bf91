// Startup snapshots: a context with the shim's globals installed and the
// prelude evaluated, made once per process for each prelude, from which
// every later isolate's context is deserialized instead of built.
//
// A cold start used to spend about a third of its time evaluating the
// prelude (defining every Web API class, wiring prototypes). A snapshot
// holds the heap that evaluation leaves: the prelude's globals, prototypes
// and closures, and the bytecode of the functions compiled while it ran
// (FunctionCodeHandling::kKeep). Each isolate deserializes a copy of its
// own into its own heap: isolates share the blob they are read from, never
// an object, so every Worker still starts from a fresh global scope, and a
// Worker's changes to a prelude global or prototype stay in its isolate.
//
// What cannot live in a snapshot, and how it is handled:
// - Native functions are addresses of this process. V8 writes them as
//   indices into a table of external references (the callbacks of ops.cc,
//   async_context.cc, builtins.cc, stops.cc, slices.cc), and an isolate
//   made from the snapshot is given the same table.
// - The prelude's source. V8 keeps it for the functions it compiles
//   lazily; as an external string whose resource is also in the table, it
//   is read in place from this file's copy, neither in the blob nor in each
//   isolate's heap (only an ASCII source can be; another is copied).
// - Anything of one isolate. The op functions find their MotuIsolate
//   through the isolate's data slot, not a v8::External; the prelude's
//   hooks and the interrupt check are handed back by the new context
//   (GetDataFromSnapshotOnce) and kept as globals of the new isolate.
//
// A function's bytecode is in the snapshot only if it was compiled while
// the prelude ran; those a first event needs (Request, Response, the body
// readers) would be compiled again in every isolate. So an isolate made
// from the snapshot has the prelude's code cache made after its first
// event, as the classic way does, and the next isolate's request finds the
// prelude with that warm cache: the snapshot is made again, once, from the
// prelude compiled with it. Earlier blobs stay for the isolates made from
// them.
//
// The snapshot is made in an isolate of its own with a host that refuses
// every op, chunk and module: what a prelude got from the host while it
// was evaluated would be baked into every Worker, so such a prelude is not
// snapshotted, nor one that throws or lacks its hooks. Isolates for a
// prelude without a snapshot are made the classic way (isolate.cc), which
// also reports the prelude's errors. MOTU_V8_SNAPSHOT=0 turns snapshots
// off.
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "internal.h"

namespace motu {
namespace {

// At most this many preludes get a snapshot (a process has one prelude;
// tests have a few more).
constexpr size_t kMaxSnapshots = 16;

// The prelude's source for V8 to read in place. V8 disposes of an external
// string's resource when the string dies; this one belongs to the snapshot,
// which lives as long as the process, and is shared by every isolate.
class SharedSource final : public v8::String::ExternalOneByteStringResource {
 public:
  explicit SharedSource(const std::string& source) : source_(source) {}
  const char* data() const override { return source_.data(); }
  size_t length() const override { return source_.size(); }

 protected:
  void Dispose() override {}

 private:
  const std::string& source_;
};

// The host of the isolate a snapshot is made in: it answers nothing, and
// notes that it was asked.
int refuse_op(void* embedder, MotuBytes, MotuBytes, int, uint64_t, MotuReply* reply) {
  *static_cast<bool*>(embedder) = true;
  static const char kName[] = "Error";
  static const char kMessage[] = "the host is not reachable while the prelude is snapshotted";
  reply->name = MotuBytes{reinterpret_cast<const uint8_t*>(kName), sizeof kName - 1};
  reply->message = MotuBytes{reinterpret_cast<const uint8_t*>(kMessage), sizeof kMessage - 1};
  return MOTU_EXCEPTION;
}
int refuse_resolve(void* embedder, MotuBytes, MotuBytes, MotuBytes* out) {
  *static_cast<bool*>(embedder) = true;
  *out = MotuBytes{nullptr, 0};
  return MOTU_EXCEPTION;
}
int refuse_source(void* embedder, MotuBytes, MotuCode*) {
  *static_cast<bool*>(embedder) = true;
  return MOTU_EXCEPTION;
}
void ignore_cache(void*, uint64_t, int, MotuBytes) {}
int refuse_chunk(void* embedder, uint32_t, MotuCode*) {
  *static_cast<bool*>(embedder) = true;
  return MOTU_EXCEPTION;
}
const MotuCallbacks kRefusingHost = {refuse_op, refuse_resolve, refuse_source, ignore_cache,
                                     refuse_chunk};

bool enabled() {
  static const bool on = [] {
    const char* v = std::getenv("MOTU_V8_SNAPSHOT");
    return !(v && (std::strcmp(v, "0") == 0 || std::strcmp(v, "off") == 0));
  }();
  return on;
}

std::string as_string(MotuBytes b) {
  return std::string(reinterpret_cast<const char*>(b.data), b.len);
}

// The key of a prelude with these global names (the source is compared
// apart, being long).
std::string key_of(const MotuIsolateOptions& o, const MotuCode& prelude) {
  std::string key;
  for (MotuBytes part : {prelude.name, o.op_sync, o.op_async, o.op_load, o.hook_dispatch,
                         o.hook_register_module, o.hook_start, o.async_context_get,
                         o.async_context_set}) {
    key += as_string(part);
    key.push_back('\0');
  }
  return key;
}

bool is_ascii(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

// The prelude compiled (through the code cache it came with, if any) and
// run in `ctx`; its script in *script and completion value in *out.
bool evaluate(const Snapshot& s, v8::Isolate* iso, v8::Local<v8::Context> ctx,
              const MotuCode& prelude, v8::Local<v8::Script>* script,
              v8::Local<v8::Value>* out) {
  v8::Local<v8::String> name, source;
  if (!v8::String::NewFromUtf8(iso, reinterpret_cast<const char*>(prelude.name.data),
                               v8::NewStringType::kNormal, static_cast<int>(prelude.name.len))
           .ToLocal(&name))
    return false;
  bool made = s.resource ? v8::String::NewExternalOneByte(iso, s.resource.get()).ToLocal(&source)
                         : v8::String::NewFromUtf8(iso, s.source.data(),
                                                   v8::NewStringType::kNormal,
                                                   static_cast<int>(s.source.size()))
                               .ToLocal(&source);
  if (!made) return false;
  v8::ScriptOrigin origin(iso, name);
  v8::ScriptCompiler::CachedData* cache =
      prelude.cache.len > 0 && prelude.cache.len <= INT32_MAX
          ? new v8::ScriptCompiler::CachedData(prelude.cache.data,
                                               static_cast<int>(prelude.cache.len),
                                               v8::ScriptCompiler::CachedData::BufferNotOwned)
          : nullptr;
  v8::ScriptCompiler::Source src(source, origin, cache);
  return v8::ScriptCompiler::Compile(ctx, &src,
                                     cache ? v8::ScriptCompiler::kConsumeCodeCache
                                           : v8::ScriptCompiler::kNoCompileOptions)
             .ToLocal(script) &&
         (*script)->Run(ctx).ToLocal(out);
}

// Makes a blob of the snapshot into *blob; false (and no blob) when the
// prelude cannot be snapshotted.
bool make(const Snapshot& s, const MotuIsolateOptions& options, const MotuCode& prelude,
          v8::StartupData* blob) {
  v8::SnapshotCreator creator(s.references.data());
  v8::Isolate* iso = creator.GetIsolate();
  bool asked_host = false;
  MotuIsolate host;
  host.isolate = iso;
  host.callbacks = &kRefusingHost;
  host.embedder = &asked_host;
  host.keep_for_refresh = false;
  host.encode_budget = size_t{1} << 30;
  iso->SetData(0, &host);
  install_failure_handlers(iso);
  iso->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  bool ok = false;
  {
    v8::HandleScope handle_scope(iso);
    v8::Local<v8::Context> ctx = v8::Context::New(iso);
    if (!ctx.IsEmpty()) {
      v8::Context::Scope context_scope(ctx);
      v8::TryCatch tc(iso);
      v8::Local<v8::Script> script;
      v8::Local<v8::Value> hooks;
      ok = install_globals(&host, ctx, options) &&
           evaluate(s, iso, ctx, prelude, &script, &hooks) &&
           take_hooks(&host, ctx, hooks, options);
      // Promise jobs do not live in a snapshot: run them now.
      if (ok) iso->PerformMicrotaskCheckpoint();
      ok = ok && !tc.HasCaught() && !asked_host && host.fatal.empty();
      if (ok) {
        v8::Local<v8::Function> kept[kSnapshotFunctions];
        kept[kSnapshotDispatch] = host.dispatch.Get(iso);
        kept[kSnapshotRegisterModule] = host.register_module.Get(iso);
        kept[kSnapshotInterruptCheck] = host.interrupt_check.Get(iso);
        for (size_t i = 0; i < kSnapshotFunctions; i++)
          ok = ok && creator.AddData(ctx, kept[i]) == i;
        v8::Local<v8::Value> start = v8::Undefined(iso);
        if (!host.start.IsEmpty()) start = host.start.Get(iso);
        ok = ok && creator.AddData(ctx, start) == kSnapshotStart &&
             creator.AddData(ctx, script->GetUnboundScript()) == kSnapshotPrelude;
        if (ok) creator.SetDefaultContext(ctx);
      }
    }
  }
  // No handle of the shim may outlive the isolate, nor be in the snapshot.
  host.dispatch.Reset();
  host.register_module.Reset();
  host.start.Reset();
  host.interrupt_check.Reset();
  if (ok) *blob = creator.CreateBlob(v8::SnapshotCreator::FunctionCodeHandling::kKeep);
  forget_isolate(iso);
  host.isolate = nullptr;
  if (ok && blob->data != nullptr && blob->raw_size > 0) return true;
  delete[] blob->data;
  *blob = v8::StartupData{nullptr, 0};
  return false;
}

// Makes a blob of `s` from `prelude` and makes it the current one; false
// when it could not be made.
bool add_blob(Snapshot& s, const MotuIsolateOptions& options, const MotuCode& prelude) {
  auto blob = std::make_unique<v8::StartupData>();
  if (!make(s, options, prelude, blob.get())) return false;
  s.blobs.push_back(std::move(blob));
  s.cache_len = prelude.cache.len;
  return true;
}

// Every snapshot made or tried (a failed one has no blob), and the lock
// over them: never freed, not even by the static destructors at exit,
// since isolates made from a snapshot read its blob and source for as long
// as they live, and threads may still be running them while the process
// exits.
std::mutex& snapshots_lock = *new std::mutex;
std::vector<std::unique_ptr<Snapshot>>& snapshots = *new std::vector<std::unique_ptr<Snapshot>>;

}  // namespace

v8::StartupData* snapshot_for(const MotuIsolateOptions& options, const MotuCode& prelude,
                              const intptr_t** references) {
  if (!enabled()) return nullptr;
  std::string key = key_of(options, prelude);
  std::lock_guard<std::mutex> lock(snapshots_lock);
  Snapshot* found = nullptr;
  for (const auto& s : snapshots) {
    if (s->key == key && s->source.size() == prelude.source.len &&
        (prelude.source.len == 0 ||
         std::memcmp(s->source.data(), prelude.source.data, prelude.source.len) == 0)) {
      found = s.get();
      break;
    }
  }
  if (found == nullptr) {
    if (snapshots.size() >= kMaxSnapshots) return nullptr;
    auto s = std::make_unique<Snapshot>();
    s->key = std::move(key);
    s->source = as_string(prelude.source);
    if (is_ascii(s->source)) s->resource = std::make_unique<SharedSource>(s->source);
    add_op_references(s->references);
    add_async_context_references(s->references);
    add_builtin_references(s->references);
    add_accessor_references(s->references);
    add_slice_references(s->references);
    add_sort_references(s->references);
    add_json_references(s->references);
    if (s->resource) s->references.push_back(reinterpret_cast<intptr_t>(s->resource.get()));
    s->references.push_back(0);
    add_blob(*s, options, prelude);
    snapshots.push_back(std::move(s));
    found = snapshots.back().get();
  } else if (!found->blobs.empty() && !found->remade && prelude.cache.len > 0 &&
             prelude.cache.len != found->cache_len) {
    // The prelude comes with code cache the blob was not made with: the
    // warm cache of an isolate that served an event (isolate.cc), which
    // also holds the functions serving one compiled. Made again from it
    // once, the snapshot has their bytecode too, and new isolates do not
    // compile them for their first event.
    found->remade = true;
    add_blob(*found, options, prelude);
  }
  if (found->blobs.empty()) return nullptr;
  *references = found->references.data();
  return found->blobs.back().get();
}

}  // namespace motu
