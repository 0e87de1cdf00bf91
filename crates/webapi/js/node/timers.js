// node:timers and node:timers/promises — Node.js's timer functions over
// the Worker's timers: setTimeout/setInterval give a Timeout object
// (`ref`, `unref`, `hasRef`, `refresh`, `close`, and its id as its
// primitive value, which clearTimeout also takes); setImmediate runs its
// callback after the current turn's microtasks (a zero-delay timer).
// `promises` has setTimeout, setImmediate, the setInterval async iterator
// and `scheduler.wait`/`scheduler.yield`; each takes `{ signal }` and
// rejects with an AbortError when it aborts. Uses the globals' timers.

const globalSetTimeout = globalThis.setTimeout;
const globalClearTimeout = globalThis.clearTimeout;
const globalSetInterval = globalThis.setInterval;
const globalClearInterval = globalThis.clearInterval;

function checkCallback(callback) {
  if (typeof callback !== 'function') {
    const e = new TypeError(`The "callback" argument must be of type function. Received ${callback === null ? 'null' : typeof callback}`);
    e.code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
}

class Timeout {
  #id; #callback; #delay; #args; #repeat; #ref = true;
  constructor(callback, delay, args, repeat) {
    this.#callback = callback;
    this.#delay = delay;
    this.#args = args;
    this.#repeat = repeat;
    this.#start();
  }
  #start() {
    const run = () => this.#callback(...this.#args);
    this.#id = this.#repeat ? globalSetInterval(run, this.#delay) : globalSetTimeout(run, this.#delay);
  }
  ref() { this.#ref = true; return this; }
  unref() { this.#ref = false; return this; }
  hasRef() { return this.#ref; }
  refresh() { this.close(); this.#start(); return this; }
  close() { (this.#repeat ? globalClearInterval : globalClearTimeout)(this.#id); return this; }
  [Symbol.toPrimitive]() { return this.#id; }
  [Symbol.dispose || Symbol.for('Symbol.dispose')]() { this.close(); }
}

class Immediate {
  #timeout;
  constructor(callback, args) { this.#timeout = new Timeout(callback, 0, args, false); }
  ref() { return this; }
  unref() { return this; }
  hasRef() { return true; }
  close() { this.#timeout.close(); return this; }
}

function setTimeout(callback, delay, ...args) { checkCallback(callback); return new Timeout(callback, delay, args, false); }
function setInterval(callback, delay, ...args) { checkCallback(callback); return new Timeout(callback, delay, args, true); }
function setImmediate(callback, ...args) { checkCallback(callback); return new Immediate(callback, args); }
function clearTimeout(t) {
  if (t instanceof Timeout || t instanceof Immediate) t.close();
  else if (t !== undefined && t !== null) globalClearTimeout(t);
}
function clearInterval(t) {
  if (t instanceof Timeout) t.close();
  else if (t !== undefined && t !== null) globalClearInterval(t);
}
const clearImmediate = clearTimeout;

function abortError(signal) {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  e.code = 'ABORT_ERR';
  if (signal?.reason !== undefined) e.cause = signal.reason;
  return e;
}

function checkSignal(options) {
  const signal = options?.signal;
  if (signal !== undefined && (signal === null || typeof signal.aborted !== 'boolean')) {
    const e = new TypeError('The "options.signal" property must be an instance of AbortSignal.');
    e.code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
  return signal;
}

function sleep(delay, value, options) {
  let signal;
  try { signal = checkSignal(options); } catch (e) { return Promise.reject(e); }
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => { globalClearTimeout(id); reject(abortError(signal)); };
    const id = globalSetTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(value); }, delay);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function* intervalIterator(delay, value, options) {
  const signal = checkSignal(options);
  if (signal?.aborted) throw abortError(signal);
  let pending = 0;
  let wake = null;
  const id = globalSetInterval(() => { pending++; if (wake) { wake(); wake = null; } }, delay);
  const onAbort = () => { if (wake) { wake(); wake = null; } };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      if (pending === 0) await new Promise(resolve => { wake = resolve; });
      if (signal?.aborted) throw abortError(signal);
      for (; pending > 0; pending--) yield value;
    }
  } finally {
    globalClearInterval(id);
    signal?.removeEventListener('abort', onAbort);
  }
}

const promises = {
  setTimeout: (delay, value, options) => sleep(delay, value, options),
  setImmediate: (value, options) => sleep(0, value, options),
  setInterval: intervalIterator,
  scheduler: {
    wait: (delay, options) => sleep(delay, undefined, options),
    yield: () => sleep(0),
  },
};

const module = { setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate, promises };
// With nodejs_compat_v2, `setImmediate` and `clearImmediate` are globals too,
// as on Workers.
if (nodeCompat !== null && nodeCompat.globals) {
  defineGlobal('setImmediate', setImmediate);
  defineGlobal('clearImmediate', clearImmediate);
}
