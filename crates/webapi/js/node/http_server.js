// node:http's server half, as Workers have it: a Worker cannot open a port,
// so `server.listen(port)` only records the server under that number, and
// `httpServerHandler({ port })` (or `handleAsNodeRequest`) of the module
// `cloudflare:node` hands the Worker's requests to it. Each request becomes
// an `IncomingMessage` (a Readable of the request's body, `method`, `url`
// as path and query, `headers`, a `socket` that tells the client's address)
// and a `ServerResponse` (a Writable): what the app writes becomes the
// Worker's Response. The head is sent with the first chunk written (or by
// `flushHeaders()`); `res.end(data)` without an earlier write gives a body
// of known length, anything else a streamed one. On only with the
// Worker's `httpServer` setting (see node/setup.js); without it
// `createServer`/`Server` throw as before.
//
// Uses from node/http.js: responseMessage, STATUS_CODES, validateHeaderName,
// validateHeaderValue, notImplemented, Writable, Buffer, nodeError.

const { EventEmitter } = nodeModule('events');
const { ReadableStream } = loadGroup(STREAMS);

// The servers listening, by port: each `{ fetch(request, env, ctx) }`.
const listening = new Map();

// The Response promise of each ServerResponse, settled when its head is sent.
const sentResponses = new WeakMap();

function headersSentError(what) {
  return nodeError(Error, 'ERR_HTTP_HEADERS_SENT', `Cannot ${what} headers after they are sent to the client`);
}

function portOf(value) {
  const port = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (port === undefined || port === null) return 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw nodeError(RangeError, 'ERR_SOCKET_BAD_PORT', `options.port should be >= 0 and < 65536. Received ${String(value)}.`);
  }
  return port;
}

// A port no server of this Worker listens on, for `listen()` without one.
function freePort() {
  for (let port = 32768 + Math.floor(Math.random() * 28000); ; port = port === 65535 ? 1024 : port + 1) {
    if (!listening.has(port)) return port;
  }
}

class Server extends EventEmitter {
  #port = null;

  constructor(options, requestListener) {
    if (!nodeCompat.httpServer) throw notImplemented('http.Server');
    super();
    if (typeof options === 'function') requestListener = options;
    if (typeof requestListener === 'function') this.on('request', requestListener);
    this.timeout = 0;
    this.keepAliveTimeout = 5000;
    this.headersTimeout = 60000;
    this.requestTimeout = 300000;
    this.maxHeadersCount = null;
    this.maxRequestsPerSocket = 0;
  }

