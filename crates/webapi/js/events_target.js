// Event and EventTarget (the DOM standard; CustomEvent is a group of its own,
// custom_event.js), for targets that are not in a tree: a dispatch runs the capturing listeners, then the others,
// all at the target. Exceptions thrown by listeners are reported, never
// propagated to `dispatchEvent`'s caller.
//
// Prelude-scope helpers for other files: `fireEvent(target, event)` dispatches
// a trusted event; `defineEventHandler(proto, 'abort')` gives a class an
// `onabort` attribute. Ops used: `perf_now` (an event's `timeStamp`).
let eventInternals; // event => the private state the dispatch algorithm needs
let isTrustedOf; // event => boolean

class Event {
  #type; #bubbles; #cancelable; #composed;
  #target = null; #currentTarget = null; #phase = 0;
  #stop = false; #stopImmediate = false; #canceled = false;
  #inPassive = false; #dispatching = false; #initialized = true; #trusted = false;
  #timeStamp = op('perf_now');

  constructor(type, eventInitDict = undefined) {
    if (arguments.length === 0) throw new TypeError("Event constructor: the 'type' argument is required");
    this.#type = String(type);
    const init = eventInit(eventInitDict);
    this.#bubbles = init.bubbles;
    this.#cancelable = init.cancelable;
    this.#composed = init.composed;
    Object.defineProperty(this, 'isTrusted', { get: isTrustedGetter, enumerable: true, configurable: false });
  }

