// performance (`now()`, `timeOrigin`, `toJSON()`) and navigator
// (`userAgent`, `hardwareConcurrency`), with their interfaces Performance and
// Navigator. A group of its own, loaded when one of these globals is first
// used.
//
// Ops used: `perf_now()` (milliseconds since the isolate started,
// coarsened) and `perf_time_origin()`.
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
  // As on Workers: libraries tell the runtime by it. motu's own version is
  // in `motu --version`.
  get userAgent() { return this.#userAgent ??= 'Cloudflare-Workers'; }
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
