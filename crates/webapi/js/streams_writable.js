// WritableStream (WHATWG Streams): the stream, WritableStreamDefaultWriter
// and WritableStreamDefaultController (whose `signal` is an AbortSignal,
// made when first asked for). Internal state
// lives in records reached through WeakMaps. Uses no ops.
const wsSlots = new WeakMap();      // WritableStream => stream record
const writerSlots = new WeakMap();  // writer object => writer record
const wscSlots = new WeakMap();     // controller object => controller record
const CLOSE_SENTINEL = Symbol('close');

const isWritableStreamLocked = s => s.writer !== undefined;

function newWritableStreamRecord(obj) {
  if (obj === undefined) obj = Object.create(WritableStream.prototype);
  const s = {
    state: 'writable', storedError: undefined, writer: undefined, controller: undefined,
    inFlightWriteRequest: undefined, closeRequest: undefined, inFlightCloseRequest: undefined,
    pendingAbortRequest: undefined, writeRequests: new StreamQueue(), backpressure: false, obj,
  };
  wsSlots.set(obj, s);
  return s;
}

function createWritableStream(startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm, highWaterMark = 1, sizeAlgorithm = () => 1) {
  const s = newWritableStreamRecord();
  setUpWritableStreamDefaultController(s, newWritableControllerRecord(), startAlgorithm, writeAlgorithm,
    closeAlgorithm, abortAlgorithm, highWaterMark, sizeAlgorithm);
  return s;
}

function writableStreamAbort(s, reason) {
  if (s.state === 'closed' || s.state === 'errored') return promiseResolvedWith(undefined);
  writableControllerSignalAbort(s.controller, reason);
  const state = s.state;
  if (state === 'closed' || state === 'errored') return promiseResolvedWith(undefined);
  if (s.pendingAbortRequest !== undefined) return s.pendingAbortRequest.promise.promise;
  let wasAlreadyErroring = false;
  if (state === 'erroring') {
    wasAlreadyErroring = true;
    reason = undefined;
  }
  const promise = newDeferred();
  s.pendingAbortRequest = { promise, reason, wasAlreadyErroring };
  if (!wasAlreadyErroring) writableStreamStartErroring(s, reason);
  return promise.promise;
}

function writableStreamClose(s) {
  const state = s.state;
  if (state === 'closed' || state === 'errored') {
    return promiseRejectedWith(new TypeError('The stream is closed or errored'));
  }
  const d = newDeferred();
  s.closeRequest = d;
  const writer = s.writer;
  if (writer !== undefined && s.backpressure && state === 'writable') writer.ready.resolve(undefined);
  writableControllerClose(s.controller);
  return d.promise;
}

function writableStreamAddWriteRequest(s) {
  const d = newDeferred();
  s.writeRequests.push(d);
  return d.promise;
}

const writableStreamCloseQueuedOrInFlight = s => s.closeRequest !== undefined || s.inFlightCloseRequest !== undefined;
const writableStreamHasOperationMarkedInFlight = s => s.inFlightWriteRequest !== undefined || s.inFlightCloseRequest !== undefined;

function writableStreamDealWithRejection(s, error) {
  if (s.state === 'writable') {
    writableStreamStartErroring(s, error);
    return;
  }
  writableStreamFinishErroring(s);
}

function writableStreamFinishErroring(s) {
  s.state = 'errored';
  s.controller.errorSteps();
  const storedError = s.storedError;
  while (s.writeRequests.length > 0) s.writeRequests.shift().reject(storedError);
  if (s.pendingAbortRequest === undefined) {
    writableStreamRejectCloseAndClosedPromiseIfNeeded(s);
    return;
  }
  const abortRequest = s.pendingAbortRequest;
  s.pendingAbortRequest = undefined;
  if (abortRequest.wasAlreadyErroring) {
    abortRequest.promise.reject(storedError);
    writableStreamRejectCloseAndClosedPromiseIfNeeded(s);
    return;
  }
  uponPromise(s.controller.abortSteps(abortRequest.reason), () => {
    abortRequest.promise.resolve(undefined);
    writableStreamRejectCloseAndClosedPromiseIfNeeded(s);
  }, reason => {
    abortRequest.promise.reject(reason);
    writableStreamRejectCloseAndClosedPromiseIfNeeded(s);
  });
}

