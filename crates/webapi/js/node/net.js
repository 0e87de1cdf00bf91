// node:net — TCP client sockets over the host's `cloudflare:sockets`
// connections (runtime/src/sockets), as Cloudflare documents node:net:
// `Socket` (a Duplex), `connect`/`createConnection`, `isIP`/`isIPv4`/
// `isIPv6`, `SocketAddress`, `BlockList`; `Server`/`createServer` throw, as
// on Workers (a Worker cannot listen). The egress policy and the event's
// subrequest count apply where the host connects; a socket lives no longer
// than its event.
//
// A Socket reads through the host body stream the connection pumps into
// (`body_read`: a chunk, or null at the peer's end) and writes with
// `socket_write`; `end()` sends a FIN (`socket_shutdown`), `destroy()`
// closes both sides (`socket_close`). The host keeps the connection open
// when the peer ends its side: whether this side ends too is the Duplex's
// `allowHalfOpen` (false by default, as in Node.js).
//
// node:tls (tls.js) builds on the `Socket` here: `socketInternals` gives it
// the way to open a connection with TLS and to take one over for
// `startTls()`.

const { Duplex } = nodeModule('stream');
const { Buffer } = nodeModule('buffer');
const { nodeError, invalidArgType } = nodeGroup('buffer');

// Runs `ok` or `fail` once `p` settles. What they throw is not swallowed:
// it rejects the derived promise, which the runtime reports as unhandled
// (as Node.js reports an exception thrown by an event listener).
function settle(p, ok, fail) {
  promiseThen.call(p, ok, fail);
}

// --- addresses -------------------------------------------------------------

const IPV4_PART = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)$/;

function isIPv4(input) {
  const s = String(input);
  const parts = s.split('.');
  return parts.length === 4 && parts.every(p => IPV4_PART.test(p));
}

function isIPv6(input) {
  let s = String(input);
  const zone = s.indexOf('%');
  if (zone >= 0) {
    // A zone index: anything but nothing, after the address.
    if (zone === s.length - 1) return false;
    s = s.slice(0, zone);
  }
  if (s.length === 0) return false;
  let groups = s.split(':');
  // An IPv4 tail counts as two groups.
  let tail = 0;
  if (groups[groups.length - 1].includes('.')) {
    if (!isIPv4(groups[groups.length - 1])) return false;
    groups = groups.slice(0, -1);
    groups.push('x');
    tail = 1;
  }
  const hex = /^[0-9a-fA-F]{1,4}$/;
  const compressed = s.indexOf('::');
  if (compressed >= 0) {
    if (s.indexOf('::', compressed + 1) >= 0) return false;
    const [before, after] = s.split('::');
    const count = list => (list === '' ? [] : list.split(':'));
    const left = count(before);
    let right = count(after);
    if (tail) right = right.slice(0, -1);
    if (left.some(g => !hex.test(g)) || right.some(g => !hex.test(g))) return false;
    return left.length + right.length + tail * 2 <= 7;
  }
  if (groups.length + tail !== 8) return false;
  return groups.every((g, i) => (tail && i === groups.length - 1) || hex.test(g));
}

function isIP(input) {
  if (isIPv4(input)) return 4;
  if (isIPv6(input)) return 6;
  return 0;
}

// `host:port` as the host reports addresses: `[v6]:port` or `v4:port`.
function splitAddress(text) {
  const colon = text.lastIndexOf(':');
  let address = text.slice(0, colon);
  if (address.startsWith('[')) address = address.slice(1, -1);
  return { address, port: Number(text.slice(colon + 1)), family: isIPv6(address) ? 'IPv6' : 'IPv4' };
}

// --- errors ----------------------------------------------------------------

// A system error as Node.js gives them for what the host reported.
function connectError(e, host, port) {
  const message = String(e && e.message);
  const known = [
    [/Connection refused/i, 'ECONNREFUSED', -111],
    [/timed out/i, 'ETIMEDOUT', -110],
    [/cannot resolve/i, 'ENOTFOUND', -3008],
    [/Connection reset/i, 'ECONNRESET', -104],
    [/unreachable/i, 'EHOSTUNREACH', -113],
  ];
  for (const [pattern, code, errno] of known) {
    if (pattern.test(message)) {
      const verb = code === 'ENOTFOUND' ? 'getaddrinfo' : 'connect';
      const err = nodeError(Error, code, code === 'ENOTFOUND' ? `${verb} ${code} ${host}` : `${verb} ${code} ${host}:${port}`);
      Object.assign(err, { errno, syscall: verb, address: host, port, cause: e });
      if (code === 'ENOTFOUND') { err.hostname = host; delete err.port; }
      return err;
    }
  }
  return e instanceof Error ? e : new Error(message);
}

