// node:buffer — Buffer (a Uint8Array subclass) with every encoding Node.js
// has (utf8, utf16le/ucs2, latin1/binary, ascii, base64, base64url, hex),
// Blob, File, atob, btoa, kMaxLength, isUtf8, isAscii, transcode.
//
// Ops used: `utf8_encode(string)`, `utf8_decode(bytes, fatal, ignoreBOM)`,
// `node_base64_encode(bytes, url)`, `node_base64_decode(string)`,
// `node_hex_encode(bytes)`, `node_hex_decode(string)` (src/node_ops.rs).
// Errors carry Node.js's `code` (ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE,
// ERR_UNKNOWN_ENCODING, ERR_BUFFER_OUT_OF_BOUNDS, ERR_INVALID_ARG_VALUE).

const { Blob: BlobClass, File: FileClass } = loadGroup(BLOBS);
const kMaxLength = 2 ** 31 - 1;
const kStringMaxLength = 2 ** 29 - 24;
const INSPECT_MAX_BYTES = 50;
const customInspect = Symbol.for('nodejs.util.inspect.custom');

function nodeError(Ctor, code, message) {
  const e = new Ctor(message);
  Object.defineProperty(e, 'code', { __proto__: null, value: code, writable: true, configurable: true, enumerable: true });
  e.name = Ctor.name;
  Object.defineProperty(e, 'name', { __proto__: null, value: Ctor.name, writable: true, configurable: true, enumerable: false });
  return e;
}

function describeReceived(value) {
  if (value == null) return ` Received ${value}`;
  if (typeof value === 'function') return ` Received function ${value.name}`;
  if (typeof value === 'object') {
    if (value.constructor && value.constructor.name) return ` Received an instance of ${value.constructor.name}`;
    return ' Received an instance of Object';
  }
  let shown = typeof value === 'string' ? `'${value.length > 25 ? `${value.slice(0, 25)}...` : value}'` : String(value);
  if (typeof value === 'bigint') shown += 'n';
  return ` Received type ${typeof value} (${shown})`;
}

function invalidArgType(name, expected, value) {
  return nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "${name}" argument must be ${expected}.${describeReceived(value)}`);
}

function outOfRange(name, range, value) {
  return nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${typeof value === 'number' ? addUnderscores(value) : String(value)}`);
}

function addUnderscores(n) {
  if (!Number.isInteger(n) || Math.abs(n) < 1000) return String(n);
  const s = String(Math.abs(n));
  let out = '';
  for (let i = s.length; i > 0; i -= 3) out = `_${s.slice(Math.max(0, i - 3), i)}${out}`;
  return (n < 0 ? '-' : '') + out.slice(1);
}

function boundsError(offset, length) {
  if (length < 0) return nodeError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS', 'Attempt to access memory outside buffer bounds');
  return outOfRange('offset', `>= 0 and <= ${length}`, offset);
}

// The canonical name of encoding `enc` (undefined: utf8), or undefined when
// Node.js knows no such encoding.
function normalizeEncoding(enc) {
  if (enc === undefined || enc === null || enc === 'utf8' || enc === 'utf-8') return 'utf8';
  switch (String(enc).toLowerCase()) {
    case 'utf8': case 'utf-8': return 'utf8';
    case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return 'utf16le';
    case 'latin1': case 'binary': return 'latin1';
    case 'base64': return 'base64';
    case 'base64url': return 'base64url';
    case 'hex': return 'hex';
    case 'ascii': return 'ascii';
    default: return undefined;
  }
}

function encodingOf(enc) {
  const e = normalizeEncoding(enc);
  if (e === undefined) throw nodeError(TypeError, 'ERR_UNKNOWN_ENCODING', `Unknown encoding: ${enc}`);
  return e;
}

