// The prelude's text, assembled from the files under `../js/`: the core
// script (`PRELUDE`), its groups (`GROUPS`) and the name stacks show
// (`PRELUDE_NAME`). Only constants and macros, no dependencies: `prelude.rs`
// includes it, and the runtime's build script includes it too to compile the
// same text to QuickJS bytecode at build time.

/// The file name stack frames of the prelude show.
pub const PRELUDE_NAME: &str = "motu:prelude";

/// The core's helpers a group's function gets, by name: `makeInternal()`
/// returns them (with `defineGlobal` standing for the one that defines a
/// group's globals once it has loaded) and each group takes them apart.
/// A name a group uses and this list lacks is a ReferenceError when the
/// group loads.
macro_rules! internal_names {
    () => {
        "op, opAsync, hostWork, afterWork, tag, webidlInterface, requireArgs, toByteString, toUSVString, \
         defineGlobal, loadGroup, loadedGroup, loadedGlobal, STREAMS, BLOBS, EVENTS, URLS, \
         reportError, PromiseCtor, promiseThen, newDeferred, promiseResolvedWith, \
         promiseRejectedWith, uponPromise, transformPromise, markHandled, dictionary, \
         canTransfer, isDetached, transferArrayBuffer, \
         trackResource, untrackResource, optionsDictionary, bufferSource, TEXT_CODING, \
         utf8Encode, utf8Decode, Headers, constructing, \
         Request, Response, responseFromHost, headersList, bodyOf, bodyRecord, signalIfAny, streams, \
         bodyIsUnusable, \
         bodyForHost, NULL_BODY_STATUS, \
         streamFromHost, streamFromSource, setResponseOrigin, cacheBinding, QUEUE_BINDING, nodeCompat, nodeModule, nodeGroup, loadedNodeGroup, CRYPTO, ERROR_EVENT, WEBSOCKET, bufferSourceCopy, \
         asyncContextGet, asyncContextSet, useAsyncContext, EMPTY_ASYNC_CONTEXT, \
         objectOutgoingGate, objectSocketGate, objectSocketOwner, workerCompat, replaceValue, \
         CLOUDFLARE_SOCKETS, CLOUDFLARE_WORKERS, WORKFLOWS"
    };
}

/// What the events group (`EVENTS` in `js/lazy.js`) exports that the other
/// groups take from `internal` like the core's helpers: `makeInternal()`
/// gives each as a getter that loads the events group.
macro_rules! events_names {
    () => {
        "DOMException, Event, isDispatching, EventTarget, defineEventHandler, fireEvent, dispatchOn, \
         presetEventTimeStamp, AbortSignal, AbortController"
    };
}

/// What the URL group (`URLS` in `js/lazy.js`) exports that the other groups
/// take from `internal`, as getters that load it.
macro_rules! url_names {
    () => {
        "URL, linkSearchParams"
    };
}

/// The core's helpers the events group takes from `internal`: none of its
/// own exports, which would load it again.
macro_rules! events_group_names {
    () => {
        "op, tag, webidlInterface, requireArgs, defineGlobal, dictionary, reportError, setTimeout, \
         constructing, Request, ExecutionContext, defineGetter"
    };
}

/// A group's script: a function of `internal` with the core's helpers
/// (`internal_names!`) in scope, then the group's own preamble and files,
/// returning its exports. `lazy` names what the group uses of the events
/// and URL groups' exports (`events_names!`, `url_names!`): taking one from
/// `internal` loads its group, so a group takes only those it uses.
macro_rules! group {
    (preamble: $preamble:literal, files: [$($file:literal),*], exports: $exports:literal) => {
        group!(preamble: $preamble, files: [$($file),*], exports: $exports, lazy: "")
    };
    (preamble: $preamble:literal, files: [$($file:literal),*], exports: $exports:literal,
     lazy: $lazy:literal) => {
        concat!(
            "(function (internal) {\n'use strict';\n",
            "const { ", internal_names!(), " } = internal;\n",
            "const { ", $lazy, " } = internal;\n",
            $preamble,
            $(include_str!(concat!("../js/", $file)),)*
            "return { ", $exports, " };\n})\n"
        )
    };
}

