// The tagged binary encoding of values crossing to Rust (see src/codec.rs).
//   0 undefined, 1 null, 2 false, 3 true, 4 number (f64, little endian),
//   5 string (u32 length + UTF-8), 6 bytes (u32 length + data),
//   7 list (u32 count + items), 8 map (u32 count + (u32 length + UTF-8 key, value)*)
#include <cstring>

#include "internal.h"

namespace {

enum Tag : uint8_t {
  kUndefined = 0, kNull = 1, kFalse = 2, kTrue = 3, kNumber = 4,
  kString = 5, kBytes = 6, kList = 7, kMap = 8,
};

// Deeper structures (or cycles) are cut off here, as `undefined`.
constexpr int kMaxDepth = 64;

void put_u32(std::string& out, uint32_t n) {
  char b[4];
  std::memcpy(b, &n, 4);
  out.append(b, 4);
}

void put_str(std::string& out, const std::string& s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

bool get_u32(const uint8_t*& p, const uint8_t* end, uint32_t* n) {
  if (end - p < 4) return false;
  std::memcpy(n, p, 4);
  p += 4;
  return true;
}

}  // namespace

void motu_encode(v8::Isolate* iso, v8::Local<v8::Context> ctx, v8::Local<v8::Value> v,
                 std::string& out, int depth) {
  if (v->IsUndefined() || depth > kMaxDepth) {
    out.push_back(kUndefined);
  } else if (v->IsNull()) {
    out.push_back(kNull);
  } else if (v->IsBoolean()) {
    out.push_back(v->IsTrue() ? kTrue : kFalse);
  } else if (v->IsNumber()) {
    double d = v.As<v8::Number>()->Value();
    out.push_back(kNumber);
    char b[8];
    std::memcpy(b, &d, 8);
    out.append(b, 8);
  } else if (v->IsString() || v->IsBigInt()) {
    out.push_back(kString);
    put_str(out, motu_utf8(iso, v));
  } else if (v->IsArrayBuffer()) {
    auto ab = v.As<v8::ArrayBuffer>();
    out.push_back(kBytes);
    size_t n = ab->ByteLength();
    put_u32(out, static_cast<uint32_t>(n));
    if (n) out.append(static_cast<const char*>(ab->GetBackingStore()->Data()), n);
  } else if (v->IsArrayBufferView()) {
    auto view = v.As<v8::ArrayBufferView>();
    size_t n = view->ByteLength();
    out.push_back(kBytes);
    put_u32(out, static_cast<uint32_t>(n));
    size_t at = out.size();
    out.resize(at + n);
    if (n) view->CopyContents(&out[at], n);
  } else if (v->IsArray()) {
    auto a = v.As<v8::Array>();
    uint32_t n = a->Length();
    out.push_back(kList);
    put_u32(out, n);
    for (uint32_t i = 0; i < n; i++) {
      v8::Local<v8::Value> item;
      if (!a->Get(ctx, i).ToLocal(&item)) item = v8::Undefined(iso);
      motu_encode(iso, ctx, item, out, depth + 1);
    }
  } else if (v->IsObject() && !v->IsFunction()) {
    auto o = v.As<v8::Object>();
    v8::Local<v8::Array> keys;
    auto filter = static_cast<v8::PropertyFilter>(v8::ONLY_ENUMERABLE | v8::SKIP_SYMBOLS);
    if (!o->GetOwnPropertyNames(ctx, filter, v8::KeyConversionMode::kConvertToString)
             .ToLocal(&keys)) {
      out.push_back(kUndefined);
      return;
    }
    uint32_t n = keys->Length();
    out.push_back(kMap);
    put_u32(out, n);
    for (uint32_t i = 0; i < n; i++) {
      v8::Local<v8::Value> key, item;
      if (!keys->Get(ctx, i).ToLocal(&key)) key = v8::String::Empty(iso);
      put_str(out, motu_utf8(iso, key));
      if (!o->Get(ctx, key).ToLocal(&item)) item = v8::Undefined(iso);
      motu_encode(iso, ctx, item, out, depth + 1);
    }
  } else {
    out.push_back(kUndefined);  // functions, symbols
  }
}

bool motu_decode(v8::Isolate* iso, v8::Local<v8::Context> ctx, const uint8_t*& p,
                 const uint8_t* end, v8::Local<v8::Value>* out) {
  if (p >= end) return false;
  uint8_t tag = *p++;
  uint32_t n = 0;
  switch (tag) {
    case kUndefined: *out = v8::Undefined(iso); return true;
    case kNull: *out = v8::Null(iso); return true;
    case kFalse: *out = v8::False(iso); return true;
    case kTrue: *out = v8::True(iso); return true;
    case kNumber: {
      if (end - p < 8) return false;
      double d;
      std::memcpy(&d, p, 8);
      p += 8;
      *out = v8::Number::New(iso, d);
      return true;
    }
    case kString: {
      if (!get_u32(p, end, &n) || static_cast<size_t>(end - p) < n) return false;
      v8::Local<v8::String> s;
      if (!v8::String::NewFromUtf8(iso, reinterpret_cast<const char*>(p),
                                   v8::NewStringType::kNormal, static_cast<int>(n))
               .ToLocal(&s))
        return false;
      p += n;
      *out = s;
      return true;
    }
    case kBytes: {
      if (!get_u32(p, end, &n) || static_cast<size_t>(end - p) < n) return false;
      auto ab = v8::ArrayBuffer::New(iso, n);
      if (n) std::memcpy(ab->GetBackingStore()->Data(), p, n);
      p += n;
      *out = v8::Uint8Array::New(ab, 0, n);
      return true;
    }
    case kList: {
      if (!get_u32(p, end, &n)) return false;
      auto a = v8::Array::New(iso, static_cast<int>(n));
      for (uint32_t i = 0; i < n; i++) {
        v8::Local<v8::Value> item;
        if (!motu_decode(iso, ctx, p, end, &item)) return false;
        if (a->Set(ctx, i, item).IsNothing()) return false;
      }
      *out = a;
      return true;
    }
    case kMap: {
      if (!get_u32(p, end, &n)) return false;
      auto o = v8::Object::New(iso);
      for (uint32_t i = 0; i < n; i++) {
        uint32_t klen;
        if (!get_u32(p, end, &klen) || static_cast<size_t>(end - p) < klen) return false;
        v8::Local<v8::String> key;
        if (!v8::String::NewFromUtf8(iso, reinterpret_cast<const char*>(p),
                                     v8::NewStringType::kNormal, static_cast<int>(klen))
                 .ToLocal(&key))
          return false;
        p += klen;
        v8::Local<v8::Value> item;
        if (!motu_decode(iso, ctx, p, end, &item)) return false;
        if (o->CreateDataProperty(ctx, key, item).IsNothing()) return false;
      }
      *out = o;
      return true;
    }
    default:
      return false;
  }
}

void motu_encode_error(const std::string& name, const std::string& message,
                       const std::string& stack, std::string& out) {
  out.push_back(kMap);
  put_u32(out, 3);
  put_str(out, "name");
  out.push_back(kString);
  put_str(out, name);
  put_str(out, "message");
  out.push_back(kString);
  put_str(out, message);
  put_str(out, "stack");
  out.push_back(kString);
  put_str(out, stack);
}

void motu_encode_args(const v8::FunctionCallbackInfo<v8::Value>& info, int from,
                      std::string& out) {
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  int n = info.Length() > from ? info.Length() - from : 0;
  out.push_back(kList);
  put_u32(out, static_cast<uint32_t>(n));
  for (int i = 0; i < n; i++) motu_encode(iso, ctx, info[from + i], out, 0);
}
