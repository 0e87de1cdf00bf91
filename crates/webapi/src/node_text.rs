// The `node:*` modules' groups (prelude chunks after `GROUPS`, from index
// `NODE_FIRST` of `js/node/setup.js`), one per module family, in the order
// of `NODE_NAMES` there. Each returns `{ module }`: what
// `require('node:NAME')` gives. Included by `prelude_text.rs`.

/// The `node:*` groups: `motu:node/NAME` and its script.
pub(crate) const NODE_GROUPS: [(&str, &str); 24] = [
    (
        "motu:node/buffer",
        group!(
            preamble: "",
            files: ["node/buffer.js"],
            exports: "module, nodeError, invalidArgType, outOfRange"
        ),
    ),
    (
        "motu:node/events",
        group!(preamble: "", files: ["node/events.js"], exports: "module"),
    ),
    (
        "motu:node/util",
        group!(
            preamble: "",
            files: ["node/util_inspect.js", "node/util.js"],
            exports: "module, deepEqual"
        ),
    ),
    (
        "motu:node/process",
        group!(preamble: "", files: ["node/process.js"], exports: "module"),
    ),
    (
        "motu:node/path",
        group!(preamble: "", files: ["node/path.js"], exports: "module"),
    ),
    (
        "motu:node/string_decoder",
        group!(preamble: "", files: ["node/string_decoder.js"], exports: "module"),
    ),
    (
        "motu:node/querystring",
        group!(preamble: "", files: ["node/querystring.js"], exports: "module"),
    ),
    (
        "motu:node/timers",
        group!(preamble: "", files: ["node/timers.js"], exports: "module"),
    ),
    (
        "motu:node/assert",
        group!(preamble: "", files: ["node/assert.js"], exports: "module"),
    ),
    (
        "motu:node/url",
        group!(preamble: "", files: ["node/url.js"], exports: "module", lazy: "URL"),
    ),
    (
        "motu:node/os",
        group!(preamble: "", files: ["node/os.js"], exports: "module"),
    ),
    (
        "motu:node/diagnostics_channel",
        group!(preamble: "", files: ["node/diagnostics_channel.js"], exports: "module"),
    ),
    (
        "motu:node/crypto",
        group!(preamble: "", files: ["node/crypto.js"], exports: "module, isKeyObject"),
    ),
    (
        "motu:node/stream",
        group!(preamble: "", files: ["node/stream.js"], exports: "module"),
    ),
    (
        "motu:node/stream_web",
        group!(preamble: "", files: ["node/stream_web.js"], exports: "module"),
    ),
    (
        "motu:node/async_hooks",
        group!(preamble: "", files: ["node/async_hooks.js"], exports: "module"),
    ),
    (
        "motu:node/net",
        group!(preamble: "", files: ["node/net.js"], exports: "module, socketInternals", lazy: "URL"),
    ),
    (
        "motu:node/tls",
        group!(preamble: "", files: ["node/tls.js"], exports: "module"),
    ),
    (
        "motu:node/fs",
        group!(preamble: "", files: ["node/fs.js"], exports: "module", lazy: "URL"),
    ),
    (
        "motu:node/dns",
        group!(preamble: "", files: ["node/dns.js"], exports: "module"),
    ),
    (
        "motu:node/http",
        group!(preamble: "", files: ["node/http.js", "node/http_server.js"], exports: "module, https, listening", lazy: "AbortController, URL"),
    ),
    (
        "motu:node/https",
        group!(preamble: "", files: ["node/https.js"], exports: "module"),
    ),
    (
        "motu:node/module",
        group!(preamble: "", files: ["node/module.js"], exports: "module", lazy: "URL"),
    ),
    (
        "motu:node/zlib",
        group!(preamble: "", files: ["node/zlib.js"], exports: "module"),
    ),
];
