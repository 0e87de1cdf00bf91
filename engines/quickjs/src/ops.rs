//! The op functions JavaScript calls, and the table of pending async ops.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use motu_engine::{contract, Host, HostValue, OpId};
use rquickjs::function::Rest;
use rquickjs::{Ctx, Function, Persistent, Promise, Value};

use crate::convert::{to_host, to_js};
use crate::errors::{make, throw};

/// The resolve and reject functions of a pending async op's promise.
pub(crate) type Resolvers = (Persistent<Function<'static>>, Persistent<Function<'static>>);

/// What the op functions share with the isolate.
pub(crate) struct OpState {
    pub(crate) host: Rc<dyn Host>,
    /// The resolve and reject functions of each pending async op.
    pub(crate) pending: RefCell<HashMap<OpId, Resolvers>>,
    next_id: Cell<OpId>,
}

impl OpState {
    pub(crate) fn new(host: Rc<dyn Host>) -> Self {
        Self {
            host,
            pending: RefCell::new(HashMap::new()),
            next_id: Cell::new(1),
        }
    }
}

/// Splits `(name, ...args)` into the op name and host values.
fn op_args<'js>(
    ctx: &Ctx<'js>,
    args: Rest<Value<'js>>,
) -> rquickjs::Result<(String, Vec<HostValue>)> {
    let mut it = args.0.into_iter();
    let name = it
        .next()
        .and_then(|v| v.as_string().map(|s| s.to_string()))
        .transpose()?
        .ok_or_else(|| throw(ctx, &motu_engine::JsError::type_error("an op needs a name")))?;
    let values = it
        .map(|v| to_host(ctx, &v))
        .collect::<rquickjs::Result<Vec<_>>>()?;
    Ok((name, values))
}

fn op_sync<'js>(
    state: &OpState,
    ctx: Ctx<'js>,
    args: Rest<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let (name, values) = op_args(&ctx, args)?;
    match state.host.call(&name, values) {
        Ok(v) => to_js(&ctx, v),
        Err(e) => Err(throw(&ctx, &e)),
    }
}

fn op_async<'js>(
    state: &OpState,
    ctx: Ctx<'js>,
    args: Rest<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let (name, values) = op_args(&ctx, args)?;
    let (promise, resolve, reject) = Promise::new(&ctx)?;
    let id = state.next_id.get();
    state.next_id.set(id + 1);
    if let Err(e) = state.host.start(&name, values, id) {
        reject.call::<_, ()>((make(&ctx, &e)?,))?;
    } else {
        state.pending.borrow_mut().insert(
            id,
            (
                Persistent::save(&ctx, resolve),
                Persistent::save(&ctx, reject),
            ),
        );
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
