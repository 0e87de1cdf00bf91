// URL. Parsing and every setter run in Rust (the `url` crate, through
// `url_parse` and `url_set`); the parts are cached here. URLSearchParams is a
// group of its own (url_search_params.js), loaded when the global is first
// used or a URL's `searchParams` first asked for.
//
// Prelude-scope helper for URLSearchParams: `linkSearchParams(url, query)`
// sets the query of the URL whose `searchParams` changed.
let linkSearchParams; // (url, query) => void

class URL {
  #parts;
  #params = null;

  constructor(url, base = undefined) {
    requireArgs(arguments.length, 1, "Failed to construct 'URL'");
    this.#parts = op('url_parse', toUSVString(url), base === undefined ? undefined : toUSVString(base));
  }

  static canParse(url, base = undefined) {
    requireArgs(arguments.length, 1, 'URL.canParse');
    try { new URL(url, base); return true; } catch { return false; }
  }

  static parse(url, base = undefined) {
    requireArgs(arguments.length, 1, 'URL.parse');
    try { return new URL(url, base); } catch { return null; }
  }

  #set(component, value) {
    this.#parts = op('url_set', this.#parts.href, component, toUSVString(value));
    if (this.#params && component !== 'hash') loadGroup(SEARCH_PARAMS).paramsUpdate(this.#params, this.#parts.search);
  }

  // Called by URLSearchParams when its list changes.
  static #fromParams(url, query) {
    url.#parts = op('url_set', url.#parts.href, 'search', query);
  }

  static { linkSearchParams = (url, query) => URL.#fromParams(url, query); }

  get href() { return this.#parts.href; }
  set href(v) { this.#set('href', v); }
  get origin() { return this.#parts.origin; }
  get protocol() { return this.#parts.protocol; }
  set protocol(v) { this.#set('protocol', v); }
  get username() { return this.#parts.username; }
  set username(v) { this.#set('username', v); }
  get password() { return this.#parts.password; }
  set password(v) { this.#set('password', v); }
  get host() { return this.#parts.host; }
  set host(v) { this.#set('host', v); }
  get hostname() { return this.#parts.hostname; }
  set hostname(v) { this.#set('hostname', v); }
  get port() { return this.#parts.port; }
  set port(v) { this.#set('port', v); }
  get pathname() { return this.#parts.pathname; }
  set pathname(v) { this.#set('pathname', v); }
  get search() { return this.#parts.search; }
  set search(v) { this.#set('search', v); }
  get hash() { return this.#parts.hash; }
  set hash(v) { this.#set('hash', v); }
  get searchParams() {
    if (!this.#params) this.#params = loadGroup(SEARCH_PARAMS).paramsForURL(this, this.#parts.search);
    return this.#params;
  }
  toString() { return this.#parts.href; }
  toJSON() { return this.#parts.href; }
  [Symbol.for('motu.inspect')]() { return `'${this.#parts.href}'`; }
}
webidlInterface(URL);

defineGlobal('URL', URL);
