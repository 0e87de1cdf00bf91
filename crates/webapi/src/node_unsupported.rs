//! The `node:*` modules Workers can import but not use (`nodejs_compat`).
//!
//! On Cloudflare, modules that make no sense in a Worker
//! (`node:child_process`, `node:worker_threads`, `node:vm`…) are
//! importable, so that a package which only mentions them loads, and their
//! functions throw when called. motu does the same: each module here is a
//! small generated ES module whose functions throw an `Error` with code
//! `ERR_METHOD_NOT_IMPLEMENTED` naming the module and the function, whose
//! classes throw when constructed, and whose plain values are those a
//! package may read at load (`tty.isatty()` is false,
//! `worker_threads.isMainThread` is true, `http2.constants`…).
//! `node:punycode` is a real implementation (`js/node/punycode.mjs`).

/// An importable module whose API is not implemented.
struct Unsupported {
    /// Its name, without `node:`.
    name: &'static str,
    /// Functions that throw when called.
    functions: &'static str,
    /// Classes that throw when constructed.
    classes: &'static str,
    /// Other exports: a name and the JavaScript expression of its value.
    values: &'static [(&'static str, &'static str)],
}

const UNSUPPORTED: &[Unsupported] = &[
    Unsupported {
        name: "child_process",
        functions: "exec execFile execFileSync execSync fork spawn spawnSync",
        classes: "ChildProcess",
        values: &[],
    },
    Unsupported {
        name: "cluster",
        functions: "setupPrimary setupMaster fork disconnect",
        classes: "Worker",
        values: &[
            ("isWorker", "false"),
            ("isMaster", "true"),
            ("isPrimary", "true"),
            ("workers", "{}"),
            ("settings", "{}"),
            ("SCHED_NONE", "1"),
            ("SCHED_RR", "2"),
            ("schedulingPolicy", "2"),
        ],
    },
    Unsupported {
        name: "dgram",
        functions: "createSocket",
        classes: "Socket",
        values: &[],
    },
    Unsupported {
        name: "domain",
        functions: "create createDomain",
        classes: "Domain",
        values: &[("active", "undefined")],
    },
    Unsupported {
        name: "http2",
        functions: "connect createServer createSecureServer getDefaultSettings \
                    getPackedSettings getUnpackedSettings performServerHandshake",
        classes: "Http2ServerRequest Http2ServerResponse",
        values: &[
            ("constants", include_str!("../js/node/http2_constants.json")),
            (
                "sensitiveHeaders",
                "Symbol.for('nodejs.http2.sensitiveHeaders')",
            ),
        ],
    },
    Unsupported {
        name: "inspector",
        functions: "open close url waitForDebugger",
        classes: "Session",
        values: &[("console", "globalThis.console")],
    },
    Unsupported {
        name: "inspector/promises",
        functions: "open close url waitForDebugger",
        classes: "Session",
        values: &[("console", "globalThis.console")],
    },
    Unsupported {
        name: "perf_hooks",
        functions: "monitorEventLoopDelay createHistogram",
        classes: "PerformanceObserver PerformanceObserverEntryList PerformanceResourceTiming",
        values: &[
            ("performance", "globalThis.performance"),
            ("Performance", "globalThis.performance?.constructor"),
            ("PerformanceEntry", "globalThis.PerformanceEntry"),
            ("PerformanceMark", "globalThis.PerformanceMark"),
            ("PerformanceMeasure", "globalThis.PerformanceMeasure"),
            (
                "constants",
                "{ NODE_PERFORMANCE_GC_MAJOR: 4, NODE_PERFORMANCE_GC_MINOR: 1, \
                 NODE_PERFORMANCE_GC_INCREMENTAL: 8, NODE_PERFORMANCE_GC_WEAKCB: 16, \
                 NODE_PERFORMANCE_GC_FLAGS_NO: 0, NODE_PERFORMANCE_GC_FLAGS_CONSTRUCT_RETAINED: 2, \
                 NODE_PERFORMANCE_GC_FLAGS_FORCED: 4, \
                 NODE_PERFORMANCE_GC_FLAGS_SYNCHRONOUS_PHANTOM_PROCESSING: 8, \
                 NODE_PERFORMANCE_GC_FLAGS_ALL_AVAILABLE_GARBAGE: 16, \
                 NODE_PERFORMANCE_GC_FLAGS_ALL_EXTERNAL_MEMORY: 32, \
                 NODE_PERFORMANCE_GC_FLAGS_SCHEDULE_IDLE: 64 }",
            ),
        ],
    },
    Unsupported {
        name: "readline",
        functions: "clearLine clearScreenDown createInterface cursorTo emitKeypressEvents \
                    moveCursor",
        classes: "Interface",
        values: &[],
    },
    Unsupported {
        name: "readline/promises",
        functions: "createInterface",
        classes: "Interface Readline",
        values: &[],
    },
    Unsupported {
        name: "repl",
        functions: "start",
        classes: "REPLServer Recoverable",
        values: &[
            ("REPL_MODE_SLOPPY", "Symbol.for('repl-sloppy')"),
            ("REPL_MODE_STRICT", "Symbol.for('repl-strict')"),
            ("builtinModules", "[]"),
        ],
    },
    Unsupported {
        name: "trace_events",
        functions: "createTracing getEnabledCategories",
        classes: "",
        values: &[],
    },
    Unsupported {
        name: "tty",
        functions: "",
        classes: "ReadStream WriteStream",
        values: &[("isatty", "function isatty() { return false; }")],
    },
    Unsupported {
        name: "v8",
        functions: "cachedDataVersionTag getHeapSnapshot getHeapStatistics \
                    getHeapSpaceStatistics getHeapCodeStatistics setFlagsFromString \
                    deserialize serialize takeCoverage stopCoverage writeHeapSnapshot \
                    setHeapSnapshotNearHeapLimit queryObjects",
        classes: "Serializer Deserializer DefaultSerializer DefaultDeserializer GCProfiler",
        values: &[],
    },
    Unsupported {
        name: "vm",
        functions: "createContext createScript runInContext runInNewContext runInThisContext \
                    isContext compileFunction measureMemory",
        classes: "Script",
        values: &[("constants", "{}")],
    },
    Unsupported {
        name: "wasi",
        functions: "",
        classes: "WASI",
        values: &[],
    },
    Unsupported {
        name: "worker_threads",
        functions: "moveMessagePortToContext receiveMessageOnPort postMessageToThread",
        classes: "Worker",
        values: &[
            ("isMainThread", "true"),
            ("parentPort", "null"),
            ("workerData", "null"),
            ("threadId", "0"),
            ("resourceLimits", "{}"),
            ("SHARE_ENV", "Symbol.for('nodejs.worker_threads.SHARE_ENV')"),
            ("MessageChannel", "globalThis.MessageChannel"),
            ("MessagePort", "globalThis.MessagePort"),
            ("BroadcastChannel", "globalThis.BroadcastChannel"),
            ("markAsUntransferable", "function markAsUntransferable() {}"),
            ("environmentData", "new Map()"),
            (
                "getEnvironmentData",
                "function getEnvironmentData(key) { return environmentData.get(key); }",
            ),
            (
                "setEnvironmentData",
                "function setEnvironmentData(key, value) { \
                 if (value === undefined) environmentData.delete(key); \
                 else environmentData.set(key, value); }",
            ),
        ],
    },
];

