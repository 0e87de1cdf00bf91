//! Tests of what is particular to the QuickJS backend.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use motu_engine::testsuite::{config, isolate, isolate_with, modules, run, script, RecordingHost};
use motu_engine::{Engine, EngineError, Host, HostValue, Isolate, IsolateConfig, JsError};

use crate::QuickJsEngine;

fn engine() -> QuickJsEngine {
    QuickJsEngine::new()
}

/// Loads a script Worker and runs event 1 with a null event.
fn outcome(cfg: IsolateConfig, src: &str) -> Option<Result<HostValue, (String, String)>> {
    let engine = engine();
    let (mut iso, host) = isolate_with(&engine, cfg);
    iso.load_worker(&script(src)).unwrap();
    run(&mut *iso, &host, 1, HostValue::Null)
}

fn list(items: &[&str]) -> HostValue {
    HostValue::List(items.iter().map(|s| HostValue::from(*s)).collect())
}

/// Every way of reaching a compiler from a string, as a Worker's handler
/// that reports what each one gave.
const CODE_GENERATION_PATHS: &str = "addEventListener('test', () => {
  const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
  const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;
  const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor;
  const attempts = [
    () => eval('1'),
    () => (0, eval)('1'),
    () => globalThis.eval('1'),
    () => Function('return 1')(),
    () => new Function('return 1')(),
    () => (function () {}).constructor('return 1')(),
    () => (() => {}).constructor('return 1')(),
    () => (class {}).constructor('return 1')(),
    () => Reflect.construct(Function, ['return 1'])(),
    () => Function.prototype.constructor('return 1')(),
    () => typeof AsyncFunction('return 1'),
    () => typeof GeneratorFunction('yield 1'),
    () => typeof AsyncGeneratorFunction('yield 1'),
  ];
  return attempts.map(f => {
    try { f(); return 'ran'; } catch (e) { return e instanceof TypeError ? 'refused' : String(e); }
  });
})";

#[test]
fn no_path_reaches_code_generation_when_disallowed() {
    let got = outcome(config(), CODE_GENERATION_PATHS).unwrap().unwrap();
    assert_eq!(got, list(&["refused"; 13]));
}

#[test]
fn every_path_reaches_code_generation_when_allowed() {
    let mut cfg = config();
    cfg.allow_code_generation = true;
    let got = outcome(cfg, CODE_GENERATION_PATHS).unwrap().unwrap();
    assert_eq!(got, list(&["ran"; 13]));
}

#[test]
fn regexps_and_json_need_no_code_generation() {
    let got = outcome(
        config(),
        "addEventListener('test', () => [new RegExp('a+b', 'g').test('xaab'), /c+/.test('cc'), \
         JSON.parse('{\"a\":[1]}').a[0]])",
    );
    assert_eq!(
        got,
        Some(Ok(HostValue::List(vec![
            true.into(),
            true.into(),
            1.0.into()
        ])))
    );
}

#[test]
fn modules_import_dynamically() {
    let engine = engine();
    let (mut iso, host) = isolate(&engine);
    iso.load_worker(&modules(&[
        (
            "worker.js",
            "export default { test: async () => { \
               const { value } = await import('./lib/late.js'); \
               try { await import('./missing.js'); return 'no'; } \
               catch (e) { return [value, e.message]; } } };",
        ),
        ("lib/late.js", "export const value = 'late';"),
    ]))
    .unwrap();
    let got = run(&mut *iso, &host, 1, HostValue::Null).unwrap().unwrap();
    let items = got.as_list().unwrap();
    assert_eq!(items[0], "late".into());
    assert!(items[1].as_str().unwrap().contains("missing.js"), "{got:?}");
}

#[test]
fn script_workers_import_dynamically() {
    let engine = engine();
    let (mut iso, host) = isolate(&engine);
    let mut code = script("addEventListener('test', async () => (await import('./lib.js')).x)");
    code.modules = Arc::new(
        motu_engine::MemoryModules::new()
            .with(
                "worker.js",
                "addEventListener('test', async () => (await import('./lib.js')).x)",
            )
            .with("lib.js", "export const x = 7;"),
    );
    iso.load_worker(&code).unwrap();
    assert_eq!(
        run(&mut *iso, &host, 1, HostValue::Null),
        Some(Ok(7.0.into()))
    );
}

