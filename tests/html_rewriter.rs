//! `HTMLRewriter` in Workers of the real server, on every engine: element,
//! end tag, comment, text, doctype and document-end handlers with every
//! method they have, async handlers, errors, and streaming: the rewritten
//! output of a body's first chunk reaches the client while the body still
//! waits for its second.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{on_each_engine, Server, TempConfig};
use serde_json::{json, Value};

/// A one-shot origin: answers its first request with `second` once the
/// test sends on the channel.
struct Gate {
    addr: String,
    open: mpsc::Sender<()>,
}

impl Gate {
    fn start() -> Gate {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (open, opened) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
            }
            // The test opens the gate, or gives up (the sender is dropped).
            let _ = opened.recv();
            let mut out = stream;
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\nsecond"
            );
        });
        Gate { addr, open }
    }
}

fn serve(engine: &str, gate: &str) -> (TempConfig, Server) {
    serve_with(engine, gate, "")
}

fn serve_with(engine: &str, gate: &str, extra: &str) -> (TempConfig, Server) {
    let c = TempConfig::new(&[
        ("worker.js", include_str!("fixtures/html_rewriter.js")),
        (
            "motu.toml",
            &format!(
                "[server]\nengine = \"{engine}\"\n{extra}\n\
                 [egress]\nallow_hosts = [\"{gate}\"]\n\
                 [[workers]]\nname = \"html\"\nmain = \"worker.js\"\n\
                 [workers.vars]\nGATE = \"http://{gate}/\"\n"
            ),
        ),
    ]);
    let s = Server::start(&["--config", &c.path("motu.toml")]);
    (c, s)
}

fn ask(s: &Server, path: &str) -> Value {
    let r = s.get(path);
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r.json()
}

#[test]
fn html_rewriter_handles_every_node_kind() {
    on_each_engine("html_rewriter_handles_every_node_kind", |engine| {
        let (_c, s) = serve(engine, "127.0.0.1:9");
        let r = ask(&s, "/elements");
        assert_eq!(
            r["out"],
            "<hr><div id=\"a\" data-x=\"1\"><!--start--><p><b>new</b></p><picture></picture>\
             bold<strong>it</strong><em async=\"yes\">e</em><svg><circle/></svg>&lt;end&gt;\
             <i>in</i></div>!after &amp; done"
        );
        assert_eq!(
            r["seen"],
            json!([
                [
                    "div",
                    "div",
                    [["id", "a"], ["class", "x"]],
                    "a",
                    "a",
                    null,
                    true,
                    false,
                    "http://www.w3.org/1999/xhtml",
                    false,
                    true,
                    "div handlers"
                ],
                ["after set", "1", false],
                ["img onEndTag", "TypeError"],
                ["img", false],
                ["img removed", true],
                ["span removed", true],
                ["renamed", "strong"],
                ["circle", "http://www.w3.org/2000/svg"],
                ["end", "div"]
            ])
        );

        let r = ask(&s, "/comments");
        assert_eq!(
            r["out"],
            "<div>[<!--keep--><u>]</u><p>&lt;hi&gt;<b>x</b>( world)</p><!--renamed--></div>"
        );
        assert_eq!(
            r["seen"],
            json!([
                ["comment", "keep", false],
                ["comment", "drop", false],
                ["dropped", true],
                ["text", "hello ", false, false],
                ["text", "", true, false],
                ["text", "x", false, false],
                ["text", "", true, false],
                ["text", " world", false, false],
                ["text", "", true, false],
                ["comment", "rename", false]
            ])
        );

        let r = ask(&s, "/document");
        assert_eq!(
            r["out"],
            "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \
             \"http://www.w3.org/TR/html4/strict.dtd\"><html><!--C--><body>text</body></html>\
             <footer>&lt;&amp;&gt;|<!doctype html><p>x</p>"
        );
        assert_eq!(
            r["seen"],
            json!([
                [
                    "doctype",
                    "html",
                    "-//W3C//DTD HTML 4.01//EN",
                    "http://www.w3.org/TR/html4/strict.dtd"
                ],
                ["comment", "c"],
                ["text", "text", false],
                ["end"],
                ["bare doctype", "html", null, null]
            ])
        );
    });
}

