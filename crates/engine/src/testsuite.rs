//! The conformance suite every engine backend runs.
//!
//! A backend's tests call [`engine_testsuite!`](crate::engine_testsuite) with
//! an expression that builds its engine; the macro makes one `#[test]` per
//! case. Each case uses the small prelude below, not the Web API prelude, so
//! the suite checks the engine contract alone.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use crate::{
    EngineError, Host, HostValue, Isolate, IsolateConfig, JsError, MemoryModules, OpId,
    PreludeChunk, Syntax, WorkerCode,
};

/// The test prelude: hands events to the Worker's handler and reports the
/// outcome through the `done` and `fail` ops; its start hook counts its
/// calls in `globalThis.started` and calls the `start` op.
pub const TEST_PRELUDE: &str = r#"(() => {
  const op = globalThis.__motu_op;
  const opAsync = globalThis.__motu_op_async;
  const load = globalThis.__motu_load;
  delete globalThis.__motu_op;
  delete globalThis.__motu_op_async;
  delete globalThis.__motu_load;
  globalThis.hostOp = op;
  globalThis.hostOpAsync = opAsync;
  globalThis.hostLoad = load;
  let listener = null;
  let mod = null;
  globalThis.addEventListener = (type, fn) => { if (type === 'test') listener = fn; };
  return {
    start() {
      globalThis.started = (globalThis.started || 0) + 1;
      op('start');
    },
    dispatch(id, event) {
      Promise.resolve()
        .then(() => listener ? listener(event) : mod.default.test(event))
        .then(v => op('done', id, v),
              e => op('fail', id, String(e && e.name), String(e && e.message)));
    },
    registerModule(ns) { mod = ns; },
  };
})()"#;

/// A host that records every op and answers the few the suite uses.
#[derive(Default)]
pub struct RecordingHost {
    /// `(op, args)` of every synchronous op, in order.
    pub calls: RefCell<Vec<(String, Vec<HostValue>)>>,
    /// `(op, args, id)` of every asynchronous op started.
    pub started: RefCell<Vec<(String, Vec<HostValue>, OpId)>>,
}

impl Host for RecordingHost {
    fn call(&self, op: &str, args: Vec<HostValue>) -> Result<HostValue, JsError> {
        self.calls.borrow_mut().push((op.to_owned(), args.clone()));
        match op {
            "echo" => Ok(HostValue::List(args)),
            "type_error" => Err(JsError::type_error("bad argument")),
            "custom_error" => Err(JsError::new("NotFoundError", "nothing here")),
            _ => Ok(HostValue::Undefined),
        }
    }

    fn start(&self, op: &str, args: Vec<HostValue>, id: OpId) -> Result<(), JsError> {
        if op == "refuse" {
            return Err(JsError::range_error("refused"));
        }
        self.started.borrow_mut().push((op.to_owned(), args, id));
        Ok(())
    }
}

impl RecordingHost {
    /// The outcome of event `id`: `Ok(value)` from `done`, `Err(name, message)`
    /// from `fail`, or `None` when it has not finished.
    pub fn outcome(&self, id: u64) -> Option<Result<HostValue, (String, String)>> {
        let calls = self.calls.borrow();
        calls.iter().find_map(|(op, args)| {
            if args.first() != Some(&HostValue::Number(id as f64)) {
                return None;
            }
            match op.as_str() {
                "done" => Some(Ok(args.get(1).cloned().unwrap_or_default())),
                "fail" => Some(Err((
                    args[1].as_str().unwrap_or("").to_owned(),
                    args[2].as_str().unwrap_or("").to_owned(),
                ))),
                _ => None,
            }
        })
    }
}

/// A config with the test prelude.
pub fn config() -> IsolateConfig {
    IsolateConfig {
        memory_limit: None,
        allow_code_generation: false,
        prelude: Arc::from(TEST_PRELUDE),
        prelude_name: Arc::from("motu:test-prelude"),
        prelude_chunks: Arc::from(TEST_CHUNKS.map(|(name, source)| PreludeChunk {
            name: Arc::from(name),
            source: Arc::from(source),
        })),
        snapshot_prelude: None,
    }
}

/// The test prelude's chunks: `hostLoad(i)` evaluates chunk `i`.
pub const TEST_CHUNKS: [(&str, &str); 3] = [
    (
        "motu:chunk-a",
        "globalThis.loadedA = (globalThis.loadedA || 0) + 1; ({ answer: 42 })",
    ),
    ("motu:chunk-b", "(x => x * 2)"),
    ("motu:chunk-c", "\n\nthrow new RangeError('chunk c fails')"),
];

/// A fresh isolate with the test prelude and a recording host.
pub fn isolate(engine: &dyn crate::Engine) -> (Box<dyn Isolate>, Rc<RecordingHost>) {
    isolate_with(engine, config())
}

/// A fresh isolate with the given config and a recording host.
pub fn isolate_with(
    engine: &dyn crate::Engine,
    cfg: IsolateConfig,
) -> (Box<dyn Isolate>, Rc<RecordingHost>) {
    let host = Rc::new(RecordingHost::default());
    let iso = engine
        .new_isolate(&cfg, host.clone())
        .expect("isolate creation");
    (iso, host)
}

/// A script Worker.
pub fn script(src: &str) -> WorkerCode {
    WorkerCode {
        syntax: Syntax::Script,
        entry: "worker.js".into(),
        modules: Arc::new(MemoryModules::new().with("worker.js", src)),
    }
}

