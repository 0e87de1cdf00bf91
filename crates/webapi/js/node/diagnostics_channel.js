// node:diagnostics_channel — named channels that publishers send messages
// to and subscribers receive synchronously, in order: `channel`,
// `subscribe`, `unsubscribe`, `hasSubscribers`, `Channel` (with
// `bindStore`/`runStores` over a store's `run`), and `tracingChannel` with
// `traceSync`, `tracePromise` and `traceCallback` publishing to its
// start/end/asyncStart/asyncEnd/error channels. A subscriber that throws
// does not stop the others: its error is reported (the global `error`
// event), as Node.js reports it on the next tick. Uses no ops.

const channels = new Map();

class Channel {
  #subscribers = [];
  #stores = new Map();
  constructor(name) {
    this.name = name;
  }
  get hasSubscribers() { return this.#subscribers.length > 0 || this.#stores.size > 0; }
  subscribe(fn) {
    if (typeof fn !== 'function') {
      const e = new TypeError('The "subscription" argument must be of type function.');
      e.code = 'ERR_INVALID_ARG_TYPE';
      throw e;
    }
    this.#subscribers = [...this.#subscribers, fn];
  }
  unsubscribe(fn) {
    const i = this.#subscribers.indexOf(fn);
    if (i === -1) return false;
    this.#subscribers = this.#subscribers.filter((_, j) => j !== i);
    return true;
  }
  publish(message) {
    for (const fn of this.#subscribers) {
      try {
        fn(message, this.name);
      } catch (e) {
        queueMicrotask(() => reportError(e));
      }
    }
  }
  bindStore(store, transform) { this.#stores.set(store, transform); }
  unbindStore(store) { return this.#stores.delete(store); }
  runStores(data, fn, thisArg, ...args) {
    let run = () => { this.publish(data); return Reflect.apply(fn, thisArg, args); };
    for (const [store, transform] of this.#stores) {
      const next = run;
      const value = transform ? transform(data) : data;
      run = () => store.run(value, next);
    }
    return run();
  }
}

function channel(name) {
  if (typeof name !== 'string' && typeof name !== 'symbol') {
    const e = new TypeError('The "channel" argument must be one of type string or symbol.');
    e.code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
  let c = channels.get(name);
  if (c === undefined) {
    c = new Channel(name);
    channels.set(name, c);
  }
  return c;
}

function subscribe(name, fn) { channel(name).subscribe(fn); }
function unsubscribe(name, fn) { return channels.has(name) ? channels.get(name).unsubscribe(fn) : false; }
function hasSubscribers(name) { return channels.has(name) && channels.get(name).hasSubscribers; }

const TRACE_EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'];

class TracingChannel {
  constructor(nameOrChannels) {
    for (const event of TRACE_EVENTS) {
      this[event] = typeof nameOrChannels === 'string' ? channel(`tracing:${nameOrChannels}:${event}`) : nameOrChannels[event];
    }
  }
  get hasSubscribers() { return TRACE_EVENTS.some(e => this[e].hasSubscribers); }
  subscribe(handlers) { for (const e of TRACE_EVENTS) if (handlers[e]) this[e].subscribe(handlers[e]); }
  unsubscribe(handlers) {
    let all = true;
    for (const e of TRACE_EVENTS) if (handlers[e] && !this[e].unsubscribe(handlers[e])) all = false;
    return all;
  }
  traceSync(fn, context = {}, thisArg, ...args) {
    this.start.publish(context);
    try {
      const result = Reflect.apply(fn, thisArg, args);
      context.result = result;
      return result;
    } catch (err) {
      context.error = err;
      this.error.publish(context);
      throw err;
    } finally {
      this.end.publish(context);
    }
  }
  tracePromise(fn, context = {}, thisArg, ...args) {
    this.start.publish(context);
    try {
      const promise = Reflect.apply(fn, thisArg, args);
      return Promise.resolve(promise).then(result => {
        context.result = result;
        this.asyncStart.publish(context);
        this.asyncEnd.publish(context);
        return result;
      }, err => {
        context.error = err;
        this.error.publish(context);
        this.asyncStart.publish(context);
        this.asyncEnd.publish(context);
        throw err;
      });
    } catch (err) {
      context.error = err;
      this.error.publish(context);
      throw err;
    } finally {
      this.end.publish(context);
    }
  }
  traceCallback(fn, position = -1, context = {}, thisArg, ...args) {
    const at = position < 0 ? args.length + position : position;
    const callback = args[at];
    if (typeof callback !== 'function') {
      const e = new TypeError('The "callback" argument must be of type function.');
      e.code = 'ERR_INVALID_ARG_TYPE';
      throw e;
    }
    const tracing = this;
    args[at] = function (err, res) {
      if (err) { context.error = err; tracing.error.publish(context); } else { context.result = res; }
      tracing.asyncStart.publish(context);
      try { return Reflect.apply(callback, this, arguments); } finally { tracing.asyncEnd.publish(context); }
    };
    return this.traceSync(fn, context, thisArg, ...args);
  }
}

function tracingChannel(nameOrChannels) { return new TracingChannel(nameOrChannels); }

const module = { channel, subscribe, unsubscribe, hasSubscribers, tracingChannel, Channel };
