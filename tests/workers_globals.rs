//! The Workers globals and the `cloudflare:workers` module in Workers of
//! the real server, on every engine: `navigator`, `scheduler.wait`,
//! `request.cf`, `IdentityTransformStream`, `FixedLengthStream` (and the
//! `content-length` of a Response made of one), `crypto.DigestStream`,
//! `crypto.subtle.timingSafeEqual`, and `env`, `waitUntil` and the base
//! classes imported from `cloudflare:workers`, including a default export
//! that extends WorkerEntrypoint, `cloudflare:email`'s `EmailMessage`, and
//! WebSocket's ready-state constants under Cloudflare's names.

mod common;

use std::time::{Duration, Instant};

use common::{on_each_engine, Server, TempConfig};
use serde_json::{json, Value};

fn serve(engine: &str) -> (TempConfig, Server) {
    let c = TempConfig::new(&[
        ("globals.js", include_str!("fixtures/workers_globals.js")),
        ("entrypoint.js", include_str!("fixtures/workers_entrypoint.js")),
        (
            "motu.toml",
            &format!(
                "[server]\nengine = \"{engine}\"\n\
                 [[workers]]\nname = \"globals\"\nmain = \"globals.js\"\nroutes = [\"globals.test/*\"]\n\
                 [workers.vars]\nNAME = \"globals\"\n\
                 [[workers]]\nname = \"entry\"\nmain = \"entrypoint.js\"\nroutes = [\"entry.test/*\"]\nmax_instances = 1\n\
                 [workers.vars]\nNAME = \"entry\"\n"
            ),
        ),
    ]);
    let s = Server::start(&["--config", &c.path("motu.toml")]);
    (c, s)
}

fn ask(s: &Server, host: &str, path: &str, headers: &[(&str, &str)]) -> common::Response {
    let mut all = vec![("host", host)];
    all.extend_from_slice(headers);
    let r = s.request("GET", path, &all, b"");
    assert_eq!(r.status, 200, "{host}{path}: {}", r.text());
    r
}

fn json_of(s: &Server, path: &str) -> Value {
    ask(s, "globals.test", path, &[]).json()
}

#[test]
fn workers_globals_read_as_on_workers() {
    on_each_engine("workers_globals_read_as_on_workers", |engine| {
        let (_c, s) = serve(engine);
        assert_eq!(
            json_of(&s, "/globals"),
            json!({
                "userAgent": "Cloudflare-Workers",
                "hardwareConcurrency": 1,
                "waited": "undefined",
                "zero": "undefined",
                "aborted": "stop",
                "alreadyAborted": "early"
            })
        );
        let cf = ask(
            &s,
            "globals.test",
            "/cf",
            &[("accept-encoding", "gzip, br")],
        )
        .json();
        assert_eq!(
            cf,
            json!({
                "cf": { "httpProtocol": "HTTP/1.1", "clientAcceptEncoding": "gzip, br" },
                "same": true,
                "made": { "cacheTtl": 5 },
                "copied": { "cacheTtl": 5 },
                "cloned": { "cacheTtl": 5 },
                "cloneOfIncoming": { "httpProtocol": "HTTP/1.1", "clientAcceptEncoding": "gzip, br" },
                "none": null
            })
        );
        // Without an Accept-Encoding, clientAcceptEncoding is absent.
        assert_eq!(
            json_of(&s, "/cf")["cf"],
            json!({ "httpProtocol": "HTTP/1.1" })
        );
    });
}

#[test]
fn an_errors_stack_takes_any_value() {
    on_each_engine("an_errors_stack_takes_any_value", |engine| {
        let (_c, s) = serve(engine);
        assert_eq!(
            json_of(&s, "/stack"),
            json!({ "hidden": true, "replaced": 42, "text": "mine" })
        );
    });
}

