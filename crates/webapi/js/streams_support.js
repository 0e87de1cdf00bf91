// What only the streams group (WHATWG Streams) uses of the helpers: calling
// an underlying source or sink's method, a queue with O(1) removal at the
// head, queue-with-sizes, queuing-strategy conversion, [EnforceRange] and
// views over buffers. The first file of the streams group. Uses no ops.

// Calls `fn` and turns a throw into a rejected promise ("promise-calling").
function promiseCall(fn, thisArg, ...args) {
  try {
    return promiseResolvedWith(fn.apply(thisArg, args));
  } catch (e) {
    return promiseRejectedWith(e);
  }
}

// A FIFO queue; `shift` is O(1) amortised.
class StreamQueue {
  constructor() { this.items = []; this.head = 0; }
  get length() { return this.items.length - this.head; }
  push(v) { this.items.push(v); }
  peek() { return this.items[this.head]; }
  last() { return this.items[this.items.length - 1]; }
  shift() {
    const v = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }
  clear() { this.items = []; this.head = 0; }
}

// Queue-with-sizes on a controller record `c` (fields `queue`, `queueTotalSize`).
function enqueueValueWithSize(c, value, size) {
  size = Number(size);
  if (Number.isNaN(size) || size < 0 || size === Infinity) throw new RangeError('The chunk size must be a finite, non-negative number');
  c.queue.push({ value, size });
  c.queueTotalSize += size;
}
function dequeueValue(c) {
  const pair = c.queue.shift();
  c.queueTotalSize -= pair.size;
  if (c.queueTotalSize < 0) c.queueTotalSize = 0;
  return pair.value;
}
function resetQueue(c) { c.queue = new StreamQueue(); c.queueTotalSize = 0; }

// A callback member of a dictionary, or undefined.
function callbackMember(dict, name, what) {
  const f = dict[name];
  if (f === undefined) return undefined;
  if (typeof f !== 'function') throw new TypeError(`${what}.${name} must be a function`);
  return f;
}

function extractHighWaterMark(strategy, defaultHWM) {
  const hwm = strategy.highWaterMark;
  if (hwm === undefined) return defaultHWM;
  const n = Number(hwm);
  if (Number.isNaN(n) || n < 0) throw new RangeError('The highWaterMark must be a non-negative number');
  return n;
}

function extractSizeAlgorithm(strategy) {
  const size = strategy.size;
  if (size === undefined) return () => 1;
  if (typeof size !== 'function') throw new TypeError('The strategy size must be a function');
  return chunk => size(chunk);
}

// Reads a queuing strategy dictionary, members in Web IDL order.
function queuingStrategy(value) {
  const s = dictionary(value, 'The strategy');
  const highWaterMark = s.highWaterMark;
  const size = s.size;
  if (size !== undefined && typeof size !== 'function') throw new TypeError('The strategy size must be a function');
  return { highWaterMark: highWaterMark === undefined ? undefined : Number(highWaterMark), size };
}

// [EnforceRange] unsigned long long.
function enforceRangeULL(v, what) {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new TypeError(`${what} must be a finite number`);
  const t = Math.trunc(n);
  if (t < 0 || t > Number.MAX_SAFE_INTEGER) throw new TypeError(`${what} is out of range`);
  return t;
}

// Copies `n` bytes between buffers.
function copyBytes(dest, destOffset, src, srcOffset, n) {
  new Uint8Array(dest, destOffset, n).set(new Uint8Array(src, srcOffset, n));
}

// A typed array or DataView's element size and constructor.
const TYPED_ARRAYS = [Uint8Array, Int8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
  Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];
function viewInfo(view) {
  if (view instanceof DataView) return { ctor: DataView, elementSize: 1 };
  const ctor = TYPED_ARRAYS.find(c => view instanceof c) || Uint8Array;
  return { ctor, elementSize: ctor.BYTES_PER_ELEMENT };
}
