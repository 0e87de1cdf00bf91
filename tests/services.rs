//! Service bindings against the real server, on every engine: a chain of
//! three Workers calling each other in-process, `waitUntil` work finishing
//! after the response (seen through a fourth Worker), a callee's failure
//! reaching the caller as an error, and a self-calling chain cut off.

mod common;

use common::{on_each_engine, Server, TempConfig};

fn serve(engine: &str, threads: usize) -> (TempConfig, Server) {
    let worker = |name: &str, services: &[(&str, &str)]| {
        let mut s = format!(
            "[[workers]]\nname = \"{name}\"\nmain = \"{name}.js\"\nroutes = [\"{name}.test/*\"]\n"
        );
        for (binding, service) in services {
            s += &format!(
                "[[workers.services]]\nbinding = \"{binding}\"\nservice = \"{service}\"\n"
            );
        }
        s
    };
    let toml = format!(
        "[server]\nengine = \"{engine}\"\nthreads = {threads}\n{}{}{}{}",
        worker(
            "front",
            &[
                ("AUTH", "auth"),
                ("RECORDER", "recorder"),
                ("SELF", "front")
            ]
        ),
        worker("auth", &[("DB", "db")]),
        worker("db", &[]),
        worker("recorder", &[]),
    );
    let c = TempConfig::new(&[
        ("front.js", include_str!("fixtures/services/front.js")),
        ("auth.js", include_str!("fixtures/services/auth.js")),
        ("db.js", include_str!("fixtures/services/db.js")),
        ("recorder.js", include_str!("fixtures/services/recorder.js")),
        ("motu.toml", &toml),
    ]);
    let s = Server::start(&["--config", &c.path("motu.toml")]);
    (c, s)
}

fn ask(s: &Server, path: &str, token: &str) -> (u16, String) {
    let auth = format!("Bearer {token}");
    let r = s.request(
        "GET",
        path,
        &[("host", "front.test"), ("authorization", &auth)],
        b"",
    );
    (r.status, r.text())
}

#[test]
fn three_workers_call_each_other_in_process() {
    on_each_engine("three_workers_call_each_other_in_process", |engine| {
        // One executor thread: every Worker of the chain shares it.
        let (_c, s) = serve(engine, 1);
        assert_eq!(
            ask(&s, "/reports", "t0k3n"),
            (200, "front: 200 ada may see /reports".into())
        );
        assert_eq!(
            ask(&s, "/reports", "wrong"),
            (200, "front: 403 denied".into())
        );
        // The visits were recorded after the responses went out.
        let mut visits = String::new();
        for _ in 0..50 {
            visits = ask(&s, "/visits", "").1;
            if visits == "/reports,/reports" {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert_eq!(visits, "/reports,/reports");
    });
}

#[test]
fn a_failing_callee_is_an_error_in_the_caller() {
    on_each_engine("a_failing_callee_is_an_error_in_the_caller", |engine| {
        let (_c, s) = serve(engine, 2);
        let (status, text) = ask(&s, "/broken", "");
        assert_eq!(status, 502);
        // What the callee threw, as it threw it.
        assert_eq!(text, "Error: auth is broken");
        // A Worker calling itself forever is cut off at the depth limit.
        let (status, _) = ask(&s, "/loop", "");
        assert_eq!(status, 500);
        let log = s.wait_for_log("service binding chain too deep");
        assert!(log.contains("more than 16 nested calls"), "{log}");
        assert_eq!(ask(&s, "/reports", "t0k3n").0, 200, "the server serves on");
    });
}
