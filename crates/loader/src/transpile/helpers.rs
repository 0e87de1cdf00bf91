//! The functions compiled legacy decorators call.
//!
//! The transformer compiles `@dec class C {}` to
//! `C = babelHelpers.decorate([dec], C)`, and members and parameters alike
//! (`decorateParam`, and `decorateMetadata` with `emitDecoratorMetadata`).
//! A module that calls them gets this object on its first line, so that no
//! line of the module moves and it imports nothing.
//!
//! The same object has `usingCtx()`, which the lowering of `using` and
//! `await using` declarations calls (see `using_helper!`).
//!
//! Their behaviour is TypeScript's for `experimentalDecorators`: decorators
//! apply last to first; a class decorator may return a replacement class; a
//! member decorator gets `(target, key, descriptor)` and may return a new
//! descriptor, which is then defined; a property decorator gets
//! `(target, key)`; metadata goes through `Reflect.metadata` when a
//! library (such as `reflect-metadata`) has installed it.

// `usingCtx()`: the resources of one block of `using` declarations. The
// lowered block adds each declared value with `u(value)` (`using`) or
// `a(value)` (`await using`), stores what the block threw in `e`, and
// calls `d()` when it ends: the resources are disposed of last to first
// (`[Symbol.asyncDispose]`, else `[Symbol.dispose]`, for `await using`);
// an error of a disposal is thrown in the end, wrapped with the earlier
// one in a `SuppressedError`; `d()` returns a promise once an `await
// using` resource is reached, and nothing before.
macro_rules! using_helper {
    () => {
        concat!(
            "usingCtx() {",
            "const empty = {}, stack = [];",
            "const dispose = Symbol.dispose || Symbol.for('Symbol.dispose'), asyncDispose = Symbol.asyncDispose || Symbol.for('Symbol.asyncDispose');",
            "const Suppressed = typeof SuppressedError === 'function' ? SuppressedError : function (error, suppressed) {",
            "const e = Error('An error was suppressed during disposal'); e.name = 'SuppressedError'; e.error = error; e.suppressed = suppressed; return e; };",
            "const add = (value, isAwait) => {",
            "if (value === null || value === undefined) { if (isAwait) stack.push({ v: value, d: undefined, a: true }); return value; }",
            "if (typeof value !== 'object' && typeof value !== 'function') throw new TypeError('using declarations can only be used with objects, functions, null, or undefined');",
            "let d = isAwait ? value[asyncDispose] : undefined;",
            "if (d === undefined) d = value[dispose];",
            "if (typeof d !== 'function') throw new TypeError('The value of a using declaration is not disposable');",
            "stack.push({ v: value, d, a: isAwait }); return value; };",
            "return { e: empty, u(value) { return add(value, false); }, a(value) { return add(value, true); },",
            "d() {",
            "let error = this.e;",
            "const record = e => { error = error !== empty ? new Suppressed(e, error) : e; };",
            "const next = () => {",
            "while (stack.length > 0) {",
            "const r = stack.pop();",
            "try {",
            "const result = r.d === undefined ? undefined : r.d.call(r.v);",
            "if (r.a) return Promise.resolve(result).then(next, e => { record(e); return next(); });",
            "} catch (e) { record(e); }",
            "}",
            "if (error !== empty) throw error;",
            "};",
            "return next();",
            "} };",
            "},",
        )
    };
}

/// The helper object, as one line of JavaScript without a line break.
pub(crate) const DECORATOR_HELPERS: &str = concat!(
    "var babelHelpers = {",
    "decorate(decorators, target, key, desc) {",
    "const member = arguments.length > 2, described = arguments.length > 3;",
    "let result = !member ? target : desc === null ? (desc = Object.getOwnPropertyDescriptor(target, key)) : desc;",
    "for (let i = decorators.length - 1; i >= 0; i--) {",
    "const decorator = decorators[i];",
    "if (!decorator) continue;",
    "const out = !member ? decorator(result) : described ? decorator(target, key, result) : decorator(target, key);",
    "if (out) result = out;",
    "}",
    "if (described && result) Object.defineProperty(target, key, result);",
    "return result;",
    "},",
    "decorateParam(index, decorator) { return (target, key) => { decorator(target, key, index); }; },",
    "decorateMetadata(key, value) {",
    "if (typeof Reflect === 'object' && typeof Reflect.metadata === 'function') return Reflect.metadata(key, value);",
    "},",
    using_helper!(),
    "};",
);
