// Readable byte streams (WHATWG Streams): ReadableByteStreamController,
// ReadableStreamBYOBRequest, ReadableStreamBYOBReader (with the `min`
// option, and workerd's `readAtLeast`), and tee of byte streams. Builds on the records of
// streams_readable.js. Uses no ops.
const byobRequestSlots = new WeakMap(); // BYOB request object => record

function createReadableByteStream(startAlgorithm, pullAlgorithm, cancelAlgorithm) {
  const s = newReadableStreamRecord();
  setUpByteController(s, newByteControllerRecord(), startAlgorithm, pullAlgorithm, cancelAlgorithm, 0, undefined);
  return s;
}

const readableStreamHasBYOBReader = s => s.reader !== undefined && s.reader.kind === 'byob';
const readableStreamGetNumReadIntoRequests = s => s.reader.readIntoRequests.length;

function readableStreamFulfillReadIntoRequest(s, chunk, done) {
  const request = s.reader.readIntoRequests.shift();
  if (done) request.close(chunk); else request.chunk(chunk);
}

// ---- the byte controller ----

function newByteControllerRecord() {
  const obj = Object.create(ReadableByteStreamController.prototype);
  const c = {
    kind: 'byte', stream: undefined, queue: undefined, queueTotalSize: 0, started: false,
    closeRequested: false, pullAgain: false, pulling: false, strategyHWM: 0, pullAlgorithm: undefined,
    cancelAlgorithm: undefined, autoAllocateChunkSize: undefined, byobRequest: null, pendingPullIntos: [], obj,
    cancelSteps: reason => {
      byteControllerClearPendingPullIntos(c);
      resetQueue(c);
      const result = c.cancelAlgorithm(reason);
      byteControllerClearAlgorithms(c);
      return result;
    },
    pullSteps: request => byteControllerPullSteps(c, request),
    releaseSteps: () => {
      if (c.pendingPullIntos.length > 0) {
        const first = c.pendingPullIntos[0];
        first.readerType = 'none';
        c.pendingPullIntos = [first];
      }
    },
  };
  rscSlots.set(obj, c);
  return c;
}

function byteControllerPullSteps(c, request) {
  const s = c.stream;
  if (c.queueTotalSize > 0) {
    byteControllerFillReadRequestFromQueue(c, request);
    return;
  }
  const size = c.autoAllocateChunkSize;
  if (size !== undefined) {
    let buffer;
    try {
      buffer = new ArrayBuffer(size);
    } catch (e) {
      request.error(e);
      return;
    }
    c.pendingPullIntos.push({
      buffer, bufferByteLength: size, byteOffset: 0, byteLength: size, bytesFilled: 0, minimumFill: 1,
      elementSize: 1, viewConstructor: Uint8Array, readerType: 'default',
    });
  }
  s.reader.readRequests.push(request);
  byteControllerCallPullIfNeeded(c);
}

function byteControllerCallPullIfNeeded(c) {
  if (!byteControllerShouldCallPull(c)) return;
  if (c.pulling) { c.pullAgain = true; return; }
  c.pulling = true;
  uponPromise(c.pullAlgorithm(), () => {
    c.pulling = false;
    if (c.pullAgain) { c.pullAgain = false; byteControllerCallPullIfNeeded(c); }
  }, e => byteControllerError(c, e));
}

function byteControllerShouldCallPull(c) {
  const s = c.stream;
  if (s.state !== 'readable' || c.closeRequested || !c.started) return false;
  if (readableStreamHasDefaultReader(s) && readableStreamGetNumReadRequests(s) > 0) return true;
  if (readableStreamHasBYOBReader(s) && readableStreamGetNumReadIntoRequests(s) > 0) return true;
  return byteControllerGetDesiredSize(c) > 0;
}

function byteControllerClearAlgorithms(c) {
  c.pullAlgorithm = undefined;
  c.cancelAlgorithm = undefined;
}

