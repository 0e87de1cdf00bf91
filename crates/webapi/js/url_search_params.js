// URLSearchParams: a query's name-value list (application/x-www-form-urlencoded),
// standalone or a URL's `searchParams`, whose changes go to the URL
// (`linkSearchParams` of url.js). Parsing and serializing run in Rust
// (`form_parse`, `form_serialize` ops). A group of its own, loaded when the
// global is first used or a URL's `searchParams` first asked for.
let paramsForURL; // (url, search) => the URLSearchParams of `url`
let paramsUpdate; // (params, query) => void, when its URL's query changed

class URLSearchParams {
  #list = [];
  #url = null;

  constructor(init = '') {
    if (init instanceof URLSearchParams) {
      this.#list = init.#list.map(([k, v]) => [k, v]);
    } else if (init !== null && typeof init === 'object' || typeof init === 'function') {
      if (typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const p = typeof pair === 'string' ? null : Array.from(pair);
          if (!p || p.length !== 2) throw new TypeError('Each query pair must be an iterable [name, value] tuple');
          this.#list.push([toUSVString(p[0]), toUSVString(p[1])]);
        }
      } else {
        for (const k of Reflect.ownKeys(init)) {
          const d = Reflect.getOwnPropertyDescriptor(init, k);
          if (typeof k === 'string' && d && d.enumerable) this.#list.push([toUSVString(k), toUSVString(init[k])]);
        }
      }
    } else {
      let s = toUSVString(init);
      if (s.startsWith('?')) s = s.slice(1);
      this.#list = op('form_parse', s);
    }
  }

  static {
    paramsForURL = (url, search) => {
      const p = new URLSearchParams(search);
      p.#url = url;
      return p;
    };
    paramsUpdate = (params, search) => {
      params.#list = op('form_parse', search.startsWith('?') ? search.slice(1) : search);
    };
  }

  #changed() {
    if (this.#url) {
      const q = this.toString();
      linkSearchParams(this.#url, q);
    }
  }

  get size() { return this.#list.length; }
  append(name, value) {
    requireArgs(arguments.length, 2, 'URLSearchParams.append');
    this.#list.push([toUSVString(name), toUSVString(value)]); this.#changed(); }
  delete(name, value = undefined) {
    requireArgs(arguments.length, 1, 'URLSearchParams.delete');
    const n = toUSVString(name);
    const v = value === undefined ? undefined : toUSVString(value);
    this.#list = this.#list.filter(([k, x]) => !(k === n && (v === undefined || x === v)));
    this.#changed();
  }
  get(name) {
    requireArgs(arguments.length, 1, 'URLSearchParams.get');
    const n = toUSVString(name);
    const hit = this.#list.find(([k]) => k === n);
    return hit ? hit[1] : null;
  }
  getAll(name) {
    requireArgs(arguments.length, 1, 'URLSearchParams.getAll');
    const n = toUSVString(name);
    return this.#list.filter(([k]) => k === n).map(([, v]) => v);
  }
  has(name, value = undefined) {
    requireArgs(arguments.length, 1, 'URLSearchParams.has');
    const n = toUSVString(name);
    const v = value === undefined ? undefined : toUSVString(value);
    return this.#list.some(([k, x]) => k === n && (v === undefined || x === v));
  }
  set(name, value) {
    requireArgs(arguments.length, 2, 'URLSearchParams.set');
    const n = toUSVString(name), v = toUSVString(value);
    const i = this.#list.findIndex(([k]) => k === n);
    if (i < 0) this.#list.push([n, v]);
    else {
      this.#list[i][1] = v;
      this.#list = this.#list.filter(([k], j) => j <= i || k !== n);
    }
    this.#changed();
  }
  sort() {
    // Stable sort by UTF-16 code units, as the standard asks.
    this.#list = this.#list.map((p, i) => [p, i])
      .sort(([a, i], [b, j]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : i - j))
      .map(([p]) => p);
    this.#changed();
  }
  forEach(callback, thisArg = undefined) {
    if (typeof callback !== 'function') throw new TypeError('callback is not a function');
    for (let i = 0; i < this.#list.length; i++) callback.call(thisArg, this.#list[i][1], this.#list[i][0], this);
  }
  *entries() { for (let i = 0; i < this.#list.length; i++) yield [this.#list[i][0], this.#list[i][1]]; }
  *keys() { for (const [k] of this.entries()) yield k; }
  *values() { for (const [, v] of this.entries()) yield v; }
  [Symbol.iterator]() { return this.entries(); }
  toString() { return op('form_serialize', this.#list); }
  [Symbol.for('motu.inspect')](nested) { return `{ ${this.#list.map(([k, v]) => `${nested(k)} => ${nested(v)}`).join(', ')} }`; }
}
webidlInterface(URLSearchParams);

defineGlobal('URLSearchParams', URLSearchParams);
