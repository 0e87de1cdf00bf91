//! Workflows, on both engines: the fixture project `tests/projects/workflows`
//! starts and drives instances over HTTP (see its `src/index.js`), and its
//! Durable Object `Tally` counts how often each step's callback and each
//! run began. Each server gets a state folder of its own (`--persist-to`).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::durable::{get_json, serve_project, state_folder};
use common::{on_each_engine, Server};
use serde_json::{json, Value};

fn serve(engine: &str, state: &Path) -> Server {
    serve_project("workflows", "wrangler.jsonc", engine, state, &[])
}

/// `POST path` with a JSON body: the answer's status and JSON.
fn post(server: &Server, path: &str, body: Value) -> (u16, Value) {
    let r = server.request("POST", path, &[], body.to_string().as_bytes());
    (r.status, r.json())
}

fn create(server: &Server, binding: &str, id: &str, params: Value) {
    let (status, answer) = post(server, &format!("/{binding}/create/{id}"), params);
    assert_eq!(status, 200, "{answer}\n{}", server.log());
    assert_eq!(answer, json!({ "id": id }));
}

/// Waits until instance `id`'s status is `status`: the whole status.
fn wait_for_status(server: &Server, binding: &str, id: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = get_json(server, &format!("/{binding}/status/{id}"));
        if now["status"] == status {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "{binding} {id} never became {status}: {now}\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How many object databases the state folder holds.
fn databases(state: &Path) -> usize {
    let mut n = 0;
    for namespace in std::fs::read_dir(state.join("durable")).unwrap().flatten() {
        if namespace.path().is_dir() {
            n += std::fs::read_dir(namespace.path())
                .unwrap()
                .flatten()
                .filter(|f| f.path().extension().is_some_and(|e| e == "sqlite"))
                .count();
        }
    }
    n
}

fn tally(server: &Server, id: &str) -> Value {
    get_json(server, &format!("/tally/{id}"))
}

fn approve(server: &Server, id: &str, by: &str) {
    let (status, answer) = post(
        server,
        &format!("/ORDER/event/{id}?type=approve"),
        json!({ "ok": true, "by": by }),
    );
    assert_eq!(status, 200, "{answer}");
}

/// What OrderFlow returns once approved by `by`.
fn order_output(by: &str) -> Value {
    json!({
        "total": 15, "dateKept": true, "mapKept": "v", "approvedBy": by,
        "eventType": "approve", "eventTime": true,
        "done": { "shipped": true, "attempt": 1 },
        "workflow": "order-flow", "created": true,
    })
}

#[test]
fn steps_run_once_while_the_run_is_replayed() {
    on_each_engine("workflow_steps_run_once", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        create(&server, "ORDER", "o1", json!({ "qty": 3 }));
        // Past its sleep, it waits for the approval.
        wait_for_status(&server, "ORDER", "o1", "waiting");
        let deadline = Instant::now() + Duration::from_secs(60);
        while tally(&server, "o1")["runs"] != json!(2) {
            assert!(Instant::now() < deadline, "{}", server.log());
            std::thread::sleep(Duration::from_millis(20));
        }
        approve(&server, "o1", "ann");
        let done = wait_for_status(&server, "ORDER", "o1", "complete");
        assert_eq!(
            done,
            json!({ "status": "complete", "output": order_output("ann") })
        );
        // Three runs (start, after the sleep, after the event); each step once.
        assert_eq!(
            tally(&server, "o1"),
            json!({ "runs": 3, "price": 1, "ship": 1 })
        );
        // An event sent before the run waits for it is kept for it.
        create(&server, "ORDER", "o2", json!({ "qty": 3, "sleep": 200 }));
        approve(&server, "o2", "bob");
        let done = wait_for_status(&server, "ORDER", "o2", "complete");
        assert_eq!(done["output"], order_output("bob"));
    });
}

#[test]
fn failing_steps_retry_then_fail_the_instance() {
    on_each_engine("workflow_failing_steps", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let modes = [
            "flaky",
            "exhausted",
            "caught",
            "fatal",
            "timeout",
            "throws",
            "huge",
            "unclonable",
        ];
        for mode in modes {
            create(&server, "RETRY", mode, json!({ "mode": mode }));
        }
        create(&server, "MANY", "many", json!({}));
        let flaky = wait_for_status(&server, "RETRY", "flaky", "complete");
        assert_eq!(flaky["output"], json!({ "attempt": 3, "calls": 3 }));
        let errored = |id: &str, binding: &str| {
            wait_for_status(&server, binding, id, "errored")["error"].clone()
        };
        // Retries exhausted: the step's own error.
        assert_eq!(
            errored("exhausted", "RETRY"),
            json!({ "name": "TypeError", "message": "always broken" })
        );
        assert_eq!(tally(&server, "exhausted"), json!({ "doomed": 2 }));
        assert_eq!(
            errored("fatal", "RETRY"),
            json!({ "name": "WorkflowFatalError", "message": "The execution of the Workflow instance was terminated, as a step threw an NonRetryableError and it was not handled" })
        );
        assert_eq!(
            errored("timeout", "RETRY"),
            json!({ "name": "WorkflowTimeoutError", "message": "Execution timed out after 50ms" })
        );
        assert_eq!(
            errored("throws", "RETRY"),
            json!({ "name": "RangeError", "message": "run itself failed" })
        );
        assert_eq!(
            errored("many", "MANY"),
            json!({ "name": "WorkflowFatalError", "message": "The limit of 3 steps has been reached. This limit can be changed in your worker configuration." })
        );
        assert_eq!(
            errored("huge", "RETRY"),
            json!({ "name": "WorkflowInternalError", "message": "Step big-1 output is too large. Maximum allowed size is 1MiB." })
        );
        assert_eq!(
            errored("unclonable", "RETRY"),
            json!({ "name": "WorkflowFatalError", "message": "The execution of the Workflow instance was terminated, as the step \"fn\" returned a value which is not serialisable" })
        );
        // A NonRetryableError the run catches: tried once, and the run goes on.
        let caught = wait_for_status(&server, "RETRY", "caught", "complete");
        assert_eq!(
            caught["output"],
            json!({ "caught": "NonRetryableError: no point retrying" })
        );
        assert_eq!(tally(&server, "caught"), json!({ "refuse": 1 }));
        assert_eq!(tally(&server, "fatal"), json!({ "refuse": 1 }));
    });
}

