//! The `node:*` built-in modules (Node.js compatibility, `nodejs_compat`).
//!
//! Each module family is a prelude group written in JavaScript
//! (`js/node/NAME.js`), evaluated the first time a Worker imports it (or
//! touches the `process`/`Buffer` global), so a Worker that imports none
//! pays nothing. What the loader gets for `node:NAME` ([`modules`]) is a
//! small ES module generated here: it takes the group's exports object
//! through the prelude (see `js/node/setup.js`) and exports it as its
//! default export (what `require('node:NAME')` gives, as in Node.js) and
//! its members as named exports.

/// A `node:*` module: its name, the group whose exports it is (and the
/// member of them, for a subpath such as `node:path/posix`), and its named
/// exports.
struct NodeModule {
    name: &'static str,
    group: &'static str,
    member: Option<&'static str>,
    exports: &'static str,
}

const BUFFER: &str = "Buffer Blob File SlowBuffer atob btoa constants kMaxLength \
    kStringMaxLength INSPECT_MAX_BYTES isAscii isUtf8 transcode";
const EVENTS: &str = "EventEmitter once on getEventListeners getMaxListeners \
    setMaxListeners listenerCount defaultMaxListeners captureRejectionSymbol \
    captureRejections errorMonitor addAbortListener";
const UTIL: &str = "format formatWithOptions inspect promisify callbackify types inherits \
    deprecate isDeepStrictEqual TextEncoder TextDecoder parseArgs styleText debuglog debug \
    isArray stripVTControlCharacters toUSVString aborted getSystemErrorName";
const UTIL_TYPES: &str = "isAnyArrayBuffer isArrayBuffer isArrayBufferView isAsyncFunction \
    isBigInt64Array isBigUint64Array isBooleanObject isBoxedPrimitive isDataView isDate \
    isFloat32Array isFloat64Array isGeneratorFunction isGeneratorObject isInt8Array \
    isInt16Array isInt32Array isMap isMapIterator isNativeError isNumberObject isPromise \
    isProxy isRegExp isSet isSetIterator isSharedArrayBuffer isStringObject isSymbolObject \
    isTypedArray isUint8Array isUint8ClampedArray isUint16Array isUint32Array isWeakMap \
    isWeakSet isKeyObject isCryptoKey isModuleNamespaceObject isExternal isBigIntObject \
    isArgumentsObject";
const PROCESS: &str = "env nextTick version versions platform arch title argv argv0 \
    execArgv execPath pid ppid release features cwd chdir umask hrtime uptime memoryUsage \
    cpuUsage emitWarning exit abort exitCode getBuiltinModule on once off emit \
    addListener removeListener removeAllListeners listeners listenerCount stdout stderr stdin";
const PATH: &str = "basename delimiter dirname extname format isAbsolute join normalize \
    parse posix relative resolve sep toNamespacedPath matchesGlob";

const TIMERS: &str = "setTimeout clearTimeout setInterval clearInterval setImmediate \
    clearImmediate promises";
const TIMERS_PROMISES: &str = "setTimeout setImmediate setInterval scheduler";

const ASSERT: &str = "AssertionError ok fail equal notEqual strictEqual notStrictEqual \
    deepEqual notDeepEqual deepStrictEqual notDeepStrictEqual match doesNotMatch throws \
    doesNotThrow rejects doesNotReject ifError strict";

const CRYPTO: &str = "createHash createHmac hash Hash Hmac createCipheriv createDecipheriv \
    Cipheriv Decipheriv pbkdf2 pbkdf2Sync scrypt scryptSync hkdf hkdfSync randomBytes \
    randomFill randomFillSync randomInt randomUUID getRandomValues timingSafeEqual KeyObject \
    createSecretKey createPrivateKey createPublicKey generateKeyPair generateKeyPairSync sign \
    verify createSign createVerify Sign Verify publicEncrypt privateDecrypt diffieHellman \
    getHashes getCiphers constants webcrypto subtle";

const STREAM: &str = "Stream Readable Writable Duplex Transform PassThrough pipeline finished \
    addAbortSignal isReadable isErrored isDisturbed getDefaultHighWaterMark promises";
