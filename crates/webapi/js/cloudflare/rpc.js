// JS RPC (runtime/src/rpc has the host's half and the whole design): stubs
// that call methods of an object in another isolate, and the dispatch of
// such calls to their receiver in this one.
//
// A stub is a Proxy: `stub.m(1, 2)` calls method `m` of its receiver with
// the arguments in wire form (rpc_wire.js) and gives a promise of the
// result; `await stub.p` reads property `p`; `stub.a.b(…)` calls `b` of
// `a` in one call; a call's promise can be used before it settles
// (`stub.make().m()`: pipelining, done here by waiting for the first
// result). Receivers: a Worker's entrypoint (a service binding, `env.API`),
// or what another isolate exported to this one (a function or an RpcTarget
// in an argument or a result). What this isolate sends of its own functions
// and RpcTargets is exported under a number, grouped in a grant: the grant of
// a call's arguments ends when the call settles; the grant of a result ends
// when the caller disposes of every stub it got from it, or its event ends.
// A duplicate (`stub.dup()`) made by the receiver holds its export on its
// own (`rpc_retain`), so an object may keep a callback it was passed after
// the call returns; an export goes once nothing holds it.
//
// Ops used:
// - `rpc_call(kind, a, b, path, isCall, wire, grant, streams, writers) ->
//   [threw, wire, peer, streams, writers]` (async; a primitive result
//   with no stub or stream comes as itself): calls `path` of the
//   receiver `[kind, a, b]` (`['service', worker, entrypoint | null]` or
//   `['peer', peer, export]`) with the arguments `wire`, whose exports are
//   in `grant` (or null), whose byte streams are the host sinks `streams`
//   and whose WritableStreams are fed by the pipes `writers`; the answer's
//   exports are reached through `peer` (or null), its streams are host
//   readables, its WritableStreams host sinks;
// - `rpc_result(id, threw, wire, grant, streams, writers)`: event `id`'s
//   answer;
// - `rpc_pipe() -> [readable, writer]`: a pipe for a WritableStream this
//   isolate sends (what the receiver writes arrives in `readable`), and
//   `rpc_pipe_drop(writer)` when the value is not sent after all;
// - `rpc_release_peer(peer)`: this isolate no longer uses what `peer` reaches;
// - `rpc_dup_peer(peer, n) -> peer`: a peer of its own for a duplicate of
//   the stub of `peer`'s export `n`, which outlives `peer` until released.
// A Durable Object's stub is made by `makeObjectStub`; its calls arrive as
// events of the object (cloudflare/durable.js), which hands them to
// `callObject` with the live instance; values, stubs, errors and paths are
// shared with the other receivers (see runtime/src/rpc/mod.rs).
//
// Events: `{ type: 'rpc', receiver: ['entrypoint', name | null] |
// ['export', n], path, call, args, peer, streams, writers }` (a Durable
// Object's call: the payload of the object's event, `{ path, call, args,
// peer, streams, writers }`), `{ type: 'rpc_release',
// grant }` or `{ type: 'rpc_release', export }` (a grant, or a duplicate's
// hold on one export, is over) and `{ type: 'rpc_retain', export }` (a
// duplicate was made in another isolate).
const DISPOSE = Symbol.dispose || Symbol.for('Symbol.dispose');
// Names a stub never sends: they are the stub's own, or would make it look
// like a promise.
const NOT_REMOTE = new Set(['then', 'catch', 'finally', 'constructor', 'dup', 'toJSON']);

// --- What this isolate exports ------------------------------------------

const rpcExports = new Map(); // n => { value, holds }: its grant, and each duplicate
const rpcGrants = new Map(); // grant => [n…]
let nextExport = 1;
let nextGrant = 1;

// A grant, filled as values are exported in it (its id is taken with the
// first). `owner`: for what a Durable Object's call answers with, how a
// call of it is delivered as an event of the object (see `callObject`);
// null for other exports. A class, so that a call whose values export
// nothing (most) makes one small object, not a closure per member.
class RpcGrant {
  constructor(owner) {
    this.id = null;
    this.owner = owner;
  }
  add(value) {
    if (this.id === null) {
      this.id = nextGrant++;
      rpcGrants.set(this.id, []);
    }
    const n = nextExport++;
    rpcExports.set(n, { value, holds: 1, owner: this.owner });
    rpcGrants.get(this.id).push(n);
    return n;
  }
}

function openGrant(owner = null) {
  return new RpcGrant(owner);
}

