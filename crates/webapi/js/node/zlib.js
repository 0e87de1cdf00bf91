// node:zlib — Node.js's zlib API over Rust ops: Deflate, Inflate, Gzip,
// Gunzip, DeflateRaw, InflateRaw, Unzip, BrotliCompress and
// BrotliDecompress as Transform streams, their one-shot forms (callback
// and `…Sync`), `crc32`, `constants` and `codes`.
//
// Ops used (src/node_zlib/): `node_zlib_new(mode, options) -> handle`,
// `node_zlib_process(handle, flush, bytes?) -> [output, more]` (called
// again without bytes while `more`; synchronously for `…Sync`, as host
// work through `hostWork` otherwise), `node_zlib_reset`, `node_zlib_params`,
// `node_crc32` and `resource_close`. A stream's handle is tracked with
// `trackResource` and closed when it ends, errs or is destroyed.

const { Buffer } = nodeModule('buffer');
const { nodeError, invalidArgType, outOfRange } = nodeGroup('buffer');
const { Transform } = nodeModule('stream');

const kMaxLength = 2 ** 31 - 1;

const Z = {
  Z_NO_FLUSH: 0, Z_PARTIAL_FLUSH: 1, Z_SYNC_FLUSH: 2, Z_FULL_FLUSH: 3, Z_FINISH: 4, Z_BLOCK: 5,
  Z_OK: 0, Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1, Z_STREAM_ERROR: -2, Z_DATA_ERROR: -3,
  Z_MEM_ERROR: -4, Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6,
  Z_NO_COMPRESSION: 0, Z_BEST_SPEED: 1, Z_BEST_COMPRESSION: 9, Z_DEFAULT_COMPRESSION: -1,
  Z_FILTERED: 1, Z_HUFFMAN_ONLY: 2, Z_RLE: 3, Z_FIXED: 4, Z_DEFAULT_STRATEGY: 0, ZLIB_VERNUM: 4880,
  DEFLATE: 1, INFLATE: 2, GZIP: 3, GUNZIP: 4, DEFLATERAW: 5, INFLATERAW: 6, UNZIP: 7,
  BROTLI_DECODE: 8, BROTLI_ENCODE: 9,
  Z_MIN_WINDOWBITS: 8, Z_MAX_WINDOWBITS: 15, Z_DEFAULT_WINDOWBITS: 15, Z_MIN_CHUNK: 64,
  Z_MAX_CHUNK: Infinity, Z_DEFAULT_CHUNK: 16384, Z_MIN_MEMLEVEL: 1, Z_MAX_MEMLEVEL: 9,
  Z_DEFAULT_MEMLEVEL: 8, Z_MIN_LEVEL: -1, Z_MAX_LEVEL: 9, Z_DEFAULT_LEVEL: -1,
};
const BROTLI = {
  BROTLI_OPERATION_PROCESS: 0, BROTLI_OPERATION_FLUSH: 1, BROTLI_OPERATION_FINISH: 2,
  BROTLI_OPERATION_EMIT_METADATA: 3, BROTLI_PARAM_MODE: 0, BROTLI_MODE_GENERIC: 0,
  BROTLI_MODE_TEXT: 1, BROTLI_MODE_FONT: 2, BROTLI_DEFAULT_MODE: 0, BROTLI_PARAM_QUALITY: 1,
  BROTLI_MIN_QUALITY: 0, BROTLI_MAX_QUALITY: 11, BROTLI_DEFAULT_QUALITY: 11, BROTLI_PARAM_LGWIN: 2,
  BROTLI_MIN_WINDOW_BITS: 10, BROTLI_MAX_WINDOW_BITS: 24, BROTLI_LARGE_MAX_WINDOW_BITS: 30,
  BROTLI_DEFAULT_WINDOW: 22, BROTLI_PARAM_LGBLOCK: 3, BROTLI_MIN_INPUT_BLOCK_BITS: 16,
  BROTLI_MAX_INPUT_BLOCK_BITS: 24, BROTLI_PARAM_DISABLE_LITERAL_CONTEXT_MODELING: 4,
  BROTLI_PARAM_SIZE_HINT: 5, BROTLI_PARAM_LARGE_WINDOW: 6, BROTLI_PARAM_NPOSTFIX: 7,
  BROTLI_PARAM_NDIRECT: 8, BROTLI_DECODER_RESULT_ERROR: 0, BROTLI_DECODER_RESULT_SUCCESS: 1,
  BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT: 2, BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT: 3,
  BROTLI_DECODER_PARAM_DISABLE_RING_BUFFER_REALLOCATION: 0, BROTLI_DECODER_PARAM_LARGE_WINDOW: 1,
  BROTLI_DECODER_NO_ERROR: 0, BROTLI_DECODER_SUCCESS: 1, BROTLI_DECODER_NEEDS_MORE_INPUT: 2,
  BROTLI_DECODER_NEEDS_MORE_OUTPUT: 3,
};
const BROTLI_ERRORS = ['EXUBERANT_NIBBLE', 'RESERVED', 'EXUBERANT_META_NIBBLE', 'SIMPLE_HUFFMAN_ALPHABET',
  'SIMPLE_HUFFMAN_SAME', 'CL_SPACE', 'HUFFMAN_SPACE', 'CONTEXT_MAP_REPEAT', 'BLOCK_LENGTH_1',
  'BLOCK_LENGTH_2', 'TRANSFORM', 'DICTIONARY', 'WINDOW_BITS', 'PADDING_1', 'PADDING_2', 'DISTANCE'];
