// KV namespaces (`kv_namespaces`): `env.NAME` is a KVNamespace, as
// Cloudflare documents it: get (one key or up to 100, as text, json,
// arrayBuffer or stream), getWithMetadata, put (string, ArrayBuffer, view
// or ReadableStream; expiration, expirationTtl, metadata), list (prefix,
// limit, cursor) and delete.
//
// Each method normalises its arguments and calls the host work op
// `storage(index, method, …args)` through `hostWork` (see the runtime's
// bindings module and bindings/kv.rs, which checks Cloudflare's limits and
// throws its errors); the result settles the method's promise. A value
// read as a stream stays outside the isolate: the host parks it and
// `storage_body(token)` opens it as a readable read chunk by chunk.
//
// A group of its own, loaded when a Worker with a KV binding starts
// (events.js).

// The most bytes a value may have (25 MiB).
const KV_MAX_VALUE_BYTES = 25 * 1024 * 1024;
const KV_PUT_TYPES_ERROR = 'KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.';

// Calls the binding's host method; a synchronous throw (an argument the
// host refused) becomes a rejection, as every KV method returns a promise.
function kvCall(index, method, ...args) {
  return new PromiseCtor(resolve => resolve(hostWork('storage', index, method, ...args)));
}

// `type` and `cacheTtl` of get's second argument (a type name or options).
function kvGetOptions(options) {
  if (options === undefined || options === null) return { type: 'text', cacheTtl: undefined };
  if (typeof options === 'string') return { type: options, cacheTtl: undefined };
  if (typeof options !== 'object') return { type: String(options), cacheTtl: undefined };
  const type = options.type === undefined ? 'text' : String(options.type);
  const cacheTtl = options.cacheTtl === undefined ? undefined : Number(options.cacheTtl);
  return { type, cacheTtl };
}

function kvKey(key) {
  if (typeof key === 'symbol') throw new TypeError('KV: a key cannot be a Symbol');
  return String(key);
}

// A value as the host handed it, in the type asked for.
function kvValue(value, type) {
  switch (type) {
    case 'json': return JSON.parse(value);
    case 'arrayBuffer': return value.buffer;
    case 'stream': {
      // Sent on by the host itself if the Worker responds with it unread.
      const s = streamFromHost(op('storage_body', value));
      s.hostPassThrough = true;
      return s.obj;
    }
    default: return value;
  }
}

function kvMetadata(metadata) {
  return metadata === null || metadata === undefined ? null : JSON.parse(metadata);
}

// get / getWithMetadata of one key.
function kvGetOne(index, key, options, withMetadata) {
  let type, cacheTtl, name;
  try {
    ({ type, cacheTtl } = kvGetOptions(options));
    name = kvKey(key);
  } catch (e) {
    return promiseRejectedWith(e);
  }
  return transformPromise(kvCall(index, 'get', name, type, cacheTtl), found => {
    if (found === null) return withMetadata ? { value: null, metadata: null, cacheStatus: null } : null;
    const value = kvValue(found[0], type);
    return withMetadata ? { value, metadata: kvMetadata(found[1]), cacheStatus: null } : value;
  });
}

// get / getWithMetadata of several keys: a Map of each key to its value
// (or `{ value, metadata }`), null for a missing key.
function kvGetBulk(index, keys, options, withMetadata) {
  let type, cacheTtl, names;
  try {
    ({ type, cacheTtl } = kvGetOptions(options));
    names = Array.prototype.map.call(keys, kvKey);
  } catch (e) {
    return promiseRejectedWith(e);
  }
  return transformPromise(kvCall(index, 'get_bulk', names, type, cacheTtl), found => {
    const map = new Map();
    for (let i = 0; i < names.length; i++) {
      const entry = found[i];
      let value = null;
      if (entry !== null) {
        let parsed;
        try {
          parsed = type === 'json' ? JSON.parse(entry[0]) : entry[0];
        } catch {
          throw new Error('KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value');
        }
        value = withMetadata ? { value: parsed, metadata: kvMetadata(entry[1]) } : parsed;
      }
      map.set(names[i], value);
    }
    return map;
  });
}

