// structuredClone(value, { transfer }): the HTML structured clone of the
// serializable types — primitives and their wrapper objects, Date, RegExp,
// ArrayBuffer and its views, Map, Set, arrays and plain objects (cycles and
// shared references kept), the Error types, DOMException, Blob and File.
// Anything else (functions, symbols, Promise, WeakMap, the platform objects
// that are not serializable) is a DataCloneError. `transfer` moves
// ArrayBuffers: the originals are detached. A resizable ArrayBuffer (on engines
// that have them) stays resizable in the clone. Uses no ops.
const CLONEABLE_ERRORS = ['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError'];
// Globals whose instances cannot be cloned (looked up when cloning, those of
// groups not loaded yet skipped: they have no instances).
const UNCLONEABLE = [
  'Promise', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Event', 'EventTarget',
  'AbortController', 'Headers', 'Request', 'Response', 'URL', 'URLSearchParams', 'FormData',
  'TextEncoder', 'TextDecoder', 'TextEncoderStream', 'TextDecoderStream', 'CompressionStream',
  'DecompressionStream', 'ReadableStream', 'WritableStream', 'TransformStream', 'Navigator',
];

const typedArrayName = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;
const TYPED_ARRAYS_BY_NAME = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
};

function dataCloneError(what) {
  return new DOMException(`${what} could not be cloned`, 'DataCloneError');
}

function structuredCloneValue(value, transfer = []) {
  const memory = new Map();
  const transferList = [];
  for (const t of transfer) {
    if (!(t instanceof ArrayBuffer)) throw dataCloneError('A transferred value that is not an ArrayBuffer');
    if (transferList.includes(t)) throw dataCloneError('An ArrayBuffer listed twice in transfer');
    if (t.detached) throw dataCloneError('A detached ArrayBuffer');
    if (typeof t.transfer !== 'function') throw dataCloneError('An ArrayBuffer (this engine cannot detach buffers)');
    transferList.push(t);
  }
  // A transferred buffer's contents go to the clone; the original is
  // detached once the clone is made (its views must still be readable until
  // then).
  for (const t of transferList) memory.set(t, copyArrayBuffer(t));
  const clone = cloneInto(value, memory);
  for (const t of transferList) t.transfer();
  return clone;
}

// A copy of an ArrayBuffer; a resizable one stays resizable, with the same
// maximum length (on engines that have resizable buffers).
function copyArrayBuffer(buffer) {
  if (!buffer.resizable) return buffer.slice(0);
  const copy = new ArrayBuffer(buffer.byteLength, { maxByteLength: buffer.maxByteLength });
  new Uint8Array(copy).set(new Uint8Array(buffer));
  return copy;
}

function cloneInto(value, memory) {
  const type = typeof value;
  if (value === null || (type !== 'object' && type !== 'function' && type !== 'symbol')) return value;
  if (type === 'symbol') throw dataCloneError('A symbol');
  if (type === 'function') throw dataCloneError('A function');
  if (memory.has(value)) return memory.get(value);
  const remember = clone => { memory.set(value, clone); return clone; };

  if (value instanceof ArrayBuffer) {
    if (value.detached) throw dataCloneError('A detached ArrayBuffer');
    return remember(copyArrayBuffer(value));
  }
  if (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer) {
    throw dataCloneError('A SharedArrayBuffer');
  }
  if (ArrayBuffer.isView(value)) {
    const buffer = value.buffer;
    if (buffer.detached) throw dataCloneError('A view on a detached ArrayBuffer');
    if (value instanceof DataView) {
      // A DataView out of its (shrunk) resizable buffer's bounds throws on
      // its byteOffset.
      let byteOffset, byteLength;
      try {
        byteOffset = value.byteOffset;
        byteLength = value.byteLength;
      } catch {
        throw dataCloneError('A DataView out of its buffer\'s bounds');
      }
      return remember(new DataView(cloneInto(buffer, memory), byteOffset, byteLength));
    }
    const bufferClone = cloneInto(buffer, memory);
    const Ctor = TYPED_ARRAYS_BY_NAME[typedArrayName.call(value)] ?? globalThis[typedArrayName.call(value)];
    return remember(new Ctor(bufferClone, value.byteOffset, value.length));
  }
  if (value instanceof Date) return remember(new Date(value.getTime()));
  if (value instanceof RegExp) return remember(new RegExp(value.source, value.flags));
  if (value instanceof Boolean) return remember(new Boolean(value.valueOf()));
  if (value instanceof Number) return remember(new Number(value.valueOf()));
  if (value instanceof String) return remember(new String(value.valueOf()));
  if (typeof BigInt === 'function' && value instanceof BigInt) return remember(Object(value.valueOf()));
  if (value instanceof Map) {
    const clone = remember(new Map());
    for (const [k, v] of [...value]) clone.set(cloneInto(k, memory), cloneInto(v, memory));
    return clone;
  }
  if (value instanceof Set) {
    const clone = remember(new Set());
    for (const v of [...value]) clone.add(cloneInto(v, memory));
    return clone;
  }
  if (value instanceof DOMException) return remember(new DOMException(value.message, value.name));
  const blobs = loadedGroup(BLOBS);
  if (blobs !== undefined && value instanceof blobs.Blob) return remember(blobs.cloneBlob(value));
  for (const name of UNCLONEABLE) {
    const ctor = loadedGlobal(name);
    if (typeof ctor === 'function' && value instanceof ctor) throw dataCloneError(`A ${name}`);
  }
  if (value instanceof Error) {
    let name = value.name;
    if (!CLONEABLE_ERRORS.includes(name)) name = 'Error';
    const clone = remember(new globalThis[name]());
    const message = Object.getOwnPropertyDescriptor(value, 'message');
    if (message && 'value' in message) {
      Object.defineProperty(clone, 'message', { value: String(message.value), writable: true, configurable: true });
    } else {
      delete clone.message;
    }
    if (typeof value.stack === 'string') {
      Object.defineProperty(clone, 'stack', { value: value.stack, writable: true, configurable: true });
    }
    if ('cause' in value) {
      Object.defineProperty(clone, 'cause', { value: cloneInto(value.cause, memory), writable: true, configurable: true });
    }
    return clone;
  }
  if (Array.isArray(value)) {
    const clone = remember(new Array(value.length));
    for (const key of Object.keys(value)) clone[key] = cloneInto(value[key], memory);
    return clone;
  }
  const clone = remember({});
  for (const key of Object.keys(value)) {
    const v = value[key];
    clone[key] = cloneInto(v, memory);
  }
  return clone;
}

defineGlobal('structuredClone', function structuredClone(value, options = undefined) {
  if (arguments.length === 0) throw new TypeError('structuredClone needs a value');
  const o = optionsDictionary(options, 'structuredClone options');
  let transfer = [];
  if (o.transfer !== undefined) {
    if (o.transfer === null || typeof o.transfer !== 'object' || typeof o.transfer[Symbol.iterator] !== 'function') {
      throw new TypeError('structuredClone: transfer must be a sequence');
    }
    transfer = [...o.transfer];
  }
  return structuredCloneValue(value, transfer);
});
