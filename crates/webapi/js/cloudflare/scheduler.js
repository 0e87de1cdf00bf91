// `scheduler.wait(ms, { signal })`, as on Workers: a promise that resolves
// after `ms` milliseconds (a timer of the event, as setTimeout's), or
// rejects with the signal's reason once the signal aborts. Uses no ops.
class Scheduler {
  constructor(token) {
    if (token !== constructing) throw new TypeError('Illegal constructor');
  }
  wait(delay = 0, options = undefined) {
    const o = dictionary(options, 'scheduler.wait() options');
    const signal = o.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      return promiseRejectedWith(new TypeError('scheduler.wait(): signal must be an AbortSignal'));
    }
    if (signal !== undefined && signal.aborted) return promiseRejectedWith(signal.reason);
    const ms = Number(delay);
    return new PromiseCtor((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        if (signal !== undefined) signal.removeEventListener('abort', onAbort);
        resolve();
      }, Number.isFinite(ms) && ms > 0 ? ms : 0);
      if (signal !== undefined) signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
webidlInterface(Scheduler, 0);

defineGlobal('scheduler', new Scheduler(constructing));