const STREAM_WEB: &str = "ReadableStream ReadableStreamDefaultReader ReadableStreamBYOBReader \
    ReadableStreamBYOBRequest ReadableByteStreamController ReadableStreamDefaultController \
    TransformStream TransformStreamDefaultController WritableStream WritableStreamDefaultWriter \
    WritableStreamDefaultController ByteLengthQueuingStrategy CountQueuingStrategy \
    TextEncoderStream TextDecoderStream CompressionStream DecompressionStream";

const NET: &str = "BlockList Socket Stream SocketAddress Server connect createConnection \
    createServer isIP isIPv4 isIPv6 getDefaultAutoSelectFamily setDefaultAutoSelectFamily \
    getDefaultAutoSelectFamilyAttemptTimeout setDefaultAutoSelectFamilyAttemptTimeout";
const TLS: &str = "TLSSocket SecureContext Server connect createServer createSecureContext \
    checkServerIdentity getCiphers rootCertificates DEFAULT_CIPHERS DEFAULT_ECDH_CURVE \
    DEFAULT_MIN_VERSION DEFAULT_MAX_VERSION CLIENT_RENEG_LIMIT CLIENT_RENEG_WINDOW";
const FS: &str = "appendFile appendFileSync access accessSync chown chownSync chmod chmodSync \
    close closeSync copyFile copyFileSync cp cpSync createReadStream createWriteStream exists \
    existsSync fchown fchownSync fchmod fchmodSync fdatasync fdatasyncSync fstat fstatSync fsync \
    fsyncSync ftruncate ftruncateSync futimes futimesSync lchown lchownSync lchmod lchmodSync link \
    linkSync lstat lstatSync lutimes lutimesSync mkdir mkdirSync mkdtemp mkdtempSync open openSync \
    openAsBlob readdir readdirSync read readSync readv readvSync readFile readFileSync readlink \
    readlinkSync realpath realpathSync rename renameSync rm rmSync rmdir rmdirSync stat statfs \
    statSync statfsSync symlink symlinkSync truncate truncateSync unwatchFile unlink unlinkSync \
    utimes utimesSync watch watchFile writeFile writeFileSync write writeSync writev writevSync \
    Dirent Stats ReadStream WriteStream Dir opendir opendirSync F_OK R_OK W_OK X_OK constants \
    promises";
const FS_PROMISES: &str = "access copyFile cp open opendir rename truncate rm rmdir mkdir \
    readdir readlink symlink lstat stat statfs link unlink chmod lchmod lchown chown utimes \
    lutimes realpath mkdtemp writeFile appendFile readFile watch constants";

const DNS: &str = "lookup lookupService Resolver getDefaultResultOrder setDefaultResultOrder \
    setServers getServers resolve resolve4 resolve6 resolveAny resolveCaa resolveCname resolveMx \
    resolveNaptr resolveNs resolvePtr resolveSoa resolveSrv resolveTxt reverse ADDRCONFIG ALL \
    V4MAPPED NODATA FORMERR SERVFAIL NOTFOUND NOTIMP REFUSED BADQUERY BADNAME BADFAMILY BADRESP \
    CONNREFUSED TIMEOUT EOF FILE NOMEM DESTRUCTION BADSTR BADFLAGS NONAME BADHINTS \
    NOTINITIALIZED LOADIPHLPAPI ADDRGETNETWORKPARAMS CANCELLED promises";
const DNS_PROMISES: &str = "lookup lookupService Resolver getDefaultResultOrder \
    setDefaultResultOrder setServers getServers resolve resolve4 resolve6 resolveAny resolveCaa \
    resolveCname resolveMx resolveNaptr resolveNs resolvePtr resolveSoa resolveSrv resolveTxt \
    reverse NODATA FORMERR SERVFAIL NOTFOUND NOTIMP REFUSED BADQUERY BADNAME BADFAMILY BADRESP \
    CONNREFUSED TIMEOUT EOF FILE NOMEM DESTRUCTION BADSTR BADFLAGS NONAME BADHINTS \
    NOTINITIALIZED LOADIPHLPAPI ADDRGETNETWORKPARAMS CANCELLED";
const HTTP: &str = "METHODS STATUS_CODES Agent ClientRequest IncomingMessage OutgoingMessage \
    Server ServerResponse createServer validateHeaderName validateHeaderValue get request \
    setMaxIdleHTTPParsers maxHeaderSize globalAgent";
