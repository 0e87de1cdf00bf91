// A tiny test harness for Web API checks that run inside a Worker. Each
// check is a name and a function (given the Worker's `env`); the Worker
// answers with the failures.
export function suite(define) {
  return {
    async fetch(request, env) {
      const checks = [];
      define((name, fn) => checks.push([name, fn]));
      const failures = [];
      for (const [name, fn] of checks) {
        try {
          if (globalThis.TRACE_CHECKS) console.log(`check: ${name}`);
          await fn(env);
        } catch (e) {
          failures.push(`${name}: ${e}${e && e.stack ? `\n${e.stack}` : ''}`);
        }
      }
      return Response.json({ total: checks.length, failures });
    },
  };
}

export function eq(actual, expected, what = '') {
  const a = JSON.stringify(actual), b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what} expected ${b}, got ${a}`);
}

export function throws(fn, ctor, what = '') {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ctor)) throw new Error(`${what} threw ${e && e.name}, expected ${ctor.name}`);
    return e;
  }
  throw new Error(`${what} did not throw ${ctor.name}`);
}

export async function rejects(promise, ctor, what = '') {
  try {
    await promise;
  } catch (e) {
    if (!(e instanceof ctor)) throw new Error(`${what} rejected with ${e && e.name}, expected ${ctor.name}`);
    return e;
  }
  throw new Error(`${what} did not reject with ${ctor.name}`);
}
