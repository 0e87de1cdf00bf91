//! Refusing code generation from strings.

/// Replaces `eval` and every function constructor with functions that throw
/// an `EvalError`. The replacements keep the prototypes, so `instanceof
/// Function` and friends still work; the originals become unreachable.
pub(crate) const LOCKDOWN: &str = r#"(() => {
  const refuse = () => {
    throw new EvalError('Code generation from strings is disallowed for this Worker');
  };
  const protos = [
    Function.prototype,
    Object.getPrototypeOf(async function () {}),
    Object.getPrototypeOf(function* () {}),
    Object.getPrototypeOf(async function* () {}),
  ];
  for (const proto of protos) {
    const original = proto.constructor;
    const guard = function () { refuse(); };
    Object.defineProperty(guard, 'name', { value: original.name });
    Object.defineProperty(guard, 'prototype', { value: proto });
    Object.defineProperty(proto, 'constructor', { value: guard, writable: true, configurable: true });
    if (globalThis[original.name] === original) {
      Object.defineProperty(globalThis, original.name, { value: guard, writable: true, configurable: true });
    }
  }
  const evalGuard = function () { refuse(); };
  Object.defineProperty(evalGuard, 'name', { value: 'eval' });
  Object.defineProperty(globalThis, 'eval', { value: evalGuard, writable: true, configurable: true });
})();"#;
