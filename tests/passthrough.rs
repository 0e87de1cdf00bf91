//! `ctx.passThroughOnException()` against the real server, on every
//! engine: after it, an exception sends the request to the Worker's origin
//! (a server the test starts); without it, or without an origin, a 500.

mod common;

use common::{on_each_engine, Origin, Server, TempConfig};

fn serve(engine: &str, origin: Option<&Origin>) -> (TempConfig, Server) {
    let origin = origin.map_or(String::new(), |o| format!("origin = \"{}\"\n", o.url()));
    let c = TempConfig::new(&[
        ("passthrough.js", include_str!("fixtures/passthrough.js")),
        (
            "motu.toml",
            &format!(
                "[server]\nengine = \"{engine}\"\n\
                 [[workers]]\nname = \"p\"\nmain = \"passthrough.js\"\nroutes = [\"p.test/*\"]\n{origin}"
            ),
        ),
    ]);
    let s = Server::start(&["--config", &c.path("motu.toml")]);
    (c, s)
}

#[test]
fn an_exception_after_pass_through_goes_to_the_origin() {
    on_each_engine(
        "an_exception_after_pass_through_goes_to_the_origin",
        |engine| {
            let origin = Origin::start();
            let (_c, s) = serve(engine, Some(&origin));
            let r = s.request(
                "POST",
                "/echo?q=1",
                &[("host", "p.test"), ("x-test", "kept")],
                b"payload",
            );
            assert_eq!((r.status, r.text()), (200, "POST payload".to_owned()));
            assert_eq!(r.header("x-seen"), Some("kept"));
            let r = s.request("GET", "/plain-throw", &[("host", "p.test")], b"");
            assert_eq!(
                (r.status, r.text()),
                (500, "Worker threw an exception.\n".to_owned())
            );
            let r = s.request("GET", "/", &[("host", "p.test")], b"");
            assert_eq!(r.text(), "from the worker");
            assert_eq!(origin.served.load(std::sync::atomic::Ordering::SeqCst), 1);
        },
    );
}

#[test]
fn without_an_origin_pass_through_is_a_500() {
    on_each_engine("without_an_origin_pass_through_is_a_500", |engine| {
        let (_c, s) = serve(engine, None);
        let r = s.request("POST", "/echo", &[("host", "p.test")], b"payload");
        assert_eq!(
            (r.status, r.text()),
            (500, "Worker threw an exception.\n".to_owned())
        );
    });
}

#[test]
fn an_invalid_origin_is_a_config_error() {
    let c = TempConfig::new(&[
        ("passthrough.js", include_str!("fixtures/passthrough.js")),
        (
            "motu.toml",
            "[[workers]]\nname = \"p\"\nmain = \"passthrough.js\"\norigin = \"ftp://x\"\n",
        ),
    ]);
    let (code, _, err) = common::run_motu(&["check", "--config", &c.path("motu.toml")]);
    assert_ne!(code, 0);
    assert!(
        err.contains("workers[0].origin: 'ftp://x' is not an http:// or https:// URL"),
        "{err}"
    );
}
