// The Worker that runs one web-platform-tests file: a service-worker script
// whose fetch handler evaluates the real testharness.js, then the files the
// test imports (META: script=) and the test itself as global code (indirect
// eval, so the Worker needs code generation allowed), then answers
// with the results as JSON once testharness reports completion, or when the
// file's time is up.
//
// Globals the runner passes as vars:
// - WPT_SCRIPTS: [{ url, source }]: testharness.js (for .any.js tests), the
//   META: script= files and the test;
// - WPT_LIBRARY: { path: source } of the files the test may load while it
//   runs (importScripts, idlharness), by absolute WPT path
//   (/url/resources/urltestdata.json);
// - WPT_URL: the test's URL on the runner's test server
//   (http://localhost:PORT/dir/file.any.js);
// - WPT_TIMEOUT_MS: how long the file may take;
// - WPT_TITLE (optional): the test's META: title=, for default test names;
// - WPT_EVAL (optional): an object whose eval(source, name) runs a script,
//   for runtimes without eval: workerd's unsafeEval binding, which compiles
//   each source as a script of its own (top-level let, const and class are
//   then shared between scripts, as across the <script> elements of a page,
//   where an indirect eval keeps them to itself). The global `eval` then
//   runs its argument with it too.
//
// fetch() is the runtime's own: the runner's test server (see
// src/server/) answers the test's origin, the Worker's egress policy
// allows it, and relative URLs resolve against WPT_URL (the runner sets it
// as the Worker's base URL).
//
// What the shim provides that a dedicated worker has and a Worker may not:
// `self`, `location`, `importScripts` (of the files in WPT_LIBRARY) and the
// global's interface `DedicatedWorkerGlobalScope`, each only when the
// runtime has none; and idlharness's `fetch_spec`, which reads the IDL files
// from WPT_LIBRARY. The answer's `shimmed` lists what was added.

addEventListener('fetch', (event) => event.respondWith(runWpt()));

// The shim's own tools, taken before any test can replace them.
const { URL: ShimURL, Response: ShimResponse, Promise: ShimPromise, JSON: ShimJSON, setTimeout: shimSetTimeout } =
  globalThis;
const shimEval =
  typeof WPT_EVAL === 'object' && WPT_EVAL !== null
    ? (source, url) => WPT_EVAL.eval(source, url)
    : (source, url) => (0, eval)(`${source}\n//# sourceURL=${url}`);

