// Parts of the prelude evaluated on first use. Each group (streams, crypto,
// Blob and FormData, ...) is a prelude chunk the engine evaluates on demand
// (motu_engine::contract::OP_LOAD): a function that takes `internal`, the
// core's helpers, and returns what the core and other groups use of it.
// Until then each of its globals is an accessor on globalThis (not
// enumerable unless the global is, configurable) that loads the group,
// which puts plain data properties in the accessors' places; assigning to
// such a global first makes it a plain data property holding that value.
// Asking for the property descriptor of such a global (Object and Reflect's
// getOwnPropertyDescriptor, Object.getOwnPropertyDescriptors) loads its
// group first, so the accessors never show: descriptors are as Web IDL has
// them.
//
// Uses no ops; takes the engine's chunk loader `__motu_load` and hides it.
const loadChunk = globalThis.__motu_load;
delete globalThis.__motu_load;
// The engine's own `defineGetter(object, name, getter)`, when it has one
// (V8's, engines/v8/shim/accessors.cc): an own getter-only accessor,
// enumerable and not configurable, without a descriptor object to read.
// For events_target.js, which otherwise uses Object.defineProperty.
const defineGetter = globalThis.__motu_define_getter;
delete globalThis.__motu_define_getter;

// Group indices: the order of `prelude_chunks()` in src/prelude.rs.
const STREAMS = 0;
const CRYPTO = 1;
const TEXT_STREAMS = 2;
const URL_PATTERN = 3;
const BLOBS = 4;
const CLONING = 5;
const CONSOLE = 6;
const SCHEDULED = 7;
const ERROR_EVENT = 8;
const FETCH = 9;
const REQUEST_INIT = 10;
const SEARCH_PARAMS = 11;
const PERFORMANCE = 12;
const TEXT_CODING = 13;
const CUSTOM_EVENT = 14;
// Storage bindings' classes (js/cloudflare/), by kind: see events.js.
const KV_BINDING = 15;
const D1_BINDING = 16;
const R2_BINDING = 17;
// The Cache API (js/cloudflare/cache.js).
const CACHE = 18;
// Queues: the producer binding (a storage binding) and the consumer's batch.
const QUEUE_BINDING = 19;
const QUEUE_BATCH = 20;
// WebSockets (websocket.js).
const WEBSOCKET = 21;
// Cloudflare's own globals (js/cloudflare/).
const HTML_REWRITER = 22;
const CLOUDFLARE_STREAMS = 23;
const SCHEDULER = 24;
const CLOUDFLARE_WORKERS = 25;
const CLOUDFLARE_SOCKETS = 26;
// Durable Objects (js/cloudflare/durable.js).
const DURABLE = 27;
// DOMException, Event and EventTarget, AbortSignal and AbortController, and
// FetchEvent (dom_exception.js, events_target.js, abort.js, fetch_event.js).
const EVENTS = 28;
// URL (url.js).
const URLS = 29;
// Stack traces mapped to the author's files (stack_positions.js).
const STACK_POSITIONS = 30;
// Email Workers: the send_email binding and the email handler's message
// (js/cloudflare/email.js).
const EMAIL = 31;
// Iterator helpers where the engine lacks them (iterator_helpers.js).
const ITERATOR_HELPERS = 32;
// Recent ECMAScript built-ins where the engine lacks them (es_builtins.js).
const ES_BUILTINS = 33;
// Bindings made from what they are given at start: Analytics Engine,
// Hyperdrive (js/cloudflare/platform.js).
const PLATFORM_BINDINGS = 34;
// Workflows: the binding and each instance's engine (js/cloudflare/workflow*.js).
const WORKFLOWS = 35;
// `WebAssembly` where the engine has none: one that says so (wasm_absent.js).
const WASM_ABSENT = 36;
// Intl where the engine has none (intl_*.js; see intl_shim.js).
const INTL = 37;

// The built-in, which the end of this file wraps.
const describeOwn = Object.getOwnPropertyDescriptor;

const groupExports = [];
const lazyGetters = new Set();
let internal;

