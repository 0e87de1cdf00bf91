// node:stream — Readable, Writable, Duplex, Transform and PassThrough over
// node:events, with Node.js's buffering and backpressure (highWaterMark,
// `write()` answering false and 'drain'), flowing and paused modes, object
// mode, encodings, `destroy()` with 'error' then 'close', `pipe`,
// `finished`, `pipeline` (callback and promise forms, with async
// generators as stages), `Readable.from`, async iteration, and the bridges
// to Web streams (`Readable.toWeb/fromWeb`, `Writable.toWeb/fromWeb`).
// Also gives node:stream/promises (`Stream.promises`).
//
// Deferred steps run as `process.nextTick` does here (a microtask), in the
// order Node.js runs them.

const EventEmitter = nodeModule('events');
const { Buffer } = nodeModule('buffer');
const { StringDecoder } = nodeModule('string_decoder');
const { nodeError, invalidArgType } = nodeGroup('buffer');

// Node's tick queue: every step deferred while the queue drains runs in the
// same drain, before the promise reactions queued meanwhile.
const ticks = [];
let draining = false;
function drainTicks() {
  for (let i = 0; i < ticks.length; i++) {
    const [fn, args] = ticks[i];
    try {
      fn(...args);
    } catch (e) {
      ticks.splice(0, i + 1);
      if (ticks.length) queueMicrotask(drainTicks);
      else draining = false;
      throw e;
    }
  }
  ticks.length = 0;
  draining = false;
}
function nextTick(fn, ...args) {
  ticks.push([fn, args]);
  if (!draining) {
    draining = true;
    queueMicrotask(drainTicks);
  }
}
const nop = () => {};
const DEFAULT_HWM = 65536;
const DEFAULT_OBJECT_HWM = 16;