function byteControllerClearPendingPullIntos(c) {
  byteControllerInvalidateBYOBRequest(c);
  c.pendingPullIntos = [];
}

function byteControllerClose(c) {
  const s = c.stream;
  if (c.closeRequested || s.state !== 'readable') return;
  if (c.queueTotalSize > 0) {
    c.closeRequested = true;
    return;
  }
  if (c.pendingPullIntos.length > 0) {
    const first = c.pendingPullIntos[0];
    if (first.bytesFilled % first.elementSize !== 0) {
      const e = new TypeError('The stream closed in the middle of an element');
      byteControllerError(c, e);
      throw e;
    }
  }
  byteControllerClearAlgorithms(c);
  readableStreamClose(s);
}

function byteControllerCommitPullIntoDescriptor(s, pd) {
  const done = s.state === 'closed';
  const filledView = convertPullIntoDescriptor(pd);
  if (pd.readerType === 'default') readableStreamFulfillReadRequest(s, filledView, done);
  else readableStreamFulfillReadIntoRequest(s, filledView, done);
}

function convertPullIntoDescriptor(pd) {
  const buffer = transferArrayBuffer(pd.buffer);
  return new pd.viewConstructor(buffer, pd.byteOffset, pd.bytesFilled / pd.elementSize);
}

// `owned`: the chunk's buffer is fresh and no other code can reach it (a
// chunk the host just handed over), so it is queued as it is: transferring
// it would be unobservable, and without ArrayBuffer.prototype.transfer a
// copy.
function byteControllerEnqueue(c, chunk, owned = false) {
  const s = c.stream;
  if (c.closeRequested || s.state !== 'readable') return;
  const buffer = chunk.buffer;
  let byteOffset = chunk.byteOffset;
  const byteLength = chunk.byteLength;
  if (isDetached(buffer)) throw new TypeError('The chunk is detached');
  let transferred;
  if (owned) {
    transferred = buffer;
  } else if (canTransfer) {
    transferred = transferArrayBuffer(buffer);
  } else {
    transferred = buffer.slice(byteOffset, byteOffset + byteLength);
    byteOffset = 0;
  }
  if (c.pendingPullIntos.length > 0) {
    const first = c.pendingPullIntos[0];
    if (isDetached(first.buffer)) throw new TypeError('The BYOB request buffer is detached');
    byteControllerInvalidateBYOBRequest(c);
    first.buffer = transferArrayBuffer(first.buffer);
    if (first.readerType === 'none') byteControllerEnqueueDetachedPullIntoToQueue(c, first);
  }
  if (readableStreamHasDefaultReader(s)) {
    byteControllerProcessReadRequestsUsingQueue(c);
    if (readableStreamGetNumReadRequests(s) === 0) {
      byteControllerEnqueueChunkToQueue(c, transferred, byteOffset, byteLength);
    } else {
      if (c.pendingPullIntos.length > 0) byteControllerShiftPendingPullInto(c);
      readableStreamFulfillReadRequest(s, new Uint8Array(transferred, byteOffset, byteLength), false);
    }
  } else if (readableStreamHasBYOBReader(s)) {
    byteControllerEnqueueChunkToQueue(c, transferred, byteOffset, byteLength);
    for (const pd of byteControllerProcessPullIntoDescriptorsUsingQueue(c)) byteControllerCommitPullIntoDescriptor(s, pd);
  } else {
    byteControllerEnqueueChunkToQueue(c, transferred, byteOffset, byteLength);
  }
  byteControllerCallPullIfNeeded(c);
}

function byteControllerEnqueueChunkToQueue(c, buffer, byteOffset, byteLength) {
  c.queue.push({ buffer, byteOffset, byteLength });
  c.queueTotalSize += byteLength;
}

function byteControllerEnqueueClonedChunkToQueue(c, buffer, byteOffset, byteLength) {
  let clone;
  try {
    clone = buffer.slice(byteOffset, byteOffset + byteLength);
  } catch (e) {
    byteControllerError(c, e);
    throw e;
  }
  byteControllerEnqueueChunkToQueue(c, clone, 0, byteLength);
}

