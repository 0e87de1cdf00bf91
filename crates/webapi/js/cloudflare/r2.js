// R2 buckets (`r2_buckets`): `env.NAME` is an R2Bucket, as Cloudflare
// documents it: head, get (onlyIf, range), put (string, ArrayBuffer, view,
// Blob, ReadableStream or null; httpMetadata, customMetadata, one checksum,
// onlyIf, storageClass), delete (a key or a list), list (limit, prefix,
// cursor, delimiter, startAfter, include) and multipart uploads
// (createMultipartUpload, resumeMultipartUpload, R2MultipartUpload's
// uploadPart, complete, abort). Objects are R2Object / R2ObjectBody with
// R2Checksums.
//
// Each method checks its arguments as workerd does (TypeError / RangeError
// with its messages), normalises them, and calls the host work op
// `storage(index, method, …args)` through `hostWork` (runtime/src/bindings/
// r2.rs, which throws R2's errors: `put: <message> (<code>)`). A large
// object never sits whole in the isolate: an upload from a stream is
// written in pieces of about R2_PIECE bytes as the stream yields them
// (`put_start`, `write`, `put_finish`); a download of more than a small
// object is a host readable (`storage_body`), read from the file as it is
// consumed.
//
// A group of its own, loaded when a Worker with an R2 binding starts
// (events.js).

// The most bytes one host call carries of a body.
const R2_PIECE = 1 << 20;
const R2_CHECKSUMS = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];
const R2_CHECKSUM_BYTES = { __proto__: null, md5: 16, sha1: 20, sha256: 32, sha384: 48, sha512: 64 };
const R2_CHECKSUM_NAMES = { __proto__: null, md5: 'MD5', sha1: 'SHA-1', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };
const R2_USED = 'Body has already been used. It can only be used once. Use tee() first if you need to read it twice.';
const r2Constructing = Symbol('R2');

// Calls the binding's host method; a synchronous throw (an argument the
// host refused) becomes a rejection, as every R2 method returns a promise.
function r2Call(index, method, ...args) {
  return new PromiseCtor(resolve => resolve(hostWork('storage', index, method, ...args)));
}

// Runs `fn` and returns its promise; what it throws becomes a rejection.
function r2Promise(fn) {
  try {
    return fn();
  } catch (e) {
    return promiseRejectedWith(e);
  }
}

function r2Key(key) {
  if (typeof key === 'symbol') throw new TypeError('Cannot convert a Symbol value to a string');
  return String(key);
}

const r2IsHeaders = v => v instanceof Headers;

function r2Date(value, what) {
  if (!(value instanceof Date)) throw new TypeError(`${what} must be a Date`);
  return value.getTime();
}

