// V8's process-wide start (and the platform it is given, whose page
// allocator is pages.cc's), the tasks V8 posts to an isolate's thread, and
// what V8's fatal errors leave behind.
#include <libplatform/libplatform.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "internal.h"

namespace motu {
namespace {

// At most this many of V8's own tasks run at the end of a turn.
constexpr int kMaxTasksPerTurn = 32;

std::once_flag platform_once;
v8::Platform* the_platform = nullptr;

// V8 calls this for a failed API check or another fatal error. With a
// handler installed it does not abort: it marks the isolate dead, and every
// later call on it reports MOTU_FATAL with this message.
void on_fatal_error(const char* location, const char* message) {
  std::string text = std::string(location ? location : "V8") + ": " + (message ? message : "");
  std::fprintf(stderr, "motu: V8 fatal error: %s\n", text.c_str());
  v8::Isolate* iso = v8::Isolate::TryGetCurrent();
  auto* m = iso ? static_cast<MotuIsolate*>(iso->GetData(0)) : nullptr;
  if (m && m->fatal.empty()) m->fatal = text;
}

// V8 aborts the process after this; say why first. The heap limit's
// near-limit callback exists so that this does not happen for JavaScript
// that allocates too much.
void on_out_of_memory(const char* location, bool is_heap_oom) {
  std::fprintf(stderr, "motu: V8 ran out of %s memory (%s); the process cannot continue\n",
               is_heap_oom ? "heap" : "process", location ? location : "?");
}

// V8's default platform, but for its page allocator (see pages.cc). The
// default platform stays the one that runs tasks (PumpMessageLoop and
// NotifyIsolateShutdown take it).
class Platform final : public v8::Platform {
 public:
  explicit Platform(v8::Platform* inner)
      : inner_(inner), pages_(wrap_page_allocator(inner->GetPageAllocator())) {}

  v8::PageAllocator* GetPageAllocator() override { return pages_; }
  v8::ZoneBackingAllocator* GetZoneBackingAllocator() override {
    return inner_->GetZoneBackingAllocator();
  }
  void OnCriticalMemoryPressure() override { inner_->OnCriticalMemoryPressure(); }
  bool OnCriticalMemoryPressure(size_t length) override {
    return inner_->OnCriticalMemoryPressure(length);
  }
  int NumberOfWorkerThreads() override { return inner_->NumberOfWorkerThreads(); }
  std::shared_ptr<v8::TaskRunner> GetForegroundTaskRunner(v8::Isolate* iso) override {
    return inner_->GetForegroundTaskRunner(iso);
  }
  void CallOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    inner_->CallOnWorkerThread(std::move(task));
  }
  void CallBlockingTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    inner_->CallBlockingTaskOnWorkerThread(std::move(task));
  }
  void CallLowPriorityTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    inner_->CallLowPriorityTaskOnWorkerThread(std::move(task));
  }
  void CallDelayedOnWorkerThread(std::unique_ptr<v8::Task> task, double delay) override {
    inner_->CallDelayedOnWorkerThread(std::move(task), delay);
  }
  bool IdleTasksEnabled(v8::Isolate* iso) override { return inner_->IdleTasksEnabled(iso); }
  std::unique_ptr<v8::JobHandle> PostJob(v8::TaskPriority priority,
                                         std::unique_ptr<v8::JobTask> job) override {
    return inner_->PostJob(priority, std::move(job));
  }
  double MonotonicallyIncreasingTime() override { return inner_->MonotonicallyIncreasingTime(); }
  double CurrentClockTimeMillis() override { return inner_->CurrentClockTimeMillis(); }
  StackTracePrinter GetStackTracePrinter() override { return inner_->GetStackTracePrinter(); }
  v8::TracingController* GetTracingController() override {
    return inner_->GetTracingController();
  }
  void DumpWithoutCrashing() override { inner_->DumpWithoutCrashing(); }
  v8::HighAllocationThroughputObserver* GetHighAllocationThroughputObserver() override {
    return inner_->GetHighAllocationThroughputObserver();
  }

 private:
  v8::Platform* inner_;
  v8::PageAllocator* pages_;
};

}  // namespace

