// Dynamic Worker Loaders (runtime/src/dynamic has the host's half and the
// design): `env.LOADER.get(id, getCode)` and `env.LOADER.load(code)` give a
// WorkerStub at once; `stub.getEntrypoint(name?, { props })` is a service
// binding to the dynamic Worker (its `fetch` and RPC methods), which loads
// the Worker before a call when the host says it is not loaded: the code is
// asked for then (`getCode()`), checked and converted here
// (`workerCodeParts`, with Cloudflare's messages), and handed to the host.
//
// Ops used:
// - `loader_ready(binding, id, name) -> name | null`: the loaded Worker's
//   name, or null when it must be loaded (again);
// - `loader_load(binding, id, parts) -> name` (async): loads it.
//
// In the dynamic Worker, its `env` is made from the platform bindings
// `{ type: 'value', value }` (a value in RPC wire form) and `{ type:
// 'service', worker, entrypoint, props }` (a service binding its parent
// gave, props in wire form): see `makeDynamicBinding`.

const loaderConstructing = Symbol('worker loader');
// fetch.js's `makeFetcher`, given with the first binding made here.
let loaderMakeFetcher;

class WorkerLoader {
  #binding;
  constructor(token, binding) {
    if (token !== loaderConstructing) throw new TypeError('Illegal constructor');
    this.#binding = binding;
  }

