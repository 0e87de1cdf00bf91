// ECMAScript built-ins this V8 predates, installed natively so that Worker
// code and the Web API prelude find them as on newer engines:
// ArrayBuffer.prototype.transfer, transferToFixedLength and `detached`
// (ES2024), which structuredClone's `transfer` option relies on, and
// Error.isError (ES2026), which asks the engine whether a value is an
// error object (no JavaScript can tell: `Symbol.toStringTag` lies).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "internal.h"

namespace motu {
namespace {

// `this` as a non-shared ArrayBuffer that is not detached, or nothing (with
// a TypeError thrown).
bool this_buffer(const v8::FunctionCallbackInfo<v8::Value>& info, v8::Local<v8::ArrayBuffer>* out) {
  v8::Isolate* iso = info.GetIsolate();
  if (!info.This()->IsArrayBuffer()) {
    throw_error(iso, ErrorClass::kTypeError, "the receiver is not an ArrayBuffer");
    return false;
  }
  *out = info.This().As<v8::ArrayBuffer>();
  if ((*out)->WasDetached()) {
    throw_error(iso, ErrorClass::kTypeError, "the ArrayBuffer is detached");
    return false;
  }
  return true;
}

// ArrayBuffer.prototype.transfer(newLength): moves the contents to a new
// buffer (copied when the length changes) and detaches this one. It
// allocates with the context's ArrayBuffer constructor (kSlotArrayBuffer),
// through the ordinary path (so a failed allocation is a RangeError, not a
// crash).
void transfer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  v8::Local<v8::ArrayBuffer> buffer;
  if (!this_buffer(info, &buffer)) return;
  size_t old_length = buffer->ByteLength();
  size_t length = old_length;
  if (info.Length() > 0 && !info[0]->IsUndefined()) {
    double n;
    if (!info[0]->NumberValue(ctx).To(&n)) return;
    n = std::isnan(n) ? 0 : std::trunc(n);
    if (n < 0 || n > 9007199254740991.0) {
      throw_error(iso, ErrorClass::kRangeError, "invalid ArrayBuffer length");
      return;
    }
    length = static_cast<size_t>(n);
  }
  if (!buffer->IsDetachable()) {
    throw_error(iso, ErrorClass::kTypeError, "the ArrayBuffer cannot be detached");
    return;
  }
  if (length == old_length) {
    std::shared_ptr<v8::BackingStore> store = buffer->GetBackingStore();
    buffer->Detach();
    info.GetReturnValue().Set(v8::ArrayBuffer::New(iso, store));
    return;
  }
  v8::Local<v8::Function> ctor = slot_value(ctx, kSlotArrayBuffer).As<v8::Function>();
  v8::Local<v8::Value> arg = v8::Number::New(iso, static_cast<double>(length));
  v8::Local<v8::Object> created;
  if (!ctor->NewInstance(ctx, 1, &arg).ToLocal(&created) || !created->IsArrayBuffer()) return;
  v8::Local<v8::ArrayBuffer> fresh = created.As<v8::ArrayBuffer>();
  size_t n = std::min(length, old_length);
  if (n > 0) std::memcpy(fresh->GetBackingStore()->Data(), buffer->GetBackingStore()->Data(), n);
  buffer->Detach();
  info.GetReturnValue().Set(fresh);
}

void detached(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!info.This()->IsArrayBuffer()) {
    throw_error(info.GetIsolate(), ErrorClass::kTypeError, "the receiver is not an ArrayBuffer");
    return;
  }
  info.GetReturnValue().Set(info.This().As<v8::ArrayBuffer>()->WasDetached());
}

// Error.isError(value): whether `value` is an error object (made by an
// error constructor; a proxy of one is not, nor an object inheriting from
// Error.prototype).
void is_error(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(info.Length() > 0 && info[0]->IsNativeError());
}

// Error.isError, unless the engine has it.
bool install_is_error(v8::Local<v8::Context> ctx) {
  v8::Isolate* iso = ctx->GetIsolate();
  v8::Local<v8::Value> error_value, existing;
  if (!ctx->Global()->Get(ctx, str(iso, "Error")).ToLocal(&error_value) || !error_value->IsObject())
    return false;
  v8::Local<v8::Object> error = error_value.As<v8::Object>();
  if (!error->Get(ctx, str(iso, "isError")).ToLocal(&existing)) return false;
  if (!existing->IsUndefined()) return true;
  v8::Local<v8::Function> fn;
  if (!v8::Function::New(ctx, is_error, v8::Local<v8::Value>(), 1, v8::ConstructorBehavior::kThrow)
           .ToLocal(&fn))
    return false;
  fn->SetName(str(iso, "isError"));
  return error->DefineOwnProperty(ctx, str(iso, "isError"), fn, v8::DontEnum).FromMaybe(false);
}

}  // namespace

bool install_builtins(v8::Local<v8::Context> ctx) {
  if (!install_is_error(ctx)) return false;
  v8::Isolate* iso = ctx->GetIsolate();
  v8::Local<v8::Value> ctor_value, proto_value, existing;
  if (!ctx->Global()->Get(ctx, str(iso, "ArrayBuffer")).ToLocal(&ctor_value) ||
      !ctor_value->IsFunction())
    return false;
  v8::Local<v8::Function> ctor = ctor_value.As<v8::Function>();
  if (!ctor->Get(ctx, str(iso, "prototype")).ToLocal(&proto_value) || !proto_value->IsObject())
    return false;
  v8::Local<v8::Object> proto = proto_value.As<v8::Object>();
  if (!proto->Get(ctx, str(iso, "transfer")).ToLocal(&existing)) return false;
  if (!existing->IsUndefined()) return true;  // the engine has them
  ctx->SetEmbedderData(kSlotArrayBuffer, ctor);
  for (const char* name : {"transfer", "transferToFixedLength"}) {
    v8::Local<v8::Function> fn;
    if (!v8::Function::New(ctx, transfer, v8::Local<v8::Value>(), 0,
                           v8::ConstructorBehavior::kThrow)
             .ToLocal(&fn))
      return false;
    fn->SetName(str(iso, name));
    if (!proto->DefineOwnProperty(ctx, str(iso, name), fn, v8::DontEnum).FromMaybe(false))
      return false;
  }
  v8::Local<v8::Function> getter;
  if (!v8::Function::New(ctx, detached, v8::Local<v8::Value>(), 0, v8::ConstructorBehavior::kThrow)
           .ToLocal(&getter))
    return false;
  getter->SetName(str(iso, "get detached"));
  proto->SetAccessorProperty(str(iso, "detached"), getter, v8::Local<v8::Function>(), v8::DontEnum);
  return true;
}

void add_builtin_references(std::vector<intptr_t>& refs) {
  for (v8::FunctionCallback f : {transfer, detached, is_error})
    refs.push_back(reinterpret_cast<intptr_t>(f));
}

}  // namespace motu