#[test]
fn syntax_errors_in_imports_name_the_file() {
    let engine = engine();
    let (mut iso, _host) = isolate(&engine);
    let err = iso
        .load_worker(&modules(&[
            ("worker.js", "import './broken.js'; export default {};"),
            ("broken.js", "export const = 1;"),
        ]))
        .unwrap_err();
    match err {
        EngineError::Exception(e) => {
            assert_eq!(e.name, "SyntaxError", "{e:?}");
            assert!(e.stack.unwrap_or_default().contains("broken.js"));
        }
        other => panic!("expected a SyntaxError, got {other:?}"),
    }
}

#[test]
fn top_level_await_must_settle_while_loading() {
    let engine = engine();
    let (mut iso, _host) = isolate(&engine);
    match iso
        .load_worker(&modules(&[(
            "worker.js",
            "await new Promise(() => {}); export default {};",
        )]))
        .unwrap_err()
    {
        EngineError::Exception(e) => assert!(e.message.contains("pending"), "{e:?}"),
        other => panic!("expected an exception, got {other:?}"),
    }
    let (mut iso, _host) = isolate(&engine);
    match iso
        .load_worker(&modules(&[(
            "worker.js",
            "await Promise.resolve(); throw new TypeError('late'); export default {};",
        )]))
        .unwrap_err()
    {
        EngineError::Exception(e) => {
            assert_eq!((e.name.as_str(), e.message.as_str()), ("TypeError", "late"))
        }
        other => panic!("expected an exception, got {other:?}"),
    }
}

#[test]
fn caught_out_of_memory_is_still_reported() {
    let engine = engine();
    let mut cfg = config();
    cfg.memory_limit = Some(16 << 20);
    let (mut iso, host) = isolate_with(&engine, cfg);
    iso.load_worker(&script(
        "addEventListener('test', () => { \
           try { const a = []; for (;;) a.push('x'.repeat(1000) + a.length); } catch (e) {} \
           return 'survived'; })",
    ))
    .unwrap();
    iso.dispatch(1, HostValue::Null).unwrap();
    assert!(matches!(
        iso.run_microtasks(),
        Err(EngineError::OutOfMemory)
    ));
    assert_eq!(host.outcome(1), None);
    // The isolate stays out of memory.
    assert!(matches!(
        iso.dispatch(2, HostValue::Null),
        Err(EngineError::OutOfMemory)
    ));
}

#[test]
fn live_data_near_the_limit_does_not_fail_for_garbage() {
    // About 22 MiB stay alive under a 32 MiB limit, while the handler makes
    // cyclic garbage that only the collector frees.
    let mut cfg = config();
    cfg.memory_limit = Some(32 << 20);
    let got = outcome(
        cfg,
        "const keep = []; for (let i = 0; i < 120000; i++) keep.push({ i, s: 'k' + i });
         addEventListener('test', () => {
           for (let i = 0; i < 500000; i++) { const o = { i }; o.self = o; }
           return keep.length; })",
    );
    assert_eq!(got, Some(Ok(120000.0.into())));
}

#[test]
fn terminate_before_running_stops_the_next_call() {
    let engine = engine();
    let (mut iso, host) = isolate(&engine);
    iso.load_worker(&script(
        "addEventListener('test', e => { let n = 0; for (let i = 0; i < 1e7; i++) n += i; return 'done'; })",
    ))
    .unwrap();
    iso.interrupt_handle().terminate();
    let result = iso
        .dispatch(1, HostValue::Null)
        .and_then(|()| iso.run_microtasks());
    assert!(matches!(result, Err(EngineError::Terminated)), "{result:?}");
    assert_eq!(
        run(&mut *iso, &host, 2, HostValue::Null),
        Some(Ok("done".into()))
    );
}

