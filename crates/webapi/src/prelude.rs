//! The prelude script, assembled from the files under `js/`.

/// The file name stack frames of the prelude show.
pub const PRELUDE_NAME: &str = "motu:prelude";

/// The prelude: one classic script whose completion value is the hooks
/// object of `motu_engine::contract`. The files share one function scope and
/// are joined in dependency order.
pub fn prelude() -> &'static str {
    PRELUDE
}

const PRELUDE: &str = concat!(
    "(() => {\n'use strict';\n",
    include_str!("../js/bridge.js"),
    include_str!("../js/dom_exception.js"),
    include_str!("../js/events_target.js"),
    include_str!("../js/abort.js"),
    include_str!("../js/streams_util.js"),
    include_str!("../js/streams_strategies.js"),
    include_str!("../js/streams_readable.js"),
    include_str!("../js/streams_byte.js"),
    include_str!("../js/streams_writable.js"),
    include_str!("../js/streams_transform.js"),
    include_str!("../js/streams_pipe.js"),
    include_str!("../js/console.js"),
    include_str!("../js/encoding.js"),
    include_str!("../js/crypto_key.js"),
    include_str!("../js/crypto_algorithms.js"),
    include_str!("../js/crypto_subtle.js"),
    include_str!("../js/crypto.js"),
    include_str!("../js/encoding_streams.js"),
    include_str!("../js/compression.js"),
    include_str!("../js/url.js"),
    include_str!("../js/urlpattern.js"),
    include_str!("../js/headers.js"),
    include_str!("../js/blob.js"),
    include_str!("../js/form_data.js"),
    include_str!("../js/body.js"),
    include_str!("../js/request.js"),
    include_str!("../js/response.js"),
    include_str!("../js/fetch.js"),
    include_str!("../js/timers.js"),
    include_str!("../js/scheduled.js"),
    include_str!("../js/globals.js"),
    include_str!("../js/structured_clone.js"),
    include_str!("../js/events.js"),
    "})()\n"
);