function byteControllerEnqueueDetachedPullIntoToQueue(c, pd) {
  if (pd.bytesFilled > 0) byteControllerEnqueueClonedChunkToQueue(c, pd.buffer, pd.byteOffset, pd.bytesFilled);
  byteControllerShiftPendingPullInto(c);
}

function byteControllerError(c, e) {
  const s = c.stream;
  if (s.state !== 'readable') return;
  byteControllerClearPendingPullIntos(c);
  resetQueue(c);
  byteControllerClearAlgorithms(c);
  readableStreamError(s, e);
}

function byteControllerFillPullIntoDescriptorFromQueue(c, pd) {
  const maxBytesToCopy = Math.min(c.queueTotalSize, pd.byteLength - pd.bytesFilled);
  const maxBytesFilled = pd.bytesFilled + maxBytesToCopy;
  let totalBytesToCopyRemaining = maxBytesToCopy;
  let ready = false;
  const maxAlignedBytes = maxBytesFilled - (maxBytesFilled % pd.elementSize);
  if (maxAlignedBytes >= pd.minimumFill) {
    totalBytesToCopyRemaining = maxAlignedBytes - pd.bytesFilled;
    ready = true;
  }
  while (totalBytesToCopyRemaining > 0) {
    const head = c.queue.peek();
    const bytesToCopy = Math.min(totalBytesToCopyRemaining, head.byteLength);
    copyBytes(pd.buffer, pd.byteOffset + pd.bytesFilled, head.buffer, head.byteOffset, bytesToCopy);
    if (head.byteLength === bytesToCopy) {
      c.queue.shift();
    } else {
      head.byteOffset += bytesToCopy;
      head.byteLength -= bytesToCopy;
    }
    c.queueTotalSize -= bytesToCopy;
    pd.bytesFilled += bytesToCopy;
    totalBytesToCopyRemaining -= bytesToCopy;
  }
  return ready;
}

function byteControllerFillReadRequestFromQueue(c, request) {
  const entry = c.queue.shift();
  c.queueTotalSize -= entry.byteLength;
  byteControllerHandleQueueDrain(c);
  request.chunk(new Uint8Array(entry.buffer, entry.byteOffset, entry.byteLength));
}

function byteControllerGetBYOBRequest(c) {
  if (c.byobRequest === null && c.pendingPullIntos.length > 0) {
    const first = c.pendingPullIntos[0];
    const view = new Uint8Array(first.buffer, first.byteOffset + first.bytesFilled, first.byteLength - first.bytesFilled);
    const obj = Object.create(ReadableStreamBYOBRequest.prototype);
    const request = { controller: c, view, obj };
    byobRequestSlots.set(obj, request);
    c.byobRequest = request;
  }
  return c.byobRequest;
}

function byteControllerGetDesiredSize(c) {
  const state = c.stream.state;
  if (state === 'errored') return null;
  if (state === 'closed') return 0;
  return c.strategyHWM - c.queueTotalSize;
}

function byteControllerHandleQueueDrain(c) {
  if (c.queueTotalSize === 0 && c.closeRequested) {
    byteControllerClearAlgorithms(c);
    readableStreamClose(c.stream);
  } else {
    byteControllerCallPullIfNeeded(c);
  }
}

function byteControllerInvalidateBYOBRequest(c) {
  if (c.byobRequest === null) return;
  c.byobRequest.controller = undefined;
  c.byobRequest.view = null;
  c.byobRequest = null;
}

function byteControllerProcessPullIntoDescriptorsUsingQueue(c) {
  const filled = [];
  while (c.pendingPullIntos.length > 0 && c.queueTotalSize > 0) {
    const pd = c.pendingPullIntos[0];
    if (byteControllerFillPullIntoDescriptorFromQueue(c, pd)) {
      byteControllerShiftPendingPullInto(c);
      filled.push(pd);
    } else {
      break;
    }
  }
  return filled;
}