#[test]
fn a_termination_during_allocating_builtins_is_no_out_of_memory() {
    // While the termination is under way every allocation is refused; the
    // built-ins fail with the (uncatchable) interrupt rather than an
    // out-of-memory error the loop would catch, the call ends terminated,
    // and the next one allocates again.
    let engine = engine();
    let (mut iso, host) = isolate(&engine);
    iso.load_worker(&script(
        "addEventListener('test', e => { \
           if (e === 'spin') for (;;) { try { JSON.parse('[' + '1,'.repeat(1e5) + '1]'); } catch {} } \
           return 'x'.repeat(1 << 20).length + JSON.parse('[1,2]').length; })",
    ))
    .unwrap();
    let handle = iso.interrupt_handle();
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        handle.terminate();
    });
    let result = iso
        .dispatch(1, "spin".into())
        .and_then(|()| iso.run_microtasks());
    killer.join().unwrap();
    assert!(matches!(result, Err(EngineError::Terminated)), "{result:?}");
    assert_eq!(
        run(&mut *iso, &host, 2, "ok".into()),
        Some(Ok(((1 << 20) as f64 + 2.0).into()))
    );
}

#[test]
fn terminate_stops_a_settled_continuation() {
    let engine = engine();
    let (mut iso, host) = isolate(&engine);
    iso.load_worker(&script(
        "addEventListener('test', async e => { await hostOpAsync('later'); if (e === 'spin') for (;;) {} return e; })",
    ))
    .unwrap();
    assert_eq!(run(&mut *iso, &host, 1, "spin".into()), None);
    let id = host.started.borrow()[0].2;
    let handle = iso.interrupt_handle();
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        handle.terminate();
    });
    iso.settle(id, Ok(HostValue::Null)).unwrap();
    let result = iso.run_microtasks();
    killer.join().unwrap();
    assert!(matches!(result, Err(EngineError::Terminated)), "{result:?}");
    iso.dispatch(2, "ok".into()).unwrap();
    iso.run_microtasks().unwrap();
    let id = host.started.borrow()[1].2;
    iso.settle(id, Ok(HostValue::Null)).unwrap();
    iso.run_microtasks().unwrap();
    assert_eq!(host.outcome(2), Some(Ok("ok".into())));
}

#[test]
fn deep_recursion_is_an_exception() {
    let got = outcome(
        config(),
        "addEventListener('test', () => { const f = n => f(n + 1) + 1; \
         try { f(0); } catch (e) { return e.name + ': ' + e.message; } })",
    );
    assert_eq!(
        got,
        Some(Ok("RangeError: Maximum call stack size exceeded".into()))
    );
}

#[test]
fn host_errors_keep_long_messages_and_show_where_they_were_thrown() {
    let host = Rc::new(LongErrorHost {
        message: "x".repeat(1000),
        inner: RecordingHost::default(),
    });
    let engine = engine();
    let mut iso = engine.new_isolate(&config(), host.clone()).unwrap();
    iso.load_worker(&script(
        "function callHost() { return hostOp('long'); }\n\
         addEventListener('test', () => { try { callHost(); } catch (e) { return [e.name, e.message, e.stack]; } })",
    ))
    .unwrap();
    let got = run(&mut *iso, &host.inner, 1, HostValue::Null)
        .unwrap()
        .unwrap();
    let got = got.as_list().unwrap();
    assert_eq!(got[0], "DataError".into());
    assert_eq!(got[1], host.message.as_str().into());
    let stack = got[2].as_str().unwrap();
    assert!(stack.contains("callHost (worker.js:1"), "{stack}");
}

/// Fails the `long` op with a long message; records the rest.
struct LongErrorHost {
    message: String,
    inner: RecordingHost,
}

impl Host for LongErrorHost {
    fn call(&self, op: &str, args: Vec<HostValue>) -> Result<HostValue, JsError> {
        match op {
            "long" => Err(JsError::new("DataError", self.message.clone())),
            _ => self.inner.call(op, args),
        }
    }

    fn start(&self, op: &str, args: Vec<HostValue>, id: u64) -> Result<(), JsError> {
        self.inner.start(op, args, id)
    }
}

