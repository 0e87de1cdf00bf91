// The wire form of JS RPC values: what crosses from one isolate to another
// as an argument or a result of an RPC call (rpc.js). The value is copied
// the way structured clone copies it — primitives and their wrappers,
// BigInt, Date, RegExp, ArrayBuffer and its views, Map, Set, arrays, plain
// objects (cycles and shared references kept; an instance of a class that
// does not extend RpcTarget cannot be sent), the Error types (name,
// message, stack, cause), DOMException, Blob and File — and, beyond
// structured clone, functions and RpcTarget instances travel as stubs that
// call back into the isolate that sent them.
//
// The wire form is made of the values the host carries between isolates
// without looking inside (motu_engine::HostValue): null, undefined,
// booleans, strings and numbers stand for themselves (-0 excepted); every
// other value is a list whose first element is a tag:
//   ['a', v…]               an array            ['o', k, v, …]  a plain object
//   ['r', n]                the n-th object already sent (a shared
//                           reference or a cycle; objects count from 0 in
//                           the order they are first met)
//   ['z']                   -0                  ['n', digits]   a BigInt
//   ['w', kind, value]      a Boolean, Number, String or BigInt object
//   ['D', ms]               a Date              ['R', source, flags]  a RegExp
//   ['M', k, v, …]          a Map               ['S', v…]       a Set
//   ['B', bytes, max]       an ArrayBuffer (max: the maximum length of a
//                           resizable one, else null)
//   ['V', type, buffer, offset, length]  a typed array or DataView
//   ['E', name, message, stack, hasCause, cause]  an Error
//   ['X', name, message]    a DOMException
//   ['b', bytes, type, name, lastModified]  a Blob (name null) or a File
//   ['f', n] / ['T', n]     a function / an RpcTarget, exported by the
//                           sender under number n (see rpc.js)
//   ['s', i]                a ReadableStream of bytes: the i-th of the
//                           byte streams the host carries beside the value
//   ['W', i]                a WritableStream of bytes: the i-th of the
//                           pipes the host carries beside the value (the
//                           receiver writes into it, the sender pipes what
//                           arrives into the stream)
//   ['q', method, url, headers, body]  a Request
//   ['p', status, statusText, headers, body]  a Response (body: null, a
//                           string, bytes, or ['s', i])
// A value that cannot be sent is a DataCloneError, as structured clone has.
const WIRE_ERRORS = ['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError'];
// Globals whose instances cannot be sent (those of groups not loaded yet are
// skipped: they have no instances).
const WIRE_UNSENDABLE = [
  'Promise', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Event', 'EventTarget',
  'AbortController', 'AbortSignal', 'Headers', 'URL', 'URLSearchParams', 'FormData',
  'TextEncoder', 'TextDecoder', 'TransformStream', 'WebSocket',
];
// The constructors of the ArrayBuffer views the wire carries.
const WIRE_VIEWS = ['DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'];
// How deeply a value may nest (the host carries values up to 64 levels).
const WIRE_MAX_DEPTH = 60;
const wireTypedArrayName = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;

// Whether `v` is a value the wire carries as itself (null, undefined, a
// boolean, a string or a number other than -0).
function wireIsPrimitive(v) {
  const type = typeof v;
  return v === null || type === 'undefined' || type === 'boolean' || type === 'string'
    || (type === 'number' && !Object.is(v, -0));
}

// Whether `v` is such a value, or an array of them (holes read as
// undefined, as toWire reads them).
function wireIsPlain(v) {
  if (wireIsPrimitive(v)) return true;
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (!wireIsPrimitive(v[i])) return false;
  return true;
}

// The wire form of a value `wireIsPlain` accepts.
function wirePlain(v) {
  if (!Array.isArray(v)) return v;
  const out = new Array(v.length + 1);
  out[0] = 'a';
  for (let i = 0; i < v.length; i++) out[i + 1] = v[i];
  return out;
}

