//! AsyncLocalStorage (`node:async_hooks`) under concurrency, on every
//! engine: several requests in flight at once in one isolate, each in its
//! own `run`, interleaving their awaits (timers, microtasks, promises that
//! another request resolves), never see each other's store; a store entered
//! with `enterWith` does not outlive its event; `nodejs_als` alone gives
//! `node:async_hooks` and nothing else. The single-flow behaviour (await
//! chains, `.then`, timers, `queueMicrotask`, listeners, streams, `run`
//! nesting, `exit`, AsyncResource) is compared with Node.js in
//! tests/node_compat.rs (fixtures/node/async_hooks.mjs).

mod common;

use common::{on_each_engine, Server, TempConfig};

/// How many requests are in flight together.
const IN_FLIGHT: usize = 6;

/// Each request `/?id=N` runs in its own store and waits until all
/// `IN_FLIGHT` requests of its round have arrived; then each resolves the next one's
/// promise (so every wake-up comes from another request's context) and
/// steps through timers, microtasks and plain awaits, noting the store's
/// id at every step.
const WORKER: &str = "\
import { AsyncLocalStorage } from 'node:async_hooks';
const als = new AsyncLocalStorage();
const N = IN_FLIGHT;
const deferred = () => { let resolve; const promise = new Promise(r => { resolve = r; }); return { promise, resolve }; };
// Waits for `promise` (which another request resolves) while a timer
// keeps this request visibly busy: an event waiting on nothing but a
// promise is one the runtime stops as hung.
const waitFor = promise => {
  let done = false;
  promise.then(() => { done = true; });
  const busy = (async () => { while (!done) await new Promise(r => setTimeout(r, 1)); })();
  return Promise.race([promise, busy]);
};
// One gate per round of N requests.
const newGate = () => ({ arrived: 0, all: deferred(), turns: Array.from({ length: N }, deferred) });
let gate = newGate();
const step = k => k % 3 === 0 ? new Promise(r => setTimeout(r, 1))
  : k % 3 === 1 ? new Promise(r => queueMicrotask(r)) : null;
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/enter') {
      als.enterWith({ id: 'entered' });
      return new Response(String(als.getStore().id));
    }
    if (url.pathname === '/probe') return new Response(String(als.getStore()?.id));
    if (url.pathname === '/thenable') {
      const seen = await als.run({ id: 'resolver' }, () =>
        Promise.resolve({ then(resolve) { resolve(als.getStore()?.id); } }));
      return new Response(String(seen));
    }
    const id = Number(url.searchParams.get('id'));
    return als.run({ id }, async () => {
      const seen = [als.getStore().id];
      const g = gate;
      if (++g.arrived === N) { gate = newGate(); g.all.resolve(); }
      await waitFor(g.all.promise);
      seen.push(als.getStore().id);
      g.turns[(id + 1) % N].resolve();
      await waitFor(g.turns[id].promise);
      seen.push(als.getStore().id);
      for (let k = 0; k < 9; k++) {
        await step(k + id);
        seen.push(als.getStore().id);
      }
      const later = await new Promise(r => setTimeout(() => r(als.getStore().id), 1));
      seen.push(later);
      return Response.json({ id, seen });
    });
  },
};
";

fn serve(engine: &str, flags: &str, main: &str, files: &[(&str, &str)]) -> (TempConfig, Server) {
    let toml = format!(
        "[[workers]]\nname = \"w\"\nmain = \"{main}\"\n\
         compatibility_date = \"2025-04-01\"\ncompatibility_flags = [{flags}]\nroutes = [\"*/*\"]\n"
    );
    let mut all = files.to_vec();
    all.push(("motu.toml", &toml));
    let c = TempConfig::new(&all);
    // One executor thread: the Worker then has one isolate, which takes
    // every request.
    let s = Server::start(&[
        "--config",
        &c.path("motu.toml"),
        "--engine",
        engine,
        "--threads",
        "1",
    ]);
    (c, s)
}

