// Durable Objects (`durable_objects.bindings`), as Cloudflare documents
// them: `env.NAME` is a DurableObjectNamespace (idFromName, newUniqueId,
// idFromString, get, getByName, jurisdiction); ids (toString, equals,
// name); stubs whose `fetch` sends the request to the object. In the
// Worker that exports the class, the objects themselves: made on their
// first event with `new Class(ctx, env)` (a class extending DurableObject
// from cloudflare:workers, or the older `constructor(state, env)`), their
// `ctx` (id, storage, waitUntil, blockConcurrencyWhile) and their storage:
// the key-value API (get/put/delete one key or many, list, deleteAll,
// transaction, transactionSync, sync, alarms) and the SQL API
// (`storage.sql.exec` cursors, `databaseSize`). Hibernatable WebSockets:
// durable_websockets.js; the objects' timers: durable_timers.js.
//
// Ops (runtime/src/durable): `durable(method, …)` for ids and storage,
// synchronous; `durable_fetch(token, target, …)` for a stub's fetch (as a
// service binding's, through makeFetcher); a stub's other members are RPC
// (cloudflare/rpc.js), whose calls come as events of kind 'rpc'; host work `durable_flush(slot)`,
// which makes the object's writes durable: a response of the object waits
// for it (the output gate), and one that fails resets the object (doBreak). Events come as `{ type: 'durable', kind, slot,
// class, id, name, payload }`; `{ type: 'durable_evict', slot }`
// drops an object that was idle. Values are stored as the bytes of
// queueSerialize (cloudflare/queue.js), a structured clone.
//
// A group of its own, loaded when a Worker with a namespace binding starts
// or an object's first event arrives (events.js).

const DO_MAX_KEY_BYTES = 2048;
const DO_MAX_VALUE_BYTES = 2 * 1024 * 1024;
const DO_MAX_KEYS = 128;
// What the classes' constructors take from this file alone: Worker code
// cannot make them.
const DO_KEY = Symbol('durable');

// ---- Ids, namespaces and stubs ----

let makeDurableId; // (id, name, namespace) => DurableObjectId
let durableIdOf; // id => its hex digits
let durableNameOf; // id => its name, if made from one
let durableNamespaceOf; // id => the namespace key it was made or checked in

