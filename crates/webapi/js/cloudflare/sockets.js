// `connect()` of the built-in module `cloudflare:sockets` (re-exported by
// sockets_module.js), as Cloudflare documents it: `connect(address,
// { secureTransport: 'off' | 'on' | 'starttls', allowHalfOpen })` answers a
// Socket at once; `opened` settles once the connection is made (with
// `remoteAddress` and `localAddress`), `readable` gives what the peer sends
// and `writable` takes bytes to send, `close()` closes both, `closed`
// settles when the socket is closed, and `startTls()` (with `starttls`)
// upgrades it, answering a new Socket over TLS. The connection itself is
// the host's (runtime/src/sockets): the egress policy, TLS and the
// subrequest count apply there.
//
// Ops used: `socket_connect(hostname, port, tls, allowHalfOpen)` (async,
// `[id, readable, remoteAddress, localAddress]`), `socket_write(id,
// bytes)` (async), `socket_shutdown(id)` (async), `socket_close(id)`,
// `socket_start_tls(id, hostname)` (async, `[id, readable]`).
const { ReadableStream, WritableStream } = loadGroup(STREAMS);
const SECURE_TRANSPORTS = ['off', 'on', 'starttls'];

function socketAddress(address) {
  if (typeof address === 'string') {
    const colon = address.lastIndexOf(':');
    if (colon <= 0) throw new TypeError(`connect(): '${address}' is not 'host:port'`);
    let hostname = address.slice(0, colon);
    if (hostname.startsWith('[') && hostname.endsWith(']')) hostname = hostname.slice(1, -1);
    return { hostname, port: socketPort(address.slice(colon + 1)) };
  }
  if (address !== null && typeof address === 'object') {
    return { hostname: String(address.hostname), port: socketPort(address.port) };
  }
  throw new TypeError('connect() needs an address: "host:port" or { hostname, port }');
}

function socketPort(value) {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`connect(): invalid port '${value}'`);
  return port;
}

class Socket {
  #id = null; #readable; #writable; #opened; #closed; #secureTransport; #allowHalfOpen; #hostname;
  #tlsStarted = false; #reader = null;

  // `connecting`: a promise of `[id, readable handle, remoteAddress, localAddress]`.
  constructor(token, connecting, secureTransport, allowHalfOpen, hostname) {
    if (token !== constructing) throw new TypeError('Illegal constructor');
    this.#secureTransport = secureTransport;
    this.#allowHalfOpen = allowHalfOpen;
    this.#hostname = hostname;
    const closed = newDeferred();
    markHandled(closed.promise);
    this.#closed = closed;
    let readDone = false, writeDone = false;
    const sideDone = (read, write) => {
      readDone ||= read;
      writeDone ||= write || (read && !allowHalfOpen);
      if (readDone && writeDone) this.#close();
    };
    this.#opened = promiseThen.call(connecting, ([id, handle, remoteAddress, localAddress]) => {
      this.#id = id;
      this.#reader = streamFromHost(handle).obj.getReader();
      return { remoteAddress, localAddress };
    }, e => {
      closed.reject(e);
      throw e;
    });
    markHandled(this.#opened);
    const opened = this.#opened;
    this.#readable = new ReadableStream({
      pull: controller => promiseThen.call(opened, () => promiseThen.call(this.#reader.read(), ({ value, done }) => {
        if (done) {
          controller.close();
          sideDone(true, false);
        } else {
          controller.enqueue(value);
        }
      })),
      cancel: reason => {
        sideDone(true, false);
        return this.#reader === null ? undefined : this.#reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
    this.#writable = new WritableStream({
      start: () => opened,
      write: chunk => {
        if (!(chunk instanceof ArrayBuffer || ArrayBuffer.isView(chunk))) {
          throw new TypeError("A Socket's writable side takes ArrayBuffers and ArrayBufferViews");
        }
        return opAsync('socket_write', this.#id, chunk);
      },
      close: () => promiseThen.call(opAsync('socket_shutdown', this.#id), () => sideDone(false, true)),
      abort: () => this.#close(),
    });
  }

  #close() {
    if (this.#id !== null) op('socket_close', this.#id);
    this.#closed.resolve(undefined);
  }

  get readable() { return this.#readable; }
  get writable() { return this.#writable; }
  get opened() { return this.#opened; }
  get closed() { return this.#closed.promise; }

  close() {
    // Closing before the connection is made closes it once made.
    if (this.#id === null) promiseThen.call(this.#opened, () => this.#close(), () => {});
    else this.#close();
    return this.#closed.promise;
  }

  startTls() {
    if (this.#secureTransport !== 'starttls') {
      throw new TypeError("startTls() needs a socket opened with secureTransport: 'starttls'");
    }
    if (this.#tlsStarted) throw new TypeError('startTls() was already called on this socket');
    this.#tlsStarted = true;
    const connecting = promiseThen.call(this.#opened, info => {
      // The plain socket is done with: the TLS one takes its connection over.
      const id = this.#id;
      this.#id = null;
      this.#closed.resolve(undefined);
      return promiseThen.call(opAsync('socket_start_tls', id, this.#hostname),
        ([newId, handle]) => [newId, handle, info.remoteAddress, info.localAddress]);
    });
    return new Socket(constructing, connecting, 'on', this.#allowHalfOpen, this.#hostname);
  }
}
webidlInterface(Socket);

function connect(address, options = undefined) {
  const { hostname, port } = socketAddress(address);
  const o = dictionary(options, 'connect() options');
  const secureTransport = o.secureTransport === undefined ? 'off' : String(o.secureTransport);
  if (!SECURE_TRANSPORTS.includes(secureTransport)) {
    throw new TypeError(`connect(): secureTransport must be 'off', 'on' or 'starttls', not '${secureTransport}'`);
  }
  const allowHalfOpen = !!o.allowHalfOpen;
  const connecting = opAsync('socket_connect', hostname, port, secureTransport === 'on', allowHalfOpen);
  return new Socket(constructing, connecting, secureTransport, allowHalfOpen, hostname);
}

// The module's exports.
function socketsExports() {
  return Object.freeze({ __proto__: null, connect });
}
