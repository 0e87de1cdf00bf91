// The op functions (`__motu_op`, `__motu_op_async`), the settling of async
// ops' promises, and the prelude chunk loader (`__motu_load`).
#include "internal.h"

namespace motu {
namespace {

// The op functions' encoding buffer is kept from call to call, unless a
// large value made it big.
constexpr size_t kKeptScratch = 64 << 10;

// Lends the isolate's scratch buffer to one op call. An op called while
// another encodes its arguments (from a getter) finds it taken and uses a
// fresh one.
class Scratch {
 public:
  explicit Scratch(MotuIsolate* m) : m_(m) {
    buf_.swap(m->scratch);
    buf_.clear();
  }
  ~Scratch() {
    if (buf_.capacity() <= kKeptScratch) m_->scratch.swap(buf_);
  }
  std::string& get() { return buf_; }

 private:
  MotuIsolate* m_;
  std::string buf_;
};

// The isolate's MotuIsolate, from its data slot rather than the function's
// data: a pointer of one process cannot live in a startup snapshot.
MotuIsolate* owner(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<MotuIsolate*>(info.GetIsolate()->GetData(0));
}

// Whether the isolate is being terminated: then an op neither reaches Rust
// nor hands its result to JavaScript (each can take milliseconds for a value
// of many megabytes); the JavaScript stops there.
bool stopping(v8::Isolate* iso, MotuIsolate* m) {
  return stop_if_terminating(m, iso, iso->GetCurrentContext());
}

void call_op(const v8::FunctionCallbackInfo<v8::Value>& info, bool async) {
  MotuIsolate* m = owner(info);
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  if (info.Length() < 1 || !info[0]->IsString()) {
    throw_error(iso, ErrorClass::kTypeError, "an op's first argument must be its name");
    return;
  }
  // A long string's UTF-8 (TextEncoder.encode) is made here, in slices a
  // termination can stop (encode.cc).
  if (!async && info.Length() == 2 && info[1]->IsString() &&
      info[1].As<v8::String>()->Length() >= kSlicedEncodeMin &&
      info[0].As<v8::String>()->StringEquals(v8::String::NewFromUtf8Literal(iso, "utf8_encode"))) {
    v8::Local<v8::Value> bytes;
    if (sliced_utf8_encode(m, iso, ctx, info[1].As<v8::String>(), &bytes))
      info.GetReturnValue().Set(bytes);
    return;
  }
  Scratch scratch(m);
  std::string& buf = scratch.get();
  size_t name_len = append_utf8(iso, info[0].As<v8::String>(), buf);
  // The arguments' lent bytes, alive until the op has copied them.
  Pins pins;
  if (!encode_args(m, info, 1, buf, pins) || stopping(iso, m)) return;
  v8::Local<v8::Promise::Resolver> resolver;
  uint64_t id = 0;
  if (async) {
    if (!v8::Promise::Resolver::New(ctx).ToLocal(&resolver)) return;
    id = m->next_op++;
  }
  const auto* data = reinterpret_cast<const uint8_t*>(buf.data());
  MotuReply reply{};
  int status = m->callbacks->op(m->embedder, MotuBytes{data, name_len},
                                MotuBytes{data + name_len, buf.size() - name_len}, async ? 1 : 0,
                                id, &reply);
  if (status != MOTU_OK) {
    v8::Local<v8::Value> error = make_error(iso, ctx, reply.name, reply.message);
    if (!async) {
      iso->ThrowException(error);
      return;
    }
    motu::discard(resolver->Reject(ctx, error));
  } else if (async) {
    m->pending.emplace(id, v8::Global<v8::Promise::Resolver>(iso, resolver));
  } else {
    v8::Local<v8::Value> result;
    if (stopping(iso, m)) return;
    if (!decode_value(iso, ctx, reply.value, &result)) {
      if (!iso->IsExecutionTerminating())
        throw_error(iso, ErrorClass::kTypeError,
                    "the op's result could not be converted to JavaScript");
      return;
    }
    info.GetReturnValue().Set(result);
    return;
  }
  info.GetReturnValue().Set(resolver->GetPromise());
}

void op(const v8::FunctionCallbackInfo<v8::Value>& info, bool async) {
  try {
    call_op(info, async);
  } catch (const std::bad_alloc&) {
    throw_error(info.GetIsolate(), ErrorClass::kRangeError, "out of memory in an op");
  } catch (...) {
    throw_error(info.GetIsolate(), ErrorClass::kError, "the V8 shim failed in an op");
  }
}

// `__motu_load(index)`: evaluates prelude chunk `index` through the code
// cache and returns its completion value.
void call_load(const v8::FunctionCallbackInfo<v8::Value>& info) {
  MotuIsolate* m = owner(info);
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  double n = info.Length() > 0 && info[0]->IsNumber() ? info[0].As<v8::Number>()->Value() : -1;
  MotuCode code{};
  if (!(n >= 0 && n <= UINT32_MAX && n == static_cast<double>(static_cast<uint32_t>(n))) ||
      m->callbacks->chunk(m->embedder, static_cast<uint32_t>(n), &code) != MOTU_OK) {
    throw_error(iso, ErrorClass::kRangeError, "no prelude chunk has this index");
    return;
  }
  bool needs_cache = false;
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> result;
  if (!compile_script(m, ctx, code, &needs_cache).ToLocal(&script) ||
      !script->Run(ctx).ToLocal(&result))
    return;
  after_script(m, script, code.token, needs_cache);
  info.GetReturnValue().Set(result);
}

void load(const v8::FunctionCallbackInfo<v8::Value>& info) {
  try {
    call_load(info);
  } catch (const std::bad_alloc&) {
    throw_error(info.GetIsolate(), ErrorClass::kRangeError, "out of memory loading a chunk");
  } catch (...) {
    throw_error(info.GetIsolate(), ErrorClass::kError, "the V8 shim failed loading a chunk");
  }
}

void op_sync(const v8::FunctionCallbackInfo<v8::Value>& info) { op(info, false); }
void op_async(const v8::FunctionCallbackInfo<v8::Value>& info) { op(info, true); }

v8::Local<v8::String> name_string(v8::Isolate* iso, MotuBytes name) {
  return v8::String::NewFromUtf8(iso, reinterpret_cast<const char*>(name.data),
                                 v8::NewStringType::kInternalized, static_cast<int>(name.len))
      .ToLocalChecked();
}

// Settles op `op_id`'s promise with what `settle` does to its resolver.
template <typename F>
int settle(MotuIsolate* m, uint64_t op_id, MotuBuf* error, F&& how) {
  return guarded(error, [&]() -> int {
    int status = check_usable(m, error);
    if (status != MOTU_OK) return status;
    auto it = m->pending.find(op_id);
    if (it == m->pending.end()) return MOTU_OK;
    Enter e(m);
    v8::Local<v8::Promise::Resolver> resolver = it->second.Get(m->isolate);
    m->pending.erase(it);
    v8::TryCatch tc(m->isolate);
    how(e.ctx, resolver);
    return finish(m, tc, e.ctx, error);
  });
}

}  // namespace

bool install_ops(MotuIsolate* m, v8::Local<v8::Context> ctx, const MotuIsolateOptions& options) {
  v8::Isolate* iso = m->isolate;
  v8::Local<v8::Value> none;
  v8::Local<v8::Function> sync, async, loader;
  v8::Local<v8::Object> global = ctx->Global();
  return v8::Function::New(ctx, op_sync, none, 1, v8::ConstructorBehavior::kThrow)
             .ToLocal(&sync) &&
         v8::Function::New(ctx, op_async, none, 1, v8::ConstructorBehavior::kThrow)
             .ToLocal(&async) &&
         v8::Function::New(ctx, load, none, 1, v8::ConstructorBehavior::kThrow)
             .ToLocal(&loader) &&
         global->Set(ctx, name_string(iso, options.op_sync), sync).FromMaybe(false) &&
         global->Set(ctx, name_string(iso, options.op_async), async).FromMaybe(false) &&
         global->Set(ctx, name_string(iso, options.op_load), loader).FromMaybe(false);
}

void add_op_references(std::vector<intptr_t>& refs) {
  for (v8::FunctionCallback f : {op_sync, op_async, load}) refs.push_back(reinterpret_cast<intptr_t>(f));
}

}  // namespace motu

extern "C" {

int motu_v8_resolve(MotuIsolate* m, uint64_t op_id, MotuBytes value, MotuBuf* error) {
  return motu::settle(m, op_id, error, [&](v8::Local<v8::Context> ctx,
                                           v8::Local<v8::Promise::Resolver> resolver) {
    v8::Local<v8::Value> v;
    if (motu::decode_value(m->isolate, ctx, value, &v)) {
      motu::discard(resolver->Resolve(ctx, v));
    } else if (!m->isolate->IsExecutionTerminating()) {
      motu::discard(resolver->Reject(
          ctx, v8::Exception::TypeError(v8::String::NewFromUtf8Literal(
                   m->isolate, "the op's result could not be converted to JavaScript"))));
    }
  });
}

int motu_v8_reject(MotuIsolate* m, uint64_t op_id, MotuBytes name, MotuBytes message,
                   MotuBuf* error) {
  return motu::settle(m, op_id, error, [&](v8::Local<v8::Context> ctx,
                                           v8::Local<v8::Promise::Resolver> resolver) {
    motu::discard(resolver->Reject(ctx, motu::make_error(m->isolate, ctx, name, message)));
  });
}

}  // extern "C"
