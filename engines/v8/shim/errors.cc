// Errors: JavaScript exceptions described for Rust, and Rust errors thrown
// into JavaScript.
#include <cstdlib>
#include <cstring>

#include "internal.h"

MotuBuf motu_to_buf(const std::string& s) {
  MotuBuf b{nullptr, s.size()};
  if (!s.empty()) {
    b.data = static_cast<uint8_t*>(std::malloc(s.size()));
    std::memcpy(b.data, s.data(), s.size());
  }
  return b;
}

std::string motu_utf8(v8::Isolate* iso, v8::Local<v8::Value> v) {
  v8::String::Utf8Value s(iso, v);
  return *s ? std::string(*s, s.length()) : std::string();
}

namespace {

// Reads a string property without letting a throwing getter escape.
bool string_property(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::Local<v8::Object> o,
                     const char* name, std::string* out) {
  v8::TryCatch tc(iso);
  v8::Local<v8::Value> v;
  if (!o->Get(ctx, v8::String::NewFromUtf8(iso, name).ToLocalChecked()).ToLocal(&v) ||
      v->IsUndefined())
    return false;
  *out = motu_utf8(iso, v);
  return true;
}

}  // namespace

void motu_describe_exception(v8::Isolate* iso, v8::Local<v8::Context> ctx,
                             v8::Local<v8::Value> exception, std::string& out) {
  std::string name = "Error", message, stack;
  if (exception->IsObject()) {
    auto o = exception.As<v8::Object>();
    if (string_property(iso, ctx, o, "message", &message)) {
      string_property(iso, ctx, o, "name", &name);
      string_property(iso, ctx, o, "stack", &stack);
    } else {
      message = motu_utf8(iso, exception);
    }
  } else {
    message = motu_utf8(iso, exception);
  }
  motu_encode_error(name, message, stack, out);
}

v8::Local<v8::Value> motu_make_error(v8::Isolate* iso, v8::Local<v8::Context> ctx,
                                     const uint8_t* encoded, size_t len) {
  std::string name = "Error", message;
  v8::Local<v8::Value> decoded;
  const uint8_t* p = encoded;
  if (motu_decode(iso, ctx, p, encoded + len, &decoded) && decoded->IsObject()) {
    auto o = decoded.As<v8::Object>();
    string_property(iso, ctx, o, "name", &name);
    string_property(iso, ctx, o, "message", &message);
  }
  auto msg = v8::String::NewFromUtf8(iso, message.data(), v8::NewStringType::kNormal,
                                     static_cast<int>(message.size()))
                 .ToLocalChecked();
  if (name == "TypeError") return v8::Exception::TypeError(msg);
  if (name == "RangeError") return v8::Exception::RangeError(msg);
  if (name == "SyntaxError") return v8::Exception::SyntaxError(msg);
  if (name == "ReferenceError") return v8::Exception::ReferenceError(msg);
  auto error = v8::Exception::Error(msg);
  if (name != "Error" && error->IsObject()) {
    auto n = v8::String::NewFromUtf8(iso, name.data(), v8::NewStringType::kNormal,
                                     static_cast<int>(name.size()))
                 .ToLocalChecked();
    motu_ignore(error.As<v8::Object>()->Set(ctx, v8::String::NewFromUtf8Literal(iso, "name"), n));
  }
  return error;
}