function writableStreamFinishInFlightClose(s) {
  s.inFlightCloseRequest.resolve(undefined);
  s.inFlightCloseRequest = undefined;
  if (s.state === 'erroring') {
    s.storedError = undefined;
    if (s.pendingAbortRequest !== undefined) {
      s.pendingAbortRequest.promise.resolve(undefined);
      s.pendingAbortRequest = undefined;
    }
  }
  s.state = 'closed';
  if (s.writer !== undefined) s.writer.closed.resolve(undefined);
}

function writableStreamFinishInFlightCloseWithError(s, error) {
  s.inFlightCloseRequest.reject(error);
  s.inFlightCloseRequest = undefined;
  if (s.pendingAbortRequest !== undefined) {
    s.pendingAbortRequest.promise.reject(error);
    s.pendingAbortRequest = undefined;
  }
  writableStreamDealWithRejection(s, error);
}

function writableStreamFinishInFlightWrite(s) {
  s.inFlightWriteRequest.resolve(undefined);
  s.inFlightWriteRequest = undefined;
}

function writableStreamFinishInFlightWriteWithError(s, error) {
  s.inFlightWriteRequest.reject(error);
  s.inFlightWriteRequest = undefined;
  writableStreamDealWithRejection(s, error);
}

function writableStreamRejectCloseAndClosedPromiseIfNeeded(s) {
  if (s.closeRequest !== undefined) {
    s.closeRequest.reject(s.storedError);
    s.closeRequest = undefined;
  }
  const writer = s.writer;
  if (writer !== undefined) {
    writer.closed.reject(s.storedError);
    markHandled(writer.closed.promise);
  }
}

function writableStreamStartErroring(s, reason) {
  const c = s.controller;
  s.state = 'erroring';
  s.storedError = reason;
  if (s.writer !== undefined) writerEnsureReadyPromiseRejected(s.writer, reason);
  if (!writableStreamHasOperationMarkedInFlight(s) && c.started) writableStreamFinishErroring(s);
}

function writableStreamUpdateBackpressure(s, backpressure) {
  const writer = s.writer;
  if (writer !== undefined && backpressure !== s.backpressure) {
    if (backpressure) writer.ready = newDeferred();
    else writer.ready.resolve(undefined);
  }
  s.backpressure = backpressure;
}

// ---- the writer ----

function setUpWriter(writer, s) {
  if (isWritableStreamLocked(s)) throw new TypeError('The stream is locked to a writer');
  writer.stream = s;
  s.writer = writer;
  const state = s.state;
  if (state === 'writable') {
    writer.ready = !writableStreamCloseQueuedOrInFlight(s) && s.backpressure ? newDeferred() : resolvedDeferred();
    writer.closed = newDeferred();
  } else if (state === 'erroring') {
    writer.ready = rejectedDeferred(s.storedError);
    writer.closed = newDeferred();
  } else if (state === 'closed') {
    writer.ready = resolvedDeferred();
    writer.closed = resolvedDeferred();
  } else {
    writer.ready = rejectedDeferred(s.storedError);
    writer.closed = rejectedDeferred(s.storedError);
  }
}

function acquireWriter(s) {
  const obj = Object.create(WritableStreamDefaultWriter.prototype);
  const writer = { stream: undefined, ready: undefined, closed: undefined, obj };
  setUpWriter(writer, s);
  writerSlots.set(obj, writer);
  return writer;
}

function writerCloseWithErrorPropagation(writer) {
  const s = writer.stream;
  if (writableStreamCloseQueuedOrInFlight(s) || s.state === 'closed') return promiseResolvedWith(undefined);
  if (s.state === 'errored') return promiseRejectedWith(s.storedError);
  return writableStreamClose(s);
}