BROTLI_ERRORS.forEach((name, i) => { BROTLI[`BROTLI_DECODER_ERROR_FORMAT_${name}`] = -1 - i; });
Object.assign(BROTLI, {
  BROTLI_DECODER_ERROR_DICTIONARY_NOT_SET: -19, BROTLI_DECODER_ERROR_INVALID_ARGUMENTS: -20,
  BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES: -21, BROTLI_DECODER_ERROR_ALLOC_TREE_GROUPS: -22,
  BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MAP: -25, BROTLI_DECODER_ERROR_ALLOC_RING_BUFFER_1: -26,
  BROTLI_DECODER_ERROR_ALLOC_RING_BUFFER_2: -27, BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES: -30,
  BROTLI_DECODER_ERROR_UNREACHABLE: -31,
});
const constants = { ...Z, ...BROTLI };

const codes = {};
for (const name of ['Z_OK', 'Z_STREAM_END', 'Z_NEED_DICT', 'Z_ERRNO', 'Z_STREAM_ERROR', 'Z_DATA_ERROR',
  'Z_MEM_ERROR', 'Z_BUF_ERROR', 'Z_VERSION_ERROR']) {
  codes[name] = Z[name];
  codes[Z[name]] = name;
}
Object.freeze(codes);

// An error of the ops (`CODE:ERRNO:text`) as Node.js's zlib error.
function zlibError(e) {
  const m = /^([A-Z0-9_]+):(-?\d+):(.*)$/s.exec(e && e.message);
  if (!m || e.name !== 'Error') return e;
  const err = nodeError(Error, m[1], m[3]);
  err.errno = Number(m[2]);
  return err;
}