#[test]
fn lone_surrogates_reach_the_host_as_replacement_characters() {
    let got = outcome(
        config(),
        "addEventListener('test', () => ['a\\uD800b', { ['\\uDC00']: 1 }])",
    );
    assert_eq!(
        got,
        Some(Ok(HostValue::List(vec![
            "a\u{FFFD}b".into(),
            HostValue::Map(vec![("\u{FFFD}".into(), 1.0.into())]),
        ])))
    );
}

#[test]
fn detached_buffers_convert_to_no_bytes() {
    let got = outcome(
        config(),
        "addEventListener('test', () => { const b = new ArrayBuffer(8); const v = new Uint8Array(b, 2); \
         b.transfer(); return [b, v, new Uint8Array([1, 2, 3]).subarray(1)]; })",
    );
    assert_eq!(
        got,
        Some(Ok(HostValue::List(vec![
            HostValue::Bytes(vec![]),
            HostValue::Bytes(vec![]),
            HostValue::Bytes(vec![2, 3]),
        ])))
    );
}

#[test]
fn only_worker_functions_keep_their_source() {
    let mut cfg = config();
    cfg.prelude = Arc::from(format!(
        "globalThis.fromPrelude = function prelude() {{ return 1; }};\n{}",
        motu_engine::testsuite::TEST_PRELUDE
    ));
    let got = outcome(
        cfg,
        "function fromWorker() { return 2; }\n\
         addEventListener('test', () => [fromWorker.toString(), fromPrelude.toString().includes('return 1')])",
    );
    assert_eq!(
        got,
        Some(Ok(HostValue::List(vec![
            "function fromWorker() { return 2; }".into(),
            false.into(),
        ])))
    );
}

#[test]
fn prelude_errors_name_the_prelude() {
    let mut cfg = config();
    cfg.prelude = Arc::from("(() => { throw new Error('broken prelude'); })()");
    let engine = engine();
    match engine.new_isolate(&cfg, Rc::new(RecordingHost::default())) {
        Err(EngineError::Exception(e)) => {
            assert_eq!(e.message, "broken prelude");
            assert!(e.stack.unwrap_or_default().contains("motu:test-prelude"));
        }
        Err(other) => panic!("expected an exception, got {other:?}"),
        Ok(_) => panic!("expected an exception"),
    }
}

#[test]
fn isolates_share_compiled_code() {
    let engine = engine();
    let code = modules(&[("worker.js", "export default { test: () => 1 };")]);
    for _ in 0..3 {
        let (mut iso, host) = isolate(&engine);
        iso.load_worker(&code).unwrap();
        assert_eq!(
            run(&mut *iso, &host, 1, HostValue::Null),
            Some(Ok(1.0.into()))
        );
    }
    // The test prelude and the Worker.
    assert_eq!(engine.cache.usage().0, 2);
    let uncached = QuickJsEngine::with_cache_bytes(0);
    let (mut iso, host) = isolate(&uncached);
    iso.load_worker(&code).unwrap();
    assert_eq!(
        run(&mut *iso, &host, 1, HostValue::Null),
        Some(Ok(1.0.into()))
    );
    assert_eq!(uncached.cache.usage(), (0, 0));
}

#[test]
fn heap_figures_follow_the_heap() {
    let engine = engine();
    let (mut iso, host) = isolate(&engine);
    iso.load_worker(&script(
        "let keep = null; addEventListener('test', e => { keep = e ? new Array(100000).fill(0).map((_, i) => ({ i })) : null; return 0; })",
    ))
    .unwrap();
    let idle = iso.heap_stats().used;
    run(&mut *iso, &host, 1, true.into());
    let full = iso.heap_stats().used;
    run(&mut *iso, &host, 2, false.into());
    let freed = iso.heap_stats().used;
    assert!(full > idle + (2 << 20), "{idle} {full}");
    assert!(freed < idle + (1 << 20), "{idle} {freed}");
    assert_eq!(iso.heap_stats().limit, 0);
}

