//! Outbound `fetch()` from Workers of the real server, on every engine:
//! methods, bodies and headers, redirect modes, the egress policy and the
//! per-event subrequest limit, against an origin server the test starts.

mod common;

use common::{on_each_engine, Origin, Server, TempConfig};

fn serve(engine: &str, origin: &Origin, extra: &str) -> (TempConfig, Server) {
    let c = TempConfig::new(&[
        ("fetcher.js", include_str!("fixtures/fetcher.js")),
        ("hello.js", include_str!("fixtures/hello.js")),
        (
            "motu.toml",
            &format!(
                "[server]\nengine = \"{engine}\"\n{extra}\n\
                 [[workers]]\nname = \"fetcher\"\nmain = \"fetcher.js\"\nroutes = [\"fetcher.test/*\"]\n\
                 [workers.vars]\nORIGIN = \"{}\"\n\
                 [[workers]]\nname = \"hello\"\nmain = \"hello.js\"\nroutes = [\"hello.test/*\"]\n",
                origin.url()
            ),
        ),
    ]);
    let s = Server::start(&["--config", &c.path("motu.toml")]);
    (c, s)
}

fn ask(s: &Server, path: &str) -> (u16, String) {
    let r = s.request("GET", path, &[("host", "fetcher.test")], b"");
    (r.status, r.text())
}

#[test]
fn subrequests_reach_an_allowed_origin() {
    on_each_engine("subrequests_reach_an_allowed_origin", |engine| {
        let origin = Origin::start();
        let allow = format!("[egress]\nallow_hosts = [\"{}\"]\n", origin.addr);
        let (_c, s) = serve(engine, &origin, &allow);
        assert_eq!(
            ask(&s, "/get"),
            (200, "200 false /hello hello from origin".into())
        );
        assert_eq!(ask(&s, "/post"), (200, "yes POST ping".into()));
        assert_eq!(
            ask(&s, "/follow"),
            (200, "200 true /hello hello from origin".into())
        );
        // 303 turns the POST into a GET without its body.
        assert_eq!(ask(&s, "/see-other"), (200, "200 true /echo GET ".into()));
        assert_eq!(ask(&s, "/manual"), (200, "301 /hello".into()));
        let (status, text) = ask(&s, "/error-mode");
        assert_eq!(status, 502);
        assert!(
            text.starts_with("TypeError: ") && text.contains("'error'"),
            "{text}"
        );
        let (status, text) = ask(&s, "/loop");
        assert_eq!(status, 502);
        assert!(text.contains("more than 20 redirects"), "{text}");
        // Bodies arrive as they are received: read chunk by chunk, or
        // passed straight through as the Worker's response.
        assert_eq!(
            ask(&s, "/stream-timing"),
            (200, "first+last spread=true".into())
        );
        assert_eq!(ask(&s, "/proxy"), (200, "firstlast".into()));
        // Request bodies stream out too: one produced by the Worker, and the
        // client's own upload (over 64 KiB, so it arrives as a stream).
        assert_eq!(
            ask(&s, "/upload-stream"),
            (200, "POST part1;part2;part3;".into())
        );
        let upload = vec![b'x'; 200 * 1024];
        let r = s.request(
            "POST",
            "/upload-proxy",
            &[("host", "fetcher.test")],
            &upload,
        );
        assert_eq!(
            (r.status, r.text()),
            (200, format!("{} POST xxxx", 200 * 1024 + 5))
        );
        // An event that ends while its upload is still being written: the
        // upload is released, and the isolate goes on serving.
        assert_eq!(ask(&s, "/upload-abandoned"), (200, "left behind".into()));
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert_eq!(
            ask(&s, "/get"),
            (200, "200 false /hello hello from origin".into())
        );
        // An AbortSignal cancels a subrequest in flight.
        let (status, text) = ask(&s, "/abort");
        assert_eq!(status, 502);
        assert!(text.starts_with("AbortError: "), "{text}");
        let (status, text) = ask(&s, "/abort-body");
        assert_eq!(status, 502);
        assert!(text.starts_with("AbortError: "), "{text}");
        let (status, text) = ask(&s, "/timeout");
        assert_eq!(status, 502);
        assert!(text.starts_with("TimeoutError: "), "{text}");
        let (status, text) = ask(&s, "/bad-scheme");
        assert_eq!(status, 502);
        assert!(text.contains("scheme 'file' is not supported"), "{text}");
    });
}

