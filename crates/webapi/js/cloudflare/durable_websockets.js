// The WebSocket Hibernation API of Durable Objects, as Cloudflare documents
// it: `ctx.acceptWebSocket(ws, tags)`, `ctx.getWebSockets(tag)`,
// `ctx.getTags(ws)`, `ctx.setWebSocketAutoResponse(pair)`,
// `ctx.getWebSocketAutoResponse()`,
// `ctx.getWebSocketAutoResponseTimestamp(ws)`,
// `ctx.setHibernatableWebSocketEventTimeout(ms)` /
// `ctx.getHibernatableWebSocketEventTimeout()`, and the object's handlers
// `webSocketMessage(ws, message)`, `webSocketClose(ws, code, reason,
// wasClean)` and `webSocketError(ws, error)`.
//
// The host holds an object's hibernatable sockets outside it
// (runtime/src/durable/websockets.rs), with their tags and attachments, so
// the object may leave memory while they stay open; what arrives on one is
// an object event `{ kind: 'websocket', payload: { socket, kind: 'message'
// | 'close', data, code, reason, wasClean } }`, delivered like a fetch (one
// at a time, behind blockConcurrencyWhile), and the host gets an empty
// response once the handler settled and the writes it made are durable.
// With an event timeout set, a handler that has not settled when it is up
// fails its event (logged as the object's error), so the next event is
// delivered; what the handler still awaits is not stopped, its result is
// ignored. The timeout belongs to the object in memory: set it in the
// constructor, as the documentation's examples do, to keep it across
// hibernation.
// The WebSocket objects (websocket.js's hibernatable ends) are made again,
// by socket id, for an object that was made again.
//
// Ops: `durable_ws(method, slot, …)` (see the Rust module).

// The most tags a socket may have, and the longest tag (Cloudflare's).
const DO_WS_MAX_TAGS = 10;
const DO_WS_MAX_TAG_CHARS = 256;

// The longest hibernatable WebSocket event timeout: 7 days (Cloudflare's).
const DO_WS_MAX_EVENT_TIMEOUT_MS = 604800000;

// The object's WebSocket for hibernatable socket `sid`, made if need be.
function doSocketOf(rec, sid) {
  rec.sockets ??= new Map();
  let ws = rec.sockets.get(sid);
  if (ws === undefined) {
    ws = loadGroup(WEBSOCKET).hibernatableEnd(rec.slot, sid, send => doGatedOutput(rec, send));
    rec.sockets.set(sid, ws);
  }
  return ws;
}

// The hibernatable socket id of `ws`, or a TypeError naming `method`.
function doSocketId(ws, method) {
  const sid = loadGroup(WEBSOCKET).hibernatableId(ws);
  if (sid < 0) throw new TypeError(`${method}: the WebSocket was not accepted with ctx.acceptWebSocket()`);
  return sid;
}

