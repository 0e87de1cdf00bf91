// Email events: an incoming message for the Worker's `email` handler
// (module syntax: `email(message, env, ctx)`; service-worker syntax:
// `addEventListener('email', event => ...)`, with `event.message`, settled
// once the promises given to its waitUntil() have settled).
//
// The message comes from its own group (cloudflare/email.js), loaded on
// the first email event. When the handler is done - returned, fulfilled,
// threw or rejected - what it did of the message (setReject, forward,
// reply) goes to the host with the `email_result(id, report)` op, then the
// outcome with `done(id)` or `fail(id, error)`, as for queue events.
function callEmail(id, made, ctx) {
  if (workerModule) {
    const handler = defaultHandlers(ctx);
    if (!handler || typeof handler.email !== 'function') {
      throw new Error('The Worker has no email handler: export default { email(message, env, ctx) { \u2026 } }');
    }
    return handler.email(made.message, env, ctx);
  }
  if (listeners.email.length === 0) {
    throw new Error("The Worker has no email handler: addEventListener('email', event => { \u2026 })");
  }
  for (const l of listeners.email) {
    if (typeof l === 'function') l.call(globalThis, made.listenerEvent); else l.handleEvent(made.listenerEvent);
  }
  return made.waiting.length === 0 ? undefined : Promise.all(made.waiting);
}

function dispatchEmail(id, event) {
  let result, made;
  try {
    const ctx = makeContext(id);
    made = loadGroup(EMAIL).makeEmail(event, emailEventBinding, ctx);
    result = callEmail(id, made, ctx);
  } catch (e) {
    if (made) op('email_result', id, made.report());
    return fail(id, e);
  }
  Promise.resolve(result).then(
    () => { op('email_result', id, made.report()); op('done', id); },
    e => { op('email_result', id, made.report()); fail(id, e); });
}
