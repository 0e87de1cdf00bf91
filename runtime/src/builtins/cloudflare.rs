//! `cloudflare:*`, always available (no compatibility flag needed, as on
//! Workers): `cloudflare:workers`, `cloudflare:sockets`,
//! `cloudflare:email`, `cloudflare:workflows` and `cloudflare:node`.

use motu_loader::BuiltinModules;

/// Adds the `cloudflare:` modules to `modules`.
pub(super) fn register(modules: BuiltinModules) -> BuiltinModules {
    modules
        .with(
            "cloudflare:workers",
            motu_webapi::modules::CLOUDFLARE_WORKERS,
        )
        .with(
            "cloudflare:sockets",
            motu_webapi::modules::CLOUDFLARE_SOCKETS,
        )
        .with("cloudflare:email", motu_webapi::modules::CLOUDFLARE_EMAIL)
        .with(
            "cloudflare:workflows",
            motu_webapi::modules::CLOUDFLARE_WORKFLOWS,
        )
        .with("cloudflare:node", motu_webapi::modules::CLOUDFLARE_NODE)
}
