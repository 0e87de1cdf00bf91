// Headers: a case-insensitive, multi-valued list with the Fetch standard's
// name validation, value normalisation and guards; init from a Headers, a
// sequence of pairs or a record as Web IDL converts them; live iterators
// over the sorted, combined list. Uses no ops.
//
// Prelude-scope helpers for other files: `headersGuard`, `headersList`,
// `headersSorted`, `headersFromHost` (adopts a list the host already
// validated) and `headersDefault` (a header the prelude adds when absent: its
// name is already lower-case, its value is normalised here).
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
let headersList;     // headers => [[name, value], ...] as sent on the wire
let headersSorted;   // headers => the sorted and combined list iteration walks
let headersFromHost; // ([[lower-case name, value], ...], guard) => Headers owning that list
let headersDefault;  // (headers, lower-case name, value) => void: appended when absent

class Headers {
  #list = [];        // [[lower-case name, value]] in insertion order
  #guard = 'none';   // 'none' | 'immutable' | 'request' | 'response'
  #sortedCache = null; // #sorted()'s result while the list is unchanged

  constructor(init = undefined) {
    if (init === undefined) return;
    if (init === null || (typeof init !== 'object' && typeof init !== 'function')) {
      throw new TypeError('Headers init must be an object, an iterable of pairs or a Headers');
    }
    // Web IDL's union (sequence<sequence<ByteString>> or record<ByteString,
    // ByteString>): @@iterator is read once and decides; both are converted
    // whole before any header is appended.
    const method = init[Symbol.iterator];
    if (method !== undefined && method !== null) {
      if (typeof method !== 'function') throw new TypeError('Headers init has a non-callable @@iterator');
      if (#list in init && method === HEADERS_ENTRIES) {
        this.#list = init.#list.map(([k, v]) => [k, v]);
        return;
      }
      const pairs = [];
      for (const pair of { [Symbol.iterator]() { return method.call(init); } }) {
        if (pair === null || (typeof pair !== 'object' && typeof pair !== 'function')) {
          throw new TypeError('Each header pair must be an iterable [name, value] tuple');
        }
        if (typeof pair[Symbol.iterator] !== 'function') throw new TypeError('Each header pair must be an iterable [name, value] tuple');
        pairs.push([...pair].map(v => toByteString(v, 'Header')));
      }
      for (const p of pairs) {
        if (p.length !== 2) throw new TypeError('Each header pair must be an iterable [name, value] tuple');
        this.append(p[0], p[1]);
      }
    } else {
      const record = new Map();
      for (const k of Reflect.ownKeys(init)) {
        const d = Reflect.getOwnPropertyDescriptor(init, k);
        if (d === undefined || !d.enumerable) continue;
        const name = toByteString(k, 'Header name');
        record.set(name, toByteString(init[k], 'Header value'));
      }
      for (const [k, v] of record) this.append(k, v);
    }
  }

  static {
    headersGuard = (h, guard) => { h.#guard = guard; };
    headersList = h => h.#list;
    headersSorted = h => h.#sorted();
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
      h.#sortedCache = null;
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
    this.#sortedCache = null;
  }
  delete(name) {
    requireArgs(arguments.length, 1, 'Headers.delete');
    const n = normalizeName(name);
    this.#check();
    this.#list = this.#list.filter(([k]) => k !== n);
    this.#sortedCache = null;
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
    this.#sortedCache = null;
  }
  forEach(callback, thisArg = undefined) {
    if (typeof callback !== 'function') throw new TypeError('callback is not a function');
    for (let i = 0; i < this.#sorted().length; i++) {
      const [k, v] = this.#sorted()[i];
      callback.call(thisArg, v, k, this);
    }
  }
  // Sorted by name, values of one name combined, except set-cookie which
  // stays one entry per value; kept until the list changes.
  #sorted() {
    if (this.#sortedCache !== null) return this.#sortedCache;
    const byName = new Map();
    for (const [k, v] of this.#list) {
      const values = byName.get(k);
      if (values === undefined) byName.set(k, [v]);
      else values.push(v);
    }
    const out = [];
    for (const n of [...byName.keys()].sort()) {
      const values = byName.get(n);
      if (n === 'set-cookie') for (const v of values) out.push([n, v]);
      else out.push([n, values.join(', ')]);
    }
    return (this.#sortedCache = out);
  }
  entries() { return makeHeadersIterator(this, 'entries'); }
  keys() { return makeHeadersIterator(this, 'keys'); }
  values() { return makeHeadersIterator(this, 'values'); }
  [Symbol.iterator]() { return this.entries(); }
  [Symbol.for('motu.inspect')](nested) { return `{ ${this.#sorted().map(([k, v]) => `${nested(k)}: ${nested(v)}`).join(', ')} }`; }
}
webidlInterface(Headers);
const HEADERS_ENTRIES = Headers.prototype.entries;

// Headers Iterator (Web IDL's default iterator for a pair iterable): live,
// it walks the sorted list as it is at each next().
class HeadersIterator {
  #headers; #kind; #index = 0;
  constructor(headers, kind) { this.#headers = headers; this.#kind = kind; }
  next() {
    if (!(#index in this)) throw new TypeError('next called on an object that is not a Headers Iterator');
    const list = headersSorted(this.#headers);
    if (this.#index >= list.length) return { value: undefined, done: true };
    const [k, v] = list[this.#index++];
    return { value: this.#kind === 'keys' ? k : this.#kind === 'values' ? v : [k, v], done: false };
  }
}
const makeHeadersIterator = (headers, kind) => new HeadersIterator(headers, kind);
Object.setPrototypeOf(HeadersIterator.prototype, Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())));
delete HeadersIterator.prototype.constructor;
Object.defineProperty(HeadersIterator.prototype, 'next', { enumerable: true });
tag(HeadersIterator, 'Headers Iterator');
defineGlobal('Headers', Headers);