/// A module Worker made of `(name, source)` pairs; the first is the entry.
pub fn modules(list: &[(&str, &str)]) -> WorkerCode {
    let mut m = MemoryModules::new();
    for (name, src) in list {
        m = m.with(*name, *src);
    }
    WorkerCode {
        syntax: Syntax::Module,
        entry: list[0].0.into(),
        modules: Arc::new(m),
    }
}

/// Dispatches event `id` and runs microtasks, returning its outcome.
pub fn run(
    iso: &mut dyn Isolate,
    host: &RecordingHost,
    id: u64,
    event: HostValue,
) -> Option<Result<HostValue, (String, String)>> {
    iso.dispatch(id, event).expect("dispatch");
    iso.run_microtasks().expect("microtasks");
    host.outcome(id)
}

fn sample_value() -> HostValue {
    HostValue::Map(vec![
        ("u".into(), HostValue::Undefined),
        ("n".into(), HostValue::Null),
        ("t".into(), HostValue::Bool(true)),
        ("f".into(), HostValue::Bool(false)),
        ("num".into(), HostValue::Number(-1.5)),
        ("s".into(), HostValue::String("héllo ✓ 😀".into())),
        ("empty".into(), HostValue::String(String::new())),
        ("b".into(), HostValue::Bytes(vec![0, 1, 2, 255])),
        (
            "l".into(),
            HostValue::List(vec![HostValue::Number(1.0), HostValue::String("x".into())]),
        ),
        (
            "m".into(),
            HostValue::Map(vec![("inner".into(), HostValue::Bytes(vec![]))]),
        ),
    ])
}

/// Values survive a trip into JavaScript and back unchanged.
pub fn values_round_trip(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script("addEventListener('test', e => e)"))
        .unwrap();
    assert_eq!(
        run(&mut *iso, &host, 1, sample_value()),
        Some(Ok(sample_value()))
    );
}

/// JavaScript values convert to host values as documented on [`HostValue`].
pub fn javascript_values_convert(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        "addEventListener('test', () => [new Uint16Array([1, 256]), new ArrayBuffer(2), \
         new DataView(new Uint8Array([9, 8, 7]).buffer, 1, 2), () => 1, Symbol('s'), \
         { a: 1, b: [true] }, 12345678901234567890n])",
    ))
    .unwrap();
    let got = run(&mut *iso, &host, 1, HostValue::Undefined);
    assert_eq!(
        got,
        Some(Ok(HostValue::List(vec![
            HostValue::Bytes(vec![1, 0, 0, 1]),
            HostValue::Bytes(vec![0, 0]),
            HostValue::Bytes(vec![8, 7]),
            HostValue::Undefined,
            HostValue::Undefined,
            HostValue::Map(vec![
                ("a".into(), HostValue::Number(1.0)),
                ("b".into(), HostValue::List(vec![HostValue::Bool(true)])),
            ]),
            HostValue::String("12345678901234567890".into()),
        ])))
    );
}

/// Bytes in pieces reach JavaScript as one fresh `Uint8Array` of their
/// concatenation, small and large (engines may lend large ones), with
/// empty pieces and with none.
pub fn chunks_become_one_uint8_array(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        "addEventListener('test', e => e.map(b => [b, b instanceof Uint8Array, \
         b.byteOffset, b.buffer.byteLength === b.byteLength]))",
    ))
    .unwrap();
    let big: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let pieces = |cuts: &[usize]| -> Vec<bytes::Bytes> {
        let mut out = Vec::new();
        let mut at = 0;
        for &cut in cuts {
            out.push(bytes::Bytes::copy_from_slice(&big[at..cut]));
            at = cut;
        }
        out
    };
    let cases = [
        pieces(&[3, 3, 10]),
        pieces(&[65_000, 70_000]),
        pieces(&[1, 5_000, 5_000, 60_000, 70_000]),
        vec![],
    ];
    let event = HostValue::List(cases.iter().cloned().map(HostValue::Chunks).collect());
    let expected = HostValue::List(
        cases
            .iter()
            .map(|c| {
                HostValue::List(vec![
                    HostValue::Bytes(c.concat()),
                    HostValue::Bool(true),
                    HostValue::Number(0.0),
                    HostValue::Bool(true),
                ])
            })
            .collect(),
    );
    assert_eq!(run(&mut *iso, &host, 1, event), Some(Ok(expected)));
}

/// Cyclic and very deep structures are cut off instead of crashing.
pub fn cyclic_values_are_cut_off(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        "addEventListener('test', () => { const a = { name: 'a' }; a.self = a; \
         let deep = 'bottom'; for (let i = 0; i < 10000; i++) deep = [deep]; \
         return hostOp('echo', a, deep).length; })",
    ))
    .unwrap();
    assert_eq!(
        run(&mut *iso, &host, 1, HostValue::Null),
        Some(Ok(2.0.into()))
    );
    let calls = host.calls.borrow();
    let (_, args) = calls.iter().find(|(op, _)| op == "echo").unwrap();
    let mut depth = 0;
    let mut v = &args[0];
    while let Some(next) = v.get("self") {
        depth += 1;
        v = next;
    }
    assert!((60..=70).contains(&depth), "cut off at depth {depth}");
    assert_eq!(v, &HostValue::Undefined);
}