function byteControllerProcessReadRequestsUsingQueue(c) {
  const reader = c.stream.reader;
  while (reader.readRequests.length > 0) {
    if (c.queueTotalSize === 0) return;
    byteControllerFillReadRequestFromQueue(c, reader.readRequests.shift());
  }
}

function byteControllerPullInto(c, view, min, request) {
  const s = c.stream;
  const { ctor, elementSize } = viewInfo(view);
  const minimumFill = min * elementSize;
  const byteOffset = view.byteOffset;
  const byteLength = view.byteLength;
  let buffer;
  try {
    buffer = transferArrayBuffer(view.buffer);
  } catch (e) {
    request.error(e);
    return;
  }
  const pd = {
    buffer, bufferByteLength: buffer.byteLength, byteOffset, byteLength, bytesFilled: 0, minimumFill,
    elementSize, viewConstructor: ctor, readerType: 'byob',
  };
  if (c.pendingPullIntos.length > 0) {
    c.pendingPullIntos.push(pd);
    s.reader.readIntoRequests.push(request);
    return;
  }
  if (s.state === 'closed') {
    request.close(new ctor(pd.buffer, pd.byteOffset, 0));
    return;
  }
  if (c.queueTotalSize > 0) {
    if (byteControllerFillPullIntoDescriptorFromQueue(c, pd)) {
      const filledView = convertPullIntoDescriptor(pd);
      byteControllerHandleQueueDrain(c);
      request.chunk(filledView);
      return;
    }
    if (c.closeRequested) {
      const e = new TypeError('The stream closed in the middle of an element');
      byteControllerError(c, e);
      request.error(e);
      return;
    }
  }
  c.pendingPullIntos.push(pd);
  s.reader.readIntoRequests.push(request);
  byteControllerCallPullIfNeeded(c);
}

function byteControllerRespond(c, bytesWritten) {
  const first = c.pendingPullIntos[0];
  if (c.stream.state === 'closed') {
    if (bytesWritten !== 0) throw new TypeError('bytesWritten must be 0 once the stream is closed');
  } else {
    if (bytesWritten === 0) throw new TypeError('bytesWritten must be greater than 0');
    if (first.bytesFilled + bytesWritten > first.byteLength) throw new RangeError('bytesWritten is out of range');
  }
  first.buffer = transferArrayBuffer(first.buffer);
  byteControllerRespondInternal(c, bytesWritten);
}

function byteControllerRespondInClosedState(c, first) {
  if (first.readerType === 'none') byteControllerShiftPendingPullInto(c);
  const s = c.stream;
  if (readableStreamHasBYOBReader(s)) {
    while (readableStreamGetNumReadIntoRequests(s) > 0) {
      byteControllerCommitPullIntoDescriptor(s, byteControllerShiftPendingPullInto(c));
    }
  }
}

function byteControllerRespondInReadableState(c, bytesWritten, pd) {
  pd.bytesFilled += bytesWritten;
  if (pd.readerType === 'none') {
    byteControllerEnqueueDetachedPullIntoToQueue(c, pd);
    for (const f of byteControllerProcessPullIntoDescriptorsUsingQueue(c)) byteControllerCommitPullIntoDescriptor(c.stream, f);
    return;
  }
  if (pd.bytesFilled < pd.minimumFill) return;
  byteControllerShiftPendingPullInto(c);
  const remainderSize = pd.bytesFilled % pd.elementSize;
  if (remainderSize > 0) {
    const end = pd.byteOffset + pd.bytesFilled;
    byteControllerEnqueueClonedChunkToQueue(c, pd.buffer, end - remainderSize, remainderSize);
  }
  pd.bytesFilled -= remainderSize;
  const filled = byteControllerProcessPullIntoDescriptorsUsingQueue(c);
  byteControllerCommitPullIntoDescriptor(c.stream, pd);
  for (const f of filled) byteControllerCommitPullIntoDescriptor(c.stream, f);
}