  // listen(port?, host?, backlog?, callback?) or listen({ port }, callback?).
  listen(...args) {
    const callback = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
    const first = args[0];
    const port = portOf(first !== null && typeof first === 'object' ? first.port : first);
    if (this.#port !== null) {
      throw nodeError(Error, 'ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.');
    }
    if (port !== 0 && listening.has(port)) {
      throw nodeError(Error, 'EADDRINUSE', `listen EADDRINUSE: address already in use :::${port}`);
    }
    this.#port = port === 0 ? freePort() : port;
    listening.set(this.#port, { fetch: (request, env, ctx) => this.#serve(request, env, ctx) });
    if (callback) this.once('listening', callback);
    queueMicrotask(() => this.emit('listening'));
    return this;
  }

  get listening() { return this.#port !== null; }
  address() { return this.#port === null ? null : { address: '127.0.0.1', family: 'IPv4', port: this.#port }; }

  close(callback) {
    if (this.#port === null) {
      if (typeof callback === 'function') {
        queueMicrotask(() => callback(nodeError(Error, 'ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
      }
      return this;
    }
    listening.delete(this.#port);
    this.#port = null;
    if (typeof callback === 'function') this.once('close', callback);
    queueMicrotask(() => this.emit('close'));
    return this;
  }

  setTimeout(ms, callback) {
    if (typeof ms === 'function') callback = ms;
    else if (typeof ms === 'number') this.timeout = ms;
    if (typeof callback === 'function') this.on('timeout', callback);
    return this;
  }
  getConnections(callback) {
    if (typeof callback === 'function') queueMicrotask(() => callback(null, 0));
    return this;
  }
  closeAllConnections() {}
  closeIdleConnections() {}
  ref() { return this; }
  unref() { return this; }
  [Symbol.asyncDispose]() { return new Promise(resolve => this.close(() => resolve())); }

  // One of the Worker's requests, answered by the app's 'request' listeners.
  #serve(request, env, ctx) {
    const req = incomingRequest(request, this.#port, env, ctx);
    const res = new ServerResponse(req);
    const sent = sentResponses.get(res);
    this.emit('connection', req.socket);
    this.emit('request', req, res);
    return sent;
  }
}

// The stand-in for the request's connection: where it came from.
function requestSocket(request, port) {
  const socket = new EventEmitter();
  const url = new URL(request.url);
  Object.assign(socket, {
    remoteAddress: request.headers.get('cf-connecting-ip') || '127.0.0.1',
    remotePort: 0,
    remoteFamily: 'IPv4',
    localAddress: '127.0.0.1',
    localPort: port,
    encrypted: url.protocol === 'https:',
    readable: true,
    writable: true,
    setTimeout() { return this; },
    setNoDelay() { return this; },
    setKeepAlive() { return this; },
    destroy() { return this; },
    end() { return this; },
    ref() { return this; },
    unref() { return this; },
  });
  return socket;
}

function incomingRequest(request, port, env, ctx) {
  const req = responseMessage(request, null);
  const url = new URL(request.url);
  req.statusCode = null;
  req.statusMessage = null;
  req.method = request.method;
  req.url = `${url.pathname}${url.search}`;
  const socket = requestSocket(request, port);
  Object.defineProperty(req, 'socket', { __proto__: null, value: socket, writable: true, configurable: true });
  req.cloudflare = { env, ctx, cf: request.cf };
  return req;
}

function toBytes(chunk, encoding) {
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding);
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(chunk);
}

// The statuses whose Response has no body.
const BODYLESS = [101, 204, 205, 304];

class ServerResponse extends Writable {
  #headers = new Map();
  #headersSent = false;
  #sent = false;
  #ending = false;
  #pending = [];
  #controller = null;
  #settle;

  constructor(req) {
    super();
    this.req = req;
    this.socket = req && req.socket ? req.socket : null;
    this.statusCode = 200;
    this.statusMessage = undefined;
    this.sendDate = true;
    this.chunkedEncoding = false;
    this.shouldKeepAlive = true;
    sentResponses.set(this, new Promise((resolve, reject) => { this.#settle = { resolve, reject }; }));
  }

  get connection() { return this.socket; }
  get headersSent() { return this.#headersSent; }
  get finished() { return this.writableEnded; }

  setHeader(name, value) {
    if (this.#headersSent) throw headersSentError('set');
    validateHeaderName(name);
    validateHeaderValue(name, value);
    this.#headers.set(String(name).toLowerCase(), [String(name), value]);
    return this;
  }
  appendHeader(name, value) {
    const old = this.getHeader(name);
    if (old === undefined) return this.setHeader(name, value);
    return this.setHeader(name, [].concat(old, value));
  }
  getHeader(name) { return this.#headers.get(String(name).toLowerCase())?.[1]; }
  getHeaders() {
    const out = { __proto__: null };
    for (const [k, [, v]] of this.#headers) out[k] = v;
    return out;
  }
  getHeaderNames() { return [...this.#headers.keys()]; }
  hasHeader(name) { return this.#headers.has(String(name).toLowerCase()); }
  removeHeader(name) {
    if (this.#headersSent) throw headersSentError('remove');
    this.#headers.delete(String(name).toLowerCase());
  }

  writeHead(statusCode, statusMessage, headers) {
    if (this.#headersSent) throw headersSentError('write');
    if (typeof statusMessage !== 'string') {
      headers = statusMessage;
      statusMessage = undefined;
    }
    const code = Number(statusCode);
    if (!Number.isInteger(code) || code < 100 || code > 999) {
      throw nodeError(RangeError, 'ERR_HTTP_INVALID_STATUS_CODE', `Invalid status code: ${statusCode}`);
    }
    this.statusCode = code;
    if (statusMessage !== undefined) this.statusMessage = statusMessage;
    if (Array.isArray(headers)) {
      const pairs = headers.length > 0 && Array.isArray(headers[0])
        ? headers
        : Array.from({ length: headers.length / 2 }, (_, i) => [headers[2 * i], headers[2 * i + 1]]);
      for (const [k, v] of pairs) this.setHeader(k, v);
    } else if (headers) {
      for (const k of Object.keys(headers)) if (headers[k] !== undefined) this.setHeader(k, headers[k]);
    }
    this.#headersSent = true;
    return this;
  }
  flushHeaders() {
    this.#headersSent = true;
    if (!this.#sent) this.#stream();
  }
  writeContinue() {}
  writeProcessing() {}
  writeEarlyHints() {}
  addTrailers() {}
  setTimeout(ms, callback) {
    if (typeof callback === 'function') this.once('timeout', callback);
    return this;
  }

  end(chunk, encoding, callback) {
    // Written with nothing before: the Response gets it whole.
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function' && !this.#sent) this.#ending = true;
    return super.end(chunk, encoding, callback);
  }

  _write(chunk, encoding, callback) {
    this.#headersSent = true;
    const bytes = toBytes(chunk, encoding);
    if (this.#sent) {
      if (this.#controller !== null) this.#controller.enqueue(bytes);
    } else {
      this.#pending.push(bytes);
      if (!this.#ending) queueMicrotask(() => { if (!this.#sent && !this.#ending) this.#stream(); });
    }
    callback();
  }

  _final(callback) {
    this.#headersSent = true;
    if (!this.#sent) {
      const body = this.#pending.length === 0 ? null : Buffer.concat(this.#pending);
      this.#pending = [];
      this.#send(body);
    } else if (this.#controller !== null) {
      this.#controller.close();
    }
    callback();
  }

  _destroy(err, callback) {
    const error = err || nodeError(Error, 'ERR_STREAM_DESTROYED', 'The response was destroyed before it ended');
    if (!this.#sent) {
      this.#sent = true;
      this.#settle.reject(error);
    } else if (this.#controller !== null && !this.writableFinished) {
      try { this.#controller.error(error); } catch {}
    }
    callback(err);
  }

  // Sends the head with a body streamed from what is written from now on.
  #stream() {
    const pending = this.#pending;
    this.#pending = [];
    let controller = null;
    const body = new ReadableStream({ start(c) { controller = c; } });
    for (const bytes of pending) controller.enqueue(bytes);
    this.#controller = controller;
    this.#send(body);
  }

  #send(body) {
    this.#sent = true;
    const headers = new Headers();
    for (const [, [name, value]] of this.#headers) {
      const lower = name.toLowerCase();
      if (lower === 'content-length' && body !== null && !(body instanceof Uint8Array)) continue;
      if (lower === 'transfer-encoding' || lower === 'connection' || lower === 'keep-alive') continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, String(v));
    }
    const status = this.statusCode;
    const bodyless = BODYLESS.includes(status) || (this.req && this.req.method === 'HEAD');
    if (bodyless && this.#controller !== null) {
      this.#controller.close();
      this.#controller = null;
    }
    try {
      const statusText = this.statusMessage ?? STATUS_CODES[status] ?? '';
      this.#settle.resolve(new Response(bodyless ? null : body, { status, statusText, headers }));
    } catch (e) {
      this.#settle.reject(e);
    }
  }
}

function createServer(options, requestListener) {
  return new Server(options, requestListener);
}

Object.assign(module, { Server, ServerResponse, createServer });