/// Synchronous ops receive their arguments and return values.
pub fn sync_ops_pass_values(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        "addEventListener('test', e => hostOp('echo', e, 'two', 3))",
    ))
    .unwrap();
    let got = run(&mut *iso, &host, 7, HostValue::Bool(true));
    assert_eq!(
        got,
        Some(Ok(HostValue::List(vec![
            HostValue::Bool(true),
            HostValue::String("two".into()),
            HostValue::Number(3.0),
        ])))
    );
}

/// A failing op throws a catchable error of the right class and name.
pub fn op_errors_are_thrown_with_their_class(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        "addEventListener('test', () => {
           const out = [];
           try { hostOp('type_error'); } catch (e) {
             out.push(e instanceof TypeError, e.name, e.message);
           }
           try { hostOp('custom_error'); } catch (e) {
             out.push(e instanceof Error, e.name, e.message);
           }
           return out;
         })",
    ))
    .unwrap();
    let got = run(&mut *iso, &host, 1, HostValue::Undefined)
        .unwrap()
        .unwrap();
    assert_eq!(
        got,
        HostValue::List(vec![
            true.into(),
            "TypeError".into(),
            "bad argument".into(),
            true.into(),
            "NotFoundError".into(),
            "nothing here".into(),
        ])
    );
}

/// The prelude removed the op functions from the global object.
pub fn op_globals_are_hidden(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        "addEventListener('test', () => [typeof globalThis.__motu_op, typeof globalThis.__motu_op_async])",
    ))
    .unwrap();
    let got = run(&mut *iso, &host, 1, HostValue::Undefined)
        .unwrap()
        .unwrap();
    assert_eq!(
        got,
        HostValue::List(vec!["undefined".into(), "undefined".into()])
    );
}

/// An async op's promise resolves with the settled value, and other events
/// run while it is pending.
pub fn async_ops_settle(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        "addEventListener('test', async e => e === 'wait' ? (await hostOpAsync('later', 5)) + 1 : 'quick')",
    ))
    .unwrap();
    assert_eq!(run(&mut *iso, &host, 1, "wait".into()), None);
    let (op, args, id) = host.started.borrow()[0].clone();
    assert_eq!((op.as_str(), args), ("later", vec![HostValue::Number(5.0)]));
    assert_eq!(
        run(&mut *iso, &host, 2, "quick".into()),
        Some(Ok("quick".into()))
    );
    assert_eq!(host.outcome(1), None);
    iso.settle(id, Ok(HostValue::Number(41.0))).unwrap();
    iso.run_microtasks().unwrap();
    assert_eq!(host.outcome(1), Some(Ok(HostValue::Number(42.0))));
    // Settling an unknown or already settled id does nothing.
    iso.settle(id, Ok(HostValue::Null)).unwrap();
    iso.settle(9999, Ok(HostValue::Null)).unwrap();
    iso.run_microtasks().unwrap();
}

/// An async op settled with an error rejects with that error's class; an op
/// the host refuses to start rejects at once.
pub fn async_ops_reject(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        "addEventListener('test', async e => {
           try { await hostOpAsync(e); return 'no'; }
           catch (err) { return [err instanceof Error, err.name, err.message]; }
         })",
    ))
    .unwrap();
    assert_eq!(run(&mut *iso, &host, 1, "later".into()), None);
    let id = host.started.borrow()[0].2;
    iso.settle(id, Err(JsError::type_error("went wrong")))
        .unwrap();
    iso.run_microtasks().unwrap();
    assert_eq!(
        host.outcome(1),
        Some(Ok(HostValue::List(vec![
            true.into(),
            "TypeError".into(),
            "went wrong".into()
        ])))
    );
    assert_eq!(
        run(&mut *iso, &host, 2, "refuse".into()),
        Some(Ok(HostValue::List(vec![
            true.into(),
            "RangeError".into(),
            "refused".into()
        ])))
    );
}

/// A module Worker imports other modules by relative path, and its default
/// export reaches the prelude.
pub fn modules_import_each_other(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&modules(&[
        (
            "worker.js",
            "import { twice } from './lib/math.js';\n\
             import label from './lib/label.js';\n\
             export default { test: e => label + twice(e) };",
        ),
        (
            "lib/math.js",
            "import { one } from '../one.js'; export const twice = x => (x + one - 1) * 2;",
        ),
        ("lib/label.js", "export default 'result:';"),
        ("one.js", "export const one = 1;"),
    ]))
    .unwrap();
    assert_eq!(
        run(&mut *iso, &host, 1, HostValue::Number(21.0)),
        Some(Ok("result:42".into()))
    );
}

/// A module may use top-level `await`.
pub fn modules_may_await_at_top_level(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&modules(&[(
        "worker.js",
        "const v = await Promise.resolve(5); export default { test: () => v };",
    )]))
    .unwrap();
    assert_eq!(
        run(&mut *iso, &host, 1, HostValue::Null),
        Some(Ok(HostValue::Number(5.0)))
    );
}

/// An import of a module that does not exist fails the load, naming it.
pub fn missing_imports_fail_the_load(engine: &dyn crate::Engine) {
    let (mut iso, _host) = isolate(engine);
    let err = iso
        .load_worker(&modules(&[(
            "worker.js",
            "import x from './nowhere.js'; export default { test: () => x };",
        )]))
        .unwrap_err();
    match err {
        EngineError::Exception(e) => assert!(
            e.message.contains("nowhere.js"),
            "message should name the module: {e:?}"
        ),
        other => panic!("expected an exception, got {other:?}"),
    }
}