function runWpt() {
  const shimmed = [];
  const errors = [];
  const origin = new ShimURL(WPT_URL).origin;
  const define = (name, value) => {
    if (!(name in globalThis)) {
      Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
      shimmed.push(name);
    }
  };
  define('self', globalThis);
  define('location', new ShimURL(WPT_URL));
  // The runner runs a test as the dedicated-worker variant of its .any.js
  // file, and idlharness decides which IDL members must exist by the
  // interface of the global (`self instanceof DedicatedWorkerGlobalScope`).
  // A Worker's global is a plain object, so once testharness.js has set
  // itself up (it would otherwise take the global for a real dedicated
  // worker and report through postMessage), the shim names the global's
  // interface: an interface object that no script can construct and that
  // only the global object is an instance of. The global's prototype chain
  // stays as the engine made it.
  const declareGlobalInterface = () => {
    // A runtime whose global has a worker interface of its own keeps it.
    if ('DedicatedWorkerGlobalScope' in globalThis || 'ServiceWorkerGlobalScope' in globalThis) return;
    const global = globalThis;
    function DedicatedWorkerGlobalScope() {
      throw new TypeError('Illegal constructor');
    }
    Object.defineProperty(DedicatedWorkerGlobalScope, Symbol.hasInstance, {
      value: (value) => value === global,
    });
    define('DedicatedWorkerGlobalScope', DedicatedWorkerGlobalScope);
  };
  if (typeof WPT_EVAL === 'object' && WPT_EVAL !== null) {
    // The runtime forbids eval; idlharness, the one user of eval in the
    // subset, evaluates expressions of globals only (`eval(desc)`), which
    // WPT_EVAL runs the same.
    globalThis.eval = function evaluate(source) {
      return typeof source === 'string' ? WPT_EVAL.eval(source) : source;
    };
    shimmed.push('eval (WPT_EVAL)');
  }
  // A runtime whose Workers have no base URL (motu gives them the test's
  // URL) cannot fetch the relative URLs tests load their data with: fetch()
  // of a relative string or URL then resolves it against `location` first.
  // `new Request('relative')` still throws there.
  let relativeOk = true;
  try { new Request('motu-wpt-relative'); } catch { relativeOk = false; }
  if (!relativeOk && typeof fetch === 'function') {
    const runtimeFetch = fetch;
    globalThis.fetch = function fetch(input, init) {
      let absolute = input;
      if (typeof input === 'string' || input instanceof ShimURL) {
        try { absolute = new ShimURL(String(input), location.href).href; } catch { /* the runtime's error */ }
      }
      return runtimeFetch(absolute, init);
    };
    shimmed.push('fetch (relative URLs)');
  }
  // WPT's generated wrappers set these; they are the harness's, not APIs.
  if (typeof WPT_TITLE === 'string') globalThis.META_TITLE = WPT_TITLE;
  globalThis.GLOBAL = {
    isWindow: () => false,
    isWorker: () => true,
    isShadowRealm: () => false,
  };
  const describe = (e) => {
    if (e && typeof e === 'object' && 'message' in e) return `${e.name || 'Error'}: ${e.message}`;
    try { return `uncaught ${String(e)}`; } catch { return 'uncaught exception'; }
  };
  const libraryPath = (url, base) => {
    let resolved;
    try { resolved = new ShimURL(url, base); } catch { return null; }
    if (resolved.origin !== origin) return null;
    return resolved.pathname in WPT_LIBRARY ? resolved.pathname : null;
  };

  return new ShimPromise((resolve) => {
    let finished = false;
    let hooked = false;
    const finish = (payload) => {
      if (finished) return;
      finished = true;
      payload.errors = errors;
      payload.shimmed = shimmed;
      resolve(new ShimResponse(ShimJSON.stringify(payload), { headers: { 'content-type': 'application/json' } }));
    };
    const clone = (t) => ({
      name: String(t.name),
      status: typeof t.status === 'number' ? t.status : null,
      message: t.message == null ? null : String(t.message),
    });
    const results = new Map();
    // Hooks testharness as soon as it has defined its API.
    const hook = () => {
      if (hooked || typeof add_completion_callback !== 'function') return;
      hooked = true;
      add_result_callback((t) => results.set(t, clone(t)));
      add_completion_callback((tests, status) => {
        finish({
          complete: true,
          harness: { status: status.status, message: status.message == null ? null : String(status.message) },
          tests: tests.map(clone),
        });
      });
    };
    const run = (source, url) => {
      try {
        shimEval(source, url);
      } catch (e) {
        errors.push(`${new ShimURL(url).pathname}: ${describe(e)}`);
      }
      hook();
      if (url.endsWith('/resources/idlharness.js') && typeof fetch_spec === 'function') {
        // idlharness fetches /interfaces/<spec>.idl from the WPT server;
        // the runner passes the ones the test names instead.
        globalThis.fetch_spec = (spec) => {
          const idl = WPT_LIBRARY[`/interfaces/${spec}.idl`];
          return idl === undefined
            ? ShimPromise.reject(new Error(`/interfaces/${spec}.idl is not available offline`))
            : ShimPromise.resolve({ spec, idl });
        };
        shimmed.push('fetch_spec (idlharness)');
      }
    };

    define('importScripts', function importScripts(...urls) {
      for (const url of urls) {
        const path = libraryPath(String(url), location.href);
        if (path === null) throw new DOMException(`importScripts: ${url} is not available offline`, 'NetworkError');
        run(WPT_LIBRARY[path], new ShimURL(path, origin).href);
      }
    });
    shimSetTimeout(() => {
      if (finished) return;
      // Ask testharness to time out: it completes the pending tests with
      // TIMEOUT and calls the completion callback. If even that does not
      // answer, report what has finished so far.
      if (typeof timeout === 'function') {
        try { timeout(); } catch (e) { errors.push(`timeout(): ${describe(e)}`); }
      }
      shimSetTimeout(() => finish({ complete: false, harness: { status: 2, message: 'the shim timed out' }, tests: [...results.values()] }), 500);
    }, WPT_TIMEOUT_MS);

    // testharness.js first, on its own; then the test with its META:
    // script= files as one script, so that their top-level let, const and
    // class declarations see each other as they would across the <script>
    // elements of a page (each indirect eval has its own lexical scope).
    // The leading statement keeps a file's 'use strict' from becoming the
    // directive of the whole: the combined script is sloppy, as most WPT
    // helpers expect.
    const [harness, ...rest] = WPT_SCRIPTS;
    if (harness) run(harness.source, harness.url);
    declareGlobalInterface();
    if (rest.length > 0) {
      const combined = rest.map(({ source }) => source).join('\n;\n');
      run(`void 0;\n${combined}`, rest[rest.length - 1].url);
    }
    if (!hooked) {
      finish({ complete: false, harness: { status: 1, message: 'testharness.js did not load' }, tests: [] });
      return;
    }
    // In a service-worker global (workerd has one; motu does not, so
    // testharness takes its shell environment there) testharness waits for
    // the install event a browser fires once the worker's scripts have run.
    if (typeof ServiceWorkerGlobalScope === 'function' && globalThis instanceof ServiceWorkerGlobalScope) {
      shimmed.push('install event');
      try {
        globalThis.dispatchEvent(new Event('install'));
      } catch (e) {
        errors.push(`install event: ${describe(e)}`);
      }
    }
    // As WPT's generated worker wrappers do after the test file.
    try { done(); } catch (e) { errors.push(`done(): ${describe(e)}`); }
  });
}
