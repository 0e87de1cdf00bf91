// node:module — what a Worker can use of Node's module system: `builtinModules`
// (the node:* modules motu gives), `isBuiltin`, and `createRequire(url)`,
// whose `require` gives those built-in modules (`require('node:crypto')`,
// `require('events')`), as ES module builds of npm packages made for
// Node.js use it. The Worker's own files are imported or `require`d
// directly (the loader links them when the Worker starts); through a
// `createRequire` function they are not found (MODULE_NOT_FOUND, saying
// so). Node's loader internals (`register`, `Module._load`, source maps…)
// are not there.
const { nodeError, invalidArgType } = nodeGroup('buffer');

// The node:* modules, with the group (and member) each one is.
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

const builtinModules = Object.keys(BUILTIN_GROUPS);

function bareName(id) {
  return id.startsWith('node:') ? id.slice(5) : id;
}

function isBuiltin(id) {
  return typeof id === 'string' && builtinModules.includes(bareName(id));
}

function notFound(id, from) {
  const e = new Error(`Cannot find module '${id}' from '${from}': a createRequire() function gives only the built-in modules (import or require the Worker's own modules directly)`);
  e.code = 'MODULE_NOT_FOUND';
  return e;
}

function createRequire(from) {
  // Any referrer does: `import.meta.url` (which a motu module may not
  // have) only names it in messages.
  const shown = from instanceof URL ? from.href : String(from);
  function require(id) {
    if (typeof id !== 'string') throw invalidArgType('id', 'of type string', id);
    if (id === '') throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', "The argument 'id' must be a non-empty string. Received ''");
    const name = bareName(id);
    if (!builtinModules.includes(name)) throw notFound(id, shown);
    const [group, member] = BUILTIN_GROUPS[name];
    const m = nodeModule(group);
    return member === undefined ? m : m[member];
  }
  require.resolve = function resolve(id) {
    if (isBuiltin(id)) return id.startsWith('node:') ? id : bareName(id);
    throw notFound(id, shown);
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
