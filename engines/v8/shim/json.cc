// `JSON.parse` of a long text whose top level is an array, in slices that
// let a termination in between.
//
// V8's JSON parser (iterative since V8 7.6) has no interrupt check in its
// loop: `JSON.parse` of a 2-million-element array is one call of about
// 45 ms, run to its end after the watchdog fired. Here, without a reviver,
// a text of kJsonSlicedMin or more UTF-16 units whose first non-blank
// character is `[` is cut at commas of the top-level array (found by a scan
// that follows strings and nesting, 16 bytes at a time for one-byte texts)
// into pieces of about kJsonSlice units; each piece is parsed by V8's own
// `JSON.parse` as an array of its own (`[` and `]` added where the cut
// removed them), with a termination delivered between two pieces, and the
// arrays are put together by V8's own `concat`, called on the first piece
// with the others as its arguments.
//
// What a Worker can see stays as from one parse:
// - a cut is made only at a comma between two non-empty elements, so an
//   error (`[1,,2]`, `[1,]`, a bad token, an unclosed string) is inside a
//   piece, and the position in V8's SyntaxError is moved from the piece
//   to the whole text; no hole can come of a cut;
// - `concat` makes its result with CreateDataProperty (no setter of
//   `Array.prototype` or `Object.prototype` runs) and reads only
//   `constructor` (through the first piece's prototype), `Array[@@species]`
//   and each piece's `@@isConcatSpreadable`. The text is cut only while
//   these are V8's own (`Array.prototype.constructor` is the original
//   `Array` as a data property, `Array[@@species]` the original getter, and
//   no object on `Array.prototype`'s chain is a proxy or has an own
//   `@@isConcatSpreadable`), so those reads run nothing of the Worker's
//   and give a plain Array with the pieces' elements in order; otherwise
//   (as for a reviver, a shorter text, or anything else at the top level)
//   the text is parsed by V8 in one go, with a termination delivered
//   before and after it.
//
// `concat` of the pieces is one copy of the result's element pointers
// (V8's fast path: one allocation, no element read twice), which no
// termination interrupts: about 16 MiB for two million elements. That
// allocation is fresh memory, whose first touch (page faults) was most of
// the concat's time; it is faulted in before the concat, a step at a time
// with a termination check between steps (PrefaultedPages, pages.cc), so
// the concat itself is left with filling and copying. Each piece's string
// dies as soon as it is parsed (a handle scope per piece), so collections
// during the parse copy only the pieces' arrays. The scan and the pieces
// cost a copy of the text and a pass over it; the bench's one-call line
// for `json` shows it all beside V8's own parse (MOTU_V8_OWN_BUILTINS=1).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "internal.h"