// One holder of export `n` fewer: it goes with the last.
function dropExport(n) {
  const entry = rpcExports.get(n);
  if (entry !== undefined && --entry.holds === 0) rpcExports.delete(n);
}

function releaseGrant(id) {
  const list = rpcGrants.get(id);
  if (list === undefined) return;
  rpcGrants.delete(id);
  for (const n of list) dropExport(n);
}

// A release or retain event from the host (see the top of the file).
function rpcHold(event) {
  if (event.type === 'rpc_retain') {
    const entry = rpcExports.get(event.export);
    if (entry !== undefined) entry.holds++;
  } else if (event.export !== undefined) {
    dropExport(event.export);
  } else {
    releaseGrant(event.grant);
  }
}

// --- Stubs ------------------------------------------------------------------

const stubStates = new WeakMap(); // stub => state
function isRpcStub(v) { return stubStates.has(v); }

// Peers this isolate holds stubs of: peer => live stubs.
const peerStubs = new Map();

function stubGone(state) {
  return new Error(state.disposed ? 'RPC stub used after being disposed' : 'RPC stub is no longer valid');
}

// What a value sends beside its wire form: the host sinks its byte
// streams are pumped into (`streams`), and the pipes its WritableStreams
// are fed from.
class RpcOutbox {
  constructor() {
    this.streams = [];
    this.pipes = [];
  }
  stream(h) { return this.streams.push(h) - 1; }
  writer(ws) {
    const [readable, writer] = op('rpc_pipe');
    return this.pipes.push({ ws, readable, writer }) - 1;
  }
  writers() { return this.pipes.length === 0 ? [] : this.pipes.map(p => p.writer); }
  // The value left: what arrives in each pipe goes into its stream.
  sent() {
    for (const p of this.pipes) streamFromHost(p.readable).obj.pipeTo(p.ws).catch(() => {});
  }
  // The value was not sent after all.
  drop() {
    abortSinks(this.streams);
    for (const p of this.pipes) {
      op('rpc_pipe_drop', p.writer);
      op('body_cancel', p.readable);
    }
    this.streams = [];
    this.pipes = [];
  }
}

function openOutbox() {
  return new RpcOutbox();
}

// `value` in wire form, its exports in `grant` and its streams in `box`.
function wireOf(value, grant, box) {
  // A plain value exports nothing and carries no stream.
  if (wireIsPlain(value)) return wirePlain(value);
  return toWire(value, v => grant.add(v), h => box.stream(h), ws => box.writer(ws));
}

// What a value with no stream sends beside its wire form (never changed).
const NO_HANDLES = Object.freeze([]);

// A call or a property read through `state`'s receiver. A stub whose
// receiver may have to be made first (a dynamic Worker's entrypoint,
// cloudflare/worker_loader.js) has `state.before()`: null when it is
// there, else the promise of it.
function rpcSend(state, path, isCall, args) {
  if (state.disposed) return Promise.reject(stubGone(state));
  if (state.before !== undefined) {
    let waiting;
    try {
      waiting = state.before();
    } catch (e) {
      return Promise.reject(e);
    }
    if (waiting !== null) return waiting.then(() => rpcSendNow(state, path, isCall, args));
  }
  return rpcSendNow(state, path, isCall, args);
}

function rpcSendNow(state, path, isCall, args) {
  if (state.target[0] === 'local') return invoke(state.target[1], path, isCall, isCall ? args : []);
  if (!isCall || wireIsPlain(args)) return rpcSendPlain(state, path, isCall, isCall ? wirePlain(args) : null);
  const grant = openGrant();
  const box = openOutbox();
  let wire = null;
  try {
    if (isCall) wire = wireOf(args, grant, box);
  } catch (e) {
    if (grant.id !== null) releaseGrant(grant.id);
    box.drop();
    return Promise.reject(e);
  }
  const [kind, a, b, props] = state.target;
  const settled = () => { if (grant.id !== null) releaseGrant(grant.id); };
  const start = () => {
    let sent;
    try {
      sent = opAsync('rpc_call', kind, a, b, path, isCall, wire, grant.id, box.streams, box.writers(), props);
    } catch (e) {
      box.drop();
      throw e;
    }
    box.sent();
    return sent;
  };
  // A Durable Object's call leaves once the writes it made before are
  // durable (its output gate); not at all if it is reset meanwhile.
  const gate = objectOutgoingGate();
  let sent;
  try {
    sent = gate === null ? start() : transformPromise(gate, start, e => {
      box.drop();
      throw e;
    });
  } catch (e) {
    settled();
    return Promise.reject(e);
  }
  return sent.then(reply => {
    settled();
    return answerOf(reply);
  }, e => {
    settled();
    throw e;
  });
}

