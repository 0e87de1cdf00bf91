//! The op functions JavaScript calls, and the table of pending async ops.
//!
//! `__motu_op(name, ...args)` converts its arguments and calls
//! `Host::call`; `__motu_op_async(name, ...args)` makes a promise, keeps its
//! resolving functions under a fresh op id and calls `Host::start`. The op
//! name is borrowed from QuickJS's string, not copied.
//!
//! An op called while a termination is under way, or one that returns after
//! a termination was asked for, stops the JavaScript there: it throws
//! QuickJS's uncatchable interrupt, as the interrupt handler would at its
//! next call. So no op reaches the host once the isolate is being stopped,
//! and an op that gave up early for it (see
//! `motu_engine::Interrupt::is_terminating`) is not followed by more
//! JavaScript. It throws it through the vendored QuickJS's
//! `JS_ThrowInterrupted` (see `errors::throw_interrupted`), so the isolate
//! is left exactly as after the handler's stop, whichever of the two a
//! termination happens to reach first: the frees of what the stopped code
//! built are put off until the next call. An op called once memory is
//! exhausted stops the JavaScript the same way (the interrupt handler stops
//! for exhausted memory with the same interrupt, and the isolate reports
//! the call as out of memory from its flag), so such a stop too costs the
//! event nothing for what the stopped code let go of.
//!
//! One op is made here instead of by the host when its input is long:
//! `utf8_encode` of a string of a million units or more, encoded in slices
//! with a termination check between them (see `encode`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;
use std::sync::Arc;

use motu_engine::{contract, Host, HostValue, JsError, OpId};
use rquickjs::function::Rest;
use rquickjs::{Ctx, Function, Persistent, Promise, Value};

use crate::convert::{to_host, to_js};
use crate::encode;
use crate::errors::{make, throw, throw_interrupted};
use crate::interrupt::TerminateFlag;
use crate::memory::MemoryState;
use crate::strings::with_str;

/// The resolve and reject functions of a pending async op's promise.
pub(crate) struct Resolvers {
    pub(crate) resolve: Persistent<Function<'static>>,
    pub(crate) reject: Persistent<Function<'static>>,
}

/// What the op functions share with the isolate.
pub(crate) struct OpState {
    host: Rc<dyn Host>,
    /// Once memory is exhausted, no op reaches the host.
    memory: Rc<MemoryState>,
    /// While it is up, no op reaches the host either.
    terminate: Arc<TerminateFlag>,
    /// Set when an op stopped the JavaScript for a termination, as the
    /// interrupt handler sets it.
    interrupted: Rc<Cell<bool>>,
    /// The resolving functions of each pending async op.
    pub(crate) pending: RefCell<HashMap<OpId, Resolvers, BuildHasherDefault<IdHasher>>>,
    next_id: Cell<OpId>,
}

impl OpState {
    pub(crate) fn new(
        host: Rc<dyn Host>,
        memory: Rc<MemoryState>,
        terminate: Arc<TerminateFlag>,
        interrupted: Rc<Cell<bool>>,
    ) -> Self {
        Self {
            host,
            memory,
            terminate,
            interrupted,
            pending: RefCell::default(),
            next_id: Cell::new(1),
        }
    }
}

/// Hashes op ids, which count up from 1, by one multiplication.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Stops the JavaScript if a termination was asked for: takes the flag
/// down and throws the uncatchable interrupt.
fn poll_termination(state: &OpState, ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    if state.terminate.take() {
        state.interrupted.set(true);
        return Err(throw_interrupted(ctx));
    }
    Ok(())
}

/// Stops the JavaScript because memory is exhausted, as the interrupt
/// handler does: with the uncatchable interrupt, its frees put off; the
/// isolate tells this stop from a termination by the memory flag.
fn stop_out_of_memory(ctx: &Ctx<'_>) -> rquickjs::Error {
    throw_interrupted(ctx)
}