/// The groups, by index (`STREAMS`, `CRYPTO`, … in `js/lazy.js`).
pub(crate) const GROUPS: [(&str, &str); 38] = [
    (
        "motu:prelude/streams",
        group!(
            preamble: "",
            files: [
                "streams_support.js",
                "streams_strategies.js",
                "streams_readable.js",
                "streams_byte.js",
                "streams_writable.js",
                "streams_transform.js",
                "streams_pipe.js"
            ],
            exports: "ReadableStream, WritableStream, TransformStream, isReadableStream, \
                      isReadableStreamLocked, rsSlots, tsSlots, acquireDefaultReader, \
                      defaultReaderRead, readerGenericCancel, readableStreamTee, \
                      readableStreamPipeTo, createReadableByteStream, byteControllerEnqueue, \
                      byteControllerClose, byteControllerRespond, byteControllerError"
        ),
    ),
    (
        "motu:prelude/crypto",
        group!(
            preamble: "",
            files: ["crypto_key.js", "crypto_algorithms.js", "crypto_subtle.js", "crypto.js"],
            exports: "cryptoKeySlots",
            lazy: "DOMException"
        ),
    ),
    (
        "motu:prelude/text-streams",
        group!(
            preamble: "const { TransformStream } = loadGroup(STREAMS);\n\
                       const { decoderEncoding } = loadGroup(TEXT_CODING);\n",
            files: ["encoding_streams.js", "compression.js"],
            exports: ""
        ),
    ),
    (
        "motu:prelude/urlpattern",
        group!(preamble: "", files: ["urlpattern.js"], exports: ""),
    ),
    (
        "motu:prelude/blob",
        group!(
            preamble: "",
            files: ["blob.js", "form_data.js"],
            exports: "Blob, File, FormData, blobBytes, makeBlob, makeFile, cloneBlob, \
                      serializeFormData, parseMultipart, parseUrlencodedFormData"
        ),
    ),
    (
        "motu:prelude/structured-clone",
        group!(preamble: "", files: ["structured_clone.js"], exports: "", lazy: "DOMException"),
    ),
    (
        "motu:prelude/console",
        group!(
            preamble: "",
            files: ["console_format.js", "console.js"],
            exports: "formatLog"
        ),
    ),
    (
        "motu:prelude/scheduled",
        group!(preamble: "", files: ["scheduled_controller.js"], exports: "makeScheduled"),
    ),
    (
        "motu:prelude/error-event",
        group!(preamble: "", files: ["error_event.js"], exports: "ErrorEvent", lazy: "Event"),
    ),
    (
        "motu:prelude/fetch",
        group!(preamble: "", files: ["fetch.js"], exports: "makeFetcher"),
    ),
    (
        "motu:prelude/request-init",
        group!(
            preamble: "",
            files: ["request_init.js"],
            exports: "readRequestInit, requestOptions"
        ),
    ),
    (
        "motu:prelude/url-search-params",
        group!(
            preamble: "",
            files: ["url_search_params.js"],
            exports: "URLSearchParams, paramsForURL, paramsUpdate",
            lazy: "linkSearchParams"
        ),
    ),
    (
        "motu:prelude/performance",
        group!(preamble: "", files: ["performance.js"], exports: "", lazy: "EventTarget"),
    ),
    (
        "motu:prelude/text-coding",
        group!(preamble: "", files: ["text_coding.js"], exports: "decoderEncoding"),
    ),
    (
        "motu:prelude/custom-event",
        group!(preamble: "", files: ["custom_event.js"], exports: "", lazy: "Event, isDispatching"),
    ),
    (
        "motu:prelude/cloudflare/kv",
        group!(preamble: "", files: ["cloudflare/kv.js"], exports: "makeBinding"),
    ),
    (
        "motu:prelude/cloudflare/d1",
        group!(preamble: "", files: ["cloudflare/d1.js"], exports: "makeBinding"),
    ),
    (
        "motu:prelude/cloudflare/r2",
        group!(preamble: "", files: ["cloudflare/r2.js"], exports: "makeBinding"),
    ),
    (
        "motu:prelude/cloudflare/cache",
        group!(preamble: "", files: ["cloudflare/cache.js"], exports: ""),
    ),
    (
        "motu:prelude/cloudflare/queue",
        group!(
            preamble: "",
            files: ["cloudflare/queue.js"],
            exports: "makeBinding, queueSerialize, queueDeserialize",
            lazy: "DOMException"
        ),
    ),
    (
        "motu:prelude/cloudflare/queue-batch",
        group!(preamble: "", files: ["cloudflare/queue_batch.js"], exports: "makeBatch"),
    ),
    (
        "motu:prelude/websocket",
        group!(
            preamble: "",
            files: ["websocket.js"],
            exports: "checkResponseSocket, handOver, deliverHostEvent, deliverHostMessage, connectWebSocket, \
                      forwardedEnd, acceptHibernatable, hibernatableEnd, hibernatableId, gatePairEnd, \
                      hibernatableClosed",
            lazy: "DOMException, Event, EventTarget, defineEventHandler, fireEvent, dispatchOn, presetEventTimeStamp, URL"
        ),
    ),
    (
        "motu:prelude/cloudflare/html-rewriter",
        group!(preamble: "", files: ["cloudflare/html_rewriter.js"], exports: ""),
    ),
    (
        "motu:prelude/cloudflare/streams",
        group!(preamble: "", files: ["cloudflare/identity_stream.js"], exports: ""),
    ),
    (
        "motu:prelude/cloudflare/scheduler",
        group!(preamble: "", files: ["cloudflare/scheduler.js"], exports: "", lazy: "AbortSignal"),
    ),
    (
        "motu:prelude/cloudflare/workers",
        group!(
            preamble: "",
            files: [
                "cloudflare/workers.js",
                "cloudflare/rpc_wire.js",
                "cloudflare/rpc.js",
                "cloudflare/loopback.js",
                "cloudflare/worker_loader.js"
            ],
            exports: "workersExports, DurableObject, isEntrypointClass, makeServiceStub, propsOf, makeCtxExports, dispatchRpc, rpcHold, makeObjectStub, callObject, failCall, makeDynamicBinding",
            lazy: "DOMException"
        ),
    ),
    (
        "motu:prelude/cloudflare/sockets",
        group!(preamble: "", files: ["cloudflare/sockets.js"], exports: "socketsExports"),
    ),
    (
        "motu:prelude/cloudflare/durable",
        group!(
            preamble: "",
            files: [
                "cloudflare/durable.js",
                "cloudflare/durable_list.js",
                "cloudflare/durable_kv.js",
                "cloudflare/durable_websockets.js",
                "cloudflare/durable_timers.js"
            ],
            exports: "makeNamespace, deliver, evict, currentOutgoingGate, currentSocketGate, socketOwner, timerHold"
        ),
    ),
    (
        "motu:prelude/events",
        concat!(
            "(function (internal) {\n'use strict';\n",
            "const { ",
            events_group_names!(),
            " } = internal;\n",
            include_str!("../js/dom_exception.js"),
            include_str!("../js/events_target.js"),
            include_str!("../js/abort.js"),
            include_str!("../js/fetch_event.js"),
            "return { ",
            events_names!(),
            ", FetchEvent, respondWithState };\n})\n"
        ),
    ),
    (
        "motu:prelude/url",
        concat!(
            "(function (internal) {\n'use strict';\n",
            "const { op, requireArgs, toUSVString, webidlInterface, defineGlobal, loadGroup, \
             SEARCH_PARAMS } = internal;\n",
            include_str!("../js/url.js"),
            "return { ",
            url_names!(),
            " };\n})\n"
        ),
    ),
    (
        "motu:prelude/stack-positions",
        group!(
            preamble: "",
            files: ["stack_positions.js"],
            exports: "mapStackPositions"
        ),
    ),
    (
        "motu:prelude/cloudflare/email",
        group!(preamble: "", files: ["cloudflare/email.js"], exports: "makeBinding, makeEmail"),
    ),
    (
        "motu:prelude/iterator-helpers",
        group!(
            preamble: "",
            files: ["iterator_helpers.js"],
            exports: ""
        ),
    ),
    (
        "motu:prelude/es-builtins",
        group!(
            preamble: "",
            files: ["es_install.js", "es_builtins.js", "es_builtins_2025.js", "es_base64.js"],
            exports: ""
        ),
    ),
    (
        "motu:prelude/cloudflare/platform",
        group!(preamble: "", files: ["cloudflare/platform.js"], exports: "makePlatformBinding, makeRateLimit"),
    ),
    (
        "motu:prelude/cloudflare/workflows",
        group!(
            preamble: "",
            files: [
                "cloudflare/workflows.js",
                "cloudflare/workflow_engine.js",
                "cloudflare/workflow_step.js",
                "cloudflare/workflow_store.js",
                "cloudflare/workflow_time.js"
            ],
            exports: "makeWorkflow, workflowClassOf"
        ),
    ),
    (
        "motu:prelude/wasm-absent",
        group!(preamble: "", files: ["wasm_absent.js"], exports: ""),
    ),
    (
        "motu:prelude/intl",
        group!(
            preamble: "",
            files: [
                "intl_locale.js",
                "intl_decimal.js",
                "intl_number.js",
                "intl_plural.js",
                "intl_zones.js",
                "intl_date.js",
                "intl_date_range.js",
                "intl_relative.js",
                "intl_list.js",
                "intl_collator.js",
                "intl_segmenter.js",
                "intl_install.js"
            ],
            exports: "intlMethods"
        ),
    ),
];

