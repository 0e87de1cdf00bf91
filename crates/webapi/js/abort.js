// AbortController and AbortSignal (the DOM standard): `abort(reason)`,
// `timeout(ms)`, `any(signals)`, `reason`, `aborted`, `throwIfAborted`,
// `onabort`. Uses no ops (timeouts are `setTimeout`).
//
// Prelude-scope helpers for other Web APIs (fetch, streams):
// - `abortSignalAdd(signal, algorithm)` runs `algorithm()` when `signal`
//   aborts (before its 'abort' event); `abortSignalRemove(signal, algorithm)`
//   forgets it;
// - `createAbortSignal()` makes a signal and `signalAbort(signal, reason)`
//   aborts it (reason undefined: an AbortError DOMException).
let newSignal;      // () => AbortSignal
let signalAbort;    // (signal, reason) => void
let abortSignalAdd; // (signal, algorithm) => void
let abortSignalRemove;

class AbortSignal extends EventTarget {
  #aborted = false;
  #reason = undefined;
  #algorithms = new Set();
  #dependent = false;
  #sources = new Set();    // the signals a dependent signal follows
  #dependents = new Set(); // the dependent signals that follow this one

  constructor(token) {
    if (token !== constructing) throw new TypeError('Illegal constructor');
    super();
  }

  static {
    newSignal = () => new AbortSignal(constructing);
    abortSignalAdd = (signal, algorithm) => { if (!signal.#aborted) signal.#algorithms.add(algorithm); };
    abortSignalRemove = (signal, algorithm) => { signal.#algorithms.delete(algorithm); };
    signalAbort = (signal, reason) => {
      if (signal.#aborted) return;
      signal.#aborted = true;
      signal.#reason = reason === undefined ? new DOMException('signal is aborted without reason', 'AbortError') : reason;
      const toAbort = [];
      for (const dependent of signal.#dependents) {
        if (dependent.#aborted) continue;
        dependent.#aborted = true;
        dependent.#reason = signal.#reason;
        toAbort.push(dependent);
      }
      signal.#runAbortSteps();
      for (const dependent of toAbort) dependent.#runAbortSteps();
    };
  }

  #runAbortSteps() {
    const algorithms = [...this.#algorithms];
    this.#algorithms.clear();
    // An aborted signal no longer links to, or is kept alive by, others.
    for (const source of this.#sources) source.#dependents.delete(this);
    this.#sources.clear();
    this.#dependents.clear();
    for (const algorithm of algorithms) {
      try { algorithm(); } catch (e) { reportError(e); }
    }
    fireEvent(this, new Event('abort'));
  }

  get aborted() { return this.#aborted; }
  get reason() { return this.#reason; }
  throwIfAborted() { if (this.#aborted) throw this.#reason; }

  static abort(reason = undefined) {
    const signal = newSignal();
    signalAbort(signal, reason);
    return signal;
  }

  static timeout(milliseconds) {
    if (arguments.length === 0) throw new TypeError('AbortSignal.timeout needs a number of milliseconds');
    const ms = enforceRangeULongLong(milliseconds, 'milliseconds');
    const signal = newSignal();
    setTimeout(() => signalAbort(signal, new DOMException('signal timed out', 'TimeoutError')), ms);
    return signal;
  }

  static any(signals) {
    if (arguments.length === 0) throw new TypeError('AbortSignal.any needs a sequence of signals');
    if (signals === null || (typeof signals !== 'object' && typeof signals !== 'function') ||
        typeof signals[Symbol.iterator] !== 'function') {
      throw new TypeError('AbortSignal.any: the argument is not iterable');
    }
    const list = [];
    for (const s of signals) {
      if (!(s instanceof AbortSignal)) throw new TypeError('AbortSignal.any: every item must be an AbortSignal');
      list.push(s);
    }
    const result = newSignal();
    for (const s of list) {
      if (s.#aborted) {
        result.#aborted = true;
        result.#reason = s.#reason;
        return result;
      }
    }
    result.#dependent = true;
    for (const s of list) {
      const sources = s.#dependent ? s.#sources : [s];
      for (const source of sources) {
        if (source.#aborted) continue;
        result.#sources.add(source);
        source.#dependents.add(result);
      }
    }
    return result;
  }
}
defineEventHandler(AbortSignal, 'abort');
webidlInterface(AbortSignal, 0);

// WebIDL `[EnforceRange] unsigned long long`.
function enforceRangeULongLong(value, what) {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`${what} must be a finite number`);
  const t = Math.trunc(n);
  if (t < 0 || t > Number.MAX_SAFE_INTEGER) throw new TypeError(`${what} is outside the accepted range`);
  return t;
}

function createAbortSignal() { return newSignal(); }

class AbortController {
  #signal = newSignal();
  get signal() { return this.#signal; }
  abort(reason = undefined) { signalAbort(this.#signal, reason); }
}
webidlInterface(AbortController);

defineGlobal('AbortSignal', AbortSignal);
defineGlobal('AbortController', AbortController);
