//! Host work: ops whose Rust work may take long (Web Crypto, compression,
//! multipart and form parsing), split from the thread that asked for them.
//!
//! # Concepts
//!
//! - **Work** ([`Work`]): what [`work`] makes of a work op's name and
//!   arguments, on the isolate's thread: a `Send` closure that owns
//!   everything it needs, so it can run on any thread; how many bytes of
//!   input it holds; and whether it is **quick** (well under a millisecond:
//!   small inputs, cheap algorithms), so that running it at once, where it
//!   was asked for, costs less than handing it to another thread.
//! - **Cancellation** ([`Cancel`]): the owner of the work (the runtime) sets
//!   the flag once the work is no longer wanted, typically because the event
//!   that asked for it used up its CPU time. Work that can run long checks it
//!   as it goes (between chunks of a hash, every few PBKDF2 iterations, at
//!   every prime candidate of an RSA key) and stops; what it returns then is
//!   thrown away.
//!
//! From JavaScript, the prelude's `hostWork(name, …args)` calls the
//! synchronous op `work(name, …args)`. The host answers `[0, result]` when it
//! ran the work at once, `[ticket]` when it runs elsewhere (the prelude then
//! waits for the async op `work_wait(ticket)`), or `[-1, bytes]` when too
//! much input already waits for the host (the prelude waits for
//! `work_room(bytes)` and asks again). Before it hands over a large input,
//! the prelude asks `work_has_room(bytes)`, so that an input the host cannot
//! take yet is not copied for nothing. [`call`](crate::call) runs every work
//! op at once; a runtime that has somewhere else to run work (motu's has a
//! blocking pool) intercepts `work` before it.

use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use motu_engine::{HostValue, InterruptHandle, JsError};
use rand_core::{CryptoRng, OsRng, RngCore};

use crate::op_state::OpState;
use crate::{compression, crypto, form, multipart, node_crypto, node_zlib};

/// Inputs up to this size count as small for the ops whose cost grows with
/// their input (hashing, symmetric ciphers, compression, parsing): about a
/// tenth of a millisecond of work in an optimised build.
pub const QUICK_BYTES: usize = 64 * 1024;

/// Whether work should stop: set by its owner, checked by the work.
///
/// Clones share the flag. A flag made for synchronous work
/// ([`Cancel::following`]) also reads as set once its isolate is being
/// terminated.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
    interrupt: Option<InterruptHandle>,
}

impl Cancel {
    /// A flag that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A flag that reads as set once `interrupt` is terminating: for work
    /// that a synchronous op runs inside the turn that asked for it (Node's
    /// `pbkdf2Sync`), which stops with the turn.
    pub fn following(interrupt: Option<InterruptHandle>) -> Self {
        Self {
            flag: Arc::default(),
            interrupt,
        }
    }

    /// Asks the work to stop.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Clears the flag, for an owner that reuses it for the next piece of
    /// work (a runtime may keep one per isolate for the work it runs at
    /// once, and clear it when a turn of JavaScript starts).
    pub fn clear(&self) {
        self.flag.store(false, Ordering::Relaxed);
    }

    /// Whether the work was asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
            || self
                .interrupt
                .as_ref()
                .is_some_and(InterruptHandle::is_terminating)
    }

    /// `Err` once the work was asked to stop: for `?` in the loops of long
    /// work.
    pub(crate) fn check(&self) -> Result<(), JsError> {
        if self.is_cancelled() {
            Err(cancelled())
        } else {
            Ok(())
        }
    }

    /// Randomness from the operating system that stops the work once it is
    /// cancelled: for work whose loops are inside another crate and draw
    /// randomness as they go (an RSA key's prime search draws every
    /// candidate).
    pub(crate) fn rng(&self) -> CancellingRng<'_> {
        CancellingRng(self)
    }
}

/// The error of work that was cancelled (nobody sees it: the owner throws
/// the result away).
fn cancelled() -> JsError {
    JsError::new("AbortError", "the work was cancelled")
}

/// The unwinding payload that [`CancellingRng`] stops work with; [`Work::run`]
/// catches it.
struct Cancelled;

/// [`OsRng`] that unwinds out of the work once its [`Cancel`] is set (the
/// `rand_core` interface has no way to fail but `try_fill_bytes`, which
/// other crates' loops do not call). The unwinding skips the panic hook and
/// stops at [`Work::run`].
pub(crate) struct CancellingRng<'a>(&'a Cancel);

impl CancellingRng<'_> {
    fn stop_if_cancelled(&self) {
        if self.0.is_cancelled() {
            resume_unwind(Box::new(Cancelled));
        }
    }
}

impl RngCore for CancellingRng<'_> {
    fn next_u32(&mut self) -> u32 {
        self.stop_if_cancelled();
        OsRng.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.stop_if_cancelled();
        OsRng.next_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.stop_if_cancelled();
        OsRng.fill_bytes(dest)
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.stop_if_cancelled();
        OsRng.try_fill_bytes(dest)
    }
}

impl CryptoRng for CancellingRng<'_> {}

type Job = Box<dyn FnOnce(&Cancel) -> Result<HostValue, JsError> + Send>;

/// The work of one op call, ready to run on any thread.
pub struct Work {
    job: Job,
    input_bytes: usize,
    quick: bool,
    waits: bool,
}

impl std::fmt::Debug for Work {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Work")
            .field("input_bytes", &self.input_bytes)
            .field("quick", &self.quick)
            .field("waits", &self.waits)
            .finish_non_exhaustive()
    }
}

