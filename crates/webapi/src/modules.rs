//! The sources of the built-in ES modules written over the prelude
//! (`cloudflare:workers`, `cloudflare:sockets`) and of those that stand
//! alone (`cloudflare:email`, `cloudflare:workflows`, `cloudflare:node`), for the runtime to hand the loader.

/// The module `cloudflare:workers`: `env`, `waitUntil`, `WorkerEntrypoint`,
/// `DurableObject`, `WorkflowEntrypoint`, `RpcTarget`, `RpcStub`.
pub const CLOUDFLARE_WORKERS: &str = include_str!("../js/cloudflare/workers_module.js");

/// The module `cloudflare:email`: `EmailMessage`.
pub const CLOUDFLARE_EMAIL: &str = include_str!("../js/cloudflare/email_module.js");

/// The module `cloudflare:sockets`: `connect`.
pub const CLOUDFLARE_SOCKETS: &str = include_str!("../js/cloudflare/sockets_module.js");

/// The module `cloudflare:workflows`: `NonRetryableError`.
pub const CLOUDFLARE_WORKFLOWS: &str = include_str!("../js/cloudflare/workflows_module.js");

/// The module `cloudflare:node`: `httpServerHandler` and
/// `handleAsNodeRequest`, which hand requests to a `node:http` server.
pub const CLOUDFLARE_NODE: &str = include_str!("../js/cloudflare/node_module.js");
