// node:events — EventEmitter as Node.js documents it: listeners in order,
// `once`, `prepend*`, `newListener`/`removeListener` events, an `error`
// event without a listener thrown, `errorMonitor`, `captureRejections`,
// the max-listeners warning; and the module functions `once`, `on`,
// `getEventListeners`, `getMaxListeners`, `setMaxListeners`,
// `listenerCount`, `addAbortListener`. Uses the `console` op for the
// max-listeners warning (as process.emitWarning prints it).

const kCapture = Symbol('kCapture');
const errorMonitor = Symbol('events.errorMonitor');
const captureRejectionSymbol = Symbol.for('nodejs.rejection');
let defaultMaxListeners = 10;
let captureRejectionsDefault = false;

function eventsError(Ctor, code, message) {
  const e = new Ctor(message);
  e.code = code;
  return e;
}

function checkListener(listener) {
  if (typeof listener !== 'function') {
    const got = listener === null ? 'null' : typeof listener === 'object' ? 'an instance of Object' : `type ${typeof listener} (${String(listener)})`;
    throw eventsError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "listener" argument must be of type function. Received ${got === 'null' || got === 'undefined' ? got : got}`);
  }
}

function EventEmitter(opts) {
  EventEmitter.init.call(this, opts);
}

EventEmitter.init = function (opts) {
  if (this._events === undefined || this._events === Object.getPrototypeOf(this)._events) {
    this._events = { __proto__: null };
    this._eventsCount = 0;
  }
  this._maxListeners = this._maxListeners || undefined;
  if (opts?.captureRejections !== undefined) {
    if (typeof opts.captureRejections !== 'boolean') {
      throw eventsError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "options.captureRejections" property must be of type boolean.');
    }
    this[kCapture] = opts.captureRejections;
  } else {
    this[kCapture] = EventEmitter.prototype[kCapture];
  }
};

const P = EventEmitter.prototype;
P._events = undefined;
P._eventsCount = 0;
P._maxListeners = undefined;
Object.defineProperty(P, kCapture, { __proto__: null, value: false, writable: true });

Object.defineProperty(EventEmitter, 'defaultMaxListeners', {
  __proto__: null,
  enumerable: true,
  get() { return defaultMaxListeners; },
  set(n) {
    if (typeof n !== 'number' || n < 0 || Number.isNaN(n)) {
      throw eventsError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "defaultMaxListeners" is out of range. It must be a non-negative number. Received ${String(n)}`);
    }
    defaultMaxListeners = n;
  },
});
Object.defineProperty(EventEmitter, 'captureRejections', {
  __proto__: null,
  enumerable: true,
  get() { return captureRejectionsDefault; },
  set(v) {
    if (typeof v !== 'boolean') throw eventsError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "EventEmitter.captureRejections" property must be of type boolean.');
    captureRejectionsDefault = v;
    P[kCapture] = v;
  },
});
EventEmitter.errorMonitor = errorMonitor;
EventEmitter.captureRejectionSymbol = captureRejectionSymbol;

