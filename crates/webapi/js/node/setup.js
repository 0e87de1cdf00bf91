// Node.js compatibility (nodejs_compat): the core's part. The node:* modules
// are groups from index NODE_FIRST (src/node_text.rs), in the order of
// NODE_NAMES; none is evaluated before a Worker imports it or touches the
// `process` or `Buffer` global. A Worker's `node:NAME` module (given to the
// loader by the runtime, see motu_webapi::node) reads the group's exports
// through the function at globalThis[Symbol.for('motu.node')], which exists
// only for a Worker with nodejs_compat (not enumerable, not writable: a
// Worker sees nothing of it but what `import()` gives anyway).
//
// `setUpNode(settings, env)` runs once at start with the `nodejs` field of
// the `init` op: `{ globals, populateEnv, alsOnly, httpServer, builtins,
// withheld }` (`httpServer`: http.createServer makes a server, see
// node/http_server.js)
// (`builtins`: the names of the node:* modules this Worker can import,
// space-separated, as `module.builtinModules` lists them; `withheld`: those
// of them that are stand-ins for want of their compatibility flag, such as
// `fs` before 2025-09-15), or undefined without
// nodejs_compat or nodejs_als (then nothing happens). With `alsOnly`
// (nodejs_als alone) only node:async_hooks is there.
const NODE_FIRST = 38;
const NODE_NAMES = 'buffer events util process path string_decoder querystring timers assert url os diagnostics_channel crypto stream stream_web async_hooks net tls fs dns http https module zlib';

// { globals, env } once a Worker with nodejs_compat is set up, else null.
let nodeCompat = null;

// The exports object of the node:* module `name` (`buffer`, `path`...).
function nodeModule(name) {
  return nodeGroup(name).module;
}

// What the group of node:* module `name` gives: `{ module }` and what
// other node groups use of it.
function nodeGroup(name) {
  const i = NODE_NAMES.split(' ').indexOf(name);
  if (i < 0 || nodeCompat === null || (nodeCompat.alsOnly && name !== 'async_hooks')) throw new Error(`No such built-in module: node:${name}`);
  return loadGroup(NODE_FIRST + i);
}

function words(text) {
  return typeof text === 'string' && text !== '' ? text.split(' ') : [];
}

// The group of node:* module `name` if it was loaded, else undefined (then
// none of its objects exist).
function loadedNodeGroup(name) {
  const i = NODE_NAMES.split(' ').indexOf(name);
  return i < 0 ? undefined : loadedGroup(NODE_FIRST + i);
}

function setUpNode(settings, env) {
  if (!settings) return;
  const vars = {};
  if (settings.populateEnv) {
    for (const key of Object.keys(env)) if (typeof env[key] === 'string') vars[key] = env[key];
  }
  nodeCompat = {
    globals: settings.globals === true, env: vars, alsOnly: settings.alsOnly === true,
    httpServer: settings.httpServer === true,
    builtins: words(settings.builtins),
    withheld: words(settings.withheld),
  };
  // The tables of the `require`s modules make with createRequire (see
  // node/module.js), which each such module hands over by its name.
  nodeCompat.requireTables = new Map();
  Object.defineProperty(globalThis, Symbol.for('motu.require'), {
    __proto__: null,
    value: (name, table) => { nodeCompat.requireTables.set(name, table); },
  });
  // import.meta.resolve: a Node.js built-in resolves to its node: name.
  Object.defineProperty(globalThis, Symbol.for('motu.resolveMeta'), {
    __proto__: null,
    value: (specifier, base) => {
      const s = String(specifier);
      const bare = s.startsWith('node:') ? s.slice(5) : s;
      if (nodeCompat.builtins.includes(bare)) return `node:${bare}`;
      return new (loadGroup(URLS).URL)(s, base).href;
    },
  });
  // cloudflare:node's handlers find the http.Server listening on a port
  // here (undefined when node:http was never loaded: then none listens).
  Object.defineProperty(globalThis, Symbol.for('motu.httpServers'), {
    __proto__: null,
    value: (port) => loadedNodeGroup('http')?.listening.get(port),
  });
  Object.defineProperty(globalThis, Symbol.for('motu.node'), {
    __proto__: null,
    value: (name, sub) => {
      const m = nodeModule(name);
      return sub === undefined ? m : m[sub];
    },
  });
  if (nodeCompat.globals) {
    lazyGlobals(NODE_FIRST + 0, 'Buffer');
    lazyGlobals(NODE_FIRST + 3, 'process');
    lazyGlobals(NODE_FIRST + 7, 'setImmediate clearImmediate');
    Object.defineProperty(globalThis, 'global', { __proto__: null, value: globalThis, writable: true, configurable: true });
  }
}
