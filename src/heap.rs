//! The process's C heap (glibc malloc) tuned for serving.
//!
//! Request and response bodies of tens of KiB come and go with every
//! request: the engine copies a body's bytes into an ArrayBuffer of its
//! own, and the response's bytes are copied out. With glibc's defaults each
//! freed block at the top of an arena that leaves more than 128 KiB free
//! there is handed back to the kernel, and the next request's allocation of
//! the same size faults its pages in again (2 to 4 minor page faults per
//! request on the 64 KiB echo benchmark on V8, about 0.6 on QuickJS; none
//! with these settings). Raising the trim threshold keeps up to that much
//! free memory per arena for the next request; raising the mmap threshold
//! keeps blocks up to 4 MiB in the arenas instead of mapping and unmapping
//! each.
//!
//! What a large body leaves behind is another matter: a 200 MB upload
//! read in pieces frees hundreds of MiB of blocks spread over the arenas,
//! where the trim threshold only ever gives back what sits at an arena's
//! top. The same goes for an isolate that stops (evicted, or a Durable
//! Object's isolate leaving memory while the gateway keeps its hibernated
//! WebSockets): its heap's blocks lie between the blocks that stay. So a
//! thread watches the body bytes passing through the gateway
//! ([`motu_gateway::body_bytes`]) and the memory isolates gave back
//! ([`motu_runtime::metrics::released_bytes`]); once [`TRIM_AFTER`] of
//! them together have passed since the last trim and neither has moved
//! for [`TRIM_QUIET`] (the isolates have collected the bodies' buffers by
//! then), it calls `malloc_trim(0)`, which hands every free page of every
//! arena back to the kernel, and counts it (`motu_heap_trims_total`). The
//! steady traffic of small bodies keeps its warm arenas in between.
//!
//! `MALLOC_TRIM_THRESHOLD_` or `MALLOC_MMAP_THRESHOLD_` in the environment
//! (glibc's own tunables) leave the respective setting as the user chose;
//! with `MALLOC_TRIM_THRESHOLD_` set, the heap is never trimmed by motu
//! either.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
use std::time::{Duration, Instant};

/// Free memory an arena keeps at its top before giving it back.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: i32 = 32 << 20;

/// Blocks this large or larger get a mapping of their own.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 4 << 20;

/// Body bytes and released isolate memory after which the heap is trimmed
/// once they stop coming.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_AFTER: u64 = 4 << 20;

/// How long no body byte may have passed (and no isolate given memory
/// back) before the heap is trimmed: more than the second after which an
/// idle isolate collects its garbage.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_QUIET: Duration = Duration::from_secs(2);

/// How often the trimming thread looks at the body bytes.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const LOOK_EVERY: Duration = Duration::from_millis(500);

/// Applies the settings; call before the process starts threads.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let unset = |name: &str| std::env::var_os(name).is_none();
        if unset("MALLOC_TRIM_THRESHOLD_") {
            // SAFETY: mallopt only sets allocator parameters; no thread
            // allocates concurrently this early.
            unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD) };
        }
        if unset("MALLOC_MMAP_THRESHOLD_") {
            // SAFETY: as above.
            unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) };
        }
    }
}

/// What the trimming thread watches: body bytes and released isolate
/// memory, together.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn churn() -> u64 {
    motu_gateway::body_bytes() + motu_runtime::metrics::released_bytes()
}

/// Starts the thread that trims the heap after large bodies and stopped
/// isolates (see the module docs), unless `MALLOC_TRIM_THRESHOLD_` is set.
pub fn trim_after_bursts() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        if std::env::var_os("MALLOC_TRIM_THRESHOLD_").is_some() {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("motu-heap-trim".into())
            .spawn(|| {
                let mut trimmed_at = churn();
                let mut seen = trimmed_at;
                let mut changed = Instant::now();
                loop {
                    std::thread::sleep(LOOK_EVERY);
                    let now = churn();
                    if now != seen {
                        seen = now;
                        changed = Instant::now();
                    } else if now - trimmed_at >= TRIM_AFTER && changed.elapsed() >= TRIM_QUIET {
                        // SAFETY: malloc_trim only returns free memory to
                        // the kernel; it is safe to call from any thread.
                        unsafe { libc::malloc_trim(0) };
                        motu_runtime::metrics::heap_trimmed();
                        trimmed_at = now;
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("the heap-trimming thread could not start: {e}");
        }
    }
}
