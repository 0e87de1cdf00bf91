//! Per-isolate op state: resources kept across op calls (streaming text
//! decoders, compressors) by numeric handle, the isolate's clock origin, and
//! its interrupt handle, which ops that can run long on a large input ask
//! as they go (see [`OpState::check_interrupt`]).
//!
//! The runtime keeps one [`OpState`] per isolate and passes it to
//! [`call`](crate::call); everything in it is dropped with the isolate.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use motu_engine::{HostValue, InterruptHandle, JsError};

use crate::work::Cancel;

/// The granularity of `performance.now()`, in milliseconds: coarse enough
/// that timing side channels gain little.
const CLOCK_GRANULARITY_MS: f64 = 0.1;

/// Most resources one isolate may hold at once; past it, creating one more is
/// a `RangeError` (a Worker that forgets to close its streams cannot grow the
/// table without bound).
pub const MAX_RESOURCES: usize = 10_000;

/// The state the pure ops of one isolate share.
pub struct OpState {
    resources: RefCell<HashMap<u32, Box<dyn Any>>>,
    next_handle: Cell<u32>,
    start: Instant,
    time_origin_ms: f64,
    interrupt: RefCell<Option<InterruptHandle>>,
}

impl Default for OpState {
    fn default() -> Self {
        Self::new()
    }
}

impl OpState {
    /// Fresh state; the isolate's clock starts now.
    pub fn new() -> Self {
        let time_origin_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0);
        Self {
            resources: RefCell::new(HashMap::new()),
            next_handle: Cell::new(1),
            start: Instant::now(),
            time_origin_ms,
            interrupt: RefCell::new(None),
        }
    }

    /// Lets ops see when the isolate is being terminated (default: they
    /// never do).
    pub fn set_interrupt(&self, interrupt: InterruptHandle) {
        *self.interrupt.borrow_mut() = Some(interrupt);
    }

    /// An error once the isolate is being terminated (see
    /// `motu_engine::Interrupt::is_terminating`). An op that can run long
    /// calls this between slices of its work (each well under a
    /// millisecond) and gives up on the error; the engine then stops the
    /// JavaScript, which never sees it.
    pub fn check_interrupt(&self) -> Result<(), JsError> {
        match &*self.interrupt.borrow() {
            Some(i) if i.is_terminating() => Err(JsError::new(
                "Error",
                "the operation was stopped: the Worker is being terminated",
            )),
            _ => Ok(()),
        }
    }

    /// A cancel flag for work that a synchronous op runs at once: it reads
    /// as set once the isolate is being terminated (see
    /// [`Cancel::following`]).
    pub fn cancel(&self) -> Cancel {
        Cancel::following(self.interrupt.borrow().clone())
    }

    /// Milliseconds since the state was made, from a monotonic clock.
    pub fn elapsed_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1000.0
    }

    /// `performance.now()`: [`elapsed_ms`](Self::elapsed_ms) rounded down
    /// to [`CLOCK_GRANULARITY_MS`], coarse enough that timing side channels
    /// gain little.
    pub fn perf_now_ms(&self) -> f64 {
        (self.elapsed_ms() / CLOCK_GRANULARITY_MS).floor() * CLOCK_GRANULARITY_MS
    }

    /// The wall-clock time (ms since the Unix epoch) the state was made at.
    pub fn time_origin_ms(&self) -> f64 {
        self.time_origin_ms
    }

    /// Stores a resource and returns its handle.
    pub fn add<T: Any>(&self, resource: T) -> Result<u32, JsError> {
        let mut resources = self.resources.borrow_mut();
        if resources.len() >= MAX_RESOURCES {
            return Err(JsError::range_error(
                "too many open streaming decoders or compressors",
            ));
        }
        let handle = self.next_handle.get();
        self.next_handle.set(handle.wrapping_add(1).max(1));
        resources.insert(handle, Box::new(resource));
        Ok(handle)
    }

    /// Runs `f` on the resource of type `T` under `handle`.
    pub fn with<T: Any, R>(
        &self,
        handle: u32,
        f: impl FnOnce(&mut T) -> Result<R, JsError>,
    ) -> Result<R, JsError> {
        let mut resources = self.resources.borrow_mut();
        let resource = resources
            .get_mut(&handle)
            .and_then(|r| r.downcast_mut::<T>())
            .ok_or_else(|| JsError::type_error("the stream was already closed"))?;
        f(resource)
    }

    /// Drops the resource under `handle`; returns whether there was one.
    pub fn remove(&self, handle: u32) -> bool {
        self.resources.borrow_mut().remove(&handle).is_some()
    }

    /// How many resources are open.
    pub fn len(&self) -> usize {
        self.resources.borrow().len()
    }

    /// Whether no resource is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The handle argument at `i`, or a `TypeError` naming the op.
pub(crate) fn handle_arg(args: &[HostValue], i: usize, op: &str) -> Result<u32, JsError> {
    match args.get(i).and_then(HostValue::as_f64) {
        Some(n) if n >= 1.0 && n <= f64::from(u32::MAX) && n.fract() == 0.0 => Ok(n as u32),
        _ => Err(JsError::type_error(format!(
            "{op}: argument {i} must be a resource handle"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_by_handle() {
        let state = OpState::new();
        let a = state.add(String::from("a")).unwrap();
        let b = state.add(5u8).unwrap();
        assert_ne!(a, b);
        state
            .with(a, |s: &mut String| {
                s.push('!');
                Ok(())
            })
            .unwrap();
        assert_eq!(state.with(a, |s: &mut String| Ok(s.clone())).unwrap(), "a!");
        // Wrong type and unknown handles are TypeErrors.
        assert_eq!(
            state.with(b, |_: &mut String| Ok(())).unwrap_err().name,
            "TypeError"
        );
        assert!(state.remove(a));
        assert!(!state.remove(a));
        assert_eq!(
            state.with(a, |_: &mut String| Ok(())).unwrap_err().name,
            "TypeError"
        );
        assert_eq!(state.len(), 1);
    }

    #[test]
    fn clock_is_monotonic() {
        let state = OpState::new();
        let t1 = state.elapsed_ms();
        let t2 = state.elapsed_ms();
        assert!(t2 >= t1 && t1 >= 0.0);
        assert!(state.time_origin_ms() > 1.0e12);
    }
}
