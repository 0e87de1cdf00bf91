// `JSON.parse` of a long text whose top level is an array, in slices that
// let a termination in between.
//
// V8's JSON parser (iterative since V8 7.6) has no interrupt check in its
// loop: `JSON.parse` of a 2-million-element array is one call of tens of
// milliseconds, run to its end after the watchdog fired. Here, without a
// reviver, a text of kJsonSlicedMin or more UTF-16 units whose first
// non-blank character is `[` is cut at commas of the top-level array (found
// by a scan that follows strings and nesting) into pieces of about
// kJsonSlice units; each piece is parsed by V8's own `JSON.parse` as an
// array of its own (`[` and `]` added where the cut removed them), with a
// termination delivered between two pieces, and the arrays are put
// together by V8's `concat`.
//
// What a Worker can see stays as from one parse:
// - a cut is made only at a comma between two non-empty elements, so an
//   error (`[1,,2]`, `[1,]`, a bad token, an unclosed string) is inside a
//   piece, and the position in V8's SyntaxError is moved from the piece
//   to the whole text;
// - `concat` reads `constructor` only from a receiver of the shim's own
//   (given `constructor: undefined`, so the result is a plain Array) and
//   spreads every piece unless something defines
//   `Symbol.isConcatSpreadable` on Array.prototype or Object.prototype,
//   in which case (as for a reviver, a shorter text, or anything else at the
//   top level) the text is parsed by V8 in one go, with a termination
//   delivered before and after it.
//
// The scan and the pieces cost a copy of the text and a pass over it; the
// bench's one-call line for `json` shows it beside V8's own parse
// (MOTU_V8_OWN_BUILTINS=1).
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "internal.h"