// The bytes of `string` in encoding `enc` (canonical), as a Uint8Array.
function encodeString(string, enc) {
  switch (enc) {
    case 'utf8': return op('utf8_encode', string);
    case 'latin1': case 'ascii': {
      const out = new Uint8Array(string.length);
      for (let i = 0; i < string.length; i++) out[i] = string.charCodeAt(i) & 255;
      return out;
    }
    case 'utf16le': {
      const out = new Uint8Array(string.length * 2);
      for (let i = 0; i < string.length; i++) {
        const c = string.charCodeAt(i);
        out[2 * i] = c & 255;
        out[2 * i + 1] = c >> 8;
      }
      return out;
    }
    case 'base64': case 'base64url': return op('node_base64_decode', string);
    case 'hex': return op('node_hex_decode', string);
  }
  throw nodeError(TypeError, 'ERR_UNKNOWN_ENCODING', `Unknown encoding: ${enc}`);
}

function charCodes(bytes, mask) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    const part = bytes.subarray(i, Math.min(bytes.length, i + 8192));
    out += String.fromCharCode.apply(null, mask === 255 ? part : Array.from(part, b => b & mask));
  }
  return out;
}

// The text of `bytes` (a Uint8Array) in encoding `enc` (canonical).
function decodeBytes(bytes, enc) {
  if (bytes.length === 0) return '';
  switch (enc) {
    case 'utf8': return op('utf8_decode', bytes, false, true);
    case 'latin1': return charCodes(bytes, 255);
    case 'ascii': return charCodes(bytes, 127);
    case 'utf16le': {
      let out = '';
      const n = bytes.length >> 1;
      for (let i = 0; i < n; i += 8192) {
        const units = [];
        for (let j = i; j < Math.min(n, i + 8192); j++) units.push(bytes[2 * j] | bytes[2 * j + 1] << 8);
        out += String.fromCharCode.apply(null, units);
      }
      return out;
    }
    case 'base64': return op('node_base64_encode', bytes, false);
    case 'base64url': return op('node_base64_encode', bytes, true);
    case 'hex': return op('node_hex_encode', bytes);
  }
  throw nodeError(TypeError, 'ERR_UNKNOWN_ENCODING', `Unknown encoding: ${enc}`);
}

