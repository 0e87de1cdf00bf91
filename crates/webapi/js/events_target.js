// Event and EventTarget (the DOM standard; CustomEvent is a group of its own,
// custom_event.js), for targets that are not in a tree: a dispatch runs the capturing listeners, then the others,
// all at the target. Exceptions thrown by listeners are reported, never
// propagated to `dispatchEvent`'s caller.
//
// Prelude-scope helpers for other files: `fireEvent(target, event)` dispatches
// a trusted event; `defineEventHandler(proto, 'abort')` gives a class an
// `onabort` attribute. Ops used: `perf_now` (an event's `timeStamp`).
// The dispatch algorithm's access to an event's private state: plain
// functions (made in Event's static block), so that a dispatch allocates
// nothing of its own.
let beginDispatch; // (event, target, trusted) => the event's type (null when it was stopped before: no listener is called); throws if it cannot
let endDispatch; // event => !canceled, once the dispatch is over
let stopped; // event => whether propagation was stopped
let stoppedImmediately; // event => whether stopImmediatePropagation() was called
let setInPassive; // (event, boolean) => void
let isDispatching; // event => boolean
let isTrustedOf; // event => boolean

// The `timeStamp` of the next event made, when the host gave it (a
// WebSocket message's, read when its turn began), or -1: saves the event a
// call to the host for the clock. `presetEventTimeStamp(t)` sets it; the
// next event made takes it.
let nextTimeStamp = -1;
function presetEventTimeStamp(t) { nextTimeStamp = t; }

// An event's flags, one bit each in its `#flags`: an event costs its
// engine few fields to make.
const BUBBLES = 1;
const CANCELABLE = 2;
const COMPOSED = 4;
const STOP = 8; // the stop propagation flag
const STOP_IMMEDIATE = 16; // the stop immediate propagation flag
const CANCELED = 32; // the canceled flag
const IN_PASSIVE = 64; // in a passive listener
const DISPATCHING = 128; // the dispatch flag
const TRUSTED = 256; // isTrusted

class Event {
  #type; #flags;
  // No tree: an event is only ever at its target, so while it is being
  // dispatched its current target is its target and its phase AT_TARGET,
  // and otherwise null and NONE; both follow from DISPATCHING, and an
  // event costs two fields less.
  #target = null;
  #timeStamp = nextTimeStamp >= 0 ? nextTimeStamp : op('perf_now');

  constructor(type, eventInitDict = undefined) {
    nextTimeStamp = -1;
    if (arguments.length === 0) throw new TypeError("Event constructor: the 'type' argument is required");
    this.#type = typeof type === 'string' ? type : String(type);
    // EventInit as a WebIDL dictionary: undefined, null or an object, its
    // members read in order.
    if (eventInitDict === undefined || eventInitDict === null) {
      this.#flags = 0;
    } else if (typeof eventInitDict === 'object' || typeof eventInitDict === 'function') {
      this.#flags = (eventInitDict.bubbles ? BUBBLES : 0)
        | (eventInitDict.cancelable ? CANCELABLE : 0)
        | (eventInitDict.composed ? COMPOSED : 0);
    } else {
      throw new TypeError('The event init argument must be an object');
    }
    if (defineGetter !== undefined) defineGetter(this, 'isTrusted', isTrustedGetter);
    else Object.defineProperty(this, 'isTrusted', IS_TRUSTED);
  }