namespace motu {
namespace {

// Texts shorter than this (in UTF-16 units) are parsed in one go: about
// 3 ms at most (a text of one-digit numbers, the densest in elements).
constexpr int kJsonSlicedMin = 1 << 18;

// Units per piece, at least: about 0.2 ms of parsing, and an array of at
// most 8 Ki elements (64 KiB: V8 makes it in its young generation).
constexpr size_t kJsonSlice = 1 << 14;

// Pieces at most (the text's length / kJsonMostPieces units each, for
// texts over kJsonSlice * kJsonMostPieces units): `concat` takes them as
// arguments, on the stack.
constexpr size_t kJsonMostPieces = 1024;

// Results whose elements take this many bytes or more have their memory
// faulted in before the concat (PrefaultedPages): from 128 Ki elements.
constexpr size_t kJsonPrefaultMin = size_t(1) << 20;

// What V8 adds to a large object's elements: the array's header and the
// chunk's (7 KiB in V8 10.2), rounded up generously.
constexpr size_t kJsonPrefaultSlack = size_t(64) << 10;

// Bytes faulted in between two termination checks: about 0.3 ms.
constexpr size_t kJsonPrefaultStep = size_t(1) << 20;

bool blank(uint32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The index of the first of text[i, n) that is one of `chars`, or n.
template <typename C, size_t K>
size_t find_any(const C* text, size_t i, size_t n, const char (&chars)[K]) {
#if defined(__SSE2__)
  if constexpr (sizeof(C) == 1) {
    // Sixteen bytes at a time.
    __m128i wanted[K - 1];
    for (size_t k = 0; k + 1 < K; k++) wanted[k] = _mm_set1_epi8(chars[k]);
    for (; i + 16 <= n; i += 16) {
      __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text + i));
      __m128i hit = _mm_cmpeq_epi8(block, wanted[0]);
      for (size_t k = 1; k + 1 < K; k++) hit = _mm_or_si128(hit, _mm_cmpeq_epi8(block, wanted[k]));
      int mask = _mm_movemask_epi8(hit);
      if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    }
  }
#endif
  for (; i < n; i++) {
    for (size_t k = 0; k + 1 < K; k++) {
      if (text[i] == static_cast<C>(chars[k])) return i;
    }
  }
  return n;
}

// Whether the top-level comma at `c` is between two elements that are not
// empty (no blank-only element before or after it).
template <typename C>
bool between_elements(const C* text, size_t c, size_t n) {
  size_t before = c;
  while (before > 0 && blank(text[before - 1])) before--;
  if (before == 0 || text[before - 1] == ',' || text[before - 1] == '[') return false;
  size_t after = c + 1;
  while (after < n && blank(text[after])) after++;
  return after < n && text[after] != ',' && text[after] != ']';
}

// The cut points of `text` (indices of commas of its top-level array, about
// `slice` apart), or none when its top level is not an array. False when
// `stopped()` said so before the end.
template <typename C, typename Stopped>
bool cuts_of(const C* text, size_t n, size_t slice, Stopped stopped, std::vector<size_t>* cuts) {
  size_t i = 0;
  while (i < n && blank(text[i])) i++;
  if (i == n || text[i] != '[') return true;
  size_t depth = 1, wanted_from = slice, next_check = i + slice;
  i++;
  while (i < n) {
    if (i >= next_check) {
      if (stopped()) return false;
      next_check = i + slice;
    }
    // Up to the next character that changes the nesting.
    size_t s = find_any(text, i, n, "\"[]{}");
    if (depth == 1) {
      for (size_t from = std::max(i, wanted_from); from < s;) {
        size_t c = find_any(text, from, s, ",");
        if (c == s) break;
        if (between_elements(text, c, n)) {
          cuts->push_back(c);
          wanted_from = c + slice;
          from = std::max(c + 1, wanted_from);
        } else {
          from = c + 1;
        }
      }
    }
    if (s == n) break;
    switch (text[s]) {
      case '"':
        // To the closing quote, past escapes.
        for (i = s + 1; i < n; i += 2) {
          i = find_any(text, i, n, "\"\\");
          if (i < n && text[i] == '"') break;
        }
        i++;
        break;
      case '[':
      case '{':
        depth++;
        i = s + 1;
        break;
      default:
        if (--depth == 0) return true;
        i = s + 1;
    }
  }
  return true;
}

// A piece of `text` as a string: [start, end) with `[` before unless it is
// the first piece (written at start - 1, the cut comma before it) and `]`
// after unless it is the last (written at end, the cut comma after it).
template <typename C>
v8::MaybeLocal<v8::String> piece_of(v8::Isolate* iso, C* text, size_t start, size_t end,
                                    bool first, bool last) {
  if (!first) text[--start] = '[';
  if (!last) text[end++] = ']';
  int length = static_cast<int>(end - start);
  if constexpr (sizeof(C) == 1) {
    return v8::String::NewFromOneByte(iso, text + start, v8::NewStringType::kNormal, length);
  } else {
    return v8::String::NewFromTwoByte(iso, text + start, v8::NewStringType::kNormal, length);
  }
}

// The SyntaxError to throw for `error`, thrown by a piece's parse: its
// "... at position N" moved by `offset`. An error at the `]` added in place
// of the cut comma at `cut` (a literal or number cut short there) names the
// comma, as one parse would. Empty for any other error (thrown as it is).
v8::Local<v8::Value> moved_error(v8::Isolate* iso, v8::Local<v8::Context> ctx,
                                 v8::Local<v8::Value> error, size_t offset, size_t cut) {
  v8::Local<v8::Value> message;
  v8::Local<v8::Value> result;
  if (error->IsNativeError() &&
      *v8::String::Utf8Value(iso, error.As<v8::Object>()->GetConstructorName()) ==
          std::string("SyntaxError") &&
      error.As<v8::Object>()->Get(ctx, str(iso, "message")).ToLocal(&message)) {
    v8::String::Utf8Value text(iso, message);
    std::string s = *text != nullptr ? std::string(*text, text.length()) : std::string();
    const char marker[] = " at position ";
    size_t at = s.rfind(marker);
    if (at != std::string::npos) {
      size_t digits = at + sizeof(marker) - 1;
      char* end = nullptr;
      unsigned long long position = std::strtoull(s.c_str() + digits, &end, 10);
      std::string head = s.substr(0, digits);
      const char added[] = "Unexpected token ] in JSON";
      if (position + offset == cut && head.compare(0, sizeof(added) - 1, added) == 0)
        head[sizeof("Unexpected token ") - 1] = ',';
      v8::Local<v8::String> moved;
      if (end != s.c_str() + digits && *end == '\0' &&
          v8::String::NewFromUtf8(iso, (head + std::to_string(position + offset)).c_str())
              .ToLocal(&moved))
        result = v8::Exception::SyntaxError(moved);
    }
  }
  return result;
}

// Whether the own property `key` of `holder` is a data property whose value
// is `want` (looked at without running anything).
bool own_value_is(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::Local<v8::Object> holder,
                  v8::Local<v8::Name> key, const char* field, v8::Local<v8::Value> want) {
  v8::Local<v8::Value> desc, got;
  v8::Local<v8::String> name = str(iso, field);
  // A descriptor is a fresh plain object: a field it has is read without
  // looking at Object.prototype.
  return holder->GetOwnPropertyDescriptor(ctx, key).ToLocal(&desc) && desc->IsObject() &&
         desc.As<v8::Object>()->HasOwnProperty(ctx, name).FromMaybe(false) &&
         desc.As<v8::Object>()->Get(ctx, name).ToLocal(&got) && got->StrictEquals(want);
}

// Whether V8's `concat` on the pieces reads only what is V8's own (see the
// top of this file).
bool concat_is_plain(v8::Isolate* iso, v8::Local<v8::Context> ctx) {
  v8::Local<v8::Value> array_proto = slot_value(ctx, kSlotArrayPrototype);
  v8::Local<v8::Value> array = slot_value(ctx, kSlotArrayConstructor);
  v8::Local<v8::Value> species = slot_value(ctx, kSlotArraySpecies);
  v8::Local<v8::Value> species_symbol = slot_value(ctx, kSlotSpeciesSymbol);
  if (!array_proto->IsObject() || !array->IsObject() || !species_symbol->IsSymbol() ||
      !own_value_is(iso, ctx, array_proto.As<v8::Object>(), str(iso, "constructor"), "value",
                    array) ||
      !own_value_is(iso, ctx, array.As<v8::Object>(), species_symbol.As<v8::Symbol>(), "get",
                    species))
    return false;
  v8::Local<v8::Value> holder = array_proto;
  for (int depth = 0; holder->IsObject(); depth++) {
    if (depth == 64 || holder->IsProxy() ||
        holder.As<v8::Object>()
            ->HasOwnProperty(ctx, v8::Symbol::GetIsConcatSpreadable(iso))
            .FromMaybe(true))
      return false;
    holder = holder.As<v8::Object>()->GetPrototype();
  }
  return holder->IsNull();
}

enum class Sliced { kDone, kFailed, kNotSliced };

// Parses `text` in pieces into *result (kDone); kFailed with an exception
// or termination pending; kNotSliced when it is not cut.
template <typename C>
Sliced parse_pieces(MotuIsolate* m, v8::Isolate* iso, v8::Local<v8::Context> ctx, C* text,
                    size_t n, v8::Local<v8::Value>* result) {
  std::vector<size_t> cuts;
  auto stopped = [m] { return m->terminating.load(std::memory_order_relaxed); };
  size_t slice = std::max(kJsonSlice, n / kJsonMostPieces + 1);
  if (!cuts_of(text, n, slice, stopped, &cuts)) {
    stop_if_terminating(m, iso, ctx);
    return Sliced::kFailed;
  }
  if (cuts.empty() || !concat_is_plain(iso, ctx)) return Sliced::kNotSliced;
  v8::Local<v8::Function> parse = slot_value(ctx, kSlotJsonParse).As<v8::Function>();
  std::vector<v8::Local<v8::Value>> parts;
  for (size_t k = 0; k <= cuts.size(); k++) {
    if (stop_if_terminating(m, iso, ctx)) return Sliced::kFailed;
    bool first = k == 0, last = k == cuts.size();
    size_t start = first ? 0 : cuts[k - 1] + 1;
    size_t end = last ? n : cuts[k];
    // The piece's string is garbage once parsed: a scope of its own lets
    // the next scavenge drop it rather than copy it.
    v8::EscapableHandleScope piece_scope(iso);
    v8::Local<v8::Value> piece, part;
    if (!piece_of(iso, text, start, end, first, last).ToLocal(&piece)) return Sliced::kFailed;
    v8::Local<v8::Value> moved;
    {
      v8::TryCatch tc(iso);
      if (parse->Call(ctx, v8::Undefined(iso), 1, &piece).ToLocal(&part)) {
        parts.push_back(piece_scope.Escape(part));
        continue;
      }
      if (tc.HasTerminated() || !tc.CanContinue() ||
          (moved = moved_error(iso, ctx, tc.Exception(), first ? 0 : start - 1,
                               last ? std::string::npos : end))
              .IsEmpty()) {
        tc.ReThrow();
        return Sliced::kFailed;
      }
    }
    // Thrown once the TryCatch is gone, which would otherwise catch it.
    iso->ThrowException(moved);
    return Sliced::kFailed;
  }
  if (stop_if_terminating(m, iso, ctx)) return Sliced::kFailed;
  // The result's elements, one tagged value (or double) each, are one
  // large object: their memory is faulted in first, a step at a time.
  size_t elements = 0;
  for (const auto& part : parts) elements += part.As<v8::Array>()->Length();
  std::unique_ptr<PrefaultedPages> pages;
  if (elements * sizeof(void*) >= kJsonPrefaultMin) {
    pages = std::make_unique<PrefaultedPages>(elements * sizeof(void*),
                                              elements * sizeof(void*) + kJsonPrefaultSlack);
    while (!pages->step(kJsonPrefaultStep))
      if (stop_if_terminating(m, iso, ctx)) return Sliced::kFailed;
    if (stop_if_terminating(m, iso, ctx)) return Sliced::kFailed;
  }
  // The Worker's code ran nowhere since concat_is_plain looked.
  if (!slot_value(ctx, kSlotArrayConcat)
           .As<v8::Function>()
           ->Call(ctx, parts[0], static_cast<int>(parts.size() - 1), parts.data() + 1)
           .ToLocal(result))
    return Sliced::kFailed;
  return Sliced::kDone;
}

// `JSON.parse(text, reviver)`, over V8's own (kSlotJsonParse).
void parse(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  auto* m = static_cast<MotuIsolate*>(iso->GetData(0));
  if (stop_if_terminating(m, iso, ctx)) return;
  v8::Local<v8::Value> result;
  bool sliced = info.Length() > 0 && info[0]->IsString() &&
                (info.Length() < 2 || info[1]->IsUndefined()) &&
                info[0].As<v8::String>()->Length() >= kJsonSlicedMin && !own_builtins_only();
  if (sliced) {
    Sliced done = Sliced::kNotSliced;
    try {
      v8::Local<v8::String> s = info[0].As<v8::String>();
      size_t n = static_cast<size_t>(s->Length());
      if (s->IsOneByte()) {
        std::vector<uint8_t> text(n);
        s->WriteOneByte(iso, text.data(), 0, static_cast<int>(n),
                        v8::String::NO_NULL_TERMINATION);
        done = parse_pieces(m, iso, ctx, text.data(), n, &result);
      } else {
        std::vector<uint16_t> text(n);
        s->Write(iso, text.data(), 0, static_cast<int>(n), v8::String::NO_NULL_TERMINATION);
        done = parse_pieces(m, iso, ctx, text.data(), n, &result);
      }
    } catch (const std::bad_alloc&) {
      throw_error(iso, ErrorClass::kRangeError, "out of memory parsing JSON");
      return;
    }
    if (done == Sliced::kFailed) return;
    sliced = done == Sliced::kDone;
  }
  if (!sliced) {
    v8::Local<v8::Value> args[2];
    int argc = info.Length() < 2 ? info.Length() : 2;
    for (int i = 0; i < argc; i++) args[i] = info[i];
    if (!slot_value(ctx, kSlotJsonParse)
             .As<v8::Function>()
             ->Call(ctx, receiver(info), argc, args)
             .ToLocal(&result))
      return;
  }
  if (stop_if_terminating(m, iso, ctx)) return;
  info.GetReturnValue().Set(result);
}

// The getter of `holder`'s own property `key`, or an empty handle.
v8::Local<v8::Value> own_getter(v8::Local<v8::Context> ctx, v8::Local<v8::Object> holder,
                                v8::Local<v8::Name> key) {
  v8::Isolate* iso = ctx->GetIsolate();
  v8::Local<v8::Value> desc, getter;
  if (!holder->GetOwnPropertyDescriptor(ctx, key).ToLocal(&desc) || !desc->IsObject() ||
      !desc.As<v8::Object>()->Get(ctx, str(iso, "get")).ToLocal(&getter) ||
      !getter->IsFunction())
    return v8::Local<v8::Value>();
  return getter;
}


}  // namespace

