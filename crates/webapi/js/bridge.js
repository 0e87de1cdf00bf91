// The bridge: take the op functions the engine installed and hide them from
// Worker code (see motu_engine::contract).
const op = globalThis.__motu_op;
const opAsync = globalThis.__motu_op_async;
delete globalThis.__motu_op;
delete globalThis.__motu_op_async;

// The engine's async context (motu_engine::contract): node:async_hooks
// keeps its stores there, as a frame (a Map from AsyncLocalStorage to
// store). Once a Worker has used it (`useAsyncContext()`), each event runs
// in the empty frame and leaves it current when it returns, so that what
// one event left current (AsyncLocalStorage's enterWith) never reaches the
// next. The empty frame is a value, not `undefined`: V8 runs a promise job
// that captured `undefined` in whatever value is current.
const asyncContextGet = globalThis.__motu_async_context_get;
const asyncContextSet = globalThis.__motu_async_context_set;
delete globalThis.__motu_async_context_get;
delete globalThis.__motu_async_context_set;
const EMPTY_ASYNC_CONTEXT = new Map();
let asyncContextUsed = false;
function useAsyncContext() {
  asyncContextUsed = true;
  if (asyncContextGet() === undefined) asyncContextSet(EMPTY_ASYNC_CONTEXT);
}

// Host work (motu_webapi::work): an op whose Rust work may take long runs
// where the host decides. The `work` op answers [0, result] when the work
// ran at once, [ticket] when it runs elsewhere (its result settles the
// async op `work_wait`), or [-1] while too much input already waits for the
// host: then the call waits for room (`work_room(bytes)`) and asks again.
// A call with a large input asks `work_has_room(bytes)` first, and while
// any call waits, new ones join the wait without asking: handing the host
// an input it cannot take yet would copy it for nothing. `hostWork` returns
// the result, or a promise of it; `afterWork` goes on from either.
const WORK_ROOM_CHECK = 65536;
let hostWorkWaiting = 0;

function hostWork(name, ...args) {
  return hostWorkWaiting > 0 ? waitForWorkRoom(name, args) : askForWork(name, args);
}

function askForWork(name, args) {
  const bytes = workBytes(args);
  if (bytes > WORK_ROOM_CHECK && !op('work_has_room', bytes)) return waitForWorkRoom(name, args);
  const answer = op('work', name, ...args);
  const ticket = answer[0];
  if (ticket === 0) return answer[1];
  if (ticket > 0) return opAsync('work_wait', ticket);
  return waitForWorkRoom(name, args);
}

function waitForWorkRoom(name, args) {
  hostWorkWaiting++;
  return transformPromise(opAsync('work_room', workBytes(args)), () => {
    hostWorkWaiting--;
    return askForWork(name, args);
  });
}

// About the bytes of input `args` hold: their strings and buffers.
function workBytes(args) {
  let n = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a === 'string') n += a.length;
    else if (ArrayBuffer.isView(a) || a instanceof ArrayBuffer) n += a.byteLength;
  }
  return n;
}

// Calls `fn` with what `hostWork` returned, at once or once it settles;
// `onError` (if given) maps an error thrown either way.
function afterWork(result, fn, onError) {
  if (result instanceof PromiseCtor) return transformPromise(result, fn, onError);
  return fn(result);
}

// Property descriptors here have no prototype: defining a property then
// looks up only the descriptor's own members, not Object.prototype's.
//
// Defines a global the way Web IDL does: writable, configurable, not
// enumerable (unless `enumerable`).
function defineGlobal(name, value, enumerable = false) {
  Object.defineProperty(globalThis, name, {
    __proto__: null, value, writable: true, configurable: true, enumerable,
  });
}

// Gives a class's prototype the tag `Object.prototype.toString` shows.
function tag(cls, name = cls.name) {
  Object.defineProperty(cls.prototype, Symbol.toStringTag, { __proto__: null, value: name, configurable: true });
}

const ENUMERABLE = Object.freeze({ __proto__: null, enumerable: true });

// Replaces a getter-made value of `object` with `value`, as an assignment
// to one of Cloudflare's lazily made instance properties (`ctx.props`,
// `ctx.exports`, `ctx.storage.sql`) does: an own data property, writable,
// in place of the prototype's getter. Libraries assign them (an OAuth
// provider sets `ctx.props` before calling the API handler).
function replaceValue(object, name, value) {
  Object.defineProperty(object, name, {
    __proto__: null, value, writable: true, enumerable: true, configurable: true,
  });
}

// Makes a class follow Web IDL's rules for an interface, called right after
// its definition: the regular attributes and operations on the prototype
// (string keys but `constructor`) and the static ones on the class are
// enumerable, as `class` syntax does not make them; the prototype gets the
// class's @@toStringTag; a pair iterator's @@iterator is its `entries`
// function itself. `length` sets the constructor's length, the number
// of its required arguments, where the parameter list says otherwise (an
// internal token, an optional argument without a default).
// What runs while the prelude is evaluated avoids the few built-ins V8
// installs only once a context exists (Object.hasOwn, Array.prototype.at
// and findLast, SharedArrayBuffer, Atomics, WebAssembly,
// Error.stackTraceLimit): V8 leaves them out of the context a startup
// snapshot is made from (engines/v8/shim/snapshot.cc).
const hasOwnProperty = Object.prototype.hasOwnProperty;
function webidlInterface(cls, length = undefined) {
  const proto = cls.prototype;
  // Indexed loops: every isolate runs these at start-up, and an array
  // iterator costs several times as much per step.
  const members = Object.getOwnPropertyNames(proto);
  for (let i = 0; i < members.length; i++) {
    if (members[i] !== 'constructor') Object.defineProperty(proto, members[i], ENUMERABLE);
  }
  const statics = Object.getOwnPropertyNames(cls);
  for (let i = 0; i < statics.length; i++) {
    const key = statics[i];
    if (key !== 'length' && key !== 'name' && key !== 'prototype') Object.defineProperty(cls, key, ENUMERABLE);
  }
  if (hasOwnProperty.call(proto, 'entries') && hasOwnProperty.call(proto, Symbol.iterator)) {
    Object.defineProperty(proto, Symbol.iterator, { __proto__: null, value: proto.entries });
  }
  tag(cls);
  if (length !== undefined) Object.defineProperty(cls, 'length', { __proto__: null, value: length });
}

// Throws Web IDL's TypeError for an operation called with fewer than
// `required` arguments (`given` is the call's `arguments.length`).
function requireArgs(given, required, what) {
  if (given < required) {
    throw new TypeError(`${what}: ${required} argument${required === 1 ? '' : 's'} required, but only ${given} present`);
  }
}

// Converts a value to a byte string as Web IDL's ByteString does for header
// names and values, or throws a TypeError.
function toByteString(value, what) {
  if (typeof value === 'symbol') throw new TypeError(`${what} cannot be a Symbol`);
  const s = String(value);
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 255) throw new TypeError(`${what} contains a character above U+00FF`);
  }
  return s;
}

// Converts a value to a scalar-value string (lone surrogates become U+FFFD).
function toUSVString(value) {
  const s = String(value);
  return typeof s.toWellFormed === 'function' ? s.toWellFormed() : s.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
