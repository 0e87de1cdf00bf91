// fetch(): subrequests to the outside world, through the runtime's ops:
// - `fetch(token, method, url, [[name, value]…], body, redirect)` (async)
//   settles with `{ status, statusText, headers, url, redirected, body }`
//   (`body`: the handle of a host readable, or — a small body that was
//   whole when the answer came — its bytes, null when empty);
//   the host counts it against the event's subrequest limit and applies the
//   server's egress policy;
// - `fetch_abort(token)` cancels the subrequest `token` (its response body
//   too, once it has arrived; the body's stream then errors with the
//   signal's reason);
// - `service_fetch(token, service, method, url, headers, body, entrypoint,
//   props)` (async) calls another Worker through a service binding (the
//   `fetch` of its named entrypoint, or of its default export when that is
//   null, with `props` for its `ctx.props`) and settles like `fetch`;
// - `assets_fetch(token, binding, method, url, headers, body)` (async) asks
//   the Worker's static assets and settles like `fetch`;
// - a request with `Upgrade: websocket` opens a WebSocket instead (op
//   `ws_connect`, see websocket.js);
// - a service binding's or a Durable Object stub's response may carry a
//   socket (`webSocket`, a handle): the Response is a 101 with it.
// A Request's `cache` mode adds the standard's request headers; the other
// browser-side members (mode, credentials, referrer, integrity, keepalive,
// priority) are accepted and ignored, as on Cloudflare Workers.
//
// A group of its own, loaded when the `fetch` global is first used or the
// Worker has a service binding (events.js makes its Fetcher).
let nextFetchToken = 1;

function fetch(input, init = undefined) {
  return subrequest(input, init, (token, request, headers, body) => {
    const start = () => {
      // `Upgrade: websocket` asks for a WebSocket: the Response carries it
      // (websocket.js).
      const upgrade = request.headers.get('upgrade');
      if (upgrade !== null && upgrade.toLowerCase() === 'websocket') {
        return loadGroup(WEBSOCKET).connectWebSocket(request.url, headers);
      }
      return opAsync('fetch', token, request.method, request.url, headers, body, request.redirect);
    };
    return throughOutputGate(request, start);
  });
}

// Runs `start`, which sends `request`: at once, or, when a Durable Object
// sends it, once the writes the object made before are durable (its output
// gate) — and not at all if the request was aborted or the object reset
// meanwhile.
function throughOutputGate(request, start) {
  const gate = objectOutgoingGate();
  if (gate === null) return start();
  return transformPromise(gate, () => {
    const signal = request.signal;
    return signal && signal.aborted ? promiseRejectedWith(signal.reason) : start();
  });
}

// Makes the Request, honours its AbortSignal, and sends it with `send`.
function subrequest(input, init, send) {
  return new Promise((resolve, reject) => {
    let request;
    try {
      request = new Request(input, init);
    } catch (e) {
      return reject(e);
    }
    const signal = signalIfAny(request);
    if (signal && signal.aborted) {
      // Aborting the fetch cancels a request body stream at once.
      const record = bodyOf(request);
      if (record !== null && record.stream !== undefined && record.stream.state === 'readable'
        && !streams().isReadableStreamLocked(record.stream)) {
        markHandled(record.stream.obj.cancel(signal.reason));
      }
      return reject(signal.reason);
    }
    const token = nextFetchToken++;
    let settled = false;
    // The response body's stream, once the response has arrived: aborting
    // then cancels the transfer and errors the body with the reason.
    let bodyStream = null;
    const onAbort = () => {
      op('fetch_abort', token);
      if (!settled) {
        settled = true;
        reject(signal.reason);
      } else if (bodyStream !== null && bodyStream.state === 'readable') {
        streams().byteControllerError(bodyStream.controller, signal.reason);
      }
    };
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      settled = true;
      if (signal && bodyStream === null) signal.removeEventListener('abort', onAbort);
    };
    sendSubrequest(request, token, send, signal ? s => { bodyStream = s; } : null).then(
      response => { if (!settled) { done(); resolve(response); } },
      error => { if (!settled) { done(); reject(error); } },
    );
  });
}

