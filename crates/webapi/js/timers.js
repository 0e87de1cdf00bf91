// Timers, queueMicrotask and reportError. A timer is the host's async
// `sleep(ms)` op; a cleared timer's op still settles, and then does nothing.
// A timer's handler that is not a function is code, converted to a string
// when the timer is set and run as a global script when it fires (as HTML's
// timers do), so it needs code generation allowed; without, running it
// reports an EvalError.
//
// A timer a Durable Object sets keeps it in memory until the timer fires or
// is cleared (`objectTimerHold`, events.js): each live timer's id maps to
// the function that lets the object go, or null.
//
// Ops used: `sleep(ms)` (async) and `console(level, text)`.
let nextTimerId = 1;
const liveTimers = new Map();
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
    const release = liveTimers.get(id);
    if (release === undefined) return;
    if (!repeat) liveTimers.delete(id);
    try {
      callback(...args);
    } catch (e) {
      reportError(e);
    }
    if (repeat) {
      if (liveTimers.has(id)) startTimer(id, callback, ms, args, true);
    } else if (release !== null) {
      // After the callback: a timer it sets holds the object on.
      release();
    }
  });
}

function timerDelay(ms) {
  const n = Number(ms);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 2147483647) : 0;
}

function setTimeout(handler, ms = 0, ...args) {
  const callback = timerHandler(handler);
  const id = nextTimerId++;
  liveTimers.set(id, objectTimerHold(id));
  startTimer(id, callback, timerDelay(ms), args, false);
  return id;
}

function setInterval(handler, ms = 0, ...args) {
  const callback = timerHandler(handler);
  const id = nextTimerId++;
  liveTimers.set(id, objectTimerHold(id));
  startTimer(id, callback, Math.max(timerDelay(ms), 1), args, true);
  return id;
}

function clearTimer(id) {
  const n = Number(id);
  const release = liveTimers.get(n);
  if (release === undefined) return;
  liveTimers.delete(n);
  if (release !== null) release();
}

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