function byteControllerRespondInternal(c, bytesWritten) {
  const first = c.pendingPullIntos[0];
  byteControllerInvalidateBYOBRequest(c);
  if (c.stream.state === 'closed') byteControllerRespondInClosedState(c, first);
  else byteControllerRespondInReadableState(c, bytesWritten, first);
  byteControllerCallPullIfNeeded(c);
}

function byteControllerRespondWithNewView(c, view) {
  const first = c.pendingPullIntos[0];
  if (c.stream.state === 'closed') {
    if (view.byteLength !== 0) throw new TypeError('The view must be empty once the stream is closed');
  } else if (view.byteLength === 0) {
    throw new TypeError('The view must not be empty');
  }
  if (first.byteOffset + first.bytesFilled !== view.byteOffset) throw new RangeError('The view has the wrong offset');
  if (first.bufferByteLength !== view.buffer.byteLength) throw new RangeError('The view has the wrong buffer length');
  if (first.bytesFilled + view.byteLength > first.byteLength) throw new RangeError('The view is too long');
  const viewByteLength = view.byteLength;
  first.buffer = transferArrayBuffer(view.buffer);
  byteControllerRespondInternal(c, viewByteLength);
}

function byteControllerShiftPendingPullInto(c) {
  return c.pendingPullIntos.shift();
}

function setUpByteController(s, c, startAlgorithm, pullAlgorithm, cancelAlgorithm, highWaterMark, autoAllocateChunkSize) {
  c.stream = s;
  resetQueue(c);
  c.strategyHWM = highWaterMark;
  c.pullAlgorithm = pullAlgorithm;
  c.cancelAlgorithm = cancelAlgorithm;
  c.autoAllocateChunkSize = autoAllocateChunkSize;
  c.pendingPullIntos = [];
  s.controller = c;
  const startResult = startAlgorithm();
  uponPromise(promiseResolvedWith(startResult), () => {
    c.started = true;
    byteControllerCallPullIfNeeded(c);
  }, r => byteControllerError(c, r));
}

function setUpByteControllerFromSource(s, source, dict, highWaterMark) {
  const c = newByteControllerRecord();
  const { start, pull, cancel, autoAllocateChunkSize } = dict;
  if (autoAllocateChunkSize === 0) throw new TypeError('autoAllocateChunkSize must be greater than 0');
  setUpByteController(s, c,
    start ? () => start.call(source, c.obj) : () => undefined,
    pull ? () => promiseCall(pull, source, c.obj) : () => promiseResolvedWith(undefined),
    cancel ? reason => promiseCall(cancel, source, reason) : () => promiseResolvedWith(undefined),
    highWaterMark, autoAllocateChunkSize);
}

function byteControllerOf(o) {
  const c = (o !== null && typeof o === 'object') ? rscSlots.get(o) : undefined;
  if (c === undefined || c.kind !== 'byte') throw new TypeError('Illegal invocation');
  return c;
}

class ReadableByteStreamController {
  constructor() { throw new TypeError('Illegal constructor'); }
  get byobRequest() {
    const r = byteControllerGetBYOBRequest(byteControllerOf(this));
    return r === null ? null : r.obj;
  }
  get desiredSize() { return byteControllerGetDesiredSize(byteControllerOf(this)); }
  close() {
    const c = byteControllerOf(this);
    if (c.closeRequested) throw new TypeError('The stream is already closing');
    if (c.stream.state !== 'readable') throw new TypeError('The stream is not readable');
    byteControllerClose(c);
  }
  enqueue(chunk) {
    const c = byteControllerOf(this);
    if (!ArrayBuffer.isView(chunk)) throw new TypeError('The chunk must be an ArrayBufferView');
    if (chunk.byteLength === 0) throw new TypeError('The chunk must not be empty');
    if (chunk.buffer.byteLength === 0) throw new TypeError("The chunk's buffer is detached or empty");
    if (c.closeRequested) throw new TypeError('The stream is already closing');
    if (c.stream.state !== 'readable') throw new TypeError('The stream is not readable');
    byteControllerEnqueue(c, chunk);
  }
  error(e = undefined) { byteControllerError(byteControllerOf(this), e); }
}
webidlInterface(ReadableByteStreamController);

