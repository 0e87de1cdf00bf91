// TransformStream and TransformStreamDefaultController (WHATWG Streams): a
// writable side whose chunks a transformer turns into chunks of a readable
// side, with backpressure between the two. Uses no ops.
const tsSlots = new WeakMap();   // TransformStream => record
const tscSlots = new WeakMap();  // controller object => controller record

function newTransformStreamRecord(obj) {
  if (obj === undefined) obj = Object.create(TransformStream.prototype);
  const ts = {
    backpressure: undefined, backpressureChangePromise: undefined, readable: undefined, writable: undefined,
    controller: undefined, obj,
  };
  tsSlots.set(obj, ts);
  return ts;
}

function initializeTransformStream(ts, startPromise, writableHWM, writableSize, readableHWM, readableSize) {
  const startAlgorithm = () => startPromise;
  ts.writable = createWritableStream(startAlgorithm,
    chunk => transformSinkWrite(ts, chunk),
    () => transformSinkClose(ts),
    reason => transformSinkAbort(ts, reason),
    writableHWM, writableSize);
  ts.readable = createReadableStream(startAlgorithm,
    () => transformSourcePull(ts),
    reason => transformSourceCancel(ts, reason),
    readableHWM, readableSize);
  ts.backpressure = undefined;
  ts.backpressureChangePromise = undefined;
  transformStreamSetBackpressure(ts, true);
  ts.controller = undefined;
}

function transformStreamError(ts, e) {
  defaultControllerError(ts.readable.controller, e);
  transformStreamErrorWritableAndUnblockWrite(ts, e);
}

function transformStreamErrorWritableAndUnblockWrite(ts, e) {
  transformControllerClearAlgorithms(ts.controller);
  writableControllerErrorIfNeeded(ts.writable.controller, e);
  transformStreamUnblockWrite(ts);
}

function transformStreamUnblockWrite(ts) {
  if (ts.backpressure) transformStreamSetBackpressure(ts, false);
}

function transformStreamSetBackpressure(ts, backpressure) {
  if (ts.backpressureChangePromise !== undefined) ts.backpressureChangePromise.resolve(undefined);
  ts.backpressureChangePromise = newDeferred();
  ts.backpressure = backpressure;
}

// ---- the controller ----

function setUpTransformController(ts, c, transformAlgorithm, flushAlgorithm, cancelAlgorithm) {
  c.stream = ts;
  ts.controller = c;
  c.transformAlgorithm = transformAlgorithm;
  c.flushAlgorithm = flushAlgorithm;
  c.cancelAlgorithm = cancelAlgorithm;
}

function setUpTransformControllerFromTransformer(ts, transformer, dict) {
  const obj = Object.create(TransformStreamDefaultController.prototype);
  const c = { stream: undefined, transformAlgorithm: undefined, flushAlgorithm: undefined, cancelAlgorithm: undefined, finishPromise: undefined, obj };
  tscSlots.set(obj, c);
  const { transform, flush, cancel } = dict;
  setUpTransformController(ts, c,
    transform ? chunk => promiseCall(transform, transformer, chunk, obj) : chunk => {
      try {
        transformControllerEnqueue(c, chunk);
        return promiseResolvedWith(undefined);
      } catch (e) {
        return promiseRejectedWith(e);
      }
    },
    flush ? () => promiseCall(flush, transformer, obj) : () => promiseResolvedWith(undefined),
    cancel ? reason => promiseCall(cancel, transformer, reason) : () => promiseResolvedWith(undefined));
  return c;
}

function transformControllerClearAlgorithms(c) {
  c.transformAlgorithm = undefined;
  c.flushAlgorithm = undefined;
  c.cancelAlgorithm = undefined;
}

function transformControllerEnqueue(c, chunk) {
  const ts = c.stream;
  const rc = ts.readable.controller;
  if (!defaultControllerCanCloseOrEnqueue(rc)) throw new TypeError('The readable side is not in a state that permits enqueue');
  try {
    defaultControllerEnqueue(rc, chunk);
  } catch (e) {
    transformStreamErrorWritableAndUnblockWrite(ts, e);
    throw ts.readable.storedError;
  }
  const backpressure = defaultControllerHasBackpressure(rc);
  if (backpressure !== ts.backpressure) transformStreamSetBackpressure(ts, true);
}

function transformControllerPerformTransform(c, chunk) {
  return transformPromise(c.transformAlgorithm(chunk), undefined, r => {
    transformStreamError(c.stream, r);
    throw r;
  });
}

function transformControllerTerminate(c) {
  const ts = c.stream;
  defaultControllerClose(ts.readable.controller);
  transformStreamErrorWritableAndUnblockWrite(ts, new TypeError('The transform stream was terminated'));
}

// ---- the sink and source algorithms ----

function transformSinkWrite(ts, chunk) {
  const c = ts.controller;
  if (ts.backpressure) {
    return transformPromise(ts.backpressureChangePromise.promise, () => {
      const writable = ts.writable;
      if (writable.state === 'erroring') throw writable.storedError;
      return transformControllerPerformTransform(c, chunk);
    });
  }
  return transformControllerPerformTransform(c, chunk);
}