function asBuffer(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// The bytes of a one-shot call's input.
function inputBytes(buffer) {
  if (typeof buffer === 'string') return Buffer.from(buffer);
  if (ArrayBuffer.isView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  throw invalidArgType('buffer', 'of type string or an instance of Buffer, TypedArray, DataView, or ArrayBuffer', buffer);
}

// A chunk written to a stream.
function chunkBytes(chunk, encoding) {
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw invalidArgType('chunk', 'of type string or an instance of Buffer, TypedArray, DataView, or ArrayBuffer', chunk);
}

// Option `name` of `options`: undefined (then `dflt`) or a number within
// [min, max], else Node's errors.
function checkRange(options, name, min, max, dflt) {
  const value = options[name];
  if (value === undefined || (typeof value === 'number' && Number.isNaN(value))) return dflt;
  if (typeof value !== 'number') throw invalidArgType(`options.${name}`, 'of type number', value);
  if (!Number.isFinite(value)) throw outOfRange(`options.${name}`, 'a finite number', value);
  if (value < min || value > max) throw outOfRange(`options.${name}`, `>= ${min} and <= ${max}`, value);
  return value;
}

const MODES = ['', 'deflate', 'inflate', 'gzip', 'gunzip', 'deflateRaw', 'inflateRaw', 'unzip',
  'brotliDecompress', 'brotliCompress'];

// The checked settings of a stream of `mode` (a number, as Node's
// constants) made with `opts`: what the stream and the one-shot forms use.
function settings(mode, opts) {
  const options = opts == null ? {} : opts;
  if (typeof options !== 'object') throw invalidArgType('options', 'of type object', opts);
  const brotli = mode >= Z.BROTLI_DECODE;
  const [maxFlush, finish] = brotli ? [BROTLI.BROTLI_OPERATION_EMIT_METADATA, BROTLI.BROTLI_OPERATION_FINISH] : [Z.Z_BLOCK, Z.Z_FINISH];
  const s = {
    mode,
    chunkSize: checkRange(options, 'chunkSize', Z.Z_MIN_CHUNK, Infinity, Z.Z_DEFAULT_CHUNK),
    flush: checkRange(options, 'flush', 0, maxFlush, 0),
    finishFlush: checkRange(options, 'finishFlush', 0, maxFlush, finish),
    maxOutputLength: checkRange(options, 'maxOutputLength', 1, kMaxLength, kMaxLength),
    info: options.info === true,
    host: {},
  };
  if (brotli) {
    const params = [];
    if (options.params !== undefined) {
      if (options.params === null || typeof options.params !== 'object') {
        throw invalidArgType('options.params', 'of type object', options.params);
      }
      for (const key of Object.keys(options.params)) {
        const id = Number(key);
        const value = options.params[key];
        if (typeof value !== 'number' && typeof value !== 'boolean') {
          throw invalidArgType('options.params[key]', 'of type number', value);
        }
        params.push([id, Number(value)]);
      }
    }
    s.host.params = params;
    return s;
  }
  const inflate = mode === Z.INFLATE || mode === Z.GUNZIP || mode === Z.INFLATERAW || mode === Z.UNZIP;
  // As zlib does: a window of 0 (inflate) means the one its header says.
  const windowBits = inflate && options.windowBits === 0
    ? 0
    : checkRange(options, 'windowBits', Z.Z_MIN_WINDOWBITS, Z.Z_MAX_WINDOWBITS, Z.Z_DEFAULT_WINDOWBITS);
  s.level = checkRange(options, 'level', Z.Z_MIN_LEVEL, Z.Z_MAX_LEVEL, Z.Z_DEFAULT_COMPRESSION);
  s.strategy = checkRange(options, 'strategy', Z.Z_DEFAULT_STRATEGY, Z.Z_FIXED, Z.Z_DEFAULT_STRATEGY);
  checkRange(options, 'memLevel', Z.Z_MIN_MEMLEVEL, Z.Z_MAX_MEMLEVEL, Z.Z_DEFAULT_MEMLEVEL);
  s.host.level = s.level;
  s.host.windowBits = windowBits;
  if (options.dictionary !== undefined) {
    const d = options.dictionary;
    if (!ArrayBuffer.isView(d) && !(d instanceof ArrayBuffer)) {
      throw invalidArgType('options.dictionary', 'an instance of Buffer, TypedArray, DataView, or ArrayBuffer', d);
    }
    s.host.dictionary = ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d);
  }
  return s;
}

function tooLarge(max) {
  return nodeError(RangeError, 'ERR_BUFFER_TOO_LARGE', `Cannot create a Buffer larger than ${max} bytes`);
}

// Collects the output of one-shot calls; an error past maxOutputLength.
class Collector {
  constructor(max) { this.max = max; this.parts = []; this.length = 0; }
  add(out) {
    if (out.length === 0) return;
    this.length += out.length;
    if (this.length > this.max) throw tooLarge(this.max);
    this.parts.push(asBuffer(out));
  }
  result(s, engine) {
    const buffer = Buffer.concat(this.parts, this.length);
    return s.info ? { buffer, engine } : buffer;
  }
}

function openHandle(s) {
  try {
    return op('node_zlib_new', MODES[s.mode], s.host);
  } catch (e) {
    throw zlibError(e);
  }
}

// The `…Sync` forms: every step on this thread.
function zlibSync(mode, buffer, opts) {
  const bytes = inputBytes(buffer);
  const s = settings(mode, opts);
  const handle = openHandle(s);
  const out = new Collector(s.maxOutputLength);
  try {
    let answer = op('node_zlib_process', handle, s.finishFlush, bytes);
    for (;;) {
      out.add(answer[0]);
      if (!answer[1]) break;
      answer = op('node_zlib_process', handle, s.finishFlush);
    }
  } catch (e) {
    throw zlibError(e);
  } finally {
    op('resource_close', handle);
  }
  return out.result(s, null);
}

// The callback forms: the steps are host work, the callback is called in
// a later turn.
function zlibAsync(mode, buffer, opts, callback) {
  if (typeof opts === 'function') { callback = opts; opts = {}; }
  if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
  const bytes = inputBytes(buffer);
  const s = settings(mode, opts);
  const handle = openHandle(s);
  const owner = {};
  trackResource(owner, handle);
  const out = new Collector(s.maxOutputLength);
  const step = answer => {
    out.add(answer[0]);
    if (answer[1]) return afterWork(hostWork('node_zlib_process', handle, s.finishFlush), step);
    return out.result(s, null);
  };
  const done = () => { untrackResource(owner); op('resource_close', handle); };
  Promise.resolve()
    .then(() => afterWork(hostWork('node_zlib_process', handle, s.finishFlush, bytes), step))
    .then(result => { done(); callback(null, result); }, err => { done(); callback(zlibError(err)); });
}

// Empty chunks that carry a flush kind through the stream (`flush()`).
const FLUSH_CHUNKS = new Map();
function flushChunk(kind) {
  let chunk = FLUSH_CHUNKS.get(kind);
  if (!chunk) { chunk = Buffer.alloc(0); FLUSH_CHUNKS.set(kind, chunk); }
  return chunk;
}
function flushOf(chunk) {
  for (const [kind, c] of FLUSH_CHUNKS) if (c === chunk) return kind;
  return undefined;
}

const HANDLE = Symbol('handle');

class ZlibBase extends Transform {
  constructor(mode, opts) {
    const s = settings(mode, opts);
    super({ ...(opts || {}), readableHighWaterMark: undefined, writableHighWaterMark: undefined, highWaterMark: s.chunkSize });
    this[HANDLE] = openHandle(s);
    trackResource(this, this[HANDLE]);
    this.bytesWritten = 0;
    this._defaultFlushFlag = s.flush;
    this._finishFlushFlag = s.finishFlush;
    this._defaultFullFlushFlag = mode >= Z.BROTLI_DECODE ? BROTLI.BROTLI_OPERATION_FLUSH : Z.Z_FULL_FLUSH;
    this._maxOutputLength = s.maxOutputLength;
    this._chunkSize = s.chunkSize;
    this._level = s.level;
    this._strategy = s.strategy;
  }
  get _handle() { return this[HANDLE]; }
  // Feeds `bytes` with `flush`, pushes the output, then calls `cb`.
  #run(bytes, flush, cb) {
    const handle = this[HANDLE];
    if (handle === null) { cb(nodeError(Error, 'ERR_ZLIB_BINDING_CLOSED', 'zlib binding closed')); return; }
    const step = answer => {
      if (this[HANDLE] === null) return undefined;
      if (answer[0].length > 0) this.push(asBuffer(answer[0]));
      if (answer[1]) return afterWork(hostWork('node_zlib_process', handle, flush), step);
      return undefined;
    };
    let result;
    try {
      result = afterWork(hostWork('node_zlib_process', handle, flush, bytes), step);
    } catch (e) {
      cb(zlibError(e));
      return;
    }
    if (result instanceof PromiseCtor) result.then(() => cb(), e => cb(zlibError(e)));
    else cb();
  }
  _transform(chunk, encoding, cb) {
    const kind = flushOf(chunk);
    const bytes = kind === undefined ? chunkBytes(chunk, encoding) : chunk;
    this.bytesWritten += bytes.length;
    this.#run(bytes, kind !== undefined ? kind : this._defaultFlushFlag, cb);
  }
  _flush(cb) {
    this.#run(new Uint8Array(0), this._finishFlushFlag, err => {
      this.#close();
      cb(err);
    });
  }
  _destroy(err, cb) {
    this.#close();
    cb(err);
  }
  #close() {
    if (this[HANDLE] === null) return;
    untrackResource(this);
    op('resource_close', this[HANDLE]);
    this[HANDLE] = null;
  }
  flush(kind, callback) {
    if (typeof kind === 'function' || kind === undefined) { callback = kind; kind = this._defaultFullFlushFlag; }
    if (this.writableFinished) {
      if (callback) queueMicrotask(callback);
    } else if (this.writableEnded) {
      if (callback) this.once('end', callback);
    } else {
      this.write(flushChunk(kind), '', callback);
    }
  }
  params(level, strategy, callback) {
    checkRange({ level }, 'level', Z.Z_MIN_LEVEL, Z.Z_MAX_LEVEL);
    checkRange({ strategy }, 'strategy', Z.Z_DEFAULT_STRATEGY, Z.Z_FIXED);
    if (this._level !== level || this._strategy !== strategy) {
      this.flush(Z.Z_SYNC_FLUSH, () => {
        if (this[HANDLE] !== null) op('node_zlib_params', this[HANDLE], level, strategy);
        this._level = level;
        this._strategy = strategy;
        if (callback) callback();
      });
    } else if (callback) {
      queueMicrotask(callback);
    }
  }
  reset() {
    if (this[HANDLE] === null) throw nodeError(Error, 'ERR_ZLIB_BINDING_CLOSED', 'zlib binding closed');
    op('node_zlib_reset', this[HANDLE]);
  }
  close(callback) {
    if (callback) this.once('close', callback);
    this.destroy();
  }
}

