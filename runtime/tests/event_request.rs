//! The Request a fetch event hands to a Worker, on every engine: built from
//! what the host parsed (URL serialized, headers adopted as a list), it must
//! behave as one the Worker constructs itself.

use motu_runtime::prelude::*;

const WORKER: &str = r#"
export default {
  async fetch(request) {
    const copy = request.clone();
    const h = request.headers;
    const seen = {
      url: request.url,
      method: request.method,
      pad: h.get('x-pad'),
      latin: [...(h.get('x-latin') || '')].map(c => c.charCodeAt(0)),
      multi: h.get('x-multi'),
      headersInstance: h instanceof Headers,
      requestInstance: request instanceof Request,
      redirect: request.redirect,
      options: [request.mode, request.credentials, request.cache, request.referrer, request.keepalive].join(' '),
      bodyUsed: request.bodyUsed,
      body: request.body === null ? null : await request.text(),
      bodyUsedAfter: request.bodyUsed,
    };
    // The event's headers take changes (guard "request") and validate them.
    h.append('X-Added', ' v ');
    seen.added = h.get('x-added');
    try { h.append('x', 'a\nb'); seen.badValue = 'accepted'; } catch (e) { seen.badValue = e.name; }
    try { h.set('x', 'caf\u0100'); seen.wideValue = 'accepted'; } catch (e) { seen.wideValue = e.name; }
    seen.entries = [...h].map(([k]) => k).join(',');
    // A clone keeps everything, the body too; a Request made from it as well.
    const made = new Request(copy);
    seen.copy = [made.url, made.method, made.headers.get('x-pad'), made.body === null ? null : await made.text()];
    return Response.json(seen);
  },
};"#;

/// Answers facts about the request body's ArrayBuffer, which is the host's
/// bytes handed over as they are, after resizing it by transfer.
const TRANSFER_WORKER: &str = r#"
export default {
  async fetch(request) {
    const buffer = await request.arrayBuffer();
    const first = new Uint8Array(buffer)[0];
    if (typeof buffer.transfer !== 'function') return Response.json({ first, skipped: true });
    const shorter = buffer.transfer(2);
    const shorterLength = shorter.byteLength;
    const longer = shorter.transfer(5);
    const longerBytes = [...new Uint8Array(longer)];
    const gone = longer.transfer(0);
    return Response.json({
      first,
      detached: buffer.byteLength,
      shorter: shorterLength,
      longer: longerBytes,
      gone: gone.byteLength,
    });
  },
};"#;

fn engines() -> &'static [&'static str] {
    motu_runtime::EngineSet::builtin_names()
}

/// A one-thread runtime with the Worker `name` of `source` on `engine`.
async fn runtime_with(name: &str, source: &str, engine: &str) -> Runtime {
    let runtime = Runtime::start(RuntimeConfig {
        threads: 1,
        ..Default::default()
    })
    .unwrap();
    runtime
        .register(WorkerSpec::from_source(name, source).with_engine(engine))
        .await
        .unwrap();
    runtime
}