// The request headers the Fetch standard's HTTP-network-or-cache fetch adds
// for a cache mode (motu keeps no HTTP cache, so every mode but
// 'only-if-cached' goes to the network; the headers tell caches on the way).
function addCacheModeHeaders(list, headers, cache) {
  if (cache === 'no-cache' && !headers.has('cache-control')) list.push(['cache-control', 'max-age=0']);
  if (cache === 'no-store' || cache === 'reload') {
    if (!headers.has('pragma')) list.push(['pragma', 'no-cache']);
    if (!headers.has('cache-control')) list.push(['cache-control', 'no-cache']);
  }
}

// `onBody` (null when the request cannot be aborted) is given the
// response's body stream, for an abort to error.
async function sendSubrequest(request, token, send, onBody) {
  // A whole body goes as it is; a stream body streams through a host sink.
  const record = bodyOf(request);
  if (record !== null && bodyIsUnusable(record)) {
    throw new TypeError("The request's body was already used or is locked");
  }
  const cache = request.cache;
  if (cache === 'only-if-cached') throw new TypeError("fetch: the 'only-if-cached' cache mode cannot be met (there is no HTTP cache)");
  const body = bodyForHost(record);
  // The list as the Worker set it (the host reads it; nothing keeps it).
  let headers = headersList(request.headers);
  if (cache !== 'default') {
    headers = headers.slice();
    addCacheModeHeaders(headers, request.headers, cache);
  }
  const r = await send(token, request, headers, body);
  if (r instanceof Response) return r;
  if (r.webSocket !== undefined) {
    // Another Worker's (or a Durable Object's) socket answer: the Response
    // carries the socket, to hand on or accept (websocket.js).
    op('body_cancel', r.body);
    const webSocket = loadGroup(WEBSOCKET).forwardedEnd(r.webSocket);
    return new Response(null, { status: 101, statusText: r.statusText, headers: r.headers, webSocket });
  }
  // The body arrives as it is received, through the host readable r.body;
  // a small body that was whole when the answer came (another Worker's,
  // an asset's) comes as its bytes (null when empty) instead.
  const nullBody = NULL_BODY_STATUS.includes(r.status) || request.method === 'HEAD';
  const streamed = typeof r.body === 'number';
  if (nullBody && streamed) op('body_cancel', r.body);
  let stream = null;
  if (!nullBody && streamed) {
    stream = streamFromHost(r.body);
    // Answered with as it is (a proxy's `return fetch(request)`, a
    // service binding's answer handed on), the body goes back to the host
    // unread and never passes through the isolate (bodyForHost).
    stream.hostPassThrough = true;
  } else if (!nullBody && onBody !== null) {
    // A whole body of a request that can still be aborted: a stream, which
    // an abort errors while it is unread.
    stream = streamFromSource(r.body === null ? new Uint8Array(0) : r.body);
  }
  if (stream !== null && onBody !== null) onBody(stream);
  // The host's bytes are this Response's alone: its body as they are.
  const answer = stream !== null ? bodyRecord(null, stream)
    : nullBody ? null : bodyRecord(r.body === null ? new Uint8Array(0) : r.body, undefined);
  const response = responseFromHost(r.status < 200 ? 200 : r.status, r.statusText, r.headers, answer);
  setResponseOrigin(response, r.url, r.redirected);
  return response;
}

defineGlobal('fetch', fetch);

// A binding in `env` with a `fetch` method: a service binding calls the
// bound Worker in-process (op `service_fetch`); an assets binding asks the
// Worker's asset server (op `assets_fetch`, same arguments).
// A service binding's `props` (the callee's `ctx.props`) go along in RPC wire
// form (cloudflare/rpc.js).
let makeFetcher; // (service, op = 'service_fetch', entrypoint = null, props = undefined) => Fetcher

class Fetcher {
  #service;
  #op;
  #entrypoint;
  #props;
  static {
    makeFetcher = (service, op = 'service_fetch', entrypoint = null, props = undefined) => {
      const f = new Fetcher();
      f.#service = service;
      f.#op = op;
      f.#entrypoint = entrypoint;
      f.#props = props;
      return f;
    };
  }
  fetch(input, init = undefined) {
    const service = this.#service;
    const op = this.#op;
    const entrypoint = this.#entrypoint;
    const props = this.#props;
    return subrequest(input, init, (token, request, headers, body) => {
      const start = () => opAsync(op, token, service, request.method, request.url, headers, body, entrypoint, props);
      return throughOutputGate(request, start);
    });
  }
}
webidlInterface(Fetcher);