function hwmOf(options, key, objectMode) {
  const v = options[key] !== undefined ? options[key] : options.highWaterMark;
  if (v === undefined || v === null) return objectMode ? DEFAULT_OBJECT_HWM : DEFAULT_HWM;
  if (!Number.isInteger(v) || v < 0) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The property 'options.${key in options ? key : 'highWaterMark'}' is invalid. Received ${v}`);
  }
  return v;
}

const prematureClose = () => nodeError(Error, 'ERR_STREAM_PREMATURE_CLOSE', 'Premature close');

class Stream extends EventEmitter {
  constructor(options) {
    super(options);
  }
}

// Legacy `Stream.prototype.pipe` is Readable's.

// ---- Destruction, shared by both sides ----

function destroyImpl(err, cb) {
  const r = this._readableState;
  const w = this._writableState;
  const s = w || r;
  if ((w && w.destroyed) || (r && r.destroyed)) {
    if (typeof cb === 'function') cb();
    return this;
  }
  if (err) {
    if (w && !w.errored) w.errored = err;
    if (r && !r.errored) r.errored = err;
  }
  if (w) w.destroyed = true;
  if (r) r.destroyed = true;
  const done = er => {
    if (er) {
      if (w && !w.errored) w.errored = er;
      if (r && !r.errored) r.errored = er;
    }
    if (w) w.closed = true;
    if (r) r.closed = true;
    if (typeof cb === 'function') cb(er);
    if (er) nextTick(emitErrorCloseNT, this, er);
    else nextTick(emitCloseNT, this);
  };
  if (s.constructed === false) {
    this.once(kConstructed, () => callDestroy(this, err, done));
  } else {
    callDestroy(this, err, done);
  }
  return this;
}

function callDestroy(stream, err, done) {
  let called = false;
  const once = er => { if (!called) { called = true; done(er); } };
  try {
    stream._destroy(err || null, once);
  } catch (e) {
    once(e);
  }
}

function emitErrorCloseNT(stream, err) {
  emitErrorNT(stream, err);
  emitCloseNT(stream);
}

function emitErrorNT(stream, err) {
  const r = stream._readableState;
  const w = stream._writableState;
  if ((w && w.errorEmitted) || (r && r.errorEmitted)) return;
  if (w) w.errorEmitted = true;
  if (r) r.errorEmitted = true;
  stream.emit('error', err);
}

function emitCloseNT(stream) {
  const r = stream._readableState;
  const w = stream._writableState;
  if (w) w.closeEmitted = true;
  if (r) r.closeEmitted = true;
  if ((w && w.emitClose) || (r && r.emitClose)) stream.emit('close');
}

// An error in a stream: destroys it when it destroys itself, else just
// records and emits the error.
function errorOrDestroy(stream, err, sync) {
  const r = stream._readableState;
  const w = stream._writableState;
  if ((w && w.destroyed) || (r && r.destroyed)) return;
  if ((r && r.autoDestroy) || (w && w.autoDestroy)) {
    stream.destroy(err);
  } else if (err) {
    if (w && !w.errored) w.errored = err;
    if (r && !r.errored) r.errored = err;
    if (sync) nextTick(emitErrorNT, stream, err);
    else emitErrorNT(stream, err);
  }
}

const kConstructed = Symbol('kConstructed');

function construct(stream, options) {
  if (typeof stream._construct !== 'function') return;
  const r = stream._readableState;
  const w = stream._writableState;
  if (r) r.constructed = false;
  if (w) w.constructed = false;
  nextTick(() => {
    let called = false;
    const cb = err => {
      if (called) return;
      called = true;
      if (r) r.constructed = true;
      if (w) w.constructed = true;
      if (err) errorOrDestroy(stream, err, true);
      stream.emit(kConstructed);
      if (!err) {
        if (r && !r.destroyed) maybeReadMore(stream, r);
        if (w && !w.destroyed) { clearBuffer(stream, w); finishMaybe(stream, w); }
      }
    };
    try {
      stream._construct(cb);
    } catch (e) {
      cb(e);
    }
  });
}

function takeCommonOptions(stream, options) {
  if (typeof options.destroy === 'function') stream._destroy = options.destroy;
  if (typeof options.construct === 'function') stream._construct = options.construct;
  if (options.signal) {
    const signal = options.signal;
    const abort = () => stream.destroy(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR', cause: signal.reason }));
    if (signal.aborted) nextTick(abort);
    else signal.addEventListener('abort', abort, { once: true });
  }
}

// ---- Readable ----

function ReadableState(options, stream, isDuplex) {
  const objectMode = !!(options.objectMode || (isDuplex && options.readableObjectMode));
  this.objectMode = objectMode;
  this.highWaterMark = hwmOf(options, isDuplex ? 'readableHighWaterMark' : 'highWaterMark', objectMode);
  this.buffer = [];
  this.length = 0;
  this.pipes = [];
  this.flowing = null;
  this.ended = false;
  this.endEmitted = false;
  this.reading = false;
  this.constructed = true;
  this.sync = true;
  this.needReadable = false;
  this.emittedReadable = false;
  this.readableListening = false;
  this.resumeScheduled = false;
  this.errorEmitted = false;
  this.emitClose = options.emitClose !== false;
  this.autoDestroy = options.autoDestroy !== false;
  this.destroyed = false;
  this.errored = null;
  this.closed = false;
  this.closeEmitted = false;
  this.defaultEncoding = options.defaultEncoding || 'utf8';
  this.awaitDrainWriters = null;
  this.readingMore = false;
  this.dataEmitted = false;
  this.decoder = null;
  this.encoding = null;
  this.paused = null;
  if (options.encoding) {
    this.decoder = new StringDecoder(options.encoding);
    this.encoding = options.encoding;
  }
}

class Readable extends Stream {
  constructor(options) {
    options = options || {};
    super(options);
    const isDuplex = this instanceof Duplex;
    this._readableState = new ReadableState(options, this, isDuplex);
    if (typeof options.read === 'function') this._read = options.read;
    takeCommonOptions(this, options);
    if (!isDuplex) construct(this, options);
  }

  _read() {
    throw nodeError(Error, 'ERR_METHOD_NOT_IMPLEMENTED', 'The _read() method is not implemented');
  }

  _destroy(err, cb) { cb(err); }

  destroy(err, cb) { return destroyImpl.call(this, err, cb); }

  push(chunk, encoding) { return addChunk(this, chunk, encoding, false); }

  unshift(chunk, encoding) { return addChunk(this, chunk, encoding, true); }

  isPaused() {
    const state = this._readableState;
    return state.paused === true || state.flowing === false;
  }

  setEncoding(enc) {
    const state = this._readableState;
    const decoder = new StringDecoder(enc);
    state.decoder = decoder;
    state.encoding = decoder.encoding;
    let content = '';
    for (const chunk of state.buffer) content += decoder.write(chunk);
    state.buffer = content !== '' ? [content] : [];
    state.length = content.length;
    return this;
  }

  read(n) {
    const state = this._readableState;
    if (n === undefined) n = NaN;
    else if (!Number.isInteger(n)) n = Number.parseInt(n, 10);
    const nOrig = n;
    if (n !== 0) state.emittedReadable = false;
    if (n === 0 && state.needReadable &&
        ((state.highWaterMark !== 0 ? state.length >= state.highWaterMark : state.length > 0) || state.ended)) {
      if (state.length === 0 && state.ended) endReadable(this);
      else emitReadable(this);
      return null;
    }
    n = howMuchToRead(n, state);
    if (n === 0 && state.ended) {
      if (state.length === 0) endReadable(this);
      return null;
    }
    let doRead = state.needReadable;
    if (state.length === 0 || state.length - n < state.highWaterMark) doRead = true;
    if (state.ended || state.reading || state.destroyed || state.errored || !state.constructed) {
      doRead = false;
    } else if (doRead) {
      state.reading = true;
      state.sync = true;
      if (state.length === 0) state.needReadable = true;
      try {
        this._read(state.highWaterMark);
      } catch (e) {
        errorOrDestroy(this, e);
      }
      state.sync = false;
      if (!state.reading) n = howMuchToRead(nOrig, state);
    }
    let ret = n > 0 ? fromList(n, state) : null;
    if (ret === null) {
      state.needReadable = state.length <= state.highWaterMark;
      n = 0;
    } else {
      state.length -= n;
      state.awaitDrainWriters = null;
    }
    if (state.length === 0) {
      if (!state.ended) state.needReadable = true;
      if (nOrig !== n && state.ended) endReadable(this);
    }
    if (ret !== null && !state.errorEmitted && !state.closeEmitted) {
      state.dataEmitted = true;
      this.emit('data', ret);
    }
    return ret;
  }

  on(ev, fn) {
    const res = super.on(ev, fn);
    const state = this._readableState;
    if (ev === 'data') {
      state.readableListening = this.listenerCount('readable') > 0;
      if (state.flowing !== false) this.resume();
    } else if (ev === 'readable') {
      if (!state.endEmitted && !state.readableListening) {
        state.readableListening = state.needReadable = true;
        state.flowing = false;
        state.emittedReadable = false;
        if (state.length) emitReadable(this);
        else if (!state.reading) nextTick(s => s.read(0), this);
      }
    }
    return res;
  }

  removeListener(ev, fn) {
    const res = super.removeListener(ev, fn);
    if (ev === 'readable') nextTick(updateReadableListening, this);
    return res;
  }

  removeAllListeners(ev) {
    const res = super.removeAllListeners(ev);
    if (ev === 'readable' || ev === undefined) nextTick(updateReadableListening, this);
    return res;
  }

  resume() {
    const state = this._readableState;
    if (!state.flowing) {
      state.flowing = !state.readableListening;
      if (!state.resumeScheduled) {
        state.resumeScheduled = true;
        nextTick(resume_, this, state);
      }
    }
    state.paused = false;
    return this;
  }

  pause() {
    const state = this._readableState;
    if (state.flowing !== false) {
      state.flowing = false;
      this.emit('pause');
    }
    state.paused = true;
    return this;
  }

  pipe(dest, pipeOpts) {
    return pipeImpl(this, dest, pipeOpts);
  }

  unpipe(dest) {
    const state = this._readableState;
    const targets = dest === undefined ? state.pipes.slice() : state.pipes.filter(p => p.dest === dest);
    for (const p of targets) {
      state.pipes.splice(state.pipes.indexOf(p), 1);
      p.cleanup();
      p.dest.emit('unpipe', this, { hasUnpiped: false });
    }
    if (state.pipes.length === 0 && targets.length) this.pause();
    return this;
  }

  wrap(stream) {
    let paused = false;
    stream.on('data', chunk => {
      if (!this.push(chunk) && stream.pause) { paused = true; stream.pause(); }
    });
    stream.on('end', () => this.push(null));
    stream.on('error', err => errorOrDestroy(this, err));
    stream.on('close', () => this.destroy());
    this._read = () => { if (paused && stream.resume) { paused = false; stream.resume(); } };
    return this;
  }

  [Symbol.asyncIterator]() { return createAsyncIterator(this, undefined); }

  iterator(options) { return createAsyncIterator(this, options); }

  async toArray(options) {
    const out = [];
    for await (const chunk of this) {
      if (options && options.signal && options.signal.aborted) throw abortError(options.signal.reason);
      out.push(chunk);
    }
    return out;
  }

  async forEach(fn, options) {
    for await (const chunk of this) await fn(chunk, options);
  }

  map(fn) {
    const src = this;
    return Readable.from((async function* () { for await (const c of src) yield await fn(c); })());
  }

  filter(fn) {
    const src = this;
    return Readable.from((async function* () { for await (const c of src) if (await fn(c)) yield c; })());
  }

  get readable() {
    const r = this._readableState;
    return !!r && r.readable !== false && !r.destroyed && !r.errorEmitted && !r.endEmitted;
  }
  set readable(v) { if (this._readableState) this._readableState.readable = !!v; }
  get readableDidRead() { return this._readableState.dataEmitted; }
  get readableAborted() {
    const r = this._readableState;
    return !!(r.readable !== false && (r.destroyed || r.errored) && !r.endEmitted);
  }
  get readableHighWaterMark() { return this._readableState.highWaterMark; }
  get readableBuffer() { return this._readableState.buffer; }
  get readableFlowing() { return this._readableState.flowing; }
  set readableFlowing(v) { this._readableState.flowing = v; }
  get readableLength() { return this._readableState.length; }
  get readableObjectMode() { return this._readableState.objectMode; }
  get readableEncoding() { return this._readableState.encoding; }
  get readableEnded() { return this._readableState.endEmitted; }
  get errored() {
    const s = this._writableState || this._readableState;
    return s ? s.errored : null;
  }
  get closed() { return (this._readableState || this._writableState).closed; }
  get destroyed() { return (this._readableState || this._writableState).destroyed; }
  set destroyed(v) {
    if (this._readableState) this._readableState.destroyed = v;
    if (this._writableState) this._writableState.destroyed = v;
  }

  static from(iterable, opts) { return readableFrom(iterable, opts); }
  static fromWeb(readableStream, options) { return readableFromWeb(readableStream, options); }
  static toWeb(streamReadable, options) { return readableToWeb(streamReadable, options); }
  static isDisturbed(stream) { return !!(stream._readableState && (stream._readableState.dataEmitted || stream._readableState.destroyed)); }
}
Readable.prototype.addListener = Readable.prototype.on;
Readable.prototype.off = Readable.prototype.removeListener;

function updateReadableListening(self) {
  const state = self._readableState;
  state.readableListening = self.listenerCount('readable') > 0;
  if (state.resumeScheduled && state.paused === false) state.flowing = true;
  else if (self.listenerCount('data') > 0) self.resume();
  else if (!state.readableListening) state.flowing = null;
}

function addChunk(stream, chunk, encoding, addToFront) {
  const state = stream._readableState;
  let err;
  if (!state.objectMode) {
    if (typeof chunk === 'string') {
      encoding = encoding || state.defaultEncoding;
      if (state.encoding !== encoding) {
        if (addToFront && state.encoding) chunk = Buffer.from(chunk, encoding).toString(state.encoding);
        else { chunk = Buffer.from(chunk, encoding); encoding = ''; }
      }
    } else if (chunk instanceof Uint8Array) {
      if (!Buffer.isBuffer(chunk)) chunk = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      encoding = '';
    } else if (chunk !== null && chunk !== undefined) {
      err = invalidArgType('chunk', 'of type string or an instance of Buffer or Uint8Array', chunk);
    }
  }
  if (err) {
    errorOrDestroy(stream, err);
  } else if (chunk === null) {
    state.reading = false;
    onEofChunk(stream, state);
  } else if (state.objectMode || (chunk && chunk.length > 0)) {
    if (addToFront) {
      if (state.endEmitted) errorOrDestroy(stream, nodeError(Error, 'ERR_STREAM_UNSHIFT_AFTER_END_EVENT', 'stream.unshift() after end event'));
      else if (state.destroyed || state.errored) return false;
      else pushChunk(stream, state, chunk, true);
    } else if (state.ended) {
      errorOrDestroy(stream, nodeError(Error, 'ERR_STREAM_PUSH_AFTER_EOF', 'stream.push() after EOF'));
    } else if (state.destroyed || state.errored) {
      return false;
    } else {
      state.reading = false;
      if (state.decoder && !encoding) {
        chunk = state.decoder.write(chunk);
        if (state.objectMode || chunk.length !== 0) pushChunk(stream, state, chunk, false);
        else maybeReadMore(stream, state);
      } else {
        pushChunk(stream, state, chunk, false);
      }
    }
  } else if (!addToFront) {
    state.reading = false;
    maybeReadMore(stream, state);
  }
  return !state.ended && (state.length < state.highWaterMark || state.length === 0);
}

function pushChunk(stream, state, chunk, addToFront) {
  if (state.flowing && state.length === 0 && !state.sync && stream.listenerCount('data') > 0) {
    state.dataEmitted = true;
    stream.emit('data', chunk);
  } else {
    state.length += state.objectMode ? 1 : chunk.length;
    if (addToFront) state.buffer.unshift(chunk);
    else state.buffer.push(chunk);
    if (state.needReadable) emitReadable(stream);
  }
  maybeReadMore(stream, state);
}

function onEofChunk(stream, state) {
  if (state.ended) return;
  if (state.decoder) {
    const chunk = state.decoder.end();
    if (chunk && chunk.length) {
      state.buffer.push(chunk);
      state.length += state.objectMode ? 1 : chunk.length;
    }
  }
  state.ended = true;
  if (state.sync) {
    emitReadable(stream);
  } else {
    state.needReadable = false;
    state.emittedReadable = true;
    emitReadable_(stream);
  }
}

function howMuchToRead(n, state) {
  if (n <= 0 || (state.length === 0 && state.ended)) return 0;
  if (state.objectMode) return 1;
  if (Number.isNaN(n)) {
    if (state.flowing && state.length) return state.buffer[0].length;
    return state.length;
  }
  if (n <= state.length) return n;
  return state.ended ? state.length : 0;
}

function fromList(n, state) {
  if (state.length === 0) return null;
  if (state.objectMode) return state.buffer.shift();
  if (!n || n >= state.length) {
    const all = state.buffer;
    state.buffer = [];
    if (state.decoder) return all.join('');
    return all.length === 1 ? all[0] : Buffer.concat(all);
  }
  const first = state.buffer[0];
  if (n < first.length) {
    state.buffer[0] = first.slice(n);
    return first.slice(0, n);
  }
  if (n === first.length) return state.buffer.shift();
  if (state.decoder) {
    let out = '';
    while (out.length < n) {
      const s = state.buffer[0];
      const need = n - out.length;
      if (need >= s.length) { out += s; state.buffer.shift(); } else { out += s.slice(0, need); state.buffer[0] = s.slice(need); }
    }
    return out;
  }
  const out = Buffer.allocUnsafe(n);
  let filled = 0;
  while (filled < n) {
    const b = state.buffer[0];
    const need = n - filled;
    if (need >= b.length) { out.set(b, filled); filled += b.length; state.buffer.shift(); } else { out.set(b.subarray(0, need), filled); filled += need; state.buffer[0] = b.subarray(need); }
  }
  return out;
}

function emitReadable(stream) {
  const state = stream._readableState;
  state.needReadable = false;
  if (!state.emittedReadable) {
    state.emittedReadable = true;
    nextTick(emitReadable_, stream);
  }
}

function emitReadable_(stream) {
  const state = stream._readableState;
  if (!state.destroyed && !state.errored && (state.length || state.ended)) {
    stream.emit('readable');
    state.emittedReadable = false;
  }
  state.needReadable = !state.flowing && !state.ended && state.length <= state.highWaterMark;
  flow(stream);
}

function maybeReadMore(stream, state) {
  if (!state.readingMore && state.constructed) {
    state.readingMore = true;
    nextTick(maybeReadMore_, stream, state);
  }
}

function maybeReadMore_(stream, state) {
  while (!state.reading && !state.ended &&
         (state.length < state.highWaterMark || (state.flowing && state.length === 0))) {
    const len = state.length;
    stream.read(0);
    if (len === state.length) break;
  }
  state.readingMore = false;
}

function resume_(stream, state) {
  if (!state.reading) stream.read(0);
  state.resumeScheduled = false;
  stream.emit('resume');
  flow(stream);
  if (state.flowing && !state.reading) stream.read(0);
}

function flow(stream) {
  const state = stream._readableState;
  while (state.flowing && stream.read() !== null);
}

function endReadable(stream) {
  const state = stream._readableState;
  if (!state.endEmitted) {
    state.ended = true;
    nextTick(endReadableNT, state, stream);
  }
}

function endReadableNT(state, stream) {
  if (!state.errored && !state.closeEmitted && !state.endEmitted && state.length === 0) {
    state.endEmitted = true;
    stream.emit('end');
    const w = stream._writableState;
    if (w && !stream.allowHalfOpen && !w.ending && !w.destroyed) {
      stream.end();
    }
    if (state.autoDestroy) {
      if (!w || (w.autoDestroy && (w.finished || w.writable === false))) stream.destroy();
    }
  }
}

function pipeImpl(src, dest, pipeOpts) {
  const state = src._readableState;
  const doEnd = (!pipeOpts || pipeOpts.end !== false);
  let waitingForDrain = false;
  const ondata = chunk => {
    const ret = dest.write(chunk);
    if (ret === false && !waitingForDrain) {
      waitingForDrain = true;
      dest.once('drain', ondrain);
      src.pause();
    }
  };
  const ondrain = () => {
    waitingForDrain = false;
    if (src.listenerCount('data')) src.resume();
  };
  const onend = () => { if (doEnd) dest.end(); };
  const onerror = er => {
    unpipe();
    dest.removeListener('error', onerror);
    if (dest.listenerCount('error') === 0) {
      const w = dest._writableState || dest._readableState;
      if (w && !w.errorEmitted) errorOrDestroy(dest, er);
      else dest.emit('error', er);
    }
  };
  const onclose = () => { dest.removeListener('finish', onfinish); unpipe(); };
  const onfinish = () => { dest.removeListener('close', onclose); unpipe(); };
  const unpipe = () => src.unpipe(dest);
  const cleanup = () => {
    dest.removeListener('close', onclose);
    dest.removeListener('finish', onfinish);
    dest.removeListener('drain', ondrain);
    dest.removeListener('error', onerror);
    dest.removeListener('unpipe', onunpipe);
    src.removeListener('end', onend);
    src.removeListener('data', ondata);
  };
  const onunpipe = (readable) => { if (readable === src) cleanup(); };
  state.pipes.push({ dest, cleanup });
  if (state.endEmitted) nextTick(onend);
  else src.once('end', onend);
  dest.on('unpipe', onunpipe);
  src.on('data', ondata);
  dest.prependListener('error', onerror);
  dest.once('close', onclose);
  dest.once('finish', onfinish);
  dest.emit('pipe', src);
  if (dest.writableNeedDrain === true) {
    waitingForDrain = true;
    dest.once('drain', ondrain);
    src.pause();
  } else if (!state.flowing) {
    src.resume();
  }
  return dest;
}
Stream.prototype.pipe = function (dest, options) { return pipeImpl(this, dest, options); };

function abortError(cause) {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  e.code = 'ABORT_ERR';
  if (cause !== undefined) e.cause = cause;
  return e;
}

async function* createAsyncIterator(stream, options) {
  let callback = nop;
  const next = () => { const c = callback; callback = nop; c(); };
  stream.on('readable', next);
  let error;
  const cleanup = eos(stream, { writable: false }, err => {
    error = err ? err : null;
    callback();
    callback = nop;
  });
  try {
    while (true) {
      const chunk = stream.destroyed ? null : stream.read();
      if (chunk !== null) yield chunk;
      else if (error) throw error;
      else if (error === null) return;
      else await new Promise(resolve => { callback = resolve; });
    }
  } catch (err) {
    error = err;
    throw err;
  } finally {
    if ((error || (options && options.destroyOnReturn === false) === false) &&
        (error === undefined || stream._readableState.autoDestroy)) {
      stream.destroy(null);
    } else {
      stream.off('readable', next);
      cleanup();
    }
  }
}

function readableFrom(iterable, opts) {
  if (typeof iterable === 'string' || iterable instanceof Uint8Array) {
    return new Readable({
      objectMode: true,
      ...opts,
      read() { this.push(iterable); this.push(null); },
    });
  }
  let iterator;
  let isAsync;
  if (iterable && typeof iterable[Symbol.asyncIterator] === 'function') {
    isAsync = true;
    iterator = iterable[Symbol.asyncIterator]();
  } else if (iterable && typeof iterable[Symbol.iterator] === 'function') {
    isAsync = false;
    iterator = iterable[Symbol.iterator]();
  } else {
    throw invalidArgType('iterable', 'an instance of Iterable', iterable);
  }
  let reading = false;
  const readable = new Readable({
    objectMode: true,
    highWaterMark: 1,
    ...opts,
    read() {
      if (!reading) { reading = true; pump(); }
    },
    destroy(error, cb) {
      const close = typeof iterator.return === 'function' ? Promise.resolve().then(() => iterator.return()) : Promise.resolve();
      close.then(() => nextTick(cb, error), e => nextTick(cb, e || error));
    },
  });
  async function pump() {
    for (;;) {
      try {
        const { value, done } = isAsync ? await iterator.next() : iterator.next();
        if (done) { readable.push(null); return; }
        const chunk = value && typeof value.then === 'function' ? await value : value;
        if (chunk === null) {
          reading = false;
          throw nodeError(TypeError, 'ERR_STREAM_NULL_VALUES', 'May not write null values to stream');
        } else if (readable.push(chunk)) {
          continue;
        } else {
          reading = false;
        }
      } catch (err) {
        readable.destroy(err);
      }
      break;
    }
  }
  return readable;
}

// ---- Writable ----

function WritableState(options, stream, isDuplex) {
  const objectMode = !!(options.objectMode || (isDuplex && options.writableObjectMode));
  this.objectMode = objectMode;
  this.highWaterMark = hwmOf(options, isDuplex ? 'writableHighWaterMark' : 'highWaterMark', objectMode);
  this.finalCalled = false;
  this.needDrain = false;
  this.ending = false;
  this.ended = false;
  this.finished = false;
  this.destroyed = false;
  this.decodeStrings = options.decodeStrings !== false;
  this.defaultEncoding = options.defaultEncoding || 'utf8';
  this.length = 0;
  this.writing = false;
  this.corked = 0;
  this.sync = true;
  this.bufferProcessing = false;
  this.writecb = null;
  this.writelen = 0;
  this.afterWriteTickInfo = null;
  this.buffered = [];
  this.pendingcb = 0;
  this.constructed = true;
  this.prefinished = false;
  this.errorEmitted = false;
  this.emitClose = options.emitClose !== false;
  this.autoDestroy = options.autoDestroy !== false;
  this.errored = null;
  this.closed = false;
  this.closeEmitted = false;
  this.allNoop = true;
}

class Writable extends Stream {
  constructor(options) {
    options = options || {};
    super(options);
    const isDuplex = this instanceof Duplex;
    if (!isDuplex && !(this instanceof Writable)) return new Writable(options);
    this._writableState = new WritableState(options, this, isDuplex);
    if (typeof options.write === 'function') this._write = options.write;
    if (typeof options.writev === 'function') this._writev = options.writev;
    if (typeof options.final === 'function') this._final = options.final;
    takeCommonOptions(this, options);
    construct(this, options);
  }

  _write(chunk, encoding, cb) {
    if (this._writev) this._writev([{ chunk, encoding }], cb);
    else throw nodeError(Error, 'ERR_METHOD_NOT_IMPLEMENTED', 'The _write() method is not implemented');
  }

  _destroy(err, cb) { cb(err); }

  destroy(err, cb) {
    const state = this._writableState;
    if (!state.destroyed && (state.buffered.length || state.afterWriteTickInfo)) {
      nextTick(errorBuffer, state);
    }
    return destroyImpl.call(this, err, cb);
  }

  write(chunk, encoding, cb) { return writeImpl(this, chunk, encoding, cb); }

  cork() { this._writableState.corked++; }

  uncork() {
    const state = this._writableState;
    if (state.corked) {
      state.corked--;
      if (!state.writing) clearBuffer(this, state);
    }
  }

  setDefaultEncoding(encoding) {
    if (typeof encoding === 'string') encoding = encoding.toLowerCase();
    if (!Buffer.isEncoding(encoding)) throw nodeError(TypeError, 'ERR_UNKNOWN_ENCODING', `Unknown encoding: ${encoding}`);
    this._writableState.defaultEncoding = encoding;
    return this;
  }

  end(chunk, encoding, cb) { return endImpl(this, chunk, encoding, cb); }

  get writable() {
    const w = this._writableState;
    return !!w && w.writable !== false && !w.destroyed && !w.errored && !w.ending && !w.ended;
  }
  set writable(v) { if (this._writableState) this._writableState.writable = !!v; }
  get writableFinished() { return this._writableState.finished; }
  get writableObjectMode() { return this._writableState.objectMode; }
  get writableBuffer() { return this._writableState.buffered.slice(); }
  get writableEnded() { return this._writableState.ending; }
  get writableNeedDrain() {
    const w = this._writableState;
    return !w.destroyed && !w.ending && w.needDrain;
  }
  get writableHighWaterMark() { return this._writableState.highWaterMark; }
  get writableCorked() { return this._writableState.corked; }
  get writableLength() { return this._writableState.length; }
  get writableAborted() {
    const w = this._writableState;
    return !!(w.writable !== false && (w.destroyed || w.errored) && !w.finished);
  }
  get errored() { return this._writableState.errored; }
  get closed() { return this._writableState.closed; }
  get destroyed() { return this._writableState.destroyed; }
  set destroyed(v) { this._writableState.destroyed = v; }

  static fromWeb(writableStream, options) { return writableFromWeb(writableStream, options); }
  static toWeb(streamWritable) { return writableToWeb(streamWritable); }
}

function writeImpl(stream, chunk, encoding, cb) {
  const state = stream._writableState;
  if (typeof encoding === 'function') { cb = encoding; encoding = state.defaultEncoding; }
  else {
    if (!encoding) encoding = state.defaultEncoding;
    else if (encoding !== 'buffer' && !Buffer.isEncoding(encoding)) throw nodeError(TypeError, 'ERR_UNKNOWN_ENCODING', `Unknown encoding: ${encoding}`);
    if (typeof cb !== 'function') cb = nop;
  }
  if (chunk === null) throw nodeError(TypeError, 'ERR_STREAM_NULL_VALUES', 'May not write null values to stream');
  if (!state.objectMode) {
    if (typeof chunk === 'string') {
      if (state.decodeStrings !== false) { chunk = Buffer.from(chunk, encoding); encoding = 'buffer'; }
    } else if (chunk instanceof Uint8Array) {
      if (!Buffer.isBuffer(chunk)) chunk = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      encoding = 'buffer';
    } else {
      throw invalidArgType('chunk', 'of type string or an instance of Buffer or Uint8Array', chunk);
    }
  }
  let err;
  if (state.ending) err = nodeError(Error, 'ERR_STREAM_WRITE_AFTER_END', 'write after end');
  else if (state.destroyed) err = nodeError(Error, 'ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed');
  if (err) {
    nextTick(cb, err);
    errorOrDestroy(stream, err, true);
    return err;
  }
  state.pendingcb++;
  const len = state.objectMode ? 1 : chunk.length;
  state.length += len;
  const ret = state.length < state.highWaterMark;
  if (!ret) state.needDrain = true;
  if (state.writing || state.corked || state.errored || !state.constructed) {
    state.buffered.push({ chunk, encoding, callback: cb });
    if (state.allNoop && cb !== nop) state.allNoop = false;
  } else {
    state.writelen = len;
    state.writecb = cb;
    state.writing = true;
    state.sync = true;
    stream._write(chunk, encoding, er => onwrite(stream, er));
    state.sync = false;
  }
  return ret && !state.errored && !state.destroyed;
}

function doWrite(stream, state, writev, len, chunk, encoding, cb) {
  state.writelen = len;
  state.writecb = cb;
  state.writing = true;
  state.sync = true;
  const onw = er => onwrite(stream, er);
  if (state.destroyed) onw(nodeError(Error, 'ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed'));
  else if (writev) stream._writev(chunk, onw);
  else stream._write(chunk, encoding, onw);
  state.sync = false;
}

function onwrite(stream, er) {
  const state = stream._writableState;
  const sync = state.sync;
  const cb = state.writecb;
  if (typeof cb !== 'function') {
    errorOrDestroy(stream, nodeError(Error, 'ERR_MULTIPLE_CALLBACK', 'Callback called multiple times'));
    return;
  }
  state.writing = false;
  state.writecb = null;
  state.length -= state.writelen;
  state.writelen = 0;
  if (er) {
    if (!state.errored) state.errored = er;
    if (stream._readableState && !stream._readableState.errored) stream._readableState.errored = er;
    if (sync) nextTick(onwriteError, stream, state, er, cb);
    else onwriteError(stream, state, er, cb);
  } else {
    if (state.buffered.length) clearBuffer(stream, state);
    if (sync) {
      if (state.afterWriteTickInfo !== null && state.afterWriteTickInfo.cb === cb) {
        state.afterWriteTickInfo.count++;
      } else {
        state.afterWriteTickInfo = { count: 1, cb, stream, state };
        nextTick(afterWriteTick, state.afterWriteTickInfo);
      }
    } else {
      afterWrite(stream, state, 1, cb);
    }
  }
}

function afterWriteTick({ stream, state, count, cb }) {
  state.afterWriteTickInfo = null;
  return afterWrite(stream, state, count, cb);
}

function afterWrite(stream, state, count, cb) {
  const needDrain = !state.ending && !stream.destroyed && state.length === 0 && state.needDrain;
  if (needDrain) {
    state.needDrain = false;
    stream.emit('drain');
  }
  while (count-- > 0) {
    state.pendingcb--;
    cb(null);
  }
  if (state.destroyed) errorBuffer(state);
  finishMaybe(stream, state);
}

function onwriteError(stream, state, er, cb) {
  --state.pendingcb;
  cb(er);
  errorBuffer(state);
  errorOrDestroy(stream, er);
}

function errorBuffer(state) {
  if (state.writing) return;
  for (const { chunk, callback } of state.buffered) {
    const len = state.objectMode ? 1 : chunk.length;
    state.length -= len;
    callback(state.errored || nodeError(Error, 'ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed'));
  }
  state.buffered = [];
}

function clearBuffer(stream, state) {
  if (state.corked || state.bufferProcessing || state.destroyed || !state.constructed) return;
  const { buffered } = state;
  if (!buffered.length) return;
  state.bufferProcessing = true;
  if (buffered.length > 1 && stream._writev) {
    state.pendingcb -= buffered.length - 1;
    const callbacks = state.allNoop ? nop : err => { for (const b of buffered) b.callback(err); };
    const chunks = state.allNoop ? buffered : buffered.slice();
    chunks.allBuffers = chunks.every(c => c.encoding === 'buffer');
    doWrite(stream, state, true, state.length, chunks, '', callbacks);
    state.buffered = [];
    state.allNoop = true;
  } else {
    let i = 0;
    do {
      const { chunk, encoding, callback } = buffered[i++];
      const len = state.objectMode ? 1 : chunk.length;
      doWrite(stream, state, false, len, chunk, encoding, callback);
    } while (i < buffered.length && !state.writing);
    state.buffered = buffered.slice(i);
    if (!state.buffered.length) state.allNoop = true;
  }
  state.bufferProcessing = false;
}

function endImpl(stream, chunk, encoding, cb) {
  const state = stream._writableState;
  if (typeof chunk === 'function') { cb = chunk; chunk = null; encoding = null; }
  else if (typeof encoding === 'function') { cb = encoding; encoding = null; }
  let err;
  if (chunk !== null && chunk !== undefined) {
    const ret = writeImpl(stream, chunk, encoding);
    if (ret instanceof Error) err = ret;
  }
  if (state.corked) {
    state.corked = 1;
    stream.uncork();
  }
  if (err) {
    // Already reported.
  } else if (!state.errored && !state.ending) {
    state.ending = true;
    finishMaybe(stream, state, true);
    state.ended = true;
  } else if (state.finished) {
    err = nodeError(Error, 'ERR_STREAM_ALREADY_FINISHED', 'Cannot call end after a stream was finished');
  } else if (state.destroyed) {
    err = nodeError(Error, 'ERR_STREAM_DESTROYED', 'Cannot call end after a stream was destroyed');
  }
  if (typeof cb === 'function') {
    if (err || state.finished) nextTick(cb, err);
    else (state.onFinished || (state.onFinished = [])).push(cb);
  }
  return stream;
}

function needFinish(state) {
  return state.ending && !state.destroyed && state.constructed && state.length === 0 &&
    !state.errored && state.buffered.length === 0 && !state.finished && !state.writing &&
    !state.errorEmitted && !state.closeEmitted;
}

function callFinal(stream, state) {
  let called = false;
  const onFinish = err => {
    if (called) {
      errorOrDestroy(stream, nodeError(Error, 'ERR_MULTIPLE_CALLBACK', 'Callback called multiple times'));
      return;
    }
    called = true;
    state.pendingcb--;
    if (err) {
      for (const f of state.onFinished || []) f(err);
      state.onFinished = [];
      errorOrDestroy(stream, err, state.sync);
    } else if (needFinish(state)) {
      state.prefinished = true;
      stream.emit('prefinish');
      state.pendingcb++;
      nextTick(finish, stream, state);
    }
  };
  state.sync = true;
  state.pendingcb++;
  try {
    stream._final(onFinish);
  } catch (err) {
    onFinish(err);
  }
  state.sync = false;
}

function prefinish(stream, state) {
  if (!state.prefinished && !state.finalCalled) {
    if (typeof stream._final === 'function' && !state.destroyed) {
      state.finalCalled = true;
      callFinal(stream, state);
    } else {
      state.prefinished = true;
      stream.emit('prefinish');
    }
  }
}

function finishMaybe(stream, state, sync) {
  if (needFinish(state)) {
    prefinish(stream, state);
    if (state.pendingcb === 0) {
      if (sync) {
        state.pendingcb++;
        nextTick(() => { if (needFinish(state)) finish(stream, state); else state.pendingcb--; });
      } else if (needFinish(state)) {
        state.pendingcb++;
        finish(stream, state);
      }
    }
  }
}

function finish(stream, state) {
  state.pendingcb--;
  state.finished = true;
  for (const f of state.onFinished || []) f(null);
  state.onFinished = [];
  stream.emit('finish');
  if (state.autoDestroy) {
    const r = stream._readableState;
    if (!r || (r.autoDestroy && (r.endEmitted || r.readable === false))) stream.destroy();
  }
}

// ---- Duplex, Transform, PassThrough ----

class Duplex extends Readable {
  constructor(options) {
    options = options || {};
    super(options);
    this._writableState = new WritableState(options, this, true);
    if (typeof options.write === 'function') this._write = options.write;
    if (typeof options.writev === 'function') this._writev = options.writev;
    if (typeof options.final === 'function') this._final = options.final;
    this.allowHalfOpen = options.allowHalfOpen !== false;
    if (options.readable === false) { this._readableState.readable = false; this._readableState.ended = true; this._readableState.endEmitted = true; }
    if (options.writable === false) { this._writableState.writable = false; this._writableState.ending = true; this._writableState.ended = true; this._writableState.finished = true; }
    construct(this, options);
  }
  get destroyed() { return this._readableState.destroyed && this._writableState.destroyed; }
  set destroyed(v) { this._readableState.destroyed = v; this._writableState.destroyed = v; }
  get closed() { return this._readableState.closed; }
  get errored() { return this._writableState.errored || this._readableState.errored; }
}
for (const name of ['write', 'cork', 'uncork', 'setDefaultEncoding', 'end', '_write']) {
  Duplex.prototype[name] = Writable.prototype[name];
}
Duplex.prototype.destroy = Writable.prototype.destroy;
for (const name of ['writable', 'writableFinished', 'writableObjectMode', 'writableBuffer', 'writableEnded',
  'writableNeedDrain', 'writableHighWaterMark', 'writableCorked', 'writableLength', 'writableAborted']) {
  Object.defineProperty(Duplex.prototype, name, Object.getOwnPropertyDescriptor(Writable.prototype, name));
}
Object.defineProperty(Writable, Symbol.hasInstance, {
  value(object) {
    if (Function.prototype[Symbol.hasInstance].call(this, object)) return true;
    if (this !== Writable) return false;
    return !!(object && object._writableState);
  },
});

const kCallback = Symbol('kCallback');

class Transform extends Duplex {
  constructor(options) {
    options = options || {};
    super(options);
    this._readableState.sync = false;
    this[kCallback] = null;
    if (typeof options.transform === 'function') this._transform = options.transform;
    if (typeof options.flush === 'function') this._flush = options.flush;
  }

  _final(cb) {
    if (typeof this._flush === 'function' && !this.destroyed) {
      this._flush((er, data) => {
        if (er) { cb(er); return; }
        if (data != null) this.push(data);
        this.push(null);
        cb();
      });
    } else {
      this.push(null);
      cb();
    }
  }

  _transform() {
    throw nodeError(Error, 'ERR_METHOD_NOT_IMPLEMENTED', 'The _transform() method is not implemented');
  }

  _write(chunk, encoding, callback) {
    const rState = this._readableState;
    const wState = this._writableState;
    const length = rState.length;
    this._transform(chunk, encoding, (err, val) => {
      if (err) { callback(err); return; }
      if (val != null) this.push(val);
      if (rState.ended) {
        nextTick(callback);
      } else if (wState.ended || length === rState.length || rState.length < rState.highWaterMark) {
        callback();
      } else {
        this[kCallback] = callback;
      }
    });
  }

  _read() {
    if (this[kCallback]) {
      const callback = this[kCallback];
      this[kCallback] = null;
      callback();
    }
  }
}

class PassThrough extends Transform {
  _transform(chunk, encoding, cb) { cb(null, chunk); }
}

// ---- finished, pipeline ----

function isReadableNode(s) { return !!(s && s._readableState && typeof s.on === 'function'); }
function isWritableNode(s) { return !!(s && s._writableState && typeof s.on === 'function'); }

// Calls `callback(err)` once `stream` is done: ended and/or finished, or
// errored, or closed early (ERR_STREAM_PREMATURE_CLOSE). Returns a
// function that removes its listeners.
function eos(stream, options, callback) {
  if (typeof options === 'function') { callback = options; options = {}; }
  options = options || {};
  if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
  let done = false;
  const call = err => { if (!done) { done = true; callback.call(stream, err); } };
  const rState = stream._readableState;
  const wState = stream._writableState;
  const readable = options.readable !== undefined ? options.readable : isReadableNode(stream) && !(rState && rState.readable === false);
  const writable = options.writable !== undefined ? options.writable : isWritableNode(stream) && !(wState && wState.writable === false);
  let readableFinished = !!(rState && rState.endEmitted);
  let writableFinished = !!(wState && wState.finished);
  const onfinish = () => {
    writableFinished = true;
    if (!readable || readableFinished) call();
  };
  const onend = () => {
    readableFinished = true;
    if (!writable || writableFinished) call();
  };
  const onerror = err => call(err);
  const onclose = () => {
    const errored = (wState && wState.errored) || (rState && rState.errored);
    if (errored && typeof errored !== 'boolean') return call(errored);
    if (readable && !readableFinished && rState && !rState.endEmitted) return call(prematureClose());
    if (writable && !writableFinished && wState && !wState.finished) return call(prematureClose());
    call();
  };
  stream.on('end', onend);
  stream.on('finish', onfinish);
  if (options.error !== false) stream.on('error', onerror);
  stream.on('close', onclose);
  const closed = (wState && wState.closed) || (rState && rState.closed);
  if (closed) {
    nextTick(onclose);
  } else if ((wState && wState.errorEmitted) || (rState && rState.errorEmitted)) {
    nextTick(onclose);
  } else if ((!readable || readableFinished) && (!writable || writableFinished)) {
    nextTick(onclose);
  }
  const cleanup = () => {
    callback = nop;
    stream.removeListener('end', onend);
    stream.removeListener('finish', onfinish);
    stream.removeListener('error', onerror);
    stream.removeListener('close', onclose);
  };
  if (options.signal) {
    const abort = () => call(abortError(options.signal.reason));
    if (options.signal.aborted) nextTick(abort);
    else options.signal.addEventListener('abort', abort, { once: true });
  }
  return cleanup;
}

function finished(stream, options, callback) { return eos(stream, options, callback); }

function finishedPromise(stream, options) {
  return new Promise((resolve, reject) => eos(stream, options, err => (err ? reject(err) : resolve())));
}

// pipeline(source, ...transforms, destination, callback): streams, or async
// iterables/generator functions as stages.
function pipeline(...streams) {
  const callback = typeof streams[streams.length - 1] === 'function' && streams.length > 1
    ? streams.pop() : null;
  if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
  return pipelineImpl(streams, callback);
}


function pipelineImpl(streams, callback, opts) {
  if (streams.length === 1 && Array.isArray(streams[0])) streams = streams[0];
  if (streams.length < 2) throw nodeError(TypeError, 'ERR_MISSING_ARGS', 'The "streams" argument must be specified');
  let error;
  let finishCount = 0;
  const destroys = [];
  let finalValue;
  let called = false;
  const finish = (err, final) => {
    if (err && (!error || error.code === 'ERR_STREAM_PREMATURE_CLOSE')) error = err;
    if (!error && !final) return;
    while (destroys.length) destroys.shift()(error);
    if (final && !called) {
      called = true;
      nextTick(callback, error, finalValue);
    }
  };
  const finishOne = err => { finish(err, --finishCount === 0); };
  let ret;
  for (let i = 0; i < streams.length; i++) {
    const stream = streams[i];
    const reading = i < streams.length - 1;
    const writing = i > 0;
    const end = reading || !opts || opts.end !== false;
    if (isReadableNode(stream) || isWritableNode(stream)) {
      finishCount++;
      let isDone = false;
      const onDone = err => {
        isDone = true;
        finishOne(err && err.code === 'ERR_STREAM_PREMATURE_CLOSE' && reading && stream._readableState && stream._readableState.ended && !stream._readableState.errored ? undefined : err);
      };
      eos(stream, { readable: reading, writable: writing }, onDone);
      // The listeners stay: a stage destroyed here still emits 'error'.
      destroys.push(err => {
        if (!isDone && err && typeof stream.destroy === 'function') stream.destroy(err);
      });
    }
    if (i === 0) {
      if (typeof stream === 'function') {
        ret = stream({ signal: undefined });
        if (!ret || (typeof ret[Symbol.asyncIterator] !== 'function' && typeof ret[Symbol.iterator] !== 'function')) {
          throw nodeError(TypeError, 'ERR_INVALID_RETURN_VALUE', 'Expected Iterable, AsyncIterable or Stream to be returned from the "source" function.');
        }
      } else if (isReadableNode(stream) || (stream && (typeof stream[Symbol.asyncIterator] === 'function' || typeof stream[Symbol.iterator] === 'function'))) {
        ret = stream;
      } else {
        throw invalidArgType('source', 'of type Stream, Iterable, AsyncIterable, or Function', stream);
      }
    } else if (typeof stream === 'function') {
      const source = isReadableNode(ret) ? ret : readableFrom(ret);
      ret = stream(source, { signal: undefined });
      if (reading) {
        if (!ret || typeof ret[Symbol.asyncIterator] !== 'function') {
          throw nodeError(TypeError, 'ERR_INVALID_RETURN_VALUE', 'Expected AsyncIterable to be returned from the "transform" function.');
        }
      } else {
        finishCount++;
        Promise.resolve(ret).then(val => { finalValue = val; finishOne(); }, err => finishOne(err));
      }
    } else if (isWritableNode(stream)) {
      if (isReadableNode(ret)) {
        ret.pipe(stream, { end });
      } else {
        finishCount++;
        pumpIterable(ret, stream, finishOne, { end });
      }
      ret = stream;
    } else {
      throw invalidArgType('destination', 'of type Stream or Function', stream);
    }
  }
  return ret;
}

async function pumpIterable(iterable, writable, finish, { end }) {
  let error;
  try {
    for await (const chunk of iterable) {
      if (!writable.write(chunk)) {
        if (writable.destroyed) return;
        await new Promise((resolve, reject) => {
          const onDrain = () => { writable.off('close', onClose); resolve(); };
          const onClose = () => { writable.off('drain', onDrain); reject(prematureClose()); };
          writable.once('drain', onDrain);
          writable.once('close', onClose);
        });
      }
    }
    if (end) writable.end();
    await finishedPromise(writable, { readable: false });
  } catch (err) {
    error = err;
  }
  finish(error);
}

function pipelinePromise(...streams) {
  let opts;
  const last = streams[streams.length - 1];
  if (last && typeof last === 'object' && !isReadableNode(last) && !isWritableNode(last) &&
      typeof last[Symbol.asyncIterator] !== 'function' && typeof last[Symbol.iterator] !== 'function') {
    opts = streams.pop();
  }
  return new Promise((resolve, reject) => {
    pipelineImpl(streams, (err, value) => (err ? reject(err) : resolve(value)), opts);
  });
}

// ---- Web streams ----

function readableToWeb(readable, options) {
  const objectMode = readable.readableObjectMode;
  let closed = false;
  return new ReadableStream({
    start(controller) {
      readable.on('data', chunk => {
        if (closed) return;
        controller.enqueue(objectMode || !(chunk instanceof Uint8Array) ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if (controller.desiredSize <= 0) readable.pause();
      });
      eos(readable, { writable: false }, err => {
        if (closed) return;
        closed = true;
        if (err) controller.error(err);
        else controller.close();
      });
      readable.pause();
    },
    pull() { readable.resume(); },
    cancel(reason) { closed = true; readable.destroy(reason); },
  }, options && options.strategy ? options.strategy : { highWaterMark: objectMode ? 16 : 1 });
}

function readableFromWeb(readableStream, options) {
  if (!(readableStream instanceof ReadableStream)) throw invalidArgType('readableStream', 'an instance of ReadableStream', readableStream);
  const reader = readableStream.getReader();
  let closed = false;
  const readable = new Readable({
    objectMode: false,
    ...options,
    read() {
      reader.read().then(({ value, done }) => {
        if (done) this.push(null);
        else this.push(value);
      }, err => this.destroy(err));
    },
    destroy(error, callback) {
      if (closed) { nextTick(callback, error); return; }
      reader.cancel(error).then(() => nextTick(callback, error), e => nextTick(callback, e || error));
    },
  });
  reader.closed.then(() => { closed = true; }, err => { closed = true; readable.destroy(err); });
  return readable;
}

function writableToWeb(writable) {
  let backpressure = null;
  return new WritableStream({
    start(controller) {
      eos(writable, { readable: false }, err => { if (err) controller.error(err); });
      writable.on('drain', () => { if (backpressure) { const b = backpressure; backpressure = null; b(); } });
    },
    write(chunk) {
      if (writable.writableNeedDrain) return new Promise(resolve => { backpressure = () => write(); function write() { writable.write(chunk); resolve(); } });
      return new Promise((resolve, reject) => {
        const ok = writable.write(chunk, err => { if (err) reject(err); });
        if (ok) resolve();
        else backpressure = resolve;
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        writable.end();
        eos(writable, { readable: false }, err => (err ? reject(err) : resolve()));
      });
    },
    abort(reason) { writable.destroy(reason); },
  }, { highWaterMark: 1 });
}

function writableFromWeb(writableStream, options) {
  if (!(writableStream instanceof WritableStream)) throw invalidArgType('writableStream', 'an instance of WritableStream', writableStream);
  const writer = writableStream.getWriter();
  let closed = false;
  const writable = new Writable({
    decodeStrings: !(options && options.objectMode),
    ...options,
    write(chunk, encoding, callback) {
      writer.ready.then(() => writer.write(chunk)).then(() => callback(), callback);
    },
    writev(chunks, callback) {
      writer.ready.then(() => Promise.all(chunks.map(c => writer.write(c.chunk)))).then(() => callback(), callback);
    },
    final(callback) {
      writer.close().then(() => { closed = true; callback(); }, callback);
    },
    destroy(error, callback) {
      if (closed) { nextTick(callback, error); return; }
      writer.abort(error).then(() => nextTick(callback, error), e => nextTick(callback, e || error));
    },
  });
  return writable;
}

function isReadable(stream) {
  if (!stream || !stream._readableState) return null;
  return stream.readable;
}
function isErrored(stream) {
  return !!(stream && (stream.errored || (stream._readableState && stream._readableState.errored)));
}
function isDisturbed(stream) { return Readable.isDisturbed(stream); }

function addAbortSignal(signal, stream) {
  if (!signal || typeof signal.aborted !== 'boolean') throw invalidArgType('signal', 'an instance of AbortSignal', signal);
  const abort = () => stream.destroy(abortError(signal.reason));
  if (signal.aborted) abort();
  else signal.addEventListener('abort', abort, { once: true });
  return stream;
}

function getDefaultHighWaterMark(objectMode) { return objectMode ? DEFAULT_OBJECT_HWM : DEFAULT_HWM; }

const promises = { pipeline: pipelinePromise, finished: finishedPromise };


// `require('stream')` is Stream itself, with the classes on it.
Object.assign(Stream, {
  Stream,
  Readable,
  Writable,
  Duplex,
  Transform,
  PassThrough,
  pipeline,
  finished,
  addAbortSignal,
  isReadable,
  isErrored,
  isDisturbed,
  getDefaultHighWaterMark,
  promises,
});
Object.defineProperty(pipeline, promisifyCustom(), { value: pipelinePromise });
Object.defineProperty(finished, promisifyCustom(), { value: finishedPromise });
function promisifyCustom() { return Symbol.for('nodejs.util.promisify.custom'); }

const module = Stream;
