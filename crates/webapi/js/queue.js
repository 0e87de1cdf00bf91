// Queue events: a batch of a queue's messages for the Worker's `queue`
// handler (module syntax: `queue(batch, env, ctx)`; service-worker syntax:
// `addEventListener('queue', event => ...)`, the event being the batch,
// settled once the promises given to its waitUntil() have settled).
//
// The batch and its messages come from their own group
// (cloudflare/queue_batch.js), loaded on the first queue event. When the
// handler is done - returned, fulfilled, threw or rejected - the calls it
// made to ack/retry/ackAll/retryAll go to the host with the
// `queue_result(id, report)` op, then the outcome with `done(id)` or
// `fail(id, error)`, as for scheduled events.
function callQueue(id, batch, waiting) {
  const ctx = makeContext(id);
  if (workerModule) {
    const handler = workerModule.default;
    if (!handler || typeof handler.queue !== 'function') {
      throw new Error('Handler does not export a queue() function.');
    }
    return handler.queue(batch, env, ctx);
  }
  if (listeners.queue.length === 0) {
    throw new Error('No event listener registered for queue messages.');
  }
  for (const l of listeners.queue) {
    if (typeof l === 'function') l.call(globalThis, batch); else l.handleEvent(batch);
  }
  // The listeners' event.waitUntil() promises decide the outcome.
  return waiting.length === 0 ? undefined : Promise.all(waiting);
}

function dispatchQueue(id, event) {
  let result, made;
  try {
    made = loadGroup(QUEUE_BATCH).makeBatch(String(event.queue), event.messages, makeContext(id));
    result = callQueue(id, made.batch, made.waiting);
  } catch (e) {
    if (made) op('queue_result', id, made.report());
    return fail(id, e);
  }
  Promise.resolve(result).then(
    () => { op('queue_result', id, made.report()); op('done', id); },
    e => { op('queue_result', id, made.report()); fail(id, e); });
}
