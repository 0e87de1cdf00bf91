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
//! - A **Wrangler config** (`wrangler.toml`, `wrangler.json`,
//!   `wrangler.jsonc`) is read into the same settings through
//!   [`Settings::load_any`], with an `[env.NAME]` section selected by name;
//!   what motu does not support comes back as warnings (see the `wrangler`
//!   module docs for the subset).
//!
//! ```toml
//! [server]
//! listen = "127.0.0.1:8787"   # default
//! engine = "quickjs"          # default; or "v8"
//! threads = 0                 # executor threads; 0 (default) = one per core
//! scheduled_endpoint = false  # GET /__scheduled?cron=… fires `scheduled` (dev only)
//! email_endpoint = false      # POST /cdn-cgi/handler/email?from=…&to=… fires `email` (on in `motu dev` for Wrangler projects)
//! grace_period_s = 30         # SIGTERM/SIGINT: time for in-flight work (default 30)
//! header_timeout_ms = 10000   # time to send a request head; also the idle keep-alive
//! max_header_bytes = 65536    # request head size; 431 beyond (default 64 KiB, min 8192)
//! max_body_mb = 100           # request body size; 413 beyond (default 100)
//! keep_alive_max_requests = 1000  # requests per connection (default 1000)
//! max_headers = 256           # header fields per request; 431 beyond (default 256)
//! body_timeout_ms = 10000     # longest wait for the next piece of a body; 408 (default 10000)
//! body_min_rate = 500         # bytes/s a body must average once it has waited that long (default 500)
//! first_chunk_wait_ms = 1000  # a streamed response's head waits this long for its first chunk
//! state_dir = ".motu/state"  # the storage bindings' data (default; ":memory:" = throwaway)
//! [server.cf]               # copied into every request.cf (default none; see `cf`)
//! country = "US"
//!
//! [limits]                  # per isolate / per event; each overridable per Worker
//! cpu_ms = 50                 # CPU time per event (default 50; 30000 for a Wrangler config)
//! startup_cpu_ms = 1000       # CPU time of the top-level code (default 1000)
//! memory_mb = 128             # heap limit per isolate (default 128)
//! idle_timeout_s = 300        # evict isolates idle this long (default 300)
//! wall_ms_after_response = 30000  # waitUntil time after the response (default 30000)
//! subrequests = 50           # fetch() calls per event (default 50)
//! scheduled_wall_ms = 900000  # wall time of a scheduled event (default 15 min)
//! max_isolates = 1000         # server-wide: live isolates (default: no cap)
//! memory_budget_mb = 4096     # server-wide: memory all isolates hold (default: none)
//! d1_max_database_mb = 10240  # server-wide: size of each D1 database (default 10 GiB)
//!
//! [cache]                   # the Cache API (caches.default, caches.open)
//! max_mb = 512                # all Workers' caches together, LRU past it (default 512)
//!
//! [admin]                   # metrics, health and readiness (default: off)
//! listen = "127.0.0.1:9090"   # GET /metrics, /healthz, /readyz
//!
//! [cluster]                 # nodes sharing KV and cron ticks (see `cluster`)
//! redis = "redis://127.0.0.1:6379/0"  # default none; or MOTU_CLUSTER__REDIS
//!
//! [egress]                  # where fetch() may connect
//! allow_private = false       # loopback/private/link-local too (default false)
//! allow_hosts = ["localhost:9000"]  # reachable even if not public (default none)
//!
//! [[workers]]
//! name = "api"
//! main = "api/worker.js"      # relative to this file
//! routes = ["api.example.com/*", "example.com/api/*"]
//! engine = "v8"               # optional, overrides [server] engine
//! max_instances = 4           # isolates at once (default: one per executor thread)
//! crons = ["*/5 * * * *", "@daily"]  # scheduled handler triggers, UTC (default none)
//! cron_overlap = false        # may a trigger fire while its last run goes on
//! secrets = ["API_KEY"]       # from the environment or .dev.vars; never logged
//! secret_files = [".env"]     # where secrets are read from, first first (default [".dev.vars"])
//! origin = "https://origin.example"  # where passThroughOnException() sends requests
//! workers_dev = true          # also at NAME.localhost (default: only if it is the one Worker)
//! compatibility_date = "2025-01-01"  # date-dependent defaults (default none)
//! compatibility_flags = ["url_standard"]  # see `compat` (default none)
//! jsx_factory = "h"           # JSX factory when no tsconfig or pragma names one (default none)
//! jsx_fragment = "Fragment"   # JSX fragment, likewise (default none)
//! tsconfig = "tsconfig.worker.json"  # relative to this file (default: nearest to `main`)
//! [workers.assets]          # static files served before the Worker runs
//! directory = "public"        # required; `main` may then be left out
//! binding = "ASSETS"          # env.ASSETS.fetch(request) (default none)
//! html_handling = "auto-trailing-slash"  # or force-/drop-trailing-slash, none
//! not_found_handling = "none" # or single-page-application, 404-page
//! run_worker_first = false    # true, or patterns like ["/api/*", "!/api/docs/*"]
//! [workers.build]           # a command that makes `main` or assets before loading (see `build`)
//! command = "node build.mjs"  # run in a shell; `motu dev` runs it again on changes
//! cwd = "."                   # relative to this file (default: this file's folder)
//! watch_dir = "src"           # or a list (default "src")
//! [[workers.services]]       # env.AUTH.fetch(request) calls Worker "auth" in-process
//! binding = "AUTH"
//! service = "auth"
//! entrypoint = "Api"          # RPC to `export class Api extends WorkerEntrypoint` (default: the default export)
//! props = { tenant = "a" }    # what the called entrypoint reads as ctx.props (default: {})
//! [[workers.kv_namespaces]] # env.CACHE is a KV namespace (see `kv`)
//! binding = "CACHE"
//! id = "0f2ac74b498b48028cb68387c421e279"  # default: the binding's name
//! [[workers.d1_databases]]  # env.DB is a D1 database (see `d1`)
//! binding = "DB"
//! database_id = "5f2c9e4b-0000-4000-8000-000000000000"
//! [[workers.r2_buckets]]     # env.FILES is an R2Bucket (see `r2`)
//! binding = "FILES"
//! bucket_name = "files"       # default: the binding's name
//! [[workers.send_email]]     # env.EMAIL.send(message) writes it to a file (see `email`)
//! name = "EMAIL"
//! allowed_sender_addresses = ["noreply@example.com"]  # default: any
//! [[workers.queues.producers]] # env.JOBS.send(body) (see `queues`)
//! binding = "JOBS"
//! queue = "jobs"
//! [[workers.queues.consumers]] # the Worker's queue(batch, env, ctx) gets jobs' batches
//! queue = "jobs"
//! [workers.vars]
//! GREETING = "hello"
//! [workers.limits]
//! cpu_ms = 200
//! [[workers.rules]]          # module rules, before the defaults (see `rules`)
//! type = "Text"
//! globs = ["**/*.md"]
//! ```