#[test]
fn the_web_api_prelude_answers_a_request() {
    struct WebHost(std::cell::RefCell<Vec<HostValue>>, motu_webapi::OpState);
    impl Host for WebHost {
        fn call(&self, op: &str, args: Vec<HostValue>) -> Result<HostValue, JsError> {
            match op {
                "init" => Ok(HostValue::Map(vec![
                    ("syntax".into(), "module".into()),
                    ("env".into(), HostValue::Map(vec![])),
                ])),
                "respond" => {
                    self.0.borrow_mut().push(HostValue::List(args));
                    Ok(HostValue::Undefined)
                }
                "console" => Ok(HostValue::Undefined),
                "fail" => panic!("the Worker failed: {args:?}"),
                _ => motu_webapi::call(&self.1, op, args)
                    .unwrap_or_else(|| Err(JsError::type_error(op.to_owned()))),
            }
        }
        fn start(&self, _op: &str, _args: Vec<HostValue>, _id: u64) -> Result<(), JsError> {
            Err(JsError::type_error("no async ops"))
        }
    }
    let cfg = IsolateConfig {
        memory_limit: Some(64 << 20),
        ..motu_webapi::isolate_config()
    };
    let host = Rc::new(WebHost(Default::default(), Default::default()));
    let engine = engine();
    let mut iso = engine.new_isolate(&cfg, host.clone()).unwrap();
    iso.load_worker(&modules(&[(
        "worker.js",
        "export default { async fetch(request) { \
           const url = new URL(request.url); \
           return new Response(`hello ${url.searchParams.get('name')}`, { headers: { 'x-a': 'b' } }); } }",
    )]))
    .unwrap();
    iso.run_microtasks().unwrap();
    // A fetch event as the runtime makes it: [method, url, headers, body].
    let event = HostValue::List(vec![
        "GET".into(),
        "http://example.com/?name=motu".into(),
        HostValue::List(vec![]),
        HostValue::Null,
    ]);
    iso.dispatch(1, event).unwrap();
    iso.run_microtasks().unwrap();
    // respond(id, status, statusText, headers, body)
    let responses = host.0.borrow();
    let args = responses[0].as_list().unwrap();
    assert_eq!(args[1], 200.0.into());
    assert_eq!(
        args[3],
        HostValue::List(vec![
            list(&["x-a", "b"]),
            list(&["content-type", "text/plain;charset=UTF-8"]),
        ])
    );
    assert_eq!(args[4], "hello motu".into());
}

/// `entries` for the test prelude and its chunks, compiled now as a build
/// script would.
fn precompiled_test_prelude() -> &'static [crate::Precompiled] {
    let cfg = config();
    let mut scripts = vec![(cfg.prelude_name.clone(), cfg.prelude.clone())];
    scripts.extend(
        cfg.prelude_chunks
            .iter()
            .map(|c| (c.name.clone(), c.source.clone())),
    );
    let compiler: &'static str = Box::leak(crate::compiler_id().into_boxed_str());
    let entries: Vec<crate::Precompiled> = scripts
        .into_iter()
        .map(|(name, source)| crate::Precompiled {
            name: Box::leak(name.to_string().into_boxed_str()),
            fingerprint: crate::fingerprint(&source),
            compiler,
            bytecode: Box::leak(
                crate::precompile(&name, &source)
                    .unwrap()
                    .into_boxed_slice(),
            ),
        })
        .collect();
    Box::leak(entries.into_boxed_slice())
}

const LOAD_CHUNK_B: &str = "addEventListener('test', () => hostLoad(1)(21))";

#[test]
fn precompiled_prelude_bytecode_is_read_instead_of_compiled() {
    let engine = engine().with_precompiled(precompiled_test_prelude());
    let (mut iso, host) = isolate(&engine);
    assert_eq!(engine.precompiled_used(), 1, "the prelude was compiled");
    iso.load_worker(&script(LOAD_CHUNK_B)).unwrap();
    assert_eq!(
        run(&mut *iso, &host, 1, HostValue::Null),
        Some(Ok(42.0.into()))
    );
    assert_eq!(engine.precompiled_used(), 2, "the chunk was compiled");
    // A second isolate hits the cache: nothing is read from the entries again.
    let (_second, _) = isolate(&engine);
    assert_eq!(engine.precompiled_used(), 2);
    // Without entries, everything is compiled.
    let plain = self::engine();
    let (_iso, _) = isolate(&plain);
    assert_eq!(plain.precompiled_used(), 0);
}