const ZLIB: &str = "crc32 Deflate Inflate Gzip Gunzip DeflateRaw InflateRaw Unzip \
    BrotliCompress BrotliDecompress deflate deflateSync gzip gzipSync deflateRaw deflateRawSync \
    unzip unzipSync inflate inflateSync gunzip gunzipSync inflateRaw inflateRawSync \
    brotliCompress brotliCompressSync brotliDecompress brotliDecompressSync createDeflate \
    createInflate createDeflateRaw createInflateRaw createGzip createGunzip createUnzip \
    createBrotliCompress createBrotliDecompress constants codes";

const MODULES: &[NodeModule] = &[
    NodeModule {
        name: "buffer",
        group: "buffer",
        member: None,
        exports: BUFFER,
    },
    NodeModule {
        name: "events",
        group: "events",
        member: None,
        exports: EVENTS,
    },
    NodeModule {
        name: "util",
        group: "util",
        member: None,
        exports: UTIL,
    },
    NodeModule {
        name: "util/types",
        group: "util",
        member: Some("types"),
        exports: UTIL_TYPES,
    },
    NodeModule {
        name: "process",
        group: "process",
        member: None,
        exports: PROCESS,
    },
    NodeModule {
        name: "path",
        group: "path",
        member: None,
        exports: PATH,
    },
    NodeModule {
        name: "path/posix",
        group: "path",
        member: Some("posix"),
        exports: PATH,
    },
    NodeModule {
        name: "string_decoder",
        group: "string_decoder",
        member: None,
        exports: "StringDecoder",
    },
    NodeModule {
        name: "querystring",
        group: "querystring",
        member: None,
        exports: "parse decode stringify encode escape unescape unescapeBuffer",
    },
    NodeModule {
        name: "timers",
        group: "timers",
        member: None,
        exports: TIMERS,
    },
    NodeModule {
        name: "timers/promises",
        group: "timers",
        member: Some("promises"),
        exports: TIMERS_PROMISES,
    },
    NodeModule {
        name: "assert",
        group: "assert",
        member: None,
        exports: ASSERT,
    },
    NodeModule {
        name: "assert/strict",
        group: "assert",
        member: Some("strict"),
        exports: ASSERT,
    },
    NodeModule {
        name: "url",
        group: "url",
        member: None,
        exports: "URL URLSearchParams Url parse format resolve fileURLToPath pathToFileURL \
                  urlToHttpOptions domainToASCII",
    },
    NodeModule {
        name: "os",
        group: "os",
        member: None,
        exports: "EOL devNull constants arch machine platform type release version hostname \
                  homedir tmpdir endianness cpus availableParallelism totalmem freemem uptime \
                  loadavg networkInterfaces userInfo getPriority setPriority",
    },
    NodeModule {
        name: "diagnostics_channel",
        group: "diagnostics_channel",
        member: None,
        exports: "channel subscribe unsubscribe hasSubscribers tracingChannel Channel",
    },
    NodeModule {
        name: "crypto",
        group: "crypto",
        member: None,
        exports: CRYPTO,
    },
    NodeModule {
        name: "stream",
        group: "stream",
        member: None,
        exports: STREAM,
    },
    NodeModule {
        name: "stream/promises",
        group: "stream",
        member: Some("promises"),
        exports: "pipeline finished",
    },
    NodeModule {
        name: "stream/web",
        group: "stream_web",
        member: None,
        exports: STREAM_WEB,
    },
    NodeModule {
        name: "async_hooks",
        group: "async_hooks",
        member: None,
        exports: "AsyncLocalStorage AsyncResource createHook executionAsyncId triggerAsyncId \
                  executionAsyncResource asyncWrapProviders",
    },
    NodeModule {
        name: "net",
        group: "net",
        member: None,
        exports: NET,
    },
    NodeModule {
        name: "tls",
        group: "tls",
        member: None,
        exports: TLS,
    },
    NodeModule {
        name: "fs",
        group: "fs",
        member: None,
        exports: FS,
    },
    NodeModule {
        name: "fs/promises",
        group: "fs",
        member: Some("promises"),
        exports: FS_PROMISES,
    },
    NodeModule {
        name: "dns",
        group: "dns",
        member: None,
        exports: DNS,
    },
    NodeModule {
        name: "dns/promises",
        group: "dns",
        member: Some("promises"),
        exports: DNS_PROMISES,
    },
    NodeModule {
        name: "http",
        group: "http",
        member: None,
        exports: HTTP,
    },
    NodeModule {
        name: "https",
        group: "https",
        member: None,
        exports: "Agent globalAgent Server createServer get request",
    },
    NodeModule {
        name: "module",
        group: "module",
        member: None,
        exports: "builtinModules isBuiltin createRequire Module",
    },
    NodeModule {
        name: "zlib",
        group: "zlib",
        member: None,
        exports: ZLIB,
    },
];

