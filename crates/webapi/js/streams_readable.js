// ReadableStream (WHATWG Streams): the stream, its default reader and
// default controller, the generic reader algorithms shared with BYOB readers
// (streams_byte.js), tee of default streams, async iteration and
// ReadableStream.from. Internal state lives in plain records reached through
// WeakMaps, so the algorithms can build streams without running the public
// constructors. Uses no ops.
const rsSlots = new WeakMap();     // ReadableStream => stream record
const readerSlots = new WeakMap(); // reader object => reader record
const rscSlots = new WeakMap();    // controller object => controller record

function slotsOf(map, o, what) {
  const r = (typeof o === 'object' || typeof o === 'function') && o !== null ? map.get(o) : undefined;
  if (r === undefined) throw new TypeError(`Illegal invocation: not a ${what}`);
  return r;
}
const isReadableStream = o => o !== null && typeof o === 'object' && rsSlots.has(o);
const microtask = fn => { promiseThen.call(promiseResolvedWith(undefined), fn); };

// ---- the stream record ----

function newReadableStreamRecord(obj) {
  if (obj === undefined) obj = Object.create(ReadableStream.prototype);
  const s = { state: 'readable', reader: undefined, storedError: undefined, disturbed: false, controller: undefined, obj };
  rsSlots.set(obj, s);
  return s;
}

// CreateReadableStream: a default stream over algorithms.
function createReadableStream(startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark = 1, sizeAlgorithm = () => 1) {
  const s = newReadableStreamRecord();
  setUpReadableStreamDefaultController(s, newDefaultControllerRecord(), startAlgorithm, pullAlgorithm,
    cancelAlgorithm, highWaterMark, sizeAlgorithm);
  return s;
}

const isReadableStreamLocked = s => s.reader !== undefined;

function readableStreamCancel(s, reason) {
  s.disturbed = true;
  if (s.state === 'closed') return promiseResolvedWith(undefined);
  if (s.state === 'errored') return promiseRejectedWith(s.storedError);
  readableStreamClose(s);
  const reader = s.reader;
  if (reader !== undefined && reader.kind === 'byob') {
    const requests = reader.readIntoRequests;
    reader.readIntoRequests = new StreamQueue();
    while (requests.length > 0) requests.shift().close(undefined);
  }
  const sourceCancelPromise = s.controller.cancelSteps(reason);
  return transformPromise(sourceCancelPromise, () => undefined);
}

function readableStreamClose(s) {
  s.state = 'closed';
  const reader = s.reader;
  if (reader === undefined) return;
  reader.closed.resolve(undefined);
  if (reader.kind === 'default') {
    const requests = reader.readRequests;
    reader.readRequests = new StreamQueue();
    while (requests.length > 0) requests.shift().close();
  }
}

function readableStreamError(s, e) {
  s.state = 'errored';
  s.storedError = e;
  const reader = s.reader;
  if (reader === undefined) return;
  reader.closed.reject(e);
  markHandled(reader.closed.promise);
  if (reader.kind === 'default') readerErrorReadRequests(reader, e);
  else byobReaderErrorReadIntoRequests(reader, e);
}

function readableStreamFulfillReadRequest(s, chunk, done) {
  const request = s.reader.readRequests.shift();
  if (done) request.close(); else request.chunk(chunk);
}
const readableStreamGetNumReadRequests = s => s.reader.readRequests.length;
const readableStreamHasDefaultReader = s => s.reader !== undefined && s.reader.kind === 'default';

// ---- readers ----

function resolvedDeferred() { const d = newDeferred(); d.resolve(undefined); return d; }
function rejectedDeferred(e) { const d = newDeferred(); d.reject(e); markHandled(d.promise); return d; }

function readerGenericInitialize(reader, s) {
  reader.stream = s;
  s.reader = reader;
  if (s.state === 'readable') reader.closed = newDeferred();
  else if (s.state === 'closed') reader.closed = resolvedDeferred();
  else reader.closed = rejectedDeferred(s.storedError);
}

