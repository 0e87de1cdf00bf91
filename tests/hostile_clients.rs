//! Hostile clients against the real server, on every engine: slow and
//! short bodies, malformed chunked bodies, missing, doubled and invalid
//! `Host` headers, forbidden methods, many headers, and a response stream
//! that never starts. Each gets the gateway's client error (never a
//! Worker's 500, never in the Worker's error log), counted in
//! `motu_client_errors_total`; a neighbour Worker is asked throughout and
//! must answer every request right.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{on_each_engine, Server, TempConfig};

/// `app` takes every host; `healthy` (the neighbour) answers at
/// `healthy.test`. Bodies time out after 1.5 s of waiting, or when
/// they average less than 500 bytes/s.
fn serve(engine: &str) -> (TempConfig, Server) {
    let config = TempConfig::new(&[
        (
            "motu.toml",
            "[server]\nbody_timeout_ms = 1500\nbody_min_rate = 500\n\
             [admin]\nlisten = \"127.0.0.1:0\"\n\
             [[workers]]\nname = \"app\"\nmain = \"clients.js\"\nroutes = [\"*/*\"]\n\
             [[workers]]\nname = \"healthy\"\nmain = \"hello.js\"\nroutes = [\"healthy.test/*\"]\n",
        ),
        ("clients.js", include_str!("fixtures/hostile/clients.js")),
        ("hello.js", include_str!("fixtures/hello.js")),
    ]);
    let path = config.path("motu.toml");
    let server = Server::start(&["--config", path.as_str(), "--engine", engine]);
    (config, server)
}

/// Asks the neighbour Worker over and over while a test runs; counts the
/// answers that were not exactly right.
struct Neighbour {
    stop: Arc<AtomicBool>,
    asked: Arc<AtomicUsize>,
    wrong: Arc<AtomicUsize>,
    first_wrong: Arc<std::sync::Mutex<Option<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Neighbour {
    fn start(s: &Server) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let asked = Arc::new(AtomicUsize::new(0));
        let wrong = Arc::new(AtomicUsize::new(0));
        let first_wrong = Arc::new(std::sync::Mutex::new(None));
        let (st, a, w, addr) = (stop.clone(), asked.clone(), wrong.clone(), s.addr.clone());
        let fw = first_wrong.clone();
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                let r = common::try_request(&addr, "GET", "/", &[("host", "healthy.test")], b"");
                let got = r.map(|r| (r.status, r.text()));
                if got != Some((200, "Hello World!".to_owned())) {
                    w.fetch_add(1, Ordering::SeqCst);
                    fw.lock().unwrap().get_or_insert(format!("{got:?}"));
                }
                a.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Self {
            stop,
            asked,
            wrong,
            first_wrong,
            thread: Some(thread),
        }
    }

    /// Stops once the neighbour was asked at least once; every answer must
    /// have been right.
    fn finish(mut self) {
        while self.asked.load(Ordering::SeqCst) == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap();
        let (asked, wrong) = (
            self.asked.load(Ordering::SeqCst),
            self.wrong.load(Ordering::SeqCst),
        );
        let first = self.first_wrong.lock().unwrap().clone();
        assert_eq!(
            wrong, 0,
            "{wrong} of {asked} answers of the neighbour were wrong; the first: {first:?}"
        );
    }
}

fn connect(s: &Server) -> TcpStream {
    let stream = TcpStream::connect(&s.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream
}

/// Reads what the server sends until it closes the connection.
fn read_all(stream: &mut TcpStream) -> String {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    String::from_utf8_lossy(&raw).into_owned()
}

/// Sends `bytes` on a fresh connection and reads until the server closes.
fn exchange(s: &Server, bytes: &[u8]) -> String {
    let mut c = connect(s);
    c.write_all(bytes).unwrap();
    read_all(&mut c)
}

/// The status code of a raw response (0 for none at all).
fn status(raw: &str) -> u16 {
    raw.strip_prefix("HTTP/1.")
        .and_then(|r| r.get(2..5))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// The body of a raw response with a `content-length`.
fn body(raw: &str) -> &str {
    raw.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

/// The value of a metric sample with exactly these labels, if present.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut wanted: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    wanted.sort();
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (key, value) = l.rsplit_once(' ')?;
        let (metric, set) = match key.split_once('{') {
            Some((m, rest)) => (m, rest.trim_end_matches('}')),
            None => (key, ""),
        };
        let mut set: Vec<String> = set
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        set.sort();
        (metric == name && set == wanted).then(|| value.parse().ok())?
    })
}

fn metrics(s: &Server) -> String {
    let admin = s.admin.as_deref().expect("an admin listener");
    common::request(admin, "GET", "/metrics", &[], b"").text()
}

