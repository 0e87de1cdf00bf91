// `Array.prototype.sort` without a comparator, on long arrays, in slices
// that let a termination in between.
//
// V8 honours TerminateExecution only at its interrupt checks (see
// stops.cc). Sorting with a comparator checks at every call of it; sorting
// without one (strings compared by their code units) runs V8's whole sort
// without a check: sorting 200,000 numbers is one call of tens of
// milliseconds, run to its end after the watchdog fired.
//
// Here such a sort of an Array longer than kSortSlice is done as the
// specification describes it, in steps that each end at an interrupt check:
//
// 1. The items are read in order, `k in array` then `array[k]` for every
//    index below the length read once (holes are skipped, `undefined` is
//    counted, getters and proxies on the prototype chain see the reads they
//    would), into pieces of kSortSlice items.
// 2. Each piece is sorted by V8's own `sort` (a fraction of a
//    millisecond).
// 3. The sorted pieces are merged, two at a time, in JavaScript: the later
//    of two items goes first only if its string is less, so the sort stays
//    stable. A primitive's string is made once (it has no side effects);
//    an object's `toString` runs at each comparison, as SortCompare says.
// 4. The sorted items are written back with `array[j] = item`, then the
//    `undefined`s, then the holes deleted at the end (strict-mode code: a
//    frozen array throws).
//
// An exception (a `toString` that throws, a Symbol) propagates before the
// array is written, as from V8's sort. Between two steps, and in the
// merge's loops, V8's own interrupt checks deliver a termination.
//
// The merge writes into arrays of its own, so it runs only while no setter
// or read-only element can be met on their prototype chain: while
// `Array.prototype` and `Object.prototype` have no indexed properties and
// `Array.prototype`'s prototype is `Object.prototype`. Otherwise, and for
// anything else (a comparator, which V8 calls and so checks at each
// comparison; array-likes; sparse arrays, which V8 sorts without visiting
// every index; arrays longer than kSortMost), V8's `sort` does it in one
// go, with a termination delivered after it (stops.cc's `guarded`).
#include <vector>

#include "internal.h"

namespace motu {
namespace {

// Items per piece sorted by V8: well under a millisecond, and the merge
// levels (one per doubling of the pieces) stay few.
constexpr uint32_t kSortSlice = 16384;

// Longer arrays are sorted by V8 in one go: visiting every index of a
// sparse one could take long.
constexpr uint32_t kSortMost = 1u << 24;

// Indices looked at to tell a dense array from a sparse one.
constexpr uint32_t kSamples = 64;

// Made once per context, with `Reflect.apply` as it was before any Worker
// code ran; gives the function that sorts (array, length, V8's sort).
const char kSliced[] = R"JS((function (apply) {
  'use strict';
  const SLICE = 16384;
  // A primitive's string (null: made at each comparison).
  function keyOf(v) {
    const type = typeof v;
    if (type === 'string') return v;
    if (type === 'number' || type === 'boolean' || type === 'bigint') return `${v}`;
    return null;
  }
  function keysOf(values) {
    const keys = [];
    for (let i = 0; i < values.length; i++) keys[i] = keyOf(values[i]);
    return keys;
  }
  // Two sorted runs, each [values, keys], merged stably.
  function merge(left, right) {
    const lv = left[0], lk = left[1], rv = right[0], rk = right[1];
    const nl = lv.length, nr = rv.length;
    const values = [], keys = [];
    let i = 0, j = 0, o = 0;
    for (;;) {
      const a = lk[i] === null ? `${lv[i]}` : lk[i];
      const b = rk[j] === null ? `${rv[j]}` : rk[j];
      if (b < a) {
        values[o] = rv[j]; keys[o] = rk[j]; o++;
        if (++j === nr) break;
      } else {
        values[o] = lv[i]; keys[o] = lk[i]; o++;
        if (++i === nl) break;
      }
    }
    for (; i < nl; i++, o++) { values[o] = lv[i]; keys[o] = lk[i]; }
    for (; j < nr; j++, o++) { values[o] = rv[j]; keys[o] = rk[j]; }
    return [values, keys];
  }
  return function sortInSlices(array, length, sort) {
    const runs = [];
    let piece = [], filled = 0, undefineds = 0;
    for (let k = 0; k < length; k++) {
      if (!(k in array)) continue;
      const v = array[k];
      if (v === undefined) { undefineds++; continue; }
      piece[filled++] = v;
      if (filled === SLICE) { runs[runs.length] = piece; piece = []; filled = 0; }
    }
    if (filled > 0) runs[runs.length] = piece;
    for (let p = 0; p < runs.length; p++) {
      apply(sort, runs[p], []);
      runs[p] = [runs[p], keysOf(runs[p])];
    }
    let level = runs;
    while (level.length > 1) {
      const next = [];
      let p = 0;
      for (; p + 1 < level.length; p += 2) next[next.length] = merge(level[p], level[p + 1]);
      if (p < level.length) next[next.length] = level[p];
      level = next;
    }
    const sorted = level.length > 0 ? level[0][0] : [];
    let j = 0;
    for (; j < sorted.length; j++) array[j] = sorted[j];
    for (let u = 0; u < undefineds; u++, j++) array[j] = undefined;
    for (; j < length; j++) delete array[j];
    return array;
  };
}))JS";

v8::Local<v8::String> str(v8::Isolate* iso, const char* s) {
  return v8::String::NewFromUtf8(iso, s, v8::NewStringType::kInternalized).ToLocalChecked();
}