function writerEnsureClosedPromiseRejected(writer, error) {
  if (writer.closed.state === 'pending') writer.closed.reject(error);
  else writer.closed = rejectedDeferred(error);
  markHandled(writer.closed.promise);
}

function writerEnsureReadyPromiseRejected(writer, error) {
  if (writer.ready.state === 'pending') writer.ready.reject(error);
  else writer.ready = rejectedDeferred(error);
  markHandled(writer.ready.promise);
}

function writerGetDesiredSize(writer) {
  const state = writer.stream.state;
  if (state === 'errored' || state === 'erroring') return null;
  if (state === 'closed') return 0;
  return writableControllerGetDesiredSize(writer.stream.controller);
}

function writerRelease(writer) {
  const s = writer.stream;
  const released = new TypeError('The writer was released');
  writerEnsureReadyPromiseRejected(writer, released);
  writerEnsureClosedPromiseRejected(writer, released);
  s.writer = undefined;
  writer.stream = undefined;
}

function writerWrite(writer, chunk) {
  const s = writer.stream;
  const c = s.controller;
  const chunkSize = writableControllerGetChunkSize(c, chunk);
  if (s !== writer.stream) return promiseRejectedWith(new TypeError('The writer was released'));
  const state = s.state;
  if (state === 'errored') return promiseRejectedWith(s.storedError);
  if (writableStreamCloseQueuedOrInFlight(s) || state === 'closed') {
    return promiseRejectedWith(new TypeError('The stream is closing or closed'));
  }
  if (state === 'erroring') return promiseRejectedWith(s.storedError);
  const promise = writableStreamAddWriteRequest(s);
  writableControllerWrite(c, chunk, chunkSize);
  return promise;
}

function writerOf(o) {
  return (o !== null && typeof o === 'object') ? writerSlots.get(o) : undefined;
}
const noStream = () => promiseRejectedWith(new TypeError('The writer has no stream'));
const illegal = () => promiseRejectedWith(new TypeError('Illegal invocation'));

class WritableStreamDefaultWriter {
  constructor(stream) {
    const s = slotsOf(wsSlots, stream, 'WritableStream');
    const writer = { stream: undefined, ready: undefined, closed: undefined, obj: this };
    setUpWriter(writer, s);
    writerSlots.set(this, writer);
  }
  get closed() { const w = writerOf(this); return w ? w.closed.promise : illegal(); }
  get desiredSize() {
    const w = writerOf(this);
    if (!w) throw new TypeError('Illegal invocation');
    if (w.stream === undefined) throw new TypeError('The writer has no stream');
    return writerGetDesiredSize(w);
  }
  get ready() { const w = writerOf(this); return w ? w.ready.promise : illegal(); }
  abort(reason = undefined) {
    const w = writerOf(this);
    if (!w) return illegal();
    if (w.stream === undefined) return noStream();
    return writableStreamAbort(w.stream, reason);
  }
  close() {
    const w = writerOf(this);
    if (!w) return illegal();
    if (w.stream === undefined) return noStream();
    if (writableStreamCloseQueuedOrInFlight(w.stream)) return promiseRejectedWith(new TypeError('The stream is already closing'));
    return writableStreamClose(w.stream);
  }
  releaseLock() {
    const w = writerOf(this);
    if (!w) throw new TypeError('Illegal invocation');
    if (w.stream !== undefined) writerRelease(w);
  }
  write(chunk = undefined) {
    const w = writerOf(this);
    if (!w) return illegal();
    if (w.stream === undefined) return noStream();
    return writerWrite(w, chunk);
  }
}
webidlInterface(WritableStreamDefaultWriter);

// ---- the controller ----

function newWritableControllerRecord() {
  const obj = Object.create(WritableStreamDefaultController.prototype);
  const c = {
    stream: undefined, queue: undefined, queueTotalSize: 0, abortController: undefined, aborted: false,
    abortReason: undefined, started: false, strategySizeAlgorithm: undefined, strategyHWM: 1,
    writeAlgorithm: undefined, closeAlgorithm: undefined, abortAlgorithm: undefined, obj,
    abortSteps: reason => {
      const result = c.abortAlgorithm(reason);
      writableControllerClearAlgorithms(c);
      return result;
    },
    errorSteps: () => resetQueue(c),
  };
  wscSlots.set(obj, c);
  return c;
}

