// Request: an HTTP request as a Worker sees it, or one it builds (Fetch
// standard): method normalisation, a body from any BodyInit or another
// Request (moved, leaving that one used), `redirect`, `duplex` and `signal`
// (an AbortSignal where the prelude has one), and the RequestInit members a
// browser acts on (`mode`, `credentials`, `cache`, `referrer`,
// `referrerPolicy`, `integrity`, `keepalive`, `priority`): validated and
// kept as the standard says, copied from an input Request and by clone().
// fetch() (fetch.js) sends `cache`'s request headers and refuses
// `only-if-cached` (there is no HTTP cache); it ignores the others, as
// Cloudflare Workers does. Uses no ops; relative URLs resolve against the
// Worker's API base URL, `worker.baseURL` from the `init` op (events.js),
// which a Worker has only when its embedder sets one
// (WorkerSpec::with_base_url); without it they are a TypeError.
//
// Prelude-scope helper for events.js: `requestFromHost(url, method,
// headers, body)` makes a fetch event's Request from parts the host already
// parsed and validated (URL serialized, method normalised, a Headers of the
// host's list, a body record or null), without the constructor's checks.
const NORMALIZED_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];
const FORBIDDEN_METHODS = ['CONNECT', 'TRACE', 'TRACK'];
const REDIRECT_MODES = ['follow', 'error', 'manual'];
const REQUEST_MODES = ['navigate', 'same-origin', 'no-cors', 'cors'];
const REQUEST_CREDENTIALS = ['omit', 'same-origin', 'include'];
const REQUEST_CACHE = ['default', 'no-store', 'reload', 'no-cache', 'force-cache', 'only-if-cached'];
const REQUEST_PRIORITY = ['high', 'low', 'auto'];
const REFERRER_POLICIES = ['', 'no-referrer', 'no-referrer-when-downgrade', 'same-origin', 'origin',
  'strict-origin', 'origin-when-cross-origin', 'strict-origin-when-cross-origin', 'unsafe-url'];

// The members of a Request's state that only RequestInit sets; shared
// (frozen) between requests until one's init changes them.
const DEFAULT_REQUEST_OPTIONS = Object.freeze({
  mode: 'cors', credentials: 'same-origin', cache: 'default', referrer: 'client', referrerPolicy: '',
  integrity: '', keepalive: false, priority: 'auto', reloadNavigation: false, historyNavigation: false,
});

function normalizeMethod(m) {
  const s = toByteString(m, 'Method');
  if (!TOKEN.test(s)) throw new TypeError(`'${s}' is not a valid HTTP method`);
  const upper = s.toUpperCase();
  if (FORBIDDEN_METHODS.includes(upper)) throw new TypeError(`'${s}' HTTP method is unsupported`);
  return NORMALIZED_METHODS.includes(upper) ? upper : s;
}

// Parses a URL given to Request, fetch() or Response.redirect() against
// the API base URL, if the Worker has one.
function parseApiURL(input) {
  const text = toUSVString(input);
  const base = worker.baseURL;
  try {
    return base === undefined ? new URL(text) : new URL(text, base);
  } catch {
    const hint = base === undefined ? ' (a Worker has no base URL: use an absolute URL)' : '';
    throw new TypeError(`Invalid URL: '${text}'${hint}`);
  }
}

// Web IDL's conversion of a value to one of an enumeration's strings.
function toEnum(value, values, what) {
  const s = String(value);
  if (!values.includes(s)) throw new TypeError(`'${s}' is not a valid value for ${what}`);
  return s;
}

