//! The Web APIs, checked from inside Workers on every engine built in. Each
//! file under `tests/webapi/` is a module Worker that runs its checks and
//! answers with the failures.

use std::path::Path;

use motu_runtime::prelude::*;

fn engines() -> &'static [&'static str] {
    motu_runtime::EngineSet::builtin_names()
}

fn run_checks(file: &str) {
    run_checks_with(file, Limits::default());
}

/// Runs the checks of `file` with `limits` (crypto in a debug build needs
/// more CPU time than one event has by default).
fn run_checks_with(file: &str, limits: Limits) {
    run_checks_spec(file, |spec| spec.with_limits(limits));
}

/// Runs the checks of `file` in a Worker that `configure` sets up.
fn run_checks_spec(file: &str, configure: impl Fn(WorkerSpec) -> WorkerSpec) {
    run_checks_beside(file, &[], |_, spec| configure(spec));
}

/// Runs the checks of `file` with `others` (name, module source) registered
/// beside it on the same runtime and engine, for service bindings.
fn run_checks_beside(
    file: &str,
    others: &[(&str, &str)],
    configure: impl Fn(&str, WorkerSpec) -> WorkerSpec,
) {
    for engine in engines() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/webapi")
            .join(file);
        let body = actix::System::new().block_on(async {
            let runtime = Runtime::start(RuntimeConfig {
                threads: 1,
                ..Default::default()
            })
            .unwrap();
            for (name, source) in others {
                runtime
                    .register(WorkerSpec::from_source(*name, *source).with_engine(*engine))
                    .await
                    .unwrap();
            }
            runtime
                .register(configure(
                    engine,
                    WorkerSpec::from_file("checks", &path)
                        .unwrap()
                        .with_engine(*engine),
                ))
                .await
                .unwrap();
            let request = http::Request::get("http://checks.localhost/")
                .body(Body::empty())
                .unwrap();
            let response = runtime.fetch("checks", request).await;
            response
                .unwrap_or_else(|e| panic!("{file} on {engine}: {e}"))
                .into_body()
                .collect()
                .await
                .unwrap_or_else(|e| panic!("{file} on {engine}: {e}"))
        });
        let result: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let failures = result["failures"].as_array().unwrap();
        assert!(result["total"].as_u64().unwrap() > 0);
        assert!(
            failures.is_empty(),
            "{file} on {engine}:\n{}",
            failures
                .iter()
                .map(|f| f.as_str().unwrap())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn headers() {
    run_checks("headers.js");
}

#[test]
fn request_and_response() {
    run_checks("request_response.js");
}

#[test]
fn url_and_search_params() {
    // URLPattern compiles regular expressions, slow in a debug build.
    run_checks_with("url.js", slow_check_limits());
}

#[test]
fn encoding_timers_and_globals() {
    run_checks("misc.js");
}

#[test]
fn readable_streams() {
    run_checks("streams_readable.js");
}

#[test]
fn byte_streams_and_byob_readers() {
    run_checks("streams_byte.js");
}

#[test]
fn writable_and_transform_streams_and_pipes() {
    run_checks("streams_writable.js");
}

#[test]
fn bodies_as_streams() {
    run_checks("streams_body.js");
}

#[test]
fn crypto_random_digest_hmac_aes() {
    run_checks_with("crypto.js", slow_check_limits());
}

#[test]
fn crypto_keys_and_jwt() {
    run_checks_with("crypto_keys.js", slow_check_limits());
}

#[test]
fn crypto_x25519_p521_aes_kw() {
    run_checks_with("crypto_curves.js", slow_check_limits());
}

/// CPU room for checks that do heavy work in a debug build (key
/// generation, regular-expression compilation).
fn slow_check_limits() -> Limits {
    Limits {
        cpu: std::time::Duration::from_secs(30),
        ..Limits::default()
    }
}

#[test]
fn events_and_event_target() {
    run_checks("events.js");
}

#[test]
fn abort_controller_and_signal() {
    run_checks("abort.js");
}

#[test]
fn text_encoding() {
    run_checks("encoding.js");
}

#[test]
fn base64_structured_clone_performance_navigator() {
    run_checks("globals.js");
}

#[test]
fn blob_file_and_form_data() {
    run_checks("blob_formdata.js");
}

#[test]
fn encoding_and_compression_streams() {
    // Compressing and decompressing its inputs costs a debug build most of
    // the default 50 ms on a busy machine.
    run_checks_with("compression.js", slow_check_limits());
}

#[test]
fn webidl_interface_rules() {
    run_checks("webidl.js");
}

#[test]
fn fetch_of_data_urls() {
    run_checks_with("fetch_data_url.js", slow_check_limits());
}

#[test]
fn relative_urls_against_a_base_url() {
    let base = url::Url::parse("http://127.0.0.1:9/dir/page?q").unwrap();
    run_checks_spec("fetch_base_url.js", |spec| spec.with_base_url(base.clone()));
}

#[test]
fn lazily_loaded_globals() {
    // V8 makes every isolate from a startup snapshot of a prelude with the
    // events and URL groups evaluated in it (motu_webapi::snapshot_prelude);
    // QuickJS loads every group on first use.
    run_checks_beside("lazy_globals.js", &[], |engine, spec| {
        let preloaded = match engine {
            "v8" => "DOMException Event EventTarget AbortSignal AbortController FetchEvent URL",
            _ => "",
        };
        spec.with_var("PRELOADED", preloaded)
    });
}

#[test]
fn reported_exceptions_and_error_events() {
    run_checks("errors.js");
}

#[test]
fn request_init_members() {
    let base = url::Url::parse("http://127.0.0.1:9/dir/page?q").unwrap();
    // ECHO answers with the request headers it received, as JSON.
    let echo = "export default { fetch(request) { return Response.json([...request.headers]); } };";
    run_checks_beside("request_init.js", &[("echo", echo)], |_, spec| {
        spec.with_base_url(base.clone())
            .with_service("ECHO", "echo")
    });
}

#[test]
fn websocket_pair_sends_and_refusals() {
    run_checks("websocket.js");
}
