// URLPattern, over the `urlpattern_compile(input, baseURL, ignoreCase)` and
// `urlpattern_exec(patternInput, patternBase, ignoreCase, input, baseURL)`
// ops. The pattern keeps what it was constructed from; the ops compile it.
const URL_PATTERN_FIELDS = ['protocol', 'username', 'password', 'hostname', 'port', 'pathname', 'search', 'hash', 'baseURL'];

// A URLPatternInit dictionary with its string members converted.
function urlPatternInit(value) {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object') throw new TypeError('URLPattern: the input must be a string or a URLPatternInit');
  const init = {};
  for (const field of URL_PATTERN_FIELDS) {
    if (value[field] !== undefined) init[field] = toUSVString(value[field]);
  }
  return init;
}

const urlPatternInput = value => (typeof value === 'string' ? value : urlPatternInit(value));

class URLPattern {
  #input; #base; #ignoreCase; #parts;
  constructor(input = {}, baseURL = undefined, options = undefined) {
    if (typeof baseURL === 'object' && baseURL !== null) {
      options = baseURL;
      baseURL = undefined;
    }
    this.#input = urlPatternInput(input);
    this.#base = baseURL === undefined ? undefined : toUSVString(baseURL);
    this.#ignoreCase = Boolean(options && options.ignoreCase);
    this.#parts = op('urlpattern_compile', this.#input, this.#base, this.#ignoreCase);
  }
  get protocol() { return this.#parts.protocol; }
  get username() { return this.#parts.username; }
  get password() { return this.#parts.password; }
  get hostname() { return this.#parts.hostname; }
  get port() { return this.#parts.port; }
  get pathname() { return this.#parts.pathname; }
  get search() { return this.#parts.search; }
  get hash() { return this.#parts.hash; }
  get hasRegExpGroups() { return this.#parts.hasRegExpGroups; }
  test(input = {}, baseURL = undefined) { return this.exec(input, baseURL) !== null; }
  exec(input = {}, baseURL = undefined) {
    const base = baseURL === undefined ? undefined : toUSVString(baseURL);
    const result = op('urlpattern_exec', this.#input, this.#base, this.#ignoreCase, urlPatternInput(input), base);
    if (result === null) return null;
    result.inputs = base === undefined ? [input] : [input, base];
    return result;
  }
}
webidlInterface(URLPattern);
defineGlobal('URLPattern', URLPattern);
