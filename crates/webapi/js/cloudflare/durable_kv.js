// The synchronous key-value API of a Durable Object's storage,
// `ctx.storage.kv`, as Cloudflare documents it for SQLite-backed objects:
// `get(key)` (the value, or undefined), `put(key, value)`, `delete(key)`
// (whether the key was there) and `list(options)` (an iterator of
// `[key, value]` pairs in key order; `start`, `startAfter`, `end`,
// `prefix`, `reverse`, `limit` as the asynchronous `list`).
//
// It is another door to the same pairs as the asynchronous API
// (`ctx.storage.get`, `put`…): the same table, keys, limits and encoding,
// inside `transactionSync` the same transaction, and the same output gate:
// a write marks the object's storage as not yet durable, so what the
// object sends next (its response, a fetch, a WebSocket message) waits
// for the flush. The host's storage calls are synchronous already; only
// the promise around them is left out.
//
// `list()` reads its pairs in chunks as the iterator reaches them
// (durable_list.js): an iterator over a large object holds a chunk, not
// the object, and sees the writes made ahead of it meanwhile. As on
// Cloudflare, one listing is read at a time: a new `list()` (or
// `ctx.storage.list()`) invalidates the iterators not finished yet (their
// next `next()` throws).

class SyncKvStorage {
  #rec;
  constructor(key) { if (key !== DO_KEY) throw new TypeError('Illegal constructor'); }
  static make(rec) {
    const s = new SyncKvStorage(DO_KEY);
    s.#rec = rec;
    return s;
  }
  get(key) {
    const value = op('durable', 'get', this.#rec.slot, [doKey(key)])[0];
    return value === null ? undefined : doDeserialize(value);
  }
  put(key, value) {
    op('durable', 'put', this.#rec.slot, [doKey(key)], [doSerialize(value)]);
    doWrote(this.#rec);
  }
  delete(key) {
    const n = op('durable', 'delete', this.#rec.slot, [doKey(key)]);
    doWrote(this.#rec);
    return n > 0;
  }
  list(options = undefined) {
    const rec = this.#rec;
    const cursor = new DoListCursor(rec, doListOptions(options));
    const list = doListStarted(rec);
    return SyncKvListIterator.make(cursor, () => list === rec.lists);
  }
}
tag(SyncKvStorage);

class SyncKvListIterator {
  // Null once the iterator said it is done.
  #cursor;
  #current;
  constructor(key) { if (key !== DO_KEY) throw new TypeError('Illegal constructor'); }
  static make(cursor, current) {
    const it = new SyncKvListIterator(DO_KEY);
    it.#cursor = cursor;
    it.#current = current;
    return it;
  }
  next() {
    if (this.#cursor === null) return { done: true, value: undefined };
    if (!this.#current()) {
      throw new Error('kv.list() iterator was invalidated because a new call to kv.list() was started. Only one kv.list() iterator can exist at a time.');
    }
    const pair = this.#cursor.next();
    if (pair === undefined) {
      this.#cursor = null;
      return { done: true, value: undefined };
    }
    return { done: false, value: [pair[0], doDeserialize(pair[1])] };
  }
  [Symbol.iterator]() { return this; }
}
tag(SyncKvListIterator);