// `rpcSend` of arguments that export nothing and carry no stream (most
// calls): no grant to open or release, no outbox.
function rpcSendPlain(state, path, isCall, wire) {
  const target = state.target;
  // A Durable Object's call leaves once the writes it made before are
  // durable (its output gate); not at all if it is reset meanwhile.
  const gate = objectOutgoingGate();
  let sent;
  try {
    sent = gate === null
      ? opAsync('rpc_call', target[0], target[1], target[2], path, isCall, wire, null, NO_HANDLES, NO_HANDLES, target[3])
      : transformPromise(gate, () => opAsync('rpc_call', target[0], target[1], target[2], path, isCall, wire, null, NO_HANDLES, NO_HANDLES, target[3]));
  } catch (e) {
    return Promise.reject(e);
  }
  return transformPromise(sent, answerOf);
}

// The host sinks of a value that is not sent after all.
function abortSinks(handles) {
  for (const h of handles) op('body_sink_abort', h, 'the RPC value was not sent');
}

// The value (or the error thrown) of an answer `[threw, wire, peer,
// streams, writers]`, or of a primitive result that came as itself.
function answerOf(reply) {
  // A primitive result with nothing beside it (most) comes as itself.
  if (!Array.isArray(reply)) return reply;
  const threw = reply[0];
  const wire = reply[1];
  const peer = reply[2];
  const streams = reply[3];
  const writers = reply[4];
  // A primitive result (most) holds no stub.
  if (!threw && (wire === null || typeof wire !== 'object')) return wire;
  const stubs = [];
  const value = fromWire(wire, (kind, n) => {
    const stub = importStub(peer, n);
    stubs.push(stub);
    return stub;
  }, streams, writers);
  if (threw) throw value;
  // A result holding stubs disposes of them all when it is disposed of.
  if (stubs.length > 0 && value !== null && typeof value === 'object' && !isRpcStub(value) && !(DISPOSE in value)) {
    Object.defineProperty(value, DISPOSE, {
      value() { for (const s of stubs) s[DISPOSE](); }, writable: true, configurable: true, enumerable: false,
    });
  }
  return value;
}

// The stub of what `peer` exported under `n`.
function importStub(peer, n) {
  return makeStub(peerState(peer, n));
}

// The state of one more live stub of `peer`: the peer is released once
// every stub of it is disposed.
function peerState(peer, n) {
  peerStubs.set(peer, (peerStubs.get(peer) ?? 0) + 1);
  return {
    target: ['peer', peer, n],
    disposed: false,
    dispose() {
      const left = peerStubs.get(peer) - 1;
      if (left > 0) {
        peerStubs.set(peer, left);
      } else {
        peerStubs.delete(peer);
        op('rpc_release_peer', peer);
      }
    },
  };
}

// `stub.dup()`: a new stub of the same receiver, disposed of on its own
// (what it reaches stays until every duplicate is disposed), as
// Cloudflare's RPC lifecycle documents. A duplicate of a stub this isolate
// received has a peer of its own, which keeps the export after the call or
// event that gave the original is over.
function dupStub(state, local, base) {
  if (state.disposed) throw stubGone(state);
  const [kind, a, b] = state.target;
  const copy = kind === 'peer' ? peerState(op('rpc_dup_peer', a, b), b) : { target: state.target, disposed: false, before: state.before };
  return makeStub(copy, local, base);
}

function disposeStub(state) {
  if (state.disposed) return;
  state.disposed = true;
  if (state.dispose !== undefined) state.dispose();
}

// A stub: calling it calls the remote function; its properties are remote
// properties and methods. `local` are names answered here (a service
// binding's `fetch`); `base`, the proxy's target, is what `typeof` and
// `instanceof` see (by default a function: a stub can be called). The
// proxies' handlers here are class instances: a stub, a method and a call
// each make one small object, not a closure per trap.
function makeStub(state, local = undefined, base = () => {}, Handler = StubHandler) {
  const stub = new Proxy(base, new Handler(state, local, base));
  stubStates.set(stub, state);
  return stub;
}

