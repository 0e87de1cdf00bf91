// The timers of Durable Objects (part of the durable group, after
// durable.js). As on Cloudflare, where an object with a `setTimeout` or
// `setInterval` callback pending does not hibernate, a timer an object sets
// keeps it in memory until the timer fires or is cleared (the host bounds
// how long without events: `Objects::take_idle`). A timer is the object's
// when it is set during one of the object's events, or in the callback of
// one of its timers, which runs as the event that set that timer (over or
// not). When the object leaves memory or is reset, its timers are cleared:
// none of its code runs after it.
//
// Ops: `durable('timers', slot, pending)`: whether the object in `slot`
// has timers pending.

// Event id -> { rec, count }: the events with timers pending, so that a
// timer set in a timer's callback (after its event was answered) is known
// to be the same object's.
const doTimerEvents = new Map();

// Timer `clear()` is set by the running code: if that is an object's, the
// object is held until the returned function is called (once the timer
// fired or was cleared); null when it is not.
function timerHold(clear) {
  if (doObjects.size === 0) return null;
  const id = op('current_event');
  if (id === null) return null;
  let held = doTimerEvents.get(id);
  const rec = doEventObjects.get(id) ?? held?.rec;
  if (rec === undefined || rec.aborted !== null || doObjects.get(rec.slot) !== rec) return null;
  if (held === undefined) doTimerEvents.set(id, held = { rec, count: 0 });
  held.count++;
  const timers = (rec.timers ??= new Set());
  if (timers.size === 0) op('durable', 'timers', rec.slot, true);
  timers.add(clear);
  return () => {
    if (--held.count === 0) doTimerEvents.delete(id);
    timers.delete(clear);
    if (timers.size === 0 && doObjects.get(rec.slot) === rec) op('durable', 'timers', rec.slot, false);
  };
}

// The object `rec` left memory or was reset: its timers never fire.
function doClearTimers(rec) {
  const timers = rec.timers;
  if (timers === undefined) return;
  for (const clear of [...timers]) clear();
}