bool install_json(v8::Local<v8::Context> ctx) {
  v8::Isolate* iso = ctx->GetIsolate();
  v8::Local<v8::Value> json, original, array, array_proto, concat, species_symbol, species;
  if (!property(ctx, "Symbol", "species", &species_symbol) || !species_symbol->IsSymbol() ||
      !ctx->Global()->Get(ctx, str(iso, "JSON")).ToLocal(&json) || !json->IsObject() ||
      !json.As<v8::Object>()->Get(ctx, str(iso, "parse")).ToLocal(&original) ||
      !original->IsFunction() || !ctx->Global()->Get(ctx, str(iso, "Array")).ToLocal(&array) ||
      !array->IsFunction() ||
      !array.As<v8::Object>()->Get(ctx, str(iso, "prototype")).ToLocal(&array_proto) ||
      !array_proto->IsObject() ||
      !array_proto.As<v8::Object>()->Get(ctx, str(iso, "concat")).ToLocal(&concat) ||
      !concat->IsFunction() ||
      (species = own_getter(ctx, array.As<v8::Object>(), species_symbol.As<v8::Symbol>()))
          .IsEmpty())
    return false;
  ctx->SetEmbedderData(kSlotJsonParse, original);
  ctx->SetEmbedderData(kSlotArrayConstructor, array);
  ctx->SetEmbedderData(kSlotArrayConcat, concat);
  ctx->SetEmbedderData(kSlotArraySpecies, species);
  ctx->SetEmbedderData(kSlotSpeciesSymbol, species_symbol);
  v8::Local<v8::Function> wrapper;
  if (!v8::Function::New(ctx, parse, v8::Local<v8::Value>(), 2, v8::ConstructorBehavior::kThrow)
           .ToLocal(&wrapper))
    return false;
  wrapper->SetName(str(iso, "parse"));
  return json.As<v8::Object>()
      ->DefineOwnProperty(ctx, str(iso, "parse"), wrapper, v8::DontEnum)
      .FromMaybe(false);
}

void add_json_references(std::vector<intptr_t>& refs) {
  v8::FunctionCallback callback = parse;
  refs.push_back(reinterpret_cast<intptr_t>(callback));
}

}  // namespace motu