mod admin;
mod assets;
mod build;
mod cache;
mod cf;
mod cluster;
pub mod compat;
mod cron;
mod d1;
mod do_exports;
mod durable_objects;
mod email;
mod error;
mod http;
mod hyperdrive_tls;
mod jsonc;
mod kv;
mod limits;
mod load;
mod node_compat;
mod platform;
mod projects;
mod queues;
mod r2;
mod ratelimit;
mod raw;
mod route;
mod rules;
mod secrets;
mod settings;
mod state;
mod worker_loaders;
mod workflows;
mod wrangler;
mod wrangler_local;

pub use admin::AdminSettings;
pub use assets::{
    navigation_prefers_assets, AssetsSettings, HtmlHandling, NotFoundHandling, RunWorkerFirst,
    MAX_RUN_WORKER_FIRST_RULES, MAX_RUN_WORKER_FIRST_RULE_LEN,
};
pub use build::BuildSettings;
pub use cache::CacheSettings;
pub use cf::wrangler_dev_cf;
pub use cluster::{ClusterSettings, RedisUrl};
pub use compat::PlatformCompat;
pub use cron::CronTrigger;
pub use d1::D1Binding;
pub use durable_objects::{
    DurableObjectBinding, DurableObjectsSettings, Migration, DEFAULT_IDLE_TIMEOUT_S,
};
pub use email::SendEmailBinding;
pub use error::ConfigError;
pub use http::{HttpSettings, MIN_HEADER_BYTES};
pub use hyperdrive_tls::{DatabaseProtocol, HyperdriveTls, TlsMode};
pub use kv::KvNamespaceSettings;
pub use limits::{Limits, PoolLimits};
pub use load::Loaded;
pub use node_compat::{NodeCompat, NODEJS_FS_MODULE_DATE, NODEJS_HTTP_MODULES_DATE};
pub use platform::{AnalyticsEngineBinding, HyperdriveBinding, Platform};
pub use queues::{QueueConsumerSettings, QueueProducerSettings, QueuesSettings};
pub use r2::{R2BucketBinding, R2_JURISDICTIONS};
pub use ratelimit::RateLimitBinding;
pub use route::{HostPattern, PathPattern, RoutePattern};
pub use rules::{ModuleRuleSettings, ModuleRuleType};
pub use secrets::{is_secret_file, SecretValue, DEV_VARS};
pub use settings::{
    EgressSettings, ServerSettings, ServiceBinding, Settings, WorkerSettings,
    DEFAULT_EXECUTOR_BUSY, DEFAULT_LISTEN,
};
pub use state::{StateDir, THROWAWAY_STATE};
pub use workflows::WorkflowBinding;
pub use wrangler::is_wrangler_config;