const CLASSES = {};
function streamClass(name, mode) {
  const cls = {
    [name]: class extends ZlibBase {
      constructor(opts) { super(mode, opts); }
    },
  }[name];
  CLASSES[name] = cls;
  return cls;
}
const Deflate = streamClass('Deflate', Z.DEFLATE);
const Inflate = streamClass('Inflate', Z.INFLATE);
const Gzip = streamClass('Gzip', Z.GZIP);
const Gunzip = streamClass('Gunzip', Z.GUNZIP);
const DeflateRaw = streamClass('DeflateRaw', Z.DEFLATERAW);
const InflateRaw = streamClass('InflateRaw', Z.INFLATERAW);
const Unzip = streamClass('Unzip', Z.UNZIP);
const BrotliCompress = streamClass('BrotliCompress', Z.BROTLI_ENCODE);
const BrotliDecompress = streamClass('BrotliDecompress', Z.BROTLI_DECODE);

function crc32(data, value = 0) {
  let bytes;
  if (typeof data === 'string') bytes = Buffer.from(data);
  else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
  if (typeof value !== 'number') throw invalidArgType('value', 'of type number', value);
  if (!Number.isInteger(value) || value < 0 || value > 4294967295) throw outOfRange('value', '>= 0 && <= 4294967295', value);
  return op('node_crc32', bytes, value);
}

