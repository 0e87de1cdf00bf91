// Events: how a Worker's handlers are found and called, and how their
// outcome reaches the host.
//
// Ops used here, implemented by the runtime that owns the isolate:
// - `init() -> { syntax: 'module' | 'script', env, services, assets, storage,
//   baseURL, mapsPositions }` once, at start (storage: the storage bindings,
//   `[name, kind]` by index, whose objects the kind's group in
//   BINDING_GROUPS makes; assets: the assets binding's name, if
//   any; baseURL: the API base URL, if the embedder set one; mapsPositions:
//   whether stack traces need the places of generated modules mapped, see
//   stack_positions.js; nodejs: Node.js compatibility, see node/setup.js;
//   durable: the Durable Object namespace bindings, `[name, namespace key]`
//   by index, see cloudflare/durable.js; websocketBlob: whether a
//   WebSocket's binaryType starts as 'blob', from the compatibility date,
//   see websocket.js; self: the Worker's name; ctxExports: whether
//   `ctx.exports` exists, from the compatibility date, see
//   cloudflare/loopback.js);
// - `respond(id, status, statusText, [[name, value]...], body, socket)` when event
//   `id` has a response (body: string, bytes, null, the handle of a body
//   sink the response streams into, or `[handle]` of a host stream the host
//   sends on as it is, see body.js; socket: the host handle of the
//   WebSocket a 101 response hands over, see websocket.js);
// - `fail(id, { name, message, stack })` when its handler threw or rejected.
// What the host says of the Worker (the `init` op) and its `env`, set by
// `start()`. The engine calls that hook once the prelude is evaluated, in
// every isolate: everything above it is the same for every Worker, which
// lets an engine evaluate it once for many isolates (V8 deserializes a
// startup snapshot of it), so nothing before `start()` may call the host.
let worker;
let env;
// The kinds of platform bindings cloudflare/worker_loader.js makes.
const DYNAMIC_BINDINGS = ['worker_loader', 'value', 'service'];
// The group of each kind of storage binding (runtime/src/bindings).
const BINDING_GROUPS = { __proto__: null, kv: KV_BINDING, d1: D1_BINDING, r2: R2_BINDING, queue: QUEUE_BINDING, email: EMAIL };
// The hidden binding of kind 'cache' is the Cache API's (`caches`, whose
// group asks `cacheBinding()` for its index); it is not in `env`. The
// hidden one of kind 'email' (no name) is how an email handler forwards
// and replies (email.js).
let cacheBindingIndex = -1;
let emailEventBinding = -1;
function cacheBinding() {
  return cacheBindingIndex;
}
// What the Worker's compatibility date and flags decide that the lazily
// loaded groups read (the object is theirs from the start; `start()`
// fills it in).
const workerCompat = { websocketBlob: false, iterableBodies: false };

