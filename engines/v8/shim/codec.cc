// The tagged binary encoding of values crossing to Rust (src/codec.rs is
// the other side). Integers are little endian.
//   0 undefined   1 null   2 false   3 true
//   4 number      f64
//   5 string      u32 byte length, UTF-8
//   6 bytes       u32 length, the bytes
//   7 list        u32 count, that many values
//   8 map         u32 count, that many (u32 length + UTF-8 key, value)
//   9 lent bytes  u64 address, u32 length: bytes of at least kLendMin that
//                 stay where they are for one call (Rust lends those of the
//                 values it hands over; an op's arguments lend theirs,
//                 pinned until the op returns) and are copied once, by the
//                 receiver
#include <climits>
#include <cstdlib>
#include <cstring>

#include "internal.h"

namespace motu {
namespace {

enum Tag : uint8_t {
  kUndefined = 0,
  kNull = 1,
  kFalse = 2,
  kTrue = 3,
  kNumber = 4,
  kString = 5,
  kBytes = 6,
  kList = 7,
  kMap = 8,
  kLentBytes = 9,
  kLentChunks = 10,
  kAdoptedBytes = 11,
};

// Bytes from this size on are lent rather than copied into the encoding
// (src/codec.rs's LEND_MIN is the same).
constexpr size_t kLendMin = 4096;

// JavaScript structures deeper than this (cycles included) are cut off:
// what lies below becomes undefined.
constexpr int kMaxDepth = 64;
// Values from Rust deeper than this are refused, to bound the recursion.
constexpr int kMaxDecodeDepth = 1000;
// Short strings are written in one pass into room for the worst case.
constexpr int kOnePassString = 4096;

void put_u32(std::string& out, uint32_t n) {
  char b[4] = {static_cast<char>(n), static_cast<char>(n >> 8), static_cast<char>(n >> 16),
               static_cast<char>(n >> 24)};
  out.append(b, 4);
}

void set_u32(std::string& out, size_t at, uint32_t n) {
  out[at] = static_cast<char>(n);
  out[at + 1] = static_cast<char>(n >> 8);
  out[at + 2] = static_cast<char>(n >> 16);
  out[at + 3] = static_cast<char>(n >> 24);
}

void put_u64(std::string& out, uint64_t n) {
  put_u32(out, static_cast<uint32_t>(n));
  put_u32(out, static_cast<uint32_t>(n >> 32));
}

void put_f64(std::string& out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  put_u32(out, static_cast<uint32_t>(bits));
  put_u32(out, static_cast<uint32_t>(bits >> 32));
}

void put_str(std::string& out, const std::string& s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Walks a JavaScript value into `out`. Every V8 call that may run
// JavaScript (getters, proxy traps, toString of a bigint) can fail; the
// walk then stops with the exception pending for the caller.
class Encoder {
 public:
  // With `pins`, large byte strings are lent: their backing stores go to
  // `pins`, which the caller keeps until the receiver has copied them.
  Encoder(MotuIsolate* m, v8::Local<v8::Context> ctx, std::string& out, Pins* pins)
      : m_(m), iso_(m->isolate), ctx_(ctx), out_(out), start_(out.size()), pins_(pins) {}

  bool value(v8::Local<v8::Value> v, int depth) {
    if (v->IsUndefined() || depth > kMaxDepth) return tag(kUndefined);
    if (v->IsNull()) return tag(kNull);
    if (v->IsTrue()) return tag(kTrue);
    if (v->IsFalse()) return tag(kFalse);
    if (v->IsNumber()) {
      out_.push_back(kNumber);
      put_f64(out_, v.As<v8::Number>()->Value());
      return true;
    }
    if (v->IsString()) return string(v.As<v8::String>());
    if (v->IsBigInt()) {
      v8::Local<v8::String> s;
      return v->ToString(ctx_).ToLocal(&s) && string(s);
    }
    if (v->IsSymbol() || v->IsFunction()) return tag(kUndefined);
    if (v->IsArrayBufferView()) {
      auto view = v.As<v8::ArrayBufferView>();
      size_t n = view->ByteLength();
      if (!room(n)) return false;
      if (pins_ && n >= kLendMin && lend(view->Buffer()->GetBackingStore(), view->ByteOffset(), n))
        return true;
      size_t at = bytes_header(n);
      out_.resize(at + n);
      if (n) view->CopyContents(&out_[at], n);
      return true;
    }
    if (v->IsArrayBuffer()) {
      auto buffer = v.As<v8::ArrayBuffer>();
      size_t n = buffer->ByteLength();
      if (pins_ && n >= kLendMin) {
        if (!room(n)) return false;
        if (lend(buffer->GetBackingStore(), 0, n)) return true;
      }
      return bytes(buffer->Data(), n);
    }
    if (v->IsSharedArrayBuffer()) {
      auto buffer = v.As<v8::SharedArrayBuffer>();
      return bytes(buffer->Data(), buffer->ByteLength());
    }
    if (v->IsArray()) return list(v.As<v8::Array>(), depth);
    if (v->IsObject()) return map(v.As<v8::Object>(), depth);
    return tag(kUndefined);
  }

  bool list(v8::Local<v8::Array> a, int depth) {
    uint32_t n = a->Length();
    if (!room(n)) return false;  // every item takes at least one byte
    out_.push_back(kList);
    put_u32(out_, n);
    for (uint32_t i = 0; i < n; i++) {
      v8::Local<v8::Value> item;
      if (!a->Get(ctx_, i).ToLocal(&item) || !value(item, depth + 1)) return false;
    }
    return true;
  }

  // Starts a list of `n` items the caller encodes.
  bool list_header(uint32_t n) {
    out_.push_back(kList);
    put_u32(out_, n);
    return true;
  }

 private:
  bool tag(Tag t) {
    out_.push_back(static_cast<char>(t));
    return true;
  }

  // Whether `more` bytes still fit the budget; throws a RangeError if not.
  bool room(size_t more) {
    size_t used = out_.size() - start_;
    if (more <= m_->encode_budget && used <= m_->encode_budget - more) return true;
    throw_error(iso_, ErrorClass::kRangeError,
                "a value handed to the host is larger than " +
                    std::to_string(m_->encode_budget) + " bytes");
    return false;
  }

  size_t bytes_header(size_t n) {
    out_.push_back(kBytes);
    put_u32(out_, static_cast<uint32_t>(n));
    return out_.size();
  }

  bool bytes(const void* data, size_t n) {
    if (!room(n)) return false;
    bytes_header(n);
    if (n) out_.append(static_cast<const char*>(data), n);
    return true;
  }

  // Lends `n` bytes at `offset` of `store`, pinned in `pins_`; false (and
  // nothing written) if they are not all in the store, for the caller to
  // copy them instead.
  bool lend(std::shared_ptr<v8::BackingStore> store, size_t offset, size_t n) {
    const char* data = static_cast<const char*>(store->Data());
    if (!data || offset > store->ByteLength() || n > store->ByteLength() - offset) return false;
    out_.push_back(kLentBytes);
    put_u64(out_, reinterpret_cast<uintptr_t>(data + offset));
    put_u32(out_, static_cast<uint32_t>(n));
    pins_->push_back(std::move(store));
    return true;
  }

  bool string(v8::Local<v8::String> s) {
    if (!room(static_cast<size_t>(s->Length()))) return false;
    out_.push_back(kString);
    size_t at = out_.size();
    put_u32(out_, 0);
    size_t n = append_utf8(iso_, s, out_);
    set_u32(out_, at, static_cast<uint32_t>(n));
    return room(0);
  }

  bool map(v8::Local<v8::Object> o, int depth) {
    v8::Local<v8::Array> keys;
    auto filter = static_cast<v8::PropertyFilter>(v8::ONLY_ENUMERABLE | v8::SKIP_SYMBOLS);
    if (!o->GetOwnPropertyNames(ctx_, filter, v8::KeyConversionMode::kConvertToString)
             .ToLocal(&keys))
      return false;
    uint32_t n = keys->Length();
    if (!room(5 * static_cast<size_t>(n))) return false;  // 4 + 1 bytes at least
    out_.push_back(kMap);
    put_u32(out_, n);
    for (uint32_t i = 0; i < n; i++) {
      v8::Local<v8::Value> key, item;
      if (!keys->Get(ctx_, i).ToLocal(&key)) return false;
      size_t at = out_.size();
      put_u32(out_, 0);
      size_t len = key->IsString() ? append_utf8(iso_, key.As<v8::String>(), out_) : 0;
      set_u32(out_, at, static_cast<uint32_t>(len));
      if (!o->Get(ctx_, key).ToLocal(&item) || !value(item, depth + 1)) return false;
    }
    return true;
  }

  MotuIsolate* m_;
  v8::Isolate* iso_;
  v8::Local<v8::Context> ctx_;
  std::string& out_;
  size_t start_;
  Pins* pins_;
};

// Frees bytes handed to an ArrayBuffer, through the allocator that
// counted them.
void free_backing(void* data, size_t length, void* allocator) {
  static_cast<BufferAllocator*>(allocator)->Free(data, length);
}

// A Rust Vec<u8> an ArrayBuffer adopted: how to free it (Rust's function
// and the vector's capacity) and the allocator its bytes count in.
struct AdoptedBytes {
  void (*free)(uint8_t* data, size_t capacity);
  size_t capacity;
  BufferAllocator* allocator;
};

// Frees bytes an ArrayBuffer adopted, with Rust's function, and stops
// counting them. May run on V8's background threads.
void free_adopted(void* data, size_t /*length*/, void* info) {
  auto* adopted = static_cast<AdoptedBytes*>(info);
  adopted->free(static_cast<uint8_t*>(data), adopted->capacity);
  adopted->allocator->release(adopted->capacity);
  delete adopted;
}

class Decoder {
 public:
  Decoder(v8::Isolate* iso, v8::Local<v8::Context> ctx, MotuBytes bytes)
      : iso_(iso), ctx_(ctx), p_(bytes.data), end_(bytes.data + bytes.len) {}

  bool value(v8::Local<v8::Value>* out, int depth) {
    if (p_ >= end_ || depth > kMaxDecodeDepth) return false;
    uint32_t n = 0;
    switch (*p_++) {
      case kUndefined:
        *out = v8::Undefined(iso_);
        return true;
      case kNull:
        *out = v8::Null(iso_);
        return true;
      case kFalse:
        *out = v8::False(iso_);
        return true;
      case kTrue:
        *out = v8::True(iso_);
        return true;
      case kNumber: {
        uint32_t lo, hi;
        if (!u32(&lo) || !u32(&hi)) return false;
        uint64_t bits = (static_cast<uint64_t>(hi) << 32) | lo;
        double d;
        std::memcpy(&d, &bits, 8);
        *out = v8::Number::New(iso_, d);
        return true;
      }
      case kString: {
        v8::Local<v8::String> s;
        if (!string(&s, v8::NewStringType::kNormal)) return false;
        *out = s;
        return true;
      }
      case kBytes:
        return bytes(out);
      case kLentBytes:
        return lent_bytes(out);
      case kLentChunks:
        return lent_chunks(out);
      case kAdoptedBytes:
        return depth == 0 && adopted_bytes(out);
      case kList: {
        if (!u32(&n) || n > left()) return false;  // every item takes a byte
        v8::Local<v8::Value> small[16];
        std::vector<v8::Local<v8::Value>> big;
        v8::Local<v8::Value>* items = small;
        if (n > 16) {
          big.resize(n);
          items = big.data();
        }
        for (uint32_t i = 0; i < n; i++)
          if (!value(&items[i], depth + 1)) return false;
        *out = v8::Array::New(iso_, items, n);
        return true;
      }
      case kMap: {
        if (!u32(&n) || n > left() / 5) return false;
        auto o = v8::Object::New(iso_);
        for (uint32_t i = 0; i < n; i++) {
          v8::Local<v8::String> key;
          v8::Local<v8::Value> item;
          if (!string(&key, v8::NewStringType::kInternalized) || !value(&item, depth + 1) ||
              o->CreateDataProperty(ctx_, key, item).IsNothing())
            return false;
        }
        *out = o;
        return true;
      }
      default:
        return false;
    }
  }

  bool at_end() const { return p_ == end_; }

 private:
  size_t left() const { return static_cast<size_t>(end_ - p_); }

  bool u32(uint32_t* n) {
    if (left() < 4) return false;
    *n = static_cast<uint32_t>(p_[0]) | (static_cast<uint32_t>(p_[1]) << 8) |
         (static_cast<uint32_t>(p_[2]) << 16) | (static_cast<uint32_t>(p_[3]) << 24);
    p_ += 4;
    return true;
  }

  bool string(v8::Local<v8::String>* out, v8::NewStringType type) {
    uint32_t n;
    if (!u32(&n) || n > left() || n > static_cast<uint32_t>(INT_MAX)) return false;
    if (!v8::String::NewFromUtf8(iso_, reinterpret_cast<const char*>(p_), type,
                                 static_cast<int>(n))
             .ToLocal(out))
      return false;
    p_ += n;
    return true;
  }

  // A fresh Uint8Array. Its memory comes from the isolate's counting
  // allocator directly: V8's own ArrayBuffer::New aborts the process when
  // an allocation fails, this refuses instead.
  bool bytes(v8::Local<v8::Value>* out) {
    uint32_t n;
    if (!u32(&n) || n > left()) return false;
    if (!fresh_bytes(p_, n, out)) return false;
    p_ += n;
    return true;
  }

  // Bytes Rust lends for the call: copied once, into the fresh buffer.
  bool lent_bytes(v8::Local<v8::Value>* out) {
    uint32_t lo, hi, n;
    if (!u32(&lo) || !u32(&hi) || !u32(&n)) return false;
    uintptr_t address = static_cast<uintptr_t>((static_cast<uint64_t>(hi) << 32) | lo);
    if (address == 0) return false;
    return fresh_bytes(reinterpret_cast<const uint8_t*>(address), n, out);
  }

  // Chunks Rust lends for the call (`u32` count, then each one's `u64`
  // address and `u32` length): copied once, one after the other, into one
  // fresh buffer.
  bool lent_chunks(v8::Local<v8::Value>* out) {
    uint32_t count;
    if (!u32(&count) || count > left() / 12) return false;
    const uint8_t* pieces = p_;
    uint64_t total = 0;
    for (uint32_t i = 0; i < count; i++) {
      uint32_t lo, hi, n;
      if (!u32(&lo) || !u32(&hi) || !u32(&n)) return false;
      if (n > 0 && lo == 0 && hi == 0) return false;
      total += n;
    }
    if (total > UINT32_MAX) return false;
    const uint8_t* after = p_;
    p_ = pieces;
    auto fill = [this, count](uint8_t* data) {
      size_t at = 0;
      for (uint32_t i = 0; i < count; i++) {
        uint32_t lo = 0, hi = 0, n = 0;
        u32(&lo);
        u32(&hi);
        u32(&n);
        uintptr_t address = static_cast<uintptr_t>((static_cast<uint64_t>(hi) << 32) | lo);
        if (n > 0) std::memcpy(data + at, reinterpret_cast<const uint8_t*>(address), n);
        at += n;
      }
    };
    bool made = fresh_buffer(static_cast<uint32_t>(total), fill, out);
    p_ = after;
    return made;
  }

  // Bytes Rust hands over (only as the whole value): a flag byte, the
  // bytes' `u64` address and `u32` length, the vector's `u64` capacity and
  // the `u64` address of Rust's function that frees it. They become the
  // buffer's memory as they are, counted against the isolate's cap; the
  // flag, set to 1 once the buffer owns them, tells Rust to let go of them
  // (until then they stay Rust's).
  bool adopted_bytes(v8::Local<v8::Value>* out) {
    if (left() < 1) return false;
    // The encoding is Rust's scratch buffer, writable for this call.
    uint8_t* taken = const_cast<uint8_t*>(p_);
    p_++;
    uint32_t lo, hi, n, cap_lo, cap_hi, free_lo, free_hi;
    if (!u32(&lo) || !u32(&hi) || !u32(&n) || !u32(&cap_lo) || !u32(&cap_hi) || !u32(&free_lo) ||
        !u32(&free_hi))
      return false;
    uintptr_t address = static_cast<uintptr_t>((static_cast<uint64_t>(hi) << 32) | lo);
    size_t capacity = static_cast<size_t>((static_cast<uint64_t>(cap_hi) << 32) | cap_lo);
    uintptr_t free_fn = static_cast<uintptr_t>((static_cast<uint64_t>(free_hi) << 32) | free_lo);
    if (address == 0 || free_fn == 0 || n == 0 || capacity < n) return false;
    auto* m = static_cast<MotuIsolate*>(iso_->GetData(0));
    // Garbage (an earlier body nothing holds any longer, say) may make
    // room: its buffers are freed once a collection finds them.
    if (!m->allocator->fits(capacity)) iso_->LowMemoryNotification();
    if (!m->allocator->adopt(capacity)) return false;
    auto* adopted = new AdoptedBytes{reinterpret_cast<void (*)(uint8_t*, size_t)>(free_fn), capacity,
                                     m->allocator.get()};
    std::shared_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
        reinterpret_cast<void*>(address), n, free_adopted, adopted);
    *taken = 1;
    v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(iso_, std::move(store));
    *out = v8::Uint8Array::New(buffer, 0, n);
    return true;
  }

  bool fresh_bytes(const uint8_t* from, uint32_t n, v8::Local<v8::Value>* out) {
    return fresh_buffer(n, [from, n](uint8_t* data) { std::memcpy(data, from, n); }, out);
  }

  // A fresh Uint8Array of `n` bytes that `fill` writes.
  template <typename Fill>
  bool fresh_buffer(uint32_t n, Fill fill, v8::Local<v8::Value>* out) {
    v8::Local<v8::ArrayBuffer> buffer;
    if (n == 0) {
      buffer = v8::ArrayBuffer::New(iso_, 0);
    } else {
      auto* m = static_cast<MotuIsolate*>(iso_->GetData(0));
      void* data = m->allocator->AllocateUninitialized(n);
      if (!data) return false;
      fill(static_cast<uint8_t*>(data));
      std::shared_ptr<v8::BackingStore> store =
          v8::ArrayBuffer::NewBackingStore(data, n, free_backing, m->allocator.get());
      buffer = v8::ArrayBuffer::New(iso_, std::move(store));
    }
    *out = v8::Uint8Array::New(buffer, 0, n);
    return true;
  }

  v8::Isolate* iso_;
  v8::Local<v8::Context> ctx_;
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace

size_t append_utf8(v8::Isolate* iso, v8::Local<v8::String> s, std::string& out) {
  int length = s->Length();
  if (length == 0) return 0;
  // A UTF-16 unit takes at most 3 bytes; long strings are measured first
  // so that they do not reserve three times their size.
  size_t room = length <= kOnePassString ? static_cast<size_t>(length) * 3
                                         : static_cast<size_t>(s->Utf8Length(iso));
  size_t at = out.size();
  out.resize(at + room);
  int written = s->WriteUtf8(iso, &out[at], static_cast<int>(room), nullptr,
                             v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  out.resize(at + static_cast<size_t>(written));
  return static_cast<size_t>(written);
}

bool encode_args(MotuIsolate* m, const v8::FunctionCallbackInfo<v8::Value>& info, int from,
                 std::string& out, Pins& pins) {
  Encoder encoder(m, m->isolate->GetCurrentContext(), out, &pins);
  int n = info.Length() > from ? info.Length() - from : 0;
  encoder.list_header(static_cast<uint32_t>(n));
  for (int i = 0; i < n; i++)
    if (!encoder.value(info[from + i], 0)) return false;
  return true;
}

bool decode_value(v8::Isolate* iso, v8::Local<v8::Context> ctx, MotuBytes bytes,
                  v8::Local<v8::Value>* out) {
  Decoder decoder(iso, ctx, bytes);
  return decoder.value(out, 0) && decoder.at_end();
}

void encode_error(const std::string& name, const std::string& message, const std::string& stack,
                  std::string& out) {
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

}  // namespace motu