/// A syntax error in a Worker is a `SyntaxError` exception, for scripts and
/// for modules.
pub fn syntax_errors_are_reported(engine: &dyn crate::Engine) {
    for code in [
        script("let = ;"),
        modules(&[("worker.js", "export default {")]),
    ] {
        let (mut iso, _host) = isolate(engine);
        match iso.load_worker(&code).unwrap_err() {
            EngineError::Exception(e) => assert_eq!(e.name, "SyntaxError", "{e:?}"),
            other => panic!("expected a SyntaxError, got {other:?}"),
        }
    }
}

/// An exception at a Worker's top level carries name, message and a stack
/// that names the Worker's file.
pub fn top_level_exceptions_carry_a_stack(engine: &dyn crate::Engine) {
    for code in [
        script("function boom() { throw new RangeError('top'); }\nboom();"),
        modules(&[(
            "worker.js",
            "function boom() { throw new RangeError('top'); }\nboom();\nexport default {};",
        )]),
    ] {
        let (mut iso, _host) = isolate(engine);
        match iso.load_worker(&code).unwrap_err() {
            EngineError::Exception(e) => {
                assert_eq!((e.name.as_str(), e.message.as_str()), ("RangeError", "top"));
                let stack = e.stack.unwrap_or_default();
                assert!(
                    stack.contains("worker.js"),
                    "stack should name the file: {stack}"
                );
            }
            other => panic!("expected an exception, got {other:?}"),
        }
    }
}

/// Errors locate themselves in the Worker's files ([`JsError::location`]):
/// syntax errors in a script, a module entry and an imported module, and
/// exceptions thrown by the top level of an imported module, each at the
/// right file and line; a syntax error in a module loaded by `import()`
/// too.
pub fn errors_locate_the_worker_file(engine: &dyn crate::Engine) {
    let cases = [
        (script("let a = 1;\nlet b = ;\n"), "worker.js:2:"),
        (
            modules(&[("worker.js", "export default {};\nlet x = (;\n")]),
            "worker.js:2:",
        ),
        (
            modules(&[
                ("worker.js", "import './lib/a.js';\nexport default {};"),
                ("lib/a.js", "// a\n\nconst = 1;\n"),
            ]),
            "lib/a.js:3:",
        ),
        (
            modules(&[
                (
                    "worker.js",
                    "import { f } from './lib/a.js';\n\nf();\nexport default {};",
                ),
                ("lib/a.js", "export function f() {\n  null.x;\n}\n"),
            ]),
            "lib/a.js:2:",
        ),
        (
            modules(&[
                (
                    "worker.js",
                    "await import('./lib/a.js');\nexport default {};",
                ),
                ("lib/a.js", "// a\n\nconst = 1;\n"),
            ]),
            "lib/a.js:3:",
        ),
    ];
    for (code, expected) in cases {
        let (mut iso, _host) = isolate(engine);
        match iso.load_worker(&code).unwrap_err() {
            EngineError::Exception(e) => {
                let location = e.location().unwrap_or_default();
                let column = location.strip_prefix(expected).unwrap_or_default();
                assert!(
                    column.parse::<u32>().is_ok_and(|c| c > 0),
                    "expected {expected}COLUMN, got {location:?} from {e:?}"
                );
            }
            other => panic!("expected an exception, got {other:?}"),
        }
    }
}

/// A non-error thrown value still gives a usable message.
pub fn thrown_non_errors_are_reported(engine: &dyn crate::Engine) {
    let (mut iso, _host) = isolate(engine);
    match iso
        .load_worker(&script("throw 'plain string';"))
        .unwrap_err()
    {
        EngineError::Exception(e) => assert!(e.message.contains("plain string"), "{e:?}"),
        other => panic!("expected an exception, got {other:?}"),
    }
}

/// `terminate()` from another thread stops an endless loop; the isolate
/// stays usable afterwards.
pub fn terminate_stops_endless_loops(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        "addEventListener('test', e => { if (e === 'spin') { for (;;) {} } return 'fine'; })",
    ))
    .unwrap();
    let handle = iso.interrupt_handle();
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        handle.terminate();
    });
    iso.dispatch(1, "spin".into()).unwrap();
    let result = iso.run_microtasks();
    killer.join().unwrap();
    assert!(matches!(result, Err(EngineError::Terminated)), "{result:?}");
    assert_eq!(
        run(&mut *iso, &host, 2, "ok".into()),
        Some(Ok("fine".into()))
    );
}

/// `Array.prototype.fill` (which an engine may run in slices, to stop it
/// promptly when terminated) fills as the specification says: relative
/// start and end, each coerced once, long arrays, array-likes, the array
/// itself as the result, its `length` and `name`.
pub fn fill_follows_the_specification(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        "addEventListener('test', () => {
           const out = [[1, 2, 3, 4].fill(0, 1, 3).join(), [1, 2, 3].fill(9, -2).join()];
           out.push(new Array(3000).fill(7).every(x => x === 7));
           out.push(new Array(2500).fill(1, 10, 2400).reduce((a, b) => a + b, 0));
           const a = [1, 2, 3];
           out.push(a.fill(5) === a, Array.prototype.fill.length, Array.prototype.fill.name);
           out.push(JSON.stringify(Array.prototype.fill.call({ length: 2 }, 'x')));
           let calls = 0;
           [0, 0, 0].fill(1, { valueOf() { calls++; return 1; } });
           out.push(calls);
           return out;
         })",
    ))
    .unwrap();
    let expected: Vec<HostValue> = vec![
        "1,0,0,4".into(),
        "1,9,9".into(),
        true.into(),
        2390.0.into(),
        true.into(),
        1.0.into(),
        "fill".into(),
        r#"{"0":"x","1":"x","length":2}"#.into(),
        1.0.into(),
    ];
    assert_eq!(
        run(&mut *iso, &host, 1, HostValue::Null),
        Some(Ok(HostValue::List(expected)))
    );
}

