//! The real server's HTTP handling: HTTP/1.1 and h2c on one port, the
//! header timeout, size limits and keep-alive limits, on every engine.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{on_each_engine, Server, TempConfig};

/// A server with a 1 s header timeout, 1 MiB bodies, 8 KiB heads and three
/// requests per connection.
fn serve(engine: &str) -> (TempConfig, Server) {
    let config = TempConfig::new(&[
        (
            "motu.toml",
            "[server]\nheader_timeout_ms = 1000\nmax_body_mb = 1\nmax_header_bytes = 8192\nkeep_alive_max_requests = 3\n\
             [[workers]]\nname = \"app\"\nmain = \"shutdown.js\"\nroutes = [\"*/*\"]\n",
        ),
        (
            "shutdown.js",
            &std::fs::read_to_string(common::fixture("shutdown.js")).unwrap(),
        ),
    ]);
    let path = config.path("motu.toml");
    let server = Server::start(&["--config", path.as_str(), "--engine", engine]);
    (config, server)
}

fn connect(s: &Server) -> TcpStream {
    let stream = TcpStream::connect(&s.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// Reads one response with a `content-length` from a keep-alive
/// connection: status and body; `None` when the connection is closed.
fn read_response(stream: &mut TcpStream) -> Option<(u16, String)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ if head.is_empty() => return None,
            other => panic!("the response head broke off ({other:?}): {head:?}"),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().unwrap())
        })
        .unwrap_or_else(|| panic!("no content-length in {head}"));
    let mut body = vec![0; length];
    stream.read_exact(&mut body).unwrap();
    Some((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Whether the server closes `stream` within `within` (reading and
/// discarding what it sends).
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut sink = Vec::new();
    match stream.read_to_end(&mut sink) {
        Ok(_) => true,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

#[test]
fn slow_and_silent_clients_are_cut_off_after_the_header_timeout() {
    on_each_engine(
        "slow_and_silent_clients_are_cut_off_after_the_header_timeout",
        |engine| {
            let (_c, s) = serve(engine);
            // A client that trickles its headers, a line every 300 ms.
            let mut slow = connect(&s);
            slow.write_all(b"GET /wait HTTP/1.1\r\nhost: localhost\r\n")
                .unwrap();
            let mut writer = slow.try_clone().unwrap();
            std::thread::spawn(move || {
                for i in 0..30 {
                    std::thread::sleep(Duration::from_millis(300));
                    if write!(writer, "x-slow-{i}: 1\r\n").is_err() {
                        return;
                    }
                }
            });
            let start = Instant::now();
            let mut got = Vec::new();
            slow.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
            let _ = slow.read_to_end(&mut got);
            let waited = start.elapsed();
            assert!(
                waited >= Duration::from_millis(800) && waited < Duration::from_secs(4),
                "closed after {waited:?}"
            );
            assert!(
                !String::from_utf8_lossy(&got).contains(" 200 "),
                "the slow request was served"
            );
            // A client that connects and sends nothing.
            let mut silent = connect(&s);
            let start = Instant::now();
            assert!(closed_within(&mut silent, Duration::from_secs(5)));
            assert!(start.elapsed() < Duration::from_secs(4));
            // Other clients are served meanwhile and after.
            assert_eq!(s.get("/wait?ms=0").text(), "waited 0");
        },
    );
}

#[test]
fn bodies_over_the_limit_get_413_by_length_and_while_streaming() {
    on_each_engine(
        "bodies_over_the_limit_get_413_by_length_and_while_streaming",
        |engine| {
            let (_c, s) = serve(engine);
            // A content-length over 1 MiB: refused before the body is sent.
            let mut c = connect(&s);
            c.write_all(
                b"POST /echo HTTP/1.1\r\nhost: localhost\r\ncontent-length: 2097152\r\n\r\n",
            )
            .unwrap();
            let (status, body) = read_response(&mut c).unwrap();
            assert_eq!(status, 413);
            assert!(body.contains("larger than this server accepts"), "{body}");

            // A chunked body that grows past 1 MiB while the Worker reads it.
            let mut c = connect(&s);
            c.write_all(
                b"POST /echo HTTP/1.1\r\nhost: localhost\r\ntransfer-encoding: chunked\r\n\r\n",
            )
            .unwrap();
            let mut writer = c.try_clone().unwrap();
            let sender = std::thread::spawn(move || {
                let chunk = vec![b'a'; 16 * 1024];
                for _ in 0..128 {
                    if write!(writer, "{:x}\r\n", chunk.len()).is_err()
                        || writer.write_all(&chunk).is_err()
                        || writer.write_all(b"\r\n").is_err()
                    {
                        return;
                    }
                }
                let _ = writer.write_all(b"0\r\n\r\n");
            });
            let (status, body) = read_response(&mut c).unwrap();
            assert_eq!(status, 413, "{body}");
            assert!(body.contains("larger than this server accepts"), "{body}");
            sender.join().unwrap();

            // Bodies within the limit pass, whole and streamed.
            let body = vec![b'b'; 1 << 20];
            let r = s.request("POST", "/echo", &[], &body);
            assert_eq!(r.text(), "read 1048576 bytes over http");
            let mut c = connect(&s);
            c.write_all(
                b"POST /echo HTTP/1.1\r\nhost: localhost\r\ntransfer-encoding: chunked\r\n\r\n",
            )
            .unwrap();
            let chunk = vec![b'c'; 100_000];
            for _ in 0..3 {
                write!(c, "{:x}\r\n", chunk.len()).unwrap();
                c.write_all(&chunk).unwrap();
                c.write_all(b"\r\n").unwrap();
            }
            c.write_all(b"0\r\n\r\n").unwrap();
            assert_eq!(
                read_response(&mut c),
                Some((200, "read 300000 bytes over http".to_owned()))
            );
        },
    );
}

#[test]
fn malformed_and_oversized_heads_are_refused_by_the_server() {
    on_each_engine(
        "malformed_and_oversized_heads_are_refused_by_the_server",
        |engine| {
            let (_c, s) = serve(engine);
            for bad in [
                &b"GARBAGE\r\n\r\n"[..],
                b"GET / HTTP/1.1\r\nhost: localhost\r\nno colon here\r\n\r\n",
                b"GET /\xff HTTP/1.1\r\nhost: localhost\r\n\r\n",
            ] {
                let mut c = connect(&s);
                c.write_all(bad).unwrap();
                let mut raw = Vec::new();
                let _ = c.read_to_end(&mut raw);
                let text = String::from_utf8_lossy(&raw);
                assert!(
                    text.starts_with("HTTP/1.1 400 "),
                    "{:?} got {text:?}",
                    String::from_utf8_lossy(bad)
                );
                // Answered by the server, not by the Worker.
                assert!(!text.contains("read "), "{text}");
            }
            let mut c = connect(&s);
            let big = "v".repeat(10_000);
            // One write: `write!` would send the head in pieces, and the
            // server may answer and close before the last of them.
            let head = format!("GET / HTTP/1.1\r\nhost: localhost\r\nx-big: {big}\r\n\r\n");
            c.write_all(head.as_bytes()).unwrap();
            let mut raw = Vec::new();
            let _ = c.read_to_end(&mut raw);
            let text = String::from_utf8_lossy(&raw);
            assert!(text.starts_with("HTTP/1.1 431 "), "{text:?}");
            assert_eq!(s.get("/wait?ms=0").text(), "waited 0");
        },
    );
}

#[test]
fn keep_alive_connections_end_after_the_request_limit_or_when_idle() {
    on_each_engine(
        "keep_alive_connections_end_after_the_request_limit_or_when_idle",
        |engine| {
            let (_c, s) = serve(engine);
            let mut c = connect(&s);
            for i in 0..3 {
                write!(c, "GET /wait?ms={i} HTTP/1.1\r\nhost: localhost\r\n\r\n").unwrap();
                assert_eq!(read_response(&mut c), Some((200, format!("waited {i}"))));
            }
            // The third request was the last on this connection: it closes
            // at once, well before the idle timeout (1 s).
            assert!(closed_within(&mut c, Duration::from_millis(500)));

            // An idle keep-alive connection is closed after the header
            // timeout (1 s).
            let mut c = connect(&s);
            c.write_all(b"GET /wait?ms=0 HTTP/1.1\r\nhost: localhost\r\n\r\n")
                .unwrap();
            assert_eq!(read_response(&mut c), Some((200, "waited 0".to_owned())));
            let start = Instant::now();
            assert!(closed_within(&mut c, Duration::from_secs(5)));
            let waited = start.elapsed();
            assert!(
                waited >= Duration::from_millis(800) && waited < Duration::from_secs(3),
                "{waited:?}"
            );
        },
    );
}

#[test]
fn h2c_with_prior_knowledge_is_served_on_the_same_port() {
    on_each_engine(
        "h2c_with_prior_knowledge_is_served_on_the_same_port",
        |engine| {
            use http_body_util::{BodyExt, Full};

            let (_c, s) = serve(engine);
            let addr = s.addr.clone();
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
                let (mut sender, conn) = hyper::client::conn::http2::handshake(
                    hyper_util::rt::TokioExecutor::new(),
                    hyper_util::rt::TokioIo::new(stream),
                )
                .await
                .expect("an HTTP/2 handshake");
                tokio::spawn(conn);
                let mut send = |method: &str, path: &str, body: Vec<u8>| {
                    let request = http::Request::builder()
                        .method(method)
                        .uri(format!("http://localhost{path}"))
                        .header("x-proto", "h2")
                        .body(Full::new(bytes::Bytes::from(body)))
                        .unwrap();
                    sender.send_request(request)
                };
                let r = send("GET", "/wait?ms=0", Vec::new()).await.unwrap();
                assert_eq!(r.version(), http::Version::HTTP_2);
                assert_eq!(r.status(), 200);
                let body = r.into_body().collect().await.unwrap().to_bytes();
                assert_eq!(&body[..], b"waited 0");
                // A body, whole, on the same connection.
                let r = send("POST", "/echo", vec![b'x'; 100_000]).await.unwrap();
                let body = r.into_body().collect().await.unwrap().to_bytes();
                assert_eq!(&body[..], b"read 100000 bytes over h2");
                // Over the limit: 413 here too.
                let r = send("POST", "/echo", vec![b'x'; (1 << 20) + 1])
                    .await
                    .unwrap();
                assert_eq!(r.status(), 413);
            });
        },
    );
}