function readerGenericCancel(reader, reason) { return readableStreamCancel(reader.stream, reason); }

function readerGenericRelease(reader) {
  const s = reader.stream;
  const e = new TypeError('The reader was released');
  if (s.state === 'readable') {
    reader.closed.reject(e);
    markHandled(reader.closed.promise);
  } else {
    reader.closed = rejectedDeferred(e);
  }
  s.controller.releaseSteps();
  s.reader = undefined;
  reader.stream = undefined;
}

function setUpDefaultReader(reader, s) {
  if (isReadableStreamLocked(s)) throw new TypeError('The stream is locked to a reader');
  readerGenericInitialize(reader, s);
  reader.readRequests = new StreamQueue();
}

function acquireDefaultReader(s) {
  const obj = Object.create(ReadableStreamDefaultReader.prototype);
  const reader = { kind: 'default', stream: undefined, closed: undefined, readRequests: undefined, obj };
  setUpDefaultReader(reader, s);
  readerSlots.set(obj, reader);
  return reader;
}

function defaultReaderRead(reader, request) {
  const s = reader.stream;
  s.disturbed = true;
  if (s.state === 'closed') request.close();
  else if (s.state === 'errored') request.error(s.storedError);
  else s.controller.pullSteps(request);
}

function defaultReaderRelease(reader) {
  readerGenericRelease(reader);
  readerErrorReadRequests(reader, new TypeError('The reader was released'));
}

function readerErrorReadRequests(reader, e) {
  const requests = reader.readRequests;
  reader.readRequests = new StreamQueue();
  while (requests.length > 0) requests.shift().error(e);
}

// A read request that settles a promise with an iterator result.
function promiseReadRequest() {
  const d = newDeferred();
  return {
    promise: d.promise,
    chunk: value => d.resolve({ value, done: false }),
    close: value => d.resolve({ value, done: true }),
    error: e => d.reject(e),
  };
}

function readerOf(o, kind) {
  const r = (o !== null && typeof o === 'object') ? readerSlots.get(o) : undefined;
  return r !== undefined && r.kind === kind ? r : undefined;
}

class ReadableStreamDefaultReader {
  constructor(stream) {
    const s = slotsOf(rsSlots, stream, 'ReadableStream');
    const reader = { kind: 'default', stream: undefined, closed: undefined, readRequests: undefined, obj: this };
    setUpDefaultReader(reader, s);
    readerSlots.set(this, reader);
  }
  get closed() {
    const r = readerOf(this, 'default');
    return r ? r.closed.promise : promiseRejectedWith(new TypeError('Illegal invocation'));
  }
  cancel(reason = undefined) {
    const r = readerOf(this, 'default');
    if (!r) return promiseRejectedWith(new TypeError('Illegal invocation'));
    if (r.stream === undefined) return promiseRejectedWith(new TypeError('The reader has no stream'));
    return readerGenericCancel(r, reason);
  }
  read() {
    const r = readerOf(this, 'default');
    if (!r) return promiseRejectedWith(new TypeError('Illegal invocation'));
    if (r.stream === undefined) return promiseRejectedWith(new TypeError('The reader has no stream'));
    const request = promiseReadRequest();
    defaultReaderRead(r, request);
    return request.promise;
  }
  releaseLock() {
    const r = readerOf(this, 'default');
    if (!r) throw new TypeError('Illegal invocation');
    if (r.stream !== undefined) defaultReaderRelease(r);
  }
}
webidlInterface(ReadableStreamDefaultReader);

// ---- the default controller ----