/// Long runs of one character (`repeat`, `padStart`, `padEnd`, which an
/// engine may fill in slices, to stop them promptly when terminated) come
/// out whole: 8-bit and 16-bit characters, lengths across many slices, a
/// many-character filler.
pub fn long_runs_of_a_character_are_whole(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        "addEventListener('test', () => {
           const whole = (s, c, n) => s.length === n && s[0] === c && s[n - 1] === c &&
             s.split(c).length === n + 1;
           const x = 'x'.repeat(200001), euro = '\\u20ac'.repeat(70001);
           const padded = 'end'.padStart(150000, '\\u00e9'), ab = 'z'.padEnd(100001, 'ab');
           return [whole(x, 'x', 200001), whole(euro, '\\u20ac', 70001),
             padded.length, padded.endsWith('\\u00e9end'), whole(padded.slice(0, -3), '\\u00e9', 149997),
             ab.length, ab.slice(0, 5), ab.slice(-2), '\\u00e9x'.repeat(70000).length];
         })",
    ))
    .unwrap();
    let expected: Vec<HostValue> = vec![
        true.into(),
        true.into(),
        150000.0.into(),
        true.into(),
        true.into(),
        100001.0.into(),
        "zabab".into(),
        "ab".into(),
        140000.0.into(),
    ];
    assert_eq!(
        run(&mut *iso, &host, 1, HostValue::Null),
        Some(Ok(HostValue::List(expected)))
    );
}

/// `Array.prototype.join` (which an engine may run in slices, to stop it
/// promptly when terminated) joins as the specification says, on arrays
/// longer than any slice too: the default separator and a converted one
/// (converted once), holes, `undefined` and `null` as empty strings, holes
/// read through the prototype, elements converted in order, subclasses
/// (whose constructor joining does not call) and array-likes, a `null`
/// receiver, its `length` and `name`.
pub fn join_follows_the_specification(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        "addEventListener('test', () => {
           const n = 100003;
           const a = Array.from({ length: n }, (_, i) => 'p' + (i % 10));
           let commas = a[0], dashes = a[0];
           for (let i = 1; i < n; i++) { commas += ',' + a[i]; dashes += '--' + a[i]; }
           let seps = 0;
           const sep = { toString() { seps++; return '--'; } };
           const out = [a.join() === commas, a.join(undefined) === commas, a.join(sep) === dashes, seps];
           const h = new Array(n);
           h[0] = 'a'; h[50000] = undefined; h[60000] = null; h[n - 1] = 'z';
           Array.prototype[70000] = 'P';
           out.push(h.join(''));
           delete Array.prototype[70000];
           const order = [];
           const objects = Array.from({ length: 40000 }, (_, i) => ({ toString() { order.push(i); return 'o'; } }));
           out.push(objects.join('').length, order.every((v, i) => v === i) && order.length);
           let made = 0;
           class Sub extends Array { constructor(...args) { super(...args); made++; } }
           const sub = Sub.from({ length: 40000 }, () => 's');
           const before = made;
           out.push(sub.join('').length, made - before);
           out.push(Array.prototype.join.call({ length: 3, 0: 'x', 2: 'y' }, '+'));
           out.push(Array.prototype.join.length, Array.prototype.join.name);
           let caught = '';
           try { Array.prototype.join.call(null); } catch (e) { caught = e.constructor.name; }
           out.push(caught);
           return out;
         })",
    ))
    .unwrap();
    let expected: Vec<HostValue> = vec![
        true.into(),
        true.into(),
        true.into(),
        1.0.into(),
        "aPz".into(),
        40000.0.into(),
        40000.0.into(),
        40000.0.into(),
        0.0.into(),
        "x++y".into(),
        1.0.into(),
        "join".into(),
        "TypeError".into(),
    ];
    assert_eq!(
        run(&mut *iso, &host, 1, HostValue::Null),
        Some(Ok(HostValue::List(expected)))
    );
}