  // The Worker of `id` (cached by the host: `getCode` is called only when
  // it is not loaded); without an id, a new Worker each call.
  get(id, getCode) {
    if (typeof getCode !== 'function') {
      throw new TypeError("Failed to execute 'get' on 'WorkerLoader': parameter 2 is not a function.");
    }
    const key = id === null || id === undefined ? null : String(id);
    return new WorkerStub(loaderConstructing, newLoading(this.#binding, key, getCode, null));
  }

  // A new Worker of `code`, checked now.
  load(code) {
    const parts = workerCodeParts(code);
    return new WorkerStub(loaderConstructing, newLoading(this.#binding, null, () => code, parts));
  }
}
webidlInterface(WorkerLoader);

// What the stubs of one `get()` or `load()` share: how to load their Worker
// and, once loaded, its name.
function newLoading(binding, id, getCode, parts) {
  return { binding, id, getCode, parts, name: null, pending: null };
}

class WorkerStub {
  #loading;
  constructor(token, loading) {
    if (token !== loaderConstructing) throw new TypeError('Illegal constructor');
    this.#loading = loading;
  }

  // A service binding to entrypoint `name` (the default export when left
  // out or 'default'), whose calls carry `options.props` as `ctx.props`.
  getEntrypoint(name = undefined, options = undefined) {
    const entrypoint = name === undefined || name === null || name === 'default' ? null : String(name);
    if (options !== undefined && options !== null && options.limits !== undefined) {
      throw new TypeError('getEntrypoint(): per-entrypoint limits are not supported by motu; give the WorkerCode its limits');
    }
    const props = options === undefined || options === null ? undefined : options.props;
    return makeDynamicEntrypoint(this.#loading, entrypoint, props === undefined ? undefined : propsWire(props));
  }

  getDurableObjectClass() {
    throw new TypeError('getDurableObjectClass() (Durable Object facets) is not supported by motu');
  }
}
webidlInterface(WorkerStub);

// The stub of `entrypoint` of the Worker `loading` loads: a service
// binding's stub whose worker name is filled in once the Worker is loaded
// (`state.before`, which rpc.js calls before each call).
function makeDynamicEntrypoint(loading, entrypoint, wire) {
  const state = { target: ['service', null, entrypoint, wire], disposed: false, before: undefined };
  state.before = () => dynamicReady(loading, state.target);
  // The Fetcher of the loaded Worker, made again only when it was loaded
  // again under a new name.
  let fetcher = null;
  const fetch = (input, init = undefined) => {
    const go = () => {
      if (fetcher === null || fetcher.name !== state.target[1]) {
        fetcher = { name: state.target[1], f: loaderMakeFetcher(state.target[1], 'service_fetch', entrypoint, wire) };
      }
      return fetcher.f.fetch(input, init);
    };
    const waiting = state.before();
    return waiting === null ? go() : waiting.then(go);
  };
  return makeStub(state, { __proto__: null, fetch }, loaderMakeFetcher('', 'service_fetch', entrypoint, wire));
}

// Null when the Worker is loaded (its name then in `target`), else the
// promise of its loading.
function dynamicReady(loading, target) {
  const name = op('loader_ready', loading.binding, loading.id, loading.name);
  if (name !== null) {
    target[1] = name;
    return null;
  }
  loading.pending ??= loadDynamic(loading).finally(() => {
    loading.pending = null;
  });
  return loading.pending.then(() => {
    target[1] = loading.name;
  });
}

async function loadDynamic(loading) {
  const parts = loading.parts ?? workerCodeParts(await loading.getCode());
  loading.name = await opAsync('loader_load', loading.binding, loading.id, parts);
}

// --- The WorkerCode object ------------------------------------------------

const MODULE_KEYS = ['js', 'cjs', 'text', 'data', 'json', 'py', 'wasm'];

// `code` as the host reads it (runtime/src/dynamic/code.rs), or the error
// Cloudflare gives for what is wrong with it.
function workerCodeParts(code) {
  if (code === null || typeof code !== 'object') throw new TypeError('The Worker code must be an object (WorkerCode).');
  const date = code.compatibilityDate;
  if (typeof date !== 'string') throw new TypeError("WorkerCode.compatibilityDate is required: a date such as '2025-06-01'.");
  const flags = code.compatibilityFlags === undefined ? [] : Array.from(code.compatibilityFlags, f => String(f));
  const main = code.mainModule;
  if (typeof main !== 'string') throw new TypeError('WorkerCode.mainModule is required: the name of one of its modules.');
  const given = code.modules;
  if (given === null || typeof given !== 'object') throw new TypeError('WorkerCode.modules must be an object of module names and contents.');
  const modules = Object.keys(given).map(name => moduleParts(name, given[name]));
  if (modules.length === 0) throw new TypeError('Dynamic Worker code must contain at least one module.');
  if (main.endsWith('.py')) throw new TypeError('Python Workers are not supported by motu.');
  if (!Object.hasOwn(given, main)) throw new TypeError(`WorkerCode.mainModule '${main}' is not one of its modules.`);
  if (code.streamingTails !== undefined) throw new TypeError('Streaming Tail Workers (WorkerCode.streamingTails) are not supported by motu.');
  const tails = code.tails === undefined ? [] : Array.from(code.tails, serviceParts);
  const env = [];
  const services = [];
  if (code.env !== undefined && code.env !== null) {
    if (typeof code.env !== 'object') throw new TypeError('WorkerCode.env must be an object.');
    for (const key of Object.keys(code.env)) {
      const value = code.env[key];
      if (isRpcStub(value)) services.push([key, serviceParts(value)]);
      else env.push([key, toWire(value)]);
    }
  }
  let outbound;
  if (code.globalOutbound === null) outbound = null;
  else if (code.globalOutbound !== undefined) outbound = serviceParts(code.globalOutbound);
  const limits = {};
  if (code.limits !== undefined && code.limits !== null) {
    if (code.limits.cpuMs !== undefined) limits.cpuMs = Number(code.limits.cpuMs);
    if (code.limits.subRequests !== undefined) limits.subRequests = Number(code.limits.subRequests);
  }
  return { compatibilityDate: date, compatibilityFlags: flags, mainModule: main, modules, env, services, outbound, limits, tails };
}

// A module as `[name, type, content]`.
function moduleParts(name, content) {
  if (typeof content === 'string') {
    if (name.endsWith('.js')) return [name, 'js', content];
    if (name.endsWith('.py')) throw new TypeError('Python Workers are not supported by motu.');
    const hint = /\.(ts|tsx|jsx)$/.test(name)
      ? " If you're trying to load TypeScript, bundle it first with '@cloudflare/worker-bundler' and pass the generated JavaScript modules." : '';
    throw new TypeError("Module name must end with '.js' or '.py' (or the content must be an object indicating the type explicitly). Got: " + name + '.' + hint);
  }
  if (content === null || typeof content !== 'object') {
    throw new TypeError(`Module '${name}' must be a string or an object with one of ${MODULE_KEYS.map(k => `'${k}'`).join(', ')}.`);
  }
  if (globalThis.WebAssembly !== undefined && content instanceof globalThis.WebAssembly.Module) {
    throw new TypeError(`Module '${name}': a compiled WebAssembly.Module is not supported by motu; give its bytes as { wasm }.`);
  }
  const keys = MODULE_KEYS.filter(k => content[k] !== undefined);
  if (keys.length !== 1) {
    throw new TypeError("Each module must contain exactly one of 'js', 'cjs', 'text', 'data', 'json', 'py', or 'wasm'. Module '"
      + name + "' contained " + keys.length + ' properties.');
  }
  const kind = keys[0];
  const value = content[kind];
  if (kind === 'py') throw new TypeError('Python Workers are not supported by motu.');
  if (kind === 'json') return [name, 'json', JSON.stringify(value)];
  if (kind === 'data' || kind === 'wasm') {
    if (!ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer)) {
      throw new TypeError(`Module '${name}': '${kind}' must be an ArrayBuffer or an ArrayBuffer view.`);
    }
    const bytes = ArrayBuffer.isView(value)
      ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(value);
    return [name, kind, bytes.slice()];
  }
  if (typeof value !== 'string') throw new TypeError(`Module '${name}': '${kind}' must be a string.`);
  return [name, kind, value];
}

// A service binding given in `env`, as `globalOutbound` or in `tails`: `[worker,
// entrypoint, props]`. Only a service binding's stub can be given (as
// Cloudflare, not the stub of a dynamic Worker's entrypoint, nor a
// loopback binding not called with its props).
function serviceParts(value) {
  const state = isRpcStub(value) ? stubStates.get(value) : undefined;
  if (state !== undefined && state.before !== undefined) {
    throw new DOMException('Entrypoints to dynamically-loaded workers cannot be transferred to other Workers, '
      + 'because the system does not know how to reload this Worker from scratch. Instead, have the parent '
      + 'Worker expose an entrypoint which constructs the dynamic worker and forwards to it.', 'DataCloneError');
  }
  if (state !== undefined && state.specialize !== undefined) {
    throw new DOMException('Could not serialize object of type "LoopbackServiceStub". This type does not support serialization.', 'DataCloneError');
  }
  if (state === undefined || state.target[0] !== 'service') {
    throw new DOMException('Only service bindings (and values that can be cloned) can be given to a dynamic Worker.', 'DataCloneError');
  }
  return [state.target[1], state.target[2], state.target[3]];
}

// --- In the dynamic Worker -------------------------------------------------

// The binding `name` of a platform entry this file makes: a Worker Loader,
// or what a dynamic Worker's parent gave in its `env`.
function makeDynamicBinding(name, data, makeFetcher) {
  loaderMakeFetcher = makeFetcher;
  if (data.type === 'worker_loader') return new WorkerLoader(loaderConstructing, name);
  if (data.type === 'service') return makeServiceStubFromWire(data.worker, data.entrypoint, data.props, makeFetcher);
  return fromWire(data.value);
}