function r2DateHeader(text) {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

// `onlyIf` (an R2Conditional or conditional Headers) as the host takes it.
function r2Conditional(onlyIf) {
  if (onlyIf === undefined || onlyIf === null) return undefined;
  if (r2IsHeaders(onlyIf)) {
    const c = { headers: true };
    const ifMatch = onlyIf.get('if-match');
    if (ifMatch !== null) c.etagMatches = ifMatch;
    const ifNoneMatch = onlyIf.get('if-none-match');
    if (ifNoneMatch !== null) c.etagDoesNotMatch = ifNoneMatch;
    const since = onlyIf.get('if-modified-since');
    if (since !== null && r2DateHeader(since) !== undefined) c.uploadedAfter = r2DateHeader(since);
    const unmodified = onlyIf.get('if-unmodified-since');
    if (unmodified !== null && r2DateHeader(unmodified) !== undefined) c.uploadedBefore = r2DateHeader(unmodified);
    return c;
  }
  if (typeof onlyIf !== 'object') throw new TypeError('onlyIf must be an R2Conditional or Headers');
  const c = { headers: false };
  for (const name of ['etagMatches', 'etagDoesNotMatch']) {
    const v = onlyIf[name];
    if (v === undefined) continue;
    const etag = String(v);
    if (etag.length >= 2 && etag.startsWith('"') && etag.endsWith('"')) {
      throw new TypeError(`Conditional ETag should not be wrapped in quotes (${etag}).`);
    }
    c[name] = etag;
  }
  if (onlyIf.uploadedBefore !== undefined) c.uploadedBefore = r2Date(onlyIf.uploadedBefore, 'uploadedBefore');
  if (onlyIf.uploadedAfter !== undefined) c.uploadedAfter = r2Date(onlyIf.uploadedAfter, 'uploadedAfter');
  if (onlyIf.secondsGranularity) c.secondsGranularity = true;
  return c;
}

function r2WholeNumber(value, what, label) {
  const n = Number(value);
  if (!(n >= 0)) throw new RangeError(`Invalid range. ${what} (${value}) must be greater than or equal to 0.`);
  if (!Number.isInteger(n)) throw new RangeError(`Invalid range. ${label} (${value}) must be an integer, not floating point.`);
  return n;
}

// `range` (an R2Range or Headers with a Range header) as the host takes it.
function r2Range(range) {
  if (range === undefined || range === null) return undefined;
  if (r2IsHeaders(range)) {
    const header = range.get('range');
    return header === null ? undefined : { header };
  }
  if (typeof range !== 'object') throw new TypeError('range must be an R2Range or Headers');
  const r = {};
  if (range.offset !== undefined) r.offset = r2WholeNumber(range.offset, 'Starting offset', 'Starting offset');
  if (range.length !== undefined) r.length = r2WholeNumber(range.length, 'Length', 'Length');
  if (range.suffix !== undefined) {
    if (range.offset !== undefined) throw new TypeError('Suffix is incompatible with offset.');
    if (range.length !== undefined) throw new TypeError('Suffix is incompatible with length.');
    const n = Number(range.suffix);
    if (!(n >= 0)) throw new RangeError(`Invalid suffix. Suffix (${range.suffix}) must be greater than or equal to 0.`);
    if (!Number.isInteger(n)) throw new RangeError(`Invalid range. Suffix (${range.suffix}) must be an integer, not floating point.`);
    r.suffix = n;
  }
  return r;
}

function r2NoSsec(options, method) {
  if (options.ssecKey !== undefined) throw new Error(`${method}: SSE-C keys (ssecKey) are not supported by motu`);
}

// R2HTTPMetadata (or Headers) as the host takes it: strings, and
// cacheExpiry in milliseconds.
function r2HttpMetadata(value) {
  if (value === undefined || value === null) return undefined;
  const m = {};
  if (r2IsHeaders(value)) {
    const fields = [['contentType', 'content-type'], ['contentLanguage', 'content-language'],
      ['contentDisposition', 'content-disposition'], ['contentEncoding', 'content-encoding'],
      ['cacheControl', 'cache-control']];
    for (const [field, header] of fields) {
      const v = value.get(header);
      if (v !== null) m[field] = v;
    }
    const expires = value.get('expires');
    if (expires !== null && r2DateHeader(expires) !== undefined) m.cacheExpiry = r2DateHeader(expires);
    return m;
  }
  if (typeof value !== 'object') throw new TypeError('httpMetadata must be an R2HTTPMetadata or Headers');
  for (const field of ['contentType', 'contentLanguage', 'contentDisposition', 'contentEncoding', 'cacheControl']) {
    if (value[field] !== undefined) m[field] = String(value[field]);
  }
  if (value.cacheExpiry !== undefined) m.cacheExpiry = r2Date(value.cacheExpiry, 'cacheExpiry');
  return m;
}

function r2CustomMetadata(value) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') throw new TypeError('customMetadata must be a Record<string, string>');
  const m = {};
  for (const name of Object.keys(value)) m[name] = String(value[name]);
  return m;
}