// The platform lives as long as the process: it is never destroyed, so no
// static destructor tears it down under isolates that other threads are
// still disposing at exit.
void ensure_platform() {
  std::call_once(platform_once, [] {
    // Debian's V8 verifies the startup snapshot's checksum for every new
    // isolate, a tenth of the time an isolate takes to make; the snapshot
    // is part of libnode, which the loader already mapped intact.
    v8::V8::SetFlagsFromString("--no-verify-snapshot-checksum");
    // WebAssembly.compile and .instantiate compile on the calling thread
    // and settle their promise through a promise job, as nothing else would
    // run the task that finishes a background compile before the isolate's
    // next event. The compile then also counts as the isolate's CPU time.
    v8::V8::SetFlagsFromString("--no-wasm-async-compilation");
    // Many isolates, each serving a small share of the requests: most of
    // them run their functions in the interpreter, where V8's defaults cost
    // the most. It gives a function its feedback vector (what its inline
    // caches learn) only after some calls, so a rarely used isolate runs
    // with no inline caches at all, every property access a lookup in the
    // runtime; and every full collection (an idle isolate's, say) flushes
    // the bytecode of functions that did not run meanwhile, so the next
    // event compiles them again, feedback lost. Both are off: feedback from
    // the first call, bytecode kept. Measured with 1,000 Workers under a
    // Zipf load on one core: 35% less CPU per request; one Worker and the
    // memory of an idle isolate unchanged.
    v8::V8::SetFlagsFromString("--no-lazy-feedback-allocation");
    v8::V8::SetFlagsFromString("--no-flush-bytecode");
    // A scavenge (the young generation's collection) runs on the isolate's
    // own thread only. With V8's helper threads it waits for them, and on a
    // busy machine they may not be running: a termination asked for then
    // waits the whole pause, and the helpers' time is charged to no Worker.
    // Sweeping stays concurrent: it does not hold the isolate's thread while
    // it runs (marking does, below). (Collecting on one thread altogether,
    // `--single-threaded-gc`, also changes what a heap's size reads right
    // after a collection, and with it which idle isolates collect.)
    v8::V8::SetFlagsFromString("--no-parallel-scavenge");
    // Marking (of a full collection) is done on the isolate's own thread
    // too, a step at a time as the JavaScript allocates. With V8's
    // concurrent marking, a loaded machine's helper threads mark little
    // before the collection's final pause, which then marks everything in
    // one go on the isolate's thread: 40-75 ms for a 45 MB heap of a
    // million strings, seen here, during which no termination lands (a
    // loop joining those million strings stopped 9-16 ms past its
    // termination, p99; 2.3-6.9 ms with marking in steps). The marking is
    // charged to the Worker whose heap it is, as its scavenges are.
    v8::V8::SetFlagsFromString("--no-concurrent-marking");
    // An operator's own V8 flags (heap and GC tuning, say), after motu's
    // so that they can override them.
    if (const char* flags = std::getenv("MOTU_V8_FLAGS"); flags && *flags)
      v8::V8::SetFlagsFromString(flags);
    the_platform = v8::platform::NewDefaultPlatform().release();
    v8::V8::InitializePlatform(new Platform(the_platform));
    v8::V8::Initialize();
  });
}

void run_tasks(MotuIsolate* m, v8::TryCatch& tc) {
  v8::Isolate* iso = m->isolate;
  for (int i = 0; i < kMaxTasksPerTurn; i++) {
    if (tc.HasCaught() || iso->IsExecutionTerminating() || m->terminated ||
        m->out_of_memory.load() || !m->fatal.empty())
      return;
    if (!v8::platform::PumpMessageLoop(the_platform, iso, v8::platform::MessageLoopBehavior::kDoNotWait))
      return;
    iso->PerformMicrotaskCheckpoint();
  }
}

void forget_isolate(v8::Isolate* iso) {
  if (!the_platform) return;
  // The platform expects the isolate to have a task queue (V8 makes one
  // when it sets up the heap); asking for it makes sure.
  the_platform->GetForegroundTaskRunner(iso);
  v8::platform::NotifyIsolateShutdown(the_platform, iso);
}

void install_failure_handlers(v8::Isolate* iso) {
  iso->SetFatalErrorHandler(on_fatal_error);
  iso->SetOOMErrorHandler(on_out_of_memory);
}

}  // namespace motu