function start() {
  worker = op('init');
  requestCfFields = worker.requestCf;
  workerCompat.websocketBlob = worker.websocketBlob === true;
  workerCompat.iterableBodies = worker.iterableBodies === true;
  if (worker.mapsPositions) loadGroup(STACK_POSITIONS).mapStackPositions();
  // In V8's startup snapshot already (src/prelude.rs); QuickJS has its own.
  if (globalThis.Iterator === undefined) loadGroup(ITERATOR_HELPERS);
  // QuickJS has no WebAssembly: one that says so, made on first use (here,
  // not while the prelude is evaluated: V8 adds its own only once a
  // context exists).
  if (globalThis.WebAssembly === undefined) lazyGlobals(WASM_ABSENT, 'WebAssembly');
  if ([Array.prototype.toSorted, Promise.withResolvers, Object.groupBy, Set.prototype.union,
    String.prototype.isWellFormed, Array.fromAsync, Promise.try, RegExp.escape, Math.f16round,
    Math.sumPrecise, Uint8Array.fromBase64].includes(undefined)) loadGroup(ES_BUILTINS);
  // V8 has ICU's Intl; QuickJS gets the Intl group's, loaded on first use.
  if (globalThis.Intl === undefined) installIntl();
  env = worker.env;
  // A service binding is a Fetcher and a stub of the Worker's entrypoint for
  // RPC (cloudflare/rpc.js), with the props its calls carry.
  for (const [binding, service, entrypoint, props] of worker.services || []) {
    env[binding] = loadGroup(CLOUDFLARE_WORKERS).makeServiceStub(service, entrypoint, props, loadGroup(FETCH).makeFetcher);
  }
  if (worker.assets !== undefined) env[worker.assets] = loadGroup(FETCH).makeFetcher(worker.assets, 'assets_fetch');
  // Bindings made from what they are given (js/cloudflare/platform.js);
  // a rate limiter's also has a store, in the storage list.
  const platform = new Map(worker.platform || []);
  const storageBindings = worker.storage || [];
  for (let i = 0; i < storageBindings.length; i++) {
    const [name, kind] = storageBindings[i];
    if (kind === 'cache') cacheBindingIndex = i;
    else if (kind === 'email' && name === '') emailEventBinding = i;
    else if (kind === 'ratelimit') env[name] = loadGroup(PLATFORM_BINDINGS).makeRateLimit(i, platform.get(name));
    else env[name] = loadGroup(BINDING_GROUPS[kind]).makeBinding(i, name);
  }
  for (const [name, data] of platform) {
    if (data.type === 'ratelimit' || data.type === 'workflow') continue;
    // A Worker Loader, and what a dynamic Worker's parent gave in its env
    // (cloudflare/worker_loader.js).
    env[name] = DYNAMIC_BINDINGS.includes(data.type)
      ? loadGroup(CLOUDFLARE_WORKERS).makeDynamicBinding(name, data, loadGroup(FETCH).makeFetcher)
      : loadGroup(PLATFORM_BINDINGS).makePlatformBinding(data);
  }
  // Durable Object namespaces (`[name, namespace key, class, own]` by
  // index; see cloudflare/durable.js): a binding's is in `env`; one without
  // a name is a class of the Worker's own that only `ctx.exports` has; a
  // Workflow's (class `workflow:NAME`) is behind its Workflow binding.
  durableBindings = worker.durable || [];
  for (let i = 0; i < durableBindings.length; i++) {
    const [name, , cls] = durableBindings[i];
    if (cls.startsWith('workflow:')) {
      env[name] = loadGroup(WORKFLOWS).makeWorkflow(() => durableNamespace(i), platform.get(name));
    } else if (name !== '') {
      env[name] = durableNamespace(i);
    }
  }
  if (worker.ctxExports === true) {
    Object.defineProperty(ExecutionContext.prototype, 'exports', {
      __proto__: null, get: ctxExports, set(value) { replaceValue(this, 'exports', value); },
      enumerable: true, configurable: true,
    });
  }
  setUpNode(worker.nodejs, env);
  if (worker.syntax === 'script') {
    // Service-worker syntax: bindings are globals.
    for (const [name, value] of Object.entries(env)) defineGlobal(name, value);
  }
}

// The Durable Object namespaces of `init`'s `durable` list, made on first
// use (by `env` or `ctx.exports`).
let durableBindings = [];
const durableNamespaces = [];
function durableNamespace(i) {
  return durableNamespaces[i] ??= loadGroup(DURABLE).makeNamespace(i, durableBindings[i][1], loadGroup(FETCH).makeFetcher,
    (...args) => loadGroup(CLOUDFLARE_WORKERS).makeObjectStub(...args));
}

// `ctx.exports` (cloudflare/loopback.js), made on first use; undefined
// where the compatibility date has none.
let ctxExportsMade;
function ctxExports() {
  if (worker.ctxExports !== true) return undefined;
  if (ctxExportsMade !== undefined) return ctxExportsMade;
  // Before the module is evaluated (a top-level read): nothing yet, and
  // nothing kept.
  if (workerModule === null) return undefined;
  const namespaceOf = key => {
    const i = durableBindings.findIndex(([, , cls, own]) => own && cls === key);
    return i < 0 ? undefined : durableNamespace(i);
  };
  return ctxExportsMade = loadGroup(CLOUDFLARE_WORKERS).makeCtxExports(worker.self, workerModule, namespaceOf,
    loadGroup(FETCH).makeFetcher);
}

// What the built-in module `cloudflare:workers` exports (its source,
// cloudflare/workers_module.js, reads it through this registered symbol),
// made on first import.
let workersModule;
Object.defineProperty(globalThis, Symbol.for('motu.cloudflare:workers'), {
  __proto__: null,
  get() { return workersModule ??= loadGroup(CLOUDFLARE_WORKERS).workersExports(env, makeContext,
    worker.ctxExports === true ? ctxExports : null); },
});
// The same for `cloudflare:sockets` (cloudflare/sockets_module.js).
let socketsModule;
Object.defineProperty(globalThis, Symbol.for('motu.cloudflare:sockets'), {
  __proto__: null,
  get() { return socketsModule ??= loadGroup(CLOUDFLARE_SOCKETS).socketsExports(); },
});

