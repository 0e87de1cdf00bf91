// `Array.prototype.sort` without a comparator, on long arrays, with the
// comparisons done natively in slices that let a termination in between.
//
// V8 honours TerminateExecution only at its interrupt checks (see
// stops.cc). Sorting with a comparator checks at every call of it; sorting
// without one (values compared by their strings' code units) runs V8's
// whole sort without a check: sorting 200,000 numbers is one call of tens
// of milliseconds, run to its end after the watchdog fired.
//
// Here such a sort of a dense Array longer than kSortSlice (and at most
// kSortMost) is done as the specification describes it:
//
// 1. In JavaScript, the items are read in order, `k in array` then
//    `array[k]` for every index below the length read once (holes are
//    skipped, `undefined` is counted, getters and proxies on the prototype
//    chain see the reads they would). They go into arrays of the sort's
//    own with no prototype, so no indexed setter of `Array.prototype` or
//    `Object.prototype` sees them.
// 2. The order of the items is found natively, with no JavaScript run:
//    - items that are all int32 numbers (not -0) are sorted by a 64-bit key
//      that orders as their decimal strings do (sort_ints);
//    - other primitives by their strings, each made once in JavaScript
//      (`${v}`: a Symbol throws the TypeError V8's sort throws), compared
//      by UTF-16 code units, equal strings in their first order
//      (sort_keys);
//    - items with an object among them (whose `toString` must run at each
//      comparison, as SortCompare says), or whose strings are too long to
//      copy, by V8's own `sort` of the sort's own copy, in one go.
//    The native sorts sort pieces of kSortSlice items, then merge them,
//    checking for a termination between two pieces and every kMergeStep
//    items of a merge.
// 3. The sorted items are written back with `array[j] = item`, then the
//    `undefined`s, then the holes deleted at the end (strict-mode code: a
//    frozen array throws).
//
// An exception (a `toString` that throws, a Symbol) propagates before the
// array is written, as from V8's sort. Anything else (a comparator, which
// V8 calls and so checks at each comparison; array-likes; sparse arrays,
// which V8 sorts without visiting every index; short or very long arrays)
// is V8's `sort`, in one go, with a termination delivered before and after
// it.
//
// MOTU_V8_OWN_BUILTINS=1 in the environment makes every sort V8's own, in
// one go (and JSON.parse, see json.cc), so that a benchmark can measure
// what the slicing costs beside V8's own.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "internal.h"

namespace motu {
namespace {

// Items per piece sorted natively: a fraction of a millisecond.
constexpr uint32_t kSortSlice = 16384;

// Longer arrays are sorted by V8 in one go: the native sort's buffers (16
// bytes an item for int32 items, 48 and the strings' text for others,
// outside the heap's limit) stay bounded, at 48 MiB and the text.
constexpr uint32_t kSortMost = 1u << 20;

// Items merged between two looks at the termination flag.
constexpr size_t kMergeStep = 1u << 16;

// Indices looked at to tell a dense array from a sparse one.
constexpr uint32_t kSamples = 64;

// Made once per context with the sort's native helpers, V8's `sort`, and
// `Reflect.apply`, `Object.setPrototypeOf` and `Int32Array` as they were
// before any Worker code ran; gives the function that sorts (array,
// length).
const char kSorter[] = R"JS((function (sortInts, sortKeys, sort, apply, setPrototypeOf, Int32Array) {
  'use strict';
  // Keys per string handed to sortKeys, and the most UTF-16 units of keys
  // it copies (longer: V8's sort).
  const CHUNK = 16384, CHUNK_UNITS = 1 << 20, MOST_UNITS = 1 << 26;
  function own() {
    const a = [];
    setPrototypeOf(a, null);
    return a;
  }
  function writeBack(array, length, sorted, order, n, undefineds) {
    let j = 0;
    if (order === null) for (; j < n; j++) array[j] = sorted[j];
    else for (; j < n; j++) array[j] = sorted[order[j]];
    for (let u = 0; u < undefineds; u++, j++) array[j] = undefined;
    for (; j < length; j++) delete array[j];
    return array;
  }
  return function sortInSlices(array, length) {
    let ints = new Int32Array(length), vals = null;
    let n = 0, undefineds = 0, objects = false;
    for (let k = 0; k < length; k++) {
      if (!(k in array)) continue;
      const v = array[k];
      if (v === undefined) {
        undefineds++;
        continue;
      }
      if (ints !== null) {
        if (typeof v === 'number' && (v | 0) === v && (v !== 0 || 1 / v > 0)) {
          ints[n++] = v;
          continue;
        }
        vals = own();
        for (let i = 0; i < n; i++) vals[i] = ints[i];
        ints = null;
      }
      if (!objects) {
        const type = typeof v;
        objects = (type === 'object' && v !== null) || type === 'function';
      }
      vals[n++] = v;
    }
    if (ints !== null) {
      sortInts(ints, n);
      return writeBack(array, length, ints, null, n, undefineds);
    }
    const lens = objects ? null : new Int32Array(n), chunks = own();
    let chunk = '', count = 0, units = 0;
    for (let i = 0; i < n && !objects; i++) {
      const v = vals[i];
      const key = typeof v === 'string' ? v : `${v}`;
      lens[i] = key.length;
      units += key.length;
      if (units > MOST_UNITS) objects = true;
      chunk += key;
      if (++count === CHUNK || chunk.length >= CHUNK_UNITS) {
        chunks[chunks.length] = chunk;
        chunk = '';
        count = 0;
      }
    }
    if (objects) {
      apply(sort, vals, []);
      return writeBack(array, length, vals, null, n, undefineds);
    }
    if (count > 0) chunks[chunks.length] = chunk;
    const order = new Int32Array(n);
    sortKeys(chunks, lens, order);
    return writeBack(array, length, vals, order, n, undefineds);
  };
}))JS";

