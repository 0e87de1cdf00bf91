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
//
// `Array.prototype.join` is another: joining a million strings is one call
// of tens of milliseconds. On an Array longer than kJoinSlice, it is done
// as V8's own `join` of V8's own `slice`s of kJoinSlice elements, whose
// results are put together with the separator (as a rope, which V8
// flattens when the string is used); a termination is delivered between
// two slices. The separator is converted once, before the first element,
// and the elements in order, as `join` does; holes read through the
// prototype chain as `join` reads them. An array met again inside its own
// join gives the empty string, as V8's `join` does for a cycle. (`slice`
// looks up `Array[Symbol.species]`: a Worker that redefines it sees it
// read for a large array's join.)
#include <algorithm>
#include <cmath>
#include <vector>

#include "internal.h"

namespace motu {
namespace {

// Elements per slice: half a millisecond at most on V8's generic path, and
// a call's cost (a fraction of a microsecond) per slice on its fast one.
constexpr double kSlice = 1000;

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

// `Array.prototype.fill(value, start, end)`, over V8's own `fill`
// (kSlotArrayFill).
void fill(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  auto* m = static_cast<MotuIsolate*>(iso->GetData(0));
  v8::Local<v8::Function> original = slot_value(ctx, kSlotArrayFill).As<v8::Function>();
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

// Elements per slice of `join`: a fraction of a millisecond of V8's join of
// short strings, and the cost of a `slice` call (copying kJoinSlice
// pointers) is small beside it.
constexpr uint32_t kJoinSlice = 16384;

// `Array.prototype.join(separator)`, over V8's `join` and `slice` and
// `Array.prototype` (kSlotArrayJoin, kSlotArraySlice, kSlotArrayPrototype).
void join(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  auto* m = static_cast<MotuIsolate*>(iso->GetData(0));
  if (stop_if_terminating(m, iso, ctx)) return;
  v8::Local<v8::Value> original_join = slot_value(ctx, kSlotArrayJoin);
  v8::Local<v8::Value> original_slice = slot_value(ctx, kSlotArraySlice);
  v8::Local<v8::Value> self = receiver(info);
  v8::Local<v8::Value> separator_arg =
      info.Length() > 0 ? info[0] : v8::Undefined(iso).As<v8::Value>();
  v8::Local<v8::Value> result;
  v8::Local<v8::Value> array_proto = slot_value(ctx, kSlotArrayPrototype);
  // Only a plain array is sliced: `slice` makes its copies with the
  // constructor of a subclass (or one set on the array), which may run
  // code `join` would not.
  bool plain = self->IsArray() && self.As<v8::Array>()->Length() > kJoinSlice &&
               self.As<v8::Object>()->GetPrototype()->StrictEquals(array_proto) &&
               !self.As<v8::Object>()
                    ->HasRealNamedProperty(ctx, str(iso, "constructor"))
                    .FromMaybe(true);
  if (!plain) {
    // As V8 does it, in one go, with a termination delivered after it.
    v8::Local<v8::Value> args[] = {separator_arg};
    if (!original_join.As<v8::Function>()
             ->Call(ctx, self, info.Length() > 0 ? 1 : 0, args)
             .ToLocal(&result))
      return;
    if (stop_if_terminating(m, iso, ctx)) return;
    info.GetReturnValue().Set(result);
    return;
  }
  v8::Local<v8::Array> array = self.As<v8::Array>();
  for (const auto& outer : m->joining) {
    if (outer.Get(iso)->StrictEquals(array)) {
      info.GetReturnValue().SetEmptyString();
      return;
    }
  }
  uint32_t length = array->Length();
  v8::Local<v8::String> separator;
  if (separator_arg->IsUndefined()) {
    separator = v8::String::NewFromUtf8Literal(iso, ",");
  } else if (!separator_arg->ToString(ctx).ToLocal(&separator)) {
    return;
  }
  m->joining.emplace_back(iso, array);
  v8::Local<v8::String> joined = v8::String::Empty(iso);
  bool ok = true;
  for (uint32_t k = 0; k < length; k += kJoinSlice) {
    if (stop_if_terminating(m, iso, ctx)) {
      ok = false;
      break;
    }
    uint32_t until = std::min(length - k, kJoinSlice) + k;
    v8::Local<v8::Value> bounds[] = {v8::Integer::NewFromUnsigned(iso, k),
                                     v8::Integer::NewFromUnsigned(iso, until)};
    v8::Local<v8::Value> part, piece;
    v8::Local<v8::Value> sep[] = {separator};
    if (!original_slice.As<v8::Function>()->Call(ctx, array, 2, bounds).ToLocal(&part) ||
        !original_join.As<v8::Function>()->Call(ctx, part, 1, sep).ToLocal(&piece) ||
        !piece->IsString()) {
      ok = false;
      break;
    }
    if (k > 0) {
      joined = v8::String::Concat(iso, joined, separator);
      if (joined.IsEmpty()) break;
    }
    joined = v8::String::Concat(iso, joined, piece.As<v8::String>());
    if (joined.IsEmpty()) break;
  }
  m->joining.pop_back();
  if (!ok) return;
  if (joined.IsEmpty()) {
    // Past V8's longest string, which its own join reports so.
    iso->ThrowException(
        v8::Exception::RangeError(v8::String::NewFromUtf8Literal(iso, "Invalid string length")));
    return;
  }
  if (stop_if_terminating(m, iso, ctx)) return;
  info.GetReturnValue().Set(joined);
}

// Replaces `proto[name]` by `callback`, keeping the name and
// non-enumerability.
bool replace(v8::Local<v8::Context> ctx, v8::Local<v8::Object> proto, const char* name, int length,
             v8::FunctionCallback callback) {
  v8::Isolate* iso = ctx->GetIsolate();
  v8::Local<v8::Function> sliced;
  if (!v8::Function::New(ctx, callback, v8::Local<v8::Value>(), length,
                         v8::ConstructorBehavior::kThrow)
           .ToLocal(&sliced))
    return false;
  sliced->SetName(str(iso, name));
  return proto->DefineOwnProperty(ctx, str(iso, name), sliced, v8::DontEnum).FromMaybe(false);
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
  if (!proto->Get(ctx, str(iso, "fill")).ToLocal(&original) || !original->IsFunction() ||
      !replace(ctx, proto, "fill", 1, fill))
    return false;
  ctx->SetEmbedderData(kSlotArrayFill, original);
  v8::Local<v8::Value> original_join, original_slice;
  if (!proto->Get(ctx, str(iso, "join")).ToLocal(&original_join) ||
      !original_join->IsFunction() ||
      !proto->Get(ctx, str(iso, "slice")).ToLocal(&original_slice) ||
      !original_slice->IsFunction())
    return false;
  ctx->SetEmbedderData(kSlotArrayJoin, original_join);
  ctx->SetEmbedderData(kSlotArraySlice, original_slice);
  ctx->SetEmbedderData(kSlotArrayPrototype, proto);
  return replace(ctx, proto, "join", 1, join);
}

void add_slice_references(std::vector<intptr_t>& refs) {
  for (v8::FunctionCallback f : {fill, join}) refs.push_back(reinterpret_cast<intptr_t>(f));
}

}  // namespace motu