function newDefaultControllerRecord() {
  const obj = Object.create(ReadableStreamDefaultController.prototype);
  const c = {
    kind: 'default', stream: undefined, queue: undefined, queueTotalSize: 0, started: false,
    closeRequested: false, pullAgain: false, pulling: false, strategySizeAlgorithm: undefined,
    strategyHWM: 0, pullAlgorithm: undefined, cancelAlgorithm: undefined, obj,
    cancelSteps: reason => {
      resetQueue(c);
      const result = c.cancelAlgorithm(reason);
      defaultControllerClearAlgorithms(c);
      return result;
    },
    pullSteps: request => {
      const s = c.stream;
      if (c.queue.length > 0) {
        const chunk = dequeueValue(c);
        if (c.closeRequested && c.queue.length === 0) {
          defaultControllerClearAlgorithms(c);
          readableStreamClose(s);
        } else {
          defaultControllerCallPullIfNeeded(c);
        }
        request.chunk(chunk);
      } else {
        s.reader.readRequests.push(request);
        defaultControllerCallPullIfNeeded(c);
      }
    },
    releaseSteps: () => {},
  };
  rscSlots.set(obj, c);
  return c;
}

function defaultControllerCallPullIfNeeded(c) {
  if (!defaultControllerShouldCallPull(c)) return;
  if (c.pulling) { c.pullAgain = true; return; }
  c.pulling = true;
  uponPromise(c.pullAlgorithm(), () => {
    c.pulling = false;
    if (c.pullAgain) { c.pullAgain = false; defaultControllerCallPullIfNeeded(c); }
  }, e => defaultControllerError(c, e));
}

function defaultControllerShouldCallPull(c) {
  const s = c.stream;
  if (!defaultControllerCanCloseOrEnqueue(c) || !c.started) return false;
  if (isReadableStreamLocked(s) && readableStreamGetNumReadRequests(s) > 0) return true;
  return defaultControllerGetDesiredSize(c) > 0;
}

function defaultControllerClearAlgorithms(c) {
  c.pullAlgorithm = undefined;
  c.cancelAlgorithm = undefined;
  c.strategySizeAlgorithm = undefined;
}

function defaultControllerClose(c) {
  if (!defaultControllerCanCloseOrEnqueue(c)) return;
  c.closeRequested = true;
  if (c.queue.length === 0) {
    defaultControllerClearAlgorithms(c);
    readableStreamClose(c.stream);
  }
}

function defaultControllerEnqueue(c, chunk) {
  if (!defaultControllerCanCloseOrEnqueue(c)) return;
  const s = c.stream;
  if (isReadableStreamLocked(s) && readableStreamGetNumReadRequests(s) > 0) {
    readableStreamFulfillReadRequest(s, chunk, false);
  } else {
    let size;
    try {
      size = c.strategySizeAlgorithm(chunk);
      enqueueValueWithSize(c, chunk, size);
    } catch (e) {
      defaultControllerError(c, e);
      throw e;
    }
  }
  defaultControllerCallPullIfNeeded(c);
}

function defaultControllerError(c, e) {
  if (c.stream.state !== 'readable') return;
  resetQueue(c);
  defaultControllerClearAlgorithms(c);
  readableStreamError(c.stream, e);
}

function defaultControllerGetDesiredSize(c) {
  const state = c.stream.state;
  if (state === 'errored') return null;
  if (state === 'closed') return 0;
  return c.strategyHWM - c.queueTotalSize;
}

const defaultControllerHasBackpressure = c => !defaultControllerShouldCallPull(c);
const defaultControllerCanCloseOrEnqueue = c => !c.closeRequested && c.stream.state === 'readable';

function setUpReadableStreamDefaultController(s, c, startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark, sizeAlgorithm) {
  c.stream = s;
  resetQueue(c);
  c.strategySizeAlgorithm = sizeAlgorithm;
  c.strategyHWM = highWaterMark;
  c.pullAlgorithm = pullAlgorithm;
  c.cancelAlgorithm = cancelAlgorithm;
  s.controller = c;
  const startResult = startAlgorithm();
  uponPromise(promiseResolvedWith(startResult), () => {
    c.started = true;
    defaultControllerCallPullIfNeeded(c);
  }, r => defaultControllerError(c, r));
}