/// Large bytes from the host (which an engine may adopt as its buffer
/// instead of copying them) arrive whole, as a `Uint8Array` over a buffer
/// of their own that JavaScript may change, and count against the memory
/// limit: bytes past it make the isolate run out of memory.
pub fn large_bytes_arrive_whole(engine: &dyn crate::Engine) {
    let mut cfg = config();
    cfg.memory_limit = Some(32 << 20);
    let (mut iso, host) = isolate_with(engine, cfg);
    iso.load_worker(&script(
        "addEventListener('test', async () => {
           const b = await hostOpAsync('bytes');
           let sum = 0;
           for (let i = 0; i < b.length; i += 4099) sum += b[i];
           b[1] = 200;
           return [b.length, b.byteOffset, b.buffer.byteLength, b[0], b[1], b[b.length - 1], sum];
         })",
    ))
    .unwrap();
    let size = (1 << 20) + 7;
    let bytes: Vec<u8> = (0..size).map(|i| (i % 253) as u8).collect();
    let sum: usize = bytes.iter().step_by(4099).map(|&b| b as usize).sum();
    let last = bytes[size - 1];
    assert_eq!(run(&mut *iso, &host, 1, HostValue::Null), None);
    let id = host.started.borrow()[0].2;
    iso.settle(id, Ok(HostValue::Bytes(bytes))).unwrap();
    iso.run_microtasks().unwrap();
    let expected: Vec<HostValue> = vec![
        (size as f64).into(),
        0.0.into(),
        (size as f64).into(),
        0.0.into(),
        200.0.into(),
        f64::from(last).into(),
        (sum as f64).into(),
    ];
    assert_eq!(host.outcome(1), Some(Ok(HostValue::List(expected))));
    // Past the limit.
    assert_eq!(run(&mut *iso, &host, 2, HostValue::Null), None);
    let id = host.started.borrow()[1].2;
    let result = iso
        .settle(id, Ok(HostValue::Bytes(vec![1; 48 << 20])))
        .and_then(|()| iso.run_microtasks());
    assert!(
        matches!(result, Err(EngineError::OutOfMemory)),
        "{result:?}"
    );
}

/// An allocation bomb hits the heap limit and fails with `OutOfMemory`
/// instead of taking the process down.
pub fn memory_limit_stops_allocation_bombs(engine: &dyn crate::Engine) {
    let mut cfg = config();
    cfg.memory_limit = Some(32 << 20);
    let (mut iso, _host) = isolate_with(engine, cfg);
    iso.load_worker(&script(
        "addEventListener('test', () => { const a = []; for (;;) a.push({ i: a.length, s: 'x' + a.length }); })",
    ))
    .unwrap();
    iso.dispatch(1, HostValue::Null).unwrap();
    let result = iso.run_microtasks();
    assert!(
        matches!(result, Err(EngineError::OutOfMemory)),
        "{result:?}"
    );
}

/// Heap statistics are plausible and show the configured limit.
pub fn heap_stats_are_reported(engine: &dyn crate::Engine) {
    let mut cfg = config();
    cfg.memory_limit = Some(64 << 20);
    let (mut iso, host) = isolate_with(engine, cfg);
    iso.load_worker(&script("globalThis.keep = []; addEventListener('test', () => { for (let i = 0; i < 20000; i++) keep.push({ i }); return keep.length; })"))
        .unwrap();
    let before = iso.heap_stats();
    assert!(before.used > 0 && before.total >= before.used, "{before:?}");
    assert!(
        before.limit >= 32 << 20 && before.limit <= 128 << 20,
        "{before:?}"
    );
    run(&mut *iso, &host, 1, HostValue::Null);
    assert!(iso.heap_stats().used > before.used, "{before:?}");
}

/// Collecting garbage frees what a handler left unreachable, cycles
/// included, and keeps what is still reachable.
pub fn garbage_is_collected_on_request(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        "globalThis.kept = { n: 7 }; addEventListener('test', () => { \
           for (let i = 0; i < 20000; i++) { const a = { i }; const b = { a }; a.b = b; } \
           return kept.n; })",
    ))
    .unwrap();
    run(&mut *iso, &host, 1, HostValue::Null);
    iso.collect_garbage();
    let settled = iso.heap_stats().used;
    for id in 2..5 {
        run(&mut *iso, &host, id, HostValue::Null);
    }
    let with_garbage = iso.heap_stats().used;
    iso.collect_garbage();
    let after = iso.heap_stats().used;
    assert!(
        after < with_garbage && after <= settled + settled / 10,
        "settled {settled}, with garbage {with_garbage}, after {after}"
    );
    assert_eq!(
        run(&mut *iso, &host, 9, HostValue::Null),
        Some(Ok(HostValue::Number(7.0)))
    );
}

/// Code generation from strings is refused unless the config allows it.
pub fn code_generation_follows_the_config(engine: &dyn crate::Engine) {
    let src = "addEventListener('test', () => { \
               let a, b; \
               try { a = eval('1 + 1'); } catch (e) { a = 'refused'; } \
               try { b = new Function('return 3')(); } catch (e) { b = 'refused'; } \
               return [a, b]; })";
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(src)).unwrap();
    assert_eq!(
        run(&mut *iso, &host, 1, HostValue::Null),
        Some(Ok(HostValue::List(vec![
            "refused".into(),
            "refused".into()
        ])))
    );
    let mut cfg = config();
    cfg.allow_code_generation = true;
    let (mut iso, host) = isolate_with(engine, cfg);
    iso.load_worker(&script(src)).unwrap();
    assert_eq!(
        run(&mut *iso, &host, 1, HostValue::Null),
        Some(Ok(HostValue::List(vec![2.0.into(), 3.0.into()])))
    );
}

/// Isolates on one thread do not share globals, and isolates on several
/// threads run at once.
pub fn isolates_are_independent(engine: &'static dyn crate::Engine) {
    let src = "globalThis.n = (globalThis.n || 0); addEventListener('test', () => ++globalThis.n)";
    let (mut a, ha) = isolate(engine);
    let (mut b, hb) = isolate(engine);
    a.load_worker(&script(src)).unwrap();
    b.load_worker(&script(src)).unwrap();
    assert_eq!(run(&mut *a, &ha, 1, HostValue::Null), Some(Ok(1.0.into())));
    assert_eq!(run(&mut *a, &ha, 2, HostValue::Null), Some(Ok(2.0.into())));
    assert_eq!(run(&mut *b, &hb, 1, HostValue::Null), Some(Ok(1.0.into())));
    drop(a);
    assert_eq!(run(&mut *b, &hb, 2, HostValue::Null), Some(Ok(2.0.into())));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let (mut iso, host) = isolate(engine);
                iso.load_worker(&script("addEventListener('test', e => { let s = 0; for (let i = 0; i < 100000; i++) s += i % 7; return s + e; })")).unwrap();
                run(&mut *iso, &host, 1, HostValue::Number(i as f64))
            })
        })
        .collect();
    for (i, t) in threads.into_iter().enumerate() {
        let expected: f64 = (0..100000).map(|x| (x % 7) as f64).sum::<f64>() + i as f64;
        assert_eq!(t.join().unwrap(), Some(Ok(expected.into())));
    }
}

