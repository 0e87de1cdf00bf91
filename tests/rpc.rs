//! JS RPC against the real server, on every engine: a Worker calls methods
//! of another Worker's entrypoints through service bindings (named and
//! default), with arguments and results of every clonable kind, errors
//! rethrown with their name and message, property reads, functions and
//! RpcTargets passed both ways as stubs (and kept past the call with
//! `dup()`), ReadableStreams and WritableStreams both ways, the chain-depth
//! limit, and a callee that loops evicted while the caller and its
//! neighbours go on.

mod common;

use common::{on_each_engine, Server, TempConfig};

fn serve(engine: &str) -> (TempConfig, Server) {
    let toml = format!(
        "[server]\nengine = \"{engine}\"\nthreads = 2\n\
         [limits]\ncpu_ms = 1000\n\
         [[workers]]\nname = \"front\"\nmain = \"front.js\"\nroutes = [\"front.test/*\"]\n\
         [[workers.services]]\nbinding = \"API\"\nservice = \"api\"\nentrypoint = \"Api\"\n\
         [[workers.services]]\nbinding = \"DEFAULT\"\nservice = \"api\"\n\
         [[workers]]\nname = \"api\"\nmain = \"api.js\"\nroutes = [\"api.test/*\"]\n\
         max_instances = 1\n\
         vars = {{ WHO = \"api\" }}\n\
         [[workers.services]]\nbinding = \"SELF\"\nservice = \"api\"\nentrypoint = \"Api\"\n\
         [[workers]]\nname = \"neighbour\"\nmain = \"neighbour.js\"\nroutes = [\"neighbour.test/*\"]\n"
    );
    let c = TempConfig::new(&[
        ("front.js", include_str!("fixtures/rpc/front.js")),
        ("api.js", include_str!("fixtures/rpc/api.js")),
        (
            "neighbour.js",
            "export default { fetch() { return new Response('neighbour ok'); } };",
        ),
        ("motu.toml", &toml),
    ]);
    let s = Server::start(&["--config", &c.path("motu.toml")]);
    (c, s)
}

fn ask(s: &Server, path: &str) -> (u16, String) {
    let r = s.request("GET", path, &[("host", "front.test")], b"");
    (r.status, r.text())
}

#[test]
fn methods_of_a_named_and_the_default_entrypoint() {
    on_each_engine("methods_of_a_named_and_the_default_entrypoint", |engine| {
        let (_c, s) = serve(engine);
        assert_eq!(ask(&s, "/add"), (200, "3".into()));
        assert_eq!(ask(&s, "/slow-add"), (200, "42".into()));
        assert_eq!(
            ask(&s, "/properties"),
            (
                200,
                "hello from api\nundefined\n{\"list\":[1,{\"two\":2}],\"when\":\"1970-01-01T00:00:00.005Z\"}"
                    .into()
            )
        );
        assert_eq!(
            ask(&s, "/default"),
            (
                200,
                "hello ada from the default entrypoint\napi default fetch /path\nApi fetch /named"
                    .into()
            )
        );
    });
}

#[test]
fn arguments_and_results_of_every_clonable_kind() {
    on_each_engine("arguments_and_results_of_every_clonable_kind", |engine| {
        let (_c, s) = serve(engine);
        let (status, body) = ask(&s, "/types");
        assert_eq!(status, 200, "{body}");
        let seen: serde_json::Value = serde_json::from_str(&body).expect(&body);
        assert_eq!(seen["diff"], serde_json::json!([]), "{body}");
        // The callee got real instances, not look-alikes.
        let tags = &seen["tags"];
        for (key, tag) in [
            ("undef", "Undefined"),
            ("big", "BigInt"),
            ("date", "Date"),
            ("regexp", "RegExp"),
            ("map", "Map"),
            ("set", "Set"),
            ("bytes", "Uint8Array"),
            ("floats", "Float64Array"),
            ("buffer", "ArrayBuffer"),
            ("view", "DataView"),
            ("array", "Array"),
            ("error", "Error"),
            ("boxed", "String"),
            ("blob", "Blob"),
        ] {
            assert_eq!(tags[key], format!("[object {tag}]"), "{key}: {body}");
        }
    });
}