function setUpDefaultControllerFromSource(s, source, dict, highWaterMark, sizeAlgorithm) {
  const c = newDefaultControllerRecord();
  const { start, pull, cancel } = dict;
  setUpReadableStreamDefaultController(s, c,
    start ? () => start.call(source, c.obj) : () => undefined,
    pull ? () => promiseCall(pull, source, c.obj) : () => promiseResolvedWith(undefined),
    cancel ? reason => promiseCall(cancel, source, reason) : () => promiseResolvedWith(undefined),
    highWaterMark, sizeAlgorithm);
}

function defaultControllerOf(o) {
  const c = (o !== null && typeof o === 'object') ? rscSlots.get(o) : undefined;
  if (c === undefined || c.kind !== 'default') throw new TypeError('Illegal invocation');
  return c;
}

class ReadableStreamDefaultController {
  constructor() { throw new TypeError('Illegal constructor'); }
  get desiredSize() { return defaultControllerGetDesiredSize(defaultControllerOf(this)); }
  close() {
    const c = defaultControllerOf(this);
    if (!defaultControllerCanCloseOrEnqueue(c)) throw new TypeError('The stream is not in a state that permits close');
    defaultControllerClose(c);
  }
  enqueue(chunk = undefined) {
    const c = defaultControllerOf(this);
    if (!defaultControllerCanCloseOrEnqueue(c)) throw new TypeError('The stream is not in a state that permits enqueue');
    defaultControllerEnqueue(c, chunk);
  }
  error(e = undefined) { defaultControllerError(defaultControllerOf(this), e); }
}
webidlInterface(ReadableStreamDefaultController);

// ---- tee of a default stream ----

function readableStreamTee(s, cloneForBranch2) {
  if (s.controller.kind === 'byte') return readableByteStreamTee(s);
  return readableStreamDefaultTee(s, cloneForBranch2);
}

// StructuredClone of a chunk, for tee of a body: bytes are copied here; other
// values go through structuredClone where the global exists.
function cloneChunk(chunk) {
  if (ArrayBuffer.isView(chunk)) {
    const { ctor, elementSize } = viewInfo(chunk);
    const copy = chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength);
    return new ctor(copy, 0, chunk.byteLength / elementSize);
  }
  if (chunk instanceof ArrayBuffer) return chunk.slice(0);
  return typeof structuredClone === 'function' ? structuredClone(chunk) : chunk;
}

function readableStreamDefaultTee(s, cloneForBranch2) {
  const reader = acquireDefaultReader(s);
  let reading = false, readAgain = false, canceled1 = false, canceled2 = false;
  let reason1, reason2, branch1, branch2;
  const cancelPromise = newDeferred();
  const pullAlgorithm = () => {
    if (reading) { readAgain = true; return promiseResolvedWith(undefined); }
    reading = true;
    defaultReaderRead(reader, {
      chunk: chunk => microtask(() => {
        readAgain = false;
        let chunk2 = chunk;
        if (!canceled2 && cloneForBranch2) {
          try {
            chunk2 = cloneChunk(chunk);
          } catch (e) {
            defaultControllerError(branch1.controller, e);
            defaultControllerError(branch2.controller, e);
            cancelPromise.resolve(readableStreamCancel(s, e));
            return;
          }
        }
        if (!canceled1) defaultControllerEnqueue(branch1.controller, chunk);
        if (!canceled2) defaultControllerEnqueue(branch2.controller, chunk2);
        reading = false;
        if (readAgain) pullAlgorithm();
      }),
      close: () => {
        reading = false;
        if (!canceled1) defaultControllerClose(branch1.controller);
        if (!canceled2) defaultControllerClose(branch2.controller);
        if (!canceled1 || !canceled2) cancelPromise.resolve(undefined);
      },
      error: () => { reading = false; },
    });
    return promiseResolvedWith(undefined);
  };
  const cancel1 = reason => {
    canceled1 = true;
    reason1 = reason;
    if (canceled2) cancelPromise.resolve(readableStreamCancel(s, [reason1, reason2]));
    return cancelPromise.promise;
  };
  const cancel2 = reason => {
    canceled2 = true;
    reason2 = reason;
    if (canceled1) cancelPromise.resolve(readableStreamCancel(s, [reason1, reason2]));
    return cancelPromise.promise;
  };
  const start = () => undefined;
  branch1 = createReadableStream(start, pullAlgorithm, cancel1);
  branch2 = createReadableStream(start, pullAlgorithm, cancel2);
  uponPromise(reader.closed.promise, undefined, r => {
    defaultControllerError(branch1.controller, r);
    defaultControllerError(branch2.controller, r);
    if (!canceled1 || !canceled2) cancelPromise.resolve(undefined);
  });
  return [branch1, branch2];
}

