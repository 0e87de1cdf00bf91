//! Configuration of motu.
//!
//! # Concepts
//!
//! - A **config file** (`motu.toml`) declares the server and its Workers. It
//!   is read with the `config` crate into raw serde structs that refuse
//!   unknown fields, then **validated** into typed [`Settings`], where every
//!   setting has its documented default.
//! - **Environment overrides**: a variable `MOTU_SECTION__KEY` overrides
//!   `key` in `[section]`, e.g. `MOTU_SERVER__LISTEN=0.0.0.0:8080`. Only
//!   variables with a `__` after the prefix are read, so other `MOTU_…`
//!   variables never break a config.
//! - **Routes** ([`RoutePattern`]) use Cloudflare's pattern semantics:
//!   `host/path`, `*` only as a host prefix and a path suffix.
//! - Every error names the file and the field ([`ConfigError`]).
//!
//! ```toml
//! [server]
//! listen = "127.0.0.1:8787"   # default
//! engine = "quickjs"          # default; or "v8"
//! threads = 0                 # executor threads; 0 (default) = one per core
//!
//! [[workers]]
//! name = "api"
//! main = "api/worker.js"      # relative to this file
//! routes = ["api.example.com/*", "example.com/api/*"]
//! engine = "v8"               # optional, overrides [server] engine
//! [workers.vars]
//! GREETING = "hello"
//! ```

mod error;
mod load;
mod raw;
mod route;
mod settings;

pub use error::ConfigError;
pub use route::{HostPattern, PathPattern, RoutePattern};
pub use settings::{ServerSettings, Settings, WorkerSettings, DEFAULT_LISTEN};