/// Splits `(name, ...args)`: converts the arguments and calls `f` with the
/// name borrowed, unless memory is exhausted or a termination is under way
/// (before the call or once it returns).
fn with_op<'js, R>(
    state: &OpState,
    ctx: &Ctx<'js>,
    args: Rest<Value<'js>>,
    f: impl FnOnce(&str, Vec<HostValue>) -> R,
) -> rquickjs::Result<R> {
    if state.memory.exhausted() {
        return Err(stop_out_of_memory(ctx));
    }
    poll_termination(state, ctx)?;
    let mut args = args.0.into_iter();
    let name = match args.next() {
        Some(name) if name.is_string() => name,
        _ => return Err(throw(ctx, &JsError::type_error("an op needs a name"))),
    };
    let values = args
        .map(|v| to_host(ctx, &v))
        .collect::<rquickjs::Result<Vec<_>>>()?;
    let result = with_str(ctx, &name, |name| f(name, values))?;
    poll_termination(state, ctx)?;
    Ok(result)
}

/// `utf8_encode` of a string of [`encode::SLICED_MIN`] units or more, in
/// slices a termination stops (see `encode`); `None` for any other call.
fn long_utf8_encode<'js>(
    state: &OpState,
    ctx: &Ctx<'js>,
    args: &[Value<'js>],
) -> rquickjs::Result<Option<Value<'js>>> {
    let [name, text] = args else {
        return Ok(None);
    };
    if !name.is_string()
        || encode::string_len(text).is_none_or(|n| n < encode::SLICED_MIN)
        || !with_str(ctx, name, |name| name == "utf8_encode")?
    {
        return Ok(None);
    }
    if state.memory.exhausted() {
        return Err(stop_out_of_memory(ctx));
    }
    poll_termination(state, ctx)?;
    let stop = || state.terminate.is_raised();
    match encode::encode(ctx, text, &state.memory, stop)? {
        Ok(bytes) => to_js(ctx, HostValue::Bytes(bytes)).map(Some),
        Err(encode::Stopped::Terminated) => {
            state.terminate.take();
            state.interrupted.set(true);
            Err(throw_interrupted(ctx))
        }
        Err(encode::Stopped::OutOfMemory) if state.memory.exhausted() => {
            Err(stop_out_of_memory(ctx))
        }
        Err(encode::Stopped::OutOfMemory) => Err(throw(
            ctx,
            &JsError::range_error("Array buffer allocation failed"),
        )),
    }
}

fn op_sync<'js>(
    state: &OpState,
    ctx: Ctx<'js>,
    args: Rest<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    if let Some(bytes) = long_utf8_encode(state, &ctx, &args.0)? {
        return Ok(bytes);
    }
    match with_op(state, &ctx, args, |name, values| {
        state.host.call(name, values)
    })? {
        Ok(v) => to_js(&ctx, v),
        Err(e) => Err(throw(&ctx, &e)),
    }
}

fn op_async<'js>(
    state: &OpState,
    ctx: Ctx<'js>,
    args: Rest<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let (promise, resolve, reject) = Promise::new(&ctx)?;
    let id = state.next_id.get();
    state.next_id.set(id + 1);
    match with_op(state, &ctx, args, |name, values| {
        state.host.start(name, values, id)
    })? {
        Ok(()) => {
            let resolvers = Resolvers {
                resolve: Persistent::save(&ctx, resolve),
                reject: Persistent::save(&ctx, reject),
            };
            state.pending.borrow_mut().insert(id, resolvers);
        }
        Err(e) => reject.call::<_, ()>((make(&ctx, &e)?,))?,
    }
    Ok(promise.into_value())
}

/// Installs the op functions as globals (see `motu_engine::contract`).
pub(crate) fn install<'js>(ctx: &Ctx<'js>, state: &Rc<OpState>) -> rquickjs::Result<()> {
    let s = state.clone();
    let sync = Function::new(ctx.clone(), move |ctx: Ctx<'js>, args: Rest<Value<'js>>| {
        op_sync(&s, ctx, args)
    })?;
    let s = state.clone();
    let async_ = Function::new(ctx.clone(), move |ctx: Ctx<'js>, args: Rest<Value<'js>>| {
        op_async(&s, ctx, args)
    })?;
    ctx.globals().set(contract::OP_SYNC, sync)?;
    ctx.globals().set(contract::OP_ASYNC, async_)?;
    Ok(())
}
