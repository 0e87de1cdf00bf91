//! `ctx.exports` and `ctx.props` against the real server, on every engine:
//! a Worker reaches its own entrypoints (named and default) and its
//! Durable Object classes without configuring a binding, specializes an
//! entrypoint with props, reads them as `ctx.props` over RPC and fetch
//! (from a specialized loopback binding and from a service binding's
//! `props` in the config), inside a Durable Object too, and through
//! `cloudflare:workers`'s `exports`; a Worker whose compatibility date is
//! older than `enable_ctx_exports` has none.

mod common;

use common::{on_each_engine, Server, TempConfig};

fn serve(engine: &str) -> (TempConfig, Server) {
    let toml = format!(
        "[server]\nengine = \"{engine}\"\nthreads = 2\n\
         [[workers]]\nname = \"app\"\nmain = \"app.js\"\nroutes = [\"app.test/*\"]\n\
         compatibility_date = \"2025-11-17\"\n\
         [[workers.migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Counter\"]\n\
         [[workers]]\nname = \"front\"\nmain = \"front.js\"\nroutes = [\"front.test/*\"]\n\
         compatibility_date = \"2025-11-16\"\n\
         [[workers.services]]\nbinding = \"GREETER\"\nservice = \"app\"\nentrypoint = \"Greeter\"\n\
         props = {{ greeting = \"Hi\", tenant = \"a\" }}\n\
         [[workers.services]]\nbinding = \"APP\"\nservice = \"app\"\n\
         props = {{ from = \"front\" }}\n"
    );
    let c = TempConfig::new(&[
        ("app.js", include_str!("fixtures/ctx_exports/app.js")),
        ("front.js", include_str!("fixtures/ctx_exports/front.js")),
        ("motu.toml", &toml),
    ]);
    let s = Server::start(&["--config", &c.path("motu.toml")]);
    (c, s)
}

fn ask(s: &Server, host: &str, path: &str) -> (u16, String) {
    let r = s.request("GET", path, &[("host", host)], b"");
    (r.status, r.text())
}

#[test]
fn entrypoints_and_classes_with_storage_are_in_ctx_exports() {
    on_each_engine(
        "entrypoints_and_classes_with_storage_are_in_ctx_exports",
        |engine| {
            let (_c, s) = serve(engine);
            assert_eq!(
                ask(&s, "app.test", "/keys"),
                (
                    200,
                    r#"{"keys":["Counter","Greeter","default"],"props":{}}"#.into()
                )
            );
            assert_eq!(
                ask(&s, "app.test", "/kinds"),
                (200, "function function function true".into())
            );
            assert_eq!(ask(&s, "app.test", "/greet"), (200, "Hello, ada".into()));
            assert_eq!(ask(&s, "app.test", "/empty-props"), (200, "{}".into()));
            assert_eq!(
                ask(&s, "app.test", "/default-fetch"),
                (200, "default fetch props {}".into())
            );
        },
    );
}

#[test]
fn a_specialized_loopback_binding_carries_its_props() {
    on_each_engine(
        "a_specialized_loopback_binding_carries_its_props",
        |engine| {
            let (_c, s) = serve(engine);
            assert_eq!(
                ask(&s, "app.test", "/specialized"),
                (
                    200,
                    "Howdy, ada\ntrue\nGreeter fetch /fetched props {\"greeting\":\"Howdy\",\"when\":\"1970-01-01T00:00:00.005Z\"}"
                        .into()
                )
            );
            assert_eq!(
                ask(&s, "app.test", "/replace"),
                (
                    200,
                    r#"{"props":{"user":"ann"},"exports":{"own":true},"writable":true,"object":[{"user":"set"},"mine",{"wrapped":true},true]}"#
                        .into()
                )
            );
            assert_eq!(
                ask(&s, "app.test", "/bad-props"),
                (200, "TypeError: props must be an object".into())
            );
        },
    );
}

#[test]
fn a_class_namespace_in_ctx_exports_keeps_its_objects() {
    on_each_engine(
        "a_class_namespace_in_ctx_exports_keeps_its_objects",
        |engine| {
            let (_c, s) = serve(engine);
            assert_eq!(ask(&s, "app.test", "/counter"), (200, "1".into()));
            assert_eq!(ask(&s, "app.test", "/counter"), (200, "2".into()));
            assert_eq!(ask(&s, "app.test", "/object"), (200, "Ahoy, bo {}".into()));
            assert_eq!(
                ask(&s, "app.test", "/module"),
                (200, "view Counter,Greeter,default Hello, cy".into())
            );
        },
    );
}

#[test]
fn a_service_binding_gives_its_configured_props() {
    on_each_engine("a_service_binding_gives_its_configured_props", |engine| {
        let (_c, s) = serve(engine);
        assert_eq!(ask(&s, "front.test", "/rpc"), (200, "Hi, ada".into()));
        assert_eq!(
            ask(&s, "front.test", "/props"),
            (200, r#"{"greeting":"Hi","tenant":"a"}"#.into())
        );
        assert_eq!(
            ask(&s, "front.test", "/fetch"),
            (
                200,
                r#"Greeter fetch /x props {"greeting":"Hi","tenant":"a"}"#.into()
            )
        );
        assert_eq!(
            ask(&s, "front.test", "/default"),
            (200, r#"default fetch props {"from":"front"}"#.into())
        );
        // front's date is a day before ctx.exports.
        assert_eq!(
            ask(&s, "front.test", "/old"),
            (
                200,
                r#"{"has":false,"exports":"undefined","props":{}}"#.into()
            )
        );
    });
}