function socketClosedError() {
  return nodeError(Error, 'ERR_SOCKET_CLOSED', 'Socket is closed');
}

// --- Socket ----------------------------------------------------------------

// What a Socket knows of its connection, by socket.
const conns = new WeakMap();

class SocketImpl extends Duplex {
  constructor(options = undefined) {
    if (typeof options === 'number') options = { fd: options };
    options = options === undefined || options === null ? {} : options;
    if (options.fd !== undefined) {
      throw nodeError(Error, 'ERR_METHOD_NOT_IMPLEMENTED', 'The socket option fd is not implemented');
    }
    super({
      allowHalfOpen: options.allowHalfOpen === true,
      highWaterMark: options.highWaterMark,
      readableHighWaterMark: options.readableHighWaterMark,
      writableHighWaterMark: options.writableHighWaterMark,
      signal: options.signal,
      emitClose: true,
      autoDestroy: true,
      decodeStrings: true,
    });
    conns.set(this, {
      id: null, handle: null, reading: false, wantRead: false, pendingWrite: null,
      timeout: 0, timer: null, upgrading: false, tls: false, servername: undefined, ca: null,
    });
    this.connecting = false;
    this.bytesRead = 0;
    this._bytesWritten = 0;
    this.remoteAddress = undefined;
    this.remotePort = undefined;
    this.remoteFamily = undefined;
    this.localAddress = undefined;
    this.localPort = undefined;
    this.localFamily = undefined;
    this.timeout = 0;
    this._host = null;
    if (options.timeout) this.setTimeout(options.timeout);
  }

  get bytesWritten() { return this._bytesWritten; }
  get pending() { return conns.get(this).id === null; }
  get readyState() {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }

  connect(...args) {
    const [options, callback] = normalizeConnectArgs(args);
    if (options.path !== undefined) {
      throw nodeError(Error, 'ERR_METHOD_NOT_IMPLEMENTED', 'Unix domain sockets are not implemented');
    }
    const host = options.host === undefined || options.host === null ? 'localhost' : String(options.host);
    const port = validatePort(options.port);
    if (this.connecting || !this.pending) {
      throw nodeError(Error, 'ERR_SOCKET_CONNECTING', 'Socket is already connecting');
    }
    if (typeof callback === 'function') this.once('connect', callback);
    this._host = host;
    this.connecting = true;
    const c = conns.get(this);
    let opening;
    try {
      opening = opAsync('socket_connect', host, port, c.tls, true, c.servername ?? null, c.ca ?? null);
    } catch (e) {
      // The subrequest limit, or no event to belong to.
      opening = promiseRejectedWith(e);
    }
    startConnection(this, opening, host, port, false);
    return this;
  }

  _read() {
    const c = conns.get(this);
    c.wantRead = true;
    if (c.id !== null) pull(this);
  }

  _write(chunk, encoding, cb) {
    this._writev([{ chunk, encoding }], cb);
  }

  _writev(chunks, cb) {
    const c = conns.get(this);
    if (c.id === null) {
      if (this.connecting) {
        // Written before the connection is made: sent once it is.
        c.pendingWrite = [chunks, cb];
        return;
      }
      cb(socketClosedError());
      return;
    }
    const parts = chunks.map(({ chunk, encoding }) => (typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk));
    const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    touch(this);
    settle(opAsync('socket_write', c.id, bytes), () => {
      this._bytesWritten += bytes.byteLength;
      touch(this);
      cb();
    }, e => cb(e));
  }

  _final(cb) {
    const c = conns.get(this);
    if (c.id === null) {
      if (this.connecting) {
        this.once('connect', () => this._final(cb));
        return;
      }
      cb();
      return;
    }
    settle(opAsync('socket_shutdown', c.id), () => cb(), e => cb(e));
  }