// Whether `object` has an own property with an integer index (listed
// first among its own keys, as a number).
bool has_indexed(v8::Local<v8::Context> ctx, v8::Local<v8::Object> object) {
  v8::Local<v8::Array> names;
  v8::Local<v8::Value> first;
  if (!object
           ->GetPropertyNames(ctx, v8::KeyCollectionMode::kOwnOnly, v8::SKIP_SYMBOLS,
                              v8::IndexFilter::kIncludeIndices, v8::KeyConversionMode::kKeepNumbers)
           .ToLocal(&names))
    return true;
  if (names->Length() == 0) return false;
  return !names->Get(ctx, 0).ToLocal(&first) || first->IsNumber();
}

// Whether arrays of the merge's own can take elements without meeting a
// setter or a read-only element on their prototype chain.
bool clean_prototypes(v8::Local<v8::Context> ctx, v8::Local<v8::Object> array_proto,
                      v8::Local<v8::Object> object_proto) {
  return array_proto->GetPrototype()->StrictEquals(object_proto) &&
         !has_indexed(ctx, array_proto) && !has_indexed(ctx, object_proto);
}

// Whether most of `kSamples` indices spread over the array hold an own
// element (looked up without running anything).
bool dense(v8::Local<v8::Context> ctx, v8::Local<v8::Array> array, uint32_t length) {
  uint32_t present = 0;
  for (uint32_t s = 0; s < kSamples; s++) {
    uint32_t index = static_cast<uint32_t>(static_cast<uint64_t>(length) * s / kSamples);
    if (array->HasRealIndexedProperty(ctx, index).FromMaybe(false)) present++;
  }
  return present * 2 >= kSamples;
}

// `Array.prototype.sort(comparefn)`. The data is [V8's `sort`, the sliced
// sort, `Array.prototype`, `Object.prototype`].
void sort(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  auto* m = static_cast<MotuIsolate*>(iso->GetData(0));
  if (stop_if_terminating(m, iso, ctx)) return;
  v8::Local<v8::Array> data = info.Data().As<v8::Array>();
  v8::Local<v8::Value> original, sliced, array_proto, object_proto;
  if (!data->Get(ctx, 0).ToLocal(&original) || !data->Get(ctx, 1).ToLocal(&sliced) ||
      !data->Get(ctx, 2).ToLocal(&array_proto) || !data->Get(ctx, 3).ToLocal(&object_proto))
    return;
  v8::Local<v8::Value> self = receiver(info);
  bool in_slices = (info.Length() == 0 || info[0]->IsUndefined()) && self->IsArray();
  uint32_t length = in_slices ? self.As<v8::Array>()->Length() : 0;
  in_slices = in_slices && length > kSortSlice && length <= kSortMost &&
              clean_prototypes(ctx, array_proto.As<v8::Object>(), object_proto.As<v8::Object>()) &&
              dense(ctx, self.As<v8::Array>(), length);
  v8::Local<v8::Value> result;
  if (in_slices) {
    v8::Local<v8::Value> args[] = {self, v8::Integer::NewFromUnsigned(iso, length), original};
    if (!sliced.As<v8::Function>()->Call(ctx, v8::Undefined(iso), 3, args).ToLocal(&result))
      return;
  } else {
    std::vector<v8::Local<v8::Value>> args;
    for (int i = 0; i < info.Length(); i++) args.push_back(info[i]);
    if (!original.As<v8::Function>()
             ->Call(ctx, self, static_cast<int>(args.size()), args.data())
             .ToLocal(&result))
      return;
  }
  if (stop_if_terminating(m, iso, ctx)) return;
  info.GetReturnValue().Set(result);
}

}  // namespace

bool install_sort(v8::Local<v8::Context> ctx) {
  v8::Isolate* iso = ctx->GetIsolate();
  v8::Local<v8::Object> global = ctx->Global();
  v8::Local<v8::Value> array_ctor, object_ctor, array_proto, object_proto, original, reflect,
      apply;
  if (!global->Get(ctx, str(iso, "Array")).ToLocal(&array_ctor) || !array_ctor->IsObject() ||
      !array_ctor.As<v8::Object>()->Get(ctx, str(iso, "prototype")).ToLocal(&array_proto) ||
      !array_proto->IsObject() || !global->Get(ctx, str(iso, "Object")).ToLocal(&object_ctor) ||
      !object_ctor->IsObject() ||
      !object_ctor.As<v8::Object>()->Get(ctx, str(iso, "prototype")).ToLocal(&object_proto) ||
      !object_proto->IsObject() ||
      !array_proto.As<v8::Object>()->Get(ctx, str(iso, "sort")).ToLocal(&original) ||
      !original->IsFunction() || !global->Get(ctx, str(iso, "Reflect")).ToLocal(&reflect) ||
      !reflect->IsObject() ||
      !reflect.As<v8::Object>()->Get(ctx, str(iso, "apply")).ToLocal(&apply) ||
      !apply->IsFunction())
    return false;
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> factory, sliced;
  if (!v8::Script::Compile(ctx, str(iso, kSliced)).ToLocal(&script) ||
      !script->Run(ctx).ToLocal(&factory) || !factory->IsFunction() ||
      !factory.As<v8::Function>()->Call(ctx, v8::Undefined(iso), 1, &apply).ToLocal(&sliced) ||
      !sliced->IsFunction())
    return false;
  v8::Local<v8::Value> parts[] = {original, sliced, array_proto, object_proto};
  v8::Local<v8::Function> wrapper;
  if (!v8::Function::New(ctx, sort, v8::Array::New(iso, parts, 4), 1,
                         v8::ConstructorBehavior::kThrow)
           .ToLocal(&wrapper))
    return false;
  wrapper->SetName(str(iso, "sort"));
  return array_proto.As<v8::Object>()
      ->DefineOwnProperty(ctx, str(iso, "sort"), wrapper, v8::DontEnum)
      .FromMaybe(false);
}

}  // namespace motu
