// Built-ins that V8 runs to their end without looking for interrupts, cut
// into slices that let a termination in between.
//
// V8 honours TerminateExecution only at its interrupt checks (see
// stops.cc); a built-in written in C++ runs its whole loop without one.
// `Array.prototype.fill` of `new Array(1e6)` is
// one: growing the empty backing store to a million elements in one step is
// too large a gap for V8's fast elements, so it turns the array into a
// dictionary and sets each element through the generic path, about half a
// microsecond each, for hundreds of milliseconds after the watchdog fired.
// Here `fill` on an Array is done as V8's own `fill` over slices of kSlice
// elements, and between two slices a termination asked for is delivered
// (`stop_if_terminating`), which stops the JavaScript that called it.
#include <algorithm>
#include <cmath>

#include "internal.h"

namespace motu {
namespace {

// Elements per slice: half a millisecond at most on V8's generic path, and
// a call's cost (a fraction of a microsecond) per slice on its fast one.
constexpr double kSlice = 1000;

v8::Local<v8::String> str(v8::Isolate* iso, const char* s) {
  return v8::String::NewFromUtf8(iso, s, v8::NewStringType::kInternalized).ToLocalChecked();
}

// ToIntegerOrInfinity(value) made relative to `length`, as `fill` does with
// its start and end; `fallback` when undefined. False with an exception
// pending.
bool relative_index(v8::Local<v8::Context> ctx, v8::Local<v8::Value> value, double length,
                    double fallback, double* out) {
  double relative = fallback;
  if (!value->IsUndefined()) {
    if (!value->NumberValue(ctx).To(&relative)) return false;
    relative = std::isnan(relative) ? 0 : std::trunc(relative);
  }
  *out = relative < 0 ? std::max(length + relative, 0.0) : std::min(relative, length);
  return true;
}

// `Array.prototype.fill(value, start, end)`. The data is V8's own `fill`.
void fill(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  auto* m = static_cast<MotuIsolate*>(iso->GetData(0));
  v8::Local<v8::Function> original = info.Data().As<v8::Function>();
  v8::Local<v8::Value> self = receiver(info);
  v8::Local<v8::Value> result;
  if (!self->IsArray()) {
    // Anything else (array-likes, proxies) as V8 does it, in one go: its
    // `length` may be a getter, which must be read once.
    std::vector<v8::Local<v8::Value>> args;
    for (int i = 0; i < info.Length(); i++) args.push_back(info[i]);
    if (original->Call(ctx, self, static_cast<int>(args.size()), args.data()).ToLocal(&result))
      info.GetReturnValue().Set(result);
    return;
  }
  v8::Local<v8::Array> array = self.As<v8::Array>();
  double length = array->Length();
  v8::Local<v8::Value> value = info.Length() > 0 ? info[0] : v8::Undefined(iso).As<v8::Value>();
  v8::Local<v8::Value> start_arg = info.Length() > 1 ? info[1] : v8::Undefined(iso).As<v8::Value>();
  v8::Local<v8::Value> end_arg = info.Length() > 2 ? info[2] : v8::Undefined(iso).As<v8::Value>();
  double k = 0, final = 0;
  if (!relative_index(ctx, start_arg, length, 0, &k) ||
      !relative_index(ctx, end_arg, length, length, &final))
    return;
  info.GetReturnValue().Set(array);
  while (k < final) {
    if (stop_if_terminating(m, iso, ctx)) return;
    double until = std::min(k + kSlice, final);
    if (array->Length() < until) {
      // Something the fill ran (a setter) shortened the array: V8's `fill`
      // would stop at the new length, the specification sets on.
      for (; k < until; k++) {
        if (array->Set(ctx, static_cast<uint32_t>(k), value).IsNothing()) return;
      }
      continue;
    }
    v8::Local<v8::Value> args[] = {value, v8::Number::New(iso, k), v8::Number::New(iso, until)};
    if (original->Call(ctx, array, 3, args).IsEmpty()) return;
    k = until;
  }
}

}  // namespace

bool install_slices(v8::Local<v8::Context> ctx) {
  v8::Isolate* iso = ctx->GetIsolate();
  v8::Local<v8::Value> array_ctor, proto_value, original;
  if (!ctx->Global()->Get(ctx, str(iso, "Array")).ToLocal(&array_ctor) ||
      !array_ctor->IsObject() ||
      !array_ctor.As<v8::Object>()->Get(ctx, str(iso, "prototype")).ToLocal(&proto_value) ||
      !proto_value->IsObject())
    return false;
  v8::Local<v8::Object> proto = proto_value.As<v8::Object>();
  if (!proto->Get(ctx, str(iso, "fill")).ToLocal(&original) || !original->IsFunction())
    return false;
  v8::Local<v8::Function> sliced;
  if (!v8::Function::New(ctx, fill, original, 1, v8::ConstructorBehavior::kThrow).ToLocal(&sliced))
    return false;
  sliced->SetName(str(iso, "fill"));
  return proto->DefineOwnProperty(ctx, str(iso, "fill"), sliced, v8::DontEnum).FromMaybe(false);
}

}  // namespace motu