function transformSinkAbort(ts, reason) {
  const c = ts.controller;
  if (c.finishPromise !== undefined) return c.finishPromise.promise;
  const readable = ts.readable;
  c.finishPromise = newDeferred();
  const cancelPromise = c.cancelAlgorithm(reason);
  transformControllerClearAlgorithms(c);
  uponPromise(cancelPromise, () => {
    if (readable.state === 'errored') {
      c.finishPromise.reject(readable.storedError);
    } else {
      defaultControllerError(readable.controller, reason);
      c.finishPromise.resolve(undefined);
    }
  }, r => {
    defaultControllerError(readable.controller, r);
    c.finishPromise.reject(r);
  });
  return c.finishPromise.promise;
}

function transformSinkClose(ts) {
  const c = ts.controller;
  if (c.finishPromise !== undefined) return c.finishPromise.promise;
  const readable = ts.readable;
  c.finishPromise = newDeferred();
  const flushPromise = c.flushAlgorithm();
  transformControllerClearAlgorithms(c);
  uponPromise(flushPromise, () => {
    if (readable.state === 'errored') {
      c.finishPromise.reject(readable.storedError);
    } else {
      defaultControllerClose(readable.controller);
      c.finishPromise.resolve(undefined);
    }
  }, r => {
    defaultControllerError(readable.controller, r);
    c.finishPromise.reject(r);
  });
  return c.finishPromise.promise;
}

function transformSourceCancel(ts, reason) {
  const c = ts.controller;
  if (c.finishPromise !== undefined) return c.finishPromise.promise;
  const writable = ts.writable;
  c.finishPromise = newDeferred();
  const cancelPromise = c.cancelAlgorithm(reason);
  transformControllerClearAlgorithms(c);
  uponPromise(cancelPromise, () => {
    if (writable.state === 'errored') {
      c.finishPromise.reject(writable.storedError);
    } else {
      writableControllerErrorIfNeeded(writable.controller, reason);
      transformStreamUnblockWrite(ts);
      c.finishPromise.resolve(undefined);
    }
  }, r => {
    writableControllerErrorIfNeeded(writable.controller, r);
    transformStreamUnblockWrite(ts);
    c.finishPromise.reject(r);
  });
  return c.finishPromise.promise;
}

function transformSourcePull(ts) {
  transformStreamSetBackpressure(ts, false);
  return ts.backpressureChangePromise.promise;
}

// ---- the public classes ----

class TransformStreamDefaultController {
  constructor() { throw new TypeError('Illegal constructor'); }
  get desiredSize() {
    const c = slotsOf(tscSlots, this, 'TransformStreamDefaultController');
    return defaultControllerGetDesiredSize(c.stream.readable.controller);
  }
  enqueue(chunk = undefined) {
    transformControllerEnqueue(slotsOf(tscSlots, this, 'TransformStreamDefaultController'), chunk);
  }
  error(reason = undefined) {
    transformStreamError(slotsOf(tscSlots, this, 'TransformStreamDefaultController').stream, reason);
  }
  terminate() {
    transformControllerTerminate(slotsOf(tscSlots, this, 'TransformStreamDefaultController'));
  }
}
webidlInterface(TransformStreamDefaultController);

function readTransformer(transformer) {
  const dict = dictionary(transformer, 'The transformer');
  const cancel = callbackMember(dict, 'cancel', 'transformer');
  const flush = callbackMember(dict, 'flush', 'transformer');
  const readableType = dict.readableType;
  const start = callbackMember(dict, 'start', 'transformer');
  const transform = callbackMember(dict, 'transform', 'transformer');
  const writableType = dict.writableType;
  if (readableType !== undefined) throw new RangeError('Invalid readableType');
  if (writableType !== undefined) throw new RangeError('Invalid writableType');
  return { cancel, flush, start, transform };
}

class TransformStream {
  constructor(transformer = undefined, writableStrategy = undefined, readableStrategy = undefined) {
    const wStrat = queuingStrategy(writableStrategy);
    const rStrat = queuingStrategy(readableStrategy);
    const dict = readTransformer(transformer);
    const readableHWM = extractHighWaterMark(rStrat, 0);
    const readableSize = extractSizeAlgorithm(rStrat);
    const writableHWM = extractHighWaterMark(wStrat, 1);
    const writableSize = extractSizeAlgorithm(wStrat);
    const startPromise = newDeferred();
    const ts = newTransformStreamRecord(this);
    initializeTransformStream(ts, startPromise.promise, writableHWM, writableSize, readableHWM, readableSize);
    const c = setUpTransformControllerFromTransformer(ts, transformer, dict);
    if (dict.start) startPromise.resolve(dict.start.call(transformer, c.obj));
    else startPromise.resolve(undefined);
  }
  get readable() { return slotsOf(tsSlots, this, 'TransformStream').readable.obj; }
  get writable() { return slotsOf(tsSlots, this, 'TransformStream').writable.obj; }
}
webidlInterface(TransformStream);

defineGlobal('TransformStream', TransformStream);
defineGlobal('TransformStreamDefaultController', TransformStreamDefaultController);