function byteLengthOf(string, enc) {
  switch (enc) {
    case 'utf8': {
      let n = 0;
      for (let i = 0; i < string.length; i++) {
        const c = string.charCodeAt(i);
        if (c < 0x80) n += 1;
        else if (c < 0x800) n += 2;
        else if (c >= 0xd800 && c <= 0xdbff && i + 1 < string.length && (string.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { n += 4; i++; }
        else n += 3;
      }
      return n;
    }
    case 'latin1': case 'ascii': return string.length;
    case 'utf16le': return string.length * 2;
    case 'hex': return string.length >>> 1;
    case 'base64': case 'base64url': {
      let n = string.length;
      while (n > 0 && string.charCodeAt(n - 1) === 0x3d) n--;
      return (n * 3) >>> 2;
    }
  }
  return encodeString(string, enc).length;
}

// Buffer instances are FastBuffers: Buffer.prototype is FastBuffer's, and
// `Buffer` itself may be called (deprecated, as in Node.js).
class FastBuffer extends Uint8Array {
  // eslint-disable-next-line no-useless-constructor
  constructor(a, b, c) { super(a, b, c); }
}

function Buffer(arg, encodingOrOffset, length) {
  if (typeof arg === 'number') {
    if (typeof encodingOrOffset === 'string') throw invalidArgType('string', 'of type string', arg);
    return Buffer.alloc(arg);
  }
  return Buffer.from(arg, encodingOrOffset, length);
}
Object.defineProperty(Buffer, 'prototype', { __proto__: null, value: FastBuffer.prototype, writable: false });
Object.defineProperty(FastBuffer.prototype, 'constructor', { __proto__: null, value: Buffer, writable: true, configurable: true });
Object.setPrototypeOf(Buffer, Uint8Array);

const wrap = bytes => new FastBuffer(bytes.buffer, bytes.byteOffset, bytes.length);

function checkSize(size) {
  if (typeof size !== 'number') throw invalidArgType('size', 'of type number', size);
  if (!(size >= 0 && size <= kMaxLength)) throw outOfRange('size', `>= 0 && <= ${kMaxLength}`, size);
}

Buffer.poolSize = 8192;

Buffer.from = function from(value, encodingOrOffset, length) {
  if (typeof value === 'string') return wrap(encodeString(value, encodingOf(encodingOrOffset)));
  if (typeof value === 'object' && value !== null) {
    if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)) {
      const offset = encodingOrOffset === undefined ? 0 : +encodingOrOffset || 0;
      if (offset > value.byteLength) throw nodeError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS', '"offset" is outside of buffer bounds');
      const len = length === undefined ? value.byteLength - offset : +length || 0;
      if (offset + len > value.byteLength) throw nodeError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS', '"length" is outside of buffer bounds');
      return new FastBuffer(value, offset, len);
    }
    if (ArrayBuffer.isView(value)) {
      const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      if (value instanceof Uint8Array || value instanceof DataView) return wrap(bytes.slice());
      // Other typed arrays: one byte per element, as Node.js copies them.
      const out = new FastBuffer(value.length);
      for (let i = 0; i < value.length; i++) out[i] = Number(value[i]) & 255;
      return out;
    }
    const primitive = value.valueOf && value.valueOf();
    if (primitive != null && primitive !== value && (typeof primitive === 'string' || typeof primitive === 'object')) {
      return Buffer.from(primitive, encodingOrOffset, length);
    }
    if (typeof value.length === 'number' || Array.isArray(value)) {
      const n = typeof value.length === 'number' ? Math.max(0, value.length | 0) : 0;
      const out = new FastBuffer(n);
      for (let i = 0; i < n; i++) out[i] = value[i] & 255;
      return out;
    }
    if (value.type === 'Buffer' && Array.isArray(value.data)) return Buffer.from(value.data);
    if (typeof value[Symbol.toPrimitive] === 'function') {
      const p = value[Symbol.toPrimitive]('string');
      if (typeof p === 'string') return Buffer.from(p, encodingOrOffset);
    }
  }
  throw invalidArgType('first argument', 'of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object', value);
};

Buffer.of = function of(...items) {
  const out = new FastBuffer(items.length);
  for (let i = 0; i < items.length; i++) out[i] = items[i];
  return out;
};

Buffer.alloc = function alloc(size, fill, encoding) {
  checkSize(size);
  const buf = new FastBuffer(size);
  if (fill !== undefined && fill !== 0 && size > 0) buf.fill(fill, 0, size, encoding);
  return buf;
};
Buffer.allocUnsafe = function allocUnsafe(size) { checkSize(size); return new FastBuffer(size); };
Buffer.allocUnsafeSlow = function allocUnsafeSlow(size) { checkSize(size); return new FastBuffer(size); };

Buffer.isBuffer = function isBuffer(b) { return b instanceof Buffer; };
Buffer.isEncoding = function isEncoding(enc) {
  return typeof enc === 'string' && enc.length !== 0 && normalizeEncoding(enc) !== undefined;
};

Buffer.byteLength = function byteLength(string, encoding) {
  if (typeof string !== 'string') {
    if (ArrayBuffer.isView(string) || string instanceof ArrayBuffer) return string.byteLength;
    throw invalidArgType('string', 'of type string or an instance of Buffer or ArrayBuffer', string);
  }
  return byteLengthOf(string, normalizeEncoding(encoding) ?? 'utf8');
};

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

Buffer.compare = function compare(a, b) {
  if (!(a instanceof Uint8Array)) throw invalidArgType('buf1', 'an instance of Buffer or Uint8Array', a);
  if (!(b instanceof Uint8Array)) throw invalidArgType('buf2', 'an instance of Buffer or Uint8Array', b);
  return compareBytes(a, b);
};