impl Work {
    /// Work that runs `job` over `args` (which it owns); quick when
    /// `quick` says so.
    pub(crate) fn new(
        args: Vec<HostValue>,
        quick: bool,
        job: impl FnOnce(&[HostValue], &Cancel) -> Result<HostValue, JsError> + Send + 'static,
    ) -> Self {
        let input_bytes = args.iter().map(value_bytes).sum();
        Self::from_fn(input_bytes, quick, move |cancel| job(&args, cancel))
    }

    /// Work that runs `job`, which holds `input_bytes` bytes of input: for
    /// host work made outside this crate (a runtime's own bindings).
    pub fn from_fn(
        input_bytes: usize,
        quick: bool,
        job: impl FnOnce(&Cancel) -> Result<HostValue, JsError> + Send + 'static,
    ) -> Self {
        Self {
            job: Box::new(job),
            input_bytes,
            quick,
            waits: false,
        }
    }

    /// The same work, marked as work that spends most of its time waiting
    /// (on a disk's flush, a database's lock, the network) rather than
    /// computing: a runtime may run it where waiting does not hold up
    /// work that computes.
    pub fn waiting(mut self) -> Self {
        self.waits = true;
        self
    }

    /// Whether the work was marked as [`waiting`](Self::waiting).
    pub fn is_waiting(&self) -> bool {
        self.waits
    }

    /// Bytes of input the work holds until it has run.
    pub fn input_bytes(&self) -> usize {
        self.input_bytes
    }

    /// Whether the work is small enough to run at once on the thread that
    /// asked for it.
    pub fn is_quick(&self) -> bool {
        self.quick
    }

    /// Runs the work; once `cancel` is set, work that checks it stops with an
    /// error. A panic inside the work (a bug) becomes an `OperationError`
    /// rather than unwinding into the caller, which may be an engine's frames.
    pub fn run(self, cancel: &Cancel) -> Result<HostValue, JsError> {
        let job = self.job;
        match catch_unwind(AssertUnwindSafe(|| job(cancel))) {
            Ok(result) => result,
            Err(payload) if payload.is::<Cancelled>() => Err(cancelled()),
            Err(payload) => {
                let message = panic_message(&*payload);
                tracing::error!("host work panicked: {message}");
                Err(JsError::new(
                    "OperationError",
                    format!("the operation failed unexpectedly: {message}"),
                ))
            }
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic".to_owned()
    }
}

/// The bytes a value holds (strings and byte arrays, nested ones included).
fn value_bytes(value: &HostValue) -> usize {
    match value {
        HostValue::String(s) => s.len(),
        HostValue::Bytes(b) => b.len(),
        HostValue::Chunks(c) => c.iter().map(|c| c.len()).sum(),
        HostValue::List(items) => items.iter().map(value_bytes).sum(),
        HostValue::Map(entries) => entries.iter().map(|(k, v)| k.len() + value_bytes(v)).sum(),
        HostValue::Undefined | HostValue::Null | HostValue::Bool(_) | HostValue::Number(_) => 0,
    }
}

/// The work of the work op `op` with `args`, or `None` when there is no work
/// op of that name. Arguments that are wrong in a way seen at once are an
/// error here; the rest are the work's error.
pub fn work(state: &OpState, op: &str, args: Vec<HostValue>) -> Option<Result<Work, JsError>> {
    Some(match op {
        "compression_push" => compression::push_work(state, args),
        "compression_finish" => compression::finish_work(state, args),
        "multipart_parse" => Ok(multipart::parse_work(args)),
        "form_parse" => Ok(form::parse_work(args)),
        _ if op.starts_with("node_zlib_") => return node_zlib::work(state, op, args),
        _ if op.starts_with("node_") => return node_crypto::work(op, args).map(Ok),
        _ => return crypto::work(op, args).map(Ok),
    })
}

/// Runs the work op `op` at once, as `work` answers it: `[0, result]`.
pub(crate) fn call_at_once(state: &OpState, args: Vec<HostValue>) -> Result<HostValue, JsError> {
    let mut args = args.into_iter();
    let op = match args.next() {
        Some(HostValue::String(op)) => op,
        _ => return Err(JsError::type_error("work: argument 0 must be an op name")),
    };
    let work = work(state, &op, args.collect())
        .unwrap_or_else(|| Err(JsError::type_error(format!("unknown work op '{op}'"))))?;
    let value = work.run(&Cancel::new())?;
    Ok(HostValue::List(vec![HostValue::Number(0.0), value]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancelled_rng_unwinds_to_run_only() {
        let work = Work::new(vec![], false, |_, cancel| {
            let mut rng = cancel.rng();
            let mut byte = [0u8; 1];
            rng.fill_bytes(&mut byte);
            cancel.cancel();
            rng.fill_bytes(&mut byte);
            unreachable!("the cancelled rng does not return");
        });
        assert_eq!(work.run(&Cancel::new()).unwrap_err().name, "AbortError");
    }

    #[test]
    fn a_panic_is_an_operation_error() {
        let work = Work::new(vec![vec![1, 2, 3].into(), "ab".into()], true, |_, _| {
            panic!("boom")
        });
        assert_eq!(work.input_bytes(), 5);
        assert!(work.is_quick());
        let err = work.run(&Cancel::new()).unwrap_err();
        assert_eq!(err.name, "OperationError");
        assert!(err.message.contains("boom"), "{err}");
    }

    #[test]
    fn clones_share_the_flag() {
        let a = Cancel::new();
        let b = a.clone();
        assert!(b.check().is_ok());
        a.cancel();
        assert!(b.is_cancelled());
        assert_eq!(b.check().unwrap_err().name, "AbortError");
        b.clear();
        assert!(!a.is_cancelled());
    }
}