class StubHandler {
  constructor(state, local, base) {
    this.state = state;
    this.local = local;
    this.base = base;
  }
  get(_, key) {
    const state = this.state;
    if (key === DISPOSE) return () => disposeStub(state);
    const local = this.local;
    if (local !== undefined && Object.hasOwn(local, key)) return local[key];
    if (typeof key !== 'string' || NOT_REMOTE.has(key)) {
      return key === 'dup' ? () => dupStub(state, local, this.base) : undefined;
    }
    return remoteProperty(state, [key]);
  }
  apply(_, thisArg, args) { return rpcPromise(rpcSend(this.state, [], true, args)); }
  has(_, key) { return typeof key === 'string' && !NOT_REMOTE.has(key); }
  set() { return false; }
  defineProperty() { return false; }
  deleteProperty() { return false; }
}

// `path` of the receiver of `state`: callable (a method call) and thenable
// (a property read, made once for this value).
function remoteProperty(state, path) {
  return new Proxy(() => {}, new RemotePropertyHandler(state, path));
}

class RemotePropertyHandler {
  constructor(state, path) {
    this.state = state;
    this.path = path;
    this.read = undefined;
  }
  reading() { return (this.read ??= rpcSend(this.state, this.path, false, undefined)); }
  get(_, key) {
    if (key === 'then') return (ok, err) => this.reading().then(ok, err);
    if (key === 'catch') return err => this.reading().catch(err);
    if (key === 'finally') return f => this.reading().finally(f);
    if (typeof key !== 'string' || NOT_REMOTE.has(key)) return undefined;
    return remoteProperty(this.state, [...this.path, key]);
  }
  apply(_, thisArg, args) { return rpcPromise(rpcSend(this.state, this.path, true, args)); }
}

// A call's promise whose properties can be used before it settles.
function rpcPromise(promise) {
  return new Proxy(() => {}, new RpcPromiseHandler(promise));
}

class RpcPromiseHandler {
  constructor(promise) {
    this.promise = promise;
  }
  get(_, key) {
    const promise = this.promise;
    if (key === 'then') return (ok, err) => promise.then(ok, err);
    if (key === 'catch') return err => promise.catch(err);
    if (key === 'finally') return f => promise.finally(f);
    if (key === DISPOSE) return () => promise.then(v => v?.[DISPOSE]?.(), () => {});
    if (typeof key !== 'string' || NOT_REMOTE.has(key)) return undefined;
    return pipelined(promise, [key]);
  }
  apply() { throw new TypeError('An RPC result is not a function'); }
}

// `path` of what `promise` resolves to.
function pipelined(promise, path) {
  const walk = v => path.reduce((o, key) => o[key], v);
  return new Proxy(() => {}, {
    get(_, key) {
      if (key === 'then') return (ok, err) => promise.then(walk).then(ok, err);
      if (key === 'catch') return err => promise.then(walk).catch(err);
      if (key === 'finally') return f => promise.then(walk).finally(f);
      if (typeof key !== 'string' || NOT_REMOTE.has(key)) return undefined;
      return pipelined(promise, [...path, key]);
    },
    apply(_, thisArg, args) {
      return rpcPromise(promise.then(v => {
        const holder = path.slice(0, -1).reduce((o, key) => o[key], v);
        return holder[path[path.length - 1]](...args);
      }));
    },
  });
}

// `new RpcStub(value)`: a stub of an RpcTarget (or a function) of this
// isolate, which can be sent and called like a remote one.
function makeLocalStub(value) {
  if (!(value instanceof RpcTarget) && typeof value !== 'function' && !isRpcStub(value)) {
    throw new TypeError('RpcStub: the value must be an RpcTarget or a function');
  }
  if (isRpcStub(value)) return value;
  return makeStub({ target: ['local', value], disposed: false }, undefined, typeof value === 'function' ? () => {} : {});
}

// `env.NAME` of a service binding: a stub of the Worker's entrypoint
// (`null`: its default export) that also has a Fetcher's `fetch`, made with
// `makeFetcher` (fetch.js). `props` (a plain object, or undefined) is what
// the entrypoint reads as `ctx.props` on each call: it travels in wire form
// (copied as structured clone copies, once, here).
function makeServiceStub(worker, entrypoint, props, makeFetcher) {
  return makeServiceStubFromWire(worker, entrypoint, props === undefined ? undefined : propsWire(props), makeFetcher);
}