// ---- async iteration ----

const AsyncIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}.prototype));
const END_OF_ITERATION = Symbol('end of iteration');
const iteratorSlots = new WeakMap();

const ReadableStreamAsyncIteratorPrototype = Object.create(AsyncIteratorPrototype, {
  next: {
    value: function next() {
      const it = iteratorSlots.get(this);
      if (it === undefined) return promiseRejectedWith(new TypeError('Illegal invocation'));
      const nextSteps = () => {
        if (it.finished) return promiseResolvedWith({ value: undefined, done: true });
        return transformPromise(asyncIteratorGetNext(it), value => {
          it.ongoing = undefined;
          if (value === END_OF_ITERATION) {
            it.finished = true;
            return { value: undefined, done: true };
          }
          return { value, done: false };
        }, reason => {
          it.ongoing = undefined;
          it.finished = true;
          throw reason;
        });
      };
      it.ongoing = it.ongoing ? transformPromise(it.ongoing, nextSteps, nextSteps) : nextSteps();
      return it.ongoing;
    },
    writable: true, configurable: true,
  },
  return: {
    value: function (value = undefined) {
      const it = iteratorSlots.get(this);
      if (it === undefined) return promiseRejectedWith(new TypeError('Illegal invocation'));
      const returnSteps = () => {
        if (it.finished) return promiseResolvedWith({ value, done: true });
        it.finished = true;
        return asyncIteratorReturn(it, value);
      };
      it.ongoing = it.ongoing ? transformPromise(it.ongoing, returnSteps, returnSteps) : returnSteps();
      return transformPromise(it.ongoing, () => ({ value, done: true }));
    },
    writable: true, configurable: true,
  },
  [Symbol.toStringTag]: { value: 'ReadableStream AsyncIterator', configurable: true },
});

function asyncIteratorGetNext(it) {
  const reader = it.reader;
  const d = newDeferred();
  defaultReaderRead(reader, {
    chunk: chunk => d.resolve(chunk),
    close: () => { defaultReaderRelease(reader); d.resolve(END_OF_ITERATION); },
    error: e => { defaultReaderRelease(reader); d.reject(e); },
  });
  return d.promise;
}

function asyncIteratorReturn(it, arg) {
  const reader = it.reader;
  if (reader.stream === undefined) return promiseResolvedWith(undefined);
  if (!it.preventCancel) {
    const result = readerGenericCancel(reader, arg);
    defaultReaderRelease(reader);
    return result;
  }
  defaultReaderRelease(reader);
  return promiseResolvedWith(undefined);
}

// ---- ReadableStream.from ----