#[test]
fn precompiled_bytecode_of_another_text_or_compiler_is_never_read() {
    let good = precompiled_test_prelude();
    // Bytes that would fail to read (or worse) if they were ever read.
    let garbage: &'static [u8] = Box::leak(vec![0xff; 64].into_boxed_slice());
    let other_compiler: Vec<crate::Precompiled> = good
        .iter()
        .map(|e| crate::Precompiled {
            compiler: "quickjs 0.0.0 of another build",
            bytecode: garbage,
            ..*e
        })
        .collect();
    let other_text: Vec<crate::Precompiled> = good
        .iter()
        .map(|e| crate::Precompiled {
            fingerprint: e.fingerprint ^ 1,
            bytecode: garbage,
            ..*e
        })
        .collect();
    for entries in [other_compiler, other_text] {
        let engine = engine().with_precompiled(&entries);
        let (mut iso, host) = isolate(&engine);
        iso.load_worker(&script(LOAD_CHUNK_B)).unwrap();
        assert_eq!(
            run(&mut *iso, &host, 1, HostValue::Null),
            Some(Ok(42.0.into()))
        );
        assert_eq!(engine.precompiled_used(), 0);
    }
    // A prelude whose text differs from the one compiled is compiled.
    let engine = engine().with_precompiled(good);
    let mut cfg = config();
    cfg.prelude = Arc::from(format!("{}\n", cfg.prelude));
    let (_iso, _) = isolate_with(&engine, cfg);
    assert_eq!(engine.precompiled_used(), 0);
}

#[test]
fn fingerprints_tell_texts_apart() {
    assert_eq!(crate::fingerprint("abc"), crate::fingerprint("abc"));
    assert_ne!(crate::fingerprint("abc"), crate::fingerprint("abd"));
    assert_ne!(crate::fingerprint(""), crate::fingerprint("\0"));
    assert_ne!(
        crate::fingerprint("0123456789"),
        crate::fingerprint("0123456788")
    );
    assert_ne!(
        crate::fingerprint("01234567"),
        crate::fingerprint("12345670")
    );
    assert!(crate::compiler_id().starts_with("quickjs "));
}

/// Raises `built` when the `built` op is called; records the rest.
struct SignalHost {
    built: Arc<std::sync::atomic::AtomicBool>,
    inner: RecordingHost,
}

impl Host for SignalHost {
    fn call(&self, op: &str, args: Vec<HostValue>) -> Result<HostValue, JsError> {
        match op {
            "built" => {
                self.built.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(HostValue::Null)
            }
            _ => self.inner.call(op, args),
        }
    }

    fn start(&self, op: &str, args: Vec<HostValue>, id: u64) -> Result<(), JsError> {
        self.inner.start(op, args, id)
    }
}

/// Loads `source` in a fresh isolate with a [`SignalHost`], dispatches
/// `event`, and terminates the isolate once the script calls the `built`
/// op; checks that the call ended terminated.
fn stopped_when_built(
    source: &str,
    event: &str,
) -> (Box<crate::isolate::QuickJsIsolate>, Rc<SignalHost>) {
    let built = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let host = Rc::new(SignalHost {
        built: built.clone(),
        inner: RecordingHost::default(),
    });
    let engine = engine();
    let mut iso = Box::new(
        crate::isolate::QuickJsIsolate::new(&config(), host.clone(), engine.cache.clone()).unwrap(),
    );
    iso.load_worker(&script(source)).unwrap();
    assert!(!iso.has_deferred_frees());
    let handle = iso.interrupt_handle();
    let killer = std::thread::spawn(move || {
        while !built.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        handle.terminate();
    });
    let result = iso
        .dispatch(1, event.into())
        .and_then(|()| iso.run_microtasks());
    killer.join().unwrap();
    assert!(matches!(result, Err(EngineError::Terminated)), "{result:?}");
    (iso, host)
}

