// Queue producers (`queues.producers`): `env.NAME` is a Queue, as
// Cloudflare documents it: send(body, { contentType, delaySeconds }),
// sendBatch([{ body, contentType, delaySeconds }], { delaySeconds }) and
// metrics().
//
// Each body is serialised here for its content type (workerd's rules and
// TypeErrors): `text` a string, `bytes` an ArrayBufferView (copied), `json`
// JSON text (the default), `v8` the structured clone of the value in
// motu's own encoding (queueSerialize below; not V8's wire format, which
// nothing outside motu reads here). The host (runtime bindings/queue.rs)
// checks Cloudflare's size and delay limits and stores the messages
// durably; the promise resolves once they are on disk.
//
// A group of its own, loaded when a Worker with a queue binding starts
// (events.js); the consumer's group (queue_batch.js) takes queueDeserialize
// from it.

const QUEUE_CONTENT_TYPES = ['text', 'bytes', 'json', 'v8'];

function queueCall(index, method, ...args) {
  return new PromiseCtor(resolve => resolve(hostWork('storage', index, method, ...args)));
}

function queueContentType(type) {
  const lower = String(type).toLowerCase();
  if (!QUEUE_CONTENT_TYPES.includes(lower)) throw new TypeError(`Unsupported queue message content type: ${type}`);
  return lower;
}

function queueTypeOf(value) {
  return value === null ? 'object' : typeof value;
}

// A body's bytes (or string) for its content type.
function queueBody(body, contentType) {
  if (body === undefined) throw new TypeError('Message body cannot be undefined');
  switch (contentType) {
    case 'text':
      if (typeof body !== 'string') {
        throw new TypeError(`Content Type "text" requires a value of type string, but received: ${queueTypeOf(body)}`);
      }
      return body;
    case 'bytes':
      if (!ArrayBuffer.isView(body)) {
        throw new TypeError(`Content Type "bytes" requires a value of type ArrayBufferView, but received: ${queueTypeOf(body)}`);
      }
      return new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
    case 'v8':
      return queueSerialize(body);
    default: {
      const text = JSON.stringify(body);
      if (text === undefined) throw new TypeError(`Message body of type ${queueTypeOf(body)} cannot be serialized to JSON`);
      return text;
    }
  }
}

function queueDelay(delay) {
  return delay === undefined || delay === null ? undefined : Number(delay);
}

const queueConstructing = Symbol('Queue');

class Queue {
  #index;
  constructor(token, index) {
    if (token !== queueConstructing) throw new TypeError('Illegal constructor');
    this.#index = index;
  }