#[test]
fn concurrent_requests_never_see_each_others_store() {
    on_each_engine(
        "concurrent_requests_never_see_each_others_store",
        |engine| {
            let worker = WORKER.replace("IN_FLIGHT", &IN_FLIGHT.to_string());
            let (_c, s) = serve(
                engine,
                "\"nodejs_compat\"",
                "worker.mjs",
                &[("worker.mjs", &worker)],
            );
            // Twice: the second round runs on the warm isolate.
            for round in 0..2 {
                let threads: Vec<_> = (0..IN_FLIGHT)
                    .map(|id| {
                        let addr = s.addr.clone();
                        std::thread::spawn(move || {
                            common::request(&addr, "GET", &format!("/?id={id}"), &[], b"")
                        })
                    })
                    .collect();
                for (id, t) in threads.into_iter().enumerate() {
                    let r = t.join().unwrap();
                    assert_eq!(
                        r.status,
                        200,
                        "round {round} id {id}: {}\n{}",
                        r.text(),
                        s.log()
                    );
                    let body = r.json();
                    let seen = body["seen"].as_array().unwrap();
                    assert_eq!(seen.len(), 13, "{body}");
                    assert!(
                        seen.iter().all(|v| v.as_u64() == Some(id as u64)),
                        "round {round}: request {id} saw another request's store: {body}"
                    );
                }
            }
        },
    );
}

#[test]
fn a_store_entered_with_enter_with_ends_with_its_event() {
    on_each_engine(
        "a_store_entered_with_enter_with_ends_with_its_event",
        |engine| {
            let worker = WORKER.replace("IN_FLIGHT", "1");
            let (_c, s) = serve(
                engine,
                "\"nodejs_compat\"",
                "worker.mjs",
                &[("worker.mjs", &worker)],
            );
            assert_eq!(s.get("/probe").text(), "undefined");
            assert_eq!(s.get("/enter").text(), "entered");
            assert_eq!(s.get("/probe").text(), "undefined", "{}", s.log());
        },
    );
}

/// A thenable's `then` runs in the context that resolved a promise with it
/// (as in Node.js).
#[test]
fn a_thenable_runs_in_the_context_that_resolved_it() {
    on_each_engine(
        "a_thenable_runs_in_the_context_that_resolved_it",
        |engine| {
            let worker = WORKER.replace("IN_FLIGHT", "1");
            let (_c, s) = serve(
                engine,
                "\"nodejs_compat\"",
                "worker.mjs",
                &[("worker.mjs", &worker)],
            );
            assert_eq!(s.get("/thenable").text(), "resolver", "{}", s.log());
        },
    );
}

const ALS_ONLY: &str = "\
export default {
  async fetch() {
    const attempt = async (specifier) => {
      try { const m = await import(specifier); return typeof m.AsyncLocalStorage; } catch (e) { return 'absent'; }
    };
    return Response.json([
      await attempt('node:async_hooks'),
      await attempt('async_hooks'),
      await attempt('node:buffer'),
      typeof process,
      typeof Buffer,
    ]);
  },
};
";

#[test]
fn nodejs_als_alone_gives_async_hooks_only() {
    on_each_engine("nodejs_als_alone_gives_async_hooks_only", |engine| {
        let (_c, s) = serve(
            engine,
            "\"nodejs_als\"",
            "probe.mjs",
            &[("probe.mjs", ALS_ONLY)],
        );
        let r = s.get("/");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        assert_eq!(
            r.json(),
            serde_json::json!(["function", "function", "absent", "undefined", "undefined"])
        );
        let (_c, s) = serve(engine, "", "probe.mjs", &[("probe.mjs", ALS_ONLY)]);
        assert_eq!(
            s.get("/").json(),
            serde_json::json!(["absent", "absent", "absent", "undefined", "undefined"])
        );
    });
}