// The one checksum of put's options: [field, bytes], or undefined.
function r2Checksum(options) {
  let found;
  for (const field of R2_CHECKSUMS) {
    const v = options[field];
    if (v === undefined) continue;
    if (found !== undefined) throw new TypeError('You cannot specify multiple hashing algorithms.');
    const name = R2_CHECKSUM_NAMES[field];
    const size = R2_CHECKSUM_BYTES[field];
    let bytes;
    if (typeof v === 'string') {
      if (v.length !== size * 2) throw new TypeError(`${name} is ${size * 2} hex characters, not ${v.length}`);
      if (!/^[0-9a-fA-F]*$/.test(v)) throw new TypeError(`Provided ${name} wasn't a valid hex string`);
      bytes = new Uint8Array(size);
      for (let i = 0; i < size; i++) bytes[i] = parseInt(v.substr(i * 2, 2), 16);
    } else if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
      bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      if (bytes.byteLength !== size) throw new TypeError(`${name} is ${size} bytes, not ${bytes.byteLength}`);
      bytes = bytes.slice();
    } else {
      throw new TypeError(`${field} must be an ArrayBuffer, an ArrayBufferView or a hex string`);
    }
    found = [field, bytes];
  }
  return found;
}

function r2StorageClass(value) {
  return value === undefined ? undefined : String(value);
}

// A value to store, as a host call can carry it: a string or bytes, or
// `{ stream }` for a ReadableStream (written piece by piece).
function r2Value(value, method, allowNull) {
  if (value === null && allowNull) return new Uint8Array(0);
  if (typeof value === 'string') return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  const blobs = loadedGroup(BLOBS);
  if (blobs !== undefined && value instanceof blobs.Blob) return blobs.blobBytes(value);
  const RS = loadedGlobal('ReadableStream');
  if (RS !== undefined && value instanceof RS) {
    if (value.locked) throw new TypeError('The ReadableStream is locked');
    return { stream: value };
  }
  throw new TypeError(`Failed to execute '${method}': the value is not of type 'ReadableStream or ArrayBuffer or ArrayBufferView or string${allowNull ? ' or null' : ''} or Blob'.`);
}

// Sends a stream's bytes to the host as `start()` (which returns a
// handle) then `write(handle, piece)` calls, and `finish(handle)`; a
// stream that ends within its first piece goes as one `whole(bytes)` call.
// On any failure the host's handle is dropped and the stream cancelled.
async function r2Upload(index, stream, whole, start, finish) {
  const reader = stream.getReader();
  const pending = [];
  let pendingBytes = 0;
  let handle;
  const take = () => {
    if (pending.length === 1) {
      // One chunk goes as it is (the host copies what it views).
      const bytes = pending[0];
      pending.length = 0;
      pendingBytes = 0;
      return bytes;
    }
    const bytes = new Uint8Array(pendingBytes);
    let at = 0;
    for (let i = 0; i < pending.length; i++) { bytes.set(pending[i], at); at += pending[i].byteLength; }
    pending.length = 0;
    pendingBytes = 0;
    return bytes;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!(value instanceof ArrayBuffer) && !ArrayBuffer.isView(value)) {
        throw new TypeError('This ReadableStream did not return bytes.');
      }
      const chunk = value instanceof ArrayBuffer
        ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= R2_PIECE) {
        if (handle === undefined) handle = await start();
        await r2Call(index, 'write', handle, take());
      }
    }
    if (handle === undefined) return await whole(take());
    if (pendingBytes > 0) await r2Call(index, 'write', handle, take());
    const h = handle;
    handle = undefined;
    return await finish(h);
  } catch (e) {
    if (handle !== undefined) r2Call(index, 'drop', handle).catch(() => {});
    reader.cancel(e).catch(() => {});
    throw e;
  }
}

class R2Checksums {
  constructor(token, hashes) {
    if (token !== r2Constructing) throw new TypeError('Illegal constructor');
    for (const field of R2_CHECKSUMS) {
      const bytes = hashes === undefined ? undefined : hashes[field];
      Object.defineProperty(this, field, {
        __proto__: null,
        value: bytes === undefined ? undefined : bytes.slice().buffer,
        enumerable: true,
      });
    }
  }