  static {
    eventInternals = e => {
      if (!(#type in e)) throw new TypeError("Failed to execute 'dispatchEvent': parameter 1 is not of type 'Event'");
      return {
        get dispatching() { return e.#dispatching; }, set dispatching(v) { e.#dispatching = v; },
        get initialized() { return e.#initialized; },
        set trusted(v) { e.#trusted = v; },
        set target(v) { e.#target = v; },
        set currentTarget(v) { e.#currentTarget = v; },
        set phase(v) { e.#phase = v; },
        get stop() { return e.#stop; }, set stop(v) { e.#stop = v; },
        get stopImmediate() { return e.#stopImmediate; }, set stopImmediate(v) { e.#stopImmediate = v; },
        set inPassive(v) { e.#inPassive = v; },
        get canceled() { return e.#canceled; },
      };
    };
    isTrustedOf = e => e.#trusted;
  }

  get type() { return this.#type; }
  get target() { return this.#target; }
  get srcElement() { return this.#target; }
  get currentTarget() { return this.#currentTarget; }
  composedPath() { return this.#dispatching && this.#currentTarget ? [this.#currentTarget] : []; }
  get eventPhase() { return this.#phase; }
  stopPropagation() { this.#stop = true; }
  get cancelBubble() { return this.#stop; }
  set cancelBubble(value) { this.#stop = this.#stop || Boolean(value); }
  stopImmediatePropagation() { this.#stop = true; this.#stopImmediate = true; }
  get bubbles() { return this.#bubbles; }
  get cancelable() { return this.#cancelable; }
  get returnValue() { return !this.#canceled; }
  set returnValue(value) { if (!value) this.#cancel(); }
  preventDefault() { this.#cancel(); }
  #cancel() { if (this.#cancelable && !this.#inPassive) this.#canceled = true; }
  get defaultPrevented() { return this.#canceled; }
  get composed() { return this.#composed; }
  get timeStamp() { return this.#timeStamp; }
  initEvent(type, bubbles = false, cancelable = false) {
    if (arguments.length === 0) throw new TypeError("initEvent: the 'type' argument is required");
    if (this.#dispatching) return;
    this.#initialized = true;
    this.#stop = this.#stopImmediate = this.#canceled = false;
    this.#trusted = false;
    this.#target = null;
    this.#type = String(type);
    this.#bubbles = Boolean(bubbles);
    this.#cancelable = Boolean(cancelable);
  }
}
function isTrustedGetter() { return isTrustedOf(this); }
Object.defineProperty(isTrustedGetter, 'name', { value: 'get isTrusted' });

// EventInit as a WebIDL dictionary: undefined, null or an object.
function eventInit(dict) {
  if (dict !== undefined && dict !== null && typeof dict !== 'object' && typeof dict !== 'function') {
    throw new TypeError('The event init argument must be an object');
  }
  const d = dict ?? {};
  return { bubbles: Boolean(d.bubbles), cancelable: Boolean(d.cancelable), composed: Boolean(d.composed) };
}

const EVENT_PHASES = [['NONE', 0], ['CAPTURING_PHASE', 1], ['AT_TARGET', 2], ['BUBBLING_PHASE', 3]];
webidlInterface(Event);
// The constants, enumerable from the start (so after webidlInterface, which
// need not go over them).
for (let i = 0; i < EVENT_PHASES.length; i++) {
  const descriptor = { __proto__: null, value: EVENT_PHASES[i][1], enumerable: true };
  Object.defineProperty(Event, EVENT_PHASES[i][0], descriptor);
  Object.defineProperty(Event.prototype, EVENT_PHASES[i][0], descriptor);
}

// Listener options flattened as the DOM standard does.
function listenerOptions(options) {
  if (options === null || (typeof options !== 'object' && typeof options !== 'function')) {
    return { capture: Boolean(options), once: false, passive: false, signal: null };
  }
  // Dictionary members are read in order: inherited ones, then the rest
  // lexicographically.
  const capture = Boolean(options.capture);
  const once = Boolean(options.once);
  const passive = Boolean(options.passive);
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError("addEventListener: 'signal' must be an AbortSignal");
  }
  return { capture, once, passive, signal: signal ?? null };
}

let dispatchOn; // (target, event, trusted) => boolean

class EventTarget {
  #listeners = new Map(); // type => [{ callback, capture, once, passive, removed }]

  constructor() {}

  static {
    dispatchOn = (target, event, trusted) => target.#dispatch(event, trusted);
  }

  addEventListener(type, callback, options = undefined) {
    if (!(#listeners in this)) throw new TypeError('Illegal invocation');
    if (arguments.length < 2) throw new TypeError('addEventListener needs a type and a callback');
    const { capture, once, passive, signal } = listenerOptions(options);
    type = String(type);
    if (callback === null || callback === undefined) return;
    if (typeof callback !== 'function' && typeof callback !== 'object') {
      throw new TypeError("addEventListener: the callback must be an object or a function");
    }
    if (signal && signal.aborted) return;
    let list = this.#listeners.get(type);
    if (!list) this.#listeners.set(type, list = []);
    if (list.some(l => l.callback === callback && l.capture === capture)) return;
    const listener = { callback, capture, once, passive, removed: false };
    list.push(listener);
    if (signal) abortSignalAdd(signal, () => this.#remove(type, listener));
  }

  removeEventListener(type, callback, options = undefined) {
    if (!(#listeners in this)) throw new TypeError('Illegal invocation');
    if (arguments.length < 2) throw new TypeError('removeEventListener needs a type and a callback');
    const capture = typeof options === 'object' && options !== null ? Boolean(options.capture) : Boolean(options);
    const list = this.#listeners.get(String(type));
    const listener = list && list.find(l => l.callback === callback && l.capture === capture);
    if (listener) this.#remove(String(type), listener);
  }

  dispatchEvent(event) {
    if (arguments.length === 0) throw new TypeError('dispatchEvent needs an event');
    return this.#dispatch(event, false);
  }

  #remove(type, listener) {
    listener.removed = true;
    const list = this.#listeners.get(type);
    const i = list ? list.indexOf(listener) : -1;
    if (i >= 0) list.splice(i, 1);
  }

  #dispatch(event, trusted) {
    const e = eventInternals(event);
    if (e.dispatching || !e.initialized) {
      throw new DOMException('The event is already being dispatched or was not initialized', 'InvalidStateError');
    }
    e.trusted = trusted;
    e.dispatching = true;
    e.target = this;
    e.phase = Event.AT_TARGET;
    e.currentTarget = this;
    try {
      this.#invoke(event, e, true);
      this.#invoke(event, e, false);
    } finally {
      e.phase = Event.NONE;
      e.currentTarget = null;
      e.dispatching = false;
      e.stop = false;
      e.stopImmediate = false;
    }
    return !e.canceled;
  }

  #invoke(event, e, capturing) {
    if (e.stop) return;
    const list = this.#listeners.get(event.type);
    if (!list) return;
    for (const listener of list.slice()) {
      if (listener.removed || listener.capture !== capturing) continue;
      if (listener.once) this.#remove(event.type, listener);
      if (listener.passive) e.inPassive = true;
      try {
        const cb = listener.callback;
        if (typeof cb === 'function') {
          cb.call(this, event);
        } else {
          const handleEvent = cb.handleEvent;
          if (typeof handleEvent !== 'function') throw new TypeError("The listener's handleEvent is not a function");
          handleEvent.call(cb, event);
        }
      } catch (err) {
        reportError(err);
      }
      e.inPassive = false;
      if (e.stopImmediate) break;
    }
  }
}
webidlInterface(EventTarget);

function fireEvent(target, event) { return dispatchOn(target, event, true); }

// Gives instances of `cls` an `on<type>` event handler attribute: the handler
// takes its place among the listeners when first set, and is looked up at
// each dispatch.
const eventHandlers = new WeakMap(); // target => Map(type => { value })
function defineEventHandler(cls, type) {
  const name = `on${type}`;
  Object.defineProperty(cls.prototype, name, {
    configurable: true,
    enumerable: true,
    get() {
      if (!(this instanceof cls)) throw new TypeError('Illegal invocation');
      return eventHandlers.get(this)?.get(type)?.value ?? null;
    },
    set(value) {
      if (!(this instanceof cls)) throw new TypeError('Illegal invocation');
      const handler = typeof value === 'function' || (typeof value === 'object' && value !== null) ? value : null;
      let handlers = eventHandlers.get(this);
      if (!handlers) eventHandlers.set(this, handlers = new Map());
      let slot = handlers.get(type);
      if (!slot) {
        if (handler === null) return;
        handlers.set(type, slot = { value: null });
        this.addEventListener(type, function (event) {
          const fn = slot.value;
          if (typeof fn === 'function') fn.call(this, event);
        });
      }
      slot.value = handler;
    },
  });
  // Web IDL names an attribute's accessors `get onabort` and `set onabort`.
  const { get, set } = Object.getOwnPropertyDescriptor(cls.prototype, name);
  Object.defineProperty(get, 'name', { value: `get ${name}` });
  Object.defineProperty(set, 'name', { value: `set ${name}` });
}

defineGlobal('Event', Event);
lazyGlobals(CUSTOM_EVENT, 'CustomEvent');
defineGlobal('EventTarget', EventTarget);