// GetIterator(obj, async), with a sync iterator wrapped as an async one.
function getAsyncIterator(obj) {
  if (obj === undefined || obj === null) throw new TypeError('ReadableStream.from needs an iterable');
  const asyncMethod = obj[Symbol.asyncIterator];
  if (asyncMethod !== undefined && asyncMethod !== null) {
    if (typeof asyncMethod !== 'function') throw new TypeError('Symbol.asyncIterator is not a function');
    const iterator = asyncMethod.call(obj);
    if (iterator === null || (typeof iterator !== 'object' && typeof iterator !== 'function')) {
      throw new TypeError('The async iterator is not an object');
    }
    return { iterator, next: iterator.next };
  }
  const syncMethod = obj[Symbol.iterator];
  if (typeof syncMethod !== 'function') throw new TypeError('The value is not async iterable or iterable');
  const sync = syncMethod.call(obj);
  if (sync === null || (typeof sync !== 'object' && typeof sync !== 'function')) {
    throw new TypeError('The iterator is not an object');
  }
  const syncNext = sync.next;
  const wrap = result => {
    if (result === null || typeof result !== 'object') throw new TypeError('The iterator result is not an object');
    const done = Boolean(result.done);
    return transformPromise(promiseResolvedWith(result.value), value => ({ value, done }));
  };
  const iterator = {
    next() { return wrap(syncNext.call(sync)); },
    return(value) {
      const ret = sync.return;
      if (ret === undefined || ret === null) return promiseResolvedWith({ value, done: true });
      return wrap(ret.call(sync, value));
    },
  };
  return { iterator, next: iterator.next };
}

function readableStreamFromIterable(asyncIterable) {
  const record = getAsyncIterator(asyncIterable);
  let s;
  const pullAlgorithm = () => {
    let nextResult;
    try {
      nextResult = record.next.call(record.iterator);
    } catch (e) {
      return promiseRejectedWith(e);
    }
    return transformPromise(promiseResolvedWith(nextResult), result => {
      if (result === null || typeof result !== 'object') throw new TypeError('The iterator result is not an object');
      if (result.done) defaultControllerClose(s.controller);
      else defaultControllerEnqueue(s.controller, result.value);
    });
  };
  const cancelAlgorithm = reason => {
    let returnResult;
    try {
      const ret = record.iterator.return;
      if (ret === undefined || ret === null) return promiseResolvedWith(undefined);
      if (typeof ret !== 'function') throw new TypeError('The iterator return is not a function');
      returnResult = ret.call(record.iterator, reason);
    } catch (e) {
      return promiseRejectedWith(e);
    }
    return transformPromise(promiseResolvedWith(returnResult), r => {
      if (r === null || typeof r !== 'object') throw new TypeError('The iterator return result is not an object');
    });
  };
  s = createReadableStream(() => undefined, pullAlgorithm, cancelAlgorithm, 0);
  return s;
}

// ---- the public class ----

function readUnderlyingSource(source) {
  const dict = dictionary(source, 'The underlying source');
  const autoAllocateChunkSize = dict.autoAllocateChunkSize === undefined
    ? undefined : enforceRangeULL(dict.autoAllocateChunkSize, 'autoAllocateChunkSize');
  const cancel = callbackMember(dict, 'cancel', 'underlyingSource');
  const pull = callbackMember(dict, 'pull', 'underlyingSource');
  const start = callbackMember(dict, 'start', 'underlyingSource');
  let type = dict.type;
  if (type !== undefined) {
    type = String(type);
    if (type !== 'bytes') throw new TypeError(`'${type}' is not a valid ReadableStream type`);
  }
  return { autoAllocateChunkSize, cancel, pull, start, type };
}

function readStreamPipeOptions(options) {
  const o = dictionary(options, 'The pipe options');
  const preventAbort = Boolean(o.preventAbort);
  const preventCancel = Boolean(o.preventCancel);
  const preventClose = Boolean(o.preventClose);
  const signal = o.signal;
  if (signal !== undefined && !isAbortSignal(signal)) throw new TypeError('signal is not an AbortSignal');
  return { preventAbort, preventCancel, preventClose, signal };
}

function isAbortSignal(v) {
  return v instanceof loadGroup(EVENTS).AbortSignal;
}

class ReadableStream {
  constructor(underlyingSource = undefined, strategy = undefined) {
    const strat = queuingStrategy(strategy);
    const dict = readUnderlyingSource(underlyingSource);
    const s = newReadableStreamRecord(this);
    if (dict.type === 'bytes') {
      if (strat.size !== undefined) throw new RangeError('A byte stream cannot have a strategy with a size');
      setUpByteControllerFromSource(s, underlyingSource, dict, extractHighWaterMark(strat, 0));
    } else {
      setUpDefaultControllerFromSource(s, underlyingSource, dict, extractHighWaterMark(strat, 1),
        extractSizeAlgorithm(strat));
    }
  }