// The same, with the props already in wire form (or undefined).
function makeServiceStubFromWire(worker, entrypoint, wire, makeFetcher) {
  const fetcher = makeFetcher(worker, 'service_fetch', entrypoint ?? null, wire);
  const fetch = (input, init = undefined) => fetcher.fetch(input, init);
  const state = { target: ['service', worker, entrypoint ?? null, wire], disposed: false };
  return makeStub(state, { __proto__: null, fetch }, fetcher);
}

// The wire form of `props`, which must be an object (functions and
// RpcTargets cannot be sent: props are data).
function propsWire(props) {
  if (props === null || typeof props !== 'object') throw new TypeError('props must be an object');
  return toWire(props);
}

// What a call's receiver reads as `ctx.props`: a copy of what the caller
// gave (`wire`), or an empty object.
function propsOf(wire) {
  return wire === undefined || wire === null ? {} : fromWire(wire, () => {
    throw new TypeError('props cannot hold stubs');
  });
}

// A Durable Object's stub (`env.NS.get(id)`): `target` names the object as
// `durable_fetch` does; `local` are the stub's own members (fetch, id,
// name); `base` is what `instanceof` sees.
function makeObjectStub(target, local, base) {
  return makeStub({ target: ['object', target, null], disposed: false }, local, base);
}

// --- Receiving calls ------------------------------------------------------

// The base classes whose members are not callable over RPC.
function isBasePrototype(proto) {
  return proto === Object.prototype || proto === Function.prototype || proto === RpcTarget.prototype
    || proto === WorkerEntrypoint.prototype || proto === DurableObject.prototype;
}

function notImplemented(key) {
  return new TypeError(`The RPC receiver does not implement the method "${key}".`);
}

// Property `key` of `obj` as RPC sees it: an RpcTarget's (or entrypoint's)
// from its class, not from the instance; a plain object's own. `found`
// false when there is none.
function rpcMember(obj, key) {
  if (key === 'constructor' || key === '__proto__' || obj === null || obj === undefined) return { found: false };
  if (typeof obj !== 'object' && typeof obj !== 'function') return { found: false };
  const proto = Object.getPrototypeOf(obj);
  if (proto === Object.prototype || proto === null || Array.isArray(obj)) {
    return Object.hasOwn(obj, key) ? { found: true, value: obj[key] } : { found: false };
  }
  if (typeof obj === 'function') return { found: false };
  for (let p = proto; p !== null && !isBasePrototype(p); p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, key)) return { found: true, value: Reflect.get(p, key, obj) };
  }
  return { found: false };
}

// Calls (or reads) `path` of `receiver`. A stub (one this isolate got from
// another, and passed on) forwards the call.
async function invoke(receiver, path, isCall, args) {
  const forwarded = stubStates.get(receiver);
  if (forwarded !== undefined) return rpcSend(forwarded, path, isCall, args);
  if (path.length === 0) {
    if (!isCall) return receiver;
    if (typeof receiver !== 'function') throw new TypeError('The RPC receiver is not a function.');
    return receiver(...args);
  }
  let holder = receiver;
  for (let i = 0; i < path.length - 1; i++) {
    const member = rpcMember(await holder, path[i]);
    if (!member.found) throw notImplemented(path[i]);
    holder = member.value;
  }
  holder = await holder;
  const key = path[path.length - 1];
  const member = rpcMember(holder, key);
  if (!isCall) return member.found ? member.value : undefined;
  if (!member.found) throw notImplemented(key);
  if (typeof member.value !== 'function') throw new TypeError(`"${key}" is not a function.`);
  return Reflect.apply(member.value, holder, args);
}

// Event `id`: a call `event` for this isolate. `mod` is the Worker's module
// namespace, `makeCtx(props)` and `env` what an entrypoint is made with
// (`props`: its `ctx.props`, undefined for an empty object).
function dispatchRpc(id, event, mod, makeCtx, env) {
  let running;
  try {
    const [kind, name, props] = event.receiver;
    let receiver;
    if (kind === 'entrypoint') {
      const cls = mod === null ? undefined : (name === null ? mod.default : mod[name]);
      if (!isEntrypointClass(cls)) {
        throw new TypeError(name === null
          ? "The Worker's default export is not a class that extends WorkerEntrypoint, so it has no RPC methods"
          : `The Worker has no entrypoint named "${name}" (an exported class that extends WorkerEntrypoint)`);
      }
      receiver = new cls(makeCtx(props === undefined ? undefined : propsOf(props)), env);
    } else if (kind === 'export') {
      const entry = rpcExports.get(name);
      if (entry === undefined) throw new Error('RPC stub is no longer valid: what it called was released');
      if (entry.owner !== null) {
        // A Durable Object's: an event of the object.
        entry.owner(id, gate => runInObject(id, entry.value, event, gate, entry.owner));
        return;
      }
      receiver = entry.value;
    } else {
      throw new TypeError(`RPC: unknown receiver kind '${kind}'`);
    }
    const args = event.call ? fromWire(event.args, (k, n) => importStub(event.peer, n), event.streams, event.writers) : [];
    running = invoke(receiver, event.path, event.call, args);
  } catch (e) {
    running = Promise.reject(e);
  }
  running.then(v => answer(id, false, v), e => answer(id, true, e));
}