#[test]
fn html_rewriter_errors_are_thrown_where_they_belong() {
    on_each_engine(
        "html_rewriter_errors_are_thrown_where_they_belong",
        |engine| {
            let (_c, s) = serve(engine, "127.0.0.1:9");
            let r = ask(&s, "/errors");
            assert_eq!(r["out"], "<p><!--c-->x</p>");
            assert_eq!(
                r["seen"],
                json!([
                    ["bad selector", "TypeError"],
                    ["bad handler", "TypeError"],
                    ["bad attribute", "TypeError"],
                    ["bad tag", "TypeError"],
                    ["bad comment", "TypeError"],
                    ["stale element", "TypeError"],
                    ["thrown", "RangeError", "handler failed"],
                    ["rejected", "SyntaxError", "async failed"],
                    ["not a response", "TypeError"],
                    ["null body", 204, null, "b"],
                    ["headers", null, "text/html"]
                ])
            );
            // The Worker still serves.
            assert_eq!(
                ask(&s, "/comments")["seen"][0],
                json!(["comment", "keep", false])
            );
        },
    );
}

/// Reads from `stream` until `buf` contains `needle` (or 30 s pass).
fn read_until(stream: &mut TcpStream, buf: &mut Vec<u8>, needle: &[u8]) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut chunk = [0u8; 4096];
    while !buf.windows(needle.len()).any(|w| w == needle) {
        if Instant::now() > deadline {
            return false;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return false,
        }
    }
    true
}

#[test]
fn html_rewriter_output_starts_before_the_input_ends() {
    on_each_engine(
        "html_rewriter_output_starts_before_the_input_ends",
        |engine| {
            let gate = Gate::start();
            let (_c, s) = serve(engine, &gate.addr);
            let mut stream = TcpStream::connect(&s.addr).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(1)))
                .unwrap();
            write!(
                stream,
                "GET /stream HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n"
            )
            .unwrap();
            let mut buf = Vec::new();
            // The gate is still shut: the body's second chunk cannot exist yet.
            assert!(
                read_until(
                    &mut stream,
                    &mut buf,
                    b"<p class=\"first\" seen=\"yes\">first</p>"
                ),
                "the first chunk's rewritten output did not come while the input waited: {}",
                String::from_utf8_lossy(&buf)
            );
            assert!(!buf.windows(6).any(|w| w == b"second"));
            gate.open.send(()).unwrap();
            assert!(
                read_until(&mut stream, &mut buf, b"\r\n0\r\n\r\n"),
                "the body did not end: {}",
                String::from_utf8_lossy(&buf)
            );
            let text = String::from_utf8_lossy(&buf);
            assert!(text.starts_with("HTTP/1.1 200"), "{text}");
            assert!(
                text.contains("<p seen=\"yes\">second</p></body></html>"),
                "{text}"
            );
        },
    );
}

#[test]
fn html_rewriter_handlers_run_under_the_cpu_limit() {
    on_each_engine("html_rewriter_handlers_run_under_the_cpu_limit", |engine| {
        let (_c, s) = serve_with(engine, "127.0.0.1:9", "[limits]\ncpu_ms = 100\n");
        let r = s.get("/spin");
        assert!(
            r.status >= 500 || !r.text().contains("never"),
            "a handler that never returns was not stopped: {} {}",
            r.status,
            r.text()
        );
        let log = s.wait_for_log("CPU");
        assert!(log.contains("CPU"), "{log}");
        // The Worker serves again, in a new isolate.
        assert_eq!(
            ask(&s, "/comments")["seen"][0],
            json!(["comment", "keep", false])
        );
    });
}