function wireCloneError(what) {
  return new DOMException(`${what} could not be cloned`, 'DataCloneError');
}

// `value` in wire form. `exportStub(value, kind)` is called for each function
// (kind 'f') and RpcTarget (kind 'T') met and returns the number the sender
// keeps it under; without it, they cannot be sent. `sendStream(handle)` is
// called for each byte stream, the handle of the host sink it is pumped
// into, and returns its index; without it, streams cannot be sent.
// `sendWriter(stream)` is called for each WritableStream and returns the
// index of the pipe that feeds it; without it, they cannot be sent.
function toWire(value, exportStub = undefined, sendStream = undefined, sendWriter = undefined) {
  // Primitives, and arrays of them (a call's usual arguments and
  // results), stand for themselves: none of the bookkeeping below.
  if (wireIsPlain(value)) return wirePlain(value);
  // A body (of a Request, a Response, or a stream as a Response's) as the
  // wire has it.
  const body = record => {
    if (bodyIsUnusable(record)) throw new TypeError('RPC: a body that was already used or is locked cannot be sent');
    const b = bodyForHost(record);
    if (typeof b !== 'number') return b;
    if (sendStream === undefined) {
      op('body_sink_abort', b, 'not sent');
      throw wireCloneError('A ReadableStream');
    }
    return ['s', sendStream(b)];
  };
  const seen = new Map();
  let depth = 0;
  const enc = v => {
    if (++depth > WIRE_MAX_DEPTH) throw wireCloneError(`A value nested more than ${WIRE_MAX_DEPTH} levels deep`);
    try {
      return encodeOne(v);
    } finally {
      depth--;
    }
  };
  const encodeOne = v => {
    const type = typeof v;
    if (v === null || type === 'undefined' || type === 'boolean' || type === 'string') return v;
    if (type === 'number') return Object.is(v, -0) ? ['z'] : v;
    if (type === 'bigint') return ['n', v.toString()];
    if (type === 'symbol') throw wireCloneError('A symbol');
    const index = seen.get(v);
    if (index !== undefined) return ['r', index];
    if (type === 'function' || v instanceof RpcTarget || isRpcStub(v)) {
      if (exportStub === undefined) throw wireCloneError(type === 'function' ? 'A function' : 'An RpcTarget');
      seen.set(v, seen.size);
      return [type === 'function' ? 'f' : 'T', exportStub(v, type === 'function' ? 'f' : 'T')];
    }
    seen.set(v, seen.size);
    if (Array.isArray(v)) {
      const out = ['a'];
      for (let i = 0; i < v.length; i++) out.push(enc(v[i]));
      return out;
    }
    if (v instanceof ArrayBuffer) {
      if (v.detached) throw wireCloneError('A detached ArrayBuffer');
      return ['B', new Uint8Array(v.slice(0)), v.resizable ? v.maxByteLength : null];
    }
    if (ArrayBuffer.isView(v)) {
      if (v.buffer.detached) throw wireCloneError('A view on a detached ArrayBuffer');
      const typeName = v instanceof DataView ? 'DataView' : wireTypedArrayName.call(v);
      const length = v instanceof DataView ? v.byteLength : v.length;
      return ['V', typeName, enc(v.buffer), v.byteOffset, length];
    }
    if (v instanceof Date) return ['D', v.getTime()];
    if (v instanceof RegExp) return ['R', v.source, v.flags];
    if (v instanceof Boolean) return ['w', 'Boolean', v.valueOf()];
    if (v instanceof Number) return ['w', 'Number', v.valueOf()];
    if (v instanceof String) return ['w', 'String', v.valueOf()];
    if (typeof BigInt === 'function' && v instanceof BigInt) return ['w', 'BigInt', v.valueOf().toString()];
    if (v instanceof Map) {
      const out = ['M'];
      for (const [k, x] of [...v]) out.push(enc(k), enc(x));
      return out;
    }
    if (v instanceof Set) {
      const out = ['S'];
      for (const x of [...v]) out.push(enc(x));
      return out;
    }
    if (v instanceof DOMException) return ['X', v.name, v.message];
    const blobs = loadedGroup(BLOBS);
    if (blobs !== undefined && v instanceof blobs.Blob) {
      const file = v instanceof blobs.File;
      return ['b', blobs.blobBytes(v).slice(), v.type, file ? v.name : null, file ? v.lastModified : 0];
    }
    const streamCtor = loadedGlobal('ReadableStream');
    if (typeof streamCtor === 'function' && v instanceof streamCtor) {
      if (v.locked) throw new TypeError('RPC: a locked ReadableStream cannot be sent');
      return body(bodyOf(new Response(v)));
    }
    if (v instanceof Request) {
      return ['q', v.method, v.url, [...v.headers], body(bodyOf(v))];
    }
    if (v instanceof Response) {
      return ['p', v.status, v.statusText, [...v.headers], body(bodyOf(v))];
    }
    const writableCtor = loadedGlobal('WritableStream');
    if (typeof writableCtor === 'function' && v instanceof writableCtor) {
      if (sendWriter === undefined) throw wireCloneError('A WritableStream');
      if (v.locked) throw new TypeError('RPC: a locked WritableStream cannot be sent');
      return ['W', sendWriter(v)];
    }
    for (const name of WIRE_UNSENDABLE) {
      const ctor = loadedGlobal(name);
      if (typeof ctor === 'function' && v instanceof ctor) throw wireCloneError(`A ${name}`);
    }
    if (v instanceof Error) {
      const message = Object.getOwnPropertyDescriptor(v, 'message');
      const hasCause = 'cause' in v;
      return ['E', String(v.name), message && 'value' in message ? String(message.value) : '',
        typeof v.stack === 'string' ? v.stack : null, hasCause, hasCause ? enc(v.cause) : null];
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== null && proto !== Object.prototype) {
      // An instance of a class that does not extend RpcTarget.
      const name = typeof proto.constructor === 'function' ? proto.constructor.name : 'Object';
      throw new DOMException(`Could not serialize object of type "${name}". This type does not support serialization.`, 'DataCloneError');
    }
    const out = ['o'];
    for (const key of Object.keys(v)) out.push(key, enc(v[key]));
    return out;
  };
  return enc(value);
}

