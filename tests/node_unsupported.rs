//! The `node:*` modules a Worker may import but not use (as on Workers), on
//! every engine: with `nodejs_compat`, `node:child_process`,
//! `node:worker_threads`, `node:vm`, `tty` and the rest load, by either
//! name; what a package reads at load has its value; a function throws
//! `ERR_METHOD_NOT_IMPLEMENTED` naming itself; `node:punycode` converts as
//! Node.js's does (its figures were taken from Node.js 20).

mod common;

use common::{on_each_engine, Server, TempConfig};

const WORKER: &str = r#"
import child_process from 'node:child_process';
import { spawn } from 'child_process';
import cluster from 'node:cluster';
import dgram from 'node:dgram';
import domain from 'node:domain';
import http2, { constants as h2 } from 'node:http2';
import inspector from 'node:inspector';
import { performance, constants as perf } from 'node:perf_hooks';
import punycode from 'punycode';
import readline from 'node:readline';
import { createInterface } from 'node:readline/promises';
import repl from 'node:repl';
import trace_events from 'node:trace_events';
import tty, { isatty, WriteStream } from 'tty';
import v8 from 'node:v8';
import vm from 'node:vm';
import { WASI } from 'node:wasi';
import { isMainThread, parentPort, threadId, getEnvironmentData, setEnvironmentData, Worker } from 'node:worker_threads';

function thrown(f) {
  try { f(); return 'no error'; } catch (e) { return `${e.code}: ${e.message}`; }
}

export default {
  fetch() {
    setEnvironmentData('k', 42);
    return Response.json({
      spawn: thrown(() => spawn('ls')),
      sameModule: child_process.spawn === spawn,
      execSync: thrown(() => child_process.execSync('ls')),
      newWorker: thrown(() => new Worker('x.js')),
      newWriteStream: thrown(() => new WriteStream(1)),
      runInNewContext: thrown(() => vm.runInNewContext('1')),
      wasi: thrown(() => new WASI()),
      isatty: isatty(1) === false && tty.isatty(2) === false,
      isMainThread, parentPort, threadId,
      environmentData: getEnvironmentData('k'),
      isPrimary: cluster.isPrimary,
      h2status: h2.HTTP2_HEADER_STATUS,
      h2ok: http2.constants.HTTP_STATUS_OK,
      perfNow: typeof performance.now(),
      gcMajor: perf.NODE_PERFORMANCE_GC_MAJOR,
      loaded: [dgram.createSocket, domain.create, inspector.open, readline.createInterface,
        createInterface, repl.start, trace_events.createTracing, v8.serialize].map(f => typeof f),
      punycode: [
        punycode.toASCII('mañana.com'), punycode.toUnicode('xn--maana-pta.com'),
        punycode.encode('ü'), punycode.decode('tda'), punycode.toASCII('user@ñ.com'),
        punycode.encode('😀abc'), punycode.toASCII('i❤.ws'), punycode.ucs2.decode('a😀'),
        thrown(() => punycode.decode('é')),
      ],
    });
  },
};
"#;

#[test]
fn unsupported_modules_load_and_their_functions_throw() {
    on_each_engine(
        "unsupported_modules_load_and_their_functions_throw",
        |engine| {
            let c = TempConfig::new(&[
                ("worker.mjs", WORKER),
                (
                    "motu.toml",
                    "[[workers]]\nname = \"w\"\nmain = \"worker.mjs\"\n\
                     compatibility_date = \"2025-01-01\"\ncompatibility_flags = [\"nodejs_compat\"]\n",
                ),
            ]);
            let s = Server::start(&["--config", &c.path("motu.toml"), "--engine", engine]);
            let r = s.get("/");
            assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
            let v = r.json();
            let not_implemented = |what: &str| {
                format!("ERR_METHOD_NOT_IMPLEMENTED: node:{what} is not implemented in Workers")
            };
            assert_eq!(v["spawn"], not_implemented("child_process.spawn"));
            assert_eq!(v["sameModule"], true);
            assert_eq!(v["execSync"], not_implemented("child_process.execSync"));
            assert_eq!(v["newWorker"], not_implemented("worker_threads.Worker"));
            assert_eq!(v["newWriteStream"], not_implemented("tty.WriteStream"));
            assert_eq!(v["runInNewContext"], not_implemented("vm.runInNewContext"));
            assert_eq!(v["wasi"], not_implemented("wasi.WASI"));
            assert_eq!(v["isatty"], true);
            assert_eq!(v["isMainThread"], true);
            assert_eq!(v["parentPort"], serde_json::Value::Null);
            assert_eq!(v["threadId"], 0);
            assert_eq!(v["environmentData"], 42);
            assert_eq!(v["isPrimary"], true);
            assert_eq!(v["h2status"], ":status");
            assert_eq!(v["h2ok"], 200);
            assert_eq!(v["perfNow"], "number");
            assert_eq!(v["gcMajor"], 4);
            assert_eq!(v["loaded"], serde_json::json!(vec!["function"; 8]));
            assert_eq!(
                v["punycode"],
                serde_json::json!([
                    "xn--maana-pta.com",
                    "mañana.com",
                    "tda",
                    "ü",
                    "user@xn--ida.com",
                    "abc-qh33b",
                    "xn--i-7iq.ws",
                    [97, 128512],
                    "undefined: Invalid input"
                ])
            );
        },
    );
}

#[test]
fn without_nodejs_compat_they_are_not_there() {
    on_each_engine("without_nodejs_compat_they_are_not_there", |engine| {
        let c = TempConfig::new(&[
            (
                "worker.mjs",
                "import tty from 'node:tty';\nexport default { fetch: () => new Response('x') };\n",
            ),
            (
                "motu.toml",
                "[[workers]]\nname = \"w\"\nmain = \"worker.mjs\"\n",
            ),
        ]);
        let s = Server::start(&["--config", &c.path("motu.toml"), "--engine", engine]);
        let log = s.wait_for_log("node:tty");
        assert!(log.contains("'node:tty' is a built-in module"), "{log}");
        assert_eq!(s.get("/").status, 500);
    });
}
