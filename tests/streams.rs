//! Streamed request and response bodies through the real server, on every
//! engine: a response the client sees while it is produced, a large upload
//! read chunk by chunk and one read whole, echo streams, and response streams that fail, break
//! the CPU limit midway (the isolate is evicted) or can never finish: the
//! client gets an error, not a hang, and other requests are still answered.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{on_each_engine, Server, TempConfig};

/// Sends a GET and returns the raw bytes with the time each read arrived.
fn timed_get(addr: &str, path: &str) -> Vec<(Duration, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let start = Instant::now();
    let mut reads = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return reads,
            Ok(n) => reads.push((start.elapsed(), buf[..n].to_vec())),
        }
    }
}

fn all_bytes(reads: &[(Duration, Vec<u8>)]) -> Vec<u8> {
    reads.iter().flat_map(|(_, b)| b.clone()).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_streamed_response_arrives_while_it_is_produced() {
    on_each_engine(
        "a_streamed_response_arrives_while_it_is_produced",
        |engine| {
            let s = Server::worker("streams.js", engine, &[]);
            let reads = timed_get(&s.addr, "/chunks");
            let raw = all_bytes(&reads);
            let text = String::from_utf8_lossy(&raw);
            assert!(text.starts_with("HTTP/1.1 200"), "{text}");
            assert!(text.contains("transfer-encoding: chunked"), "{text}");
            assert!(
                contains(&raw, b"\r\n0\r\n\r\n"),
                "the body ended properly: {text}"
            );
            let first = reads
                .iter()
                .find(|(_, b)| contains(b, b"chunk 1;"))
                .map(|(t, _)| *t)
                .expect("the first chunk");
            let last = reads
                .iter()
                .find(|(_, b)| contains(b, b"chunk 3;"))
                .map(|(t, _)| *t)
                .expect("the last chunk");
            assert!(
                last >= first + Duration::from_millis(450),
                "the first chunk came at {first:?}, before the last one was produced ({last:?})"
            );
            let r = s.get("/chunks");
            assert_eq!(r.text(), "chunk 1;chunk 2;chunk 3;");
        },
    );
}

#[test]
fn a_large_upload_is_read_chunk_by_chunk() {
    on_each_engine("a_large_upload_is_read_chunk_by_chunk", |engine| {
        // Hundreds of chunks, each a turn of JavaScript: the test is about
        // streaming, so the CPU limit is set well above what they cost.
        let c = TempConfig::new(&[
            ("streams.js", include_str!("fixtures/streams.js")),
            (
                "motu.toml",
                &format!(
                    "[server]\nengine = \"{engine}\"\n[limits]\ncpu_ms = 2000\n\
                     [[workers]]\nname = \"streams\"\nmain = \"streams.js\"\nroutes = [\"*/*\"]\n"
                ),
            ),
        ]);
        let s = Server::start(&["--config", &c.path("motu.toml")]);
        let size = 6 * 1024 * 1024;
        let body: Vec<u8> = (0..size).map(|i| (i * 31 % 253) as u8).collect();
        let mut sum: u64 = 0;
        for (i, b) in body.iter().enumerate().step_by(61) {
            sum = (sum + *b as u64 * ((i % 7) as u64 + 1)) % 1_000_000_007;
        }
        let r = s.request("POST", "/upload", &[], &body);
        assert_eq!(r.status, 200, "{}", r.text());
        let j = r.json();
        assert_eq!(j["bytes"], size);
        assert_eq!(j["sum"], sum);
        assert!(j["chunks"].as_u64().unwrap() > 1, "{j}");
        assert!(j["largest"].as_u64().unwrap() < size as u64, "{j}");
    });
}

#[test]
fn a_large_upload_read_whole_arrives_whole_and_counts_as_read() {
    on_each_engine(
        "a_large_upload_read_whole_arrives_whole_and_counts_as_read",
        |engine| {
            // About correctness, not cost: the CPU limit is set well above.
            let c = TempConfig::new(&[
                ("streams.js", include_str!("fixtures/streams.js")),
                (
                    "motu.toml",
                    &format!(
                        "[server]\nengine = \"{engine}\"\n[limits]\ncpu_ms = 2000\n\
                         [[workers]]\nname = \"streams\"\nmain = \"streams.js\"\nroutes = [\"*/*\"]\n"
                    ),
                ),
            ]);
            let s = Server::start(&["--config", &c.path("motu.toml")]);
            let size = 6 * 1024 * 1024 + 13;
            let body: Vec<u8> = (0..size).map(|i| (i * 31 % 253) as u8).collect();
            let mut sum: u64 = 0;
            for (i, b) in body.iter().enumerate().step_by(61) {
                sum = (sum + *b as u64 * ((i % 7) as u64 + 1)) % 1_000_000_007;
            }
            let r = s.request("POST", "/whole", &[], &body);
            assert_eq!(r.status, 200, "{}", r.text());
            let j = r.json();
            assert_eq!(j["bytes"], size);
            assert_eq!(j["sum"], sum);
            assert_eq!(j["used"], true, "{j}");
            assert_eq!(j["locked"], true, "{j}");
            assert_eq!(j["again"], "rejected", "{j}");
        },
    );
}

#[test]
fn request_bodies_stream_straight_back() {
    on_each_engine("request_bodies_stream_straight_back", |engine| {
        let s = Server::worker("streams.js", engine, &[]);
        let body: Vec<u8> = (0..(1024 * 1024 + 17)).map(|i| (i % 251) as u8).collect();
        let r = s.request("POST", "/echo", &[], &body);
        assert_eq!(r.status, 200);
        assert_eq!(r.body.len(), body.len());
        assert!(r.body == body, "the echoed body differs");
        // Small bodies arrive whole and still stream back.
        let r = s.request("POST", "/echo", &[], b"small");
        assert_eq!(r.text(), "small");
        let r = s.request("POST", "/upper", &[], b"shout this");
        assert_eq!(r.text(), "SHOUT THIS");
        let big = vec![b'a'; 300 * 1024];
        let r = s.request("POST", "/upper", &[], &big);
        assert!(r.body.len() == big.len() && r.body.iter().all(|&b| b == b'A'));
    });
}

#[test]
fn a_stream_closed_before_its_response_is_returned_is_sent_whole() {
    on_each_engine(
        "a_stream_closed_before_its_response_is_returned_is_sent_whole",
        |engine| {
            let s = Server::worker("streams.js", engine, &[]);
            let r = s.get("/closed-at-once?empty");
            assert_eq!((r.status, r.text()), (200, String::new()));
            let r = s.get("/closed-at-once");
            assert_eq!((r.status, r.text()), (200, "all of it".to_owned()));
        },
    );
}

#[test]
fn a_failing_response_stream_ends_the_response_with_an_error() {
    on_each_engine(
        "a_failing_response_stream_ends_the_response_with_an_error",
        |engine| {
            let s = Server::worker("streams.js", engine, &[]);
            for path in ["/fails-midway", "/spins-midway", "/never-ends"] {
                let started = Instant::now();
                let raw = all_bytes(&timed_get(&s.addr, path));
                let text = String::from_utf8_lossy(&raw);
                if path != "/never-ends" {
                    // What was produced before the failure was sent.
                    assert!(text.starts_with("HTTP/1.1 200"), "{path}: {text}");
                    assert!(contains(&raw, b"first part;"), "{path}: {text}");
                }
                assert!(
                    !contains(&raw, b"\r\n0\r\n\r\n"),
                    "{path}: the body must not end as if complete: {text}"
                );
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "{path}: the client waited {:?}",
                    started.elapsed()
                );
            }
            // Evicted for its CPU time before the body began: the head was
            // held back, so the answer is the limit's 503.
            let r = s.get("/spins-before-it-begins");
            assert_eq!(r.status, 503, "{}", r.text());
            // The Worker still answers, and so does the server.
            let r = s.get("/bystander");
            assert_eq!((r.status, r.text()), (200, "bystander ok".to_owned()));
        },
    );
}