#[test]
fn what_a_terminated_call_built_is_freed_after_it() {
    // The objects a call built lose their last reference as its frames
    // unwind from the termination: their frees are put off, and the
    // isolate frees them when it next runs JavaScript, working as before.
    let (mut iso, host) = stopped_when_built(
        "addEventListener('test', e => { \
           if (e === 'spin') { \
             const keep = Array.from({ length: 100000 }, (_, n) => ({ n, s: 'item ' + n })); \
             hostOp('built'); \
             for (;;) {} \
           } \
           return [1, 2, 3].map(n => ({ n })).length; })",
        "spin",
    );
    // The array's objects wait to be freed.
    assert!(iso.has_deferred_frees());
    assert_eq!(
        run(&mut *iso, &host.inner, 2, "ok".into()),
        Some(Ok(3.0.into()))
    );
    assert!(!iso.has_deferred_frees());
}

/// Raises the termination itself when the `built` op is called, so that
/// it is pending as the op returns (the op's own check delivers it, not
/// the interrupt handler); records the rest.
struct TerminatingHost {
    handle: std::cell::OnceCell<motu_engine::InterruptHandle>,
    inner: RecordingHost,
}

impl Host for TerminatingHost {
    fn call(&self, op: &str, args: Vec<HostValue>) -> Result<HostValue, JsError> {
        match op {
            "built" => {
                self.handle.get().expect("the handle is set").terminate();
                Ok(HostValue::Null)
            }
            _ => self.inner.call(op, args),
        }
    }

    fn start(&self, op: &str, args: Vec<HostValue>, id: u64) -> Result<(), JsError> {
        self.inner.start(op, args, id)
    }
}

#[test]
fn what_a_call_terminated_in_an_op_built_is_freed_after_it() {
    // A termination that lands while an op is returning stops the
    // JavaScript in the op, not at the interrupt handler's next call: the
    // isolate is left as the handler leaves it, the frees put off.
    let host = Rc::new(TerminatingHost {
        handle: std::cell::OnceCell::new(),
        inner: RecordingHost::default(),
    });
    let engine = engine();
    let mut iso =
        crate::isolate::QuickJsIsolate::new(&config(), host.clone(), engine.cache.clone()).unwrap();
    host.handle.set(iso.interrupt_handle()).unwrap();
    iso.load_worker(&script(
        "addEventListener('test', e => { \
           if (e === 'spin') { \
             const keep = Array.from({ length: 100000 }, (_, n) => ({ n, s: 'item ' + n })); \
             hostOp('built'); \
             return 'not stopped'; \
           } \
           return [1, 2, 3].map(n => ({ n })).length; })",
    ))
    .unwrap();
    let result = iso
        .dispatch(1, "spin".into())
        .and_then(|()| iso.run_microtasks());
    assert!(matches!(result, Err(EngineError::Terminated)), "{result:?}");
    assert!(iso.has_deferred_frees());
    assert_eq!(
        run(&mut iso, &host.inner, 2, "ok".into()),
        Some(Ok(3.0.into()))
    );
    assert!(!iso.has_deferred_frees());
}

#[test]
fn what_a_call_stopped_for_memory_in_an_op_built_is_freed_after_it() {
    // An op that finds memory exhausted (here the long `TextEncoder.encode`
    // whose result would pass the limit) stops the JavaScript as the
    // interrupt handler does for exhausted memory: the call is reported out
    // of memory and the frees of what it built are put off.
    let engine = engine();
    let mut cfg = config();
    cfg.memory_limit = Some(32 << 20);
    let host = Rc::new(RecordingHost::default());
    let mut iso = crate::isolate::QuickJsIsolate::new(&cfg, host, engine.cache.clone()).unwrap();
    iso.load_worker(&script(
        "addEventListener('test', () => { \
           const keep = Array.from({ length: 50000 }, (_, n) => ({ n, s: 'item ' + n })); \
           const text = '\u{e9}'.repeat(10 << 20); \
           hostOp('utf8_encode', text); \
           return keep.length; })",
    ))
    .unwrap();
    let result = iso
        .dispatch(1, HostValue::Null)
        .and_then(|()| iso.run_microtasks());
    assert!(
        matches!(result, Err(EngineError::OutOfMemory)),
        "{result:?}"
    );
    assert!(iso.has_deferred_frees());
}

