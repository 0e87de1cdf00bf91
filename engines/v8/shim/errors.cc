// Errors: JavaScript exceptions described for Rust, and host errors thrown
// into JavaScript.
#include <cstdlib>
#include <cstring>

#include "internal.h"

namespace motu {
namespace {

v8::Local<v8::String> key(v8::Isolate* iso, const char* name) {
  return v8::String::NewFromUtf8(iso, name, v8::NewStringType::kInternalized).ToLocalChecked();
}

// Reads a property as a string; false when it is undefined or reading it
// threw.
bool string_property(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::Local<v8::Object> o,
                     const char* name, std::string* out) {
  v8::TryCatch tc(iso);
  v8::Local<v8::Value> v;
  if (!o->Get(ctx, key(iso, name)).ToLocal(&v) || v->IsUndefined()) return false;
  *out = safe_string(iso, ctx, v);
  return true;
}

v8::Local<v8::String> message_string(v8::Isolate* iso, MotuBytes message) {
  v8::Local<v8::String> s;
  if (message.len > static_cast<size_t>(v8::String::kMaxLength) ||
      !v8::String::NewFromUtf8(iso, reinterpret_cast<const char*>(message.data),
                               v8::NewStringType::kNormal, static_cast<int>(message.len))
           .ToLocal(&s))
    s = v8::String::Empty(iso);
  return s;
}

}  // namespace

MotuBuf to_buf(const std::string& s) {
  MotuBuf b{nullptr, 0};
  if (s.empty()) return b;
  b.data = static_cast<uint8_t*>(std::malloc(s.size()));
  if (!b.data) return b;
  std::memcpy(b.data, s.data(), s.size());
  b.len = s.size();
  return b;
}

std::string safe_string(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::Local<v8::Value> v) {
  std::string out;
  if (iso->IsExecutionTerminating()) return out;
  v8::TryCatch tc(iso);
  v8::Local<v8::String> s;
  if (v->IsString()) {
    s = v.As<v8::String>();
  } else if (!v->ToString(ctx).ToLocal(&s)) {
    // Symbols, and objects whose toString throws.
    tc.Reset();
    if (!v->ToDetailString(ctx).ToLocal(&s)) return out;
  }
  append_utf8(iso, s, out);
  return out;
}

void describe_value(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::Local<v8::Value> value,
                    v8::Local<v8::Message> message, std::string& out) {
  std::string name = "Error", text, stack;
  bool error_like = false;
  if (!value.IsEmpty() && value->IsObject()) {
    auto o = value.As<v8::Object>();
    if (string_property(iso, ctx, o, "message", &text)) {
      error_like = true;
      string_property(iso, ctx, o, "name", &name);
      string_property(iso, ctx, o, "stack", &stack);
    }
  }
  if (!error_like && !value.IsEmpty()) text = safe_string(iso, ctx, value);
  // Errors thrown where no JavaScript frame is (a syntax error, a failed
  // import) have a stack without frames, and values that are not errors
  // none at all: where V8 knows the place, it is added.
  if (!message.IsEmpty() && stack.find("\n    at ") == std::string::npos) {
    std::string resource = safe_string(iso, ctx, message->GetScriptResourceName());
    if (!resource.empty() && resource != "undefined") {
      if (stack.empty()) stack = error_like ? name + ": " + text : text;
      stack += "\n    at " + resource + ":" +
               std::to_string(message->GetLineNumber(ctx).FromMaybe(0)) + ":" +
               std::to_string(message->GetStartColumn(ctx).FromMaybe(0) + 1);
    }
  }
  encode_error(name, text, stack, out);
}

void describe_exception(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::TryCatch& tc,
                        std::string& out) {
  describe_value(iso, ctx, tc.Exception(), tc.Message(), out);
}

v8::Local<v8::Value> make_error(v8::Isolate* iso, v8::Local<v8::Context> ctx, MotuBytes name,
                                MotuBytes message) {
  std::string n(reinterpret_cast<const char*>(name.data), name.len);
  v8::Local<v8::String> text = message_string(iso, message);
  if (n == "TypeError") return v8::Exception::TypeError(text);
  if (n == "RangeError") return v8::Exception::RangeError(text);
  if (n == "SyntaxError") return v8::Exception::SyntaxError(text);
  if (n == "ReferenceError") return v8::Exception::ReferenceError(text);
  v8::Local<v8::Value> error = v8::Exception::Error(text);
  if (!n.empty() && n != "Error" && error->IsObject()) {
    // Set before anything reads `stack`, which V8 formats on first use.
    v8::TryCatch tc(iso);
    discard(error.As<v8::Object>()->DefineOwnProperty(ctx, key(iso, "name"),
                                                    message_string(iso, name), v8::DontEnum));
  }
  return error;
}

void throw_error(v8::Isolate* iso, ErrorClass cls, const std::string& message) {
  v8::Local<v8::String> text =
      message_string(iso, MotuBytes{reinterpret_cast<const uint8_t*>(message.data()),
                                    message.size()});
  switch (cls) {
    case ErrorClass::kTypeError:
      iso->ThrowException(v8::Exception::TypeError(text));
      break;
    case ErrorClass::kRangeError:
      iso->ThrowException(v8::Exception::RangeError(text));
      break;
    case ErrorClass::kError:
      iso->ThrowException(v8::Exception::Error(text));
      break;
  }
}

}  // namespace motu
