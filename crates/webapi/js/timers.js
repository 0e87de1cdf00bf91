// Timers, queueMicrotask and reportError. A timer is the host's async
// `sleep(ms)` op; a cleared timer's op still settles, and then does nothing.
// A timer's handler that is not a function is code, converted to a string
// when the timer is set and run as a global script when it fires (as HTML's
// timers do), so it needs code generation allowed; without, running it
// reports an EvalError.
//
// Ops used: `sleep(ms)` (async) and `console(level, text)`.
let nextTimerId = 1;
const liveTimers = new Set();
const globalEval = globalThis.eval;

// HTML's "report an exception": the global's `error` listeners get an
// ErrorEvent (events.js); unless one cancels it, the exception is logged.
function reportError(e) {
  if (dispatchErrorEvent(e)) return;
  op('console', 'error', `Uncaught ${formatLog([e])}`);
}

// Whether the Worker may compile strings, learnt on the first string
// handler (the engines refuse with different errors; this reports one).
let codeGenerationAllowed;
function timerHandler(handler) {
  if (typeof handler === 'function') return handler;
  const code = `${handler}`;
  return () => {
    if (codeGenerationAllowed === undefined) {
      try {
        globalEval('');
        codeGenerationAllowed = true;
      } catch {
        codeGenerationAllowed = false;
      }
    }
    if (!codeGenerationAllowed) throw new EvalError('Code generation from strings is disallowed for this Worker');
    globalEval(code);
  };
}

function startTimer(id, callback, ms, args, repeat) {
  opAsync('sleep', ms).then(() => {
    if (!liveTimers.has(id)) return;
    if (!repeat) liveTimers.delete(id);
    try {
      callback(...args);
    } catch (e) {
      reportError(e);
    }
    if (repeat && liveTimers.has(id)) startTimer(id, callback, ms, args, true);
  });
}

function timerDelay(ms) {
  const n = Number(ms);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 2147483647) : 0;
}

function setTimeout(handler, ms = 0, ...args) {
  const callback = timerHandler(handler);
  const id = nextTimerId++;
  liveTimers.add(id);
  startTimer(id, callback, timerDelay(ms), args, false);
  return id;
}

function setInterval(handler, ms = 0, ...args) {
  const callback = timerHandler(handler);
  const id = nextTimerId++;
  liveTimers.add(id);
  startTimer(id, callback, Math.max(timerDelay(ms), 1), args, true);
  return id;
}

function clearTimer(id) { liveTimers.delete(Number(id)); }

defineGlobal('setTimeout', setTimeout);
defineGlobal('setInterval', setInterval);
defineGlobal('clearTimeout', clearTimer);
defineGlobal('clearInterval', clearTimer);
defineGlobal('queueMicrotask', callback => {
  if (typeof callback !== 'function') throw new TypeError('queueMicrotask needs a function');
  Promise.resolve().then(() => { try { callback(); } catch (e) { reportError(e); } });
});
defineGlobal('reportError', {
  reportError(error) {
    requireArgs(arguments.length, 1, 'reportError');
    reportError(error);
  },
}.reportError);
