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
//   runs (importScripts, fetch, idlharness), by absolute WPT path
//   (/url/resources/urltestdata.json);
// - WPT_URL: the test's URL (http://web-platform.test:8000/dir/file.any.js);
// - WPT_TIMEOUT_MS: how long the file may take;
// - WPT_TITLE (optional): the test's META: title=, for default test names;
// - WPT_EVAL (optional): an object whose eval(source, name) runs a script,
//   for runtimes without eval: workerd's unsafeEval binding, which compiles
//   each source as a script of its own (top-level let, const and class are
//   then shared between scripts, as across the <script> elements of a page,
//   where an indirect eval keeps them to itself). The global `eval` then
//   runs its argument with it too.
//
// What the shim provides that a dedicated worker has and a Worker may not:
// `self`, `location` and `importScripts` (of the files in WPT_LIBRARY), each
// only when the runtime has none; idlharness's `fetch_spec`, which reads the IDL files
// from WPT_LIBRARY; and, standing in for the WPT server, fetch() of the
// test's origin answers with the static files in WPT_LIBRARY. Any other
// same-origin URL rejects with a plain Error (not the TypeError of a network
// error, so no test that expects fetch() to fail passes by it), and other
// origins go to the runtime's own fetch(); without one, they reject the same
// way. The answer's `shimmed` lists what was added.

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
  if (typeof WPT_EVAL === 'object' && WPT_EVAL !== null) {
    // The runtime forbids eval; idlharness, the one user of eval in the
    // subset, evaluates expressions of globals only (`eval(desc)`), which
    // WPT_EVAL runs the same.
    globalThis.eval = function evaluate(source) {
      return typeof source === 'string' ? WPT_EVAL.eval(source) : source;
    };
    shimmed.push('eval (WPT_EVAL)');
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
    const realFetch = typeof fetch === 'function' ? fetch : null;
    const contentType = (path) => {
      const ext = path.slice(path.lastIndexOf('.') + 1);
      return { json: 'application/json', js: 'text/javascript', txt: 'text/plain', idl: 'text/plain',
        html: 'text/html', xml: 'application/xml', css: 'text/css' }[ext] || 'application/octet-stream';
    };
    const offline = (what) => ShimPromise.reject(new Error(`${what} is not available offline (no WPT server)`));
    globalThis.fetch = function fetch(input, init) {
      let target;
      try {
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input && input.url;
        target = new ShimURL(String(url), location.href);
      } catch {
        return realFetch ? realFetch(input, init) : offline('fetch()');
      }
      if (target.origin !== origin) return realFetch ? realFetch(input, init) : offline(`fetch(${target.origin})`);
      const path = libraryPath(target.href, location.href);
      if (path === null) return offline(target.pathname);
      return ShimPromise.resolve(new ShimResponse(WPT_LIBRARY[path], { headers: { 'content-type': contentType(path) } }));
    };
    shimmed.push(realFetch ? 'fetch (test origin)' : 'fetch (test origin only)');

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