// Event `id`: a call `event` of the Durable Object `instance` (an event of
// the object, see cloudflare/durable.js). `gate.opened()` gives the
// object's output gate (null when it is open): the answer leaves once the
// writes made before it are durable. `owner(id, run)` delivers a later
// call of what the answer exports (an RpcTarget, a function) as an event
// of the object too, which runs it with `run(gate)`: one at a time with the object's other events,
// behind its blockConcurrencyWhile, its answer behind its output gate, as
// Cloudflare runs them in the object that made them.
function callObject(id, event, instance, gate, owner) {
  runInObject(id, instance instanceof DurableObject ? instance : NOT_AN_RPC_OBJECT, event, gate, owner);
}

// What `callObject` calls instead of an instance whose class does not
// extend DurableObject: the call throws.
const NOT_AN_RPC_OBJECT = Symbol('not an RPC object');

// The arguments of call `event` (none for a property read).
function argsOf(event) {
  if (!event.call) return [];
  return fromWire(event.args, (k, n) => importStub(event.peer, n), event.streams, event.writers);
}

// Event `id`: call `event` of `target`, an event of a Durable Object (see
// `callObject`).
function runInObject(id, target, event, gate, owner) {
  let running;
  try {
    if (target === NOT_AN_RPC_OBJECT) {
      throw new TypeError('The receiving Durable Object does not support RPC, because its class was not declared with `extends DurableObject`.');
    }
    running = invokeNow(target, event.path, event.call, argsOf(event));
  } catch (e) {
    running = Promise.reject(e);
  }
  running.then(v => answerAfterGate(id, false, v, gate, owner), e => answerAfterGate(id, true, e, gate, owner));
}

// Event `id`'s answer, once its output gate `gate` (see `callObject`)
// opens.
function answerAfterGate(id, threw, value, gate, owner) {
  const opened = gate.opened();
  if (opened === null) answer(id, threw, value, owner);
  else opened.then(() => answer(id, threw, value, owner), e => answer(id, true, e));
}

// `invoke`, with a method (or property) of the receiver itself reached at
// once rather than after a turn of microtasks: what a Durable Object's
// calls do (the call is an event of its own, so nothing runs before it).
function invokeNow(receiver, path, isCall, args) {
  if (path.length !== 1 || stubStates.has(receiver) || receiver === null
    || (typeof receiver !== 'object' && typeof receiver !== 'function') || typeof receiver.then === 'function') {
    return invoke(receiver, path, isCall, args);
  }
  try {
    const key = path[0];
    const member = rpcMember(receiver, key);
    if (!isCall) return promiseResolvedWith(member.found ? member.value : undefined);
    if (!member.found) throw notImplemented(key);
    if (typeof member.value !== 'function') throw new TypeError(`"${key}" is not a function.`);
    return promiseResolvedWith(Reflect.apply(member.value, receiver, args));
  } catch (e) {
    return promiseRejectedWith(e);
  }
}

// Event `id`, a call, failed before its receiver was reached: its caller
// gets `e` as what the call threw.
function failCall(id, e) {
  answer(id, true, e);
}

function answer(id, threw, value, owner = null) {
  // A plain value (most) exports nothing and carries no stream.
  if (wireIsPlain(value)) {
    op('rpc_result', id, threw, wirePlain(value), null, NO_HANDLES, NO_HANDLES);
    return;
  }
  const grant = openGrant(owner);
  const box = openOutbox();
  let wire;
  try {
    wire = wireOf(value, grant, box);
  } catch (e) {
    if (grant.id !== null) releaseGrant(grant.id);
    grant.id = null;
    box.drop();
    threw = true;
    wire = toWire(e);
  }
  op('rpc_result', id, threw, wire, grant.id, box.streams, box.writers());
  box.sent();
}
