// The memory V8's heap is made of, and memory faulted in ahead for one
// large allocation.
//
// V8 takes its heap's memory from the platform's page allocator. motu's
// platform hands it this one, which passes every call on to V8's default
// allocator but one: a thread that made a PrefaultedPages has its next
// allocation of the expected size served from that region instead.
//
// What for: a large object (over V8's regular object size, e.g. a
// two-million-element array's 16 MiB of elements) gets fresh memory of its
// own, and its first touch (the kernel's page faults, zeroing each page) is
// part of the one call that makes the object, which no termination can
// interrupt: about 6-10 ms for 16 MiB here. A caller that knows such an
// allocation is coming (the sliced JSON.parse's final concat) reserves the
// region first and has the kernel fault it in a step at a time, checking for
// a termination between steps; the allocation then finds its pages already
// there. Faulting in with MADV_POPULATE_WRITE (Linux 5.14) is also cheaper
// than the same number of faults on first touch; older kernels touch each
// page instead.
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "internal.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace motu {
namespace {

// The region prepared on this thread, if any.
thread_local PrefaultedPages* prepared = nullptr;

// Alignment of a prepared region: V8's heap chunks are aligned to their
// 256 KiB page size (an object's chunk is found by masking its address).
constexpr size_t kPreparedAlignment = size_t(1) << 18;

class Pages final : public v8::PageAllocator {
 public:
  explicit Pages(v8::PageAllocator* inner) : inner_(inner) {}

  size_t AllocatePageSize() override { return inner_->AllocatePageSize(); }
  size_t CommitPageSize() override { return inner_->CommitPageSize(); }
  void SetRandomMmapSeed(int64_t seed) override { inner_->SetRandomMmapSeed(seed); }
  void* GetRandomMmapAddr() override { return inner_->GetRandomMmapAddr(); }

  void* AllocatePages(void* hint, size_t length, size_t alignment,
                      Permission access) override {
    if (prepared != nullptr) {
      void* taken = prepared->take(length, alignment, access);
      if (taken != nullptr) return taken;
    }
    return inner_->AllocatePages(hint, length, alignment, access);
  }

  bool FreePages(void* address, size_t length) override {
    return inner_->FreePages(address, length);
  }
  bool ReleasePages(void* address, size_t length, size_t new_length) override {
    return inner_->ReleasePages(address, length, new_length);
  }
  bool SetPermissions(void* address, size_t length, Permission access) override {
    return inner_->SetPermissions(address, length, access);
  }
  bool DiscardSystemPages(void* address, size_t size) override {
    return inner_->DiscardSystemPages(address, size);
  }
  bool DecommitPages(void* address, size_t size) override {
    return inner_->DecommitPages(address, size);
  }
  bool ReserveForSharedMemoryMapping(void* address, size_t size) override {
    return inner_->ReserveForSharedMemoryMapping(address, size);
  }
  std::unique_ptr<SharedMemory> AllocateSharedPages(size_t length,
                                                    const void* original_address) override {
    return inner_->AllocateSharedPages(length, original_address);
  }
  bool CanAllocateSharedPages() override { return inner_->CanAllocateSharedPages(); }

 private:
  v8::PageAllocator* inner_;
};

}  // namespace

v8::PageAllocator* wrap_page_allocator(v8::PageAllocator* inner) {
  // Lives as long as the process, like the platform.
  return new Pages(inner);
}

PrefaultedPages::PrefaultedPages(size_t min, size_t size) : min_(min) {
  size_t page = 4096;
  size_ = (size + page - 1) / page * page;
  if (prepared != nullptr || size_ == 0) return;
  void* raw = mmap(nullptr, size_ + kPreparedAlignment, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return;
  auto* start = static_cast<char*>(raw);
  auto* base = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(start) + kPreparedAlignment - 1) &
                                       ~(kPreparedAlignment - 1));
  if (base > start) munmap(start, base - start);
  char* end = start + size_ + kPreparedAlignment;
  if (end > base + size_) munmap(base + size_, end - (base + size_));
  base_ = base;
  prepared = this;
}

PrefaultedPages::~PrefaultedPages() {
  if (prepared == this) prepared = nullptr;
  if (base_ != nullptr) munmap(base_, size_);
}

bool PrefaultedPages::step(size_t bytes) {
  if (base_ == nullptr || faulted_ >= size_) return true;
  size_t n = std::min(bytes, size_ - faulted_);
  char* from = base_ + faulted_;
  if (madvise(from, n, MADV_POPULATE_WRITE) != 0) {
    // An older kernel: a write to each page (of the zero it holds).
    for (size_t i = 0; i < n; i += 4096) *static_cast<volatile char*>(from + i) = 0;
  }
  faulted_ += n;
  return faulted_ >= size_;
}

void* PrefaultedPages::take(size_t length, size_t alignment, v8::PageAllocator::Permission access) {
  if (base_ == nullptr || length < min_ || length > size_ || alignment == 0 ||
      kPreparedAlignment % alignment != 0 ||
      (access != v8::PageAllocator::kNoAccess && access != v8::PageAllocator::kReadWrite))
    return nullptr;
  char* base = base_;
  size_t page = 4096;
  size_t kept = (length + page - 1) / page * page;
  if (kept < size_) munmap(base + kept, size_ - kept);
  if (access == v8::PageAllocator::kNoAccess) mprotect(base, kept, PROT_NONE);
  // V8 owns it now (and frees it with FreePages, an munmap).
  base_ = nullptr;
  prepared = nullptr;
  taken_ = true;
  return base;
}

}  // namespace motu