const doWsMethods = {
  acceptWebSocket(ws, tags = undefined) {
    requireArgs(arguments.length, 1, 'acceptWebSocket');
    const rec = doStateRec(this);
    let list = [];
    if (tags !== undefined && tags !== null) {
      if (typeof tags[Symbol.iterator] !== 'function') throw new TypeError("acceptWebSocket: tags must be an array of strings");
      list = [...tags];
      if (list.length > DO_WS_MAX_TAGS) throw new Error(`A WebSocket can have at most ${DO_WS_MAX_TAGS} tags, got ${list.length}.`);
      for (const t of list) {
        if (typeof t !== 'string') throw new TypeError('acceptWebSocket: tags must be strings');
        if (t.length > DO_WS_MAX_TAG_CHARS) throw new Error(`A WebSocket tag can be at most ${DO_WS_MAX_TAG_CHARS} characters long, got ${t.length}.`);
      }
    }
    const sid = loadGroup(WEBSOCKET).acceptHibernatable(ws, rec.slot, list, send => doGatedOutput(rec, send));
    rec.sockets ??= new Map();
    rec.sockets.set(sid, ws);
  },
  getWebSockets(tag = undefined) {
    const rec = doStateRec(this);
    const ids = op('durable_ws', 'list', rec.slot, tag === undefined || tag === null ? null : String(tag));
    return ids.map(sid => doSocketOf(rec, sid));
  },
  getTags(ws) {
    requireArgs(arguments.length, 1, 'getTags');
    const rec = doStateRec(this);
    return op('durable_ws', 'tags', rec.slot, doSocketId(ws, 'getTags'));
  },
  setWebSocketAutoResponse(pair = undefined) {
    const rec = doStateRec(this);
    if (pair === undefined || pair === null) {
      op('durable_ws', 'setAuto', rec.slot, null, null);
      return;
    }
    if (!(pair instanceof WebSocketRequestResponsePair)) {
      throw new TypeError("Failed to execute 'setWebSocketAutoResponse': parameter 1 is not of type 'WebSocketRequestResponsePair'.");
    }
    op('durable_ws', 'setAuto', rec.slot, pair.request, pair.response);
  },
  getWebSocketAutoResponse() {
    const rec = doStateRec(this);
    const pair = op('durable_ws', 'getAuto', rec.slot);
    return pair === null ? null : new WebSocketRequestResponsePair(pair[0], pair[1]);
  },
  setHibernatableWebSocketEventTimeout(timeoutMs = undefined) {
    const rec = doStateRec(this);
    if (timeoutMs === undefined || timeoutMs === null) {
      rec.wsEventTimeout = null;
      return;
    }
    const ms = Number(timeoutMs);
    if (!Number.isFinite(ms) || ms < 0 || ms > DO_WS_MAX_EVENT_TIMEOUT_MS) {
      throw new RangeError(`setHibernatableWebSocketEventTimeout: the timeout must be between 0 and ${DO_WS_MAX_EVENT_TIMEOUT_MS} ms (7 days), got ${timeoutMs}`);
    }
    // 0 unsets it.
    rec.wsEventTimeout = ms === 0 ? null : Math.trunc(ms);
  },
  getHibernatableWebSocketEventTimeout() {
    return doStateRec(this).wsEventTimeout ?? null;
  },
  getWebSocketAutoResponseTimestamp(ws) {
    requireArgs(arguments.length, 1, 'getWebSocketAutoResponseTimestamp');
    const rec = doStateRec(this);
    const ms = op('durable_ws', 'autoTime', rec.slot, doSocketId(ws, 'getWebSocketAutoResponseTimestamp'));
    return ms === null ? null : new Date(ms);
  },
};
for (const [name, fn] of Object.entries(doWsMethods)) {
  Object.defineProperty(DurableObjectState.prototype, name, { value: fn, writable: true, enumerable: false, configurable: true });
}

// A message or close on hibernatable socket `payload.socket`: the object's
// handler runs; then (its writes durable) the host gets an empty response.
function runSocketEvent(id, event, rec, h) {
  const p = event.payload;
  const ws = doSocketOf(rec, p.socket);
  const instance = rec.instance;
  let result;
  try {
    if (p.kind === 'message') {
      if (typeof instance.webSocketMessage !== 'function') {
        throw new TypeError('The Durable Object accepted a hibernatable WebSocket but has no webSocketMessage() handler');
      }
      let data = p.data;
      if (data instanceof Uint8Array) {
        data = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
          ? data.buffer : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
      }
      result = instance.webSocketMessage(ws, data);
    } else {
      loadGroup(WEBSOCKET).hibernatableClosed(ws);
      rec.sockets.delete(p.socket);
      // A socket that closed on an error (not a lost connection) gets
      // webSocketError first.
      const failed = !p.wasClean && p.code !== 1005 && p.code !== 1006;
      const close = () => {
        if (typeof instance.webSocketClose === 'function') return instance.webSocketClose(ws, p.code, p.reason, p.wasClean);
      };
      if (failed && typeof instance.webSocketError === 'function') {
        result = transformPromise(promiseResolvedWith(instance.webSocketError(ws, new Error(p.reason || `The WebSocket closed with code ${p.code}`))), close);
      } else {
        result = close();
      }
    }
  } catch (e) {
    return h.fail(id, e);
  }
  const limit = rec.wsEventTimeout ?? null;
  let timer;
  let over = false;
  if (limit !== null) {
    timer = setTimeout(() => {
      over = true;
      h.fail(id, new Error(`The WebSocket event ran past its timeout of ${limit} ms (ctx.setHibernatableWebSocketEventTimeout)`));
    }, limit);
  }
  // Settles the event unless its timeout already failed it.
  const settle = f => value => {
    if (over) return;
    if (timer !== undefined) clearTimeout(timer);
    f(value);
  };
  uponPromise(promiseResolvedWith(result),
    settle(() => uponPromise(h.gate(), () => h.respond(id, new Response(null, { status: 204 })), e => h.fail(id, e))),
    settle(e => h.fail(id, e)));
}
