// node:module — what a Worker can use of Node's module system:
// `builtinModules` (every node:* module this Worker can import, the
// stand-ins and node:punycode too, as its compatibility flags have them),
// `isBuiltin`, and `createRequire(url)`.
//
// The `require` that `createRequire` gives returns the built-in modules
// (`require('node:crypto')`, `require('events')`) and, for a module of the
// Worker that makes it from its own `import.meta.url` (or its path under
// /bundle), what the module requires by a literal specifier: its own
// CommonJS files, JSON files and npm packages, resolved when the Worker
// starts, as the loader does for `require()` (see crates/loader's `format`
// module: such a module hands its table to `globalThis[Symbol.for(
// 'motu.require')]`, kept in `nodeCompat.requireTables` by module name).
// Anything else is MODULE_NOT_FOUND, saying why. Node's loader internals
// (`register`, `Module._load`, source maps…) are not there.
const { nodeError, invalidArgType } = nodeGroup('buffer');

// The node:* modules written as groups, with the group (and member) each
// one is: what `require` gives without a table.
const BUILTIN_GROUPS = {
  assert: ['assert'], 'assert/strict': ['assert', 'strict'], async_hooks: ['async_hooks'], buffer: ['buffer'],
  crypto: ['crypto'], diagnostics_channel: ['diagnostics_channel'], dns: ['dns'], 'dns/promises': ['dns', 'promises'],
  events: ['events'], fs: ['fs'], 'fs/promises': ['fs', 'promises'], http: ['http'], https: ['https'], module: ['module'],
  net: ['net'], os: ['os'], path: ['path'], 'path/posix': ['path', 'posix'], process: ['process'],
  querystring: ['querystring'], stream: ['stream'], 'stream/promises': ['stream', 'promises'],
  'stream/web': ['stream_web'], string_decoder: ['string_decoder'], timers: ['timers'],
  'timers/promises': ['timers', 'promises'], tls: ['tls'], url: ['url'], util: ['util'], 'util/types': ['util', 'types'],
  zlib: ['zlib'],
};

// Every module this Worker can import, sorted (from the runtime).
const builtinModules = Object.freeze([...nodeCompat.builtins]);

function bareName(id) {
  return id.startsWith('node:') ? id.slice(5) : id;
}

function isBuiltin(id) {
  return typeof id === 'string' && builtinModules.includes(bareName(id));
}

function notFound(id, from, why) {
  const e = new Error(`Cannot find module '${id}' from '${from}': ${why}`);
  e.code = 'MODULE_NOT_FOUND';
  return e;
}

// The module name (under /bundle) that `from` names, or undefined.
function bundleName(from) {
  let path;
  if (from instanceof URL) {
    if (from.protocol !== 'file:') return undefined;
    path = decodeURIComponent(from.pathname);
  } else if (from.startsWith('file:')) {
    try { path = decodeURIComponent(new URL(from).pathname); } catch { return undefined; }
  } else {
    path = from;
  }
  if (path.startsWith('/bundle/')) return path.slice(8);
  return path.startsWith('/') ? path.slice(1) : undefined;
}

function createRequire(from) {
  if (!(from instanceof URL) && typeof from !== 'string') {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'filename' must be a file URL object, file URL string, or absolute path string. Received ${String(from)}`);
  }
  if (typeof from === 'string' && !from.startsWith('file:') && !from.startsWith('/')) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'filename' must be a file URL object, file URL string, or absolute path string. Received '${from}'`);
  }
  const shown = from instanceof URL ? from.href : from;
  const name = bundleName(from);
  const table = () => (name === undefined ? undefined : nodeCompat.requireTables.get(name));
  function require(id) {
    if (typeof id !== 'string') throw invalidArgType('id', 'of type string', id);
    if (id === '') throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', "The argument 'id' must be a non-empty string. Received ''");
    const bare = bareName(id);
    if (builtinModules.includes(bare) && BUILTIN_GROUPS[bare] !== undefined && !nodeCompat.withheld.includes(bare)) {
      const [group, member] = BUILTIN_GROUPS[bare];
      const m = nodeModule(group);
      return member === undefined ? m : m[member];
    }
    const t = table();
    if (t !== undefined) {
      try {
        return t(id);
      } catch (e) {
        if (e === null || typeof e !== 'object' || e.code !== 'MODULE_NOT_FOUND' || !String(e.message).startsWith(`Cannot find module '${id}' from`)) throw e;
      }
    }
    if (id.startsWith('node:') || builtinModules.includes(bare)) {
      throw notFound(id, shown, builtinModules.includes(bare)
        ? 'this built-in module is given to a require() only where the module calls it with this literal specifier'
        : 'no such built-in module for this Worker');
    }
    throw notFound(id, shown, t === undefined
      ? 'a createRequire() function gives the Worker\'s own modules only when made from a module\'s import.meta.url'
      : 'the module requires it only with a specifier computed at run time (motu resolves literal specifiers when the Worker starts)');
  }
  require.resolve = function resolve(id) {
    if (isBuiltin(id)) return id.startsWith('node:') ? id : bareName(id);
    throw notFound(id, shown, 'require.resolve() knows only the built-in modules');
  };
  require.resolve.paths = id => (isBuiltin(id) ? null : []);
  require.cache = Object.create(null);
  require.main = undefined;
  require.extensions = Object.create(null);
  return require;
}

function Module() {
  throw nodeError(Error, 'ERR_METHOD_NOT_IMPLEMENTED', 'The Module constructor is not implemented');
}
Object.assign(Module, { builtinModules, isBuiltin, createRequire });

const module = { builtinModules, isBuiltin, createRequire, Module };
Module.Module = Module;
