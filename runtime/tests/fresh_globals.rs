//! Every isolate starts from the prelude as evaluated, on every engine: a
//! Worker that replaces or marks the prelude's globals, prototypes and lazily
//! loaded groups changes its own isolate only. Another Worker's isolate, and
//! the same Worker's isolate restarted after an eviction, see the Web APIs
//! untouched — however the engine makes an isolate (V8 deserializes a
//! startup snapshot of the evaluated prelude).

use motu_runtime::prelude::*;

/// `/mutate` changes what a Worker can reach of the prelude, then answers
/// with `view()`; `/view` answers with it alone; `/spin` runs past the CPU
/// limit, which evicts the isolate.
const WORKER: &str = r#"
function view() {
  return JSON.stringify({
    header: new Headers([['a', 'b']]).get('a'),
    responseMark: String(Response.prototype.mark),
    fetch: fetch.name,
    arrayLeak: String([].leak),
    stringify: JSON.stringify([1]),
    streamMark: String(ReadableStream.prototype.mark),
    urlHost: new URL('http://example.com/').host,
    textEncoder: String(TextEncoder.mark),
    signalMark: String(new AbortController().signal.mark),
    domException: new DOMException('m', 'AbortError').code,
    own: String(globalThis.leaked),
  });
}
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === '/spin') for (;;) {}
    if (path === '/mutate') {
      Headers.prototype.get = () => 'replaced';
      Response.prototype.mark = 'marked';
      globalThis.fetch = function replacedFetch() {};
      Array.prototype.leak = 'leaked';
      const stringify = JSON.stringify;
      JSON.stringify = (v) => 'replaced:' + stringify(v);
      ReadableStream.prototype.mark = 'marked';
      Object.defineProperty(URL.prototype, 'host', { get: () => 'replaced' });
      TextEncoder.mark = 'marked';
      EventTarget.prototype.mark = 'marked';
      Object.defineProperty(DOMException.prototype, 'code', { get: () => -1 });
      globalThis.leaked = 'leaked';
    }
    return new Response(view());
  },
};"#;

const PRISTINE: &str = r#"{"header":"b","responseMark":"undefined","fetch":"fetch","arrayLeak":"undefined","stringify":"[1]","streamMark":"undefined","urlHost":"example.com","textEncoder":"undefined","signalMark":"undefined","domException":20,"own":"undefined"}"#;

fn get(worker: &str, path: &str) -> FetchRequest {
    http::Request::get(format!("http://{worker}.localhost{path}"))
        .body(Body::empty())
        .unwrap()
}

async fn text(runtime: &Runtime, worker: &str, path: &str) -> String {
    let response = runtime
        .fetch(worker, get(worker, path))
        .await
        .unwrap_or_else(|e| panic!("{worker}{path}: {e}"));
    let bytes = response.body().as_bytes().expect("a whole body");
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_workers_changes_to_the_prelude_stay_in_its_isolate() {
    for engine in motu_runtime::EngineSet::builtin_names() {
        actix::System::new().block_on(async {
            let runtime = Runtime::start(RuntimeConfig {
                threads: 1,
                ..Default::default()
            })
            .unwrap();
            for name in ["mutator", "observer"] {
                let spec = WorkerSpec::from_source(name, WORKER).with_engine(*engine);
                runtime.register(spec).await.unwrap();
            }
            // The view itself reads the prelude as it is.
            assert_eq!(
                text(&runtime, "observer", "/view").await,
                PRISTINE,
                "{engine}"
            );
            let mutated = text(&runtime, "mutator", "/mutate").await;
            assert!(
                mutated.contains(r#""header":"replaced""#)
                    && mutated.contains(r#""urlHost":"replaced""#)
                    && mutated.contains(r#""signalMark":"marked""#)
                    && mutated.contains(r#""domException":-1"#),
                "{engine}: the mutations took: {mutated}"
            );
            // Another Worker's isolate, started before and after.
            assert_eq!(
                text(&runtime, "observer", "/view").await,
                PRISTINE,
                "{engine}"
            );
            runtime
                .register(WorkerSpec::from_source("late", WORKER).with_engine(*engine))
                .await
                .unwrap();
            assert_eq!(text(&runtime, "late", "/view").await, PRISTINE, "{engine}");
            // The same Worker on a fresh isolate after an eviction.
            match runtime.fetch("mutator", get("mutator", "/spin")).await {
                Err(RuntimeError::CpuLimit { .. }) => {}
                other => panic!("{engine}: expected a CPU limit, got {other:?}"),
            }
            assert_eq!(
                text(&runtime, "mutator", "/view").await,
                PRISTINE,
                "{engine}"
            );
        });
    }
}