function byobRequestOf(o) {
  const r = (o !== null && typeof o === 'object') ? byobRequestSlots.get(o) : undefined;
  if (r === undefined) throw new TypeError('Illegal invocation');
  return r;
}

class ReadableStreamBYOBRequest {
  constructor() { throw new TypeError('Illegal constructor'); }
  get view() { return byobRequestOf(this).view; }
  respond(bytesWritten) {
    const r = byobRequestOf(this);
    const n = enforceRangeULL(bytesWritten, 'bytesWritten');
    if (r.controller === undefined) throw new TypeError('The request was already answered');
    if (isDetached(r.view.buffer)) throw new TypeError("The view's buffer is detached");
    byteControllerRespond(r.controller, n);
  }
  respondWithNewView(view) {
    const r = byobRequestOf(this);
    if (!ArrayBuffer.isView(view)) throw new TypeError('The view must be an ArrayBufferView');
    if (r.controller === undefined) throw new TypeError('The request was already answered');
    if (isDetached(view.buffer)) throw new TypeError("The view's buffer is detached");
    byteControllerRespondWithNewView(r.controller, view);
  }
}
webidlInterface(ReadableStreamBYOBRequest);

// ---- the BYOB reader ----

function setUpBYOBReader(reader, s) {
  if (isReadableStreamLocked(s)) throw new TypeError('The stream is locked to a reader');
  if (s.controller.kind !== 'byte') throw new TypeError('A BYOB reader needs a byte stream');
  readerGenericInitialize(reader, s);
  reader.readIntoRequests = new StreamQueue();
}

function acquireBYOBReader(s) {
  const obj = Object.create(ReadableStreamBYOBReader.prototype);
  const reader = { kind: 'byob', stream: undefined, closed: undefined, readIntoRequests: undefined, obj };
  setUpBYOBReader(reader, s);
  readerSlots.set(obj, reader);
  return reader;
}

function byobReaderRead(reader, view, min, request) {
  const s = reader.stream;
  s.disturbed = true;
  if (s.state === 'errored') request.error(s.storedError);
  else byteControllerPullInto(s.controller, view, min, request);
}

function byobReaderRelease(reader) {
  readerGenericRelease(reader);
  byobReaderErrorReadIntoRequests(reader, new TypeError('The reader was released'));
}

function byobReaderErrorReadIntoRequests(reader, e) {
  const requests = reader.readIntoRequests;
  reader.readIntoRequests = new StreamQueue();
  while (requests.length > 0) requests.shift().error(e);
}