/// A Worker whose event sorts 100,000 objects (kept in a global, so that
/// only the sort lets go of anything when stopped) by their string forms
/// (the default order); the 60,000th `toString` tells the host it was
/// reached and spins until the isolate is terminated.
const STOPPED_SORT: &str = "let calls = 0; \
     const items = Array.from({ length: 100000 }, (_, n) => ({ \
       toString() { \
         if (++calls === 60000) { hostOp('built'); for (;;) {} } \
         return 'item ' + n; } })); \
     addEventListener('test', e => { \
       if (e === 'sort') items.sort(); \
       return ['b', 'c', 'a'].sort().join(''); })";

/// Loads STOPPED_SORT in a fresh isolate, runs its sort and terminates it
/// once reached.
fn a_stopped_sort() -> (Box<crate::isolate::QuickJsIsolate>, Rc<SignalHost>) {
    stopped_when_built(STOPPED_SORT, "sort")
}

#[test]
fn what_a_terminated_sort_converted_is_freed_after_it() {
    // The strings a sort converted its items to, and its hold on the
    // items, are let go of when a termination stops it: their frees (a few
    // megabytes) are put off, and done when the isolate next runs
    // JavaScript, whose sorts work as before.
    let (mut iso, host) = a_stopped_sort();
    assert!(iso.has_deferred_frees());
    let held = iso.heap_stats().used;
    assert_eq!(
        run(&mut *iso, &host.inner, 2, "ok".into()),
        Some(Ok("abc".into()))
    );
    let after = iso.heap_stats().used;
    assert!(!iso.has_deferred_frees());
    assert!(held > after + (3 << 20), "{held} {after}");
}

#[test]
fn a_collection_frees_what_a_stopped_sort_held() {
    // An isolate that is not called again (an evicted one is dropped after
    // its last collection) frees the stopped sort's strings, a few
    // megabytes, in a collection.
    let (mut iso, host) = a_stopped_sort();
    let held = iso.heap_stats().used;
    iso.collect_garbage();
    let after = iso.heap_stats().used;
    assert!(!iso.has_deferred_frees());
    assert!(held > after + (3 << 20), "{held} {after}");
    assert_eq!(
        run(&mut *iso, &host.inner, 2, "ok".into()),
        Some(Ok("abc".into()))
    );
}

#[test]
fn below_half_the_limit_a_collection_waits_for_the_next_call() {
    // A call's cyclic garbage (some megabytes, well below half the 256 MiB
    // limit) is not collected while the call runs (a collection cannot be
    // interrupted), and is collected before the next call's JavaScript.
    let engine = engine();
    let mut cfg = config();
    cfg.memory_limit = Some(256 << 20);
    let (mut iso, host) = isolate_with(&engine, cfg);
    iso.load_worker(&script(
        "addEventListener('test', e => {
           if (e === 'cycles') for (let i = 0; i < 100000; i++) { const o = { i }; o.self = o; }
           return 'done'; })",
    ))
    .unwrap();
    assert_eq!(
        run(&mut *iso, &host, 1, "warm".into()),
        Some(Ok("done".into()))
    );
    let before = iso.heap_stats().used;
    assert_eq!(
        run(&mut *iso, &host, 2, "cycles".into()),
        Some(Ok("done".into()))
    );
    let held = iso.heap_stats().used;
    assert!(held > before + (4 << 20), "{before} {held}");
    assert_eq!(
        run(&mut *iso, &host, 3, "none".into()),
        Some(Ok("done".into()))
    );
    let after = iso.heap_stats().used;
    assert!(after < before + (1 << 20), "{before} {held} {after}");
}
