// Timers and queueMicrotask. A timer is the host's async `sleep(ms)` op; a
// cleared timer's op still settles, and then does nothing.
let nextTimerId = 1;
const liveTimers = new Set();

function reportError(e) {
  op('console', 'error', `Uncaught ${formatLog([e])}`);
}

function startTimer(id, callback, ms, args, repeat) {
  opAsync('sleep', ms).then(() => {
    if (!liveTimers.has(id)) return;
    if (!repeat) liveTimers.delete(id);
    try {
      if (typeof callback === 'function') callback(...args);
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

function setTimeout(callback, ms = 0, ...args) {
  const id = nextTimerId++;
  liveTimers.add(id);
  startTimer(id, callback, timerDelay(ms), args, false);
  return id;
}

function setInterval(callback, ms = 0, ...args) {
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
