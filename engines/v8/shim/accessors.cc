// `__motu_define_getter(object, name, getter)`: gives `object` an own
// accessor property `name` with `getter` and no setter, enumerable and not
// configurable — what Web IDL's [LegacyUnforgeable] attributes are on every
// instance (an Event's `isTrusted`). The prelude takes it and deletes the
// global (see js/lazy.js); without it, the prelude uses
// Object.defineProperty. Natively it skips reading a descriptor object,
// which was most of the cost of making an event.
#include "internal.h"

namespace motu {
namespace {

void define_getter(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  if (info.Length() < 3 || !info[0]->IsObject() || !info[1]->IsName() || !info[2]->IsFunction()) {
    throw_error(iso, ErrorClass::kTypeError, "define_getter(object, name, getter)");
    return;
  }
  info[0].As<v8::Object>()->SetAccessorProperty(info[1].As<v8::Name>(),
                                                info[2].As<v8::Function>(),
                                                v8::Local<v8::Function>(), v8::DontDelete);
}

}  // namespace

bool install_accessors(v8::Local<v8::Context> ctx) {
  v8::Isolate* iso = ctx->GetIsolate();
  v8::Local<v8::Function> fn;
  return v8::Function::New(ctx, define_getter, v8::Local<v8::Value>(), 3,
                           v8::ConstructorBehavior::kThrow)
             .ToLocal(&fn) &&
         ctx->Global()
             ->DefineOwnProperty(ctx, str(iso, "__motu_define_getter"), fn, v8::DontEnum)
             .FromMaybe(false);
}

void add_accessor_references(std::vector<intptr_t>& refs) {
  refs.push_back(reinterpret_cast<intptr_t>(define_getter));
}

}  // namespace motu
