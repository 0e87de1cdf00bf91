//! The functions compiled legacy decorators call.
//!
//! The transformer compiles `@dec class C {}` to
//! `C = babelHelpers.decorate([dec], C)`, and members and parameters alike
//! (`decorateParam`, and `decorateMetadata` with `emitDecoratorMetadata`).
//! A module that calls them gets this object on its first line, so that no
//! line of the module moves and it imports nothing.
//!
//! Their behaviour is TypeScript's for `experimentalDecorators`: decorators
//! apply last to first; a class decorator may return a replacement class; a
//! member decorator gets `(target, key, descriptor)` and may return a new
//! descriptor, which is then defined; a property decorator gets
//! `(target, key)`; metadata goes through `Reflect.metadata` when a
//! library (such as `reflect-metadata`) has installed it.

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
    "};",
);