class ReadableStreamBYOBReader {
  constructor(stream) {
    const s = slotsOf(rsSlots, stream, 'ReadableStream');
    const reader = { kind: 'byob', stream: undefined, closed: undefined, readIntoRequests: undefined, obj: this };
    setUpBYOBReader(reader, s);
    readerSlots.set(this, reader);
  }
  get closed() {
    const r = readerOf(this, 'byob');
    return r ? r.closed.promise : promiseRejectedWith(new TypeError('Illegal invocation'));
  }
  cancel(reason = undefined) {
    const r = readerOf(this, 'byob');
    if (!r) return promiseRejectedWith(new TypeError('Illegal invocation'));
    if (r.stream === undefined) return promiseRejectedWith(new TypeError('The reader has no stream'));
    return readerGenericCancel(r, reason);
  }
  read(view, options = undefined) {
    const r = readerOf(this, 'byob');
    if (!r) return promiseRejectedWith(new TypeError('Illegal invocation'));
    if (!ArrayBuffer.isView(view)) return promiseRejectedWith(new TypeError('read() needs an ArrayBufferView'));
    let min;
    try {
      const o = dictionary(options, 'The read options');
      min = o.min === undefined ? 1 : enforceRangeULL(o.min, 'min');
    } catch (e) {
      return promiseRejectedWith(e);
    }
    if (view.byteLength === 0) return promiseRejectedWith(new TypeError('The view must not be empty'));
    if (view.buffer.byteLength === 0) return promiseRejectedWith(new TypeError("The view's buffer is detached or empty"));
    if (isDetached(view.buffer)) return promiseRejectedWith(new TypeError("The view's buffer is detached"));
    if (min === 0) return promiseRejectedWith(new TypeError('min must be greater than 0'));
    if (view instanceof DataView) {
      if (min > view.byteLength) return promiseRejectedWith(new RangeError('min is larger than the view'));
    } else if (min > view.length) {
      return promiseRejectedWith(new RangeError('min is larger than the view'));
    }
    if (r.stream === undefined) return promiseRejectedWith(new TypeError('The reader has no stream'));
    const request = promiseReadRequest();
    byobReaderRead(r, view, min, request);
    return request.promise;
  }
  // workerd's extension, not in the standard (OpenNext's image handler
  // reads an image's first bytes with it): `read(view, { min })` with the
  // minimum first, counted in the view's elements. A stream that ends short
  // of it gives what it had as a chunk (`done: false`) and its end on the
  // next read, as Cloudflare documents.
  readAtLeast(minElements, view) {
    const r = readerOf(this, 'byob');
    if (!r) return promiseRejectedWith(new TypeError('Illegal invocation'));
    if (!ArrayBuffer.isView(view)) return promiseRejectedWith(new TypeError('readAtLeast() needs an ArrayBufferView'));
    let min;
    try {
      min = enforceRangeULL(minElements, 'minElements');
    } catch (e) {
      return promiseRejectedWith(e);
    }
    const length = view instanceof DataView ? view.byteLength : view.length;
    if (min === 0 || min > length) {
      return promiseRejectedWith(new TypeError("minElements must be at least 1 and at most the view's length"));
    }
    return this.read(view, { min }).then(result => (
      result.done && result.value !== undefined && result.value.byteLength > 0
        ? { value: result.value, done: false }
        : result
    ));
  }
  releaseLock() {
    const r = readerOf(this, 'byob');
    if (!r) throw new TypeError('Illegal invocation');
    if (r.stream !== undefined) byobReaderRelease(r);
  }
}
webidlInterface(ReadableStreamBYOBReader);

// ---- tee of a byte stream ----

