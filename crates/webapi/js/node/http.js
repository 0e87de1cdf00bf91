// node:http and node:https — the client (`request`, `get`, `ClientRequest`,
// `IncomingMessage`, `Agent`), over `fetch()` as Cloudflare documents it:
// the request's body is gathered as it is written and sent when `end()` is
// called; the response arrives as an `IncomingMessage` (a Readable of the
// body as the network gives it). Redirects are not followed (Node.js does
// not either). The subrequest limit and the egress policy are fetch()'s.
// `METHODS`, `STATUS_CODES`, `validateHeaderName`/`validateHeaderValue` are
// Node's. The server half (`createServer`, `Server`, `ServerResponse`) is
// node/http_server.js, which adds them to `module`.

const { Readable, Writable } = nodeModule('stream');
const { Buffer } = nodeModule('buffer');
const { nodeError } = nodeGroup('buffer');

const METHODS = ['ACL', 'BIND', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD', 'LINK', 'LOCK',
  'M-SEARCH', 'MERGE', 'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MOVE', 'NOTIFY', 'OPTIONS', 'PATCH', 'POST',
  'PROPFIND', 'PROPPATCH', 'PURGE', 'PUT', 'QUERY', 'REBIND', 'REPORT', 'SEARCH', 'SOURCE', 'SUBSCRIBE',
  'TRACE', 'UNBIND', 'UNLINK', 'UNLOCK', 'UNSUBSCRIBE'];

const STATUS_CODES = {
  100: 'Continue', 101: 'Switching Protocols', 102: 'Processing', 103: 'Early Hints',
  200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information', 204: 'No Content',
  205: 'Reset Content', 206: 'Partial Content', 207: 'Multi-Status', 208: 'Already Reported', 226: 'IM Used',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  305: 'Use Proxy', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
  409: 'Conflict', 410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed', 413: 'Payload Too Large',
  414: 'URI Too Long', 415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 417: 'Expectation Failed',
  418: "I'm a Teapot", 421: 'Misdirected Request', 422: 'Unprocessable Entity', 423: 'Locked',
  424: 'Failed Dependency', 425: 'Too Early', 426: 'Upgrade Required', 428: 'Precondition Required',
  429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout', 505: 'HTTP Version Not Supported', 506: 'Variant Also Negotiates',
  507: 'Insufficient Storage', 508: 'Loop Detected', 509: 'Bandwidth Limit Exceeded', 510: 'Not Extended',
  511: 'Network Authentication Required',
};

const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

function validateHeaderName(name, label = 'Header name') {
  if (typeof name !== 'string' || !name || !TOKEN.test(name)) {
    throw nodeError(TypeError, 'ERR_INVALID_HTTP_TOKEN', `${label} must be a valid HTTP token ["${name}"]`);
  }
}

function validateHeaderValue(name, value) {
  if (value === undefined) {
    throw nodeError(TypeError, 'ERR_HTTP_INVALID_HEADER_VALUE', `Invalid value "${value}" for header "${name}"`);
  }
  if (INVALID_VALUE.test(String(value))) {
    throw nodeError(TypeError, 'ERR_INVALID_CHAR', `Invalid character in header content ["${name}"]`);
  }
}

class Agent {
  constructor(options = {}) {
    this.options = { path: null, ...options };
    this.keepAlive = !!options.keepAlive;
    this.maxSockets = options.maxSockets ?? Infinity;
    this.maxFreeSockets = options.maxFreeSockets ?? 256;
    this.defaultPort = options.defaultPort ?? 80;
    this.protocol = options.protocol ?? 'http:';
    this.requests = {};
    this.sockets = {};
    this.freeSockets = {};
  }
  destroy() {}
  getName(options = {}) { return `${options.host || 'localhost'}:${options.port || ''}:${options.localAddress || ''}`; }
}
const globalAgent = new Agent();