// Converts a RequestInit dictionary as Web IDL does (each member read once,
// in lexicographic order) into `{ present, options, …members }`, or null
// for none.
function readRequestInit(init) {
  if (init === undefined || init === null) return null;
  if (typeof init !== 'object' && typeof init !== 'function') throw new TypeError('The RequestInit must be an object');
  const o = {
    present: false, options: false, body: undefined, cache: undefined, credentials: undefined, duplex: undefined,
    headers: undefined, integrity: undefined, keepalive: undefined, method: undefined, mode: undefined,
    priority: undefined, redirect: undefined, referrer: undefined, referrerPolicy: undefined, signal: undefined,
    window: undefined,
  };
  let v;
  // `options`: a member that requestOptions() acts on was given.
  if ((v = init.body) !== undefined) { o.present = true; o.body = v; }
  if ((v = init.cache) !== undefined) { o.options = true; o.cache = toEnum(v, REQUEST_CACHE, 'cache'); }
  if ((v = init.credentials) !== undefined) { o.options = true; o.credentials = toEnum(v, REQUEST_CREDENTIALS, 'credentials'); }
  if ((v = init.duplex) !== undefined) { o.present = true; o.duplex = toEnum(v, ['half'], 'duplex'); }
  if ((v = init.headers) !== undefined) { o.present = true; o.headers = v; }
  if ((v = init.integrity) !== undefined) { o.options = true; o.integrity = String(v); }
  if ((v = init.keepalive) !== undefined) { o.options = true; o.keepalive = Boolean(v); }
  if ((v = init.method) !== undefined) { o.present = true; o.method = toByteString(v, 'Method'); }
  if ((v = init.mode) !== undefined) { o.options = true; o.mode = toEnum(v, REQUEST_MODES, 'mode'); }
  if ((v = init.priority) !== undefined) { o.options = true; o.priority = toEnum(v, REQUEST_PRIORITY, 'priority'); }
  if ((v = init.redirect) !== undefined) { o.present = true; o.redirect = toEnum(v, REDIRECT_MODES, 'redirect'); }
  if ((v = init.referrer) !== undefined) { o.options = true; o.referrer = toUSVString(v); }
  if ((v = init.referrerPolicy) !== undefined) { o.options = true; o.referrerPolicy = toEnum(v, REFERRER_POLICIES, 'referrerPolicy'); }
  if ((v = init.signal) !== undefined) {
    if (v !== null && !(v instanceof AbortSignal)) throw new TypeError('signal is not an AbortSignal');
    o.present = true; o.signal = v;
  }
  if ((v = init.window) !== undefined) { o.present = true; o.window = v; }
  if (o.options) o.present = true;
  return o;
}

// The request's referrer from RequestInit's `referrer`: 'no-referrer',
// 'client' or a URL of the Worker's own origin (its base URL's).
function parseReferrer(text) {
  if (text === '') return 'no-referrer';
  const base = worker.baseURL;
  let url;
  try {
    url = base === undefined ? new URL(text) : new URL(text, base);
  } catch {
    throw new TypeError(`Invalid referrer URL: '${text}'`);
  }
  if (url.href === 'about:client' || base === undefined || url.origin !== new URL(base).origin) return 'client';
  return url.href;
}

// The options of a request built from `from` (an input Request's, or the
// defaults) changed by the converted init `o` (Fetch standard's Request
// constructor, steps on mode, referrer, policy, credentials, cache, …).
function requestOptions(from, o, method) {
  const opts = { ...from };
  if (opts.mode === 'navigate') opts.mode = 'same-origin';
  opts.reloadNavigation = false;
  opts.historyNavigation = false;
  opts.referrer = 'client';
  opts.referrerPolicy = '';
  if (o.referrer !== undefined) opts.referrer = parseReferrer(o.referrer);
  if (o.referrerPolicy !== undefined) opts.referrerPolicy = o.referrerPolicy;
  if (o.mode === 'navigate') throw new TypeError("A Request's mode cannot be 'navigate'");
  if (o.mode !== undefined) opts.mode = o.mode;
  if (o.credentials !== undefined) opts.credentials = o.credentials;
  if (o.cache !== undefined) opts.cache = o.cache;
  if (opts.cache === 'only-if-cached' && opts.mode !== 'same-origin') {
    throw new TypeError("The 'only-if-cached' cache mode needs the 'same-origin' mode");
  }
  if (o.integrity !== undefined) opts.integrity = o.integrity;
  if (o.keepalive !== undefined) opts.keepalive = o.keepalive;
  if (o.priority !== undefined) opts.priority = o.priority;
  if (opts.mode === 'no-cors' && method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
    throw new TypeError(`'${method}' is not a CORS-safelisted method, as the 'no-cors' mode needs`);
  }
  return Object.freeze(opts);
}

// A signal that follows `signal` (the same one where AbortSignal.any is missing).
const FROM_HOST = Symbol('host request');
let requestFromHost;

function followSignal(signal) {
  if (signal === null || signal === undefined) return null;
  return typeof AbortSignal === 'function' && typeof AbortSignal.any === 'function' ? AbortSignal.any([signal]) : signal;
}

class Request {
  #url; #method; #headers; #redirect; #signal; #options;