/// Waits until a metric sample has `value` (events end just after their
/// response), up to 30 s, and asserts it.
fn wait_for_sample(s: &Server, name: &str, labels: &[(&str, &str)], value: f64) {
    let start = Instant::now();
    loop {
        let text = metrics(s);
        let got = sample(&text, name, labels);
        if got == Some(value) {
            return;
        }
        if start.elapsed() > Duration::from_secs(30) {
            panic!("{name}{labels:?} is {got:?}, not {value}, in\n{text}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The client errors counted for `reason`.
fn client_errors(s: &Server, reason: &str) -> f64 {
    sample(
        &metrics(s),
        "motu_client_errors_total",
        &[("reason", reason)],
    )
    .unwrap_or(0.0)
}

/// Nothing the clients did was logged as the Worker's error.
fn assert_no_worker_error(s: &Server) {
    let log = s.log();
    assert!(
        !log.contains("uncaught exception") && !log.contains(" ERROR "),
        "a client's fault was logged as an error:\n{log}"
    );
}

#[test]
fn slow_and_short_bodies_get_408_and_free_their_events() {
    on_each_engine(
        "slow_and_short_bodies_get_408_and_free_their_events",
        |engine| {
            let (_c, s) = serve(engine);
            let neighbour = Neighbour::start(&s);

            // A content-length larger than what is sent: streamed to the
            // Worker, which waits for the rest.
            let mut c = connect(&s);
            c.write_all(b"POST /read HTTP/1.1\r\nhost: app.test\r\ncontent-length: 1000000\r\n\r\n0123456789")
                .unwrap();
            let raw = read_all(&mut c);
            assert_eq!(status(&raw), 408, "{raw}");
            assert_eq!(body(&raw), "The request body was not sent in time.\n");

            // The same for a small body, read before any Worker runs.
            let mut c = connect(&s);
            c.write_all(
                b"POST /read HTTP/1.1\r\nhost: app.test\r\ncontent-length: 100\r\n\r\n0123456789",
            )
            .unwrap();
            let raw = read_all(&mut c);
            assert_eq!(status(&raw), 408, "{raw}");

            // A chunked body trickled a byte at a time: each gap is far
            // shorter than the timeout, but the rate is far below 500 B/s.
            let mut c = connect(&s);
            c.write_all(
                b"POST /read HTTP/1.1\r\nhost: app.test\r\ntransfer-encoding: chunked\r\n\r\n",
            )
            .unwrap();
            let mut writer = c.try_clone().unwrap();
            let trickle = std::thread::spawn(move || {
                for _ in 0..3000 {
                    if writer.write_all(b"1\r\nx\r\n").is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
            let raw = read_all(&mut c);
            assert_eq!(status(&raw), 408, "{raw}");
            drop(c);
            trickle.join().unwrap();

            // A slow but steady client is served: 2000 bytes every 100 ms.
            let mut c = connect(&s);
            c.write_all(b"POST /read HTTP/1.1\r\nhost: app.test\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n")
                .unwrap();
            for _ in 0..10 {
                c.write_all(b"7d0\r\n").unwrap();
                c.write_all(&[b'y'; 2000]).unwrap();
                c.write_all(b"\r\n").unwrap();
                std::thread::sleep(Duration::from_millis(100));
            }
            c.write_all(b"0\r\n\r\n").unwrap();
            let raw = read_all(&mut c);
            assert_eq!((status(&raw), body(&raw)), (200, "read 20000"), "{raw}");

            // Every event is over: none waits for a body any more.
            wait_for_sample(&s, "motu_events_in_flight", &[], 0.0);
            assert_eq!(client_errors(&s, "body_timeout"), 3.0);
            assert_no_worker_error(&s);
            neighbour.finish();
        },
    );
}

#[test]
fn malformed_and_cut_off_bodies_are_client_errors() {
    on_each_engine("malformed_and_cut_off_bodies_are_client_errors", |engine| {
        let (_c, s) = serve(engine);
        let neighbour = Neighbour::start(&s);

        // An invalid chunk size.
        let raw = exchange(
                &s,
                b"POST /read HTTP/1.1\r\nhost: app.test\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nabc\r\n0\r\n\r\n",
            );
        assert_eq!(status(&raw), 400, "{raw}");
        assert_eq!(body(&raw), "The request body could not be read.\n");

        // A body cut off: the client stops sending before the
        // content-length is reached.
        let mut c = connect(&s);
        c.write_all(
            b"POST /read HTTP/1.1\r\nhost: app.test\r\ncontent-length: 1000000\r\n\r\n0123456789",
        )
        .unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let raw = read_all(&mut c);
        assert_eq!(status(&raw), 400, "{raw}");

        assert_eq!(client_errors(&s, "body_malformed"), 2.0);
        let text = metrics(&s);
        assert_eq!(
            sample(
                &text,
                "motu_requests_total",
                &[("worker", "app"), ("status", "5xx")]
            ),
            None,
            "{text}"
        );
        // A well-formed body on the same server is read whole.
        let r = s.request("POST", "/read", &[("host", "app.test")], &[b'z'; 100_000]);
        assert_eq!((r.status, r.text()), (200, "read 100000".to_owned()));
        assert_no_worker_error(&s);
        neighbour.finish();
    });
}

#[test]
fn requests_without_exactly_one_valid_host_get_400() {
    on_each_engine(
        "requests_without_exactly_one_valid_host_get_400",
        |engine| {
            let (_c, s) = serve(engine);
            let neighbour = Neighbour::start(&s);
            for bad in [
                &b"GET / HTTP/1.1\r\n\r\n"[..],
                b"GET / HTTP/1.1\r\nhost: app.test\r\nhost: other.test\r\n\r\n",
                b"GET / HTTP/1.1\r\nhost: app.test\r\nhost: app.test\r\n\r\n",
                b"GET / HTTP/1.1\r\nhost: a b\r\n\r\n",
                b"GET / HTTP/1.1\r\nhost: a@healthy.test\r\n\r\n",
                b"GET http://a@healthy.test/ HTTP/1.1\r\nhost: healthy.test\r\n\r\n",
            ] {
                let raw = exchange(&s, bad);
                let shown = String::from_utf8_lossy(bad);
                assert_eq!(status(&raw), 400, "{shown:?} got {raw:?}");
                assert!(
                    !raw.contains("Hello World!") && !raw.contains("GET /"),
                    "{raw}"
                );
            }
            // HTTP/1.0 needs no Host.
            let raw = exchange(&s, b"GET /old HTTP/1.0\r\n\r\n");
            assert_eq!((status(&raw), body(&raw)), (200, "GET /old"), "{raw}");
            assert_eq!(client_errors(&s, "host"), 6.0);
            assert_no_worker_error(&s);
            neighbour.finish();
        },
    );
}

#[test]
fn methods_no_worker_can_receive_get_501() {
    on_each_engine("methods_no_worker_can_receive_get_501", |engine| {
        let (_c, s) = serve(engine);
        let neighbour = Neighbour::start(&s);
        for method in ["TRACE", "TRACK", "trace"] {
            let raw = exchange(
                &s,
                format!("{method} / HTTP/1.1\r\nhost: app.test\r\nconnection: close\r\n\r\n")
                    .as_bytes(),
            );
            assert_eq!(status(&raw), 501, "{method}: {raw}");
        }
        // Other methods, standard or not, reach the Worker.
        for method in ["OPTIONS", "PURGE"] {
            let r = s.request(method, "/m", &[("host", "app.test")], b"");
            assert_eq!((r.status, r.text()), (200, format!("{method} /m")));
        }
        assert_eq!(client_errors(&s, "method"), 3.0);
        assert_no_worker_error(&s);
        neighbour.finish();
    });
}

#[test]
fn many_headers_are_served_up_to_max_headers() {
    on_each_engine("many_headers_are_served_up_to_max_headers", |engine| {
        let (_c, s) = serve(engine);
        let neighbour = Neighbour::start(&s);
        let head = |n: usize| {
            let mut h =
                String::from("GET /headers HTTP/1.1\r\nhost: app.test\r\nconnection: close\r\n");
            for i in 0..n {
                h.push_str(&format!("x-h{i}: {i}\r\n"));
            }
            h.push_str("\r\n");
            h
        };
        // 200 headers of ours, with host and connection: past hyper's
        // default of 100, within the default max_headers of 256.
        let raw = exchange(&s, head(200).as_bytes());
        assert_eq!((status(&raw), body(&raw)), (200, "headers 202"), "{raw}");
        let raw = exchange(&s, head(300).as_bytes());
        assert_eq!(status(&raw), 431, "{raw}");
        neighbour.finish();
    });
}

#[test]
fn a_response_stream_gets_its_head_out_before_its_first_chunk() {
    on_each_engine(
        "a_response_stream_gets_its_head_out_before_its_first_chunk",
        |engine| {
            let (_c, s) = serve(engine);
            let neighbour = Neighbour::start(&s);
            // Nothing could ever write to the stream: a 500 with a status
            // line, not an empty reply.
            let raw = exchange(
                &s,
                b"GET /silent-stream HTTP/1.1\r\nhost: app.test\r\nconnection: close\r\n\r\n",
            );
            assert_eq!(status(&raw), 500, "{raw:?}");
            assert_eq!(
                body(&raw),
                "The Worker's response body failed before it began.\n"
            );
            // A stream that stays open with nothing to send yet: its head
            // goes out on its own.
            let mut c = connect(&s);
            c.write_all(b"GET /idle-stream HTTP/1.1\r\nhost: app.test\r\n\r\n")
                .unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                assert_eq!(
                    c.read(&mut byte).unwrap(),
                    1,
                    "the head broke off: {head:?}"
                );
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            assert_eq!(status(&head), 200, "{head}");
            assert!(head.contains("transfer-encoding: chunked"), "{head}");
            drop(c);
            neighbour.finish();
        },
    );
}
