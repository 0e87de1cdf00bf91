//! The file's shape, as serde reads it.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub(crate) server: RawServer,
    #[serde(default)]
    pub(crate) limits: RawLimits,
    #[serde(default)]
    pub(crate) egress: RawEgress,
    #[serde(default)]
    pub(crate) admin: crate::admin::RawAdmin,
    #[serde(default)]
    pub(crate) cache: crate::cache::RawCache,
    #[serde(default)]
    pub(crate) cluster: crate::cluster::RawCluster,
    #[serde(default)]
    pub(crate) workers: Vec<RawWorker>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEgress {
    pub(crate) allow_private: Option<bool>,
    #[serde(default)]
    pub(crate) allow_hosts: Vec<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLimits {
    pub(crate) cpu_ms: Option<u64>,
    pub(crate) startup_cpu_ms: Option<u64>,
    pub(crate) memory_mb: Option<u64>,
    pub(crate) idle_timeout_s: Option<u64>,
    pub(crate) wall_ms_after_response: Option<u64>,
    pub(crate) subrequests: Option<u64>,
    pub(crate) scheduled_wall_ms: Option<u64>,
    pub(crate) log_kb_per_s: Option<u64>,
    /// Server-wide only (rejected in a Worker's limits).
    pub(crate) max_isolates: Option<u64>,
    /// Server-wide only (rejected in a Worker's limits).
    pub(crate) memory_budget_mb: Option<u64>,
    /// Server-wide only (rejected in a Worker's limits).
    pub(crate) d1_max_database_mb: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    pub(crate) listen: Option<String>,
    pub(crate) engine: Option<String>,
    pub(crate) threads: Option<usize>,
    pub(crate) allow_code_generation: Option<bool>,
    pub(crate) scheduled_endpoint: Option<bool>,
    pub(crate) email_endpoint: Option<bool>,
    pub(crate) grace_period_s: Option<u64>,
    pub(crate) header_timeout_ms: Option<u64>,
    pub(crate) max_header_bytes: Option<u64>,
    pub(crate) max_body_mb: Option<u64>,
    pub(crate) keep_alive_max_requests: Option<u64>,
    pub(crate) executor_busy_ms: Option<u64>,
    pub(crate) max_headers: Option<u64>,
    pub(crate) body_timeout_ms: Option<u64>,
    pub(crate) body_min_rate: Option<u64>,
    pub(crate) first_chunk_wait_ms: Option<u64>,
    pub(crate) state_dir: Option<String>,
    pub(crate) cf: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawService {
    pub(crate) binding: Option<String>,
    pub(crate) service: Option<String>,
    pub(crate) entrypoint: Option<String>,
    pub(crate) props: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWorker {
    pub(crate) name: Option<String>,
    pub(crate) root: Option<String>,
    pub(crate) main: Option<String>,
    #[serde(default)]
    pub(crate) routes: Vec<String>,
    pub(crate) engine: Option<String>,
    pub(crate) max_instances: Option<usize>,
    #[serde(default)]
    pub(crate) crons: Vec<String>,
    #[serde(default)]
    pub(crate) secrets: Vec<String>,
    pub(crate) secret_files: Option<Vec<String>>,
    pub(crate) origin: Option<String>,
    #[serde(default)]
    pub(crate) services: Vec<RawService>,
    /// Service bindings of a Wrangler config to Workers this server does
    /// not run (see `wrangler.rs`).
    #[serde(default)]
    pub(crate) absent_services: Vec<RawService>,
    pub(crate) cron_overlap: Option<bool>,
    #[serde(default)]
    pub(crate) vars: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub(crate) define: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) alias: BTreeMap<String, String>,
    pub(crate) jsx_factory: Option<String>,
    pub(crate) jsx_fragment: Option<String>,
    pub(crate) tsconfig: Option<String>,
    #[serde(default)]
    pub(crate) limits: RawLimits,
    pub(crate) compatibility_date: Option<String>,
    #[serde(default)]
    pub(crate) compatibility_flags: Vec<String>,
    pub(crate) workers_dev: Option<bool>,
    #[serde(default)]
    pub(crate) rules: Vec<crate::rules::RawRule>,
    pub(crate) assets: Option<crate::assets::RawAssets>,
    pub(crate) build: Option<crate::build::RawBuild>,
    #[serde(default)]
    pub(crate) kv_namespaces: Vec<crate::kv::RawKvNamespace>,
    #[serde(default)]
    pub(crate) d1_databases: Vec<crate::d1::RawD1Database>,
    #[serde(default)]
    pub(crate) r2_buckets: Vec<crate::r2::RawR2Bucket>,
    #[serde(default)]
    pub(crate) send_email: Vec<crate::email::RawSendEmail>,
    pub(crate) version_metadata: Option<crate::platform::RawVersionMetadata>,
    #[serde(default)]
    pub(crate) analytics_engine_datasets: Vec<crate::platform::RawAnalyticsDataset>,
    #[serde(default)]
    pub(crate) hyperdrive: Vec<crate::platform::RawHyperdrive>,
    #[serde(default)]
    pub(crate) ratelimits: Vec<crate::ratelimit::RawRateLimit>,
    #[serde(default)]
    pub(crate) workflows: Vec<crate::workflows::RawWorkflow>,
    #[serde(default)]
    pub(crate) worker_loaders: Vec<crate::worker_loaders::RawWorkerLoader>,
    #[serde(default)]
    pub(crate) queues: crate::queues::RawQueues,
    #[serde(default)]
    pub(crate) durable_objects: crate::durable_objects::RawDurableObjects,
    #[serde(default)]
    pub(crate) migrations: Vec<crate::durable_objects::RawMigration>,
}