  constructor(input, init = undefined) {
    if (input === FROM_HOST) {
      // A fetch event's request; `init` is [url, method, headers, body].
      giveBody(this, init[3]);
      this.#url = init[0];
      this.#method = init[1];
      this.#headers = init[2];
      this.#redirect = 'follow';
      this.#signal = null;
      this.#options = DEFAULT_REQUEST_OPTIONS;
      return;
    }
    if (arguments.length === 0) throw new TypeError("Failed to construct 'Request': 1 argument required");
    const from = input instanceof Request ? input : null;
    const text = from ? null : toUSVString(input);
    const o = readRequestInit(init);
    let url;
    if (from) url = from.#url;
    else {
      const parsed = parseApiURL(text);
      if (parsed.username !== '' || parsed.password !== '') {
        throw new TypeError(`A Request URL cannot have credentials: '${text}'`);
      }
      url = parsed.href;
    }
    if (o !== null && o.window !== undefined && o.window !== null) throw new TypeError("RequestInit's window must be null");
    const method = o !== null && o.method !== undefined ? normalizeMethod(o.method) : from ? from.#method : 'GET';
    // A non-empty init changes an input Request's options; the defaults
    // stay as they are unless an option member is given.
    const base = from ? from.#options : DEFAULT_REQUEST_OPTIONS;
    const options = o !== null && (o.options || (o.present && base !== DEFAULT_REQUEST_OPTIONS))
      ? requestOptions(base, o, method) : base;
    const redirect = o !== null && o.redirect !== undefined ? o.redirect : from ? from.#redirect : 'follow';
    let signal = from ? from.#signal : null;
    if (o !== null && o.signal !== undefined) signal = o.signal;
    const inputBody = from ? bodyOf(from) : null;
    const initBody = o !== null ? o.body : undefined;
    const hasInitBody = initBody !== undefined && initBody !== null;
    if ((hasInitBody || (inputBody !== null && initBody === undefined)) && (method === 'GET' || method === 'HEAD')) {
      throw new TypeError('Request with GET/HEAD method cannot have body');
    }
    let body = null, type = null;
    if (hasInitBody) {
      if (options.keepalive && isLoadedReadableStream(initBody)) {
        throw new TypeError('A keepalive Request cannot have a ReadableStream body');
      }
      ({ body, type } = extractBody(initBody));
      if (isLoadedReadableStream(initBody) && o.duplex === undefined) {
        throw new TypeError("A ReadableStream request body needs duplex: 'half'");
      }
    } else if (initBody === undefined && inputBody !== null) {
      if (bodyIsUnusable(inputBody)) {
        throw new TypeError('Cannot construct a Request with a Request whose body has already been used');
      }
      body = moveBody(inputBody);
    }
    giveBody(this, body);
    this.#url = url;
    this.#method = method;
    this.#headers = new Headers(o !== null && o.headers !== undefined ? o.headers : from ? from.#headers : undefined);
    if (type !== null && !this.#headers.has('content-type')) this.#headers.set('content-type', type);
    headersGuard(this.#headers, 'request');
    this.#redirect = redirect;
    this.#signal = followSignal(signal);
    this.#options = options;
  }

  static {
    requestFromHost = (url, method, headers, body) => new Request(FROM_HOST, [url, method, headers, body]);
  }

  get url() { return this.#url; }
  get method() { return this.#method; }
  get headers() { return this.#headers; }
  get destination() {
    if (!(#url in this)) throw new TypeError('Illegal invocation');
    return '';
  }
  get referrer() {
    const r = this.#options.referrer;
    return r === 'no-referrer' ? '' : r === 'client' ? 'about:client' : r;
  }
  get referrerPolicy() { return this.#options.referrerPolicy; }
  get mode() { return this.#options.mode; }
  get credentials() { return this.#options.credentials; }
  get cache() { return this.#options.cache; }
  get redirect() { return this.#redirect; }
  get integrity() { return this.#options.integrity; }
  get keepalive() { return this.#options.keepalive; }
  get isReloadNavigation() { return this.#options.reloadNavigation; }
  get isHistoryNavigation() { return this.#options.historyNavigation; }
  get duplex() {
    if (!(#url in this)) throw new TypeError('Illegal invocation');
    return 'half';
  }
  get signal() {
    if (this.#signal === null && typeof AbortController === 'function') this.#signal = new AbortController().signal;
    return this.#signal === null ? undefined : this.#signal;
  }

  clone() {
    const body = bodyOf(this);
    if (bodyIsUnusable(body)) throw new TypeError('Cannot clone a Request whose body has already been used');
    const r = new Request(this.#url, { method: this.#method, headers: this.#headers, redirect: this.#redirect });
    r.#signal = followSignal(this.#signal);
    r.#options = this.#options;
    setBodyOf(r, cloneBody(body));
    return r;
  }
  [Symbol.for('motu.inspect')](nested) { return `{ method: ${nested(this.#method)}, url: ${nested(this.#url)}, headers: ${nested(this.#headers)} }`; }
}
mixinBody(Request);
webidlInterface(Request);
defineGlobal('Request', Request);