// The default export's handlers for one event (or those of the named
// `entrypoint`, for a service binding to it): a class extending
// WorkerEntrypoint is made anew for each event, with its `ctx` and `env`.
function defaultHandlers(ctx, entrypoint = null) {
  const handler = entrypoint === null ? workerModule.default : workerModule[entrypoint];
  const workers = loadedGroup(CLOUDFLARE_WORKERS);
  return workers !== undefined && workers.isEntrypointClass(handler) ? new handler(ctx, env) : handler;
}

const listeners = { fetch: [], scheduled: [], queue: [], email: [], error: [] };
let workerModule = null;

defineGlobal('addEventListener', function addEventListener(type, listener) {
  if (typeof listener !== 'function' && !(listener && typeof listener.handleEvent === 'function')) return;
  const list = listeners[type];
  if (list && !list.includes(listener)) list.push(listener);
});
defineGlobal('removeEventListener', function removeEventListener(type, listener) {
  const list = listeners[type];
  if (list) listeners[type] = list.filter(l => l !== listener);
});

// Hands a reported exception to the global's `error` listeners as an
// ErrorEvent; true when one canceled it. What a listener throws is logged,
// not reported again.
let dispatchingError = false;
function dispatchErrorEvent(e) {
  const list = listeners.error;
  if (list.length === 0 || dispatchingError) return false;
  let message;
  try {
    message = `Uncaught ${e instanceof Error ? `${e.name}: ${e.message}` : formatLog([e])}`;
  } catch {
    message = 'Uncaught exception';
  }
  const { ErrorEvent } = loadGroup(ERROR_EVENT);
  const event = new ErrorEvent('error', { cancelable: true, message, error: e });
  dispatchingError = true;
  try {
    for (const listener of [...list]) {
      try {
        if (typeof listener === 'function') listener.call(globalThis, event);
        else listener.handleEvent(event);
      } catch (thrown) {
        op('console', 'error', `Uncaught ${formatLog([thrown])}`);
      }
    }
  } finally {
    dispatchingError = false;
  }
  return event.defaultPrevented;
}

// The context every handler gets (`ctx` in module syntax, the event itself in
// service-worker syntax). `waitUntil` tells the host, through the
// `wait_until(id, +1 | -1)` op, that work of event `id` goes on after the
// response; the host keeps the isolate until it settles or the wall-clock
// limit after the response passes.
// `props`: what the caller of a service binding gave (`ctx.props`; an empty
// object when undefined). With the compatibility date, the prototype gets
// `exports` (see `start()`).
let makeContext; // (id, props = undefined) => ExecutionContext

