// Request: an HTTP request as a Worker sees it, or one it builds.
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

class Request extends Body {
  #url; #method; #headers; #redirect;

  constructor(input, init = {}) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'Request': 1 argument required");
    if (init === null || typeof init !== 'object') init = {};
    const from = input instanceof Request ? input : null;
    if (from && from.bodyUsed) throw new TypeError('Cannot construct a Request with a Request whose body has already been used');
    const url = from ? from.#url : new URL(input).href;
    const method = init.method !== undefined ? normalizeMethod(init.method) : from ? from.#method : 'GET';
    let body, type = null;
    if (init.body !== undefined && init.body !== null) {
      ({ source: body, type } = extractBody(init.body));
    } else {
      body = from && init.body === undefined ? bodySource(from) : null;
    }
    if (body !== null && (method === 'GET' || method === 'HEAD')) {
      throw new TypeError('Request with GET/HEAD method cannot have body');
    }
    super(body);
    this.#url = url;
    this.#method = method;
    this.#headers = new Headers(init.headers !== undefined ? init.headers : from ? from.#headers : undefined);
    if (type !== null && !this.#headers.has('content-type')) this.#headers.set('content-type', type);
    headersGuard(this.#headers, 'request');
    const redirect = init.redirect !== undefined ? String(init.redirect) : from ? from.#redirect : 'follow';
    if (!REDIRECT_MODES.includes(redirect)) throw new TypeError(`'${redirect}' is not a valid redirect mode`);
    this.#redirect = redirect;
  }

  get url() { return this.#url; }
  get method() { return this.#method; }
  get headers() { return this.#headers; }
  get redirect() { return this.#redirect; }

  clone() {
    if (this.bodyUsed) throw new TypeError('Cannot clone a Request whose body has already been used');
    return new Request(this);
  }
  [Symbol.for('motu.inspect')](nested) { return `{ method: ${nested(this.#method)}, url: ${nested(this.#url)}, headers: ${nested(this.#headers)} }`; }
}
tag(Request);
defineGlobal('Request', Request);
