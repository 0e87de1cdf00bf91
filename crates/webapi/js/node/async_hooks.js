// node:async_hooks — AsyncLocalStorage and AsyncResource, over the
// engine's async context (motu_engine::contract): one value that the engine
// carries along promise jobs (a reaction runs in the context current when
// its handler was registered, so `await` and `.then` keep it), and that
// timers and `queueMicrotask` keep because they are promise reactions
// registered when they are scheduled. Event listeners run in the context of
// whoever dispatches the event, as in Node.js.
//
// The context is a frame: a Map from AsyncLocalStorage instance to its
// store (the empty one is the core's EMPTY_ASYNC_CONTEXT). A frame is
// never changed once current;
// `run` and `enterWith` make a new one. The rest of node:async_hooks
// (createHook, executionAsyncId…) is what Cloudflare has: inert stubs.

useAsyncContext();

// The current frame (V8 leaves `undefined` current between jobs).
function currentFrame() {
  return asyncContextGet() ?? EMPTY_ASYNC_CONTEXT;
}

// The current frame with `storage` mapped to `store` (or without `storage`
// when `remove`).
function frameWith(storage, store, remove) {
  const next = new Map(currentFrame());
  if (remove) next.delete(storage);
  else next.set(storage, store);
  return next;
}

// Calls `fn` with `frame` as the current context, then restores the
// context it replaced (also when `fn` throws).
function callInFrame(frame, fn, thisArg, args) {
  const previous = currentFrame();
  asyncContextSet(frame);
  try {
    return Reflect.apply(fn, thisArg, args);
  } finally {
    asyncContextSet(previous);
  }
}

function checkFunction(fn, name) {
  if (typeof fn !== 'function') {
    const e = new TypeError(`The "${name}" argument must be of type function. Received ${fn === null ? 'null' : typeof fn}`);
    e.code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
}

class AsyncLocalStorage {
  #enabled = false;
  #name;

  constructor(options = {}) {
    this.#name = options !== null && typeof options === 'object' && options.name !== undefined ? `${options.name}` : '';
  }

  get name() { return this.#name; }

  // A function that calls its argument in the context current now.
  static snapshot() {
    const frame = currentFrame();
    return (fn, ...args) => callInFrame(frame, fn, undefined, args);
  }

  static bind(fn) {
    return AsyncResource.bind(fn);
  }

  getStore() {
    return this.#enabled ? currentFrame().get(this) : undefined;
  }

  run(store, callback, ...args) {
    this.#enabled = true;
    return callInFrame(frameWith(this, store, false), callback, undefined, args);
  }

  exit(callback, ...args) {
    return callInFrame(frameWith(this, undefined, true), callback, undefined, args);
  }

  // The store for the rest of the current synchronous run and what it
  // schedules.
  enterWith(store) {
    this.#enabled = true;
    asyncContextSet(frameWith(this, store, false));
  }

  // getStore answers undefined until the next run or enterWith.
  disable() {
    this.#enabled = false;
  }
}

let nextAsyncId = 1;

class AsyncResource {
  #frame;
  #asyncId;
  #triggerAsyncId;

  constructor(type, options = {}) {
    if (typeof type !== 'string') {
      const e = new TypeError(`The "type" argument must be of type string. Received ${type === null ? 'null' : typeof type}`);
      e.code = 'ERR_INVALID_ARG_TYPE';
      throw e;
    }
    this.#frame = currentFrame();
    this.#asyncId = nextAsyncId++;
    const trigger = typeof options === 'number' ? options : options?.triggerAsyncId;
    this.#triggerAsyncId = typeof trigger === 'number' ? trigger : 0;
  }

  static bind(fn, type, thisArg) {
    checkFunction(fn, 'fn');
    return new AsyncResource(typeof type === 'string' ? type : fn.name || 'bound-anonymous-fn').bind(fn, thisArg);
  }

  runInAsyncScope(fn, thisArg, ...args) {
    return callInFrame(this.#frame, fn, thisArg, args);
  }

  bind(fn, thisArg) {
    checkFunction(fn, 'fn');
    const frame = this.#frame;
    const bound = thisArg === undefined
      ? function (...args) { return callInFrame(frame, fn, this, args); }
      : (...args) => callInFrame(frame, fn, thisArg, args);
    Object.defineProperties(bound, {
      length: { __proto__: null, value: fn.length, configurable: true },
      asyncResource: { __proto__: null, value: this, configurable: true, writable: true },
    });
    return bound;
  }

  emitDestroy() { return this; }
  asyncId() { return this.#asyncId; }
  triggerAsyncId() { return this.#triggerAsyncId; }
}

// Async hooks themselves are not there (as on Workers): a hook never fires.
function createHook() {
  return { enable() { return this; }, disable() { return this; } };
}

const module = {
  AsyncLocalStorage,
  AsyncResource,
  createHook,
  executionAsyncId: () => 0,
  triggerAsyncId: () => 0,
  executionAsyncResource: () => ({}),
  asyncWrapProviders: Object.freeze({ __proto__: null }),
};