class DurableObjectId {
  #id; #name; #namespace;
  constructor(key) { if (key !== DO_KEY) throw new TypeError('Illegal constructor'); }
  static {
    makeDurableId = (id, name, namespace = undefined) => {
      const o = new DurableObjectId(DO_KEY);
      o.#id = id;
      o.#name = name;
      o.#namespace = namespace;
      return o;
    };
  }
  toString() { return this.#id; }
  equals(other) { return other instanceof DurableObjectId && other.#id === this.#id; }
  get name() { return this.#name; }
  static {
    durableIdOf = o => o.#id;
    durableNameOf = o => o.#name;
    durableNamespaceOf = o => o.#namespace;
  }
}
tag(DurableObjectId);

let makeDurableStub; // (index, id, makeFetcher, makeObjectStub) => DurableObjectStub

// A stub of an object: its `fetch` sends a request to the object, and any
// other member is a method (or property) of the object, called over RPC
// (cloudflare/rpc.js) as an event of the object. The stub is a Proxy whose
// target is a DurableObjectStub, for `instanceof`.
class DurableObjectStub {
  constructor(key) { if (key !== DO_KEY) throw new TypeError('Illegal constructor'); }
  static {
    makeDurableStub = (index, id, makeFetcher, makeObjectStub) => {
      const name = durableNameOf(id);
      const target = `${index}:${durableIdOf(id)}${name === undefined ? '' : `:${name}`}`;
      // Made by the first `fetch`: most stubs are only called over RPC.
      let fetcher = null;
      const local = {
        __proto__: null,
        id,
        name,
        fetch: (input, init = undefined) => (fetcher ??= makeFetcher(target, 'durable_fetch')).fetch(input, init),
      };
      return makeObjectStub(target, local, new DurableObjectStub(DO_KEY));
    };
  }
}
tag(DurableObjectStub);

// How many names' ids a namespace keeps (see idFromName).
const DO_NAME_IDS_KEPT = 256;

class DurableObjectNamespace {
  #index; #namespace; #makeFetcher; #makeObjectStub;
  // name => its id's digits: a name's id is the same every time (a hash
  // of the namespace and the name), so the op that computes it is asked
  // once per name, for the names used last.
  #nameIds = new Map();
  constructor(key) { if (key !== DO_KEY) throw new TypeError('Illegal constructor'); }
  static make(index, namespace, makeFetcher, makeObjectStub) {
    const n = new DurableObjectNamespace(DO_KEY);
    n.#index = index;
    n.#namespace = namespace;
    n.#makeFetcher = makeFetcher;
    n.#makeObjectStub = makeObjectStub;
    return n;
  }
  newUniqueId(options = undefined) { return makeDurableId(op('durable', 'newId', this.#namespace), undefined, this.#namespace); }
  idFromName(name) {
    requireArgs(arguments.length, 1, 'idFromName');
    const s = String(name);
    let id = this.#nameIds.get(s);
    if (id === undefined) {
      id = op('durable', 'fromName', this.#namespace, s);
      if (this.#nameIds.size >= DO_NAME_IDS_KEPT) this.#nameIds.clear();
      this.#nameIds.set(s, id);
    }
    return makeDurableId(id, s, this.#namespace);
  }
  idFromString(id) {
    requireArgs(arguments.length, 1, 'idFromString');
    return makeDurableId(op('durable', 'check', this.#namespace, String(id)), undefined, this.#namespace);
  }
  get(id, options = undefined) {
    if (!(id instanceof DurableObjectId)) throw new TypeError("Failed to execute 'get' on 'DurableObjectNamespace': parameter 1 is not of type 'DurableObjectId'.");
    // An id of another namespace is refused here, not at the first fetch
    // (one this namespace made or checked is one of its own).
    if (durableNamespaceOf(id) !== this.#namespace) op('durable', 'check', this.#namespace, durableIdOf(id));
    return makeDurableStub(this.#index, id, this.#makeFetcher, this.#makeObjectStub);
  }
  getByName(name, options = undefined) { return this.get(this.idFromName(name), options); }
  jurisdiction(name) { return this; }
}
tag(DurableObjectNamespace);

// `env.NAME` for namespace binding `index` (its key `namespace`);
// `makeFetcher` and `makeObjectStub(target, local, base)` (rpc.js) make its
// stubs.
function makeNamespace(index, namespace, makeFetcher, makeObjectStub) {
  return DurableObjectNamespace.make(index, namespace, makeFetcher, makeObjectStub);
}

// ---- Values and keys ----

function doSerialize(value) {
  if (value === undefined) throw new TypeError('put(): the value cannot be undefined');
  const bytes = loadGroup(QUEUE_BINDING).queueSerialize(value);
  if (bytes.byteLength > DO_MAX_VALUE_BYTES) {
    throw new RangeError(`Values cannot be larger than ${DO_MAX_VALUE_BYTES} bytes. A value of size ${bytes.byteLength} was provided.`);
  }
  return bytes;
}

function doDeserialize(bytes) {
  return loadGroup(QUEUE_BINDING).queueDeserialize(bytes);
}

function doKey(key) {
  if (typeof key !== 'string') {
    if (key === undefined) throw new TypeError('The key must be a string (key is undefined)');
    key = String(key);
  }
  // A UTF-16 code unit is at most 3 bytes of UTF-8: a short key needs no
  // count.
  if (key.length * 3 <= DO_MAX_KEY_BYTES) return key;
  const size = utf8Encode(key).byteLength;
  if (size > DO_MAX_KEY_BYTES) throw new RangeError(`Keys cannot be larger than ${DO_MAX_KEY_BYTES} bytes. A key of size ${size} was provided.`);
  return key;
}

function doKeys(keys) {
  if (keys.length > DO_MAX_KEYS) throw new RangeError(`Maximum number of keys is ${DO_MAX_KEYS}. ${keys.length} keys were provided.`);
  return keys.map(doKey);
}

// The rejection of point-in-time recovery's method `name`.
function doNoPitr(name) {
  return promiseRejectedWith(new Error(`ctx.storage.${name}(): point-in-time recovery is not supported by motu (an object's storage keeps no history)`));
}

// A promise of `fn()`'s result (a throw becomes a rejection), as each
// async storage method returns one.
function doAsync(fn) {
  try {
    return promiseResolvedWith(fn());
  } catch (e) {
    return promiseRejectedWith(e);
  }
}

// ---- The objects of this isolate ----

// slot -> { slot, id, name, instance, blocks, queue, unflushed, storage }
const doObjects = new Map();

// Event id -> the object whose event it is, until the object answers it:
// what the object sends out meanwhile (a fetch, a WebSocket it opens)
// goes through its output gate (outgoingGate, socketGate).
const doEventObjects = new Map();

function doTrackEvent(rec, id, kind) {
  rec.events.set(id, kind);
  doEventObjects.set(id, rec);
}

function doUntrackEvent(rec, id) {
  if (doEventObjects.get(id) === rec) doEventObjects.delete(id);
  // An event that sends nothing out (a WebSocket message's) may set an
  // alarm that no flush follows soon: the scheduler hears of it once the
  // event is over.
  if (rec.alarmSet) doNoteAlarm(rec);
  return rec.events.delete(id);
}

// What a `fetch()` (or a WebSocket's connection) made during event `id`
// waits for: the output gate of the object whose event it is, once the
// writes it made before are durable; null when there is nothing to wait
// for. Nothing leaves an aborted object.
function outgoingGate(id) {
  const rec = doEventObjects.get(id);
  if (rec === undefined) return null;
  if (rec.aborted !== null) return promiseRejectedWith(rec.aborted);
  if (!rec.unflushed && rec.flushing === null) return null;
  return doOutputGate(rec);
}

// `outgoingGate` of the running event: no op to ask which one it is
// while no object's event is going on in this isolate (a Worker's own
// calls of its objects).
function currentOutgoingGate() {
  return doEventObjects.size === 0 ? null : outgoingGate(op('current_event'));
}

// How a WebSocket the object opens during event `id` sends and closes:
// through the object's output gate, as its other sockets do (null when
// `id` is not an object's event).
function socketGate(id) {
  const rec = doEventObjects.get(id);
  return rec === undefined ? null : send => doGatedOutput(rec, send);
}

// `socketGate` of the running event, as `currentOutgoingGate`.
function currentSocketGate() {
  return doEventObjects.size === 0 ? null : socketGate(op('current_event'));
}

// How a WebSocket the object opens during event `id` (`new WebSocket(url)`,
// `fetch` with `Upgrade: websocket`) becomes the instance's own once it is
// connected: `own(handle)` gives the function that forgets it when it
// closes (and tells the host, which keeps the object in memory while the
// socket is open) — or closes it at once and gives null if the object was reset
// meanwhile. A reset closes the instance's own sockets (doAbort). Null
// when `id` is not an object's event.
function socketOwner(id) {
  const rec = doEventObjects.get(id);
  return rec === undefined ? null : handle => doOwnSocket(rec, handle);
}

// The close of a reset instance's sockets (as the host closes the sockets
// its events answered with).
const DO_RESET_CLOSE = [1011, 'Durable Object reset'];

function doOwnSocket(rec, handle) {
  if (rec.aborted !== null) {
    op('ws_close', handle, ...DO_RESET_CLOSE);
    return null;
  }
  (rec.own ??= new Set()).add(handle);
  // While it is open the object stays in memory (as on Cloudflare, an
  // object's outgoing socket keeps it from leaving when idle).
  op('durable', 'own', rec.slot, handle);
  return () => rec.own?.delete(handle);
}

// The output gate: a promise that settles once the object's writes so far
// are durable. Flushes are grouped: while one is going on, the outputs
// that need a later one share the next, which starts when it ends and
// covers every write made until then. A reset object's gate never opens
// again (it rejects with the reset's error).
function doOutputGate(rec) {
  if (rec.aborted !== null) return promiseRejectedWith(rec.aborted);
  if (!rec.unflushed) return rec.flushing ?? promiseResolvedWith(undefined);
  if (rec.flushing === null) return doFlush(rec);
  rec.nextFlush ??= transformPromise(rec.flushing, () => doFlush(rec), () => doFlush(rec));
  return rec.nextFlush;
}

// A flush that fails resets the object (doBreak): the outputs waiting for
// it never leave, and neither does anything the object sends later.
function doFlush(rec) {
  if (rec.aborted !== null) return promiseRejectedWith(rec.aborted);
  rec.unflushed = false;
  rec.nextFlush = null;
  const alarmSet = rec.alarmSet;
  rec.alarmSet = false;
  const flush = promiseResolvedWith(hostWork('durable_flush', rec.slot));
  rec.flushing = flush;
  const done = () => {
    if (rec.flushing === flush) rec.flushing = null;
    if (alarmSet) doNoteAlarm(rec);
  };
  // First of the flush's reactions: the object is reset before an output
  // waiting for the flush hears of its failure.
  uponPromise(flush, done, e => {
    done();
    doBreak(rec, e);
  });
  return flush;
}

// The object set an alarm and the write is durable (or the event that set
// it ended without a flush): the host's alarm scheduler hears of it now
// (it sleeps until the earliest alarm it knows of). Not at the setAlarm
// itself: the alarm's event would come as soon as the alarm is due, and a
// handler that runs past the CPU limit would fail the event that set it
// while its answer waits for the output gate. Told here, in the flush's
// first reaction, the event's answer leaves in this same turn, before the
// alarm's event can come in.
function doNoteAlarm(rec) {
  rec.alarmSet = false;
  if (rec.aborted === null && doObjects.get(rec.slot) === rec) op('durable', 'noteAlarm', rec.slot);
}

// The object's flush failed with `cause`: its writes since the last flush
// that succeeded may never reach the disk (after a failed fsync the kernel
// may have dropped the pages it could not write, and a later fsync's
// success says nothing of them), yet its memory may hold what they wrote.
// So it is reset as `ctx.abort()` resets it, with Cloudflare's error for a
// failed storage write: every event of it not answered yet fails, nothing
// it sends later leaves, its instance is dropped, and the host closes its
// database; the next event makes a new instance, which reads the storage
// anew from disk (see checkpoint_left_log in crates/storage).
function doBreak(rec, cause) {
  if (rec.aborted !== null) return;
  const error = new Error('Internal error in Durable Object storage write caused object to be reset.');
  error.durableObjectReset = true;
  error.cause = cause;
  doAbort(rec, error, 'broken');
}

// Runs `send` (the object sending on, or closing, a hibernatable
// WebSocket) once the writes it made before are durable, after what it
// sent before: the output gate of its WebSocket messages. At once when no
// write and no earlier message waits.
function doGatedOutput(rec, send) {
  // Nothing leaves a reset object.
  if (rec.aborted !== null) return;
  if (rec.outputs === null && !rec.unflushed && rec.flushing === null) return send();
  const gate = doOutputGate(rec);
  const before = rec.outputs ?? promiseResolvedWith(undefined);
  const sent = transformPromise(transformPromise(before, () => gate, () => gate), () => {
    // Nothing leaves an aborted object.
    if (rec.aborted === null) send();
  });
  rec.outputs = sent;
  const done = () => {
    if (rec.outputs === sent) rec.outputs = null;
  };
  // A message that could not be sent (the socket closed meanwhile, or the
  // flush failed) is dropped, as one sent on a closed socket.
  uponPromise(sent, done, done);
}

class DurableObjectStorage {
  #rec;
  #sql;
  #kv;
  constructor(key) { if (key !== DO_KEY) throw new TypeError('Illegal constructor'); }
  static make(rec) {
    const s = new DurableObjectStorage(DO_KEY);
    s.#rec = rec;
    return s;
  }
  #call(method, ...args) { return op('durable', method, this.#rec.slot, ...args); }
  #wrote() { doWrote(this.#rec); }
  // get and put, the most used, make no closure per call.
  get(keys, options = undefined) {
    try {
      return promiseResolvedWith(this.#get(keys));
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }
  #get(keys) {
    const slot = this.#rec.slot;
    if (Array.isArray(keys)) {
      const names = doKeys(keys);
      const values = op('durable', 'get', slot, names);
      const out = new Map();
      for (let i = 0; i < names.length; i++) if (values[i] !== null) out.set(names[i], doDeserialize(values[i]));
      return out;
    }
    const value = op('durable', 'get', slot, [doKey(keys)])[0];
    return value === null ? undefined : doDeserialize(value);
  }
  put(keyOrEntries, value = undefined, options = undefined) {
    try {
      this.#put(keyOrEntries, value);
      return promiseResolvedWith(undefined);
    } catch (e) {
      return promiseRejectedWith(e);
    }
  }
  #put(keyOrEntries, value) {
    let keys, values;
    if (keyOrEntries !== null && typeof keyOrEntries === 'object') {
      const entries = Object.entries(keyOrEntries);
      keys = doKeys(entries.map(e => e[0]));
      values = entries.map(e => doSerialize(e[1]));
    } else {
      keys = [doKey(keyOrEntries)];
      values = [doSerialize(value)];
    }
    op('durable', 'put', this.#rec.slot, keys, values);
    doWrote(this.#rec);
  }
  delete(keys, options = undefined) {
    return doAsync(() => {
      const many = Array.isArray(keys);
      const n = this.#call('delete', many ? doKeys(keys) : [doKey(keys)]);
      this.#wrote();
      return many ? n : n > 0;
    });
  }
  list(options = undefined) {
    return doAsync(() => doListMap(this.#rec, options));
  }
  deleteAll(options = undefined) {
    return doAsync(() => {
      this.#call('deleteAll');
      this.#wrote();
    });
  }
  // Undoes the innermost transaction's writes: a listing reads on
  // without them (durable_list.js).
  #rollback() {
    this.#call('rollback');
    this.#rec.writes++;
  }
  transactionSync(closure) {
    this.#call('begin');
    let result;
    try {
      result = closure();
    } catch (e) {
      this.#rollback();
      throw e;
    }
    this.#call('commit');
    this.#wrote();
    return result;
  }
  transaction(closure) {
    return doAsync(() => {
      this.#call('begin');
      let rolledBack = false;
      const txn = {
        get: (...a) => this.get(...a),
        put: (...a) => this.put(...a),
        delete: (...a) => this.delete(...a),
        list: (...a) => this.list(...a),
        deleteAll: (...a) => this.deleteAll(...a),
        getAlarm: (...a) => this.getAlarm(...a),
        setAlarm: (...a) => this.setAlarm(...a),
        deleteAlarm: (...a) => this.deleteAlarm(...a),
      };
      txn.rollback = () => {
        if (!rolledBack) {
          rolledBack = true;
          this.#rollback();
        }
      };
      return transformPromise(transformPromise(promiseResolvedWith(undefined), () => closure(txn)), value => {
        if (!rolledBack) this.#call('commit');
        this.#wrote();
        return value;
      }, e => {
        if (!rolledBack) this.#rollback();
        throw e;
      });
    });
  }
  sync() { return doOutputGate(this.#rec); }
  getAlarm(options = undefined) { return doAsync(() => this.#call('getAlarm')); }
  setAlarm(scheduledTime, options = undefined) {
    return doAsync(() => {
      const ms = scheduledTime instanceof Date ? scheduledTime.getTime() : Number(scheduledTime);
      if (!Number.isFinite(ms)) throw new TypeError('setAlarm() needs a Date or a number of milliseconds since the epoch');
      this.#call('setAlarm', ms);
      this.#wrote();
      this.#rec.alarmSet = true;
    });
  }
  deleteAlarm(options = undefined) {
    return doAsync(() => {
      this.#call('setAlarm', null);
      this.#wrote();
    });
  }
  get sql() {
    return this.#sql ??= SqlStorage.make(this.#rec, () => this.#wrote());
  }
  set sql(value) { replaceValue(this, 'sql', value); }
  get kv() {
    return this.#kv ??= SyncKvStorage.make(this.#rec);
  }
  set kv(value) { replaceValue(this, 'kv', value); }
  // Point-in-time recovery is not kept: its methods say so (rejected
  // promises, as Cloudflare's are asynchronous).
  getCurrentBookmark() { return doNoPitr('getCurrentBookmark'); }
  getBookmarkForTime(timestamp) { return doNoPitr('getBookmarkForTime'); }
  onNextSessionRestoreBookmark(bookmark) { return doNoPitr('onNextSessionRestoreBookmark'); }
}
tag(DurableObjectStorage);

class SqlStorage {
  #rec; #wrote;
  constructor(key) { if (key !== DO_KEY) throw new TypeError('Illegal constructor'); }
  static make(rec, wrote) {
    const s = new SqlStorage(DO_KEY);
    s.#rec = rec;
    s.#wrote = wrote;
    return s;
  }
  exec(query, ...bindings) {
    const values = bindings.map(b => {
      if (b instanceof ArrayBuffer) return new Uint8Array(b.slice(0));
      if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      return b;
    });
    const result = op('durable', 'exec', this.#rec.slot, String(query), values);
    if (result.rowsWritten > 0 || !/^\s*(select|pragma\s+\w+\s*$|explain)/i.test(String(query))) this.#wrote();
    return SqlStorageCursor.make(result);
  }
  get databaseSize() { return op('durable', 'size', this.#rec.slot); }
}
tag(SqlStorage);

// The rows of one `sql.exec`. They come from the host all at once (the
// statement runs to its end in `exec`, see the README); each row's BLOBs
// become ArrayBuffers as the row is handed out, and the rows are let go
// once the cursor has handed out the last one.
class SqlStorageCursor {
  #columns; #rows; #next = 0; #read; #written;
  constructor(key) { if (key !== DO_KEY) throw new TypeError('Illegal constructor'); }
  static make(result) {
    const c = new SqlStorageCursor(DO_KEY);
    c.#columns = result.columns;
    c.#rows = result.rows;
    c.#next = 0;
    c.#read = result.rowsRead;
    c.#written = result.rowsWritten;
    return c;
  }
  // The next row's values (a new array), or undefined after the last.
  #take() {
    const rows = this.#rows;
    if (this.#next >= rows.length) {
      this.#rows = [];
      this.#next = 0;
      return undefined;
    }
    const row = rows[this.#next];
    rows[this.#next++] = undefined;
    const out = new Array(row.length);
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      out[i] = v instanceof Uint8Array ? v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) : v;
    }
    return out;
  }
  #object(row) {
    const o = {};
    for (let i = 0; i < this.#columns.length; i++) o[this.#columns[i]] = row[i];
    return o;
  }
  next() {
    const row = this.#take();
    return row === undefined ? { done: true, value: undefined } : { done: false, value: this.#object(row) };
  }
  toArray() {
    const out = [];
    for (let row = this.#take(); row !== undefined; row = this.#take()) out.push(this.#object(row));
    return out;
  }
  one() {
    const rest = this.toArray();
    if (rest.length === 0) throw new Error('Expected exactly one result from SQL query, but got no results.');
    if (rest.length > 1) throw new Error('Expected exactly one result from SQL query, but got multiple results.');
    return rest[0];
  }
  raw() {
    const self = {
      next: () => {
        const row = this.#take();
        return row === undefined ? { done: true, value: undefined } : { done: false, value: row };
      },
      toArray: () => {
        const out = [];
        for (let row = this.#take(); row !== undefined; row = this.#take()) out.push(row);
        return out;
      },
      [Symbol.iterator]() { return self; },
    };
    return self;
  }
  get columnNames() { return this.#columns.slice(); }
  get rowsRead() { return this.#read; }
  get rowsWritten() { return this.#written; }
  [Symbol.iterator]() { return this; }
}
tag(SqlStorageCursor);

let doStateRec; // ctx => its object's record (durable_websockets.js)

// `hooks` (events.js's `durableHooks`) give `waitUntil` and, where the
// compatibility date has them, `exports` (`ctx.exports`, see
// loopback.js); `props` is always an empty object.
class DurableObjectState {
  #rec; #storage; #id; #waitUntil; #props;
  constructor(key) { if (key !== DO_KEY) throw new TypeError('Illegal constructor'); }
  static { doStateRec = s => s.#rec; }
  static make(rec, hooks) {
    const s = new DurableObjectState(DO_KEY);
    s.#rec = rec;
    s.#storage = DurableObjectStorage.make(rec);
    s.#id = makeDurableId(rec.id, rec.name);
    s.#waitUntil = hooks.waitUntil;
    if (hooks.exportsEnabled) {
      Object.defineProperty(s, 'exports', {
        __proto__: null, get: () => hooks.exports, set(value) { replaceValue(this, 'exports', value); },
        enumerable: true, configurable: true,
      });
    }
    return s;
  }
  get id() { return this.#id; }
  get props() { return this.#props ??= {}; }
  set props(value) { replaceValue(this, 'props', value); }
  get storage() { return this.#storage; }
  waitUntil(promise) { this.#waitUntil(promise); }
  // Resets the object, as Cloudflare's `ctx.abort(reason)` does: the
  // error (with `reason` as its message) is what every event of the
  // object still going on fails with, this one included, even if the
  // code catches it.
  abort(reason = undefined) {
    const error = new Error(reason === undefined ? 'Application called abort() to reset Durable Object.' : String(reason));
    doAbort(this.#rec, error);
    throw error;
  }
  blockConcurrencyWhile(callback) {
    const rec = this.#rec;
    rec.blocks++;
    let result;
    try {
      result = promiseResolvedWith(callback());
    } catch (e) {
      result = promiseRejectedWith(e);
    }
    const release = () => {
      rec.blocks--;
      doDrain(rec);
    };
    uponPromise(result, release, release);
    return result;
  }
}
tag(DurableObjectState);

// Delivers the events an object's blockConcurrencyWhile held back, one per
// turn (`durable_yield` settles in a turn of its own): as when they come
// from the host, the microtasks of one (its storage calls' continuations)
// all run before the next begins.
function doDrain(rec) {
  if (rec.blocks > 0 || rec.queue.length === 0 || rec.draining) return;
  rec.draining = true;
  rec.queue.shift()();
  uponPromise(opAsync('durable_yield'), () => {
    rec.draining = false;
    doDrain(rec);
  });
}

// Event `id` for an object (see the top of the file); `hooks` are the
// core's: env, module(), requestFromEvent, respond, fail, rpc, rpcFail,
// waitUntil.
function deliver(id, event, hooks) {
  let rec = doObjects.get(event.slot);
  if (rec === undefined) {
    rec = {
      slot: event.slot, id: event.id, name: event.name ?? undefined, instance: null, blocks: 0, queue: [],
      draining: false, unflushed: false, flushing: null, nextFlush: null, outputs: null,
      // A setAlarm since the last flush began (doNoteAlarm).
      alarmSet: false,
      // Its writes and listings so far (durable_list.js).
      writes: 0, lists: 0,
      // Its events not answered yet (id => kind), and the error it was
      // aborted with (ctx.abort).
      events: new Map(), aborted: null, hooks,
      // The WebSockets it opened itself that are open (socketOwner), and
      // how to clear its pending timers (durable_timers.js).
      own: null, timers: undefined,
    };
    doObjects.set(event.slot, rec);
    const module = hooks.module() ?? {};
    // A Workflow instance's object is its engine (cloudflare/workflow_engine.js).
    const workflow = event.class.startsWith('workflow:') ? event.class.slice('workflow:'.length) : null;
    const cls = workflow === null ? module[event.class] : loadGroup(WORKFLOWS).workflowClassOf(module, workflow);
    try {
      if (typeof cls !== 'function') {
        throw new Error(workflow === null
          ? `The Durable Object class '${event.class}' is not exported by the Worker's main module`
          : `The Workflow class '${workflow}' is not exported by the Worker's main module`);
      }
      rec.instance = new cls(DurableObjectState.make(rec, hooks), hooks.env);
    } catch (e) {
      // The object is not made; the next event tries again.
      if (doObjects.get(event.slot) === rec) {
        doObjects.delete(event.slot);
        op('durable', 'forget', event.slot);
      }
      doClearTimers(rec);
      return failEvent(id, event, hooks, rec.aborted ?? e);
    }
  }
  doTrackEvent(rec, id, event.kind);
  // Behind the events held back, in order.
  if (rec.blocks > 0 || rec.queue.length > 0 || rec.draining) {
    rec.queue.push(() => runEvent(id, event, rec, hooks));
    doDrain(rec);
  } else {
    runEvent(id, event, rec, hooks);
  }
}

// Event `id` failed with `e`: an RPC call's caller gets the error as what
// the call threw; another event fails.
function failEvent(id, event, hooks, e) {
  if (event.kind === 'rpc') hooks.rpcFail(id, e);
  else hooks.fail(id, e);
}

// Hooks for one event `id` of `rec`: its outcome is given once, unless
// the object was aborted first (then the abort gave it). One object per
// event (not a closure per hook): every event of an object makes one.
class DurableEventHooks {
  constructor(id, rec, hooks) {
    this.id = id;
    this.rec = rec;
    this.hooks = hooks;
  }
  // Whether the outcome is still to be given (and from now on, it is).
  settles() { return this.rec.aborted === null && doUntrackEvent(this.rec, this.id); }
  respond(id, response) { if (this.settles()) this.hooks.respond(id, response); }
  fail(id, e) { if (this.settles()) this.hooks.fail(id, e); }
  rpcFail(id, e) { if (this.settles()) this.hooks.rpcFail(id, e); }
  // The output gate. Nothing leaves an aborted object: its calls were
  // failed already.
  gate() { return this.rec.aborted !== null ? new Promise(() => {}) : doOutputGate(this.rec); }
  done() { return doUntrackEvent(this.rec, this.id); }
  // The output gate of an RPC event: null when its answer may go now (no
  // write waits to be durable; the event is then over), else a promise
  // that settles once it may (and never if the object is aborted first).
  opened() {
    const rec = this.rec;
    if (rec.aborted === null && !rec.unflushed && rec.flushing === null) {
      this.done();
      return null;
    }
    return transformPromise(this.gate(), v => {
      this.done();
      return v;
    }, e => {
      this.done();
      throw e;
    });
  }
}

function eventHooks(id, rec, hooks) {
  return new DurableEventHooks(id, rec, hooks);
}

function runEvent(id, event, rec, hooks) {
  if (rec.aborted !== null) return;
  const h = eventHooks(id, rec, hooks);
  if (event.kind === 'alarm') return runAlarm(id, event, rec, h);
  if (event.kind === 'websocket') return runSocketEvent(id, event, rec, h);
  if (event.kind === 'rpc') {
    rec.callOwner ??= (callId, run) => deliverCall(rec, callId, run);
    return hooks.rpc(id, event.payload, rec.instance, h, rec.callOwner);
  }
  let result;
  try {
    if (event.kind !== 'fetch') throw new TypeError(`Unknown Durable Object event: ${event.kind}`);
    const request = hooks.requestFromEvent(event.payload);
    if (typeof rec.instance.fetch !== 'function') throw new TypeError("Handler does not export a fetch() function.");
    result = rec.instance.fetch(request);
  } catch (e) {
    return h.fail(id, e);
  }
  uponPromise(promiseResolvedWith(result),
    response => {
      // A socket the object accepted itself sends through its output gate.
      if (response instanceof Response && response.webSocket !== null) {
        loadGroup(WEBSOCKET).gatePairEnd(response.webSocket, send => doGatedOutput(rec, send));
      }
      uponPromise(h.gate(), () => h.respond(id, response), e => h.fail(id, e));
    },
    e => h.fail(id, e));
}

// Event `id`: a call of something a call of the object `rec` answered
// with (an RpcTarget or a function, see callObject in rpc.js), which
// `run(gate)` runs (`gate.opened()`: the answer's output gate). Delivered
// as the object's own events are: one at a time, behind
// blockConcurrencyWhile, its answer behind the output gate;
// it keeps the object in memory while it goes on, and fails once the
// object was reset or left memory (its RpcTargets went with it).
function deliverCall(rec, id, run) {
  if (rec.aborted !== null || doObjects.get(rec.slot) !== rec) {
    return rec.hooks.rpcFail(id, rec.aborted ?? new Error('RPC stub is no longer valid: the Durable Object that made it left memory'));
  }
  op('durable_attend', rec.slot);
  doTrackEvent(rec, id, 'rpc');
  const start = () => {
    if (rec.aborted !== null) return;
    run(eventHooks(id, rec, rec.hooks));
  };
  if (rec.blocks > 0 || rec.queue.length > 0 || rec.draining) {
    rec.queue.push(start);
    doDrain(rec);
  } else {
    start();
  }
}

// The object's alarm is due: `alarm(alarmInfo)`; once it succeeds, the
// alarm is deleted unless the handler set another. The host gets an empty
// response (or the failure, and retries). An alarm the object deleted or
// moved later since the host found it due (an event of the object ran in
// between) does not run now: the handler is not called, and the alarm it
// set stays. The alarm is written again then (the same, in its database),
// so the host's alarm index says what the object's database does, should
// it have been left behind (the host would find the alarm due again).
function runAlarm(id, event, rec, h) {
  let result, due;
  try {
    due = op('durable', 'getAlarm', rec.slot);
    if (due === null || due > Date.now()) {
      op('durable', 'setAlarm', rec.slot, due);
      return h.respond(id, new Response(null, { status: 204 }));
    }
    if (typeof rec.instance.alarm !== 'function') throw new TypeError('The Durable Object has an alarm set but no alarm() handler');
    result = rec.instance.alarm({ retryCount: event.payload.retryCount, isRetry: event.payload.isRetry });
  } catch (e) {
    return h.fail(id, e);
  }
  const done = () => {
    if (op('durable', 'getAlarm', rec.slot) === due) {
      op('durable', 'setAlarm', rec.slot, null);
      rec.unflushed = true;
    }
    return h.gate();
  };
  uponPromise(promiseResolvedWith(result),
    () => uponPromise(done(), () => h.respond(id, new Response(null, { status: 204 })), e => h.fail(id, e)),
    e => h.fail(id, e));
}

// `ctx.abort(error)`: the object is reset. Its instance is dropped (the
// host forgets its slot, so the next event makes a new one, with its
// storage as it is), and every event of it not answered yet — running or
// held back — fails with `error`; nothing it does later leaves it.
// `how`: the host's op, 'abort' or 'broken' (a failed flush, doBreak).
function doAbort(rec, error, how = 'abort') {
  if (rec.aborted !== null) return;
  rec.aborted = error;
  if (doObjects.get(rec.slot) === rec) {
    doObjects.delete(rec.slot);
    op('durable', how, rec.slot, String(error.message));
  }
  rec.queue.length = 0;
  // Nothing more comes out of the sockets the instance opened itself: they
  // are closed rather than left silent.
  const own = rec.own;
  rec.own = null;
  if (own !== null) for (const handle of own) op('ws_close', handle, ...DO_RESET_CLOSE);
  doClearTimers(rec);
  const events = [...rec.events];
  for (const [id] of events) doUntrackEvent(rec, id);
  for (const [id, kind] of events) failEvent(id, { kind }, rec.hooks, error);
}

// Drops an object that was idle (its slot is gone on the host's side).
function evict(slot) {
  const rec = doObjects.get(slot);
  doObjects.delete(slot);
  if (rec !== undefined) doClearTimers(rec);
}
