// UTF-8 encoding of long strings (`TextEncoder.encode` and every other use
// of the `utf8_encode` op), in slices a termination can come between.
//
// The op's usual way hands the string to Rust as UTF-8 and takes the bytes
// back: for a string of 16 Mi units, three passes over it of some
// milliseconds each (measuring, writing, Rust's copy), none of which V8 can
// interrupt. A string of kSlicedMin units or more is instead encoded here,
// kSlice units at a time: each slice is copied out of V8 (`WriteOneByte`,
// `Write`) and converted into one growing buffer, and between two slices a
// termination asked for is delivered (`stop_if_terminating`). The buffer
// becomes the result's ArrayBuffer as it is, without a further copy; its
// bytes count against the isolate's ArrayBuffer cap as it grows.
//
// The bytes are exactly the usual way's: a lone surrogate becomes U+FFFD
// (V8's REPLACE_INVALID_UTF8), a pair split between two slices is kept
// whole.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "internal.h"

namespace motu {
namespace {

// Units per slice: well under a millisecond of copying and converting, and
// the cost of a slice (a V8 call, an atomic load) is nothing beside it.
constexpr int kSlice = 256 << 10;

// A growing buffer of bytes that an ArrayBuffer adopts at the end, counted
// against the isolate's cap for its whole capacity while it grows.
class Output {
 public:
  explicit Output(BufferAllocator* allocator) : allocator_(allocator) {}
  ~Output() {
    if (data_ == nullptr) return;
    std::free(data_);
    allocator_->release(capacity_);
  }

  // Room for `more` bytes after what is written; false if the cap or the
  // C heap refuses.
  bool reserve(size_t more) {
    if (capacity_ - size_ >= more) return true;
    size_t wanted = std::max(capacity_ + capacity_ / 2, size_ + more);
    if (!allocator_->adopt(wanted - capacity_)) return false;
    auto* grown = static_cast<uint8_t*>(std::realloc(data_, wanted));
    if (grown == nullptr) {
      allocator_->release(wanted - capacity_);
      return false;
    }
    data_ = grown;
    capacity_ = wanted;
    return true;
  }

  uint8_t* end() { return data_ + size_; }
  void grew(size_t n) { size_ += n; }

  // The bytes as a Uint8Array; the buffer then owns them.
  v8::Local<v8::Value> finish(v8::Isolate* iso) {
    if (size_ < capacity_) {
      if (auto* shrunk = static_cast<uint8_t*>(std::realloc(data_, size_))) {
        allocator_->release(capacity_ - size_);
        data_ = shrunk;
        capacity_ = size_;
      }
    }
    // The allocator frees it, and stops counting `capacity_` bytes.
    std::shared_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
        data_, capacity_,
        [](void* data, size_t length, void* allocator) {
          static_cast<BufferAllocator*>(allocator)->Free(data, length);
        },
        allocator_);
    size_t size = size_;
    data_ = nullptr;
    v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(iso, std::move(store));
    return v8::Uint8Array::New(buffer, 0, size);
  }

 private:
  BufferAllocator* allocator_;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// Latin-1 units to UTF-8, eight ASCII bytes at a time where it can.
size_t latin1_to_utf8(const uint8_t* in, size_t n, uint8_t* out) {
  uint8_t* o = out;
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, in + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        std::memcpy(o, &word, 8);
        o += 8;
        i += 8;
        continue;
      }
    }
    uint8_t c = in[i++];
    if (c < 0x80) {
      *o++ = c;
    } else {
      *o++ = static_cast<uint8_t>(0xC0 | (c >> 6));
      *o++ = static_cast<uint8_t>(0x80 | (c & 0x3F));
    }
  }
  return static_cast<size_t>(o - out);
}

// The UTF-8 length of Latin-1 units: one byte each, two from U+0080 on.
size_t latin1_utf8_length(const uint8_t* in, size_t n) {
  size_t extra = 0;
  for (size_t i = 0; i < n; i++) extra += in[i] >> 7;
  return n + extra;
}