namespace motu {
namespace {

// Texts shorter than this (in UTF-16 units) are parsed in one go: a few
// milliseconds at most.
constexpr int kJsonSlicedMin = 1 << 20;

// Units per piece, about: a fraction of a millisecond of parsing.
constexpr size_t kJsonSlice = 1 << 17;

v8::Local<v8::String> str(v8::Isolate* iso, const char* s) {
  return v8::String::NewFromUtf8(iso, s, v8::NewStringType::kInternalized).ToLocalChecked();
}

bool blank(uint32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The cut points of `text` (indices of commas of its top-level array), or
// none when its top level is not an array.
template <typename C>
std::vector<size_t> cuts_of(const C* text, size_t n) {
  std::vector<size_t> cuts;
  size_t i = 0;
  while (i < n && blank(text[i])) i++;
  if (i == n || text[i] != '[') return cuts;
  size_t depth = 0, last = 0;
  // Whether the top-level element since the last top-level comma (or `[`)
  // has begun.
  bool element = false;
  for (; i < n; i++) {
    uint32_t c = text[i];
    switch (c) {
      case '"':
        if (depth == 1) element = true;
        // To the closing quote, past escapes.
        for (i++; i < n && text[i] != '"'; i++) {
          if (text[i] == '\\') i++;
        }
        break;
      case '[':
      case '{':
        if (depth == 1) element = true;
        depth++;
        break;
      case ']':
      case '}':
        if (depth == 0 || --depth == 0) return cuts;
        break;
      case ',':
        if (depth == 1) {
          if (element && i - last >= kJsonSlice) {
            size_t next = i + 1;
            while (next < n && blank(text[next])) next++;
            if (next < n && text[next] != ',' && text[next] != ']') {
              cuts.push_back(i);
              last = i;
            }
          }
          element = false;
        }
        break;
      default:
        if (depth == 1 && !blank(c)) element = true;
    }
  }
  return cuts;
}

// A piece of `text` as a string: [start, end) with `[` before unless it is
// the first piece and `]` after unless it is the last.
template <typename C>
v8::MaybeLocal<v8::String> piece_of(v8::Isolate* iso, const C* text, size_t start, size_t end,
                                    bool first, bool last, std::vector<C>& scratch) {
  scratch.clear();
  if (!first) scratch.push_back('[');
  scratch.insert(scratch.end(), text + start, text + end);
  if (!last) scratch.push_back(']');
  int length = static_cast<int>(scratch.size());
  if constexpr (sizeof(C) == 1) {
    return v8::String::NewFromOneByte(iso, scratch.data(), v8::NewStringType::kNormal, length);
  } else {
    return v8::String::NewFromTwoByte(iso, scratch.data(), v8::NewStringType::kNormal, length);
  }
}

// Rethrows the exception `tc` caught from a piece's parse; the position in
// a SyntaxError's "... at position N" is moved by `offset`. An error at the
// `]` added in place of the cut comma at `cut` (a literal or number cut
// short there) names the comma, as one parse would.
void rethrow(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::TryCatch& tc, size_t offset,
             size_t cut) {
  v8::Local<v8::Value> error = tc.Exception();
  v8::Local<v8::Value> message;
  v8::Local<v8::Value> moved_error;
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
        moved_error = v8::Exception::SyntaxError(moved);
    }
  }
  if (moved_error.IsEmpty()) {
    tc.ReThrow();
  } else {
    tc.Reset();
    iso->ThrowException(moved_error);
  }
}

// Whether `holder` has an own Symbol.isConcatSpreadable.
bool has_spreadable(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::Local<v8::Value> holder) {
  return !holder->IsObject() || holder.As<v8::Object>()
                                    ->HasOwnProperty(ctx, v8::Symbol::GetIsConcatSpreadable(iso))
                                    .FromMaybe(true);
}

enum class Sliced { kDone, kFailed, kNotSliced };

// Parses `text` in pieces into *result (kDone); kFailed with an exception
// or termination pending; kNotSliced when it is not cut.
template <typename C>
Sliced parse_pieces(MotuIsolate* m, v8::Isolate* iso, v8::Local<v8::Context> ctx,
                    const C* text, size_t n, v8::Local<v8::Value>* result) {
  std::vector<size_t> cuts = cuts_of(text, n);
  if (cuts.empty()) return Sliced::kNotSliced;
  v8::Local<v8::Value> array_proto = slot_value(ctx, kSlotArrayPrototype);
  v8::Local<v8::Value> object_proto;
  if (!array_proto->IsObject()) return Sliced::kNotSliced;
  object_proto = array_proto.As<v8::Object>()->GetPrototype();
  if (has_spreadable(iso, ctx, array_proto) || has_spreadable(iso, ctx, object_proto))
    return Sliced::kNotSliced;
  v8::Local<v8::Function> parse = slot_value(ctx, kSlotJsonParse).As<v8::Function>();
  std::vector<v8::Local<v8::Value>> parts;
  std::vector<C> scratch;
  for (size_t k = 0; k <= cuts.size(); k++) {
    if (stop_if_terminating(m, iso, ctx)) return Sliced::kFailed;
    bool first = k == 0, last = k == cuts.size();
    size_t start = first ? 0 : cuts[k - 1] + 1;
    size_t end = last ? n : cuts[k];
    v8::Local<v8::Value> piece, part;
    if (!piece_of(iso, text, start, end, first, last, scratch).ToLocal(&piece))
      return Sliced::kFailed;
    v8::TryCatch tc(iso);
    if (!parse->Call(ctx, v8::Undefined(iso), 1, &piece).ToLocal(&part)) {
      if (tc.HasTerminated() || !tc.CanContinue()) {
        tc.ReThrow();
      } else {
        rethrow(iso, ctx, tc, first ? 0 : start - 1, last ? std::string::npos : end);
      }
      return Sliced::kFailed;
    }
    parts.push_back(part);
  }
  if (stop_if_terminating(m, iso, ctx)) return Sliced::kFailed;
  v8::Local<v8::Array> receiver = v8::Array::New(iso, 0);
  v8::Local<v8::Value> concat = slot_value(ctx, kSlotArrayConcat);
  if (receiver->CreateDataProperty(ctx, str(iso, "constructor"), v8::Undefined(iso))
          .IsNothing() ||
      !concat.As<v8::Function>()
           ->Call(ctx, receiver, static_cast<int>(parts.size()), parts.data())
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

}  // namespace

bool install_json(v8::Local<v8::Context> ctx) {
  v8::Isolate* iso = ctx->GetIsolate();
  v8::Local<v8::Value> json, original, array_ctor, array_proto, concat;
  if (!ctx->Global()->Get(ctx, str(iso, "JSON")).ToLocal(&json) || !json->IsObject() ||
      !json.As<v8::Object>()->Get(ctx, str(iso, "parse")).ToLocal(&original) ||
      !original->IsFunction() || !ctx->Global()->Get(ctx, str(iso, "Array")).ToLocal(&array_ctor) ||
      !array_ctor->IsObject() ||
      !array_ctor.As<v8::Object>()->Get(ctx, str(iso, "prototype")).ToLocal(&array_proto) ||
      !array_proto->IsObject() ||
      !array_proto.As<v8::Object>()->Get(ctx, str(iso, "concat")).ToLocal(&concat) ||
      !concat->IsFunction())
    return false;
  ctx->SetEmbedderData(kSlotJsonParse, original);
  ctx->SetEmbedderData(kSlotArrayConcat, concat);
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
