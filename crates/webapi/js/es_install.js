// What the files of recent ECMAScript built-ins share (es_builtins.js,
// es_builtins_2025.js): each method is defined only where the engine lacks
// it, with a built-in method's attributes (non-enumerable, writable,
// configurable).

const isObject = v => (typeof v === 'object' && v !== null) || typeof v === 'function';

// Defines the methods of `methods` that `target` lacks.
const install = (target, methods) => {
  for (const name of Object.keys(methods)) {
    if (name in target) continue;
    Object.defineProperty(target, name, { value: methods[name], writable: true, enumerable: false, configurable: true });
  }
};

const requireCallable = (fn, what) => {
  if (typeof fn !== 'function') throw new TypeError(`${what} is not a function`);
  return fn;
};

const isConstructor = C => {
  if (typeof C !== 'function') return false;
  try {
    new (new Proxy(C, { construct: () => ({}) }))();
    return true;
  } catch {
    return false;
  }
};

// NewPromiseCapability(C) for the static method `method`: a promise made by
// `C` and its resolving functions.
const promiseCapability = (C, method) => {
  if (!isObject(C)) throw new TypeError(`${method} called on a non-object`);
  if (!isConstructor(C)) throw new TypeError(`${method} called on a non-constructor`);
  let resolve;
  let reject;
  const promise = new C((res, rej) => {
    if (resolve !== undefined || reject !== undefined) throw new TypeError('Promise executor has already been invoked');
    resolve = res;
    reject = rej;
  });
  requireCallable(resolve, 'Promise resolve function');
  requireCallable(reject, 'Promise reject function');
  return { promise, resolve, reject };
};
