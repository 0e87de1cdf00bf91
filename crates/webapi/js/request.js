// Request: an HTTP request as a Worker sees it, or one it builds (Fetch
// standard): method normalisation, a body from any BodyInit or another
// Request (moved, leaving that one used), `redirect`, `duplex` and `signal`
// (an AbortSignal where the prelude has one). Uses no ops; relative URLs
// resolve against the Worker's API base URL, `worker.baseURL` from the
// `init` op (events.js), which a Worker has only when its embedder sets one
// (WorkerSpec::with_base_url); without it they are a TypeError.
//
// Prelude-scope helper for events.js: `requestFromHost(url, method,
// headers, body)` makes a fetch event's Request from parts the host already
// parsed and validated (URL serialized, method normalised, a Headers of the
// host's list, a body record or null), without the constructor's checks.
const NORMALIZED_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];
const FORBIDDEN_METHODS = ['CONNECT', 'TRACE', 'TRACK'];
const REDIRECT_MODES = ['follow', 'error', 'manual'];

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

// A signal that follows `signal` (the same one where AbortSignal.any is missing).
const FROM_HOST = Symbol('host request');
let requestFromHost;

function followSignal(signal) {
  if (signal === null || signal === undefined) return null;
  return typeof AbortSignal === 'function' && typeof AbortSignal.any === 'function' ? AbortSignal.any([signal]) : signal;
}

class Request extends Body {
  #url; #method; #headers; #redirect; #signal;

  constructor(input, init = {}) {
    if (input === FROM_HOST) {
      // A fetch event's request; `init` is [url, method, headers, body].
      super(init[3]);
      this.#url = init[0];
      this.#method = init[1];
      this.#headers = init[2];
      this.#redirect = 'follow';
      this.#signal = null;
      return;
    }
    if (arguments.length === 0) throw new TypeError("Failed to construct 'Request': 1 argument required");
    if (init === undefined || init === null) init = {};
    if (typeof init !== 'object' && typeof init !== 'function') throw new TypeError('The RequestInit must be an object');
    const from = input instanceof Request ? input : null;
    const url = from ? from.#url : parseApiURL(input).href;
    const method = init.method !== undefined ? normalizeMethod(init.method) : from ? from.#method : 'GET';
    const redirect = init.redirect !== undefined ? String(init.redirect) : from ? from.#redirect : 'follow';
    if (!REDIRECT_MODES.includes(redirect)) throw new TypeError(`'${redirect}' is not a valid redirect mode`);
    if (init.duplex !== undefined && String(init.duplex) !== 'half') throw new TypeError(`'${init.duplex}' is not a valid duplex mode`);
    let signal = from ? from.#signal : null;
    if (init.signal !== undefined) {
      if (init.signal !== null && !(init.signal instanceof AbortSignal)) throw new TypeError('signal is not an AbortSignal');
      signal = init.signal;
    }
    const inputBody = from ? bodyOf(from) : null;
    const initBody = init.body;
    const hasInitBody = initBody !== undefined && initBody !== null;
    if ((hasInitBody || (inputBody !== null && initBody === undefined)) && (method === 'GET' || method === 'HEAD')) {
      throw new TypeError('Request with GET/HEAD method cannot have body');
    }
    let body = null, type = null;
    if (hasInitBody) {
      ({ body, type } = extractBody(initBody));
      if (isLoadedReadableStream(initBody) && init.duplex === undefined) {
        throw new TypeError("A ReadableStream request body needs duplex: 'half'");
      }
    } else if (initBody === undefined && inputBody !== null) {
      if (bodyIsUnusable(inputBody)) {
        throw new TypeError('Cannot construct a Request with a Request whose body has already been used');
      }
      body = moveBody(inputBody);
    }
    super(body);
    this.#url = url;
    this.#method = method;
    this.#headers = new Headers(init.headers !== undefined ? init.headers : from ? from.#headers : undefined);
    if (type !== null && !this.#headers.has('content-type')) this.#headers.set('content-type', type);
    headersGuard(this.#headers, 'request');
    this.#redirect = redirect;
    this.#signal = followSignal(signal);
  }

  static {
    requestFromHost = (url, method, headers, body) => new Request(FROM_HOST, [url, method, headers, body]);
  }

  get url() { return this.#url; }
  get method() { return this.#method; }
  get headers() { return this.#headers; }
  get redirect() { return this.#redirect; }
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
    setBodyOf(r, cloneBody(body));
    return r;
  }
  [Symbol.for('motu.inspect')](nested) { return `{ method: ${nested(this.#method)}, url: ${nested(this.#url)}, headers: ${nested(this.#headers)} }`; }
}
webidlInterface(Request);
defineGlobal('Request', Request);
