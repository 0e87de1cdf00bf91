// node:process — `process` as Cloudflare's Workers runtime has it: an
// EventEmitter with `env` (the Worker's string vars and secrets when
// nodejs_compat_populate_process_env is on, else empty; values set on it
// become strings; shared by every event of the isolate), `nextTick` (a
// microtask), `version`/`versions`, `platform` ('linux'), `cwd()`
// ('/bundle', as on Workers; `chdir` changes it), `hrtime` (and
// `hrtime.bigint`, over performance.now()), `uptime`, `emitWarning`
// (logged with console.warn), `exit` (throws: a Worker cannot end its
// server), `getBuiltinModule`, and the inert members Node.js code reads
// (argv, execArgv, pid, stdout…). Uses the `perf_now` and `console` ops.

const EventEmitter = nodeModule('events');
const NODE_VERSION = '22.14.0';

function envProxy(target) {
  return new Proxy(target, {
    set(t, key, value) { t[key] = typeof key === 'symbol' ? value : String(value); return true; },
    defineProperty(t, key, d) {
      if ('value' in d && typeof key !== 'symbol') d = { ...d, value: String(d.value) };
      return Reflect.defineProperty(t, key, d);
    },
  });
}

let cwd = '/bundle';
const started = op('perf_now');

function hrtime(previous) {
  const ms = op('perf_now');
  let s = Math.floor(ms / 1000);
  let ns = Math.round((ms - s * 1000) * 1e6);
  if (previous !== undefined) {
    if (!Array.isArray(previous) || previous.length !== 2) {
      const e = new TypeError('The "time" argument must be an instance of Array.');
      e.code = 'ERR_INVALID_ARG_TYPE';
      throw e;
    }
    s -= previous[0];
    ns -= previous[1];
    if (ns < 0) { s -= 1; ns += 1e9; }
  }
  return [s, ns];
}
hrtime.bigint = function bigint() { return BigInt(Math.round(op('perf_now') * 1e6)); };

function nextTick(callback, ...args) {
  if (typeof callback !== 'function') {
    const e = new TypeError(`The "callback" argument must be of type function. Received ${callback === null ? 'null' : typeof callback}`);
    e.code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
  queueMicrotask(() => callback(...args));
}

function emitWarning(warning, type, code) {
  if (typeof type === 'object' && type !== null) ({ type, code } = type);
  let w = warning;
  if (typeof warning === 'string') {
    w = new Error(warning);
    w.name = typeof type === 'string' ? type : 'Warning';
    if (code !== undefined) w.code = code;
  }
  if (process.listenerCount('warning') > 0) queueMicrotask(() => process.emit('warning', w));
  op('console', 'warn', `(node) ${code ? `[${code}] ` : ''}${w.name}: ${w.message}`);
}

class Process extends EventEmitter {}
const process = new Process();
// Tagged as Node.js's only where wrangler's bundler would leave workerd's
// own `process` in place (a compatibility date with iterable bodies, see
// fetch_iterable_type_support): before, it injects a plain object, and
// libraries that test `Object.prototype.toString.call(process)` for
// "[object process]" (Astro) take their Node.js ways, answering with
// bodies only iterable-aware runtimes take.
if (workerCompat.iterableBodies) {
  Object.defineProperty(Process.prototype, Symbol.toStringTag, { __proto__: null, value: 'process', configurable: true });
}

Object.assign(process, {
  version: `v${NODE_VERSION}`,
  versions: { node: NODE_VERSION },
  platform: 'linux',
  arch: 'x64',
  title: 'workerd',
  argv: ['workerd'],
  argv0: 'workerd',
  execArgv: [],
  execPath: '/bundle/node',
  pid: 1,
  ppid: 0,
  release: { name: 'node' },
  features: { inspector: false, ipv6: true, tls: true, typescript: false, cached_builtins: true, require_module: false },
  exitCode: undefined,
  env: envProxy(nodeCompat.env),
  nextTick,
  hrtime,
  emitWarning,
  cwd() { return cwd; },
  chdir(dir) { cwd = String(dir).startsWith('/') ? String(dir) : `${cwd.replace(/\/$/, '')}/${dir}`; },
  umask() { return 0o22; },
  uptime() { return (op('perf_now') - started) / 1000; },
  memoryUsage: Object.assign(() => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }), { rss: () => 0 }),
  cpuUsage() { return { user: 0, system: 0 }; },
  exit(code) {
    const c = code === undefined ? process.exitCode ?? 0 : code;
    const e = new Error(`process.exit(${c}) was called: a Worker cannot end its server`);
    e.code = 'ERR_PROCESS_EXIT';
    throw e;
  },
  abort() { throw new Error('process.abort() was called'); },
  getBuiltinModule(id) {
    const name = String(id).replace(/^node:/, '');
    if (!nodeCompat.builtins.includes(name) || nodeCompat.withheld.includes(name)) return undefined;
    try { return nodeModule(name.split('/')[0]) && globalThis[Symbol.for('motu.node')](name.split('/')[0], name.split('/')[1]); } catch { return undefined; }
  },
  stdout: { isTTY: false, write(s) { op('console', 'info', String(s).replace(/\n$/, '')); return true; } },
  stderr: { isTTY: false, write(s) { op('console', 'error', String(s).replace(/\n$/, '')); return true; } },
  stdin: undefined,
});

const module = process;
if (nodeCompat.globals) defineGlobal('process', process);