Buffer.concat = function concat(list, totalLength) {
  if (!Array.isArray(list)) throw invalidArgType('list', 'an instance of Array', list);
  if (totalLength === undefined) {
    totalLength = 0;
    for (let i = 0; i < list.length; i++) {
      if (!(list[i] instanceof Uint8Array)) throw invalidArgType(`list[${i}]`, 'an instance of Buffer or Uint8Array', list[i]);
      totalLength += list[i].length;
    }
  }
  const out = Buffer.alloc(totalLength);
  let at = 0;
  for (let i = 0; i < list.length && at < totalLength; i++) {
    const part = list[i];
    if (!(part instanceof Uint8Array)) throw invalidArgType(`list[${i}]`, 'an instance of Buffer or Uint8Array', part);
    const take = Math.min(part.length, totalLength - at);
    out.set(take === part.length ? part : part.subarray(0, take), at);
    at += take;
  }
  return out;
};

Buffer.copyBytesFrom = function copyBytesFrom(view, offset = 0, length) {
  if (!ArrayBuffer.isView(view) || view instanceof DataView) throw invalidArgType('view', 'an instance of TypedArray', view);
  const end = length === undefined ? view.length : Math.min(view.length, offset + length);
  const part = view.subarray(offset, end);
  return wrap(new Uint8Array(part.buffer, part.byteOffset, part.byteLength).slice());
};

const proto = FastBuffer.prototype;

function clampRange(len, start, end) {
  start = start === undefined ? 0 : Math.trunc(+start) || 0;
  end = end === undefined ? len : Math.trunc(+end) || 0;
  if (start < 0) start = 0;
  if (end > len) end = len;
  return [start, end];
}

proto.toString = function toString(encoding, start, end) {
  if (arguments.length === 0) return op('utf8_decode', this, false, true);
  const enc = encodingOf(encoding);
  const [s, e] = clampRange(this.length, start, end);
  if (e <= s) return '';
  return decodeBytes(s === 0 && e === this.length ? this : this.subarray(s, e), enc);
};
proto.toLocaleString = proto.toString;

proto.toJSON = function toJSON() {
  return { type: 'Buffer', data: Array.from(this) };
};

proto.equals = function equals(other) {
  if (!(other instanceof Uint8Array)) throw invalidArgType('otherBuffer', 'an instance of Buffer or Uint8Array', other);
  return this === other || compareBytes(this, other) === 0;
};

proto.compare = function compare(target, targetStart = 0, targetEnd = target?.length, sourceStart = 0, sourceEnd = this.length) {
  if (!(target instanceof Uint8Array)) throw invalidArgType('target', 'an instance of Buffer or Uint8Array', target);
  for (const [name, v, max] of [['targetStart', targetStart, target.length], ['targetEnd', targetEnd, target.length],
    ['sourceStart', sourceStart, this.length], ['sourceEnd', sourceEnd, this.length]]) {
    if (v < 0 || v > max) throw outOfRange(name, `>= 0 && <= ${max}`, v);
  }
  return compareBytes(this.subarray(sourceStart, sourceEnd), target.subarray(targetStart, targetEnd));
};

proto.copy = function copy(target, targetStart = 0, sourceStart = 0, sourceEnd = this.length) {
  if (!(target instanceof Uint8Array)) throw invalidArgType('target', 'an instance of Buffer or Uint8Array', target);
  targetStart = Math.trunc(targetStart) || 0;
  sourceStart = Math.trunc(sourceStart) || 0;
  sourceEnd = Math.min(Math.trunc(sourceEnd) || 0, this.length);
  if (targetStart < 0) throw outOfRange('targetStart', `>= 0 && <= ${target.length}`, targetStart);
  if (sourceStart < 0 || sourceStart > this.length) throw outOfRange('sourceStart', `>= 0 && <= ${this.length}`, sourceStart);
  if (targetStart >= target.length || sourceStart >= sourceEnd) return 0;
  const n = Math.min(sourceEnd - sourceStart, target.length - targetStart);
  target.set(this.subarray(sourceStart, sourceStart + n), targetStart);
  return n;
};