// Signals abort on the controller's AbortSignal (made lazily: a signal
// nobody asked for has no listeners to tell).
function writableControllerSignalAbort(c, reason) {
  if (c.aborted) return;
  c.aborted = true;
  c.abortReason = reason;
  if (c.abortController !== undefined) c.abortController.abort(reason);
}

function writableControllerSignal(c) {
  if (c.abortController === undefined) {
    c.abortController = new (loadGroup(EVENTS).AbortController)();
    if (c.aborted) c.abortController.abort(c.abortReason);
  }
  return c.abortController.signal;
}

function setUpWritableStreamDefaultController(s, c, startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm, highWaterMark, sizeAlgorithm) {
  c.stream = s;
  s.controller = c;
  resetQueue(c);
  c.strategySizeAlgorithm = sizeAlgorithm;
  c.strategyHWM = highWaterMark;
  c.writeAlgorithm = writeAlgorithm;
  c.closeAlgorithm = closeAlgorithm;
  c.abortAlgorithm = abortAlgorithm;
  writableStreamUpdateBackpressure(s, writableControllerGetBackpressure(c));
  const startResult = startAlgorithm();
  uponPromise(promiseResolvedWith(startResult), () => {
    c.started = true;
    writableControllerAdvanceQueueIfNeeded(c);
  }, r => {
    c.started = true;
    writableStreamDealWithRejection(s, r);
  });
}

function setUpWritableControllerFromSink(s, sink, dict, highWaterMark, sizeAlgorithm) {
  const c = newWritableControllerRecord();
  const { start, write, close, abort } = dict;
  setUpWritableStreamDefaultController(s, c,
    start ? () => start.call(sink, c.obj) : () => undefined,
    write ? chunk => promiseCall(write, sink, chunk, c.obj) : () => promiseResolvedWith(undefined),
    close ? () => promiseCall(close, sink) : () => promiseResolvedWith(undefined),
    abort ? reason => promiseCall(abort, sink, reason) : () => promiseResolvedWith(undefined),
    highWaterMark, sizeAlgorithm);
}

function writableControllerAdvanceQueueIfNeeded(c) {
  const s = c.stream;
  if (!c.started || s.inFlightWriteRequest !== undefined) return;
  if (s.state === 'erroring') {
    writableStreamFinishErroring(s);
    return;
  }
  if (c.queue.length === 0) return;
  const value = c.queue.peek().value;
  if (value === CLOSE_SENTINEL) writableControllerProcessClose(c);
  else writableControllerProcessWrite(c, value);
}

function writableControllerClearAlgorithms(c) {
  c.writeAlgorithm = undefined;
  c.closeAlgorithm = undefined;
  c.abortAlgorithm = undefined;
  c.strategySizeAlgorithm = undefined;
}

function writableControllerClose(c) {
  enqueueValueWithSize(c, CLOSE_SENTINEL, 0);
  writableControllerAdvanceQueueIfNeeded(c);
}

function writableControllerError(c, e) {
  writableControllerClearAlgorithms(c);
  writableStreamStartErroring(c.stream, e);
}

function writableControllerErrorIfNeeded(c, e) {
  if (c.stream.state === 'writable') writableControllerError(c, e);
}

const writableControllerGetBackpressure = c => writableControllerGetDesiredSize(c) <= 0;
const writableControllerGetDesiredSize = c => c.strategyHWM - c.queueTotalSize;

function writableControllerGetChunkSize(c, chunk) {
  if (c.strategySizeAlgorithm === undefined) return 1;
  try {
    return c.strategySizeAlgorithm(chunk);
  } catch (e) {
    writableControllerErrorIfNeeded(c, e);
    return 1;
  }
}

