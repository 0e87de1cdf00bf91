// What the built-in module `cloudflare:workers` exports
// (workers_module.js re-exports it from here): the Worker's `env`,
// `waitUntil(promise)` for the event that is running, and the base classes
// WorkerEntrypoint, DurableObject, WorkflowEntrypoint and RpcTarget. The
// classes can be extended and instantiated; a default export that extends
// WorkerEntrypoint is instantiated for each event and its `fetch(request)`
// or `scheduled(controller)` called (events.js), or its methods called over
// RPC (rpc.js); a class extending DurableObject is a Durable Object class
// (cloudflare/durable.js makes its objects).
//
// Op used: `current_event() -> id | null`, the event whose turn is running.

class WorkerEntrypoint {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

class DurableObject {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

class WorkflowEntrypoint {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

class RpcTarget {}

// `new RpcStub(target)`: a stub of a local RpcTarget (or function), sent
// by reference and called like a remote one (rpc.js).
class RpcStub {
  constructor(value) { return makeLocalStub(value); }
}

// The module's exports, for the Worker's `env` and events.js's
// `makeContext(id)` (the ExecutionContext of event `id`) and `ctxExports()`
// (`ctx.exports`, see loopback.js; null where the compatibility date has
// none: then `exports` is undefined).
function workersExports(env, makeContext, ctxExports) {
  function waitUntil(promise) {
    const id = op('current_event');
    if (id === null) throw new Error('waitUntil() can only be called while an event is being handled');
    makeContext(id).waitUntil(promise);
  }
  const exports = ctxExports === null ? undefined : exportsView(ctxExports);
  return Object.freeze({
    __proto__: null, env, exports, waitUntil, WorkerEntrypoint, DurableObject, WorkflowEntrypoint, RpcTarget, RpcStub,
  });
}

// `exports` of the module: imported while the Worker's own module is still
// being evaluated, before `ctx.exports` can be made, so a read-only view
// that asks `ctxExports()` each time.
function exportsView(ctxExports) {
  const current = () => ctxExports() ?? {};
  return new Proxy({}, {
    get(_, key) { return current()[key]; },
    has(_, key) { return key in current(); },
    ownKeys() { return Reflect.ownKeys(current()); },
    getOwnPropertyDescriptor(_, key) {
      const d = Reflect.getOwnPropertyDescriptor(current(), key);
      return d === undefined ? undefined : { value: d.value, writable: false, enumerable: d.enumerable, configurable: true };
    },
    set() { return false; },
    defineProperty() { return false; },
    deleteProperty() { return false; },
  });
}

// Whether `handler`, a default export, is a class that extends
// WorkerEntrypoint (made anew for each event).
function isEntrypointClass(handler) {
  return typeof handler === 'function' && handler.prototype instanceof WorkerEntrypoint;
}
