// The body mixin shared by Request and Response (Fetch standard). A body is
// a record { source, stream, used, moved }: `source` is the whole body (a
// string or bytes) while it is known and unread, and `stream` the
// ReadableStream record, made lazily from the source the first time `body`
// is asked for, or given (a ReadableStream body, a streamed request). Whole
// bodies are read without a stream, the fast path.
//
// Ops used here: `body_read(handle)` (async: the next chunk of a host body
// stream as a Uint8Array, or null at its end) and `body_cancel(handle)`,
// for request bodies the host streams in; `body_sink_open()`,
// `body_sink_write(handle, bytes)` (async: settles once the host accepted
// the chunk), `body_sink_close(handle)` and `body_sink_abort(handle, message)`
// for bodies streamed out to the host.
//
// Streams, Blob and FormData bodies use the streams group and the group of
// blob.js (`blobBytes`, `makeBlob`) and form_data.js (`serializeFormData`,
// `parseMultipart`, `parseUrlencodedFormData`), loaded on first use (see
// lazy.js): a body that is a whole string or bytes and is read whole
// loads neither.
// The exports of the streams group and of the Blob and FormData group
// (lazy.js), loading them.
const streams = () => loadGroup(STREAMS);
const blobs = () => loadGroup(BLOBS);

// Whether `v` is an instance of class `name` of group `index`; never while
// the group is not loaded, as none exists then.
function isLoadedInstance(index, name, v) {
  const group = loadedGroup(index);
  return group !== undefined && v instanceof group[name];
}
const isLoadedReadableStream = v => {
  const group = loadedGroup(STREAMS);
  return group !== undefined && group.isReadableStream(v);
};

const NULL_BODY_STATUS = [101, 103, 204, 205, 304];

function bodyRecord(source, stream) {
  return { source, stream, used: false, moved: false, exposed: false };
}

// A copy of the bytes a buffer source holds (Web IDL), as a Uint8Array of
// its own: empty for a detached buffer. Made from a view of the bytes, so
// its fresh buffer is filled as it is allocated (ArrayBuffer's slice zeroes
// new memory first, then copies over it).
function bufferSourceCopy(source) {
  const buffer = source instanceof ArrayBuffer ? source : source.buffer;
  if (buffer.byteLength === 0) return new Uint8Array(0);
  return new Uint8Array(source instanceof ArrayBuffer
    ? new Uint8Array(source) : new Uint8Array(buffer, source.byteOffset, source.byteLength));
}