#[test]
fn the_binding_checks_ids_as_cloudflare_does() {
    on_each_engine("workflow_binding_errors", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let error = |path: &str| {
            let (status, answer) = post(&server, path, json!({ "mode": "none" }));
            assert_eq!(status, 400, "{answer}");
            answer
        };
        assert_eq!(
            error("/RETRY/get/nobody"),
            json!({ "error": "instance.not_found", "name": "Error" })
        );
        create(&server, "RETRY", "once", json!({ "mode": "none" }));
        assert_eq!(
            error("/RETRY/create/once"),
            json!({ "error": "(instance.already_exists) Instance already exists", "name": "WorkflowError" })
        );
        assert_eq!(
            error("/RETRY/create/-bad.id"),
            json!({ "error": "Workflow instance has invalid id", "name": "WorkflowError" })
        );
        // No id: a fresh UUID.
        let (status, made) = post(&server, "/RETRY/create/-", json!({ "mode": "none" }));
        assert_eq!(status, 200);
        assert_eq!(made["id"].as_str().unwrap().len(), 36, "{made}");
        let (status, ids) = post(&server, "/RETRY/batch", json!(["b1", "b2"]));
        assert_eq!((status, ids), (200, json!(["b1", "b2"])));
        assert_eq!(
            wait_for_status(&server, "RETRY", "b2", "complete"),
            json!({ "status": "complete", "output": null })
        );
        assert_eq!(
            post(&server, "/RETRY/batch", json!([])).1["error"],
            "batchCreate should have at least 1 instance"
        );
        // Another binding's instances are its own.
        assert_eq!(error("/ORDER/get/b1")["error"], "instance.not_found");
        // Asking for ids that do not exist makes no storage for them.
        let before = databases(&state);
        for i in 0..5 {
            assert_eq!(
                error(&format!("/RETRY/get/nobody{i}"))["error"],
                "instance.not_found"
            );
        }
        assert_eq!(databases(&state), before);
    });
}

#[test]
fn instances_pause_resume_terminate_and_restart() {
    on_each_engine("workflow_control", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        create(&server, "ORDER", "p", json!({ "qty": 3 }));
        wait_for_status(&server, "ORDER", "p", "waiting");
        assert_eq!(post(&server, "/ORDER/pause/p", json!(null)).0, 200);
        wait_for_status(&server, "ORDER", "p", "paused");
        // An event reaches a paused instance, which stays paused.
        approve(&server, "p", "cy");
        assert_eq!(get_json(&server, "/ORDER/status/p")["status"], "paused");
        assert_eq!(post(&server, "/ORDER/resume/p", json!(null)).0, 200);
        let done = wait_for_status(&server, "ORDER", "p", "complete");
        assert_eq!(done["output"], order_output("cy"));
        // A finished instance cannot be terminated.
        let (status, answer) = post(&server, "/ORDER/terminate/p", json!(null));
        assert_eq!(status, 400);
        assert_eq!(
            answer["error"],
            "(instance.cannot_terminate) Cannot terminate instance since its on a finite state"
        );

        create(&server, "ORDER", "t", json!({ "qty": 3 }));
        wait_for_status(&server, "ORDER", "t", "waiting");
        assert_eq!(post(&server, "/ORDER/terminate/t", json!(null)).0, 200);
        assert_eq!(get_json(&server, "/ORDER/status/t")["status"], "terminated");
        // Restarted: its steps run again from the start, and the events
        // sent before are forgotten.
        approve(&server, "t", "dee");
        assert_eq!(post(&server, "/ORDER/restart/t", json!(null)).0, 200);
        let deadline = Instant::now() + Duration::from_secs(60);
        while tally(&server, "t")["price"] != json!(2) {
            assert!(Instant::now() < deadline, "{}", server.log());
            std::thread::sleep(Duration::from_millis(20));
        }
        wait_for_status(&server, "ORDER", "t", "waiting");
        approve(&server, "t", "fay");
        let done = wait_for_status(&server, "ORDER", "t", "complete");
        assert_eq!(done["output"], order_output("fay"));
    });
}