#[test]
fn primitives_and_arrays_of_them_arrive_as_sent() {
    on_each_engine("primitives_and_arrays_of_them_arrive_as_sent", |engine| {
        let (_c, s) = serve(engine);
        let (status, body) = ask(&s, "/primitives");
        assert_eq!(status, 200, "{body}");
        let seen: serde_json::Value = serde_json::from_str(&body).expect(&body);
        for key in [
            "args", "list", "negZero", "nan", "undef", "nested", "tagLike",
        ] {
            assert_eq!(seen[key], serde_json::json!(true), "{key}: {body}");
        }
    });
}

#[test]
fn errors_are_rethrown_with_name_and_message() {
    on_each_engine("errors_are_rethrown_with_name_and_message", |engine| {
        let (_c, s) = serve(engine);
        let (status, body) = ask(&s, "/errors");
        assert_eq!(status, 200, "{body}");
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines[0], "TypeError: bad type (TypeError)");
        assert_eq!(lines[1], "RangeError: out of range (RangeError)");
        assert_eq!(lines[2], "MyError: custom failure (Error)");
        assert_eq!(
            lines[3],
            "TypeError: The RPC receiver does not implement the method \"nothing\". (TypeError)"
        );
        assert_eq!(
            lines[4],
            "TypeError: The RPC receiver does not implement the method \"secret\". (TypeError)",
            "{body}"
        );
        assert!(
            lines[5].starts_with("DataCloneError: Could not serialize object of type \"Foo\""),
            "{body}"
        );
        // A function is not cloned but passed as a stub (and comes back as
        // one).
        assert!(lines[6].starts_with("resolved "), "{body}");
        assert!(
            lines[7].starts_with("DataCloneError: Could not serialize object of type \"Local\""),
            "{body}"
        );
    });
}

#[test]
fn functions_and_rpc_targets_are_passed_as_stubs() {
    on_each_engine("functions_and_rpc_targets_are_passed_as_stubs", |engine| {
        let (_c, s) = serve(engine);
        // A function argument called back, an RpcTarget argument whose
        // state changed in the caller, a function result called.
        // Stubs forwarded by the callee to another call, and an RpcStub
        // made by hand.
        assert_eq!(
            ask(&s, "/callbacks"),
            (200, "42 5 5 hi bob 22,5 1 6".into())
        );
        // A stub disposed of at the end of its `using` block.
        assert_eq!(
            ask(&s, "/using"),
            (
                200,
                "4 Error: RPC stub used after being disposed (Error)\n\
                 b, a, SuppressedError: b failed / body failed, in c, c"
                    .into()
            )
        );
        // An RpcTarget result: methods, a getter, a pipelined call, and a
        // disposed stub refusing calls.
        assert_eq!(
            ask(&s, "/targets"),
            (
                200,
                "13 5 Error: RPC stub used after being disposed (Error)".into()
            )
        );
    });
}

#[test]
fn a_duplicate_of_a_stub_argument_outlives_the_call() {
    on_each_engine(
        "a_duplicate_of_a_stub_argument_outlives_the_call",
        |engine| {
            let (_c, s) = serve(engine);
            let (status, body) = ask(&s, "/keep");
            assert_eq!(status, 200, "{body}");
            let lines: Vec<&str> = body.lines().collect();
            // The duplicates reach the caller's function and RpcTarget in
            // later calls.
            assert_eq!(lines[0], "42 5 5", "{body}");
            // The original was disposed of when its call returned.
            assert!(
                lines[1].starts_with("Error: RPC stub is no longer valid"),
                "{body}"
            );
            assert_eq!(
                lines[2], "Error: RPC stub used after being disposed (Error)",
                "{body}"
            );
        },
    );
}