function writableControllerProcessClose(c) {
  const s = c.stream;
  s.inFlightCloseRequest = s.closeRequest;
  s.closeRequest = undefined;
  dequeueValue(c);
  const sinkClosePromise = c.closeAlgorithm();
  writableControllerClearAlgorithms(c);
  uponPromise(sinkClosePromise, () => writableStreamFinishInFlightClose(s),
    reason => writableStreamFinishInFlightCloseWithError(s, reason));
}

function writableControllerProcessWrite(c, chunk) {
  const s = c.stream;
  s.inFlightWriteRequest = s.writeRequests.shift();
  uponPromise(c.writeAlgorithm(chunk), () => {
    writableStreamFinishInFlightWrite(s);
    const state = s.state;
    dequeueValue(c);
    if (!writableStreamCloseQueuedOrInFlight(s) && state === 'writable') {
      writableStreamUpdateBackpressure(s, writableControllerGetBackpressure(c));
    }
    writableControllerAdvanceQueueIfNeeded(c);
  }, reason => {
    if (s.state === 'writable') writableControllerClearAlgorithms(c);
    writableStreamFinishInFlightWriteWithError(s, reason);
  });
}

function writableControllerWrite(c, chunk, chunkSize) {
  try {
    enqueueValueWithSize(c, chunk, chunkSize);
  } catch (e) {
    writableControllerErrorIfNeeded(c, e);
    return;
  }
  const s = c.stream;
  if (!writableStreamCloseQueuedOrInFlight(s) && s.state === 'writable') {
    writableStreamUpdateBackpressure(s, writableControllerGetBackpressure(c));
  }
  writableControllerAdvanceQueueIfNeeded(c);
}

class WritableStreamDefaultController {
  constructor() { throw new TypeError('Illegal constructor'); }
  get signal() { return writableControllerSignal(slotsOf(wscSlots, this, 'WritableStreamDefaultController')); }
  error(e = undefined) {
    const c = slotsOf(wscSlots, this, 'WritableStreamDefaultController');
    if (c.stream.state !== 'writable') return;
    writableControllerError(c, e);
  }
}
webidlInterface(WritableStreamDefaultController);

// ---- the public stream ----

function readUnderlyingSink(sink) {
  const dict = dictionary(sink, 'The underlying sink');
  const abort = callbackMember(dict, 'abort', 'underlyingSink');
  const close = callbackMember(dict, 'close', 'underlyingSink');
  const start = callbackMember(dict, 'start', 'underlyingSink');
  const type = dict.type;
  const write = callbackMember(dict, 'write', 'underlyingSink');
  if (type !== undefined) throw new RangeError('A WritableStream has no type');
  return { abort, close, start, write };
}

class WritableStream {
  constructor(underlyingSink = undefined, strategy = undefined) {
    const strat = queuingStrategy(strategy);
    const dict = readUnderlyingSink(underlyingSink);
    const s = newWritableStreamRecord(this);
    const sizeAlgorithm = extractSizeAlgorithm(strat);
    setUpWritableControllerFromSink(s, underlyingSink, dict, extractHighWaterMark(strat, 1), sizeAlgorithm);
  }
  get locked() { return isWritableStreamLocked(slotsOf(wsSlots, this, 'WritableStream')); }
  abort(reason = undefined) {
    const s = wsSlots.get(this);
    if (s === undefined) return illegal();
    if (isWritableStreamLocked(s)) return promiseRejectedWith(new TypeError('Cannot abort a locked stream'));
    return writableStreamAbort(s, reason);
  }
  close() {
    const s = wsSlots.get(this);
    if (s === undefined) return illegal();
    if (isWritableStreamLocked(s)) return promiseRejectedWith(new TypeError('Cannot close a locked stream'));
    if (writableStreamCloseQueuedOrInFlight(s)) return promiseRejectedWith(new TypeError('The stream is already closing'));
    return writableStreamClose(s);
  }
  getWriter() { return acquireWriter(slotsOf(wsSlots, this, 'WritableStream')).obj; }
}
webidlInterface(WritableStream);

defineGlobal('WritableStream', WritableStream);
defineGlobal('WritableStreamDefaultWriter', WritableStreamDefaultWriter);
defineGlobal('WritableStreamDefaultController', WritableStreamDefaultController);
