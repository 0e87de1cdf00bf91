// Listings of a Durable Object's pairs: the asynchronous
// `ctx.storage.list(options)` (a Map) and the synchronous
// `ctx.storage.kv.list(options)` (an iterator, durable_kv.js).
//
// A listing is read in chunks, never all at once (an object may hold
// gigabytes): the op `durable('list', …)` reads at most a given number of
// pairs (and stops after about 1 MiB of keys and values), and the next
// chunk is asked for by key, after the last one read (before it, in
// reverse) — keyset paging, one indexed range query per chunk. A
// `DoListCursor` reads the chunks as it is iterated: its first chunk is
// small (DO_LIST_FIRST_CHUNK), each next one twice as large, up to
// DO_LIST_MAX_CHUNK. `list()`'s Map is filled chunk by chunk, the values
// deserialised as they come: it holds its pairs once, not twice.
//
// A write made during the iteration (by this event or another one of the
// object, through any API; a transaction's rollback too) is seen by what
// the iteration reads next, as on Cloudflare, whose iterator is a live
// SQLite cursor: the pairs after the last one returned are read again as
// they are now. A key added ahead is listed, one deleted ahead is not, a
// value changed ahead is listed changed; keys at or behind the last one
// returned are not listed again. (The cursor notices writes by the
// object's count of them, `rec.writes`: after one it drops the pairs it
// read ahead and reads on one pair at a time, its chunks growing again.)
//
// One listing at a time: a new listing (either API) invalidates the
// `kv.list()` iterators not finished yet (`rec.lists`), as on Cloudflare.

const DO_LIST_FIRST_CHUNK = 32;
const DO_LIST_MAX_CHUNK = 512;

// The options of a listing, checked and read once:
// `{ start, startAfter, end, prefix, reverse, limit }` (`limit`: a whole
// number of pairs, Infinity without one).
function doListOptions(options) {
  const o = options ?? {};
  const str = v => (v === undefined ? undefined : String(v));
  const limit = o.limit === undefined ? Infinity : Number(o.limit);
  if (!(limit > 0)) throw new RangeError('List limit must be positive.');
  return {
    start: str(o.start), startAfter: str(o.startAfter), end: str(o.end), prefix: str(o.prefix),
    reverse: Boolean(o.reverse), limit: Math.floor(limit),
  };
}

// The object `rec` starts a listing: the `kv.list()` iterators not
// finished are invalidated. The listing's number (it is the current one
// while `rec.lists` is that).
function doListStarted(rec) {
  return ++rec.lists;
}

// The pairs the object `rec` made or changed are not what a cursor read
// ahead any more (see the top of the file).
function doWrote(rec) {
  rec.unflushed = true;
  rec.writes++;
}

// At most `count` pairs of listing `o` of the object `rec` after key
// `last` (in the listing's order; undefined: from its beginning), their
// values serialised: `{ pairs: [[key, bytes]…], done }`, `done` when the
// store holds none after them.
function doListChunk(rec, o, last, count) {
  let start = o.start, startAfter = o.startAfter, end = o.end;
  if (last !== undefined) {
    if (o.reverse) {
      end = last;
    } else {
      start = undefined;
      startAfter = last;
    }
  }
  return op('durable', 'list', rec.slot, start, startAfter, end, o.prefix, o.reverse, count === Infinity ? undefined : count);
}

// The pairs of listing `o` of the object `rec`, read a chunk at a time
// as `next()` reaches them (see the top of the file).
class DoListCursor {
  #rec; #o; #left;
  // The size of the next chunk.
  #ask;
  // The chunk being read, the index of its next pair, and whether the
  // store has no pairs after it.
  #pairs = []; #next = 0; #done = false;
  // The last key returned, and the object's count of writes when the
  // chunk was read.
  #last = undefined; #writes;
  constructor(rec, o, first = DO_LIST_FIRST_CHUNK) {
    this.#rec = rec;
    this.#o = o;
    this.#left = o.limit;
    this.#ask = first;
    this.#writes = rec.writes;
  }
  // The next pair, `[key, bytes]`, or undefined once there is none.
  next() {
    const rec = this.#rec;
    if (rec.writes !== this.#writes) {
      // Written since the chunk was read: what follows the last key is
      // read again, a pair at a time at first.
      this.#writes = rec.writes;
      this.#pairs = [];
      this.#next = 0;
      this.#done = false;
      this.#ask = 1;
    }
    if (this.#next === this.#pairs.length) {
      if (this.#done || this.#left === 0) return this.#end();
      const { pairs, done } = doListChunk(rec, this.#o, this.#last, Math.min(this.#ask, this.#left));
      this.#ask = Math.min(this.#ask * 2, DO_LIST_MAX_CHUNK);
      this.#pairs = pairs;
      this.#next = 0;
      this.#done = done;
      if (pairs.length === 0) return this.#end();
    }
    const pair = this.#pairs[this.#next++];
    this.#last = pair[0];
    this.#left--;
    return pair;
  }
  #end() {
    this.#pairs = [];
    this.#next = 0;
    this.#done = true;
    this.#left = 0;
    return undefined;
  }
}

// `ctx.storage.list(options)`'s Map: the pairs `options` selects in the
// storage of the object `rec`, in key order (or reversed), values
// deserialised.
function doListMap(rec, options) {
  const cursor = new DoListCursor(rec, doListOptions(options), DO_LIST_MAX_CHUNK);
  doListStarted(rec);
  const out = new Map();
  for (let pair = cursor.next(); pair !== undefined; pair = cursor.next()) out.set(pair[0], doDeserialize(pair[1]));
  return out;
}