#[test]
fn an_event_awaiting_only_a_callback_its_callee_kept_is_not_hung() {
    on_each_engine(
        "an_event_awaiting_only_a_callback_its_callee_kept_is_not_hung",
        |engine| {
            let (_c, s) = serve(engine);
            std::thread::scope(|scope| {
                // This request's event waits with no op pending: only the
                // callee's duplicate of its callback can settle it.
                let waiter = scope.spawn(|| ask(&s, "/called-back"));
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
                while !waiter.is_finished() && ask(&s, "/waiting") != (200, "true".into()) {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "the callee never kept the callback"
                    );
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                assert!(
                    !waiter.is_finished(),
                    "the waiting event ended before its callback was called: {:?}",
                    waiter.join()
                );
                assert_eq!(ask(&s, "/fire"), (200, "resolved delivered".into()));
                assert_eq!(waiter.join().unwrap(), (200, "called back later".into()));
            });
        },
    );
}

#[test]
fn streams_requests_and_responses_cross() {
    on_each_engine("streams_requests_and_responses_cross", |engine| {
        let (_c, s) = serve(engine);
        assert_eq!(
            ask(&s, "/streams"),
            (
                200,
                "STREAMED IN PIECES\n201 Made yes POST /orders ada two apples".into()
            )
        );
    });
}

#[test]
fn writable_streams_cross_both_ways() {
    on_each_engine("writable_streams_cross_both_ways", |engine| {
        let (_c, s) = serve(engine);
        assert_eq!(
            ask(&s, "/writable"),
            (
                200,
                "done written by the callee\nwritten by the caller\naborted, the read failed\n\
                 TypeError: RPC: a locked WritableStream cannot be sent (TypeError)"
                    .into()
            )
        );
    });
}

#[test]
fn values_past_32_mib_are_refused() {
    on_each_engine("values_past_32_mib_are_refused", |engine| {
        let (_c, s) = serve(engine);
        let (status, body) = ask(&s, "/limits");
        assert_eq!(status, 200, "{body}");
        let lines: Vec<&str> = body.lines().collect();
        let refused = "RangeError: Serialized RPC arguments or return values are limited to 32MiB";
        assert!(lines[0].starts_with(refused), "arguments: {body}");
        assert!(lines[1].starts_with(refused), "result: {body}");
        assert_eq!(lines[2], "resolved 1048576");
    });
}

#[test]
fn the_chain_depth_limit_applies() {
    on_each_engine("the_chain_depth_limit_applies", |engine| {
        let (_c, s) = serve(engine);
        assert_eq!(ask(&s, "/chain?n=10"), (200, "resolved 10".into()));
        let (status, body) = ask(&s, "/chain?n=30");
        assert_eq!(status, 200);
        assert!(
            body.contains("chain too deep: more than 16 nested calls"),
            "{body}"
        );
    });
}

#[test]
fn a_callee_that_loops_is_evicted_and_the_caller_goes_on() {
    on_each_engine(
        "a_callee_that_loops_is_evicted_and_the_caller_goes_on",
        |engine| {
            let (_c, s) = serve(engine);
            assert_eq!(ask(&s, "/add"), (200, "3".into()));
            let (status, body) = ask(&s, "/loop");
            assert_eq!(status, 200, "{body}");
            assert!(body.starts_with("Error: RPC to 'api' failed"), "{body}");
            assert!(body.contains("CPU"), "{body}");
            // The caller, its neighbour and the callee (a fresh isolate) all
            // serve on.
            assert_eq!(ask(&s, "/add"), (200, "3".into()));
            let r = s.request("GET", "/", &[("host", "neighbour.test")], b"");
            assert_eq!((r.status, r.text()), (200, "neighbour ok".into()));
        },
    );
}