/// Every isolate starts from the prelude as evaluated, its start hook run
/// once in it: what a Worker changes of the prelude's globals, of the
/// functions the engine installs (the ops, wrapped built-ins) and of the
/// state a prelude chunk leaves stays in its isolate; the wrapped built-ins
/// answer with objects of the isolate's own realm. Another isolate with
/// the same prelude, made beside it or after it is dropped, sees none of
/// it, however the engine makes isolates (V8 deserializes a startup
/// snapshot of the evaluated prelude).
pub fn prelude_state_is_per_isolate(engine: &dyn crate::Engine) {
    let src = r#"
      const view = () => [typeof hostOp, String(hostOp.mark), String(addEventListener.mark),
        String([].leak), String(JSON.parse.mark), String([].fill.mark), String(globalThis.loadedA),
        JSON.parse('[1]').length, String((ArrayBuffer.prototype.transfer || {}).mark),
        String(globalThis.started), realm(), transferred()];
      // The wrapped built-ins answer in the isolate's own realm.
      const realm = () => { try { JSON.parse('{'); } catch (e) { return e instanceof SyntaxError && typeof e.stack === 'string'; } };
      const transferred = () => { const b = new ArrayBuffer(1); return !b.transfer || b.transfer() instanceof ArrayBuffer; };
      addEventListener('test', (e) => {
        if (e === 'mutate') {
          hostOp.mark = 'a';
          addEventListener.mark = 'a';
          Array.prototype.leak = 'a';
          JSON.parse.mark = 'a';
          [].fill.mark = 'a';
          if (ArrayBuffer.prototype.transfer) ArrayBuffer.prototype.transfer.mark = 'a';
          hostLoad(0);
        }
        return view();
      })"#;
    let pristine = || {
        let mut want = vec![HostValue::from("function")];
        want.extend((0..6).map(|_| HostValue::from("undefined")));
        want.push(HostValue::from(1.0));
        want.extend(["undefined", "1"].map(HostValue::from));
        want.extend([HostValue::Bool(true), HostValue::Bool(true)]);
        Some(Ok(HostValue::List(want)))
    };
    let (mut a, ha) = isolate(engine);
    let started = ha
        .calls
        .borrow()
        .iter()
        .filter(|(op, _)| op == "start")
        .count();
    assert_eq!(started, 1, "the start hook reached the host once");
    a.load_worker(&script(src)).unwrap();
    let mutated = run(&mut *a, &ha, 1, "mutate".into());
    let Some(Ok(HostValue::List(values))) = &mutated else {
        panic!("the mutating event failed: {mutated:?}");
    };
    assert_eq!(values[1], HostValue::from("a"), "{mutated:?}");
    assert_eq!(values[6], HostValue::from("1"), "{mutated:?}");
    let (mut b, hb) = isolate(engine);
    b.load_worker(&script(src)).unwrap();
    assert_eq!(run(&mut *b, &hb, 1, "view".into()), pristine(), "beside");
    drop(a);
    drop(b);
    let (mut c, hc) = isolate(engine);
    c.load_worker(&script(src)).unwrap();
    assert_eq!(run(&mut *c, &hc, 1, "view".into()), pristine(), "after");
}

/// An isolate dropped while its promises are pending frees cleanly, and an
/// interrupt handle outliving its isolate does nothing.
pub fn dropping_is_clean(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        "addEventListener('test', () => hostOpAsync('later'))",
    ))
    .unwrap();
    assert_eq!(run(&mut *iso, &host, 1, HostValue::Null), None);
    let handle = iso.interrupt_handle();
    drop(iso);
    handle.terminate();
}

/// Prelude chunks load on demand: each call evaluates the chunk again and
/// returns its completion value; a bad index is a `RangeError`, a throwing
/// chunk's error reaches the caller with the chunk's name in its stack.
pub fn prelude_chunks_load_on_demand(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        r#"addEventListener('test', () => {
          const out = [typeof globalThis.__motu_load, String(globalThis.loadedA)];
          out.push(hostLoad(0).answer, hostLoad(1)(21), hostLoad(0) !== hostLoad(0), String(globalThis.loadedA));
          for (const bad of [3, -1, 'x', undefined, 1.5]) {
            try { hostLoad(bad); out.push('no error'); } catch (e) { out.push(e.name); }
          }
          try { hostLoad(2); } catch (e) { out.push(e.message, e.stack.includes('motu:chunk-c')); }
          return out;
        })"#,
    ))
    .unwrap();
    let got = run(&mut *iso, &host, 1, HostValue::Undefined)
        .unwrap()
        .unwrap();
    let expected: Vec<HostValue> = vec![
        "undefined".into(),
        "undefined".into(),
        HostValue::Number(42.0),
        HostValue::Number(42.0),
        HostValue::Bool(true),
        "3".into(),
        "RangeError".into(),
        "RangeError".into(),
        "RangeError".into(),
        "RangeError".into(),
        "RangeError".into(),
        "chunk c fails".into(),
        HostValue::Bool(true),
    ];
    assert_eq!(got, HostValue::List(expected));
}