  static {
    beginDispatch = (e, target, trusted) => {
      if (!(#type in e)) throw new TypeError("Failed to execute 'dispatchEvent': parameter 1 is not of type 'Event'");
      const flags = e.#flags;
      if (flags & DISPATCHING) {
        throw new DOMException('The event is already being dispatched or was not initialized', 'InvalidStateError');
      }
      e.#flags = (flags & ~TRUSTED) | DISPATCHING | (trusted ? TRUSTED : 0);
      e.#target = target;
      // Stopped before its dispatch: no listener is called.
      return flags & STOP ? null : e.#type;
    };
    endDispatch = e => {
      const flags = e.#flags & ~(DISPATCHING | STOP | STOP_IMMEDIATE);
      e.#flags = flags;
      return (flags & CANCELED) === 0;
    };
    stopped = e => (e.#flags & STOP) !== 0;
    stoppedImmediately = e => (e.#flags & STOP_IMMEDIATE) !== 0;
    setInPassive = (e, v) => { e.#flags = v ? e.#flags | IN_PASSIVE : e.#flags & ~IN_PASSIVE; };
    isDispatching = e => (e.#flags & DISPATCHING) !== 0;
    isTrustedOf = e => (e.#flags & TRUSTED) !== 0;
  }

  get type() { return this.#type; }
  get target() { return this.#target; }
  get srcElement() { return this.#target; }
  get currentTarget() { return this.#flags & DISPATCHING ? this.#target : null; }
  composedPath() { return (this.#flags & DISPATCHING) && this.#target ? [this.#target] : []; }
  get eventPhase() { return this.#flags & DISPATCHING ? 2 : 0; } // AT_TARGET or NONE
  stopPropagation() { this.#flags |= STOP; }
  get cancelBubble() { return (this.#flags & STOP) !== 0; }
  set cancelBubble(value) { const flags = this.#flags; if (value) this.#flags = flags | STOP; }
  stopImmediatePropagation() { this.#flags |= STOP | STOP_IMMEDIATE; }
  get bubbles() { return (this.#flags & BUBBLES) !== 0; }
  get cancelable() { return (this.#flags & CANCELABLE) !== 0; }
  get returnValue() { return (this.#flags & CANCELED) === 0; }
  set returnValue(value) { if (!value) this.#cancel(); }
  preventDefault() { this.#cancel(); }
  #cancel() { if ((this.#flags & (CANCELABLE | IN_PASSIVE)) === CANCELABLE) this.#flags |= CANCELED; }
  get defaultPrevented() { return (this.#flags & CANCELED) !== 0; }
  get composed() { return (this.#flags & COMPOSED) !== 0; }
  get timeStamp() { return this.#timeStamp; }
  initEvent(type, bubbles = false, cancelable = false) {
    if (arguments.length === 0) throw new TypeError("initEvent: the 'type' argument is required");
    if (this.#flags & DISPATCHING) return;
    this.#target = null;
    this.#type = String(type);
    this.#flags = (this.#flags & (COMPOSED | IN_PASSIVE)) | (bubbles ? BUBBLES : 0) | (cancelable ? CANCELABLE : 0);
  }
}
function isTrustedGetter() { return isTrustedOf(this); }
Object.defineProperty(isTrustedGetter, 'name', { value: 'get isTrusted' });
// `isTrusted` is unforgeable: an own accessor of every event (made by the
// engine's defineGetter when it has one: the same property, cheaper).
const IS_TRUSTED = Object.freeze({ __proto__: null, get: isTrustedGetter, enumerable: true, configurable: false });

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
    // The dispatch (no tree: every listener is at the target), made here
    // rather than as a method so that firing an event is one call less;
    // one listener that is not a capturing one, the common case, is called
    // without going over a list.
    dispatchOn = (target, event, trusted) => {
      const type = beginDispatch(event, target, trusted);
      let notCanceled;
      try {
        // Capturing listeners, then the others, all at the target, each
        // pass over the list as it was when the pass began (a listener
        // added meanwhile waits for the next dispatch; one removed is
        // skipped).
        const list = type === null ? undefined : target.#listeners.get(type);
        if (list !== undefined && list.length !== 0) {
          const first = list[0];
          if (list.length === 1 && !first.capture) {
            // The capturing pass calls nothing, and the other pass's copy
            // of the list is this listener (an event stopped before its
            // dispatch has no type here). A plain function that is neither
            // `once` nor passive is called here, without #invokeOne's
            // checks (the pass ends after it whatever it stops).
            const cb = first.callback;
            if (typeof cb === 'function' && !first.once && !first.passive) {
              try {
                cb.call(target, event);
              } catch (err) {
                reportError(err);
              }
            } else {
              target.#invokeOne(event, first, false);
            }
          } else {
            target.#invoke(event, list, true);
            target.#invoke(event, target.#listeners.get(type), false);
          }
        }
      } finally {
        notCanceled = endDispatch(event);
      }
      return notCanceled;
    };
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
    if (!(#listeners in this)) throw new TypeError('Illegal invocation');
    if (arguments.length === 0) throw new TypeError('dispatchEvent needs an event');
    return dispatchOn(this, event, false);
  }

  #remove(type, listener) {
    listener.removed = true;
    const list = this.#listeners.get(type);
    const i = list ? list.indexOf(listener) : -1;
    if (i >= 0) list.splice(i, 1);
  }

  #invoke(event, list, capturing) {
    if (list === undefined || stopped(event)) return;
    const copy = list.slice();
    for (let i = 0; i < copy.length; i++) {
      if (!this.#invokeOne(event, copy[i], capturing)) break;
    }
  }

  // Calls `listener` in the pass of `capturing` listeners: false when
  // propagation stopped (the pass ends).
  #invokeOne(event, listener, capturing) {
    if (listener.removed || listener.capture !== capturing) return true;
    if (listener.once) this.#remove(event.type, listener);
    if (listener.passive) setInPassive(event, true);
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
    if (listener.passive) setInPassive(event, false);
    return !stoppedImmediately(event);
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
defineGlobal('EventTarget', EventTarget);
