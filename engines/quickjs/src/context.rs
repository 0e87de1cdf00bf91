//! The isolate's context: the ECMAScript built-ins, with or without code
//! generation from strings.
//!
//! The context gets the language's intrinsics only; Web APIs (`atob`,
//! `performance`, `DOMException`, …) come from the prelude, the same on every
//! engine. QuickJS's eval intrinsic is the one parser entry point: without
//! it, `eval`, `new Function` and the constructors of async, generator and
//! async generator functions all throw a `TypeError` ("eval is not
//! supported"), however they are reached. The isolate gets it only when its
//! config allows code generation; the engine itself never needs it, since it
//! reads code compiled elsewhere as bytecode (see `compile`).

use rquickjs::context::intrinsic::{
    Date, Eval, Json, MapSet, Promise, Proxy, RegExp, RegExpCompiler, TypedArrays, WeakRef,
};
use rquickjs::{Context, Runtime};

/// The language built-ins besides the base objects rquickjs always adds.
type Language = (
    Date,
    RegExp,
    Json,
    Proxy,
    MapSet,
    TypedArrays,
    Promise,
    WeakRef,
);

/// A context of `runtime`, able to compile strings if `allow_code_generation`.
pub(crate) fn new_context(
    runtime: &Runtime,
    allow_code_generation: bool,
) -> rquickjs::Result<Context> {
    if allow_code_generation {
        Context::custom::<(Language, Eval, RegExpCompiler)>(runtime)
    } else {
        Context::custom::<Language>(runtime)
    }
}