/// The async context (see `contract::ASYNC_CONTEXT_GET`): a promise
/// reaction runs in the context current when its handler was registered
/// (`then`, `await`), whatever context settles the promise. (Where a
/// thenable's job runs differs: QuickJS runs it in the context current when
/// it was enqueued, V8 10.2 in whatever context is current; see
/// tests/async_local_storage.rs.)
pub fn async_context_follows_promise_jobs(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        "addEventListener('test', async () => {
           const get = __motu_async_context_get, set = __motu_async_context_set;
           const log = [];
           const start = get();
           set('a');
           const p = hostOpAsync('later');
           const r1 = p.then(() => log.push('then:' + get()));
           set({ name: 'b' });
           const r2 = (async () => {
             await p; log.push('await:' + get().name);
             await null; log.push('again:' + get().name);
           })();
           set('none');
           await Promise.all([r1, r2]);
           log.push('end:' + get(), 'start:' + start);
           return log;
         })",
    ))
    .unwrap();
    assert_eq!(run(&mut *iso, &host, 1, HostValue::Undefined), None);
    let id = host.started.borrow()[0].2;
    iso.settle(id, Ok(HostValue::Null)).unwrap();
    iso.run_microtasks().unwrap();
    let want: Vec<HostValue> = [
        "then:a",
        "await:b",
        "again:b",
        "end:none",
        "start:undefined",
    ]
    .into_iter()
    .map(HostValue::from)
    .collect();
    assert_eq!(host.outcome(1), Some(Ok(HostValue::List(want))));
}

/// The engine's `defineGetter` (see `contract::DEFINE_GETTER`), which both
/// engines have: an own accessor with the getter given, no setter,
/// enumerable and not configurable; a bad call throws a TypeError.
pub fn define_getter_makes_an_unforgeable_accessor(engine: &dyn crate::Engine) {
    let (mut iso, host) = isolate(engine);
    iso.load_worker(&script(
        "const defineGetter = globalThis.__motu_define_getter;
         addEventListener('test', () => {
           function get() { return this.n * 2; }
           const a = { n: 2 }, b = { n: 5 };
           defineGetter(a, 'twice', get);
           defineGetter(b, 'twice', get);
           const d = Object.getOwnPropertyDescriptor(a, 'twice');
           let thrown = 'none';
           try { defineGetter(a, 'x', 1); } catch (e) { thrown = e.constructor.name; }
           let redefined = 'allowed';
           try { Object.defineProperty(a, 'twice', { value: 1 }); } catch (e) { redefined = e.constructor.name; }
           return [typeof defineGetter, a.twice, b.twice, d.get === get,
             d.set === undefined, d.enumerable, d.configurable, thrown, redefined];
         })",
    ))
    .unwrap();
    let want = HostValue::List(vec![
        "function".into(),
        HostValue::Number(4.0),
        HostValue::Number(10.0),
        HostValue::Bool(true),
        HostValue::Bool(true),
        HostValue::Bool(true),
        HostValue::Bool(false),
        "TypeError".into(),
        "TypeError".into(),
    ]);
    assert_eq!(
        run(&mut *iso, &host, 1, HostValue::Undefined),
        Some(Ok(want))
    );
}

/// Makes one `#[test]` per conformance case for an engine.
///
/// `$engine` is an expression of a type that implements [`Engine`](crate::Engine);
/// it is evaluated once, into a `static`.
#[macro_export]
macro_rules! engine_testsuite {
    ($engine:expr) => {
        fn __motu_suite_engine() -> &'static dyn $crate::Engine {
            static ENGINE: ::std::sync::OnceLock<::std::boxed::Box<dyn $crate::Engine>> =
                ::std::sync::OnceLock::new();
            &**ENGINE.get_or_init(|| ::std::boxed::Box::new($engine))
        }
        $crate::engine_testsuite!(@cases
            values_round_trip,
            javascript_values_convert,
            chunks_become_one_uint8_array,
            sync_ops_pass_values,
            cyclic_values_are_cut_off,
            op_errors_are_thrown_with_their_class,
            op_globals_are_hidden,
            async_ops_settle,
            async_ops_reject,
            async_context_follows_promise_jobs,
            define_getter_makes_an_unforgeable_accessor,
            modules_import_each_other,
            modules_may_await_at_top_level,
            missing_imports_fail_the_load,
            syntax_errors_are_reported,
            top_level_exceptions_carry_a_stack,
            errors_locate_the_worker_file,
            thrown_non_errors_are_reported,
            terminate_stops_endless_loops,
            fill_follows_the_specification,
            long_runs_of_a_character_are_whole,
            join_follows_the_specification,
            large_bytes_arrive_whole,
            memory_limit_stops_allocation_bombs,
            heap_stats_are_reported,
            garbage_is_collected_on_request,
            code_generation_follows_the_config,
            isolates_are_independent,
            prelude_state_is_per_isolate,
            dropping_is_clean,
            prelude_chunks_load_on_demand
        );
    };
    (@cases $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testsuite::$case(__motu_suite_engine());
            }
        )*
    };
}