class ExecutionContext {
  #id;
  #props;
  static {
    makeContext = (id, props = undefined) => {
      const c = new ExecutionContext();
      c.#id = id;
      c.#props = props;
      return c;
    };
  }
  get props() { return this.#props ??= {}; }
  set props(value) { replaceValue(this, 'props', value); }
  waitUntil(promise) {
    const id = this.#id;
    op('wait_until', id, 1);
    Promise.resolve(promise)
      .catch(e => reportError(e))
      .finally(() => op('wait_until', id, -1));
  }
  // On an exception later, the request goes to the Worker's configured
  // origin instead of failing (`pass_through(id)` op).
  passThroughOnException() { op('pass_through', this.#id); }
}
webidlInterface(ExecutionContext);

// FetchEvent, the event of a service-worker syntax Worker's fetch listeners,
// is the events group's (fetch_event.js).
lazyGlobals(EVENTS, 'FetchEvent');

function errorInfo(e) {
  if (e instanceof Error || (e && typeof e === 'object' && 'message' in e)) {
    return { name: String(e.name || 'Error'), message: String(e.message), stack: e.stack ? String(e.stack) : '' };
  }
  return { name: 'Error', message: `Uncaught ${formatLog([e])}`, stack: '' };
}

function fail(id, e) { op('fail', id, errorInfo(e)); }

function respond(id, response) {
  if (!(response instanceof Response)) {
    return fail(id, new TypeError("The Worker's handler did not produce a Response"));
  }
  if (response.type === 'error') {
    return fail(id, new TypeError('The Worker responded with Response.error()'));
  }
  const body = bodyOf(response);
  if (bodyIsUnusable(body)) return fail(id, new TypeError("The Response's body was already used or is locked"));
  let headers = headersList(response.headers);
  // A FixedLengthStream's readable side says how long the body is.
  const length = body !== null && body.stream !== undefined ? body.stream.expectedLength : undefined;
  if (length !== undefined && !response.headers.has('content-length')) {
    headers = [...headers, ['content-length', String(length)]];
  }
  // A socket answer hands the pair's other end to the host (websocket.js).
  const ws = response.webSocket;
  let socket;
  if (ws !== null) {
    try {
      socket = loadGroup(WEBSOCKET).handOver(ws);
    } catch (e) {
      return fail(id, e);
    }
  }
  op('respond', id, response.status, response.statusText, headers, bodyForHost(body, true), socket);
}

function callFetch(id, request, entrypoint, props) {
  const ctx = makeContext(id, props === undefined ? undefined : loadGroup(CLOUDFLARE_WORKERS).propsOf(props));
  if (workerModule) {
    const handler = defaultHandlers(ctx, entrypoint);
    if (!handler || typeof handler.fetch !== 'function') {
      throw new Error('The Worker has no fetch handler: export default { fetch(request, env, ctx) { \u2026 } }');
    }
    return handler.fetch(request, env, ctx);
  }
  const { FetchEvent, respondWithState } = loadGroup(EVENTS);
  const event = new FetchEvent('fetch', { request }, ctx);
  for (const l of listeners.fetch) {
    if (typeof l === 'function') l.call(globalThis, event); else l.handleEvent(event);
  }
  const { called, response } = respondWithState(event);
  if (!called) throw new Error("No fetch listener called event.respondWith()");
  return response;
}

// The Request of a fetch event, which comes as the list `[method, url,
// headers, body, null, httpProtocol]` (`[method, null, headers, body,
// rawUrl, httpProtocol]` when the host could not parse the URL: parsed
// here to throw the TypeError), followed by the entrypoint's name (null
// for the default export) and the props (RPC wire form) when a service
// binding sent it with them. The body is
// null, bytes, or the handle of a host stream read with `body_read`; the
// bytes are the host's copy, owned by this Request alone, so they become
// its body as they are. The method comes as sent (normalised here), the URL
// serialized and the headers as a list the host already validated
// (lower-case names, values without surrounding whitespace), which the
// Request's Headers adopts.
function requestFromEvent(event) {
  const body = event[3];
  const method = event[0] === 'GET' || event[0] === 'POST' ? event[0] : normalizeMethod(event[0]);
  const bodyless = method === 'GET' || method === 'HEAD';
  let record = null;
  if (typeof body === 'number') {
    if (bodyless) op('body_cancel', body);
    else record = bodyRecord(null, streamFromHost(body));
  } else if (!bodyless && body instanceof Uint8Array) {
    record = bodyRecord(body, undefined);
  }
  const url = event[1] !== null ? event[1] : parseApiURL(event[4]).href;
  const headers = headersFromHost(event[2], 'request');
  return requestFromHost(url, method, headers, record, event[5]);
}

function dispatchFetch(id, event) {
  let result, request;
  try {
    request = requestFromEvent(event);
    result = callFetch(id, request, event[6] ?? null, event[7]);
  } catch (e) {
    return fail(id, e);
  }
  Promise.resolve(result).then(r => respond(id, r), e => fail(id, e));
}

// What cloudflare/durable.js uses of the core to run an object's events.
const durableHooks = {
  get env() { return env; },
  // `ctx.exports` of an object (undefined where the date has none).
  get exports() { return ctxExports(); },
  get exportsEnabled() { return worker.ctxExports === true; },
  module: () => workerModule,
  requestFromEvent,
  respond,
  fail,
  // An RPC call of the object `instance`; `gate()`: its output gate;
  // `owner`: how calls of what it answers with reach the object.
  rpc(id, payload, instance, gate, owner) { loadGroup(CLOUDFLARE_WORKERS).callObject(id, payload, instance, gate, owner); },
  rpcFail(id, e) { loadGroup(CLOUDFLARE_WORKERS).failCall(id, e); },
  waitUntil(promise) {
    const id = op('current_event');
    if (id === null) throw new Error('waitUntil() can only be called while an event is being handled');
    makeContext(id).waitUntil(promise);
  },
};

// When the running event is a Durable Object's (cloudflare/durable.js),
// what it sends out waits for the object's output gate: a promise for a
// fetch to wait on (null when nothing needs to), and how a WebSocket it
// opens sends (null: at once). Never anything for a Worker without Durable
// Objects, whose group is not loaded.
function objectOutgoingGate() {
  const durable = loadedGroup(DURABLE);
  return durable === undefined ? null : durable.currentOutgoingGate();
}

function objectSocketGate() {
  const durable = loadedGroup(DURABLE);
  return durable === undefined ? null : durable.currentSocketGate();
}

// How a WebSocket a Durable Object opens becomes its instance's own once
// connected (closed when the instance is reset); null when the running
// event is not an object's.
function objectSocketOwner() {
  const durable = loadedGroup(DURABLE);
  return durable === undefined ? null : durable.socketOwner(op('current_event'));
}

// What keeps a Durable Object in memory while timer `id` (timers.js) is
// pending: the function that lets it go once the timer fired or was
// cleared, or null when the running code is no object's. The object clears
// the timer if it leaves memory first.
function objectTimerHold(id) {
  const durable = loadedGroup(DURABLE);
  return durable === undefined ? null : durable.timerHold(() => clearTimer(id));
}

// websocket.js's `deliverHostMessage`, once a message came: each message
// of a socket is an event of its own, the one the host sends most often.
let deliverSocketMessage;

function dispatchHostEvent(id, event, data, t) {
  if (typeof event === 'number') (deliverSocketMessage ??= loadGroup(WEBSOCKET).deliverHostMessage)(event, data, t);
  else if (Array.isArray(event)) {
    // A fetch event's list starts with its method; a WebSocket message's,
    // `[socket, data, timeStamp]`, with its socket (websocket.js).
    if (typeof event[0] === 'number') (deliverSocketMessage ??= loadGroup(WEBSOCKET).deliverHostMessage)(event[0], event[1], event[2]);
    else dispatchFetch(id, event);
  }
  else if (event.type === 'scheduled') dispatchScheduled(id, event);
  else if (event.type === 'queue') dispatchQueue(id, event);
  else if (event.type === 'email') dispatchEmail(id, event);
  else if (event.type === 'websocket') loadGroup(WEBSOCKET).deliverHostEvent(event);
  else if (event.type === 'durable') loadGroup(DURABLE).deliver(id, event, durableHooks);
  else if (event.type === 'durable_evict') loadGroup(DURABLE).evict(event.slot);
  else if (event.type === 'rpc') loadGroup(CLOUDFLARE_WORKERS).dispatchRpc(id, event, workerModule, props => makeContext(id, props), env);
  else if (event.type === 'rpc_release' || event.type === 'rpc_retain') loadGroup(CLOUDFLARE_WORKERS).rpcHold(event);
  else fail(id, new TypeError(`Unknown event type: ${event.type}`));
}

return {
  start,
  // `event`: the event, or, for a WebSocket message an engine hands over
  // without a list, its socket (then `data` and `t` are the message's
  // data and timeStamp).
  dispatch(id, event, data, t) {
    if (!asyncContextUsed) {
      // A WebSocket message straight to its socket, once the first one
      // loaded websocket.js: as three arguments, or as the list
      // `[socket, data, timeStamp]`.
      if (deliverSocketMessage !== undefined) {
        if (typeof event === 'number') return deliverSocketMessage(event, data, t);
        if (typeof event[0] === 'number' && Array.isArray(event)) return deliverSocketMessage(event[0], event[1], event[2]);
      }
      return dispatchHostEvent(id, event, data, t);
    }
    asyncContextSet(EMPTY_ASYNC_CONTEXT);
    try {
      dispatchHostEvent(id, event, data, t);
    } finally {
      asyncContextSet(EMPTY_ASYNC_CONTEXT);
    }
  },
  registerModule(namespace) { workerModule = namespace; },
  // Called only by the prelude made for a startup snapshot, right after
  // this one: see preloadGroups (lazy.js).
  preload(groups) {
    preloadGroups(groups);
    delete this.preload;
    return this;
  },
};