// The value `wire` stands for. `importStub(kind, n)` makes the stub of what
// the sender exported under number n; `streams` are the host handles of the
// byte streams the value carries, `writers` those of the host sinks its
// WritableStreams write into.
function fromWire(wire, importStub = undefined, streams = [], writers = []) {
  if (!Array.isArray(wire)) return wire;
  // An array of primitives (see wireIsPlain): nothing to look up.
  if (wire[0] === 'a') {
    let plain = true;
    for (let i = 1; i < wire.length && plain; i++) plain = !Array.isArray(wire[i]);
    if (plain) return wire.slice(1);
  }
  const objects = [];
  const stream = i => {
    if (typeof streams[i] !== 'number') throw new TypeError('RPC: a stream of the value is missing');
    return streamFromHost(streams[i]).obj;
  };
  const body = b => (Array.isArray(b) ? stream(b[1]) : b);
  const dec = w => {
    if (!Array.isArray(w)) return w;
    const remember = o => { objects.push(o); return o; };
    switch (w[0]) {
      case 'z': return -0;
      case 'n': return BigInt(w[1]);
      case 'r': return objects[w[1]];
      case 'a': {
        const out = remember(new Array(w.length - 1));
        for (let i = 1; i < w.length; i++) out[i - 1] = dec(w[i]);
        return out;
      }
      case 'o': {
        const out = remember({});
        for (let i = 1; i < w.length; i += 2) {
          Object.defineProperty(out, w[i], { value: dec(w[i + 1]), writable: true, enumerable: true, configurable: true });
        }
        return out;
      }
      case 'B': {
        const bytes = w[1];
        const buffer = w[2] === null ? new ArrayBuffer(bytes.length) : new ArrayBuffer(bytes.length, { maxByteLength: w[2] });
        new Uint8Array(buffer).set(bytes);
        return remember(buffer);
      }
      case 'V': {
        const index = objects.length;
        objects.push(undefined);
        const buffer = dec(w[2]);
        // Only the views' own constructors: a wire value may come from an
        // isolate whose code is not trusted (a dynamic Worker's).
        const Ctor = WIRE_VIEWS.includes(w[1]) ? globalThis[w[1]] : undefined;
        if (typeof Ctor !== 'function') throw wireCloneError(`A ${w[1]}`);
        return (objects[index] = new Ctor(buffer, w[3], w[4]));
      }
      case 'D': return remember(new Date(w[1]));
      case 'R': return remember(new RegExp(w[1], w[2]));
      case 'w': return remember(Object(w[1] === 'BigInt' ? BigInt(w[2]) : w[2]));
      case 'M': {
        const out = remember(new Map());
        for (let i = 1; i < w.length; i += 2) out.set(dec(w[i]), dec(w[i + 1]));
        return out;
      }
      case 'S': {
        const out = remember(new Set());
        for (let i = 1; i < w.length; i++) out.add(dec(w[i]));
        return out;
      }
      case 'X': return remember(new DOMException(w[2], w[1]));
      case 'b': {
        const blobs = loadGroup(BLOBS);
        return remember(w[3] === null ? blobs.makeBlob(w[1], w[2]) : blobs.makeFile(w[1], w[3], w[2], w[4]));
      }
      case 'E': {
        const Ctor = WIRE_ERRORS.includes(w[1]) ? globalThis[w[1]] : Error;
        const error = remember(new Ctor(w[2]));
        if (!WIRE_ERRORS.includes(w[1])) {
          Object.defineProperty(error, 'name', { value: w[1], writable: true, configurable: true });
        }
        if (w[3] !== null) Object.defineProperty(error, 'stack', { value: w[3], writable: true, configurable: true });
        if (w[4]) Object.defineProperty(error, 'cause', { value: dec(w[5]), writable: true, configurable: true });
        return error;
      }
      case 's': return remember(stream(w[1]));
      case 'W': {
        if (typeof writers[w[1]] !== 'number') throw new TypeError('RPC: a stream of the value is missing');
        return remember(writableToSink(writers[w[1]]));
      }
      case 'q': {
        const init = { method: w[1], headers: w[3] };
        if (w[4] !== null) {
          init.body = body(w[4]);
          init.duplex = 'half';
        }
        return remember(new Request(w[2], init));
      }
      case 'p': return remember(new Response(body(w[4]), { status: w[1], statusText: w[2], headers: w[3] }));
      case 'f':
      case 'T': {
        if (importStub === undefined) throw wireCloneError('A stub');
        return remember(importStub(w[0], w[1]));
      }
      default: throw new TypeError(`RPC: unknown value tag '${w[0]}'`);
    }
  };
  return dec(wire);
}

// A WritableStream of bytes whose chunks go into host sink `handle` (a
// pipe's producing end, see toWire's 'W'): a write settles once the host
// took the chunk, so the reader's pace reaches the writer.
function writableToSink(handle) {
  return new WritableStream({
    write(chunk) {
      let bytes;
      if (chunk instanceof Uint8Array) bytes = chunk;
      else if (chunk instanceof ArrayBuffer) bytes = new Uint8Array(chunk);
      else if (ArrayBuffer.isView(chunk)) bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      else throw new TypeError('This WritableStream takes ArrayBuffer or ArrayBufferView chunks only');
      if (bytes.byteLength === 0) return undefined;
      return opAsync('body_sink_write', handle, bytes.slice());
    },
    close() { op('body_sink_close', handle); },
    abort(reason) { op('body_sink_abort', handle, String(reason && reason.message !== undefined ? reason.message : reason)); },
  });
}