#[test]
fn an_instance_goes_on_after_a_crash() {
    on_each_engine("workflow_survives_kill", |engine| {
        let (_dir, state) = state_folder();
        let mut server = serve(engine, &state);
        // A sleep that outlasts the server.
        create(&server, "ORDER", "k", json!({ "qty": 3, "sleep": 3000 }));
        wait_for_status(&server, "ORDER", "k", "waiting");
        assert_eq!(tally(&server, "k")["price"], json!(1));
        server.kill_hard();
        let server = serve(engine, &state);
        // Its alarm wakes it after the restart; the step done before the
        // crash is not run again.
        let deadline = Instant::now() + Duration::from_secs(60);
        while tally(&server, "k")["runs"] != json!(2) {
            assert!(Instant::now() < deadline, "{}", server.log());
            std::thread::sleep(Duration::from_millis(20));
        }
        approve(&server, "k", "eve");
        let done = wait_for_status(&server, "ORDER", "k", "complete");
        assert_eq!(done["output"], order_output("eve"));
        // Each step once (the runs before the crash and after it replayed
        // them; how many runs depends on when the crash came).
        let counts = tally(&server, "k");
        assert_eq!(
            (&counts["price"], &counts["ship"]),
            (&json!(1), &json!(1)),
            "{counts}"
        );
    });
}

const TWO_WORKERS: &str = r#"
[limits]
cpu_ms = 50

[[workers]]
name = "host"
main = "host.js"
routes = ["host.localhost/*"]

[[workers]]
name = "caller"
main = "caller.js"
routes = ["*/*"]

[[workers.workflows]]
binding = "FLOW"
name = "shared-flow"
class_name = "Flow"
script_name = "host"

[[workers.workflows]]
binding = "SPIN"
name = "spin"
class_name = "Spin"
script_name = "host"
"#;

const HOST: &str = r#"
import { WorkflowEntrypoint } from 'cloudflare:workers';
export class Flow extends WorkflowEntrypoint {
  async run(event, step) {
    const doubled = await step.do('double', async () => event.payload.x * 2);
    return { doubled, workflow: event.workflowName };
  }
}
// A step that never ends: its isolate is stopped at the CPU limit.
export class Spin extends WorkflowEntrypoint {
  async run(event, step) {
    await step.do('spin', { retries: { limit: 0, delay: 0 } }, async () => { for (;;) {} });
  }
}
export default { fetch() { return new Response('host'); } };
"#;

const CALLER: &str = r#"
export default {
  async fetch(request, env) {
    const [, binding, action, id] = new URL(request.url).pathname.split('/');
    try {
      if (action === 'create') {
        return Response.json({ id: (await env[binding].create({ id, params: { x: 21 } })).id });
      }
      if (action === 'status') return Response.json(await (await env[binding].get(id)).status());
    } catch (e) {
      return Response.json({ error: `${e.name}: ${e.message}` }, { status: 500 });
    }
    return new Response('caller');
  },
};
"#;

#[test]
fn a_workflow_of_another_worker_runs_there_and_a_runaway_step_fails_alone() {
    on_each_engine("workflow_script_name_and_runaway", |engine| {
        let c = common::TempConfig::new(&[
            ("motu.toml", TWO_WORKERS),
            ("host.js", HOST),
            ("caller.js", CALLER),
        ]);
        let (config, state) = (c.path("motu.toml"), c.path("state"));
        let server = Server::start(&[
            "--config",
            &config,
            "--engine",
            engine,
            "--persist-to",
            &state,
        ]);
        create(&server, "FLOW", "one", json!(null));
        let done = wait_for_status(&server, "FLOW", "one", "complete");
        assert_eq!(
            done["output"],
            json!({ "doubled": 42, "workflow": "shared-flow" })
        );
        // The looping step's isolate is evicted at its CPU limit; the
        // attempt that never ended counts as failed, and with no retry
        // left, so does the instance. (A call of an object of that isolate
        // in flight when it is evicted fails, as on Cloudflare: such
        // answers are skipped while waiting.)
        create(&server, "SPIN", "runaway", json!(null));
        let deadline = Instant::now() + Duration::from_secs(60);
        let failed = loop {
            let r = server.get("/SPIN/status/runaway");
            let text = r.text();
            if r.status == 200 && r.json()["status"] == "errored" {
                break r.json();
            }
            assert!(
                r.status == 200 || text.contains("was evicted"),
                "{text}\n{}",
                server.log()
            );
            assert!(Instant::now() < deadline, "{text}\n{}", server.log());
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(
            failed["error"],
            json!({ "name": "WorkflowInternalError", "message": "Attempt failed due to internal workflows error" })
        );
        assert_eq!(server.get("/").text(), "caller");
        // The other Workflow's instance is still there, complete.
        assert_eq!(
            get_json(&server, "/FLOW/status/one")["output"]["doubled"],
            json!(42)
        );
    });
}