// Sorts `items` by `less` (a strict total order): pieces of kSortSlice
// sorted, then merged pairwise into `spare` and back. False, with the order
// unfinished, as soon as `stopped()` says so.
template <typename T, typename Less, typename Stopped>
bool sort_in_slices(std::vector<T>& items, std::vector<T>& spare, Less less, Stopped stopped) {
  size_t n = items.size();
  for (size_t lo = 0; lo < n; lo += kSortSlice) {
    if (stopped()) return false;
    std::sort(items.begin() + lo, items.begin() + std::min(n, lo + kSortSlice), less);
  }
  spare.resize(n);
  size_t budget = kMergeStep;
  for (size_t width = kSortSlice; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = std::min(n, lo + width), hi = std::min(n, lo + 2 * width);
      size_t i = lo, j = mid, o = lo;
      while (i < mid && j < hi) {
        spare[o++] = less(items[j], items[i]) ? items[j++] : items[i++];
        if (--budget == 0) {
          if (stopped()) return false;
          budget = kMergeStep;
        }
      }
      std::copy(items.begin() + i, items.begin() + mid, spare.begin() + o);
      std::copy(items.begin() + j, items.begin() + hi, spare.begin() + o + (mid - i));
    }
    items.swap(spare);
  }
  return true;
}

// The contents of a typed array, or null when detached.
template <typename T>
T* contents(v8::Local<v8::TypedArray> array) {
  void* data = array->Buffer()->Data();
  if (data == nullptr) return nullptr;
  return reinterpret_cast<T*>(static_cast<char*>(data) + array->ByteOffset());
}

// An int32's decimal string, one 4-bit digit per character from the top
// ('-' 1, '0'–'9' 2–11, nothing 0), so that the keys order as the strings
// do by code units (at most 11 characters).
uint64_t int_key(int32_t v) {
  uint8_t chars[11];
  int count = 0;
  uint32_t u = static_cast<uint32_t>(v);
  if (v < 0) {
    chars[count++] = 1;
    u = 0u - u;
  }
  uint8_t digits[10];
  int d = 0;
  do {
    digits[d++] = static_cast<uint8_t>(u % 10);
    u /= 10;
  } while (u != 0);
  while (d > 0) chars[count++] = static_cast<uint8_t>(2 + digits[--d]);
  uint64_t key = 0;
  for (int i = 0; i < count; i++) key |= static_cast<uint64_t>(chars[i]) << (60 - 4 * i);
  return key;
}