  static from(asyncIterable) { return readableStreamFromIterable(asyncIterable).obj; }

  get locked() { return isReadableStreamLocked(slotsOf(rsSlots, this, 'ReadableStream')); }

  cancel(reason = undefined) {
    const s = rsSlots.get(this);
    if (s === undefined) return promiseRejectedWith(new TypeError('Illegal invocation'));
    if (isReadableStreamLocked(s)) return promiseRejectedWith(new TypeError('Cannot cancel a locked stream'));
    return readableStreamCancel(s, reason);
  }

  getReader(options = undefined) {
    const s = slotsOf(rsSlots, this, 'ReadableStream');
    const o = dictionary(options, 'The reader options');
    const mode = o.mode;
    if (mode === undefined) return acquireDefaultReader(s).obj;
    if (String(mode) !== 'byob') throw new TypeError(`'${mode}' is not a valid reader mode`);
    return acquireBYOBReader(s).obj;
  }

  pipeThrough(transform, options = undefined) {
    const s = slotsOf(rsSlots, this, 'ReadableStream');
    if (transform === null || typeof transform !== 'object') throw new TypeError('pipeThrough needs { readable, writable }');
    const readable = transform.readable;
    const rs = slotsOf(rsSlots, readable, 'ReadableStream');
    const writable = transform.writable;
    const ws = slotsOf(wsSlots, writable, 'WritableStream');
    const o = readStreamPipeOptions(options);
    if (isReadableStreamLocked(s)) throw new TypeError('The stream is locked');
    if (isWritableStreamLocked(ws)) throw new TypeError('The writable side is locked');
    const promise = readableStreamPipeTo(s, ws, o.preventClose, o.preventAbort, o.preventCancel, o.signal);
    markHandled(promise);
    return rs.obj;
  }

  pipeTo(destination, options = undefined) {
    const s = rsSlots.get(this);
    if (s === undefined) return promiseRejectedWith(new TypeError('Illegal invocation'));
    const ws = destination !== null && typeof destination === 'object' ? wsSlots.get(destination) : undefined;
    if (ws === undefined) return promiseRejectedWith(new TypeError('pipeTo needs a WritableStream'));
    let o;
    try {
      o = readStreamPipeOptions(options);
    } catch (e) {
      return promiseRejectedWith(e);
    }
    if (isReadableStreamLocked(s)) return promiseRejectedWith(new TypeError('The stream is locked'));
    if (isWritableStreamLocked(ws)) return promiseRejectedWith(new TypeError('The destination is locked'));
    return readableStreamPipeTo(s, ws, o.preventClose, o.preventAbort, o.preventCancel, o.signal);
  }

  tee() {
    const s = slotsOf(rsSlots, this, 'ReadableStream');
    return readableStreamTee(s, false).map(b => b.obj);
  }

  values(options = undefined) {
    const s = slotsOf(rsSlots, this, 'ReadableStream');
    const o = dictionary(options, 'The iterator options');
    const preventCancel = Boolean(o.preventCancel);
    const reader = acquireDefaultReader(s);
    const iterator = Object.create(ReadableStreamAsyncIteratorPrototype);
    iteratorSlots.set(iterator, { reader, preventCancel, ongoing: undefined, finished: false });
    return iterator;
  }
}
Object.defineProperty(ReadableStream.prototype, Symbol.asyncIterator, {
  value: ReadableStream.prototype.values, writable: true, configurable: true,
});
webidlInterface(ReadableStream);

defineGlobal('ReadableStream', ReadableStream);
defineGlobal('ReadableStreamDefaultReader', ReadableStreamDefaultReader);
defineGlobal('ReadableStreamDefaultController', ReadableStreamDefaultController);