// An incoming message: a response the client half receives, or a request
// the server half hands its handler. `new IncomingMessage(socket)` is
// Node's public constructor (frameworks subclass it to make requests of
// their own: OpenNext's Next.js adapter passes a socket-like object, then
// assigns `method`, `url`, `headers` and its own `_read`); it makes an
// empty message that ends at once. `responseMessage` fills one from a
// fetch Response.
class IncomingMessage extends Readable {
  #socket = null;
  constructor(socket = null) {
    super();
    this.#socket = socket ?? null;
    this.req = null;
    this.statusCode = null;
    this.statusMessage = null;
    this.httpVersion = null;
    this.httpVersionMajor = null;
    this.httpVersionMinor = null;
    this.headers = {};
    this.headersDistinct = {};
    this.rawHeaders = [];
    this.trailers = {};
    this.rawTrailers = [];
    this.aborted = false;
    this.upgrade = null;
    this.complete = false;
    this.url = '';
    this.method = null;
    this._reader = null;
    this._reading = false;
  }
  get socket() { return this.#socket ?? (this.req ? this.req.socket : null); }
  set socket(socket) { this.#socket = socket; }
  get connection() { return this.socket; }
  setTimeout(ms, callback) { if (callback) this.once('timeout', callback); return this; }
  _read() {
    if (this._reading) return;
    if (this._reader === null) {
      this.complete = true;
      this.push(null);
      return;
    }
    this._reading = true;
    this._reader.read().then(({ value, done }) => {
      this._reading = false;
      if (done) {
        this.complete = true;
        this.push(null);
      } else if (this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength))) {
        this._read();
      }
    }, e => {
      this._reading = false;
      this.destroy(e);
    });
  }
  _destroy(err, cb) {
    if (this._reader !== null && !this.complete) this._reader.cancel(err).catch(() => {});
    cb(err);
  }
}

// The IncomingMessage of the fetch Response `response` (its status,
// headers and body), for the ClientRequest `req` (null on the server side,
// where `response` is the Worker's Request).
function responseMessage(response, req) {
  const message = new IncomingMessage(null);
  message.req = req;
  message.statusCode = response.status;
  message.statusMessage = response.statusText || STATUS_CODES[response.status] || '';
  message.httpVersion = '1.1';
  message.httpVersionMajor = 1;
  message.httpVersionMinor = 1;
  for (const [name, value] of response.headers) {
    const values = name === 'set-cookie' ? response.headers.getSetCookie() : [value];
    if (name === 'set-cookie' && message.headers[name]) continue;
    for (const v of values) message.rawHeaders.push(name, v);
    message.headersDistinct[name] = values;
    message.headers[name] = name === 'set-cookie' ? values : value;
  }
  message._reader = response.body === null ? null : response.body.getReader();
  return message;
}

