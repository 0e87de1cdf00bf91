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
// As on Cloudflare, one list iterator is read at a time: a new `list()`
// invalidates the iterators not finished yet (their next `next()`
// throws). The pairs are read when `list()` is called, their values
// decoded as the iterator reaches them.

class SyncKvStorage {
  #rec;
  // The number of `list()` calls so far: an iterator reads on while its
  // own is the last.
  #lists = 0;
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
    this.#rec.unflushed = true;
  }
  delete(key) {
    const n = op('durable', 'delete', this.#rec.slot, [doKey(key)]);
    this.#rec.unflushed = true;
    return n > 0;
  }
  list(options = undefined) {
    const pairs = doListPairs(this.#rec, options);
    const list = ++this.#lists;
    return SyncKvListIterator.make(pairs, () => list === this.#lists);
  }
}
tag(SyncKvStorage);

class SyncKvListIterator {
  #pairs;
  #next = 0;
  #current;
  constructor(key) { if (key !== DO_KEY) throw new TypeError('Illegal constructor'); }
  static make(pairs, current) {
    const it = new SyncKvListIterator(DO_KEY);
    it.#pairs = pairs;
    it.#current = current;
    return it;
  }
  next() {
    if (this.#next >= this.#pairs.length) return { done: true, value: undefined };
    if (!this.#current()) {
      throw new Error('kv.list() iterator was invalidated because a new call to kv.list() was started. Only one kv.list() iterator can exist at a time.');
    }
    const [key, value] = this.#pairs[this.#next++];
    return { done: false, value: [key, doDeserialize(value)] };
  }
  [Symbol.iterator]() { return this; }
}
tag(SyncKvListIterator);
