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
//! `MALLOC_TRIM_THRESHOLD_` or `MALLOC_MMAP_THRESHOLD_` in the environment
//! (glibc's own tunables) leave the respective setting as the user chose.

/// Free memory an arena keeps at its top before giving it back.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: i32 = 32 << 20;

/// Blocks this large or larger get a mapping of their own.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 4 << 20;

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