  send(body, options = undefined) {
    requireArgs(arguments.length, 1, "Failed to execute 'send' on 'Queue'");
    let bytes, contentType, delay;
    try {
      const o = dictionary(options, 'Queue send() options');
      contentType = o.contentType === undefined ? 'json' : queueContentType(o.contentType);
      delay = queueDelay(o.delaySeconds);
      bytes = queueBody(body, contentType);
    } catch (e) {
      return promiseRejectedWith(e);
    }
    return transformPromise(queueCall(this.#index, 'send', bytes, contentType, delay), () => undefined);
  }

  sendBatch(messages, options = undefined) {
    requireArgs(arguments.length, 1, "Failed to execute 'sendBatch' on 'Queue'");
    let list, delay;
    try {
      if (messages === null || typeof messages !== 'object' || typeof messages[Symbol.iterator] !== 'function') {
        throw new TypeError("Failed to execute 'sendBatch' on 'Queue': parameter 1 is not iterable.");
      }
      const o = dictionary(options, 'Queue sendBatch() options');
      delay = queueDelay(o.delaySeconds);
      list = [];
      for (const m of messages) {
        const entry = dictionary(m, 'MessageSendRequest');
        const contentType = entry.contentType === undefined ? 'json' : queueContentType(entry.contentType);
        list.push([queueBody(entry.body, contentType), contentType, queueDelay(entry.delaySeconds)]);
      }
      if (list.length === 0) throw new TypeError('sendBatch() requires at least one message');
    } catch (e) {
      return promiseRejectedWith(e);
    }
    return transformPromise(queueCall(this.#index, 'send_batch', list, delay), () => undefined);
  }

  metrics() {
    return transformPromise(queueCall(this.#index, 'metrics'), m => ({
      backlogCount: m.backlogCount,
      backlogBytes: m.backlogBytes,
      oldestMessageTimestamp: m.oldestMessageTimestamp === null ? undefined : new Date(m.oldestMessageTimestamp),
    }));
  }
}
webidlInterface(Queue);

// The binding object of storage binding `index` (events.js).
function makeBinding(index) {
  return new Queue(queueConstructing, index);
}

// --- The `v8` content type: structured clone to bytes and back. ---
//
// A value is encoded as JSON text of a tree: strings, finite numbers
// (other than -0), booleans and null stand for themselves; everything else
// is an array whose first element names its kind. Objects are numbered in
// the order they are first met, and a second meeting is a reference to the
// number ('r'), so shared and cyclic references come back as they were.
// The types are structuredClone's (structured_clone.js): anything else
// (functions, symbols, WeakMaps, platform objects) is a DataCloneError.

const QUEUE_TYPED_ARRAYS = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
};
const QUEUE_ERRORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
const queueTypedArrayName = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;

function queueCloneError(what) {
  return new DOMException(`${what} could not be cloned.`, 'DataCloneError');
}

function queueBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function queueUnbase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out.buffer;
}

function queueSerialize(value) {
  // A primitive (most stored values) is its own JSON.
  const type = typeof value;
  if (type === 'string' || type === 'boolean' || value === null
    || (type === 'number' && Number.isFinite(value) && !Object.is(value, -0))) {
    return utf8Encode(JSON.stringify(value));
  }
  const seen = new Map();
  const encode = v => {
    switch (typeof v) {
      case 'string': case 'boolean': return v;
      case 'undefined': return ['u'];
      case 'bigint': return ['n', v.toString()];
      case 'number':
        return Number.isFinite(v) && !Object.is(v, -0) ? v : ['d', Object.is(v, -0) ? '-0' : String(v)];
      case 'symbol': throw queueCloneError('Symbol()');
      case 'function': throw queueCloneError(`function ${v.name}`);
    }
    if (v === null) return null;
    if (seen.has(v)) return ['r', seen.get(v)];
    seen.set(v, seen.size);
    const props = (o, skipIndices) => {
      const out = [];
      for (const k of Object.keys(o)) {
        if (skipIndices && String(k >>> 0) === k && (k >>> 0) < o.length) continue;
        out.push(k, encode(o[k]));
      }
      return out;
    };
    if (Array.isArray(v)) {
      const items = [];
      for (let i = 0; i < v.length; i++) items.push(i in v ? encode(v[i]) : ['h']);
      return ['a', items, props(v, true)];
    }
    if (v instanceof Date) return ['D', v.getTime()];
    if (v instanceof RegExp) return ['R', v.source, v.flags];
    if (v instanceof ArrayBuffer) {
      if (isDetached(v)) throw queueCloneError('A detached ArrayBuffer');
      return ['B', queueBase64(new Uint8Array(v))];
    }
    if (ArrayBuffer.isView(v)) {
      const name = v instanceof DataView ? 'DataView' : queueTypedArrayName.call(v);
      const length = v instanceof DataView ? v.byteLength : v.length;
      return ['V', name, encode(v.buffer), v.byteOffset, length];
    }
    if (v instanceof Map) {
      const entries = [];
      for (const [k, x] of v) entries.push(encode(k), encode(x));
      return ['M', entries];
    }
    if (v instanceof Set) return ['S', Array.from(v, encode)];
    if (v instanceof Boolean) return ['W', 'Boolean', v.valueOf()];
    if (v instanceof Number) return ['W', 'Number', encode(v.valueOf())];
    if (v instanceof String) return ['W', 'String', v.valueOf()];
    if (typeof BigInt === 'function' && Object.prototype.toString.call(v) === '[object BigInt]') {
      return ['W', 'BigInt', v.valueOf().toString()];
    }
    if (v instanceof Error) {
      const name = Object.hasOwn(QUEUE_ERRORS, v.name) ? v.name : 'Error';
      const e = ['E', name, String(v.message)];
      e.push(typeof v.stack === 'string' ? v.stack : null);
      e.push('cause' in v ? encode(v.cause) : ['h']);
      return e;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      const name = proto && proto.constructor && typeof proto.constructor.name === 'string' ? proto.constructor.name : 'An object';
      if (name !== 'Object') throw queueCloneError(`${name} object`);
    }
    return ['o', props(v, false)];
  };
  return utf8Encode(JSON.stringify(encode(value)));
}

function queueDeserialize(bytes) {
  const parsed = JSON.parse(utf8Decode(bytes));
  if (parsed === null || typeof parsed !== 'object') return parsed;
  const objects = [];
  const decode = t => {
    if (t === null || typeof t !== 'object') return t;
    switch (t[0]) {
      case 'u': case 'h': return undefined;
      case 'n': return BigInt(t[1]);
      case 'd': return t[1] === '-0' ? -0 : Number(t[1]);
      case 'r': return objects[t[1]];
      case 'a': {
        const a = [];
        objects.push(a);
        const items = t[1];
        a.length = items.length;
        for (let i = 0; i < items.length; i++) {
          const item = items[i];
          if (!(Array.isArray(item) && item[0] === 'h')) a[i] = decode(item);
        }
        for (let i = 0; i < t[2].length; i += 2) a[t[2][i]] = decode(t[2][i + 1]);
        return a;
      }
      case 'D': { const d = new Date(t[1]); objects.push(d); return d; }
      case 'R': { const r = new RegExp(t[1], t[2]); objects.push(r); return r; }
      case 'B': { const b = queueUnbase64(t[1]); objects.push(b); return b; }
      case 'V': {
        const at = objects.length;
        objects.push(undefined);
        const buffer = decode(t[2]);
        const Ctor = t[1] === 'DataView' ? DataView : QUEUE_TYPED_ARRAYS[t[1]];
        const view = new Ctor(buffer, t[3], t[4]);
        objects[at] = view;
        return view;
      }
      case 'M': {
        const m = new Map();
        objects.push(m);
        for (let i = 0; i < t[1].length; i += 2) m.set(decode(t[1][i]), decode(t[1][i + 1]));
        return m;
      }
      case 'S': {
        const s = new Set();
        objects.push(s);
        for (const x of t[1]) s.add(decode(x));
        return s;
      }
      case 'W': {
        const w = t[1] === 'Boolean' ? new Boolean(t[2])
          : t[1] === 'Number' ? new Number(decode(t[2]))
            : t[1] === 'BigInt' ? Object(BigInt(t[2])) : new String(t[2]);
        objects.push(w);
        return w;
      }
      case 'E': {
        const e = new (QUEUE_ERRORS[t[1]] || Error)(t[2]);
        objects.push(e);
        if (t[3] !== null) e.stack = t[3];
        if (!(Array.isArray(t[4]) && t[4][0] === 'h')) e.cause = decode(t[4]);
        return e;
      }
      case 'o': {
        const o = {};
        objects.push(o);
        for (let i = 0; i < t[1].length; i += 2) o[t[1][i]] = decode(t[1][i + 1]);
        return o;
      }
      default: throw new TypeError('Queue: a v8 message body could not be read');
    }
  };
  return decode(parsed);
}