/// A Worker rewriting bytes in a charset: `/latin` (windows-1252, named
/// `ISO-8859-1` in quotes, as the Encoding Standard maps it), `/sjis`
/// (Shift_JIS), `/utf16` (not ASCII-compatible: an error).
const CHARSETS: &str = r#"
const bytes = list => new Uint8Array(list);
// <p title="café">café – naïve</p> in windows-1252.
const LATIN = bytes([0x3c, 0x70, 0x20, 0x74, 0x69, 0x74, 0x6c, 0x65, 0x3d, 0x22, 0x63, 0x61, 0x66, 0xe9, 0x22, 0x3e,
  0x63, 0x61, 0x66, 0xe9, 0x20, 0x96, 0x20, 0x6e, 0x61, 0xef, 0x76, 0x65, 0x3c, 0x2f, 0x70, 0x3e]);
// <p>日本</p> in Shift_JIS.
const SJIS = bytes([0x3c, 0x70, 0x3e, 0x93, 0xfa, 0x96, 0x7b, 0x3c, 0x2f, 0x70, 0x3e]);
const hex = buffer => [...new Uint8Array(buffer)].map(b => b.toString(16).padStart(2, '0')).join(' ');

async function rewrite(body, contentType, onElement) {
  let title = null;
  let text = '';
  const rewriter = new HTMLRewriter().on('p', {
    element(el) { title = el.getAttribute('title'); onElement(el); },
    text(t) { text += t.text; },
  });
  const out = rewriter.transform(new Response(body, { headers: { 'content-type': contentType } }));
  const written = hex(await out.arrayBuffer());
  return { title, out: written, text };
}

export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === '/latin') {
      return Response.json(await rewrite(LATIN, 'text/html; charset="ISO-8859-1"', el => {
        el.setAttribute('data-x', 'ü');
        el.append('é€');
      }));
    }
    if (path === '/sjis') {
      return Response.json(await rewrite(SJIS, 'text/html;charset=Shift_JIS', el => el.setInnerContent('語')));
    }
    try {
      await rewrite(bytes([0x3c, 0x00]), 'text/html; charset=utf-16', () => {});
      return new Response('no error');
    } catch (e) {
      return new Response(`${e.name}: ${e.message}`);
    }
  },
};
"#;

#[test]
fn html_rewriter_reads_and_writes_the_responses_charset() {
    on_each_engine(
        "html_rewriter_reads_and_writes_the_responses_charset",
        |engine| {
            let c = TempConfig::new(&[
                ("worker.js", CHARSETS),
                (
                    "motu.toml",
                    "[[workers]]\nname = \"w\"\nmain = \"worker.js\"\nroutes = [\"*/*\"]\n",
                ),
            ]);
            let s = Server::start(&["--config", &c.path("motu.toml"), "--engine", engine]);
            let latin = ask(&s, "/latin");
            assert_eq!(latin["title"], "café", "{latin}");
            assert_eq!(latin["text"], "café – naïve", "{latin}");
            // What the handler inserted is written in windows-1252 too:
            // ü = fc, é = e9, € = 80; the input's own bytes are kept.
            let out = latin["out"].as_str().unwrap();
            assert!(out.contains("3d 22 fc 22"), "data-x=\"ü\": {out}");
            assert!(
                out.contains("6e 61 ef 76 65 e9 80 3c 2f 70 3e"),
                "naïveé€</p>: {out}"
            );
            let sjis = ask(&s, "/sjis");
            assert_eq!(sjis["text"], "日本", "{sjis}");
            // <p>語</p>: 語 is 8c ea in Shift_JIS.
            assert_eq!(sjis["out"], "3c 70 3e 8c ea 3c 2f 70 3e", "{sjis}");
            let r = s.get("/utf16");
            assert!(
                r.text()
                    .starts_with("TypeError: HTMLRewriter: the response's charset 'utf-16'"),
                "{}",
                r.text()
            );
        },
    );
}