// A put's value as the host takes it: a string or bytes (a promise of
// them for a ReadableStream, read here as it arrives, up to the limit).
function kvPutValue(value) {
  if (typeof value === 'string') return value;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value;
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return String(value);
  const RS = loadedGlobal('ReadableStream');
  if (RS === undefined || !(value instanceof RS)) throw new TypeError(KV_PUT_TYPES_ERROR);
  return kvReadStream(value);
}

async function kvReadStream(stream) {
  const reader = stream.getReader();
  const chunks = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer)) {
      throw new TypeError('KV put(): a ReadableStream value must yield ArrayBuffers or ArrayBufferViews');
    }
    length += value.byteLength;
    // Past the limit, only the length is kept (for the error).
    if (length <= KV_MAX_VALUE_BYTES) {
      chunks.push(ArrayBuffer.isView(value)
        ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(value));
    }
  }
  if (length > KV_MAX_VALUE_BYTES) {
    throw new Error(`KV PUT failed: 413 Value length of ${length} exceeds limit of ${KV_MAX_VALUE_BYTES}.`);
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.byteLength; }
  return bytes;
}

const kvConstructing = Symbol('KVNamespace');

class KVNamespace {
  #index;
  constructor(token, index) {
    if (token !== kvConstructing) throw new TypeError('Illegal constructor');
    this.#index = index;
  }

  get(key, options = undefined) {
    requireArgs(arguments.length, 1, "Failed to execute 'get' on 'KVNamespace'");
    return Array.isArray(key)
      ? kvGetBulk(this.#index, key, options, false)
      : kvGetOne(this.#index, key, options, false);
  }

  getWithMetadata(key, options = undefined) {
    requireArgs(arguments.length, 1, "Failed to execute 'getWithMetadata' on 'KVNamespace'");
    return Array.isArray(key)
      ? kvGetBulk(this.#index, key, options, true)
      : kvGetOne(this.#index, key, options, true);
  }

  put(key, value, options = undefined) {
    requireArgs(arguments.length, 2, "Failed to execute 'put' on 'KVNamespace'");
    const index = this.#index;
    let name, body, expiration, expirationTtl, metadata;
    try {
      name = kvKey(key);
      const o = dictionary(options, 'KV put() options');
      if (o.expiration !== undefined && o.expiration !== null) expiration = Number(o.expiration);
      if (o.expirationTtl !== undefined && o.expirationTtl !== null) expirationTtl = Number(o.expirationTtl);
      if (o.metadata !== undefined && o.metadata !== null) metadata = JSON.stringify(o.metadata);
      body = kvPutValue(value);
    } catch (e) {
      return promiseRejectedWith(e);
    }
    const send = bytes => transformPromise(
      kvCall(index, 'put', name, bytes, expiration, expirationTtl, metadata), () => undefined);
    return body instanceof PromiseCtor ? transformPromise(body, send) : send(body);
  }

  list(options = undefined) {
    let prefix, limit, cursor;
    try {
      const o = dictionary(options, 'KV list() options');
      if (o.prefix !== undefined && o.prefix !== null) prefix = String(o.prefix);
      if (o.limit !== undefined && o.limit !== null) limit = Number(o.limit);
      if (o.cursor !== undefined && o.cursor !== null) cursor = String(o.cursor);
    } catch (e) {
      return promiseRejectedWith(e);
    }
    return transformPromise(kvCall(this.#index, 'list', prefix, limit, cursor), result => {
      for (const key of result.keys) {
        if (key.metadata !== undefined) key.metadata = JSON.parse(key.metadata);
      }
      result.cacheStatus = null;
      return result;
    });
  }

  delete(key) {
    requireArgs(arguments.length, 1, "Failed to execute 'delete' on 'KVNamespace'");
    let name;
    try {
      name = kvKey(key);
    } catch (e) {
      return promiseRejectedWith(e);
    }
    return transformPromise(kvCall(this.#index, 'delete', name), () => undefined);
  }
}
webidlInterface(KVNamespace);

// The binding object of storage binding `index` (events.js).
function makeBinding(index) {
  return new KVNamespace(kvConstructing, index);
}
