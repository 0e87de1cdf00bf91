// Scheduled events: cron triggers calling the Worker's `scheduled` handler
// (module syntax: `scheduled(controller, env, ctx)`; service-worker syntax:
// `addEventListener('scheduled', event => ...)`).
//
// The ScheduledController the handler gets comes from its own group
// (scheduled_controller.js), loaded on the first scheduled event.
//
// Op used here, implemented by the runtime: `done(id)` when scheduled event
// `id` has finished (its handler returned or its promise fulfilled);
// failures go through `fail` as for fetch events.
function callScheduled(id, event) {
  const ctx = makeContext(id);
  const controller = loadGroup(SCHEDULED).makeScheduled(String(event.cron), Number(event.scheduledTime), ctx);
  if (workerModule) {
    const handler = defaultHandlers(ctx);
    if (!handler || typeof handler.scheduled !== 'function') {
      throw new Error('The Worker has no scheduled handler: export default { scheduled(controller, env, ctx) { \u2026 } }');
    }
    return handler.scheduled(controller, env, ctx);
  }
  if (listeners.scheduled.length === 0) {
    throw new Error("The Worker has no scheduled handler: addEventListener('scheduled', event => { \u2026 })");
  }
  for (const l of listeners.scheduled) {
    if (typeof l === 'function') l.call(globalThis, controller); else l.handleEvent(controller);
  }
  return undefined;
}

function dispatchScheduled(id, event) {
  let result;
  try {
    result = callScheduled(id, event);
  } catch (e) {
    return fail(id, e);
  }
  Promise.resolve(result).then(() => op('done', id), e => fail(id, e));
}