// The int32 whose key this is.
int32_t int_of_key(uint64_t key) {
  bool negative = (key >> 60) == 1;
  int64_t value = 0;
  for (int shift = negative ? 56 : 60; shift >= 0; shift -= 4) {
    uint64_t c = (key >> shift) & 0xF;
    if (c == 0) break;
    value = value * 10 + static_cast<int64_t>(c - 2);
  }
  return static_cast<int32_t>(negative ? -value : value);
}

// sortInts(ints, n): sorts the first n items of an Int32Array as their
// strings order.
void sort_ints(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  auto* m = static_cast<MotuIsolate*>(iso->GetData(0));
  v8::Local<v8::TypedArray> array = info[0].As<v8::TypedArray>();
  int32_t* ints = contents<int32_t>(array);
  size_t n = std::min<size_t>(info[1]->Uint32Value(ctx).FromMaybe(0), array->Length());
  if (ints == nullptr) return;
  bool sorted = false;
  try {
    std::vector<uint64_t> keys(n), spare;
    for (size_t i = 0; i < n; i++) keys[i] = int_key(ints[i]);
    auto stopped = [m] { return m->terminating.load(std::memory_order_relaxed); };
    sorted = sort_in_slices(keys, spare, std::less<uint64_t>(), stopped);
    if (sorted) {
      for (size_t i = 0; i < n; i++) ints[i] = int_of_key(keys[i]);
    }
  } catch (const std::bad_alloc&) {
    throw_error(iso, ErrorClass::kRangeError, "out of memory sorting an array");
    return;
  }
  if (!sorted) stop_if_terminating(m, iso, ctx);
}

// One key of sort_keys: its first four UTF-16 units (big-endian, zeros
// after its end), where it is in the text, and its item's index.
struct Key {
  uint64_t prefix;
  uint32_t offset;
  uint32_t length;
  uint32_t index;
};

