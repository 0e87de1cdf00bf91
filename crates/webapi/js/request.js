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
// (WorkerSpec::with_base_url); without it they are a TypeError. What
// converts a RequestInit is a group of its own (request_init.js).
//
// Prelude-scope helper for events.js: `requestFromHost(url, method,
// headers, body)` makes a fetch event's Request from parts the host already
// parsed and validated (URL serialized, method normalised, a Headers of the
// host's list, a body record or null), without the constructor's checks.
const NORMALIZED_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];
const FORBIDDEN_METHODS = ['CONNECT', 'TRACE', 'TRACK'];

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
    const { URL } = loadGroup(URLS);
    return base === undefined ? new URL(text) : new URL(text, base);
  } catch {
    const hint = base === undefined ? ' (a Worker has no base URL: use an absolute URL)' : '';
    throw new TypeError(`Invalid URL: '${text}'${hint}`);
  }
}

// A signal that follows `signal`.
const FROM_HOST = Symbol('host request');
let requestFromHost;
// A Request's signal if it has one that can abort (one given to it, or
// followed from the Request it was made from), else null: unlike `signal`,
// never makes one (a fresh signal no one else holds never aborts).
let signalIfAny;
// The JSON text of the fields a server's `[server.cf]` adds to every fetch
// event's `request.cf` (events.js sets it from `init`), or undefined.
let requestCfFields;

function followSignal(signal) {
  if (signal === null || signal === undefined) return null;
  return loadGroup(EVENTS).AbortSignal.any([signal]);
}

class Request {
  #url; #method; #headers; #redirect; #signal; #options;
  // `cf`: undefined, the object a RequestInit gave (or an input Request
  // had), or for a fetch event's request the HTTP protocol it came with,
  // until `cf` is first read and makes the object of it.
  #cf = undefined;

  constructor(input, init = undefined) {
    if (input === FROM_HOST) {
      // A fetch event's request; `init` is [url, method, headers, body, httpProtocol].
      giveBody(this, init[3]);
      this.#cf = init[4];
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
    const o = init === undefined || init === null ? null : loadGroup(REQUEST_INIT).readRequestInit(init);
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
      ? loadGroup(REQUEST_INIT).requestOptions(base, o, method, worker.baseURL) : base;
    const redirect = o !== null && o.redirect !== undefined ? o.redirect : from ? from.#redirect : 'follow';
    let cf = from ? from.#cf : undefined;
    if (o !== null && o.cf !== undefined) cf = o.cf;
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
      // A ReadableStream body without `duplex: 'half'` is taken, as
      // workerd takes it (the standard throws): OpenNext's middleware
      // hands Next.js's POST requests on so.
      ({ body, type } = extractBody(initBody));
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
    this.#cf = cf;
  }

  static {
    requestFromHost = (url, method, headers, body, protocol) =>
      new Request(FROM_HOST, [url, method, headers, body, protocol ?? 'HTTP/1.1']);
    signalIfAny = r => r.#signal;
  }

  // Cloudflare's request metadata. For a fetch event's request, the fields
  // a self-hosted server knows: httpProtocol, and clientAcceptEncoding (the
  // Accept-Encoding the client sent) when there was one. Where the client
  // is (colo, country, asn...) and its TLS (motu speaks plain HTTP) are
  // absent, unless the server's `[server.cf]` gives them (a fresh copy for
  // each request).
  get cf() {
    if (!(#url in this)) throw new TypeError('Illegal invocation');
    if (typeof this.#cf === 'string') {
      const cf = requestCfFields === undefined ? {} : JSON.parse(requestCfFields);
      cf.httpProtocol = this.#cf;
      const encoding = this.#headers.get('accept-encoding');
      if (encoding !== null) cf.clientAcceptEncoding = encoding;
      this.#cf = cf;
    }
    return this.#cf;
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
    if (this.#signal === null) this.#signal = new (loadGroup(EVENTS).AbortController)().signal;
    return this.#signal === null ? undefined : this.#signal;
  }

  clone() {
    const body = bodyOf(this);
    if (bodyIsUnusable(body)) throw new TypeError('Cannot clone a Request whose body has already been used');
    const r = new Request(this.#url, { method: this.#method, headers: this.#headers, redirect: this.#redirect });
    r.#signal = followSignal(this.#signal);
    r.#options = this.#options;
    r.#cf = this.#cf;
    setBodyOf(r, cloneBody(body));
    return r;
  }
  [Symbol.for('motu.inspect')](nested) { return `{ method: ${nested(this.#method)}, url: ${nested(this.#url)}, headers: ${nested(this.#headers)} }`; }
}
mixinBody(Request);
webidlInterface(Request);
defineGlobal('Request', Request);
