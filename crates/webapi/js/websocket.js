// WebSockets as Cloudflare Workers have them: `WebSocketPair`, the
// `WebSocket` class (accept, send, close, events, readyState), the
// `MessageEvent` and `CloseEvent` they fire, and outbound sockets
// (`new WebSocket(url)`, and fetch() with `Upgrade: websocket`, see
// `connectWebSocket`). A group of its own, loaded when one of its globals is
// first used, a Response carries a socket, or a socket event arrives.
//
// A pair's two ends live in JavaScript until one end is handed to the host:
// in a `Response` (the client end, which the gateway joins to the
// connection that asked for the upgrade) or, for outbound sockets, from
// the start. The end the Worker keeps then talks to the host by handle:
// - `ws_pair() -> handle`: a pair whose network end is not yet handed over
//   (what the Worker sends meanwhile waits in the host);
// - `ws_send(handle, data) -> true | reason`: a string (text message) or
//   bytes (binary); a reason when the peer stopped reading and the queue
//   toward it is full (the socket is then closed);
// - `ws_close(handle, code, reason)`;
// - `ws_half_open(handle)`: accepted with `allowHalfOpen: true`, the peer's
//   close is answered by `ws_close`, not at once;
// - `ws_connect(token, url, headers, held)` (async): an outbound socket,
//   settled with `{ status, headers, socket }` once the server accepted it,
//   or with `{ status, headers, forwarded }` when `held` (a `fetch()`
//   upgrade: kept as a forwarded end, below, until accepted or handed on);
// - events come through the `dispatch` hook, one turn each: a message as
//   the list `[socket, data, timeStamp]` (data: a string, or a Uint8Array
//   for a binary message; timeStamp: `performance.now()` as the turn
//   began, the event's), a close as `{ type: 'websocket', socket, kind:
//   'close', code, reason, wasClean }`.
// Two ends that both stay in JavaScript (no Response) talk to each other
// without the host.
//
// Two more kinds of end:
// - *forwarded*: the socket a subrequest's 101 response carried (a Durable
//   Object's, through `stub.fetch`), or that a `fetch()` upgrade opened,
//   kept by the host under a handle: handed
//   on in the Worker's own Response (`['forwarded', handle]` to `respond`),
//   or accepted here (`ws_adopt(handle) -> handle`, a socket of this
//   isolate from then on);
// - *hibernatable*: the end a Durable Object accepted with
//   `ctx.acceptWebSocket` (cloudflare/durable_websockets.js), held by the
//   host outside the object: it talks through `durable_ws(method, slot, id,
//   …)`, its events go to the object's handlers, and its pair's other end
//   goes to the client as `['hibernatable', id]`.
const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
const MAX_REASON_BYTES = 123;
// An end's `halfOpen`: accepted with `allowHalfOpen: true` (HALF_OPEN), and
// then the peer's close came and is not answered yet (PEER_CLOSED); 0
// otherwise. One field for both keeps the state (`newState`) at 19
// properties: QuickJS grows an object's property slots 13, 19, 28, and a
// 20th property costs 144 bytes more for each end of every socket (a
// hibernated socket's two ends: 288 bytes while its object is in memory).
const HALF_OPEN = 1;
const PEER_CLOSED = 2;
// The largest serialised attachment (`serializeAttachment`), as on
// Cloudflare.
const MAX_ATTACHMENT_BYTES = 2048;

// The ends the host knows, by handle.
const hostSockets = new Map();
const building = Symbol('building');

let messageEvent; // (data, t) => a trusted-to-be `message` MessageEvent carrying it, made at time t (or now, if t is -1)