/// The `node:*` modules, each as `(name, ES module source)`: `node:buffer`
/// and the rest. The runtime gives them to the loader for a Worker with
/// `nodejs_compat`.
pub fn modules() -> Vec<(String, String)> {
    MODULES
        .iter()
        .map(|m| (format!("node:{}", m.name), stub(m)))
        .collect()
}

/// The stand-in for the module `name` (`node:fs`) where a Worker's
/// compatibility flags leave it out, as wrangler's bundle has one there:
/// importable with the real module's export names, each a function that
/// throws an `Error` with code `ERR_METHOD_NOT_IMPLEMENTED` saying `why`;
/// the default export an object of them. `None` for an unknown module.
pub fn stand_in(name: &str, why: &str) -> Option<String> {
    let m = MODULES
        .iter()
        .find(|m| format!("node:{}", m.name) == name)?;
    // Debug formatting quotes an ASCII text as JavaScript would.
    let why = format!("{why:?}");
    let mut out = format!(
        "function unavailable(member) {{\n\
         \x20 return function () {{\n\
         \x20   const error = new Error(`{name}.${{member}} is not available: ` + {why});\n\
         \x20   error.code = 'ERR_METHOD_NOT_IMPLEMENTED';\n\
         \x20   throw error;\n\
         \x20 }};\n\
         }}\n"
    );
    let names: Vec<&str> = m.exports.split_whitespace().collect();
    for n in &names {
        out += &format!("export const {n} = unavailable('{n}');\n");
    }
    out += &format!("export default {{ {} }};\n", names.join(", "));
    Some(out)
}

/// The ES module of `m`: its default export is the group's exports object
/// (or its member), its named exports that object's members.
fn stub(m: &NodeModule) -> String {
    let member = m.member.map_or(String::new(), |s| format!(", {s:?}"));
    let names: Vec<&str> = m.exports.split_whitespace().collect();
    format!(
        "const m = globalThis[Symbol.for('motu.node')]({:?}{member});\n\
         export default m;\n\
         export const {{ {} }} = m;\n",
        m.group,
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stand_in_has_the_modules_names_and_says_why() {
        let source = stand_in("node:http", "it needs a flag").unwrap();
        assert!(source.contains("export const request = unavailable('request');"));
        assert!(source.contains("export const STATUS_CODES = unavailable('STATUS_CODES');"));
        assert!(source.contains("\"it needs a flag\""));
        assert!(source.contains("export default {"));
        assert!(stand_in("node:nope", "x").is_none());
    }
    #[test]
    fn every_module_has_a_group_in_order() {
        let prelude = crate::prelude::prelude();
        let line = prelude
            .lines()
            .find(|l| l.starts_with("const NODE_NAMES = "))
            .expect("setup.js names the node groups");
        let names: Vec<&str> = line
            .trim_start_matches("const NODE_NAMES = '")
            .trim_end_matches("';")
            .split(' ')
            .collect();
        let groups: Vec<&str> = crate::prelude::NODE_GROUPS
            .iter()
            .map(|(name, _)| name.trim_start_matches("motu:node/"))
            .collect();
        assert_eq!(names, groups);
        for m in MODULES {
            assert!(names.contains(&m.group), "{}", m.name);
        }
        let first = format!("const NODE_FIRST = {};", crate::prelude::GROUPS.len());
        assert!(prelude.contains(&first), "setup.js: {first}");
    }

    #[test]
    fn stubs_export_the_members() {
        let all = modules();
        let (_, posix) = all.iter().find(|(n, _)| n == "node:path/posix").unwrap();
        assert!(posix.contains("(\"path\", \"posix\")"), "{posix}");
        assert!(posix.contains("export const { basename, "), "{posix}");
    }
}