// Extracts a body record and its default content type from a BodyInit.
function extractBody(init) {
  if (typeof init === 'string') return { body: bodyRecord(init, undefined), type: 'text/plain;charset=UTF-8' };
  if (init instanceof ArrayBuffer || ArrayBuffer.isView(init)) {
    return { body: bodyRecord(bufferSourceCopy(init), undefined), type: null };
  }
  if (isLoadedInstance(SEARCH_PARAMS, 'URLSearchParams', init)) {
    return { body: bodyRecord(init.toString(), undefined), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  }
  if (isLoadedReadableStream(init)) {
    const s = streams().rsSlots.get(init);
    if (s.disturbed || streams().isReadableStreamLocked(s)) throw new TypeError('The body stream is disturbed or locked');
    return { body: bodyRecord(null, s), type: null };
  }
  if (isLoadedInstance(BLOBS, 'Blob', init)) {
    const type = init.type;
    return { body: bodyRecord(blobs().blobBytes(init).slice(), undefined), type: type === '' ? null : type };
  }
  if (isLoadedInstance(BLOBS, 'FormData', init)) {
    const { bytes, contentType } = blobs().serializeFormData(init);
    return { body: bodyRecord(bytes, undefined), type: contentType };
  }
  // Where the compatibility date has them (fetch_iterable_type_support),
  // an iterable or async iterable of strings and buffers, streamed.
  if (workerCompat.iterableBodies && init !== null && typeof init === 'object'
    && (typeof init[Symbol.asyncIterator] === 'function' || typeof init[Symbol.iterator] === 'function')) {
    const stream = streams().ReadableStream.from(bytesOfChunks(init));
    return { body: bodyRecord(null, streams().rsSlots.get(stream)), type: null };
  }
  return { body: bodyRecord(toUSVString(init), undefined), type: 'text/plain;charset=UTF-8' };
}

// The chunks of an iterable body as bytes: a string as its UTF-8, a buffer
// source as a copy of its bytes.
async function* bytesOfChunks(iterable) {
  for await (const chunk of iterable) {
    if (typeof chunk === 'string') yield utf8Encode(chunk);
    else if (chunk instanceof ArrayBuffer || ArrayBuffer.isView(chunk)) yield bufferSourceCopy(chunk);
    else throw new TypeError('A body iterable may only yield strings, ArrayBuffers and ArrayBuffer views');
  }
}

// A byte stream over a whole source, enqueued in one chunk when first pulled.
function streamFromSource(source) {
  let s;
  const pull = () => {
    const bytes = typeof source === 'string' ? utf8Encode(source) : source;
    source = null;
    if (bytes.byteLength > 0) streams().byteControllerEnqueue(s.controller, bytes);
    streams().byteControllerClose(s.controller);
    if (s.controller.pendingPullIntos.length > 0) streams().byteControllerRespond(s.controller, 0);
    return promiseResolvedWith(undefined);
  };
  s = streams().createReadableByteStream(() => undefined, pull, () => { source = null; return promiseResolvedWith(undefined); });
  return s;
}

// A byte stream over a host body stream, read one chunk per pull.
function streamFromHost(handle) {
  let s;
  const pull = () => transformPromise(opAsync('body_read', handle), chunk => {
    const c = s.controller;
    if (c.stream.state !== 'readable' || c.closeRequested) return;
    if (chunk === null) {
      streams().byteControllerClose(c);
      if (c.pendingPullIntos.length > 0) streams().byteControllerRespond(c, 0);
    } else if (chunk.byteLength > 0) {
      // A fresh Uint8Array over a buffer of its own, from the host.
      streams().byteControllerEnqueue(c, chunk, true);
    }
  });
  const cancel = () => { op('body_cancel', handle); return promiseResolvedWith(undefined); };
  s = streams().createReadableByteStream(() => undefined, pull, cancel);
  s.hostHandle = handle;
  return s;
}

// Reads a host body stream no code has seen whole, through the host: the
// rest of the body arrives in one piece, gathered outside JavaScript (one
// turn, and no copy in it, however many pieces the socket gave). The stream is
// locked and disturbed as if read; if it is errored meanwhile (a fetch
// aborted by its signal), the read fails with the stream's error, as a
// read through the stream would.
function readAllFromHost(s, done, fail) {
  streams().acquireDefaultReader(s);
  s.disturbed = true;
  uponPromise(opAsync('body_read_all', s.hostHandle), bytes => {
    if (s.state === 'errored') fail(s.storedError);
    else done(bytes === null ? new Uint8Array(0) : bytes);
  }, e => fail(s.state === 'errored' ? s.storedError : e));
}

// The stream of a body record, made on first use.
function bodyStream(body) {
  if (body.stream === undefined) {
    if (body.moved || body.used) {
      // A body moved to another Request or already read: disturbed and locked.
      body.stream = streamFromSource(new Uint8Array(0));
      body.stream.disturbed = true;
      streams().acquireDefaultReader(body.stream);
    } else {
      body.stream = streamFromSource(body.source);
      body.source = null;
    }
  }
  return body.stream;
}

const bodyIsUsed = body => body !== null && (body.used || body.moved || (body.stream !== undefined && body.stream.disturbed));
const bodyIsUnusable = body => body !== null && (bodyIsUsed(body) || (body.stream !== undefined && streams().isReadableStreamLocked(body.stream)));

// Reads every chunk of a stream record into one Uint8Array.
function readAllBytes(s, done, fail) {
  const reader = streams().acquireDefaultReader(s);
  const chunks = [];
  let total = 0;
  const next = () => streams().defaultReaderRead(reader, {
    chunk: chunk => {
      if (!(chunk instanceof Uint8Array)) {
        const e = new TypeError('A body stream chunk is not a Uint8Array');
        fail(e);
        streams().readerGenericCancel(reader, e);
        return;
      }
      chunks.push(chunk);
      total += chunk.byteLength;
      next();
    },
    close: () => {
      if (chunks.length === 1) return done(chunks[0]);
      const out = new Uint8Array(total);
      let at = 0;
      for (const c of chunks) { out.set(c, at); at += c.byteLength; }
      done(out);
    },
    error: fail,
  });
  next();
}

// Clones a body record: a whole source is shared, a stream is teed.
function cloneBody(body) {
  if (body === null) return null;
  if (body.stream === undefined) {
    const source = body.source;
    return bodyRecord(typeof source === 'string' || source === null ? source : source.slice(), undefined);
  }
  const [out1, out2] = streams().readableStreamTee(body.stream, true);
  body.stream = out1;
  return bodyRecord(null, out2);
}

// Moves a body to a new Request (the Fetch standard's proxy): the old one
// becomes used. A stream Worker code has seen is piped through an identity
// TransformStream, so the old stream is locked; one it has not seen moves.
function moveBody(body) {
  let moved;
  if (body.stream === undefined) {
    moved = bodyRecord(body.source, undefined);
    body.source = null;
  } else if (!body.exposed) {
    moved = bodyRecord(null, body.stream);
    body.stream = undefined;
  } else {
    const { TransformStream, tsSlots, readableStreamPipeTo } = streams();
    const ts = tsSlots.get(new TransformStream());
    markHandled(readableStreamPipeTo(body.stream, ts.writable, false, false, false, undefined));
    return bodyRecord(null, ts.readable);
  }
  body.moved = true;
  return moved;
}

// A consumed body's source (a string or bytes) as text, as an ArrayBuffer.
const bodyText = s => (typeof s === 'string' ? s : utf8Decode(s));
function bodyArrayBuffer(s) {
  const bytes = typeof s === 'string' ? utf8Encode(s) : s;
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

let bodyOf;     // Request | Response => body record | null
let setBodyOf;  // (Request | Response, body record | null) => void
let giveBody;   // (Request | Response, body record | null) => void, from its constructor

// Gives its constructor's first argument (a Request or Response under
// construction) to Body, which adds its private slot to that object.
class BodyTarget {
  constructor(target) { return target; }
}

// Body in Web IDL is a mixin: its members are copied onto Request.prototype
// and Response.prototype (mixinBody); the class is never exposed.
class Body extends BodyTarget {
  #body = null;

  constructor(target, body) {
    super(target);
    this.#body = body;
  }

  static {
    bodyOf = b => b.#body;
    setBodyOf = (b, body) => { b.#body = body; };
    giveBody = (target, body) => { new Body(target, body); };
  }

  get body() {
    const body = this.#body;
    if (body === null) return null;
    body.exposed = true;
    return bodyStream(body).obj;
  }
  get bodyUsed() { return bodyIsUsed(this.#body); }

  // Consumes the body (the whole source, a string or bytes, or every chunk)
  // and settles with convert(source). The source itself never goes through
  // a promise, so a `then` on Object.prototype cannot intercept it. A whole
  // source settles at once, without a deferred: a deferred's resolvers and
  // its record refer to each other, so on QuickJS the record, its promise
  // and the result (a whole body) would wait for a cycle collection.
  #consume(convert) {
    const body = this.#body;
    if (bodyIsUnusable(body)) return promiseRejectedWith(new TypeError('Body has already been used'));
    if (body === null || body.stream === undefined) {
      let source = new Uint8Array(0);
      if (body !== null) {
        body.used = true;
        source = body.source;
        body.source = null;
      }
      try {
        return promiseResolvedWith(convert(source));
      } catch (e) {
        return promiseRejectedWith(e);
      }
    }
    const d = newDeferred();
    const done = source => {
      let result;
      try {
        result = convert(source);
      } catch (e) {
        d.reject(e);
        return;
      }
      d.resolve(result);
    };
    const s = body.stream;
    if (s.hostHandle !== undefined && !body.exposed && s.state === 'readable' &&
        s.controller.queue.length === 0 && !streams().isReadableStreamLocked(s)) {
      readAllFromHost(s, done, d.reject);
    } else {
      readAllBytes(s, done, d.reject);
    }
    return d.promise;
  }

  text() { return this.#consume(bodyText); }
  arrayBuffer() { return this.#consume(bodyArrayBuffer); }
  bytes() { return this.#consume(s => new Uint8Array(bodyArrayBuffer(s))); }
  json() { return this.#consume(s => JSON.parse(bodyText(s))); }
  blob() {
    const type = this.headers.get('content-type') || '';
    return this.#consume(s => blobs().makeBlob(new Uint8Array(bodyArrayBuffer(s)), type));
  }
  formData() {
    const type = this.headers.get('content-type') || '';
    return this.#consume(s => {
      const bytes = new Uint8Array(bodyArrayBuffer(s));
      const essence = type.split(';')[0].trim().toLowerCase();
      if (essence === 'multipart/form-data') return blobs().parseMultipart(bytes, type);
      if (essence === 'application/x-www-form-urlencoded') return blobs().parseUrlencodedFormData(bytes);
      throw new TypeError(`Cannot parse a body of type '${type}' as FormData`);
    });
  }
}

// Copies the body mixin's members onto `cls.prototype` (before
// webidlInterface(cls), which makes them enumerable).
function mixinBody(cls) {
  const from = Body.prototype;
  for (const key of Object.getOwnPropertyNames(from)) {
    if (key !== 'constructor') Object.defineProperty(cls.prototype, key, Object.getOwnPropertyDescriptor(from, key));
  }
}

// Sends a Response's body to the host: a whole body as it is, a stream
// through a host sink, pumped chunk by chunk. Returns what the `respond` op
// takes: a string, bytes, null, or the sink's handle. With `passHost`, a
// host stream marked `hostPassThrough` (a value a storage binding read as a
// stream) that no code has read is handed back whole, as `[handle]`: the
// host sends it on without it passing through the isolate.
function bodyForHost(body, passHost = false) {
  if (body === null) return null;
  if (body.stream === undefined) {
    body.used = true;
    const source = body.source;
    body.source = null;
    return source;
  }
  const s = body.stream;
  if (passHost && s.hostPassThrough === true && !s.disturbed && s.state === 'readable' &&
      s.controller.queue.length === 0 && !streams().isReadableStreamLocked(s)) {
    streams().acquireDefaultReader(s);
    s.disturbed = true;
    return [s.hostHandle];
  }
  const handle = op('body_sink_open');
  pumpToHost(s, handle);
  return handle;
}

// Reads stream record `s` into host sink `handle`: one write in flight at a
// time, so the host's backpressure reaches the stream.
function pumpToHost(s, handle) {
  const reader = streams().acquireDefaultReader(s);
  const fail = e => {
    streams().readerGenericCancel(reader, e);
    op('body_sink_abort', handle, String(e && e.message !== undefined ? e.message : e));
  };
  const next = () => streams().defaultReaderRead(reader, {
    chunk: chunk => {
      if (!(chunk instanceof Uint8Array)) {
        fail(new TypeError('A body stream chunk is not a Uint8Array'));
        return;
      }
      if (chunk.byteLength === 0) { next(); return; }
      uponPromise(opAsync('body_sink_write', handle, chunk), next, e => fail(e));
    },
    close: () => op('body_sink_close', handle),
    error: e => op('body_sink_abort', handle, String(e && e.message !== undefined ? e.message : e)),
  });
  next();
}