function adjustIndex(i, len) {
  i = Math.trunc(i) || 0;
  return i < 0 ? Math.max(0, len + i) : Math.min(i, len);
}

proto.subarray = function subarray(start, end) {
  const len = this.length;
  const s = start === undefined ? 0 : adjustIndex(start, len);
  const e = end === undefined ? len : adjustIndex(end, len);
  return new FastBuffer(this.buffer, this.byteOffset + s, Math.max(0, e - s));
};
proto.slice = proto.subarray;

proto.fill = function fill(value, offset, end, encoding) {
  if (typeof offset === 'string') { encoding = offset; offset = 0; end = this.length; }
  else if (typeof end === 'string') { encoding = end; end = this.length; }
  offset = offset === undefined ? 0 : offset;
  end = end === undefined ? this.length : end;
  if (typeof offset !== 'number') throw invalidArgType('offset', 'of type number', offset);
  if (offset < 0 || offset > this.length) throw outOfRange('offset', `>= 0 && <= ${this.length}`, offset);
  if (end < 0 || end > this.length) throw outOfRange('end', `>= 0 && <= ${this.length}`, end);
  if (end <= offset) return this;
  let bytes;
  if (typeof value === 'string') {
    const enc = encodingOf(encoding);
    if (value.length === 1 && enc === 'utf8' && value.charCodeAt(0) < 128) {
      Uint8Array.prototype.fill.call(this, value.charCodeAt(0), offset, end);
      return this;
    }
    bytes = encodeString(value, enc);
    if (bytes.length === 0) {
      if (value.length === 0) { Uint8Array.prototype.fill.call(this, 0, offset, end); return this; }
      throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'value' is invalid. Received '${value}'`);
    }
  } else if (value instanceof Uint8Array) {
    bytes = value;
  } else if (typeof value === 'boolean') {
    Uint8Array.prototype.fill.call(this, +value, offset, end);
    return this;
  } else {
    Uint8Array.prototype.fill.call(this, (+value || 0) & 255, offset, end);
    return this;
  }
  for (let i = offset, j = 0; i < end; i++, j = (j + 1) % bytes.length) this[i] = bytes[j];
  return this;
};

proto.write = function write(string, offset, length, encoding) {
  if (typeof string !== 'string') throw invalidArgType('argument', 'of type string', string);
  if (typeof offset === 'string') { encoding = offset; offset = 0; length = this.length; }
  else if (typeof length === 'string') { encoding = length; length = undefined; }
  offset = offset === undefined ? 0 : offset >>> 0;
  if (offset > this.length) throw outOfRange('offset', `>= 0 && <= ${this.length}`, offset);
  const room = this.length - offset;
  length = length === undefined ? room : Math.min(room, length >>> 0);
  const enc = encodingOf(encoding);
  let bytes = encodeString(string, enc);
  if (bytes.length > length) {
    bytes = bytes.subarray(0, length);
    // Only whole characters: a UTF-8 sequence or a UTF-16 unit cut short is dropped.
    if (enc === 'utf8') {
      let end = bytes.length;
      let i = end - 1;
      while (i >= 0 && (bytes[i] & 0xc0) === 0x80) i--;
      if (i >= 0) {
        const lead = bytes[i];
        const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        if (end - i < need) end = i;
      }
      bytes = bytes.subarray(0, end);
    } else if (enc === 'utf16le') {
      bytes = bytes.subarray(0, bytes.length & ~1);
    }
  }
  this.set(bytes, offset);
  return bytes.length;
};

// The per-encoding methods Node's Buffer has beside toString and write
// (`latin1Slice(start, end)`, `utf8Write(string, offset, length)`, …), which
// parsers call directly: busboy, Next.js's multipart parser (its server
// actions' forms), reads header names with `latin1Slice`. workerd has them.
const SLICE_ENCODINGS = [['ascii', 'ascii'], ['base64', 'base64'], ['base64url', 'base64url'],
  ['hex', 'hex'], ['latin1', 'latin1'], ['ucs2', 'utf16le'], ['utf8', 'utf8']];
for (let i = 0; i < SLICE_ENCODINGS.length; i++) {
  const [prefix, enc] = SLICE_ENCODINGS[i];
  const slice = {
    [`${prefix}Slice`](start = 0, end = this.length) {
      start = Math.trunc(+start) || 0;
      end = Math.trunc(+end) || 0;
      if (start < 0 || end < 0 || start > this.length || end > this.length) {
        throw nodeError(RangeError, 'ERR_OUT_OF_RANGE', 'Index out of range');
      }
      return end <= start ? '' : decodeBytes(this.subarray(start, end), enc);
    },
  }[`${prefix}Slice`];
  const write = {
    [`${prefix}Write`](string, offset = 0, length = this.length - offset) {
      if (offset > this.length) throw nodeError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS', '"offset" is outside of buffer bounds');
      return proto.write.call(this, string, offset, length, enc);
    },
  }[`${prefix}Write`];
  proto[slice.name] = slice;
  proto[write.name] = write;
}

function toNeedle(value, encoding) {
  if (typeof value === 'string') return encodeString(value, encodingOf(encoding));
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'number') return value;
  throw invalidArgType('value', 'one of type number or string or an instance of Buffer or Uint8Array', value);
}

function search(buf, value, byteOffset, encoding, forward) {
  if (typeof byteOffset === 'string') { encoding = byteOffset; byteOffset = undefined; }
  const len = buf.length;
  let from;
  if (byteOffset === undefined || byteOffset === null || Number.isNaN(+byteOffset)) from = forward ? 0 : len;
  else {
    from = Math.trunc(+byteOffset);
    if (from < 0) from += len;
  }
  const needle = toNeedle(value, encoding);
  if (typeof needle === 'number') {
    const b = needle & 255;
    if (forward) return Uint8Array.prototype.indexOf.call(buf, b, Math.max(0, from));
    if (from < 0) return -1;
    return Uint8Array.prototype.lastIndexOf.call(buf, b, Math.min(from, len - 1));
  }
  const n = needle.length;
  if (n === 0) return forward ? Math.min(Math.max(0, from), len) : Math.min(Math.max(0, from), len);
  if (forward) {
    for (let i = Math.max(0, from); i + n <= len; i++) {
      let j = 0;
      while (j < n && buf[i + j] === needle[j]) j++;
      if (j === n) return i;
    }
  } else {
    for (let i = Math.min(from, len - n); i >= 0; i--) {
      let j = 0;
      while (j < n && buf[i + j] === needle[j]) j++;
      if (j === n) return i;
    }
  }
  return -1;
}

proto.indexOf = function indexOf(value, byteOffset, encoding) { return search(this, value, byteOffset, encoding, true); };
proto.lastIndexOf = function lastIndexOf(value, byteOffset, encoding) { return search(this, value, byteOffset, encoding, false); };
proto.includes = function includes(value, byteOffset, encoding) { return this.indexOf(value, byteOffset, encoding) !== -1; };

function swap(size) {
  return function () {
    if (this.length % size !== 0) throw nodeError(RangeError, 'ERR_INVALID_BUFFER_SIZE', `Buffer size must be a multiple of ${size * 8}-bits`);
    for (let i = 0; i < this.length; i += size) {
      for (let a = i, b = i + size - 1; a < b; a++, b--) { const t = this[a]; this[a] = this[b]; this[b] = t; }
    }
    return this;
  };
}
proto.swap16 = swap(2);
proto.swap32 = swap(4);
proto.swap64 = swap(8);

// Reads and writes of numbers, over a DataView of the buffer.
function view(buf) { return new DataView(buf.buffer, buf.byteOffset, buf.byteLength); }

function checkOffset(buf, offset, size) {
  if (offset === undefined) offset = 0;
  if (typeof offset !== 'number') throw invalidArgType('offset', 'of type number', offset);
  if (!Number.isInteger(offset)) throw outOfRange('offset', 'an integer', offset);
  if (offset < 0 || offset + size > buf.length) throw boundsError(offset, buf.length - size);
  return offset;
}

const NUMBER_KINDS = [
  ['UInt8', 1, 'getUint8', 'setUint8', 0, 255], ['Int8', 1, 'getInt8', 'setInt8', -128, 127],
  ['UInt16', 2, 'getUint16', 'setUint16', 0, 65535], ['Int16', 2, 'getInt16', 'setInt16', -32768, 32767],
  ['UInt32', 4, 'getUint32', 'setUint32', 0, 4294967295], ['Int32', 4, 'getInt32', 'setInt32', -2147483648, 2147483647],
  ['Float', 4, 'getFloat32', 'setFloat32'], ['Double', 8, 'getFloat64', 'setFloat64'],
  ['BigUInt64', 8, 'getBigUint64', 'setBigUint64', 0n, 2n ** 64n - 1n], ['BigInt64', 8, 'getBigInt64', 'setBigInt64', -(2n ** 63n), 2n ** 63n - 1n],
];

for (const [name, size, get, set, min, max] of NUMBER_KINDS) {
  const ends = size === 1 ? [['', false]] : [['LE', true], ['BE', false]];
  for (const [suffix, little] of ends) {
    const read = function (offset) {
      offset = checkOffset(this, offset, size);
      return view(this)[get](offset, little);
    };
    const write = function (value, offset) {
      offset = checkOffset(this, offset, size);
      if (min !== undefined) {
        if (typeof min === 'bigint') {
          if (typeof value !== 'bigint') throw invalidArgType('value', 'of type bigint', value);
          if (value < min || value > max) throw outOfRange('value', `>= ${min}n and < 2n ** ${size * 8 - (min < 0n ? 1 : 0)}n`, value);
        } else {
          value = +value;
          if (value < min || value > max) {
            const range = size > 4 || min === 0 ? `>= ${min} and <= ${max}` : `>= -(2 ** ${size * 8 - 1}) and < 2 ** ${size * 8 - 1}`;
            throw outOfRange('value', min === 0 && size > 1 ? `>= 0 and <= ${max}` : range, value);
          }
        }
      }
      view(this)[set](offset, value, little);
      return offset + size;
    };
    for (const alias of name.startsWith('UInt') || name.startsWith('BigUInt') ? [name, name.replace('UInt', 'Uint')] : [name]) {
      proto[`read${alias}${suffix}`] = read;
      proto[`write${alias}${suffix}`] = write;
    }
  }
}

// readUIntLE(offset, byteLength) and friends: 1 to 6 bytes.
function checkByteLength(byteLength) {
  if (typeof byteLength !== 'number') throw invalidArgType('byteLength', 'of type number', byteLength);
  if (!Number.isInteger(byteLength) || byteLength < 1 || byteLength > 6) throw outOfRange('byteLength', '>= 1 and <= 6', byteLength);
}
function readVar(buf, offset, byteLength, little, signed) {
  checkByteLength(byteLength);
  offset = checkOffset(buf, offset, byteLength);
  let v = 0;
  for (let i = 0; i < byteLength; i++) {
    const b = buf[offset + (little ? byteLength - 1 - i : i)];
    v = v * 256 + b;
  }
  if (signed && v >= 2 ** (8 * byteLength - 1)) v -= 2 ** (8 * byteLength);
  return v;
}
function writeVar(buf, value, offset, byteLength, little, signed) {
  checkByteLength(byteLength);
  offset = checkOffset(buf, offset, byteLength);
  const bits = 8 * byteLength;
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  value = +value;
  if (value < min || value > max) {
    throw outOfRange('value', signed ? `>= -(2 ** ${bits - 1}) and < 2 ** ${bits - 1}` : `>= 0 and < 2 ** ${bits}`, value);
  }
  let v = value < 0 ? value + 2 ** bits : value;
  for (let i = 0; i < byteLength; i++) {
    buf[offset + (little ? i : byteLength - 1 - i)] = v % 256;
    v = Math.floor(v / 256);
  }
  return offset + byteLength;
}
for (const [suffix, little] of [['LE', true], ['BE', false]]) {
  for (const [kind, signed] of [['UInt', false], ['Uint', false], ['Int', true]]) {
    proto[`read${kind}${suffix}`] = function (offset, byteLength) { return readVar(this, offset, byteLength, little, signed); };
    proto[`write${kind}${suffix}`] = function (value, offset, byteLength) { return writeVar(this, value, offset, byteLength, little, signed); };
  }
}

proto.inspect = proto[customInspect] = function inspect() {
  let hex = '';
  const n = Math.min(this.length, INSPECT_MAX_BYTES);
  for (let i = 0; i < n; i++) hex += (i ? ' ' : '') + (this[i] < 16 ? '0' : '') + this[i].toString(16);
  const more = this.length > n ? ` ... ${this.length - n} more byte${this.length - n > 1 ? 's' : ''}` : '';
  return `<Buffer${hex ? ` ${hex}` : ''}${more}>`;
};

Object.defineProperty(proto, 'parent', { __proto__: null, get() { return this instanceof Buffer ? this.buffer : undefined; }, configurable: true, enumerable: true });
Object.defineProperty(proto, 'offset', { __proto__: null, get() { return this instanceof Buffer ? this.byteOffset : undefined; }, configurable: true, enumerable: true });

function SlowBuffer(size) { checkSize(size); return new FastBuffer(size); }
Object.setPrototypeOf(SlowBuffer.prototype, Uint8Array.prototype);
Object.setPrototypeOf(SlowBuffer, Uint8Array);

function isUtf8(input) {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  try { op('utf8_decode', bytes, true, true); return true; } catch { return false; }
}
function isAscii(input) {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 127) return false;
  return true;
}

function transcode(source, fromEnc, toEnc) {
  if (!(source instanceof Uint8Array)) throw invalidArgType('source', 'an instance of Buffer or Uint8Array', source);
  const from = normalizeEncoding(fromEnc);
  const to = normalizeEncoding(toEnc);
  const supported = ['utf8', 'utf16le', 'latin1', 'ascii'];
  if (!supported.includes(from) || !supported.includes(to)) {
    throw nodeError(Error, 'U_ILLEGAL_ARGUMENT_ERROR', `Unable to transcode Buffer [U_ILLEGAL_ARGUMENT_ERROR]`);
  }
  let text = decodeBytes(source, from);
  if (to === 'ascii' || to === 'latin1') text = text.replace(to === 'ascii' ? /[^\x00-\x7f]/gu : /[^\x00-\xff]/gu, '?');
  return wrap(encodeString(text, to));
}

const atobFn = globalThis.atob;
const btoaFn = globalThis.btoa;

const module = {
  Buffer,
  SlowBuffer,
  Blob: BlobClass,
  File: FileClass,
  atob: atobFn,
  btoa: btoaFn,
  constants: { MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: kStringMaxLength },
  kMaxLength,
  kStringMaxLength,
  INSPECT_MAX_BYTES,
  isAscii,
  isUtf8,
  transcode,
};
if (nodeCompat !== null && nodeCompat.globals) defineGlobal('Buffer', Buffer);