function cloneAsUint8Array(view) {
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

function readableByteStreamTee(s) {
  let reader = acquireDefaultReader(s);
  let reading = false, readAgainForBranch1 = false, readAgainForBranch2 = false;
  let canceled1 = false, canceled2 = false, reason1, reason2, branch1, branch2;
  const cancelPromise = newDeferred();
  const forwardReaderError = thisReader => {
    uponPromise(thisReader.closed.promise, undefined, r => {
      if (thisReader !== reader) return;
      byteControllerError(branch1.controller, r);
      byteControllerError(branch2.controller, r);
      if (!canceled1 || !canceled2) cancelPromise.resolve(undefined);
    });
  };
  const failBoth = e => {
    byteControllerError(branch1.controller, e);
    byteControllerError(branch2.controller, e);
    cancelPromise.resolve(readableStreamCancel(s, e));
  };
  const pullAgain = () => {
    if (readAgainForBranch1) pull1Algorithm();
    else if (readAgainForBranch2) pull2Algorithm();
  };
  const pullWithDefaultReader = () => {
    if (reader.kind === 'byob') {
      byobReaderRelease(reader);
      reader = acquireDefaultReader(s);
      forwardReaderError(reader);
    }
    defaultReaderRead(reader, {
      chunk: chunk => microtask(() => {
        readAgainForBranch1 = false;
        readAgainForBranch2 = false;
        let chunk2 = chunk;
        if (!canceled1 && !canceled2) {
          try {
            chunk2 = cloneAsUint8Array(chunk);
          } catch (e) {
            failBoth(e);
            return;
          }
        }
        if (!canceled1) byteControllerEnqueue(branch1.controller, chunk);
        if (!canceled2) byteControllerEnqueue(branch2.controller, chunk2);
        reading = false;
        pullAgain();
      }),
      close: () => {
        reading = false;
        if (!canceled1) byteControllerClose(branch1.controller);
        if (!canceled2) byteControllerClose(branch2.controller);
        if (branch1.controller.pendingPullIntos.length > 0) byteControllerRespond(branch1.controller, 0);
        if (branch2.controller.pendingPullIntos.length > 0) byteControllerRespond(branch2.controller, 0);
        if (!canceled1 || !canceled2) cancelPromise.resolve(undefined);
      },
      error: () => { reading = false; },
    });
  };
  const pullWithBYOBReader = (view, forBranch2) => {
    if (reader.kind === 'default') {
      defaultReaderRelease(reader);
      reader = acquireBYOBReader(s);
      forwardReaderError(reader);
    }
    const byobBranch = forBranch2 ? branch2 : branch1;
    const otherBranch = forBranch2 ? branch1 : branch2;
    byobReaderRead(reader, view, 1, {
      chunk: chunk => microtask(() => {
        readAgainForBranch1 = false;
        readAgainForBranch2 = false;
        const byobCanceled = forBranch2 ? canceled2 : canceled1;
        const otherCanceled = forBranch2 ? canceled1 : canceled2;
        if (!otherCanceled) {
          let cloned;
          try {
            cloned = cloneAsUint8Array(chunk);
          } catch (e) {
            failBoth(e);
            return;
          }
          if (!byobCanceled) byteControllerRespondWithNewView(byobBranch.controller, chunk);
          byteControllerEnqueue(otherBranch.controller, cloned);
        } else if (!byobCanceled) {
          byteControllerRespondWithNewView(byobBranch.controller, chunk);
        }
        reading = false;
        pullAgain();
      }),
      close: chunk => {
        reading = false;
        const byobCanceled = forBranch2 ? canceled2 : canceled1;
        const otherCanceled = forBranch2 ? canceled1 : canceled2;
        if (!byobCanceled) byteControllerClose(byobBranch.controller);
        if (!otherCanceled) byteControllerClose(otherBranch.controller);
        if (chunk !== undefined) {
          if (!byobCanceled) byteControllerRespondWithNewView(byobBranch.controller, chunk);
          if (!otherCanceled && otherBranch.controller.pendingPullIntos.length > 0) {
            byteControllerRespond(otherBranch.controller, 0);
          }
        }
        if (!byobCanceled || !otherCanceled) cancelPromise.resolve(undefined);
      },
      error: () => { reading = false; },
    });
  };
  const pullFor = forBranch2 => () => {
    if (reading) {
      if (forBranch2) readAgainForBranch2 = true; else readAgainForBranch1 = true;
      return promiseResolvedWith(undefined);
    }
    reading = true;
    const request = byteControllerGetBYOBRequest((forBranch2 ? branch2 : branch1).controller);
    if (request === null) pullWithDefaultReader();
    else pullWithBYOBReader(request.view, forBranch2);
    return promiseResolvedWith(undefined);
  };
  const pull1Algorithm = pullFor(false);
  const pull2Algorithm = pullFor(true);
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
  branch1 = createReadableByteStream(start, pull1Algorithm, cancel1);
  branch2 = createReadableByteStream(start, pull2Algorithm, cancel2);
  forwardReaderError(reader);
  return [branch1, branch2];
}

defineGlobal('ReadableByteStreamController', ReadableByteStreamController);
defineGlobal('ReadableStreamBYOBRequest', ReadableStreamBYOBRequest);
defineGlobal('ReadableStreamBYOBReader', ReadableStreamBYOBReader);