async fn seen(engine: &str, request: FetchRequest) -> serde_json::Value {
    let runtime = runtime_with("w", WORKER, engine).await;
    let response = runtime
        .fetch("w", request)
        .await
        .unwrap_or_else(|e| panic!("{engine}: {e}"));
    let status = response.status();
    let body = response.into_body().collect().await.unwrap();
    assert_eq!(status, 200, "{engine}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

#[test]
fn the_event_request_is_a_full_request() {
    for engine in engines() {
        actix::System::new().block_on(async {
            let request = http::Request::post("/a/./b/../c?q=%7e")
                .header("host", "Example.COM:80")
                .header("x-pad", http::HeaderValue::from_static(" \tpadded\t "))
                .header(
                    "x-latin",
                    http::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
                )
                .header("x-multi", "1")
                .header("x-multi", "2")
                .body(Body::from("payload"))
                .unwrap();
            let v = seen(engine, request).await;
            assert_eq!(v["url"], "http://example.com/a/c?q=%7e", "{engine}");
            assert_eq!(v["method"], "POST", "{engine}");
            assert_eq!(v["pad"], "padded", "{engine}");
            assert_eq!(
                v["latin"],
                serde_json::json!([99, 97, 102, 0xe9]),
                "{engine}"
            );
            assert_eq!(v["multi"], "1, 2", "{engine}");
            assert_eq!(v["headersInstance"], true, "{engine}");
            assert_eq!(v["requestInstance"], true, "{engine}");
            assert_eq!(v["redirect"], "follow", "{engine}");
            // The RequestInit members a browser acts on, at their defaults.
            assert_eq!(
                v["options"], "cors same-origin default about:client false",
                "{engine}"
            );
            assert_eq!(v["bodyUsed"], false, "{engine}");
            assert_eq!(v["body"], "payload", "{engine}");
            assert_eq!(v["bodyUsedAfter"], true, "{engine}");
            assert_eq!(v["added"], "v", "{engine}");
            assert_eq!(v["badValue"], "TypeError", "{engine}");
            assert_eq!(v["wideValue"], "TypeError", "{engine}");
            assert_eq!(
                v["entries"], "host,x-added,x-latin,x-multi,x-pad",
                "{engine}"
            );
            assert_eq!(
                v["copy"],
                serde_json::json!(["http://example.com/a/c?q=%7e", "POST", "padded", "payload"]),
                "{engine}"
            );
        });
    }
}

#[test]
fn methods_are_normalised_and_get_has_no_body() {
    for engine in engines() {
        actix::System::new().block_on(async {
            let request = http::Request::builder()
                .method("delete")
                .uri("http://h.test/")
                .body(Body::empty())
                .unwrap();
            let v = seen(engine, request).await;
            assert_eq!(v["method"], "DELETE", "{engine}");
            let request = http::Request::builder()
                .method("PATCH")
                .uri("http://h.test/")
                .body(Body::from("x"))
                .unwrap();
            let v = seen(engine, request).await;
            assert_eq!(v["method"], "PATCH", "{engine}");
            assert_eq!(v["body"], "x", "{engine}");
            let request = http::Request::get("http://h.test/")
                .body(Body::empty())
                .unwrap();
            let v = seen(engine, request).await;
            assert_eq!(v["body"], serde_json::Value::Null, "{engine}");
        });
    }
}

#[test]
fn an_unparsable_url_fails_the_event() {
    for engine in engines() {
        actix::System::new().block_on(async {
            let runtime = runtime_with("w", WORKER, engine).await;
            let request = http::Request::get("/x")
                .header("host", "a b")
                .body(Body::empty())
                .unwrap();
            let outcome = runtime.fetch("w", request).await;
            let error = outcome.expect_err("an invalid URL fails the event");
            assert!(
                error.to_string().contains("Invalid URL"),
                "{engine}: {error}"
            );
        });
    }
}

#[test]
fn a_request_body_buffer_can_be_transferred_and_resized() {
    for engine in engines() {
        actix::System::new().block_on(async {
            let runtime = runtime_with("t", TRANSFER_WORKER, engine).await;
            let request = http::Request::post("http://h.test/")
                .body(Body::from(vec![7u8, 8, 9]))
                .unwrap();
            let response = runtime.fetch("t", request).await.unwrap();
            let body = response.into_body().collect().await.unwrap();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["first"], 7, "{engine}");
            if v["skipped"] != true {
                assert_eq!(v["detached"], 0, "{engine}");
                assert_eq!(v["shorter"], 2, "{engine}");
                assert_eq!(v["longer"], serde_json::json!([7, 8, 0, 0, 0]), "{engine}");
                assert_eq!(v["gone"], 0, "{engine}");
            }
            if *engine == "quickjs" {
                assert_eq!(
                    v["skipped"],
                    serde_json::Value::Null,
                    "QuickJS has transfer"
                );
            }
        });
    }
}
