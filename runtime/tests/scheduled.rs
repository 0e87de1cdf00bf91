//! Scheduled events through the embedding API, on every engine: the
//! controller's fields, both syntaxes, failures, and the state a run leaves
//! for the next request.

use motu_runtime::prelude::*;
use motu_runtime::ScheduledOutcome;

fn engines() -> &'static [&'static str] {
    motu_runtime::EngineSet::builtin_names()
}

const MODULE: &str = "
let runs = [];
export default {
  async scheduled(controller, env, ctx) {
    if (controller.cron === 'throw') throw new RangeError('cron failed');
    await new Promise(r => setTimeout(r, 5));
    runs.push(`${controller.type} ${controller.cron} ${controller.scheduledTime} ${typeof controller.noRetry}`);
    ctx.waitUntil(new Promise(r => setTimeout(r, 5)).then(() => runs.push('after')));
  },
  fetch() { return new Response(runs.join('|')); },
};";

const SCRIPT: &str = "
let seen = '';
addEventListener('scheduled', event => {
  seen = `${event.type} ${event.cron} ${event.scheduledTime}`;
  event.waitUntil(Promise.resolve());
});
addEventListener('fetch', event => event.respondWith(new Response(seen)));";

async fn start(engine: &str, source: &str) -> Runtime {
    let runtime = Runtime::start(RuntimeConfig {
        threads: 1,
        ..Default::default()
    })
    .unwrap();
    let spec = WorkerSpec::from_source("cron", source).with_engine(engine);
    runtime.register(spec).await.unwrap();
    runtime
}

async fn text(runtime: &Runtime) -> String {
    let request = http::Request::get("http://cron.localhost/")
        .body(Body::empty())
        .unwrap();
    let response = runtime.fetch("cron", request).await.unwrap();
    let body = response.into_body().collect().await.unwrap();
    String::from_utf8_lossy(&body).into_owned()
}

#[test]
fn module_workers_get_a_scheduled_controller() {
    for engine in engines() {
        actix::System::new().block_on(async {
            let runtime = start(engine, MODULE).await;
            runtime
                .scheduled("cron", "*/5 * * * *", 1_700_000_000_000.0)
                .await
                .unwrap();
            actix_rt::time::sleep(std::time::Duration::from_millis(50)).await;
            assert_eq!(
                text(&runtime).await,
                "scheduled */5 * * * * 1700000000000 function|after",
                "{engine}"
            );
            let e = runtime.scheduled("cron", "throw", 0.0).await.unwrap_err();
            assert!(
                matches!(&e, RuntimeError::Exception { error, .. } if error.name == "RangeError" && error.message == "cron failed"),
                "{engine}: {e:?}"
            );
            let stats = runtime.stats().await;
            let count = |o| stats.scheduled.get(&("cron".to_owned(), o)).copied();
            assert_eq!(count(ScheduledOutcome::Ok), Some(1), "{engine}");
            assert_eq!(count(ScheduledOutcome::Exception), Some(1), "{engine}");
        });
    }
}

#[test]
fn service_worker_scripts_listen_for_scheduled() {
    for engine in engines() {
        actix::System::new().block_on(async {
            let runtime = start(engine, SCRIPT).await;
            runtime.scheduled("cron", "@hourly", 42.0).await.unwrap();
            assert_eq!(text(&runtime).await, "scheduled @hourly 42", "{engine}");
        });
    }
}

#[test]
fn a_worker_without_a_scheduled_handler_says_so() {
    for engine in engines() {
        actix::System::new().block_on(async {
            let source = "export default { fetch() { return new Response('x'); } };";
            let runtime = start(engine, source).await;
            let e = runtime.scheduled("cron", "@daily", 0.0).await.unwrap_err();
            assert!(
                e.to_string().contains("no scheduled handler"),
                "{engine}: {e}"
            );
            assert_eq!(text(&runtime).await, "x", "{engine}: fetch still works");
        });
    }
}

#[test]
fn scheduled_events_are_held_to_the_cpu_limit() {
    for engine in engines() {
        actix::System::new().block_on(async {
            let source = "
              let runs = 0;
              export default {
                scheduled() { runs++; for (;;) {} },
                fetch() { return new Response(`runs ${runs}`); },
              };";
            let runtime = start(engine, source).await;
            let e = runtime.scheduled("cron", "@daily", 0.0).await.unwrap_err();
            assert!(
                matches!(e, RuntimeError::CpuLimit { .. }),
                "{engine}: {e:?}"
            );
            let stats = runtime.stats().await;
            let limited = stats
                .scheduled
                .get(&("cron".to_owned(), ScheduledOutcome::Limit));
            assert_eq!(limited, Some(&1), "{engine}");
            assert_eq!(
                stats.evictions_of("cron", EvictionReason::CpuLimit),
                1,
                "{engine}"
            );
            // A fresh isolate, with clean global state, serves next.
            assert_eq!(text(&runtime).await, "runs 0", "{engine}");
        });
    }
}
