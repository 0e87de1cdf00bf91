// The small globals: atob and btoa (forgiving-base64), performance
// (`now()`, `timeOrigin`, `toJSON()`) and navigator (`userAgent`,
// `hardwareConcurrency`).
//
// Ops used: `base64_encode(latin1)` and `base64_decode(string)` (both fail
// with an error named InvalidCharacterError), `perf_now()` (milliseconds
// since the isolate started, coarsened), `perf_time_origin()` and
// `user_agent()`.

// Runs an op, turning an error it names as a DOMException into one.
function opDOMException(name, ...args) {
  try {
    return op(name, ...args);
  } catch (e) {
    if (e && e.name !== 'TypeError' && e.name !== 'RangeError' && e.name !== 'Error') {
      throw new DOMException(e.message, e.name);
    }
    throw e;
  }
}

defineGlobal('btoa', function btoa(data) {
  if (arguments.length === 0) throw new TypeError('btoa needs an argument');
  return opDOMException('base64_encode', String(data));
});
defineGlobal('atob', function atob(data) {
  if (arguments.length === 0) throw new TypeError('atob needs an argument');
  return opDOMException('base64_decode', String(data));
});

class Performance extends EventTarget {
  #timeOrigin = undefined;
  constructor(token) {
    if (token !== constructing) throw new TypeError('Illegal constructor');
    super();
  }
  now() {
    if (!(#timeOrigin in this)) throw new TypeError('Illegal invocation');
    return op('perf_now');
  }
  get timeOrigin() { return this.#timeOrigin ??= op('perf_time_origin'); }
  toJSON() { return { timeOrigin: this.#timeOrigin ??= op('perf_time_origin') }; }
}
webidlInterface(Performance, 0);

class Navigator {
  #userAgent = undefined;
  constructor(token) {
    if (token !== constructing) throw new TypeError('Illegal constructor');
  }
  get userAgent() { return this.#userAgent ??= op('user_agent'); }
  get hardwareConcurrency() {
    if (!(#userAgent in this)) throw new TypeError('Illegal invocation');
    return 1;
  }
}
webidlInterface(Navigator, 0);

defineGlobal('Performance', Performance);
defineGlobal('performance', new Performance(constructing));
defineGlobal('Navigator', Navigator);
defineGlobal('navigator', new Navigator(constructing));

// `self` names the global scope, as in every Web worker.
Object.defineProperty(globalThis, 'self', {
  get() { return globalThis; },
  set(value) { Object.defineProperty(globalThis, 'self', { value, writable: true, configurable: true, enumerable: true }); },
  configurable: true,
  enumerable: true,
});