#[test]
fn server_cf_fields_reach_every_request_cf() {
    on_each_engine("server_cf_fields_reach_every_request_cf", |engine| {
        let c = TempConfig::new(&[
            (
                "cf.js",
                "export default { fetch(request) {\n\
                   const before = JSON.parse(JSON.stringify(request.cf));\n\
                   request.cf.country = 'changed'; request.cf.botManagement.score = 1;\n\
                   return Response.json({ before, after: request.cf });\n\
                 } };\n",
            ),
            (
                "motu.toml",
                &format!(
                    "[server]\nengine = \"{engine}\"\n\
                     [server.cf]\ncolo = \"DFW\"\ncountry = \"US\"\nasn = 395747\nbotManagement = {{ score = 99 }}\n\
                     [[workers]]\nname = \"cf\"\nmain = \"cf.js\"\n"
                ),
            ),
        ]);
        let s = Server::start(&["--config", &c.path("motu.toml")]);
        let expected = |country: &str, score: u32| {
            json!({
                "colo": "DFW", "country": country, "asn": 395747,
                "botManagement": { "score": score }, "httpProtocol": "HTTP/1.1"
            })
        };
        // The Worker changes its request's copy; the next request gets a
        // fresh one.
        for _ in 0..2 {
            let v = s.get("/").json();
            assert_eq!(v["before"], expected("US", 99));
            assert_eq!(v["after"], expected("changed", 1));
        }
        drop(s);
        // motu's own fields cannot be set.
        let bad = TempConfig::new(&[
            ("cf.js", "export default { fetch: () => new Response('') };\n"),
            (
                "motu.toml",
                "[server.cf]\nhttpProtocol = \"HTTP/9\"\n[[workers]]\nname = \"cf\"\nmain = \"cf.js\"\n",
            ),
        ]);
        let (code, _, err) = common::run_motu(&["check", "--config", &bad.path("motu.toml")]);
        assert_ne!(code, 0);
        assert!(err.contains("server.cf.httpProtocol"), "{err}");
    });
}

#[test]
fn workers_streams_and_digests() {
    on_each_engine("workers_streams_and_digests", |engine| {
        let (_c, s) = serve(engine);
        assert_eq!(
            json_of(&s, "/streams"),
            json!({
                "identity": "abc",
                "identityIsTransform": true,
                "stringWrite": "TypeError",
                "fixed": "abc",
                "tooManyWrite": "TypeError",
                "tooFewClose": "TypeError",
                "badLength": "TypeError"
            })
        );
        let r = ask(&s, "globals.test", "/fixed", &[]);
        assert_eq!(r.header("content-length"), Some("11"));
        assert_eq!(r.header("transfer-encoding"), None);
        assert_eq!(r.text(), "hello world");
        assert_eq!(
            json_of(&s, "/digest"),
            json!({
                "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                "bytesWritten": 3,
                "isWritable": true,
                "md5": "900150983cd24fb0d6963f7d28e17f72",
                "unknown": "NotSupportedError",
                "equal": true,
                "different": false,
                "lengths": "TypeError"
            })
        );
    });
}

#[test]
fn web_socket_ready_states_have_cloudflares_names_too() {
    // Cloudflare's WebSocket has `READY_STATE_CONNECTING`… beside the Web
    // names, on the class and its prototype (PartyServer compares
    // `readyState` with `WebSocket.READY_STATE_OPEN`).
    on_each_engine(
        "web_socket_ready_states_have_cloudflares_names_too",
        |engine| {
            let (_c, s) = serve(engine);
            let states = json!([0, 0, 1, 1, 2, 2, 3, 3]);
            assert_eq!(
                json_of(&s, "/websocket-constants"),
                json!({
                    "onClass": states,
                    "onSocket": states,
                    "descriptor": [false, true, false],
                    "open": true
                })
            );
        },
    );
}

#[test]
fn cloudflare_email_message() {
    on_each_engine("cloudflare_email_message", |engine| {
        let (_c, s) = serve(engine);
        assert_eq!(
            json_of(&s, "/email"),
            json!({
                "from": "a@example.com",
                "to": ["b@example.com", "c@example.com"],
                "keys": [],
                "noRaw": "TypeError",
                "badRaw": "TypeError"
            })
        );
    });
}

#[test]
fn cloudflare_workers_module_imports() {
    on_each_engine("cloudflare_workers_module_imports", |engine| {
        let (_c, s) = serve(engine);
        assert_eq!(
            json_of(&s, "/workers"),
            json!({
                "sameEnv": true,
                "name": "globals",
                "defaultExport": true,
                "entry": [true, true, true],
                "counter": [1, true, true],
                "target": ["hi", true],
                "rpcStub": "RpcStub: the value must be an RpcTarget or a function",
                "topLevelWaitUntil": "waitUntil() can only be called while an event is being handled"
            })
        );
        // The promise handed to the imported waitUntil ran to its end.
        let deadline = Instant::now() + Duration::from_secs(10);
        while json_of(&s, "/waited") != json!(true) {
            assert!(
                Instant::now() < deadline,
                "the waitUntil promise never settled"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // A default export extending WorkerEntrypoint is made per event.
        let first = ask(&s, "entry.test", "/a", &[]).json();
        assert_eq!(first["name"], "entry");
        assert_eq!(first["hasWaitUntil"], true);
        assert_eq!(first["url"], "/a");
        let second = ask(&s, "entry.test", "/b", &[]).json();
        assert_eq!(
            second["instances"].as_u64().unwrap(),
            first["instances"].as_u64().unwrap() + 1
        );
    });
}
