// `ctx.exports`: loopback bindings to the Worker's own exports, which
// Cloudflare makes without any configuration (compatibility flag
// `enable_ctx_exports`, on by default from 2025-11-17). For each export of
// the Worker's main module:
// - a class the Worker's migrations give storage: its Durable Object
//   namespace (the same as a binding to the class would be);
// - an entrypoint (a class extending WorkerEntrypoint, or an object of
//   handlers such as the default export): a service binding to it, whose
//   calls go through the host as any service binding's, each to a new
//   instance whose `ctx.props` is an empty object. Called as a function with
//   `{ props }`, it gives a service binding whose calls carry those props.
// Other exports (functions, values, classes without storage) are left out.
// The object is made once per isolate, on first use (after the Worker's
// module is evaluated), and is the `exports` of every event's `ctx`, of
// every Durable Object's `ctx`, and of `cloudflare:workers`.

// `self`: the Worker's name; `mod`: its module namespace; `namespaceOf(name)`:
// the namespace of its class exported as `name` (undefined when the class
// has no storage); `makeFetcher`: fetch.js's.
function makeCtxExports(self, mod, namespaceOf, makeFetcher) {
  const out = {};
  for (const key of Object.keys(mod)) {
    const value = mod[key];
    const namespace = typeof value === 'function' ? namespaceOf(key) : undefined;
    if (namespace !== undefined) out[key] = namespace;
    else if (isEntrypointClass(value) || isHandlerObject(value)) {
      out[key] = loopbackService(self, key === 'default' ? null : key, makeFetcher);
    }
  }
  return Object.freeze(out);
}

// The handlers an object export can have: one of them makes it an
// entrypoint.
const LOOPBACK_HANDLERS = ['fetch', 'scheduled', 'queue', 'tail', 'email'];

function isHandlerObject(value) {
  return value !== null && typeof value === 'object'
    && LOOPBACK_HANDLERS.some(name => typeof value[name] === 'function');
}

// The loopback binding of entrypoint `entrypoint` (null: the default
// export) of Worker `self`: a stub with `fetch` and the entrypoint's
// methods, a `Fetcher` for `instanceof`, and callable to specialize it.
function loopbackService(self, entrypoint, makeFetcher) {
  const fetcher = makeFetcher(self, 'service_fetch', entrypoint);
  const fetch = (input, init = undefined) => fetcher.fetch(input, init);
  const base = function () {};
  Object.setPrototypeOf(base, Object.getPrototypeOf(fetcher));
  const state = {
    target: ['service', self, entrypoint, undefined],
    disposed: false,
    specialize(options) {
      if (options !== undefined && (options === null || typeof options !== 'object')) {
        throw new TypeError('The options of a loopback binding must be an object: { props }');
      }
      return makeServiceStub(self, entrypoint, options?.props, makeFetcher);
    },
  };
  return makeStub(state, { __proto__: null, fetch }, base, LoopbackHandler);
}

// A loopback binding's proxy handler: calling the binding specializes it
// (rather than calling a remote function, as a stub of one does).
class LoopbackHandler extends StubHandler {
  apply(_, thisArg, args) { return this.state.specialize(args[0]); }
}
