// Memory limits: the JavaScript heap's, through V8's near-heap-limit
// callback, and the ArrayBuffer contents', through a counting allocator.
#include <algorithm>
#include <cstdlib>

#include "internal.h"

namespace motu {

void mark_out_of_memory(MotuIsolate* m) {
  m->out_of_memory.store(true);
  m->isolate->TerminateExecution();
}

// The heap is nearly full: stop the JavaScript and give V8 room to unwind,
// so that it reports termination instead of aborting the process. The
// isolate is not used again (check_usable refuses every later call).
//
// V8 takes one answer per occasion and aborts if it is too small: after a
// collection, the heap must fit under the new limit (it can be far above
// the old one, as a large object is admitted whatever the limit and counts
// once promoted); after a failed allocation, the allocation must fit. The
// largest single allocation V8 makes is about 1 GiB, hence the headroom.
// It is seldom used: termination lands at the next interrupt check, and
// only one long builtin (a huge fill or join) allocates much before that.
size_t near_heap_limit(void* data, size_t current, size_t /*initial*/) {
  constexpr size_t kHeadroom = (size_t{1} << 30) + (size_t{256} << 20);
  auto* m = static_cast<MotuIsolate*>(data);
  mark_out_of_memory(m);
  v8::HeapStatistics stats;
  m->isolate->GetHeapStatistics(&stats);
  return std::max(current, stats.total_heap_size()) + kHeadroom;
}

// A scavenge copies every live object of the young generation in one
// pause that no termination interrupts, so the young generation's size
// bounds how far past its CPU limit an allocating Worker can run. V8 sizes
// it from the heap limit: a 128 MiB heap (Cloudflare's limit, and motu's
// default) gets semi-spaces of about a megabyte, a 1 GiB heap eight times
// that, whose scavenges took 10-13 ms when everything survived. Every
// isolate gets at most what a 128 MiB heap would, whatever its limit.
void cap_young_generation(v8::ResourceConstraints& constraints) {
  static const size_t cap = [] {
    v8::ResourceConstraints reference;
    reference.ConfigureDefaultsFromHeapSize(0, size_t{128} << 20);
    return reference.max_young_generation_size_in_bytes();
  }();
  size_t young = constraints.max_young_generation_size_in_bytes();
  if (young == 0 || young > cap) constraints.set_max_young_generation_size_in_bytes(cap);
  if (constraints.initial_young_generation_size_in_bytes() > cap)
    constraints.set_initial_young_generation_size_in_bytes(cap);
}

bool BufferAllocator::reserve(size_t length) {
  if (cap_ == 0) return true;
  size_t before = used_.fetch_add(length, std::memory_order_relaxed);
  if (before + length <= cap_ && before + length >= before) return true;
  used_.fetch_sub(length, std::memory_order_relaxed);
  mark_out_of_memory(owner_);
  return false;
}

void* BufferAllocator::Allocate(size_t length) {
  if (!reserve(length)) return nullptr;
  void* data = std::calloc(length, 1);
  if (!data && cap_) used_.fetch_sub(length, std::memory_order_relaxed);
  return data;
}

void* BufferAllocator::AllocateUninitialized(size_t length) {
  if (!reserve(length)) return nullptr;
  void* data = std::malloc(length);
  if (!data && cap_) used_.fetch_sub(length, std::memory_order_relaxed);
  return data;
}

void BufferAllocator::Free(void* data, size_t length) {
  std::free(data);
  if (cap_) used_.fetch_sub(length, std::memory_order_relaxed);
}

}  // namespace motu
