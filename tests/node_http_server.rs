//! `node:http`'s server half with `cloudflare:node` (as Cloudflare's
//! nodejs-http-server template uses them), against the real server on
//! every engine: a request reaches the app's `createServer` listener with
//! its method, URL, headers and body; the app's status, message, headers
//! and body (fixed or streamed) come back; a listener that throws is a 500;
//! `listen` and `httpServerHandler` by port or by server; a port nobody
//! listens on is an error; and `createServer` follows its compatibility
//! flag and date.

mod common;

use common::{on_each_engine, Server, TempConfig};
use serde_json::json;

fn serve(
    engine: &str,
    main: &str,
    source: &str,
    date: &str,
    flags: &[&str],
) -> (TempConfig, Server) {
    let flags: Vec<String> = flags.iter().map(|f| format!("{f:?}")).collect();
    let toml = format!(
        "[[workers]]\nname = \"w\"\nmain = \"{main}\"\ncompatibility_date = \"{date}\"\n\
         compatibility_flags = [{}]\nroutes = [\"*/*\"]\n[workers.vars]\nNAME = \"w\"\n",
        flags.join(", ")
    );
    let c = TempConfig::new(&[(main, source), ("motu.toml", &toml)]);
    let s = Server::start(&["--config", &c.path("motu.toml"), "--engine", engine]);
    (c, s)
}

#[test]
fn a_node_http_server_answers_the_workers_requests() {
    on_each_engine(
        "a_node_http_server_answers_the_workers_requests",
        |engine| {
            let (_c, s) = serve(
                engine,
                "worker.js",
                include_str!("fixtures/node_http_server.js"),
                "2025-10-08",
                &["nodejs_compat"],
            );
            let r = s.request(
                "POST",
                "/echo?q=1",
                &[("x-test", "hello"), ("content-type", "text/plain")],
                b"the body",
            );
            assert_eq!(r.status, 201, "{}\n{}", r.text(), s.log());
            assert_eq!(
                r.json(),
                json!({ "method": "POST", "url": "/echo?q=1", "header": "hello", "body": "the body",
                    "version": "1.1", "port": 8080, "env": "string" })
            );
            assert_eq!(r.header("content-type"), Some("application/json"));
            assert_eq!(r.header("x-extra"), Some("yes"));
            let cookies: Vec<&str> = r
                .headers
                .iter()
                .filter(|(k, _)| k == "set-cookie")
                .map(|(_, v)| v.as_str())
                .collect();
            assert_eq!(cookies, ["a=1", "b=2"]);

            let r = s.get("/stream");
            assert_eq!(r.status, 200, "{}", s.log());
            assert_eq!(r.text(), "first|true|ERR_HTTP_HEADERS_SENT|last");
            assert_eq!(r.header("content-type"), Some("text/plain"));

            let r = s.get("/elsewhere");
            assert_eq!((r.status, r.text().as_str()), (404, "nothing here"));
            assert_eq!(s.get("/throws").status, 500);

            assert_eq!(s.get("/other").text(), "other on its own port");
            let r = s.get("/listening").json();
            assert_eq!(
                r,
                json!({ "listening": true, "again": "ERR_SERVER_ALREADY_LISTEN",
                    "address": { "address": "127.0.0.1", "family": "IPv4", "port": 8080 } })
            );
            let missing = s.get("/missing").text();
            assert!(
                missing.starts_with("ERR_INVALID_ARG_VALUE: Http server with port 9 not found"),
                "{missing}"
            );
        },
    );
}

const PROBE: &str = "import { createServer } from 'node:http';
export default {
  fetch() {
    try {
      createServer(() => {});
      return new Response('made');
    } catch (e) {
      return new Response(e.code);
    }
  },
};
";

#[test]
fn create_server_follows_its_compatibility_flag_and_date() {
    on_each_engine(
        "create_server_follows_its_compatibility_flag_and_date",
        |engine| {
            let cases: &[(&str, &[&str], &str)] = &[
                (
                    "2025-08-15",
                    &["nodejs_compat"],
                    "ERR_METHOD_NOT_IMPLEMENTED",
                ),
                ("2025-09-01", &["nodejs_compat"], "made"),
                (
                    "2025-08-15",
                    &["nodejs_compat", "enable_nodejs_http_server_modules"],
                    "made",
                ),
                (
                    "2025-10-08",
                    &["nodejs_compat", "disable_nodejs_http_server_modules"],
                    "ERR_METHOD_NOT_IMPLEMENTED",
                ),
            ];
            for (date, flags, expected) in cases {
                let (_c, s) = serve(engine, "probe.mjs", PROBE, date, flags);
                let r = s.get("/");
                assert_eq!(r.text(), *expected, "{date} {flags:?}\n{}", s.log());
            }
        },
    );
}