class MessageEvent extends Event {
  #data = null;
  constructor(type, init = undefined) {
    if (arguments.length < 1) requireArgs(arguments.length, 1, 'MessageEvent');
    super(type, init);
    if (init !== undefined && init !== null) {
      const data = dictionary(init, 'MessageEvent').data;
      if (data !== undefined) this.#data = data;
    }
  }
  // What a socket fires for each message: no init dictionary to read.
  static {
    messageEvent = (data, t) => {
      presetEventTimeStamp(t);
      const e = new MessageEvent('message');
      e.#data = data;
      return e;
    };
  }
  get data() { return this.#data; }
}
webidlInterface(MessageEvent);

class CloseEvent extends Event {
  #code; #reason; #wasClean;
  constructor(type, init = undefined) {
    requireArgs(arguments.length, 1, 'CloseEvent');
    super(type, init);
    const d = dictionary(init, 'CloseEvent');
    this.#code = d.code === undefined ? 0 : (+d.code) & 0xffff;
    this.#reason = d.reason === undefined ? '' : `${d.reason}`;
    this.#wasClean = !!d.wasClean;
  }
  get code() { return this.#code; }
  get reason() { return this.#reason; }
  get wasClean() { return this.#wasClean; }
}
webidlInterface(CloseEvent);

let endState; // ws => its private state, for the pair and the host side

// Throws what `send()` on a socket in state `s` throws when it cannot send:
// the first of the reasons that applies, in the order the checks are made.
function refuseSend(s) {
  if (s.forwarded >= 0) throw new TypeError('You must call accept() on this WebSocket before sending messages.');
  if (s.transferred) throw new TypeError('This WebSocket was handed to a Response; send on the other end of the pair');
  if (!s.accepted) throw new TypeError('You must call accept() on this WebSocket before sending messages.');
  if (s.state === CONNECTING) throw new DOMException('The WebSocket is still connecting', 'InvalidStateError');
  throw new TypeError("Can't call WebSocket send() after close().");
}

class WebSocket extends EventTarget {
  #s;
  static { endState = ws => ws.#s; }

  constructor(url, protocols = undefined) {
    super();
    if (url === building) {
      this.#s = newState(protocols);
      return;
    }
    requireArgs(arguments.length, 1, 'WebSocket');
    const parsed = new URL(`${url}`);
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:'
      && parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new DOMException(`The URL's scheme must be 'ws' or 'wss', not '${parsed.protocol.slice(0, -1)}'`, 'SyntaxError');
    }
    if (parsed.hash !== '') throw new DOMException("The URL must not have a fragment", 'SyntaxError');
    const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols].map(p => `${p}`);
    const s = newState(null);
    this.#s = s;
    s.url = parsed.href;
    s.accepted = true;
    s.constructed = true;
    // A Durable Object's socket connects, sends and closes through its
    // output gate.
    s.gate = objectSocketGate();
    // And it is the instance's own: a reset closes it.
    const own = objectSocketOwner();
    const headers = [['upgrade', 'websocket']];
    if (list.length > 0) headers.push(['sec-websocket-protocol', list.join(', ')]);
    const gate = objectOutgoingGate();
    const connect = () => opAsync('ws_connect', 0, parsed.href, headers);
    (gate === null ? connect() : transformPromise(gate, connect)).then(r => {
      if (s.state === CLOSED) {
        op('ws_close', r.socket, 1000, '');
        return;
      }
      adoptHostEnd(this, r.socket);
      if (own !== null) s.own = { disown: own(r.socket) };
      for (const [k, v] of r.headers) if (k === 'sec-websocket-protocol') s.protocol = v;
      if (s.state === CONNECTING) s.state = OPEN;
      fireEvent(this, new Event('open'));
      if (s.closeAfterOpen) {
        const [code, reason] = s.closeAfterOpen;
        s.closeAfterOpen = null;
        this.#closeNow(code, reason);
      }
    }, e => {
      s.state = CLOSED;
      fireEvent(this, errorEvent(e));
      fireEvent(this, new CloseEvent('close', { code: 1006, reason: String(e && e.message || e), wasClean: false }));
    });
  }

  get readyState() { return this.#s.state; }
  get url() { return this.#s.url; }
  get protocol() { return this.#s.protocol; }
  get extensions() { return ''; }
  // 'blob' or 'arraybuffer': how binary messages arrive. It starts as the
  // compatibility date says ('blob' from 2026-03-17, see newState); any
  // other value is ignored, as the standard says.
  get binaryType() { return this.#s.binaryType; }
  set binaryType(value) {
    const type = `${value}`;
    if (type === 'blob' || type === 'arraybuffer') this.#s.binaryType = type;
  }

  // Starts delivering this end's events (those that arrived before wait
  // until now). With `allowHalfOpen: true` a close from the peer is not
  // answered at once: readyState stays CLOSING in the close event, and the
  // Worker may still send until its own close() answers it.
  accept(options = undefined) {
    const s = this.#s;
    if (options !== undefined && options !== null && typeof options !== 'object') throw new TypeError('accept() takes an options object');
    if (options?.allowHalfOpen && !s.accepted && !s.transferred) {
      s.halfOpen = HALF_OPEN;
      if (s.handle >= 0) op('ws_half_open', s.handle);
    }
    if (s.forwarded >= 0 && !s.accepted && !s.transferred) {
      // A subrequest's socket: this isolate's from now on.
      const handle = op('ws_adopt', s.forwarded);
      s.forwarded = -1;
      s.accepted = true;
      s.state = OPEN;
      adoptHostEnd(this, handle);
      // A Durable Object's own outbound socket: the instance's from now on.
      if (typeof s.own === 'function') s.own = { disown: s.own(handle) };
      return;
    }
    if (s.transferred) throw new TypeError('This WebSocket was handed to a Response and cannot be accepted here');
    if (s.accepted) throw new TypeError('accept() was already called on this WebSocket');
    s.accepted = true;
    if (s.state === CONNECTING) s.state = OPEN;
    const queued = s.queued;
    s.queued = [];
    for (const ev of queued) deliverTo(this, ev);
  }

  send(message) {
    if (arguments.length < 1) requireArgs(arguments.length, 1, 'WebSocket.send');
    const s = this.#s;
    if (s.state !== OPEN || !s.accepted || s.closeSent || s.forwarded >= 0 || s.transferred) refuseSend(s);
    let data;
    if (typeof message === 'string') data = message;
    else if (message instanceof ArrayBuffer || ArrayBuffer.isView(message)) data = bufferSourceCopy(message);
    else data = `${message}`;
    if (s.handle >= 0 && s.gate === null) {
      // A socket of this isolate's host, not a Durable Object's: as
      // #sendNow does, without the call.
      if (s.state === CLOSED) return;
      const sent = op('ws_send', s.handle, data);
      if (sent !== true) this.#lost(`${sent}`);
    } else if (s.sid >= 0) {
      // Through the object's output gate: after the writes made before.
      s.gate(() => {
        const sent = op('durable_ws', 'send', s.slot, s.sid, data);
        if (sent !== true) throw new TypeError(`${sent}`);
      });
    } else if (s.gate !== null) {
      // A Durable Object's own socket: through its output gate too.
      s.gate(() => this.#sendNow(data));
    } else {
      this.#sendNow(data);
    }
  }

  #sendNow(data) {
    const s = this.#s;
    if (s.handle >= 0) {
      if (s.state === CLOSED) return;
      const sent = op('ws_send', s.handle, data);
      if (sent !== true) this.#lost(`${sent}`);
    } else if (s.pair !== null) {
      sendLocal(this, { kind: 'message', data });
    }
  }

  close(code = undefined, reason = undefined) {
    const s = this.#s;
    if (s.forwarded >= 0) throw new TypeError('You must call accept() on this WebSocket before closing it.');
    if (s.transferred) throw new TypeError('This WebSocket was handed to a Response; close the other end of the pair');
    if (code !== undefined) {
      code = Number(code);
      // As Workers take them: 1000-4999 (1011 from a server, say), but the
      // four codes RFC 6455 keeps off the wire.
      if (!Number.isInteger(code) || code < 1000 || code > 4999 || [1004, 1005, 1006, 1015].includes(code)) {
        throw new DOMException(`Invalid WebSocket close code: ${code} (use 1000-4999 but 1004, 1005, 1006, 1015)`, 'InvalidAccessError');
      }
    }
    reason = reason === undefined ? '' : toUSVString(reason);
    if (utf8Encode(reason).length > MAX_REASON_BYTES) {
      throw new DOMException(`The close reason is longer than ${MAX_REASON_BYTES} bytes`, 'SyntaxError');
    }
    if (s.state === CLOSED || s.closeSent) return;
    if (s.state === CONNECTING && s.handle < 0 && s.url !== null) {
      // An outbound socket still connecting closes once it is open.
      s.closeAfterOpen = [code ?? 1000, reason];
      return;
    }
    this.#closeNow(code ?? 1000, reason);
  }

  #closeNow(code, reason) {
    const s = this.#s;
    s.closeSent = true;
    if (s.halfOpen === PEER_CLOSED) {
      // The answer to a half-open socket's peer: the socket is done.
      s.state = CLOSED;
      hostSockets.delete(s.handle);
      s.own?.disown?.();
    }
    if (s.state === OPEN || s.state === CONNECTING) s.state = CLOSING;
    const closeNow = () => {
      if (s.handle >= 0) {
        op('ws_close', s.handle, code, reason);
      } else if (s.pair !== null) {
        sendLocal(this, { kind: 'close', code, reason, wasClean: true });
      }
    };
    if (s.sid >= 0) {
      s.gate(() => op('durable_ws', 'close', s.slot, s.sid, code, reason));
    } else if (s.gate !== null) {
      s.gate(closeNow);
    } else {
      closeNow();
    }
  }

  // The host closed the socket because the peer stopped reading.
  #lost(reason) {
    const s = this.#s;
    if (s.state === CLOSED) return;
    s.state = CLOSED;
    hostSockets.delete(s.handle);
    s.own?.disown?.();
    setTimeout(() => {
      fireEvent(this, errorEvent(new Error(reason)));
      fireEvent(this, new CloseEvent('close', { code: 1006, reason, wasClean: false }));
    }, 0);
  }

  // Keeps `value` (structured clone, at most 2,048 bytes serialised) with
  // the socket: for a hibernatable one, outside the object, so that it
  // outlives the object's time in memory.
  serializeAttachment(value) {
    requireArgs(arguments.length, 1, 'serializeAttachment');
    const s = this.#s;
    const bytes = loadGroup(QUEUE_BINDING).queueSerialize(value);
    if (bytes.byteLength > MAX_ATTACHMENT_BYTES) {
      throw new Error(`A WebSocket 'attachment' cannot be larger than ${MAX_ATTACHMENT_BYTES} bytes. The attachment's serialized size is ${bytes.byteLength} bytes.`);
    }
    if (s.sid >= 0) op('durable_ws', 'attach', s.slot, s.sid, bytes);
    else s.attachment = bytes;
  }

  // The value `serializeAttachment` kept (a new copy), or null.
  deserializeAttachment() {
    const s = this.#s;
    const bytes = s.sid >= 0 ? op('durable_ws', 'attachment', s.slot, s.sid) : s.attachment;
    return bytes === null || bytes === undefined ? null : loadGroup(QUEUE_BINDING).queueDeserialize(bytes);
  }

  [Symbol.for('motu.inspect')]() { return `{ readyState: ${this.#s.state} }`; }
}
// The ready states, on the class and its prototype, under their Web names
// and under Cloudflare's own (`READY_STATE_OPEN`…), which libraries such as
// PartyServer compare `readyState` with.
for (const [name, value] of [['CONNECTING', CONNECTING], ['OPEN', OPEN], ['CLOSING', CLOSING], ['CLOSED', CLOSED]]) {
  const d = { value, enumerable: true, writable: false, configurable: false };
  for (const key of [name, `READY_STATE_${name}`]) {
    Object.defineProperty(WebSocket, key, d);
    Object.defineProperty(WebSocket.prototype, key, d);
  }
}
for (const type of ['open', 'message', 'close', 'error']) defineEventHandler(WebSocket, type);
webidlInterface(WebSocket);

// The `error` event of a socket, an ErrorEvent.
function errorEvent(error) {
  const { ErrorEvent } = loadGroup(ERROR_EVENT);
  return new ErrorEvent('error', { message: String(error && error.message || error), error });
}

function newState(pair) {
  return {
    state: CONNECTING, accepted: false, queued: [], pair, handle: -1, transferred: false,
    closeSent: false, url: null, protocol: '', closeAfterOpen: null,
    forwarded: -1, sid: -1, slot: -1, attachment: null, gate: null,
    // Made with `new WebSocket(url)` (never handed to a Response).
    constructed: false,
    // A Durable Object's socket of its own: the function that makes it the
    // instance's (`own(handle)`, for a `fetch()` upgrade until accepted),
    // then `{ disown }`, which forgets it (socketOwner). One field: an
    // end's state stays within QuickJS's 19 property slots (past them an
    // object's slots grow to 28, 144 bytes more per end).
    own: null,
    // Accepted with allowHalfOpen, and the peer's close not answered yet
    // (HALF_OPEN, PEER_CLOSED).
    halfOpen: 0,
    binaryType: workerCompat.websocketBlob ? 'blob' : 'arraybuffer',
  };
}

// Hands an event to an end: at once when it was accepted, else later.
function deliverTo(ws, ev) {
  const s = endState(ws);
  if (s.state === CLOSED) return;
  if (!s.accepted) {
    s.queued.push(ev);
    return;
  }
  if (ev.kind === 'message') {
    fireMessage(ws, ev.data, -1);
  } else if (ev.kind === 'close') {
    if (s.halfOpen && ev.wasClean && !s.closeSent && s.handle >= 0) {
      // Half-open: the peer's close waits for this end's close(), which
      // the host's socket still takes.
      s.state = CLOSING;
      s.halfOpen = PEER_CLOSED;
      fireEvent(ws, new CloseEvent('close', { code: ev.code, reason: ev.reason, wasClean: ev.wasClean }));
      return;
    }
    s.state = CLOSED;
    if (s.handle >= 0) hostSockets.delete(s.handle);
    s.own?.disown?.();
    if (!ev.wasClean && ev.code !== 1005) {
      fireEvent(ws, errorEvent(new Error(ev.reason || `The WebSocket closed with code ${ev.code}`)));
    }
    fireEvent(ws, new CloseEvent('close', { code: ev.code, reason: ev.reason, wasClean: ev.wasClean }));
  }
}

// Fires a `message` event carrying `data` (a string, or bytes as an
// ArrayBuffer or a Blob, as the end's binaryType says) at an accepted end,
// with timeStamp `t` (-1: now).
function fireMessage(ws, data, t) {
  if (data instanceof Uint8Array) {
    data = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
      ? data.buffer : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  }
  if (typeof data !== 'string' && endState(ws).binaryType === 'blob') {
    data = new (loadGroup(BLOBS).Blob)([data]);
  }
  dispatchOn(ws, messageEvent(data, t), true);
}

// An event from one end of a pair to the other, both in JavaScript: queued
// at once while the other end is not accepted (it may yet be handed to a
// Response, and the host then sends what waits), else delivered in a task
// of its own. A close is answered at once by the other end.
function sendLocal(from, ev) {
  const pair = endState(from).pair;
  const other = pair.a === from ? pair.b : pair.a;
  const o = endState(other);
  if (!o.accepted) {
    o.queued.push(ev);
    return;
  }
  setTimeout(() => {
    deliverTo(other, ev);
    if (ev.kind === 'close' && endState(from).state !== CLOSED) deliverTo(from, ev);
  }, 0);
}

// The end `ws` now talks to the host's socket `handle`.
function adoptHostEnd(ws, handle) {
  const s = endState(ws);
  s.handle = handle;
  hostSockets.set(handle, ws);
  if (s.halfOpen) op('ws_half_open', handle);
}

class WebSocketPair {
  constructor() {
    const pair = { a: null, b: null };
    const a = new WebSocket(building, pair);
    const b = new WebSocket(building, pair);
    pair.a = a;
    pair.b = b;
    Object.defineProperty(this, 0, { value: a, enumerable: true, writable: false, configurable: false });
    Object.defineProperty(this, 1, { value: b, enumerable: true, writable: false, configurable: false });
  }
}
webidlInterface(WebSocketPair);

// A Response is made with `webSocket: ws`: whether the end can still be
// handed over is checked when the Response is returned (handOver), as on
// Cloudflare.
function checkResponseSocket(ws) {
  if (!(ws instanceof WebSocket)) throw new TypeError("The Response's webSocket must be a WebSocket");
}

// The host handle for the end a returned Response hands over (workerd's
// errors when it cannot be): an end of a pair (the other end, the one the
// Worker keeps, talks to the host from now on; what it sent before goes
// first), or a socket a subrequest's 101 carried or a `fetch()` upgrade
// opened, not accepted (`['forwarded', handle]`: handed on as it is, the
// client's connection joined to it).
function handOver(ws) {
  const s = endState(ws);
  if (s.transferred) throw new TypeError("Can't return WebSocket that was already used in a response.");
  if (s.constructed) throw new TypeError("Can't return WebSocket in a Response if it was created with `new WebSocket()`");
  if (s.sid >= 0) throw new TypeError("Can't return WebSocket in a Response after calling acceptWebSocket().");
  if (s.accepted) throw new TypeError("Can't return WebSocket in a Response after calling accept().");
  if (s.forwarded >= 0) {
    s.transferred = true;
    return ['forwarded', s.forwarded];
  }
  const pair = s.pair;
  if (pair === null) throw new TypeError("Can't return WebSocket that was already used in a response.");
  const kept = pair.a === ws ? pair.b : pair.a;
  const k = endState(kept);
  if (k.sid >= 0) {
    // Accepted by a Durable Object for hibernation: the host holds it.
    s.transferred = true;
    s.state = OPEN;
    s.queued = [];
    return ['hibernatable', k.sid];
  }
  const handle = op('ws_pair');
  s.transferred = true;
  s.state = OPEN;
  adoptHostEnd(kept, handle);
  for (const ev of s.queued) {
    if (ev.kind === 'message') op('ws_send', handle, ev.data);
    else if (ev.kind === 'close') op('ws_close', handle, ev.code, ev.reason);
  }
  s.queued = [];
  return handle;
}

// A socket's close from the host (one turn).
function deliverHostEvent(event) {
  const ws = hostSockets.get(event.socket);
  if (ws === undefined) return;
  deliverTo(ws, event);
}

// A message from the host on socket `socket` (one turn): `data` is a
// string (text) or a Uint8Array (binary) of its own; `t`, its timeStamp.
function deliverHostMessage(socket, data, t) {
  const ws = hostSockets.get(socket);
  if (ws === undefined) return;
  const s = endState(ws);
  if (s.state === CLOSED) return;
  if (!s.accepted) s.queued.push({ kind: 'message', data });
  else if (typeof data === 'string') dispatchOn(ws, messageEvent(data, t), true);
  else fireMessage(ws, data, t);
}

// fetch() with `Upgrade: websocket`: the Response carries the socket, not
// yet accepted. The host keeps the connection until the Worker accepts it
// (a socket of this isolate from then on) or returns it in its own
// Response (the client's connection is then joined to it, no JavaScript
// per message).
async function connectWebSocket(url, headers) {
  // A Durable Object's socket sends and closes through its output gate.
  const gate = objectSocketGate();
  const own = objectSocketOwner();
  const r = await opAsync('ws_connect', 0, url, headers, true);
  const ws = forwardedEnd(r.forwarded);
  const s = endState(ws);
  s.url = url;
  s.gate = gate;
  s.own = own;
  return new Response(null, { status: 101, headers: r.headers, webSocket: ws });
}

// The end a subrequest's 101 response carried, kept by the host under
// `handle`, not yet accepted nor handed on.
function forwardedEnd(handle) {
  const ws = new WebSocket(building, null);
  endState(ws).forwarded = handle;
  return ws;
}

// `ctx.acceptWebSocket(ws, tags)` of the object in `slot`: `ws` must be an
// end of a pair, not accepted; the host holds it from now on. Its id.
// What it sends and its close go through `gate(send)` (the object's output
// gate).
function acceptHibernatable(ws, slot, tags, gate) {
  if (!(ws instanceof WebSocket)) throw new TypeError("Failed to execute 'acceptWebSocket': parameter 1 is not of type 'WebSocket'.");
  const s = endState(ws);
  if (s.accepted || s.transferred || s.pair === null) {
    throw new TypeError('acceptWebSocket() needs an end of a WebSocketPair that was not accepted nor handed to a Response');
  }
  const pair = s.pair;
  const other = endState(pair.a === ws ? pair.b : pair.a);
  if (other.transferred) throw new TypeError("acceptWebSocket() must be called before the pair's other end is handed to a Response");
  const sid = op('durable_ws', 'accept', slot, tags);
  s.accepted = true;
  s.state = OPEN;
  s.slot = slot;
  s.sid = sid;
  s.gate = gate;
  return sid;
}

// A Durable Object's response hands over `ws`, an end of a pair: the end
// the object keeps (one it accepted itself, not hibernatable) sends and
// closes through `gate(send)` from now on (the object's output gate), as
// a hibernatable one does. What it sent before waits in the pair until
// the response leaves, which the gate holds back already.
function gatePairEnd(ws, gate) {
  if (!(ws instanceof WebSocket)) return;
  const pair = endState(ws).pair;
  if (pair === null) return;
  const kept = endState(pair.a === ws ? pair.b : pair.a);
  if (kept.sid < 0) kept.gate = gate;
}

// The end of hibernatable socket `sid` of the object in `slot`, made anew
// for an object that was made again, its output through `gate`.
function hibernatableEnd(slot, sid, gate) {
  const ws = new WebSocket(building, null);
  const s = endState(ws);
  s.accepted = true;
  s.state = OPEN;
  s.slot = slot;
  s.sid = sid;
  s.gate = gate;
  return ws;
}

// The hibernatable socket's id, or -1 for another WebSocket.
function hibernatableId(ws) {
  return ws instanceof WebSocket ? endState(ws).sid : -1;
}

// A hibernatable socket closed.
function hibernatableClosed(ws) {
  endState(ws).state = CLOSED;
}

// `new WebSocketRequestResponsePair(request, response)`: the pair of
// `ctx.setWebSocketAutoResponse`, two strings.
class WebSocketRequestResponsePair {
  #request; #response;
  constructor(request, response) {
    requireArgs(arguments.length, 2, 'WebSocketRequestResponsePair');
    this.#request = `${request}`;
    this.#response = `${response}`;
  }
  get request() { return this.#request; }
  get response() { return this.#response; }
}
webidlInterface(WebSocketRequestResponsePair);

defineGlobal('WebSocketRequestResponsePair', WebSocketRequestResponsePair);
defineGlobal('WebSocket', WebSocket);
defineGlobal('WebSocketPair', WebSocketPair);
defineGlobal('MessageEvent', MessageEvent);
defineGlobal('CloseEvent', CloseEvent);