P.setMaxListeners = function setMaxListeners(n) {
  if (typeof n !== 'number' || n < 0 || Number.isNaN(n)) {
    throw eventsError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "n" is out of range. It must be a non-negative number. Received ${String(n)}`);
  }
  this._maxListeners = n;
  return this;
};

function maxOf(that) {
  return that._maxListeners === undefined ? defaultMaxListeners : that._maxListeners;
}
P.getMaxListeners = function getMaxListeners() { return maxOf(this); };

function addCatch(that, promise, type, args) {
  if (!that[kCapture]) return;
  try {
    const then = promise.then;
    if (typeof then === 'function') {
      then.call(promise, undefined, err => {
        queueMicrotask(() => emitUnhandledRejectionOrErr(that, err, type, args));
      });
    }
  } catch (err) {
    that.emit('error', err);
  }
}

function emitUnhandledRejectionOrErr(that, err, type, args) {
  if (typeof that[captureRejectionSymbol] === 'function') {
    that[captureRejectionSymbol](err, type, ...args);
  } else {
    const prev = that[kCapture];
    try {
      that[kCapture] = false;
      that.emit('error', err);
    } finally {
      that[kCapture] = prev;
    }
  }
}

P.emit = function emit(type, ...args) {
  const events = this._events;
  let doError = type === 'error';
  if (events !== undefined) {
    if (doError && events[errorMonitor] !== undefined) this.emit(errorMonitor, ...args);
    doError = doError && events.error === undefined;
  } else if (!doError) {
    return false;
  }
  if (doError) {
    const er = args.length > 0 ? args[0] : undefined;
    if (er instanceof Error) throw er;
    let shown;
    try { shown = typeof er === 'string' ? `'${er}'` : String(er); } catch { shown = '[object]'; }
    const err = eventsError(Error, 'ERR_UNHANDLED_ERROR', `Unhandled error. (${shown})`);
    err.context = er;
    throw err;
  }
  const handler = events[type];
  if (handler === undefined) return false;
  if (typeof handler === 'function') {
    const result = handler.apply(this, args);
    if (result !== undefined && result !== null) addCatch(this, result, type, args);
  } else {
    const listeners = handler.slice();
    for (let i = 0; i < listeners.length; i++) {
      const result = listeners[i].apply(this, args);
      if (result !== undefined && result !== null) addCatch(this, result, type, args);
    }
  }
  return true;
};

function addListener(target, type, listener, prepend) {
  checkListener(listener);
  let events = target._events;
  if (events === undefined) {
    events = target._events = { __proto__: null };
    target._eventsCount = 0;
  } else if (events.newListener !== undefined) {
    target.emit('newListener', type, listener.listener ?? listener);
    events = target._events;
  }
  let existing = events[type];
  if (existing === undefined) {
    events[type] = listener;
    ++target._eventsCount;
  } else {
    if (typeof existing === 'function') {
      existing = events[type] = prepend ? [listener, existing] : [existing, listener];
    } else if (prepend) {
      existing.unshift(listener);
    } else {
      existing.push(listener);
    }
    const m = maxOf(target);
    if (m > 0 && existing.length > m && !existing.warned) {
      existing.warned = true;
      const name = target.constructor?.name || 'EventEmitter';
      op('console', 'warn', `(node) MaxListenersExceededWarning: Possible EventEmitter memory leak detected. ${existing.length} ${String(type)} listeners added to [${name}]. MaxListeners is ${m}. Use emitter.setMaxListeners() to increase limit`);
    }
  }
  return target;
}

P.addListener = function addListener_(type, listener) { return addListener(this, type, listener, false); };
P.on = P.addListener;
P.prependListener = function prependListener(type, listener) { return addListener(this, type, listener, true); };

function onceWrapper(...args) {
  if (!this.fired) {
    this.target.removeListener(this.type, this.wrapFn);
    this.fired = true;
    return this.listener.apply(this.target, args);
  }
}
function onceWrap(target, type, listener) {
  const state = { fired: false, wrapFn: undefined, target, type, listener };
  const wrapped = onceWrapper.bind(state);
  wrapped.listener = listener;
  state.wrapFn = wrapped;
  return wrapped;
}

P.once = function once(type, listener) {
  checkListener(listener);
  this.on(type, onceWrap(this, type, listener));
  return this;
};
P.prependOnceListener = function prependOnceListener(type, listener) {
  checkListener(listener);
  this.prependListener(type, onceWrap(this, type, listener));
  return this;
};

P.removeListener = function removeListener(type, listener) {
  checkListener(listener);
  const events = this._events;
  if (events === undefined) return this;
  const list = events[type];
  if (list === undefined) return this;
  if (list === listener || list.listener === listener) {
    this._eventsCount -= 1;
    if (this._eventsCount === 0) this._events = { __proto__: null };
    else delete events[type];
    if (events.removeListener !== undefined) this.emit('removeListener', type, list.listener || listener);
  } else if (typeof list !== 'function') {
    let position = -1;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i] === listener || list[i].listener === listener) { position = i; break; }
    }
    if (position < 0) return this;
    const [removed] = list.splice(position, 1);
    if (list.length === 1) events[type] = list[0];
    if (events.removeListener !== undefined) this.emit('removeListener', type, removed.listener || listener);
  }
  return this;
};
P.off = P.removeListener;

P.removeAllListeners = function removeAllListeners(type) {
  const events = this._events;
  if (events === undefined) return this;
  if (events.removeListener === undefined) {
    if (arguments.length === 0) {
      this._events = { __proto__: null };
      this._eventsCount = 0;
    } else if (events[type] !== undefined) {
      if (--this._eventsCount === 0) this._events = { __proto__: null };
      else delete events[type];
    }
    return this;
  }
  if (arguments.length === 0) {
    for (const key of Reflect.ownKeys(events)) {
      if (key !== 'removeListener') this.removeAllListeners(key);
    }
    this.removeAllListeners('removeListener');
    this._events = { __proto__: null };
    this._eventsCount = 0;
    return this;
  }
  const listeners = events[type];
  if (typeof listeners === 'function') {
    this.removeListener(type, listeners);
  } else if (listeners !== undefined) {
    for (let i = listeners.length - 1; i >= 0; i--) this.removeListener(type, listeners[i]);
  }
  return this;
};

function listenersOf(target, type, unwrap) {
  const events = target._events;
  if (events === undefined) return [];
  const l = events[type];
  if (l === undefined) return [];
  if (typeof l === 'function') return unwrap ? [l.listener || l] : [l];
  return unwrap ? l.map(x => x.listener || x) : l.slice();
}
P.listeners = function listeners(type) { return listenersOf(this, type, true); };
P.rawListeners = function rawListeners(type) { return listenersOf(this, type, false); };

function countOf(target, type, listener) {
  const events = target._events;
  if (events === undefined) return 0;
  const l = events[type];
  if (l === undefined) return 0;
  if (typeof l === 'function') return listener === undefined || l === listener || l.listener === listener ? 1 : 0;
  if (listener === undefined) return l.length;
  return l.filter(x => x === listener || x.listener === listener).length;
}
P.listenerCount = function listenerCount(type, listener) { return countOf(this, type, listener); };
P.eventNames = function eventNames() {
  return this._eventsCount > 0 ? Reflect.ownKeys(this._events) : [];
};

EventEmitter.listenerCount = function (emitter, type) {
  return typeof emitter.listenerCount === 'function' ? emitter.listenerCount(type) : countOf(emitter, type);
};

function abortError(signal) {
  const DOMEx = globalThis.DOMException;
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  e.code = 'ABORT_ERR';
  if (signal && signal.reason !== undefined) e.cause = signal.reason;
  return DOMEx ? e : e;
}

function isEventTarget(x) { return x !== null && typeof x === 'object' && typeof x.addEventListener === 'function' && typeof x.on !== 'function'; }

function once(emitter, name, options = {}) {
  const signal = options?.signal;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    if (isEventTarget(emitter)) {
      const listener = (...args) => { signal?.removeEventListener('abort', onAbort); resolve(args); };
      const onAbort = () => { emitter.removeEventListener(name, listener); reject(abortError(signal)); };
      emitter.addEventListener(name, listener, { once: true });
      signal?.addEventListener('abort', onAbort, { once: true });
      return;
    }
    const errorListener = err => {
      emitter.removeListener(name, resolver);
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    };
    const resolver = (...args) => {
      if (name !== 'error') emitter.removeListener('error', errorListener);
      signal?.removeEventListener('abort', onAbort);
      resolve(args);
    };
    const onAbort = () => {
      emitter.removeListener(name, resolver);
      emitter.removeListener('error', errorListener);
      reject(abortError(signal));
    };
    emitter.once(name, resolver);
    if (name !== 'error') emitter.once('error', errorListener);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function on(emitter, event, options = {}) {
  const signal = options?.signal;
  const queue = [];
  const waiting = [];
  let error = null;
  let done = false;
  const closeEvents = options?.close || [];
  const handler = (...args) => {
    const w = waiting.shift();
    if (w) w.resolve({ value: args, done: false });
    else queue.push(args);
  };
  const errorHandler = err => {
    done = true;
    const w = waiting.shift();
    if (w) w.reject(err);
    else error = err;
    iterator.return();
  };
  const closeHandler = () => { iterator.return(); };
  const cleanup = () => {
    emitter.removeListener(event, handler);
    emitter.removeListener('error', errorHandler);
    for (const c of closeEvents) emitter.removeListener(c, closeHandler);
    signal?.removeEventListener('abort', onAbort);
  };
  const onAbort = () => errorHandler(abortError(signal));
  const iterator = {
    next() {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift(), done: false });
      if (error) { const p = Promise.reject(error); error = null; return p; }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return() {
      cleanup();
      done = true;
      for (const w of waiting.splice(0)) w.resolve({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(err) {
      error = err;
      cleanup();
      return Promise.reject(err);
    },
    [Symbol.asyncIterator]() { return this; },
  };
  if (signal?.aborted) { error = abortError(signal); done = true; return iterator; }
  emitter.on(event, handler);
  if (event !== 'error') emitter.on('error', errorHandler);
  for (const c of closeEvents) emitter.on(c, closeHandler);
  signal?.addEventListener('abort', onAbort, { once: true });
  return iterator;
}

function getEventListeners(target, type) {
  if (typeof target?.listeners === 'function' && !isEventTarget(target)) return target.listeners(type);
  throw eventsError(Error, 'ERR_NOT_SUPPORTED', 'getEventListeners() of an EventTarget is not supported by motu');
}

function getMaxListeners(target) {
  if (typeof target?.getMaxListeners === 'function') return target.getMaxListeners();
  return defaultMaxListeners;
}

function setMaxListeners(n = defaultMaxListeners, ...targets) {
  if (typeof n !== 'number' || n < 0 || Number.isNaN(n)) {
    throw eventsError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "n" is out of range. It must be a non-negative number. Received ${String(n)}`);
  }
  if (targets.length === 0) defaultMaxListeners = n;
  for (const t of targets) {
    if (typeof t.setMaxListeners === 'function') t.setMaxListeners(n);
  }
}

function addAbortListener(signal, listener) {
  if (signal === undefined) throw eventsError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "signal" argument must be an instance of AbortSignal. Received undefined');
  checkListener(listener);
  let removed = false;
  const wrapped = () => { if (!removed) listener(); };
  if (signal.aborted) queueMicrotask(wrapped);
  else signal.addEventListener('abort', wrapped, { once: true });
  return { [Symbol.dispose || Symbol.for('Symbol.dispose')]() { removed = true; signal.removeEventListener('abort', wrapped); } };
}

EventEmitter.EventEmitter = EventEmitter;
EventEmitter.usingDomains = false;
EventEmitter.once = once;
EventEmitter.on = on;
EventEmitter.getEventListeners = getEventListeners;
EventEmitter.getMaxListeners = getMaxListeners;
EventEmitter.setMaxListeners = setMaxListeners;
EventEmitter.addAbortListener = addAbortListener;

const module = EventEmitter;