  _destroy(err, cb) {
    const c = conns.get(this);
    this.connecting = false;
    clearIdle(c);
    if (c.id !== null) {
      op('socket_close', c.id);
      c.id = null;
    }
    if (c.pendingWrite) {
      const [, writeCb] = c.pendingWrite;
      c.pendingWrite = null;
      writeCb(err || socketClosedError());
    }
    cb(err);
  }

  address() {
    if (this.localAddress === undefined) return {};
    return { address: this.localAddress, family: this.localFamily, port: this.localPort };
  }

  setTimeout(ms, callback) {
    const c = conns.get(this);
    ms = Number(ms);
    if (!Number.isFinite(ms) || ms < 0) throw invalidArgType('msecs', 'of type number', ms);
    this.timeout = ms;
    c.timeout = ms;
    if (typeof callback === 'function') {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    touch(this);
    return this;
  }

  setNoDelay() { return this; }
  setKeepAlive() { return this; }
  ref() { return this; }
  unref() { return this; }
  destroySoon() {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }
  resetAndDestroy() { return this.destroy(); }
}

function normalizeConnectArgs(args) {
  if (args.length === 0) return [{}, undefined];
  const last = args[args.length - 1];
  const callback = typeof last === 'function' ? last : undefined;
  const first = args[0];
  if (first !== null && typeof first === 'object') return [first, callback];
  if (typeof first === 'string' && !/^\d+$/.test(first)) return [{ path: first }, callback];
  const options = { port: first };
  if (typeof args[1] === 'string') options.host = args[1];
  return [options, callback];
}

function validatePort(port) {
  const n = typeof port === 'string' && port.trim() !== '' ? Number(port) : port;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw nodeError(RangeError, 'ERR_SOCKET_BAD_PORT', `Port should be >= 0 and < 65536. Received ${typeof port === 'string' ? `type string ('${port}')` : `type ${typeof port} (${String(port)})`}.`);
  }
  return n;
}

// Takes `opening` (a promise of `[id, readable, remoteAddress,
// localAddress]`) as socket `s`'s connection: `connect`, or for TLS
// `secureConnect`, once it is made.
function startConnection(s, opening, host, port, upgraded) {
  const c = conns.get(s);
  s.connecting = true;
  settle(opening, answer => {
    const [id, handle, remote, local] = answer;
    // The TLS server's certificates (DER), its own first.
    c.peerCertificates = upgraded ? answer[2] : answer[4];
    if (s.destroyed) {
      op('socket_close', id);
      return;
    }
    c.id = id;
    c.handle = handle;
    s.connecting = false;
    if (!upgraded) {
      const r = splitAddress(remote);
      const l = splitAddress(local);
      Object.assign(s, {
        remoteAddress: r.address, remotePort: r.port, remoteFamily: r.family,
        localAddress: l.address, localPort: l.port, localFamily: l.family,
      });
    }
    touch(s);
    if (c.tls) {
      s.encrypted = true;
      s.authorized = true;
      s.authorizationError = null;
      s.emit('connect');
      s.emit('secureConnect');
      s.emit('secure');
    } else {
      s.emit('connect');
    }
    s.emit('ready');
    if (c.pendingWrite) {
      const [chunks, cb] = c.pendingWrite;
      c.pendingWrite = null;
      s._writev(chunks, cb);
    }
    if (c.wantRead) pull(s);
  }, e => {
    s.connecting = false;
    s.destroy(connectError(e, host, port));
  });
}

// Reads the next chunk of `s`'s connection into the stream.
function pull(s) {
  const c = conns.get(s);
  if (c.reading || c.id === null || c.handle === null) return;
  c.reading = true;
  c.wantRead = false;
  const handle = c.handle;
  settle(opAsync('body_read', handle), chunk => {
    c.reading = false;
    // A socket taken over for TLS stops reading its plain connection.
    if (c.handle !== handle || s.destroyed) return;
    if (chunk === null) {
      clearIdle(c);
      s.push(null);
      return;
    }
    s.bytesRead += chunk.byteLength;
    touch(s);
    if (s.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) pull(s);
  }, e => {
    c.reading = false;
    if (c.handle !== handle || s.destroyed) return;
    const err = /reset/i.test(String(e && e.message)) ? nodeError(Error, 'ECONNRESET', 'read ECONNRESET') : e;
    s.destroy(err);
  });
}