  toJSON() {
    const out = {};
    for (const field of R2_CHECKSUMS) {
      const buffer = this[field];
      if (buffer === undefined) continue;
      const bytes = new Uint8Array(buffer);
      let hex = '';
      for (let i = 0; i < bytes.length; i++) hex += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
      out[field] = hex;
    }
    return out;
  }
}
webidlInterface(R2Checksums);

// An R2HTTPMetadata object of the host's fields.
function r2HttpMetadataObject(m) {
  const out = {};
  if (m === undefined || m === null) return out;
  for (const field of ['contentType', 'contentLanguage', 'contentDisposition', 'contentEncoding', 'cacheControl']) {
    if (m[field] !== undefined) out[field] = m[field];
  }
  if (m.cacheExpiry !== undefined) out.cacheExpiry = new Date(m.cacheExpiry);
  return out;
}

class R2Object {
  #httpMetadata;
  #key;

  // `meta` is the host's description of the object; `include` says which
  // metadata it carries (list leaves out what `include` does not name);
  // `sent`, the metadata a put sent (which its result shows as sent).
  constructor(token, meta, include = { http: true, custom: true }, sent = undefined) {
    if (token !== r2Constructing) throw new TypeError('Illegal constructor');
    this.#key = meta.key;
    const http = sent === undefined ? meta.httpMetadata : sent.http;
    this.#httpMetadata = include.http ? r2HttpMetadataObject(http) : undefined;
    const own = (name, value) => Object.defineProperty(this, name, { __proto__: null, value, enumerable: true });
    own('key', meta.key);
    own('version', meta.version);
    own('size', meta.size);
    own('etag', meta.etag);
    own('httpEtag', `"${meta.etag}"`);
    own('checksums', new R2Checksums(r2Constructing, meta.checksums));
    own('uploaded', new Date(meta.uploaded));
    own('httpMetadata', this.#httpMetadata);
    const custom = sent === undefined ? meta.customMetadata : sent.custom;
    own('customMetadata', include.custom ? Object.assign({}, custom) : undefined);
    own('range', meta.range === undefined ? undefined : { offset: meta.range.offset, length: meta.range.length });
    own('storageClass', meta.storageClass);
    own('ssecKeyMd5', undefined);
  }

  writeHttpMetadata(headers) {
    requireArgs(arguments.length, 1, "Failed to execute 'writeHttpMetadata' on 'R2Object'");
    if (!r2IsHeaders(headers)) throw new TypeError("Failed to execute 'writeHttpMetadata' on 'R2Object': parameter 1 is not of type 'Headers'.");
    const m = this.#httpMetadata;
    if (m === undefined) {
      throw new TypeError(`HTTP metadata unknown for key \`${this.#key}\`. Did you forget to add 'httpMetadata' to \`include\` when listing?`);
    }
    if (m.contentType !== undefined) headers.set('content-type', m.contentType);
    if (m.contentLanguage !== undefined) headers.set('content-language', m.contentLanguage);
    if (m.contentDisposition !== undefined) headers.set('content-disposition', m.contentDisposition);
    if (m.contentEncoding !== undefined) headers.set('content-encoding', m.contentEncoding);
    if (m.cacheControl !== undefined) headers.set('cache-control', m.cacheControl);
    if (m.cacheExpiry !== undefined) headers.set('expires', m.cacheExpiry.toUTCString());
  }
}
webidlInterface(R2Object);

// The body of an R2ObjectBody: the bytes of a small object, sent with its
// metadata, or a host readable of a larger one (read from its file as it is
// consumed; a Response made of it unread is sent on by the host itself).
class R2ObjectBody extends R2Object {
  #bytes;
  #handle;
  #stream;
  #used = false;

  constructor(token, meta, bytes, handle) {
    super(token, meta);
    this.#bytes = bytes;
    this.#handle = handle;
  }