#[test]
fn private_addresses_are_refused_by_default() {
    on_each_engine("private_addresses_are_refused_by_default", |engine| {
        let origin = Origin::start();
        let (_c, s) = serve(engine, &origin, "");
        let before = origin.served.load(std::sync::atomic::Ordering::SeqCst);
        for target in [
            origin.url() + "/hello",
            format!(
                "http://localhost:{}/hello",
                origin.addr.rsplit(':').next().unwrap()
            ),
            "http://[::1]/".to_owned(),
            "http://169.254.169.254/latest/meta-data/".to_owned(),
            "http://10.0.0.1/".to_owned(),
        ] {
            let (status, text) = ask(&s, &format!("/private?to={target}"));
            assert_eq!(status, 502, "{target}: {text}");
            assert!(text.contains("egress policy"), "{target}: {text}");
        }
        assert_eq!(
            origin.served.load(std::sync::atomic::Ordering::SeqCst),
            before,
            "no request reached the origin"
        );
        // allow_private opens them all.
        let (_c, s) = serve(engine, &origin, "[egress]\nallow_private = true\n");
        assert_eq!(
            ask(&s, "/get"),
            (200, "200 false /hello hello from origin".into())
        );
    });
}

#[test]
fn the_subrequest_limit_is_per_event() {
    on_each_engine("the_subrequest_limit_is_per_event", |engine| {
        let origin = Origin::start();
        // Fifty fetches' host work in one event runs unoptimized in a debug
        // build: CPU time to spare, the count is what is tested here.
        let extra = "[egress]\nallow_private = true\n[limits]\nsubrequests = 50\ncpu_ms = 1000\n";
        let (_c, s) = serve(engine, &origin, extra);
        assert_eq!(ask(&s, "/many?n=50"), (200, "made 50".into()));
        // The count starts again with each event; the 51st call fails.
        let (status, text) = ask(&s, "/many?n=51");
        assert_eq!(status, 502);
        assert!(text.contains("Too many subrequests"), "{text}");
        assert!(text.contains("at most 50"), "{text}");
        // The isolate is not at fault: it keeps serving.
        assert_eq!(ask(&s, "/get").0, 200);
        let r = s.request("GET", "/", &[("host", "hello.test")], b"");
        assert_eq!((r.status, r.text()), (200, "Hello World!".to_owned()));
    });
}

/// A Worker that answers with a subrequest's response as it is (a proxy's
/// `return fetch(url)`) hands its body back to the server unread: the body
/// goes on from the origin to the client without the isolate, so the
/// isolate's eviction meanwhile (here for its CPU limit) does not cut it off,
/// as it cuts off a body JavaScript still pumps.
#[test]
fn a_proxied_body_passes_through_without_the_isolate() {
    use std::io::{Read, Write};
    on_each_engine(
        "a_proxied_body_passes_through_without_the_isolate",
        |engine| {
            let origin = Origin::start();
            let extra = "[egress]\nallow_private = true\n";
            let c = TempConfig::new(&[
                ("fetcher.js", include_str!("fixtures/fetcher.js")),
                (
                    "motu.toml",
                    &format!(
                        "[server]\nengine = \"{engine}\"\n{extra}\n\
                     [[workers]]\nname = \"fetcher\"\nmain = \"fetcher.js\"\n\
                     routes = [\"fetcher.test/*\"]\nmax_instances = 1\n\
                     [workers.vars]\nORIGIN = \"{}\"\n",
                        origin.url()
                    ),
                ),
            ]);
            let s = Server::start(&["--config", &c.path("motu.toml")]);
            let mut client = std::net::TcpStream::connect(&s.addr).unwrap();
            client
                .write_all(
                    b"GET /proxy-held HTTP/1.1\r\nhost: fetcher.test\r\nconnection: close\r\n\r\n",
                )
                .unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while !String::from_utf8_lossy(&got).contains("first") {
                let n = client.read(&mut buf).unwrap();
                assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&got));
                got.extend_from_slice(&buf[..n]);
            }
            // The isolate breaks its CPU limit and is evicted while the body
            // is still coming from the origin.
            let r = s.request("GET", "/spin", &[("host", "fetcher.test")], b"");
            assert_eq!(r.status, 503, "{}", r.text());
            let log = s.wait_for_log("isolate evicted");
            assert!(log.contains("isolate evicted"), "{log}");
            origin.release();
            client.read_to_end(&mut got).unwrap();
            let text = String::from_utf8_lossy(&got);
            assert!(text.starts_with("HTTP/1.1 200"), "{text}");
            assert!(text.contains("first") && text.contains("last"), "{text}");
            assert!(
                text.ends_with("0\r\n\r\n"),
                "the body ended cleanly: {text}"
            );
            // A new isolate serves the next request.
            let r = s.request("GET", "/get", &[("host", "fetcher.test")], b"");
            assert_eq!(r.status, 200, "{}", r.text());
        },
    );
}