// Activity on `s`: its idle timer starts again.
function touch(s) {
  const c = conns.get(s);
  clearIdle(c);
  if (c.timeout > 0 && !s.destroyed) {
    c.timer = setTimeout(() => {
      c.timer = null;
      s.emit('timeout');
    }, c.timeout);
  }
}

function clearIdle(c) {
  if (c.timer !== null) {
    clearTimeout(c.timer);
    c.timer = null;
  }
}

// `new net.Socket()` and `net.Socket()` both make a socket, as in Node.js.
function Socket(options) {
  return Reflect.construct(SocketImpl, [options], new.target || Socket);
}
Socket.prototype = SocketImpl.prototype;
Object.defineProperty(SocketImpl.prototype, 'constructor', { value: Socket, writable: true, configurable: true });
Object.setPrototypeOf(Socket, SocketImpl);
const Stream = Socket;

function connect(...args) {
  const [options, callback] = normalizeConnectArgs(args);
  const s = new Socket(options);
  if (options.timeout) s.setTimeout(options.timeout);
  return s.connect(options, callback);
}

// --- what node:tls uses ------------------------------------------------------

const socketInternals = {
  // The DER certificates the TLS server of `s` sent (its own first): empty
  // before the handshake or without TLS.
  peerCertificates(s) {
    return conns.get(s)?.peerCertificates ?? [];
  },
  // Makes `s` (a new Socket) connect with TLS, checking the certificate
  // for `servername` against the roots `ca` (PEM; null: the Web PKI's).
  markTls(s, servername, ca) {
    const c = conns.get(s);
    c.tls = true;
    c.servername = servername;
    c.ca = ca;
  },
  // Moves `plain`'s connection under TLS into `s` (a new Socket): answers
  // whether it could start (else `plain` has no connection yet: wait for
  // its 'connect' and try again).
  upgrade(plain, s, servername, ca) {
    const p = conns.get(plain);
    if (p.id === null) return false;
    const c = conns.get(s);
    c.tls = true;
    c.servername = servername;
    c.ca = ca;
    const id = p.id;
    p.id = null;
    p.handle = null;
    p.upgrading = true;
    Object.assign(s, {
      remoteAddress: plain.remoteAddress, remotePort: plain.remotePort, remoteFamily: plain.remoteFamily,
      localAddress: plain.localAddress, localPort: plain.localPort, localFamily: plain.localFamily,
    });
    let opening;
    try {
      opening = opAsync('socket_start_tls', id, servername, ca);
    } catch (e) {
      opening = promiseRejectedWith(e);
    }
    startConnection(s, opening, servername, plain.remotePort, true);
    return true;
  },
};

// --- SocketAddress and BlockList ---------------------------------------------

class SocketAddress {
  #address; #port; #family; #flowlabel;
  constructor(options = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const family = options.family === undefined ? 'ipv4' : String(options.family).toLowerCase();
    if (family !== 'ipv4' && family !== 'ipv6') {
      throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The property 'options.family' must be one of: 'ipv4', 'ipv6'. Received '${options.family}'`);
    }
    const address = options.address === undefined ? (family === 'ipv4' ? '127.0.0.1' : '::') : options.address;
    if (typeof address !== 'string') throw invalidArgType('options.address', 'of type string', address);
    if (family === 'ipv4' ? !isIPv4(address) : !isIPv6(address)) {
      throw nodeError(Error, 'ERR_INVALID_ADDRESS', 'Invalid socket address');
    }
    this.#address = address;
    this.#family = family;
    this.#port = validatePort(options.port === undefined ? 0 : options.port);
    this.#flowlabel = options.flowlabel === undefined ? 0 : options.flowlabel >>> 0;
  }
  get address() { return this.#address; }
  get port() { return this.#port; }
  get family() { return this.#family; }
  get flowlabel() { return this.#flowlabel; }
  toJSON() { return { address: this.#address, port: this.#port, family: this.#family, flowlabel: this.#flowlabel }; }
  static isSocketAddress(value) { return value instanceof SocketAddress; }
  static parse(input) {
    try {
      const url = new URL(`http://${input}`);
      const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      return new SocketAddress({ address: host, port: url.port === '' ? 0 : Number(url.port), family: isIPv6(host) ? 'ipv6' : 'ipv4' });
    } catch {
      return undefined;
    }
  }
}

