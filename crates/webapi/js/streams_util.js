// Helpers shared by bodies, the streams group and others: promise plumbing
// that Worker code cannot intercept by patching `Promise.prototype.then`,
// dictionary conversion and ArrayBuffer transfer. What only the streams group
// uses (its queue, strategies, views) is in streams_support.js. Uses no ops.
const PromiseCtor = Promise;
const promiseThen = Promise.prototype.then;
const promiseResolveFn = Promise.resolve;

// A promise with its resolving functions and its state ('pending',
// 'fulfilled' or 'rejected').
function newDeferred() {
  const d = { promise: undefined, resolve: undefined, reject: undefined, state: 'pending' };
  d.promise = new PromiseCtor((res, rej) => {
    d.resolve = v => { if (d.state === 'pending') { d.state = 'fulfilled'; res(v); } };
    d.reject = e => { if (d.state === 'pending') { d.state = 'rejected'; rej(e); } };
  });
  return d;
}

// "A promise resolved with" / "a promise rejected with".
const promiseResolvedWith = v => promiseResolveFn.call(PromiseCtor, v);
const promiseRejectedWith = e => new PromiseCtor((_, rej) => rej(e));

// Reacts to a promise; the derived promise's rejection is never reported.
function uponPromise(p, onFulfilled, onRejected) {
  const derived = promiseThen.call(p, onFulfilled, onRejected);
  promiseThen.call(derived, undefined, () => {});
  return derived;
}
// "Transforming" a promise: the derived promise is the result.
const transformPromise = (p, onFulfilled, onRejected) => promiseThen.call(p, onFulfilled, onRejected);
function markHandled(p) { promiseThen.call(p, undefined, () => {}); }

// Web IDL dictionary argument: undefined and null give {}, other non-objects throw.
function dictionary(value, what) {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' && typeof value !== 'function') throw new TypeError(`${what} must be an object`);
  return value;
}

// ArrayBuffer transfer: detaches the source where the engine can; where it
// cannot (no ArrayBuffer.prototype.transfer), the bytes are copied.
const canTransfer = typeof ArrayBuffer.prototype.transfer === 'function';
const detachedGetter = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'detached');
function isDetached(buffer) {
  return detachedGetter ? detachedGetter.get.call(buffer) : false;
}
function transferArrayBuffer(buffer) {
  if (isDetached(buffer)) throw new TypeError('The ArrayBuffer is detached');
  return canTransfer ? buffer.transfer() : buffer.slice(0);
}