// What a group's function gets, `makeInternal()`, is generated after the
// core's files (src/prelude.rs `internal_names!`), from the same list of
// names that each group takes apart: the core's helpers by name.

// The exports of group `index`, evaluating it first if need be.
function loadGroup(index) {
  let exports = groupExports[index];
  if (exports === undefined) {
    internal ??= makeInternal();
    exports = loadChunk(index)(internal) ?? {};
    groupExports[index] = exports;
  }
  return exports;
}

// Evaluates groups handed over as their functions (`[index, group, ...]`)
// instead of through the engine's loader, as the prelude made for a
// startup snapshot does (src/prelude.rs `snapshot_prelude`): their globals
// are then plain data properties from the start, in every isolate made
// from the snapshot.
// They get an `internal` of their own, made now, before `start()`: the one
// later groups get is made on first use, after `start()` set what depends
// on the Worker (`nodeCompat`, ...), so these groups may take only what the
// core defines while it is evaluated.
function preloadGroups(groups) {
  const early = makeInternal();
  for (let i = 0; i < groups.length; i += 2) {
    if (groupExports[groups[i]] === undefined) groupExports[groups[i]] = groups[i + 1](early) ?? {};
  }
}

// The exports of group `index` if it was loaded: until then none of its
// objects exist.
function loadedGroup(index) {
  return groupExports[index];
}

// Makes the globals `names` (space-separated) load group `index` on first use.
function lazyGlobals(index, names, enumerable = false) {
  const list = names.split(' ');
  // An indexed loop: cheaper than an array iterator, at every start-up.
  for (let i = 0; i < list.length; i++) {
    const name = list[i];
    // An arrow function: no `prototype` object to make for each.
    const get = () => {
      loadGroup(index);
      const now = describeOwn(globalThis, name);
      if (now !== undefined && now.get === get) throw new TypeError(`${name} failed to load`);
      return globalThis[name];
    };
    lazyGetters.add(get);
    Object.defineProperty(globalThis, name, {
      __proto__: null,
      get,
      set(value) {
        Object.defineProperty(globalThis, name, { __proto__: null, value, writable: true, configurable: true, enumerable });
      },
      configurable: true,
      enumerable,
    });
  }
}

// Whether global `name` is still the accessor that loads its group.
function isLazyGlobal(name) {
  const d = describeOwn(globalThis, name);
  return d !== undefined && lazyGetters.has(d.get);
}

// A group's defineGlobal: fills the place of its lazy accessor, unless
// Worker code replaced or deleted that global meanwhile.
function defineLoadedGlobal(name, value, enumerable = false) {
  if (isLazyGlobal(name)) defineGlobal(name, value, enumerable);
}

// The value of global `name` without loading its group: undefined while it
// is not loaded (no instance of it exists then).
function loadedGlobal(name) {
  return isLazyGlobal(name) ? undefined : globalThis[name];
}

// The descriptor functions load a global's group before they describe it.
{
  const describe = Object.getOwnPropertyDescriptor;
  const describeAll = Object.getOwnPropertyDescriptors;
  const reflectDescribe = Reflect.getOwnPropertyDescriptor;
  const loadFor = (o, key) => {
    if (o === globalThis) {
      const d = describe(o, key);
      if (d !== undefined && lazyGetters.has(d.get)) d.get();
    }
  };
  const methods = {
    getOwnPropertyDescriptor(o, key) { loadFor(o, key); return describe(o, key); },
    getOwnPropertyDescriptors(o) {
      if (o === globalThis) for (const key of Reflect.ownKeys(o)) loadFor(o, key);
      return describeAll(o);
    },
  };
  const reflect = {
    getOwnPropertyDescriptor(o, key) { loadFor(o, key); return reflectDescribe(o, key); },
  };
  for (const [target, from, name] of [[Object, methods, 'getOwnPropertyDescriptor'],
    [Object, methods, 'getOwnPropertyDescriptors'], [Reflect, reflect, 'getOwnPropertyDescriptor']]) {
    Object.defineProperty(target, name, { value: from[name], writable: true, configurable: true, enumerable: false });
  }
}