// The URL and options of `request(url?, options?, callback?)`.
function requestOptions(input, options, callback, defaults) {
  if (typeof options === 'function') { callback = options; options = undefined; }
  let base = {};
  if (typeof input === 'string' || input instanceof URL) {
    const u = typeof input === 'string' ? new URL(input) : input;
    base = {
      protocol: u.protocol, hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
      port: u.port === '' ? undefined : Number(u.port), path: `${u.pathname}${u.search}`,
      auth: u.username || u.password ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : undefined,
    };
  } else if (input !== null && typeof input === 'object') {
    options = { ...input, ...(options || {}) };
  } else if (typeof input === 'function') {
    callback = input;
  }
  const o = { ...base, ...(options || {}) };
  const protocol = o.protocol || (o.agent && o.agent.protocol) || defaults.protocol;
  if (protocol !== defaults.protocol) {
    throw nodeError(TypeError, 'ERR_INVALID_PROTOCOL', `Protocol "${protocol}" not supported. Expected "${defaults.protocol}"`);
  }
  let host = o.hostname || o.host || 'localhost';
  if (!o.hostname && typeof o.host === 'string' && /^[^[]*:\d+$/.test(o.host)) host = o.host.split(':')[0];
  const port = o.port || o.defaultPort || defaults.port;
  const path = o.path === undefined || o.path === null ? '/' : String(o.path);
  if (/[\u0000-\u0020]/.test(path)) {
    throw nodeError(TypeError, 'ERR_UNESCAPED_CHARACTERS', 'Request path contains unescaped characters');
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const portPart = Number(port) === defaults.port ? '' : `:${port}`;
  const url = `${protocol}//${shownHost}${portPart}${path.startsWith('/') ? path : `/${path}`}`;
  return { o, url, host: `${shownHost}${portPart}`, callback };
}

class ClientRequest extends Writable {
  #headers = new Map();
  #chunks = [];
  #sent = false;
  #controller = new AbortController();
  #url;

  constructor(input, options, callback, defaults = HTTP) {
    // The request lives on after its body is written: until the response
    // has ended ('close' then), or it is destroyed.
    super({ autoDestroy: false });
    const { o, url, host, callback: cb } = requestOptions(input, options, callback, defaults);
    this.#url = url;
    this.method = String(o.method || 'GET').toUpperCase();
    if (!TOKEN.test(this.method)) throw nodeError(TypeError, 'ERR_INVALID_HTTP_TOKEN', `Method must be a valid HTTP token ["${o.method}"]`);
    this.path = o.path === undefined || o.path === null ? '/' : String(o.path);
    this.host = o.hostname || o.host || 'localhost';
    this.protocol = defaults.protocol;
    this.agent = o.agent === undefined ? defaults.agent : o.agent;
    this.aborted = false;
    this.reusedSocket = false;
    this.maxHeadersCount = null;
    this.socket = null;
    this.res = null;
    const headers = o.headers || {};
    const entries = Array.isArray(headers)
      ? Array.from({ length: headers.length / 2 }, (_, i) => [headers[2 * i], headers[2 * i + 1]])
      : Object.entries(headers);
    for (const [k, v] of entries) this.setHeader(k, v);
    if (!this.hasHeader('host') && o.setHost !== false) this.setHeader('Host', host);
    if (o.auth && !this.hasHeader('authorization')) {
      this.setHeader('Authorization', `Basic ${Buffer.from(String(o.auth)).toString('base64')}`);
    }
    if (typeof cb === 'function') this.once('response', cb);
    if (o.timeout !== undefined) this.setTimeout(o.timeout);
    if (o.signal) {
      if (o.signal.aborted) this.destroy(abortError());
      else o.signal.addEventListener('abort', () => this.destroy(abortError()), { once: true });
    }
  }

  setHeader(name, value) {
    if (this.#sent) throw nodeError(Error, 'ERR_HTTP_HEADERS_SENT', 'Cannot set headers after they are sent to the client');
    validateHeaderName(name);
    validateHeaderValue(name, value);
    this.#headers.set(String(name).toLowerCase(), [String(name), value]);
    return this;
  }
  getHeader(name) { return this.#headers.get(String(name).toLowerCase())?.[1]; }
  getHeaders() {
    const out = { __proto__: null };
    for (const [k, [, v]] of this.#headers) out[k] = v;
    return out;
  }
  getHeaderNames() { return [...this.#headers.keys()]; }
  getRawHeaderNames() { return [...this.#headers.values()].map(([n]) => n); }
  hasHeader(name) { return this.#headers.has(String(name).toLowerCase()); }
  removeHeader(name) {
    if (this.#sent) throw nodeError(Error, 'ERR_HTTP_HEADERS_SENT', 'Cannot remove headers after they are sent to the client');
    this.#headers.delete(String(name).toLowerCase());
  }
  get headersSent() { return this.#sent; }
  flushHeaders() {}
  setNoDelay() {}
  setSocketKeepAlive() {}
  setTimeout(ms, callback) {
    if (callback) this.once('timeout', callback);
    if (this._timer) clearTimeout(this._timer);
    if (ms > 0) this._timer = setTimeout(() => this.emit('timeout'), ms);
    return this;
  }
  abort() {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
    this.destroy();
  }

  _write(chunk, encoding, cb) {
    this.#chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
    cb();
  }

  _final(cb) {
    this.#sent = true;
    const headers = new Headers();
    for (const [, [name, value]] of this.#headers) {
      if (name.toLowerCase() === 'host' || name.toLowerCase() === 'content-length') continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, String(v));
    }
    const body = this.#chunks.length === 0 || this.method === 'GET' || this.method === 'HEAD' ? undefined : Buffer.concat(this.#chunks);
    let sending;
    try {
      sending = fetch(this.#url, { method: this.method, headers, body, redirect: 'manual', signal: this.#controller.signal });
    } catch (e) {
      sending = Promise.reject(e);
    }
    sending.then(response => {
      if (this._timer) clearTimeout(this._timer);
      if (this.destroyed) {
        if (response.body) response.body.cancel().catch(() => {});
        return;
      }
      const res = responseMessage(response, this);
      this.res = res;
      res.on('end', () => this.destroy());
      if (!this.emit('response', res)) res.resume();
    }, e => {
      if (this._timer) clearTimeout(this._timer);
      if (!this.destroyed) this.destroy(requestError(e, this.host));
    });
    cb();
  }

  _destroy(err, cb) {
    if (this._timer) clearTimeout(this._timer);
    if (!this.res || !this.res.complete) this.#controller.abort(err || abortError());
    if (this.res && !this.res.complete) this.res.destroy(err || connectionResetError());
    cb(err);
  }
}

function abortError() {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  e.code = 'ABORT_ERR';
  return e;
}

function connectionResetError() {
  return nodeError(Error, 'ECONNRESET', 'socket hang up');
}

function requestError(e, host) {
  const message = String(e && e.message);
  if (/egress policy|resolve|dns/i.test(message) && !/Too many subrequests/.test(message)) {
    const err = nodeError(Error, 'ENOTFOUND', `getaddrinfo ENOTFOUND ${host}`);
    err.cause = e;
    err.message = `${err.message} (${message})`;
    return err;
  }
  if (/refused/i.test(message)) {
    const err = nodeError(Error, 'ECONNREFUSED', `connect ECONNREFUSED ${host}`);
    err.cause = e;
    return err;
  }
  return e;
}

const HTTP = { protocol: 'http:', port: 80, agent: globalAgent };

function request(input, options, callback) {
  return new ClientRequest(input, options, callback, HTTP);
}

function get(input, options, callback) {
  const req = request(input, options, callback);
  req.end();
  return req;
}

function notImplemented(what) {
  return nodeError(Error, 'ERR_METHOD_NOT_IMPLEMENTED', `The ${what} method is not implemented`);
}
const OutgoingMessage = Writable;

// node:https: the same client with https: URLs and port 443.
const httpsAgent = new Agent({ defaultPort: 443, protocol: 'https:' });
const HTTPS = { protocol: 'https:', port: 443, agent: httpsAgent };
const https = {
  Agent,
  globalAgent: httpsAgent,
  request: (input, options, callback) => new ClientRequest(input, options, callback, HTTPS),
  get(input, options, callback) {
    const req = https.request(input, options, callback);
    req.end();
    return req;
  },
  Server: () => { throw notImplemented('https.Server'); },
  createServer: () => { throw notImplemented('https.createServer'); },
};

const module = {
  METHODS,
  STATUS_CODES,
  Agent,
  ClientRequest,
  IncomingMessage,
  OutgoingMessage,
  validateHeaderName,
  validateHeaderValue,
  get,
  request,
  setMaxIdleHTTPParsers() {},
  maxHeaderSize: 16384,
  globalAgent,
};