/// Exports that are the module's own state, not part of its API.
const PRIVATE: &[&str] = &["environmentData"];

/// The modules, by their `node:` names, with their ES module sources.
pub fn modules() -> Vec<(String, String)> {
    let mut modules: Vec<(String, String)> = UNSUPPORTED
        .iter()
        .map(|m| (format!("node:{}", m.name), source(m)))
        .collect();
    modules.push((
        "node:punycode".into(),
        include_str!("../js/node/punycode.mjs").into(),
    ));
    modules
}

/// The ES module of `m`.
fn source(m: &Unsupported) -> String {
    let module = m.name;
    let mut out = format!(
        "function unsupported(name) {{\n\
         \x20 const error = new Error(`node:{module}.${{name}} is not implemented in Workers`);\n\
         \x20 error.code = 'ERR_METHOD_NOT_IMPLEMENTED';\n\
         \x20 return error;\n\
         }}\n"
    );
    let mut names = Vec::new();
    for f in m.functions.split_whitespace() {
        out += &format!("export function {f}() {{ throw unsupported('{f}'); }}\n");
        names.push(f);
    }
    for c in m.classes.split_whitespace() {
        out += &format!("export class {c} {{ constructor() {{ throw unsupported('{c}'); }} }}\n");
        names.push(c);
    }
    for (name, value) in m.values {
        if PRIVATE.contains(name) {
            out += &format!("const {name} = {value};\n");
        } else {
            out += &format!("export const {name} = {value};\n");
            names.push(name);
        }
    }
    out += &format!("export default {{ {} }};\n", names.join(", "));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_is_named_once_and_exports_a_default() {
        let modules = modules();
        let mut names: Vec<&str> = modules.iter().map(|(n, _)| n.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), modules.len());
        for (name, source) in &modules {
            assert!(source.contains("export default"), "{name}");
        }
        let tty = &modules.iter().find(|(n, _)| n == "node:tty").unwrap().1;
        assert!(tty.contains("export class WriteStream"), "{tty}");
        assert!(tty.contains("export default { ReadStream, WriteStream, isatty };"));
    }
}
