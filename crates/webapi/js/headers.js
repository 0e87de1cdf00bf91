// Headers: a case-insensitive, multi-valued list with the Fetch standard's
// name validation, value normalisation and guards. Uses no ops.
//
// Prelude-scope helpers for other files: `headersGuard`, `headersList`,
// `headersFromHost` (adopts a list the host already validated) and
// `headersDefault` (a header the prelude adds when absent: its name is
// already lower-case, its value is normalised here).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HTTP_WS = /^[\t\n\r ]+|[\t\n\r ]+$/g;
// A value that is already normalised: Latin-1 only, no NUL, CR or LF, and
// no leading or trailing HTTP whitespace (checked in one native regex test).
const PLAIN_VALUE = /^(?:[^\0\t\n\r \u0100-\uFFFF](?:[^\0\n\r\u0100-\uFFFF]*[^\0\t\n\r \u0100-\uFFFF])?)?$/;
const FORBIDDEN_RESPONSE = ['set-cookie', 'set-cookie2'];

function normalizeName(name) {
  // A token is a ByteString already: one regex test covers the common case.
  if (typeof name === 'string' && TOKEN.test(name)) return name.toLowerCase();
  const n = toByteString(name, 'Header name');
  if (!TOKEN.test(n)) throw new TypeError(`Invalid header name: '${n}'`);
  return n.toLowerCase();
}

function normalizeValue(value) {
  if (typeof value === 'string' && PLAIN_VALUE.test(value)) return value;
  const v = toByteString(value, 'Header value').replace(HTTP_WS, '');
  if (/[\0\r\n]/.test(v)) throw new TypeError(`Invalid header value: '${v}'`);
  return v;
}

let headersGuard;    // (headers, guard) => void
let headersList;     // headers => [[name, value], …] as sent on the wire
let headersFromHost; // ([[lower-case name, value], …], guard) => Headers owning that list
let headersDefault;  // (headers, lower-case name, value) => void: appended when absent

class Headers {
  #list = [];        // [[lower-case name, value]] in insertion order
  #guard = 'none';   // 'none' | 'immutable' | 'request' | 'response'

  constructor(init = undefined) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      this.#list = init.#list.map(([k, v]) => [k, v]);
    } else if (typeof init === 'object' || typeof init === 'function') {
      if (typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const p = typeof pair === 'string' ? null : Array.from(pair);
          if (!p || p.length !== 2) throw new TypeError('Each header pair must be an iterable [name, value] tuple');
          this.append(p[0], p[1]);
        }
      } else {
        for (const k of Reflect.ownKeys(init)) {
          const d = Reflect.getOwnPropertyDescriptor(init, k);
          if (typeof k === 'string' && d && d.enumerable) this.append(k, init[k]);
        }
      }
    } else {
      throw new TypeError('Headers init must be an object, an iterable of pairs or a Headers');
    }
  }

  static {
    headersGuard = (h, guard) => { h.#guard = guard; };
    headersList = h => h.#list;
    headersFromHost = (list, guard) => {
      const h = new Headers();
      h.#list = list;
      h.#guard = guard;
      return h;
    };
    headersDefault = (h, name, value) => {
      const list = h.#list;
      for (let i = 0; i < list.length; i++) if (list[i][0] === name) return;
      list.push([name, normalizeValue(value)]);
    };
  }

  #check() {
    if (this.#guard === 'immutable') throw new TypeError('Headers are immutable');
  }

  append(name, value) {
    requireArgs(arguments.length, 2, 'Headers.append');
    const n = normalizeName(name), v = normalizeValue(value);
    this.#check();
    this.#list.push([n, v]);
  }
  delete(name) {
    requireArgs(arguments.length, 1, 'Headers.delete');
    const n = normalizeName(name);
    this.#check();
    this.#list = this.#list.filter(([k]) => k !== n);
  }
  get(name) {
    requireArgs(arguments.length, 1, 'Headers.get');
    const n = normalizeName(name);
    const values = this.#list.filter(([k]) => k === n).map(([, v]) => v);
    return values.length ? values.join(', ') : null;
  }
  getSetCookie() {
    return this.#list.filter(([k]) => k === 'set-cookie').map(([, v]) => v);
  }
  has(name) {
    requireArgs(arguments.length, 1, 'Headers.has');
    const n = normalizeName(name);
    return this.#list.some(([k]) => k === n);
  }
  set(name, value) {
    requireArgs(arguments.length, 2, 'Headers.set');
    const n = normalizeName(name), v = normalizeValue(value);
    this.#check();
    const i = this.#list.findIndex(([k]) => k === n);
    if (i < 0) this.#list.push([n, v]);
    else {
      this.#list[i] = [n, v];
      this.#list = this.#list.filter(([k], j) => j <= i || k !== n);
    }
  }
  forEach(callback, thisArg = undefined) {
    if (typeof callback !== 'function') throw new TypeError('callback is not a function');
    for (const [k, v] of this) callback.call(thisArg, v, k, this);
  }
  // Sorted by name, values of one name combined, except set-cookie which
  // stays one entry per value.
  #sorted() {
    const names = [...new Set(this.#list.map(([k]) => k))].sort();
    const out = [];
    for (const n of names) {
      if (n === 'set-cookie') for (const v of this.getSetCookie()) out.push([n, v]);
      else out.push([n, this.get(n)]);
    }
    return out;
  }
  *entries() { yield* this.#sorted(); }
  *keys() { for (const [k] of this.#sorted()) yield k; }
  *values() { for (const [, v] of this.#sorted()) yield v; }
  [Symbol.iterator]() { return this.entries(); }
  [Symbol.for('motu.inspect')](nested) { return `{ ${this.#sorted().map(([k, v]) => `${nested(k)}: ${nested(v)}`).join(', ')} }`; }
}
webidlInterface(Headers);
defineGlobal('Headers', Headers);