// The UTF-8 length of UTF-16 units as `utf16_to_utf8` writes them.
size_t utf16_utf8_length(const uint16_t* in, size_t n) {
  size_t bytes = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t c = in[i];
    if (c < 0x80) {
      bytes += 1;
    } else if (c < 0x800) {
      bytes += 2;
    } else if ((c & 0xFC00) == 0xD800 && i + 1 < n && (in[i + 1] & 0xFC00) == 0xDC00) {
      bytes += 4;
      i++;
    } else {
      bytes += 3;
    }
  }
  return bytes;
}

// UTF-16 units to UTF-8, a lone surrogate as U+FFFD.
size_t utf16_to_utf8(const uint16_t* in, size_t n, uint8_t* out) {
  uint8_t* o = out;
  for (size_t i = 0; i < n; i++) {
    uint32_t c = in[i];
    if (c < 0x80) {
      *o++ = static_cast<uint8_t>(c);
      continue;
    }
    if (c < 0x800) {
      *o++ = static_cast<uint8_t>(0xC0 | (c >> 6));
      *o++ = static_cast<uint8_t>(0x80 | (c & 0x3F));
      continue;
    }
    if ((c & 0xFC00) == 0xD800 && i + 1 < n && (in[i + 1] & 0xFC00) == 0xDC00) {
      c = 0x10000 + ((c - 0xD800) << 10) + (in[++i] - 0xDC00);
      *o++ = static_cast<uint8_t>(0xF0 | (c >> 18));
      *o++ = static_cast<uint8_t>(0x80 | ((c >> 12) & 0x3F));
      *o++ = static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3F));
      *o++ = static_cast<uint8_t>(0x80 | (c & 0x3F));
      continue;
    }
    if ((c & 0xF800) == 0xD800) c = 0xFFFD;
    *o++ = static_cast<uint8_t>(0xE0 | (c >> 12));
    *o++ = static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3F));
    *o++ = static_cast<uint8_t>(0x80 | (c & 0x3F));
  }
  return static_cast<size_t>(o - out);
}

}  // namespace

bool sliced_utf8_encode(MotuIsolate* m, v8::Isolate* iso, v8::Local<v8::Context> ctx,
                        v8::Local<v8::String> s, v8::Local<v8::Value>* out) {
  int length = s->Length();
  bool one_byte = s->IsOneByte();
  Output bytes(m->allocator.get());
  std::vector<uint8_t> latin1;
  std::vector<uint16_t> units;
  if (one_byte) {
    latin1.resize(kSlice);
  } else {
    units.resize(kSlice);
  }
  // Every unit takes at least a byte, so the buffer starts at one byte per
  // unit: ASCII text fills it exactly, with no copy as it grows and none to
  // shrink it at the end. Each slice then makes room for exactly what it
  // writes (counted in the slice, while it is in the cache).
  auto reserve = [&](size_t more) {
    if (bytes.reserve(more)) return true;
    if (!iso->IsExecutionTerminating())
      throw_error(iso, ErrorClass::kRangeError, "Array buffer allocation failed");
    return false;
  };
  if (!reserve(static_cast<size_t>(length))) return false;
  for (int k = 0; k < length;) {
    if (stop_if_terminating(m, iso, ctx)) return false;
    int n = std::min(length - k, kSlice);
    if (one_byte) {
      s->WriteOneByte(iso, latin1.data(), k, n, v8::String::NO_NULL_TERMINATION);
      size_t count = static_cast<size_t>(n);
      if (!reserve(latin1_utf8_length(latin1.data(), count))) return false;
      bytes.grew(latin1_to_utf8(latin1.data(), count, bytes.end()));
    } else {
      s->Write(iso, units.data(), k, n, v8::String::NO_NULL_TERMINATION);
      // A high surrogate last in a slice waits for the next one, where its
      // low surrogate may be.
      if (k + n < length && (units[n - 1] & 0xFC00) == 0xD800) n--;
      size_t count = static_cast<size_t>(n);
      if (!reserve(utf16_utf8_length(units.data(), count))) return false;
      bytes.grew(utf16_to_utf8(units.data(), count, bytes.end()));
    }
    k += n;
  }
  if (stop_if_terminating(m, iso, ctx)) return false;
  *out = bytes.finish(iso);
  return true;
}

}  // namespace motu