// An address as a BigInt over 128 bits (IPv4 mapped into IPv6, as
// ::ffff:a.b.c.d), and its family.
function addressBits(address, family) {
  if (family === 'ipv4') {
    const v4 = address.split('.').reduce((n, p) => (n << 8n) | BigInt(Number(p)), 0n);
    return (0xffffn << 32n) | v4;
  }
  let s = address.split('%')[0];
  let tail = [];
  if (s.includes('.')) {
    const last = s.lastIndexOf(':');
    const v4 = s.slice(last + 1).split('.').map(Number);
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]].map(n => n.toString(16));
    s = s.slice(0, last + 1) + '0:0';
  }
  let groups;
  if (s.includes('::')) {
    const [l, r] = s.split('::');
    const left = l === '' ? [] : l.split(':');
    const right = r === '' ? [] : r.split(':');
    groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  } else {
    groups = s.split(':');
  }
  if (tail.length) groups.splice(6, 2, ...tail);
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function toSocketAddress(value, family, name) {
  if (value instanceof SocketAddress) return value;
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string or an instance of SocketAddress', value);
  return new SocketAddress({ address: value, family });
}

class BlockList {
  #rules = [];
  addAddress(address, family = 'ipv4') {
    const a = toSocketAddress(address, family, 'address');
    const bits = addressBits(a.address, a.family);
    this.#rules.push({ text: `Address: ${a.family === 'ipv4' ? 'IPv4' : 'IPv6'} ${a.address}`, test: x => x === bits });
  }
  addRange(start, end, family = 'ipv4') {
    const s = toSocketAddress(start, family, 'start');
    const e = toSocketAddress(end, family, 'end');
    const lo = addressBits(s.address, s.family);
    const hi = addressBits(e.address, e.family);
    if (lo > hi) throw nodeError(RangeError, 'ERR_INVALID_ARG_VALUE', `The argument 'start' must be less than or equal to 'end'. Received ${s.address}`);
    this.#rules.push({ text: `Range: ${s.family === 'ipv4' ? 'IPv4' : 'IPv6'} ${s.address}-${e.address}`, test: x => x >= lo && x <= hi });
  }
  addSubnet(network, prefix, family = 'ipv4') {
    const n = toSocketAddress(network, family, 'network');
    const max = n.family === 'ipv4' ? 32 : 128;
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      throw nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "prefix" is out of range. It must be >= 0 && <= ${max}. Received ${prefix}`);
    }
    const shift = BigInt((n.family === 'ipv4' ? 32 : 128) - prefix);
    const base = addressBits(n.address, n.family) >> shift;
    this.#rules.push({ text: `Subnet: ${n.family === 'ipv4' ? 'IPv4' : 'IPv6'} ${n.address}/${prefix}`, test: x => (x >> shift) === base });
  }
  check(address, family = 'ipv4') {
    let a;
    try {
      a = toSocketAddress(address, family, 'address');
    } catch (e) {
      if (e.code === 'ERR_INVALID_ADDRESS') return false;
      throw e;
    }
    const bits = addressBits(a.address, a.family);
    return this.#rules.some(r => r.test(bits));
  }
  get rules() { return this.#rules.map(r => r.text).reverse(); }
  static isBlockList(value) { return value instanceof BlockList; }
}

// --- what Workers do not have ------------------------------------------------

function notOnWorkers(what) {
  return () => { throw nodeError(Error, 'ERR_METHOD_NOT_IMPLEMENTED', `The ${what} method is not implemented`); };
}
function Server() { notOnWorkers('net.Server')(); }
const createServer = notOnWorkers('net.createServer');

let autoSelectFamily = true;
let autoSelectFamilyAttemptTimeout = 250;

const module = {
  BlockList,
  Socket,
  Stream,
  SocketAddress,
  Server,
  connect,
  createConnection: connect,
  createServer,
  isIP,
  isIPv4,
  isIPv6,
  getDefaultAutoSelectFamily: () => autoSelectFamily,
  setDefaultAutoSelectFamily: v => { autoSelectFamily = !!v; },
  getDefaultAutoSelectFamilyAttemptTimeout: () => autoSelectFamilyAttemptTimeout,
  setDefaultAutoSelectFamilyAttemptTimeout: v => { autoSelectFamilyAttemptTimeout = Math.max(10, Number(v)); },
};