// sortKeys(chunks, lens, order): the keys are the strings `chunks` put
// together, cut at the lengths in `lens` (an Int32Array); fills the
// Int32Array `order` with the items' indices sorted by their keys (by
// UTF-16 code units, equal keys in index order).
void sort_keys(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  auto* m = static_cast<MotuIsolate*>(iso->GetData(0));
  v8::Local<v8::Array> chunks = info[0].As<v8::Array>();
  int32_t* lens = contents<int32_t>(info[1].As<v8::TypedArray>());
  v8::Local<v8::TypedArray> order_array = info[2].As<v8::TypedArray>();
  int32_t* order = contents<int32_t>(order_array);
  size_t n = order_array->Length();
  if (lens == nullptr || order == nullptr) return;
  bool sorted = false;
  try {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += static_cast<uint32_t>(lens[i]);
    std::vector<uint16_t> text(total);
    size_t at = 0;
    for (uint32_t c = 0; c < chunks->Length(); c++) {
      v8::Local<v8::Value> chunk;
      if (!chunks->Get(ctx, c).ToLocal(&chunk)) return;
      v8::Local<v8::String> s = chunk.As<v8::String>();
      int length = s->Length();
      if (at + static_cast<size_t>(length) > total) return;
      s->Write(iso, text.data() + at, 0, length, v8::String::NO_NULL_TERMINATION);
      at += static_cast<size_t>(length);
    }
    std::vector<Key> keys(n), spare;
    size_t offset = 0;
    for (size_t i = 0; i < n; i++) {
      uint32_t length = static_cast<uint32_t>(lens[i]);
      uint64_t prefix = 0;
      for (uint32_t u = 0; u < 4; u++) {
        prefix = (prefix << 16) | (u < length ? text[offset + u] : 0);
      }
      keys[i] = Key{prefix, static_cast<uint32_t>(offset), length, static_cast<uint32_t>(i)};
      offset += length;
    }
    const uint16_t* units = text.data();
    auto less = [units](const Key& a, const Key& b) {
      if (a.prefix != b.prefix) return a.prefix < b.prefix;
      uint32_t common = std::min(a.length, b.length);
      for (uint32_t u = 4; u < common; u++) {
        uint16_t x = units[a.offset + u], y = units[b.offset + u];
        if (x != y) return x < y;
      }
      if (a.length != b.length) return a.length < b.length;
      return a.index < b.index;
    };
    auto stopped = [m] { return m->terminating.load(std::memory_order_relaxed); };
    sorted = sort_in_slices(keys, spare, less, stopped);
    if (sorted) {
      for (size_t i = 0; i < n; i++) order[i] = static_cast<int32_t>(keys[i].index);
    }
  } catch (const std::bad_alloc&) {
    throw_error(iso, ErrorClass::kRangeError, "out of memory sorting an array");
    return;
  }
  if (!sorted) stop_if_terminating(m, iso, ctx);
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

// `Array.prototype.sort(comparefn)`, over V8's `sort` (kSlotArraySort) and
// the sorter (kSlotArraySorter).
void sort(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  auto* m = static_cast<MotuIsolate*>(iso->GetData(0));
  if (stop_if_terminating(m, iso, ctx)) return;
  v8::Local<v8::Value> self = receiver(info);
  bool natively = (info.Length() == 0 || info[0]->IsUndefined()) && self->IsArray();
  uint32_t length = natively ? self.As<v8::Array>()->Length() : 0;
  natively = natively && length > kSortSlice && length <= kSortMost && !own_builtins_only() &&
             dense(ctx, self.As<v8::Array>(), length);
  v8::Local<v8::Value> result;
  if (natively) {
    v8::Local<v8::Value> args[] = {self, v8::Integer::NewFromUnsigned(iso, length)};
    if (!slot_value(ctx, kSlotArraySorter)
             .As<v8::Function>()
             ->Call(ctx, v8::Undefined(iso), 2, args)
             .ToLocal(&result))
      return;
  } else {
    std::vector<v8::Local<v8::Value>> args;
    for (int i = 0; i < info.Length(); i++) args.push_back(info[i]);
    if (!slot_value(ctx, kSlotArraySort)
             .As<v8::Function>()
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
  v8::Local<v8::Value> array_proto, original, apply, set_prototype_of, int32_array;
  if (!property(ctx, "Array", "prototype", &array_proto) || !array_proto->IsObject() ||
      !array_proto.As<v8::Object>()->Get(ctx, str(iso, "sort")).ToLocal(&original) ||
      !original->IsFunction() || !property(ctx, "Reflect", "apply", &apply) ||
      !property(ctx, "Object", "setPrototypeOf", &set_prototype_of) ||
      !ctx->Global()->Get(ctx, str(iso, "Int32Array")).ToLocal(&int32_array))
    return false;
  v8::Local<v8::Function> ints, keys;
  if (!v8::Function::New(ctx, sort_ints, v8::Local<v8::Value>(), 2,
                         v8::ConstructorBehavior::kThrow)
           .ToLocal(&ints) ||
      !v8::Function::New(ctx, sort_keys, v8::Local<v8::Value>(), 3,
                         v8::ConstructorBehavior::kThrow)
           .ToLocal(&keys))
    return false;
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> factory, sorter;
  v8::Local<v8::Value> parts[] = {ints, keys, original, apply, set_prototype_of, int32_array};
  if (!v8::Script::Compile(ctx, str(iso, kSorter)).ToLocal(&script) ||
      !script->Run(ctx).ToLocal(&factory) || !factory->IsFunction() ||
      !factory.As<v8::Function>()->Call(ctx, v8::Undefined(iso), 6, parts).ToLocal(&sorter) ||
      !sorter->IsFunction())
    return false;
  ctx->SetEmbedderData(kSlotArraySort, original);
  ctx->SetEmbedderData(kSlotArraySorter, sorter);
  v8::Local<v8::Function> wrapper;
  if (!v8::Function::New(ctx, sort, v8::Local<v8::Value>(), 1, v8::ConstructorBehavior::kThrow)
           .ToLocal(&wrapper))
    return false;
  wrapper->SetName(str(iso, "sort"));
  return array_proto.As<v8::Object>()
      ->DefineOwnProperty(ctx, str(iso, "sort"), wrapper, v8::DontEnum)
      .FromMaybe(false);
}

void add_sort_references(std::vector<intptr_t>& refs) {
  for (v8::FunctionCallback f : {sort, sort_ints, sort_keys})
    refs.push_back(reinterpret_cast<intptr_t>(f));
}

}  // namespace motu
