//! Fault injection for tests: a database's fsync made to fail on purpose.
//!
//! What a failed fsync does to the stores (their writes failed for good,
//! a Durable Object reset) cannot be tested on a healthy disk, so a test
//! build can ask for one. The hook is compiled only with the crate's
//! `fault-injection` feature (the `motu` package's feature of the same
//! name turns it on), which is off by default and which no release build
//! (the Dockerfile's, `cargo build --release`) enables: without it,
//! [`fsync_fault`] is a constant `None` and the environment is never read.
//!
//! With the feature, a flush of the database `<folder>/<stem>.sqlite`
//! ([`crate::durable::Flusher::flush`]) fails with `EIO`, before any
//! fsync, while the folder named by the environment variable
//! `MOTU_TEST_FAIL_FSYNC` holds a file named `<stem>` — for a Durable
//! Object, its id. A test sets the variable when it starts the server,
//! then creates and removes the file to start and end the fault. (The
//! alarm index, `alarms.sqlite`, is never flushed for an object's writes:
//! a fault named `alarms` shows that nothing waits for it.)

use std::path::Path;

/// The environment variable naming the folder of fault files.
#[cfg(feature = "fault-injection")]
pub const FAIL_FSYNC_VAR: &str = "MOTU_TEST_FAIL_FSYNC";

/// The error a flush of `database` must fail with now, if a test asked
/// for one (see the module docs).
#[cfg(feature = "fault-injection")]
pub(crate) fn fsync_fault(database: &Path) -> Option<std::io::Error> {
    let folder = std::env::var_os(FAIL_FSYNC_VAR)?;
    let stem = database.file_stem()?;
    Path::new(&folder).join(stem).exists().then(|| {
        std::io::Error::other(format!(
            "fsync failed (injected by {FAIL_FSYNC_VAR}): {}",
            std::io::Error::from_raw_os_error(libc::EIO)
        ))
    })
}

/// Without the `fault-injection` feature no fault is ever injected.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn fsync_fault(_database: &Path) -> Option<std::io::Error> {
    None
}