const module = {
  crc32,
  Deflate, Inflate, Gzip, Gunzip, DeflateRaw, InflateRaw, Unzip, BrotliCompress, BrotliDecompress,
  constants,
  codes,
};
for (const [name, mode] of [['deflate', Z.DEFLATE], ['gzip', Z.GZIP], ['deflateRaw', Z.DEFLATERAW],
  ['unzip', Z.UNZIP], ['inflate', Z.INFLATE], ['gunzip', Z.GUNZIP], ['inflateRaw', Z.INFLATERAW],
  ['brotliCompress', Z.BROTLI_ENCODE], ['brotliDecompress', Z.BROTLI_DECODE]]) {
  module[name] = { [name]: (buffer, opts, callback) => zlibAsync(mode, buffer, opts, callback) }[name];
  module[`${name}Sync`] = { [`${name}Sync`]: (buffer, opts) => zlibSync(mode, buffer, opts) }[`${name}Sync`];
}
for (const name of ['Deflate', 'Inflate', 'DeflateRaw', 'InflateRaw', 'Gzip', 'Gunzip', 'Unzip',
  'BrotliCompress', 'BrotliDecompress']) {
  module[`create${name}`] = { [`create${name}`]: opts => new CLASSES[name](opts) }[`create${name}`];
}
// Node.js's legacy constants on the module itself (not enumerable).
for (const [name, value] of Object.entries(Z)) {
  Object.defineProperty(module, name, { __proto__: null, value, enumerable: false, writable: false });
}