pub(crate) const PRELUDE: &str = concat!(
    "(() => {\n'use strict';\n",
    include_str!("../js/bridge.js"),
    include_str!("../js/lazy.js"),
    "function makeInternal() {\n  const internal = { ",
    internal_names!(),
    ", setTimeout, ExecutionContext, SEARCH_PARAMS, defineGetter, defineGlobal: defineLoadedGlobal };\n",
    "  const lazy = [[EVENTS, '", events_names!(), "'], [URLS, '", url_names!(), "']];\n",
    "  for (const [group, names] of lazy) {\n",
    "    for (const name of names.split(', ')) {\n",
    "      Object.defineProperty(internal, name, { get: () => loadGroup(group)[name], enumerable: true });\n",
    "    }\n",
    "  }\n",
    // `nodeCompat` is set by `start()` (node/setup.js), after groups a
    // Worker's bindings need may have made `internal`: read when a group
    // loads, not when `internal` was made.
    "  Object.defineProperty(internal, 'nodeCompat', { get: () => nodeCompat, enumerable: true });\n",
    "  return internal;\n}\n",
    // DOMException, Event and EventTarget, AbortSignal and AbortController
    // (the events group), in the places their files defined them.
    "lazyGlobals(EVENTS, 'DOMException Event');\n",
    "lazyGlobals(CUSTOM_EVENT, 'CustomEvent');\n",
    "lazyGlobals(EVENTS, 'EventTarget');\n",
    "const constructing = Symbol('constructing');\n",
    "lazyGlobals(EVENTS, 'AbortSignal AbortController');\n",
    include_str!("../js/streams_util.js"),
    "lazyGlobals(STREAMS, 'ByteLengthQueuingStrategy CountQueuingStrategy ReadableStream \
     ReadableStreamDefaultReader ReadableStreamDefaultController ReadableByteStreamController \
     ReadableStreamBYOBRequest ReadableStreamBYOBReader WritableStream \
     WritableStreamDefaultWriter WritableStreamDefaultController TransformStream \
     TransformStreamDefaultController');\n",
    "lazyGlobals(CONSOLE, 'console');\n",
    // What the core logs itself (uncaught errors) is formatted by the
    // console group too.
    "const formatLog = args => loadGroup(CONSOLE).formatLog(args);\n",
    include_str!("../js/encoding.js"),
    "lazyGlobals(TEXT_CODING, 'TextEncoder TextDecoder');\n",
    "lazyGlobals(CRYPTO, 'Crypto CryptoKey SubtleCrypto');\n",
    "lazyGlobals(CRYPTO, 'crypto', true);\n",
    "lazyGlobals(TEXT_STREAMS, 'TextEncoderStream TextDecoderStream CompressionStream \
     DecompressionStream');\n",
    "lazyGlobals(URLS, 'URL');\n",
    "lazyGlobals(SEARCH_PARAMS, 'URLSearchParams');\n",
    "lazyGlobals(URL_PATTERN, 'URLPattern');\n",
    include_str!("../js/headers.js"),
    "lazyGlobals(BLOBS, 'Blob File FormData');\n",
    include_str!("../js/body.js"),
    include_str!("../js/request.js"),
    include_str!("../js/response.js"),
    "lazyGlobals(FETCH, 'fetch');\n",
    include_str!("../js/timers.js"),
    "lazyGlobals(SCHEDULED, 'ScheduledController ScheduledEvent');\n",
    include_str!("../js/scheduled.js"),
    include_str!("../js/queue.js"),
    include_str!("../js/email.js"),
    include_str!("../js/globals.js"),
    "lazyGlobals(CLONING, 'structuredClone');\n",
    "lazyGlobals(ERROR_EVENT, 'ErrorEvent');\n",
    "lazyGlobals(CACHE, 'caches Cache CacheStorage');\n",
    "lazyGlobals(WEBSOCKET, 'WebSocket WebSocketPair MessageEvent CloseEvent \
     WebSocketRequestResponsePair');\n",
    "lazyGlobals(HTML_REWRITER, 'HTMLRewriter');\n",
    "lazyGlobals(CLOUDFLARE_STREAMS, 'IdentityTransformStream FixedLengthStream');\n",
    "lazyGlobals(SCHEDULER, 'scheduler');\n",
    include_str!("../js/node/setup.js"),
    include_str!("../js/intl_shim.js"),
    include_str!("../js/events.js"),
    "})()\n"
);

include!("node_text.rs");