  get body() {
    if (this.#stream === undefined) this.#stream = this.#makeStream();
    return this.#stream;
  }

  get bodyUsed() {
    if (this.#used) return true;
    return this.#stream !== undefined && streams().rsSlots.get(this.#stream).disturbed;
  }

  #makeStream() {
    const S = streams();
    if (this.#handle !== undefined) {
      const s = streamFromHost(this.#handle);
      s.hostPassThrough = true;
      return s.obj;
    }
    // A byte stream of the bytes, in one chunk.
    let bytes = this.#bytes;
    this.#bytes = undefined;
    let s;
    const close = c => {
      S.byteControllerClose(c);
      if (c.pendingPullIntos.length > 0) S.byteControllerRespond(c, 0);
    };
    const pull = () => {
      const c = s.controller;
      const chunk = bytes;
      bytes = undefined;
      if (chunk === undefined || chunk.byteLength === 0) {
        // Closed a microtask later: a Response made of this stream hands
        // its body to the host before the stream ends.
        return transformPromise(promiseResolvedWith(undefined), () => close(c));
      }
      S.byteControllerEnqueue(c, chunk, true);
      close(c);
      return promiseResolvedWith(undefined);
    };
    const cancel = () => {
      bytes = undefined;
      return promiseResolvedWith(undefined);
    };
    s = S.createReadableByteStream(() => undefined, pull, cancel);
    return s.obj;
  }

  // Every byte of the body.
  async #readAll() {
    if (this.bodyUsed || (this.#stream !== undefined && this.#stream.locked)) throw new TypeError(R2_USED);
    if (this.#stream !== undefined) {
      const reader = this.#stream.getReader();
      const pieces = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        pieces.push(value);
      }
      return r2Join(pieces);
    }
    this.#used = true;
    if (this.#handle === undefined) {
      const bytes = this.#bytes;
      this.#bytes = undefined;
      return bytes;
    }
    // The rest of the body, gathered by the host in one piece.
    const bytes = await opAsync('body_read_all', this.#handle);
    return bytes === null ? new Uint8Array(0) : bytes;
  }

  arrayBuffer() {
    return transformPromise(this.#readAll(), bytes => r2OwnBuffer(bytes));
  }

  bytes() {
    return this.#readAll();
  }

  text() {
    return transformPromise(this.#readAll(), bytes => utf8Decode(bytes));
  }

  json() {
    return transformPromise(this.#readAll(), bytes => JSON.parse(utf8Decode(bytes)));
  }

  blob() {
    const type = this.httpMetadata.contentType ?? '';
    return transformPromise(this.#readAll(), bytes => loadGroup(BLOBS).makeBlob(bytes, type));
  }
}
webidlInterface(R2ObjectBody);

// The ArrayBuffer of exactly `bytes`.
function r2OwnBuffer(bytes) {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes.buffer;
  return bytes.slice().buffer;
}

function r2Join(pieces) {
  if (pieces.length === 1 && pieces[0].byteOffset === 0 && pieces[0].byteLength === pieces[0].buffer.byteLength) {
    return pieces[0];
  }
  let length = 0;
  for (let i = 0; i < pieces.length; i++) length += pieces[i].byteLength;
  const bytes = new Uint8Array(length);
  let at = 0;
  for (let i = 0; i < pieces.length; i++) { bytes.set(pieces[i], at); at += pieces[i].byteLength; }
  return bytes;
}

// An R2Object for what put/complete stored, with the metadata as sent.
function r2Stored(meta, http, custom) {
  return new R2Object(r2Constructing, meta, undefined, { http, custom });
}

class R2MultipartUpload {
  #index;

  constructor(token, index, key, uploadId) {
    if (token !== r2Constructing) throw new TypeError('Illegal constructor');
    this.#index = index;
    Object.defineProperty(this, 'key', { __proto__: null, value: key, enumerable: true });
    Object.defineProperty(this, 'uploadId', { __proto__: null, value: uploadId, enumerable: true });
  }

  uploadPart(partNumber, value, options = undefined) {
    requireArgs(arguments.length, 2, "Failed to execute 'uploadPart' on 'R2MultipartUpload'");
    return r2Promise(() => {
      const number = r2PartNumber(partNumber);
      const o = optionsDictionary(options, 'options');
      r2NoSsec(o, 'uploadPart');
      const index = this.#index;
      const key = this.key;
      const uploadId = this.uploadId;
      const v = r2Value(value, 'uploadPart', false);
      const done = part => ({ partNumber: part.partNumber, etag: part.etag });
      if (v.stream === undefined) return transformPromise(r2Call(index, 'upload_part', key, uploadId, number, v), done);
      return r2Upload(index, v.stream,
        bytes => transformPromise(r2Call(index, 'upload_part', key, uploadId, number, bytes), done),
        () => r2Call(index, 'part_start', key, uploadId, number),
        handle => transformPromise(r2Call(index, 'part_finish', handle), done));
    });
  }

  abort() {
    return r2Promise(() => transformPromise(r2Call(this.#index, 'abort_multipart', this.key, this.uploadId), () => undefined));
  }

  complete(uploadedParts) {
    requireArgs(arguments.length, 1, "Failed to execute 'complete' on 'R2MultipartUpload'");
    return r2Promise(() => {
      if (uploadedParts === null || typeof uploadedParts !== 'object' || typeof uploadedParts[Symbol.iterator] !== 'function') {
        throw new TypeError("Failed to execute 'complete' on 'R2MultipartUpload': parameter 1 is not of type 'Array'.");
      }
      const parts = [];
      for (const part of uploadedParts) {
        if (part === null || typeof part !== 'object') throw new TypeError('An uploaded part must be an R2UploadedPart');
        parts.push([r2PartNumber(part.partNumber), String(part.etag)]);
      }
      return transformPromise(r2Call(this.#index, 'complete_multipart', this.key, this.uploadId, parts),
        meta => new R2Object(r2Constructing, meta));
    });
  }
}
webidlInterface(R2MultipartUpload);

function r2PartNumber(value) {
  const n = Number(value);
  if (!(n >= 1 && n <= 10000) || !Number.isInteger(n)) {
    throw new TypeError(`Part number must be between 1 and 10000 (inclusive). Actual value was: ${value}`);
  }
  return n;
}

class R2Bucket {
  #index;

  constructor(token, index) {
    if (token !== r2Constructing) throw new TypeError('Illegal constructor');
    this.#index = index;
  }

  head(key) {
    requireArgs(arguments.length, 1, "Failed to execute 'head' on 'R2Bucket'");
    return r2Promise(() => transformPromise(r2Call(this.#index, 'head', r2Key(key)),
      meta => meta === null ? null : new R2Object(r2Constructing, meta)));
  }

  get(key, options = undefined) {
    requireArgs(arguments.length, 1, "Failed to execute 'get' on 'R2Bucket'");
    return r2Promise(() => {
      const name = r2Key(key);
      const o = optionsDictionary(options, 'options');
      r2NoSsec(o, 'get');
      const index = this.#index;
      return transformPromise(r2Call(index, 'get', name, r2Conditional(o.onlyIf), r2Range(o.range)), found => {
        if (found === null) return null;
        const [meta, bytes, token] = found;
        if (token !== null) {
          // Taken at once: the readable belongs to this event, and goes with it.
          return new R2ObjectBody(r2Constructing, meta, undefined, op('storage_body', token));
        }
        if (bytes === null) return new R2Object(r2Constructing, meta);
        return new R2ObjectBody(r2Constructing, meta, bytes, undefined);
      });
    });
  }

  put(key, value, options = undefined) {
    requireArgs(arguments.length, 2, "Failed to execute 'put' on 'R2Bucket'");
    return r2Promise(() => {
      const name = r2Key(key);
      const o = optionsDictionary(options, 'options');
      r2NoSsec(o, 'put');
      const put = {};
      const onlyIf = r2Conditional(o.onlyIf);
      if (onlyIf !== undefined) put.onlyIf = onlyIf;
      const http = r2HttpMetadata(o.httpMetadata);
      if (http !== undefined) put.httpMetadata = http;
      const custom = r2CustomMetadata(o.customMetadata);
      if (custom !== undefined) put.customMetadata = custom;
      const checksum = r2Checksum(o);
      if (checksum !== undefined) put.checksum = checksum;
      const storageClass = r2StorageClass(o.storageClass);
      if (storageClass !== undefined) put.storageClass = storageClass;
      const v = r2Value(value, 'put', true);
      const index = this.#index;
      const done = meta => meta === null ? null : r2Stored(meta, http, custom);
      if (v.stream === undefined) return transformPromise(r2Call(index, 'put', name, put, v), done);
      return r2Upload(index, v.stream,
        bytes => transformPromise(r2Call(index, 'put', name, put, bytes), done),
        () => r2Call(index, 'put_start', name, put),
        handle => transformPromise(r2Call(index, 'put_finish', handle), done));
    });
  }

  delete(keys) {
    requireArgs(arguments.length, 1, "Failed to execute 'delete' on 'R2Bucket'");
    return r2Promise(() => {
      const list = Array.isArray(keys) ? keys.map(r2Key) : [r2Key(keys)];
      return transformPromise(r2Call(this.#index, 'delete', list), () => undefined);
    });
  }

  list(options = undefined) {
    return r2Promise(() => {
      const o = optionsDictionary(options, 'options');
      const l = {};
      if (o.limit !== undefined) l.limit = Number(o.limit);
      for (const name of ['prefix', 'cursor', 'delimiter', 'startAfter']) {
        if (o[name] !== undefined) l[name] = String(o[name]);
      }
      const include = { http: false, custom: false };
      if (o.include !== undefined) {
        for (const field of o.include) {
          if (field === 'httpMetadata') include.http = true;
          else if (field === 'customMetadata') include.custom = true;
          else throw new RangeError(`Unsupported include value ${field}`);
        }
      }
      return transformPromise(r2Call(this.#index, 'list', l), result => {
        const out = {
          objects: result.objects.map(meta => new R2Object(r2Constructing, meta, include)),
          truncated: result.truncated,
        };
        if (result.cursor !== undefined) out.cursor = result.cursor;
        out.delimitedPrefixes = result.delimitedPrefixes;
        return out;
      });
    });
  }

  createMultipartUpload(key, options = undefined) {
    requireArgs(arguments.length, 1, "Failed to execute 'createMultipartUpload' on 'R2Bucket'");
    return r2Promise(() => {
      const name = r2Key(key);
      const o = optionsDictionary(options, 'options');
      r2NoSsec(o, 'createMultipartUpload');
      const m = {};
      const http = r2HttpMetadata(o.httpMetadata);
      if (http !== undefined) m.httpMetadata = http;
      const custom = r2CustomMetadata(o.customMetadata);
      if (custom !== undefined) m.customMetadata = custom;
      const storageClass = r2StorageClass(o.storageClass);
      if (storageClass !== undefined) m.storageClass = storageClass;
      const index = this.#index;
      return transformPromise(r2Call(index, 'create_multipart', name, m),
        uploadId => new R2MultipartUpload(r2Constructing, index, name, uploadId));
    });
  }

  resumeMultipartUpload(key, uploadId) {
    requireArgs(arguments.length, 2, "Failed to execute 'resumeMultipartUpload' on 'R2Bucket'");
    return new R2MultipartUpload(r2Constructing, this.#index, r2Key(key), r2Key(uploadId));
  }
}
webidlInterface(R2Bucket);

// `env[name]` for binding `index`.
function makeBinding(index, name) {
  return new R2Bucket(r2Constructing, index);
}
