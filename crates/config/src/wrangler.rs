//! Wrangler configs (`wrangler.toml`, `wrangler.json`, `wrangler.jsonc`):
//! the subset motu supports, read into the same [`Settings`] as motu.toml.
//!
//! A Wrangler config declares one Worker. What motu reads of it:
//!
//! - `name`, `main` (relative to the config), `compatibility_date`
//!   (`YYYY-MM-DD`; recorded in [`WorkerSettings::compatibility_date`]),
//!   `compatibility_flags`, `workers_dev`;
//! - `routes` / `route`: a pattern string, or `{ pattern, zone_name,
//!   zone_id, custom_domain }`; a custom domain `example.com` serves every
//!   path of that host (`example.com/*`);
//! - `triggers.crons`, `vars`, `services` (`binding`, `service`, `entrypoint`, `props`),
//!   `limits.cpu_ms` (and `limits.subrequests`; without `cpu_ms` a Worker
//!   gets Cloudflare's default of 30 s per invocation, not motu.toml's
//!   50 ms), `define` (strings: the
//!   JavaScript expressions that replace global names at load), `rules`
//!   (module rules: `type`, `globs`, `fallthrough`), `jsx_factory`,
//!   `jsx_fragment` and `tsconfig` (a path relative to the config);
//! - `assets` (`directory`, `binding`, `html_handling`,
//!   `not_found_handling`, `run_worker_first`), inherited by environments;
//!   a config with `assets` may leave `main` out;
//! - `build` (`command`, `cwd`, `watch_dir`: a custom build, see the
//!   `build` module), inherited by environments as in wrangler: the
//!   command runs in a shell before the Worker is loaded (`motu serve`,
//!   `dev`, `check` and `trigger`, as `wrangler dev` and `wrangler deploy`
//!   run it), and again in `motu dev` when a file under `watch_dir`
//!   changes; `main` and the assets folder may be what it makes;
//! - storage bindings: `kv_namespaces` (`binding`, `id`, `preview_id`),
//!   `d1_databases` (`binding`, `database_name`, `database_id`,
//!   `preview_database_id`, `migrations_dir`, `migrations_table`),
//!   `r2_buckets` (`binding`, `bucket_name`, `jurisdiction`), and the
//!   email bindings `send_email` (`name`, `destination_address`,
//!   `allowed_destination_addresses`, `allowed_sender_addresses`),
//!   not inherited by environments (an `[env.NAME]` section without its
//!   own is warned about, as wrangler does);
//! - `queues` (`producers`: `binding`, `queue`, `delivery_delay`;
//!   `consumers`: `queue`, `max_batch_size`, `max_batch_timeout`,
//!   `max_retries`, `dead_letter_queue`, `retry_delay`, `max_concurrency`),
//!   not inherited by environments either;
//! - `worker_loaders` (`binding`): Dynamic Worker Loaders, see
//!   `worker_loaders`; not inherited by environments;
//! - `durable_objects` (`bindings`: `name`, `class_name`, `script_name`)
//!   and `migrations` (`tag`, `new_classes`, `new_sqlite_classes`,
//!   `renamed_classes`, `deleted_classes`), see `durable_objects`, or
//!   instead of `migrations` the declarative `exports` map, see
//!   `do_exports`;
//! - `[env.NAME]` sections, selected by name: as in Wrangler, `name`
//!   becomes `NAME-ENV` unless the section sets one, `main`,
//!   `compatibility_date`, `compatibility_flags`, `workers_dev`,
//!   `routes`/`route`, `triggers`, `limits`, `rules`, `assets`, `build`,
//!   `jsx_factory`, `jsx_fragment` and `tsconfig` are inherited from the top level unless the section sets them, and `vars`,
//!   `services` and `define` are not inherited;
//! - `alias`, `dev` (`port`, `ip`) and the keys that only matter when
//!   deploying (`observability`, `upload_source_maps`, …): see
//!   `wrangler_local`;
//! - `.dev.vars` (or `.dev.vars.<env>`, or else the `.env` files) next to
//!   the config: every name in it becomes a secret in `env` (overriding a
//!   var of the same name), as in `wrangler dev`; `secrets.required`
//!   narrows them to the names it lists (see `crate::secrets`).
//!
//! Any other key is reported back as a warning naming it (once), never
//! ignored silently and never fatal — unless its value asks for nothing
//! (`[]`, `{}`, `null`, or a table of only such values, as the configs
//! build tools write list every binding kind), or it is one of the keys
//! such tools add to say where the config came from (`configPath`,
//! `userConfigPath`, `topLevelName`, `definedEnvironments`). `exports` and
//! `migrations` may not both declare classes; an empty one of them
//! declares none. A service binding to a Worker this
//! server (which runs the config's one Worker) does not run is warned
//! about and answers as wrangler dev's does while that Worker is not
//! running (`absent_services`). The `MOTU_SECTION__KEY`
//! environment overrides apply as for motu.toml.

use std::collections::BTreeSet;

use std::path::Path;

use serde_json::{Map, Value};

use crate::wrangler_local::{self as local, DEPLOY_ONLY};
use crate::ConfigError;

/// Whether `file` is read as a Wrangler config: a `.json` or `.jsonc` file,
/// or a file whose name starts with `wrangler`.
pub fn is_wrangler_config(file: &Path) -> bool {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name.starts_with("wrangler") || name.ends_with(".json") || name.ends_with(".jsonc")
}

/// Top-level and environment keys motu reads.
const KNOWN: &[&str] = &[
    "name",
    "main",
    "compatibility_date",
    "compatibility_flags",
    "workers_dev",
    "routes",
    "route",
    "triggers",
    "vars",
    "services",
    "limits",
    "define",
    "rules",
    "assets",
    "build",
    "jsx_factory",
    "jsx_fragment",
    "tsconfig",
    "kv_namespaces",
    "d1_databases",
    "r2_buckets",
    "queues",
    "send_email",
    "durable_objects",
    "migrations",
    "exports",
    "secrets",
    "version_metadata",
    "analytics_engine_datasets",
    "hyperdrive",
    "ratelimits",
    "workflows",
    "worker_loaders",
    "unsafe",
];

/// Storage bindings: each key, and the keys of its entries motu reads. Not
/// inherited by `[env.NAME]` sections (as in wrangler).
const STORAGE_BINDINGS: &[(&str, &[&str])] = &[
    ("kv_namespaces", crate::kv::WRANGLER_KEYS),
    ("d1_databases", crate::d1::WRANGLER_KEYS),
    ("r2_buckets", crate::r2::WRANGLER_KEYS),
    ("send_email", crate::email::WRANGLER_KEYS),
    (
        "analytics_engine_datasets",
        crate::platform::ANALYTICS_WRANGLER_KEYS,
    ),
    ("hyperdrive", crate::platform::HYPERDRIVE_WRANGLER_KEYS),
    ("ratelimits", crate::ratelimit::WRANGLER_KEYS),
    ("workflows", crate::workflows::WRANGLER_KEYS),
    ("worker_loaders", crate::worker_loaders::WRANGLER_KEYS),
];

/// Keys of the top level only.
const TOP_ONLY: &[&str] = &[
    "env",
    "dev",
    "alias",
    "$schema",
    // Written by Wrangler and the Cloudflare Vite plugin into the configs
    // they generate: where the config came from, nothing to run.
    "configPath",
    "userConfigPath",
    "topLevelName",
    "definedEnvironments",
];

/// Whether a key's value asks for nothing: `null`, `[]`, `{}`, or a table
/// of only such values.
fn asks_for_nothing(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(list) => list.is_empty(),
        Value::Object(map) => map.values().all(asks_for_nothing),
        _ => false,
    }
}

/// Keys that an `[env.NAME]` section inherits from the top level.
const INHERITED: &[&str] = &[
    "main",
    "compatibility_date",
    "compatibility_flags",
    "workers_dev",
    "routes",
    "route",
    "triggers",
    "limits",
    "rules",
    "assets",
    "build",
    "jsx_factory",
    "jsx_fragment",
    "tsconfig",
];

/// The keys of `assets` motu reads (all of Wrangler's).
const ASSETS_KEYS: &[&str] = &[
    "directory",
    "binding",
    "html_handling",
    "not_found_handling",
    "run_worker_first",
];

/// A Wrangler config in motu's terms: the motu.toml-shaped document to
/// validate, what motu keeps besides it, and the warnings.
pub(crate) struct Translated {
    /// The document, in motu.toml's shape (TOML text).
    pub(crate) toml: String,
    /// One line per unsupported key or dropped binding.
    pub(crate) warnings: Vec<String>,
}

/// Parses a Wrangler config's text (TOML or JSON with comments, by the file
/// name) and translates it for `env` (an `[env.NAME]` section, or none).
pub(crate) fn translate(
    file: &Path,
    text: &str,
    env: Option<&str>,
) -> Result<Translated, ConfigError> {
    let load_error = |message: String| ConfigError::Load {
        file: file.to_path_buf(),
        message,
    };
    let invalid = |field: &str, message: String| ConfigError::Invalid {
        file: file.to_path_buf(),
        field: field.to_owned(),
        message,
    };
    let json = file
        .extension()
        .is_some_and(|e| e == "json" || e == "jsonc");
    let doc: Value = if json {
        serde_json::from_str(&crate::jsonc::to_json(text)).map_err(|e| load_error(e.to_string()))?
    } else {
        toml::from_str::<toml::Value>(text)
            .map_err(|e| load_error(one_line(&e.to_string())))
            .map(toml_to_json)?
    };
    let Value::Object(top) = doc else {
        return Err(load_error("the config is not a table of keys".into()));
    };
    let mut warnings = Warnings::default();
    for (key, value) in &top {
        if !KNOWN.contains(&key.as_str())
            && !TOP_ONLY.contains(&key.as_str())
            && !DEPLOY_ONLY.contains(&key.as_str())
            && !asks_for_nothing(value)
        {
            warnings.unsupported(key);
        }
    }
    let section = match env {
        None => None,
        Some(name) => {
            let envs = top.get("env").and_then(Value::as_object);
            let Some(section) = envs.and_then(|e| e.get(name)) else {
                let known: Vec<&str> = envs
                    .map(|e| e.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                return Err(invalid(
                    "env",
                    format!(
                        "there is no [env.{name}] section (environments: {})",
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            };
            let Value::Object(section) = section else {
                return Err(invalid(&format!("env.{name}"), "not a table".into()));
            };
            for (key, value) in section {
                if !KNOWN.contains(&key.as_str())
                    && !DEPLOY_ONLY.contains(&key.as_str())
                    && !asks_for_nothing(value)
                {
                    warnings.unsupported(&format!("env.{name}.{key}"));
                }
            }
            Some((name, section))
        }
    };
    let view = View { top: &top, section };
    let string = |key: &str| -> Result<Option<String>, ConfigError> {
        match view.get(key) {
            None => Ok(None),
            Some((Value::String(s), _)) => Ok(Some(s.clone())),
            Some((_, field)) => Err(invalid(&field, "must be a string".into())),
        }
    };
    // An environment's own name, else the top-level name with the
    // environment's appended.
    let name = match (string("name")?, top.get("name"), section) {
        (Some(n), ..) => n,
        (None, Some(Value::String(n)), Some((env, _))) => format!("{n}-{env}"),
        _ => return Err(invalid("name", "missing".into())),
    };
    let mut worker = Map::new();
    worker.insert("name".into(), Value::String(name));
    if let Some(main) = string("main")? {
        worker.insert("main".into(), Value::String(main));
    }
    if let Some(date) = string("compatibility_date")? {
        if chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").is_err() {
            return Err(invalid(
                "compatibility_date",
                format!("'{date}' is not a date like 2024-09-23"),
            ));
        }
        worker.insert("compatibility_date".into(), Value::String(date));
    }
    if let Some((flags, field)) = view.get("compatibility_flags") {
        let valid = flags
            .as_array()
            .is_some_and(|list| list.iter().all(Value::is_string));
        if !valid {
            return Err(invalid(&field, "must be a list of flag names".into()));
        }
        worker.insert("compatibility_flags".into(), flags.clone());
    }
    if let Some((dev, field)) = view.get("workers_dev") {
        if !dev.is_boolean() {
            return Err(invalid(&field, "must be true or false".into()));
        }
        worker.insert("workers_dev".into(), dev.clone());
    }
    worker.insert(
        "routes".into(),
        Value::Array(routes(&view, &invalid, &mut warnings)?),
    );
    if let Some((triggers, field)) = view.get("triggers") {
        let Value::Object(triggers) = triggers else {
            return Err(invalid(&field, "must be a table".into()));
        };
        for key in triggers.keys().filter(|k| *k != "crons") {
            warnings.unsupported(&format!("{field}.{key}"));
        }
        if let Some(crons) = triggers.get("crons") {
            worker.insert("crons".into(), crons.clone());
        }
    }
    if let Some((vars, field)) = view.get("vars") {
        if !vars.is_object() {
            return Err(invalid(&field, "must be a table".into()));
        }
        if let Some((key, _)) = vars
            .as_object()
            .and_then(|v| v.iter().find(|(_, v)| contains_null(v)))
        {
            return Err(invalid(
                &format!("{field}.{key}"),
                "null values are not supported".into(),
            ));
        }
        worker.insert("vars".into(), vars.clone());
    }
    if let Some((define, field)) = view.get("define") {
        let Value::Object(entries) = define else {
            return Err(invalid(&field, "must be a table".into()));
        };
        if let Some((key, _)) = entries.iter().find(|(_, v)| !v.is_string()) {
            return Err(invalid(
                &format!("{field}.{key}"),
                "must be a string (the JavaScript expression it becomes)".into(),
            ));
        }
        worker.insert("define".into(), define.clone());
    }
    if let Some(alias) = top.get("alias") {
        worker.insert(
            "alias".into(),
            Value::Object(local::alias(alias, &invalid)?),
        );
    }
    if let Some((services, field)) = view.get("services") {
        let mut list = service_list(services, &field, &invalid, &mut warnings)?;
        // A Wrangler config declares one Worker; a binding to another names
        // a Worker deployed on its own, which this server does not run: its
        // binding answers as wrangler dev's does while that Worker is not
        // running.
        let mut absent = Vec::new();
        list.retain(|s| {
            let (Some(Value::String(binding)), Some(Value::String(service))) =
                (s.get("binding"), s.get("service"))
            else {
                return true;
            };
            let known = worker.get("name").and_then(Value::as_str) == Some(service.as_str());
            if !known {
                warnings.list.push(format!(
                    "service binding '{binding}' names Worker '{service}', which this server does not run; env.{binding}.fetch() answers 503 and its RPC methods throw"
                ));
                absent.push(s.clone());
            }
            known
        });
        worker.insert("services".into(), Value::Array(list));
        if !absent.is_empty() {
            worker.insert("absent_services".into(), Value::Array(absent));
        }
    }
    if let Some((limits, field)) = view.get("limits") {
        let Value::Object(limits) = limits else {
            return Err(invalid(&field, "must be a table".into()));
        };
        let mut kept = Map::new();
        for (key, value) in limits {
            if key == "cpu_ms" || key == "subrequests" {
                kept.insert(key.clone(), value.clone());
            } else {
                warnings.unsupported(&format!("{field}.{key}"));
            }
        }
        worker.insert("limits".into(), Value::Object(kept));
    }
    for key in ["jsx_factory", "jsx_fragment", "tsconfig"] {
        if let Some((value, field)) = view.get(key) {
            if !value.is_string() {
                return Err(invalid(&field, "must be a string".into()));
            }
            worker.insert(key.into(), value.clone());
        }
    }
    if let Some((rules, field)) = view.get("rules") {
        if !rules.is_array() {
            return Err(invalid(&field, "must be a list".into()));
        }
        worker.insert("rules".into(), rules.clone());
    }
    if let Some((assets, field)) = view.get("assets") {
        let Value::Object(assets) = assets else {
            return Err(invalid(&field, "must be a table".into()));
        };
        let mut kept = Map::new();
        for (key, value) in assets {
            if ASSETS_KEYS.contains(&key.as_str()) {
                kept.insert(key.clone(), value.clone());
            } else {
                warnings.unsupported(&format!("{field}.{key}"));
            }
        }
        worker.insert("assets".into(), Value::Object(kept));
    }
    if let Some((build, field)) = view.get("build") {
        let Value::Object(build) = build else {
            return Err(invalid(&field, "must be a table".into()));
        };
        let mut kept = Map::new();
        for (key, value) in build {
            if crate::build::WRANGLER_KEYS.contains(&key.as_str()) {
                kept.insert(key.clone(), value.clone());
            } else if !asks_for_nothing(value) {
                warnings.unsupported(&format!("{field}.{key}"));
            }
        }
        worker.insert("build".into(), Value::Object(kept));
    }
    for (key, keys) in STORAGE_BINDINGS {
        if let Some((list, field)) = view.get(key) {
            let list = binding_list(list, &field, keys, &invalid, &mut warnings)?;
            worker.insert((*key).into(), Value::Array(list));
        } else if let (Some((env, _)), true) = (section, top.contains_key(*key)) {
            warnings.list.push(format!(
                "'{key}' is set at the top level but not in [env.{env}]; bindings are not inherited by environments, so this Worker has none"
            ));
        }
    }
    unsafe_rate_limits(&view, &mut worker, &mut warnings, &invalid)?;
    if let Some((version, field)) = view.get("version_metadata") {
        let binding = version.get("binding").filter(|b| b.is_string());
        let Some(binding) = binding else {
            return Err(invalid(
                &field,
                "must be a table with a `binding` name".into(),
            ));
        };
        worker.insert(
            "version_metadata".into(),
            serde_json::json!({ "binding": binding }),
        );
    }
    if let Some((queues, field)) = view.get("queues") {
        let (queues, ignored) =
            crate::queues::from_wrangler(queues, &field).map_err(|(f, m)| invalid(&f, m))?;
        ignored.iter().for_each(|key| warnings.unsupported(key));
        worker.insert("queues".into(), queues);
    }
    // An empty `exports` or `migrations` declares no class: as if absent.
    let declared = |key: &str| view.get(key).filter(|(v, _)| !asks_for_nothing(v));
    for key in ["durable_objects", "migrations"] {
        if let Some((value, _)) = view.get(key) {
            worker.insert(key.into(), value.clone());
        }
    }
    if let Some((exports, field)) = declared("exports") {
        if declared("migrations").is_some() {
            return Err(invalid(
                &field,
                "cannot be set with 'migrations': declare the classes in one or the other".into(),
            ));
        }
        let (migrations, ignored) =
            crate::do_exports::as_migrations(exports, &field).map_err(|(f, m)| invalid(&f, m))?;
        ignored.iter().for_each(|key| warnings.unsupported(key));
        worker.insert("migrations".into(), migrations);
    }
    dev_vars_as_secrets(file, env, &view, &mut worker, &mut warnings, &invalid)?;
    let mut doc = Map::new();
    if let Some(dev) = top.get("dev") {
        let (listen, ignored) = local::dev_listen(dev, &invalid)?;
        ignored.iter().for_each(|key| warnings.unsupported(key));
        if let Some(listen) = listen {
            doc.insert("server".into(), serde_json::json!({ "listen": listen }));
        }
    }
    // Cloudflare's CPU time per invocation when `limits.cpu_ms` is not set
    // (Workers Standard), as the server's default: the Worker's own
    // `limits.cpu_ms` and `MOTU_LIMITS__CPU_MS` still override it.
    doc.insert(
        "limits".into(),
        serde_json::json!({ "cpu_ms": CLOUDFLARE_DEFAULT_CPU_MS }),
    );
    doc.insert("workers".into(), Value::Array(vec![Value::Object(worker)]));
    let toml = toml::to_string(&Value::Object(doc)).map_err(|e| load_error(e.to_string()))?;
    Ok(Translated {
        toml,
        warnings: warnings.list,
    })
}

/// CPU time per invocation a Worker gets on Cloudflare unless its config
/// sets `limits.cpu_ms` (30 s, the Standard usage model's default). motu.toml
/// keeps motu's own default of 50 ms.
pub(crate) const CLOUDFLARE_DEFAULT_CPU_MS: u64 = 30_000;

/// The keys of the selected environment over the top level's.
struct View<'a> {
    top: &'a Map<String, Value>,
    section: Option<(&'a str, &'a Map<String, Value>)>,
}

impl<'a> View<'a> {
    /// A key's value and its field path: the environment's, else (for an
    /// inherited key, or without an environment) the top level's.
    fn get(&self, key: &str) -> Option<(&'a Value, String)> {
        if let Some((name, section)) = self.section {
            if let Some(v) = section.get(key) {
                return Some((v, format!("env.{name}.{key}")));
            }
            if !INHERITED.contains(&key) {
                return None;
            }
        }
        self.top.get(key).map(|v| (v, key.to_owned()))
    }
}

/// Warnings, each once.
#[derive(Default)]
struct Warnings {
    seen: BTreeSet<String>,
    list: Vec<String>,
}

impl Warnings {
    fn unsupported(&mut self, key: &str) {
        if self.seen.insert(key.to_owned()) {
            self.list
                .push(format!("key '{key}' is not supported by motu; ignored"));
        }
    }
}

/// `routes` (or `route`) as pattern strings.
fn routes(
    view: &View<'_>,
    invalid: &dyn Fn(&str, String) -> ConfigError,
    warnings: &mut Warnings,
) -> Result<Vec<Value>, ConfigError> {
    let mut out = Vec::new();
    let entries: Vec<(&Value, String)> = match (view.get("routes"), view.get("route")) {
        (Some((Value::Array(list), field)), _) => list
            .iter()
            .enumerate()
            .map(|(i, r)| (r, format!("{field}[{i}]")))
            .collect(),
        (Some((_, field)), _) => return Err(invalid(&field, "must be a list".into())),
        (None, Some((route, field))) => vec![(route, field)],
        (None, None) => Vec::new(),
    };
    for (route, field) in entries {
        let pattern = match route {
            Value::String(p) => p.clone(),
            Value::Object(o) => {
                for key in o.keys() {
                    if !matches!(
                        key.as_str(),
                        "pattern" | "zone_name" | "zone_id" | "custom_domain"
                    ) {
                        warnings.unsupported(&format!("{field}.{key}"));
                    }
                }
                let Some(Value::String(p)) = o.get("pattern") else {
                    return Err(invalid(&format!("{field}.pattern"), "missing".into()));
                };
                match o.get("custom_domain") {
                    None | Some(Value::Bool(false)) => p.clone(),
                    Some(Value::Bool(true)) if p.contains(['/', '*']) => {
                        return Err(invalid(
                            &format!("{field}.pattern"),
                            format!(
                                "custom domain '{p}' must be a host name, without a path or '*'"
                            ),
                        ))
                    }
                    Some(Value::Bool(true)) => format!("{p}/*"),
                    Some(_) => {
                        return Err(invalid(
                            &format!("{field}.custom_domain"),
                            "must be true or false".into(),
                        ))
                    }
                }
            }
            _ => return Err(invalid(&field, "must be a pattern or a table".into())),
        };
        out.push(Value::String(pattern));
    }
    Ok(out)
}

/// `services` as motu's `[[workers.services]]`.
fn service_list(
    services: &Value,
    field: &str,
    invalid: &dyn Fn(&str, String) -> ConfigError,
    warnings: &mut Warnings,
) -> Result<Vec<Value>, ConfigError> {
    binding_list(
        services,
        field,
        &["binding", "service", "entrypoint", "props"],
        invalid,
        warnings,
    )
}

/// A list of binding tables, keeping the `keys` motu reads of each and
/// warning about the others.
fn binding_list(
    services: &Value,
    field: &str,
    keys: &[&str],
    invalid: &dyn Fn(&str, String) -> ConfigError,
    warnings: &mut Warnings,
) -> Result<Vec<Value>, ConfigError> {
    let Value::Array(list) = services else {
        return Err(invalid(field, "must be a list".into()));
    };
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let Value::Object(s) = s else {
            return Err(invalid(&format!("{field}[{i}]"), "must be a table".into()));
        };
        let mut kept = Map::new();
        for (key, value) in s {
            if keys.contains(&key.as_str()) {
                kept.insert(key.clone(), value.clone());
            } else {
                warnings.unsupported(&format!("{field}.{key}"));
            }
        }
        out.push(Value::Object(kept));
    }
    Ok(out)
}

/// The rate limiters of `unsafe.bindings` (`type = "ratelimit"`, the form
/// Cloudflare documented before `ratelimits`), appended to `ratelimits`;
/// the other unsafe bindings and keys are warned about.
fn unsafe_rate_limits(
    view: &View<'_>,
    worker: &mut Map<String, Value>,
    warnings: &mut Warnings,
    invalid: &dyn Fn(&str, String) -> ConfigError,
) -> Result<(), ConfigError> {
    let Some((Value::Object(table), field)) = view.get("unsafe") else {
        return Ok(());
    };
    for (key, value) in table {
        if key != "bindings" && !asks_for_nothing(value) {
            warnings.unsupported(&format!("{field}.{key}"));
        }
    }
    let Some(bindings) = table.get("bindings") else {
        return Ok(());
    };
    let Value::Array(bindings) = bindings else {
        return Err(invalid(
            &format!("{field}.bindings"),
            "must be a list".into(),
        ));
    };
    for (i, b) in bindings.iter().enumerate() {
        if b.get("type").and_then(Value::as_str) != Some("ratelimit") {
            warnings.unsupported(&format!("{field}.bindings[{i}]"));
            continue;
        }
        let mut limiter = Map::new();
        for key in crate::ratelimit::WRANGLER_KEYS {
            if let Some(v) = b.get(*key) {
                limiter.insert((*key).into(), v.clone());
            }
        }
        let list = worker
            .entry("ratelimits")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = list {
            list.push(Value::Object(limiter));
        }
    }
    Ok(())
}

/// The secrets of Wrangler's local development: every name in the secret
/// files it reads (`.dev.vars.<env>`, `.dev.vars` or the `.env` files; see
/// `crate::secrets`), or only those `secrets.required` lists (a listed name
/// no file sets is warned about, as wrangler does). A secret replaces a var
/// of the same name.
fn dev_vars_as_secrets(
    file: &Path,
    env: Option<&str>,
    view: &View<'_>,
    worker: &mut Map<String, Value>,
    warnings: &mut Warnings,
    invalid: &dyn Fn(&str, String) -> ConfigError,
) -> Result<(), ConfigError> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let dot_env =
        std::env::var("CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV").map_or(true, |v| v != "false");
    let files = crate::secrets::wrangler_secret_files(dir, env, dot_env);
    let values = crate::secrets::read_secret_files(dir, &files)
        .map_err(|m| invalid(files.first().map_or(crate::DEV_VARS, String::as_str), m))?;
    let mut names: Vec<&String> = values.keys().collect();
    if let Some((secrets, field)) = view.get("secrets") {
        let required = secrets
            .get("required")
            .and_then(Value::as_array)
            .filter(|list| list.iter().all(Value::is_string))
            .ok_or_else(|| {
                invalid(
                    &field,
                    "must be a table with `required`, a list of names".into(),
                )
            })?;
        let required: Vec<&str> = required.iter().filter_map(Value::as_str).collect();
        for name in &required {
            if !values.contains_key(*name) {
                warnings.list.push(format!(
                    "secret '{name}' is required (secrets.required) but no {} sets it",
                    if files.is_empty() {
                        ".dev.vars or .env file".to_owned()
                    } else {
                        files.join(" or ")
                    }
                ));
            }
        }
        names.retain(|n| required.contains(&n.as_str()));
    }
    if names.is_empty() {
        return Ok(());
    }
    names.sort();
    if let Some(Value::Object(vars)) = worker.get_mut("vars") {
        vars.retain(|k, _| !names.contains(&k));
    }
    worker.insert(
        "secrets".into(),
        Value::Array(
            names
                .into_iter()
                .map(|n| Value::String(n.clone()))
                .collect(),
        ),
    );
    worker.insert(
        "secret_files".into(),
        Value::Array(files.into_iter().map(Value::String).collect()),
    );
    Ok(())
}

fn contains_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.iter().any(contains_null),
        Value::Object(o) => o.values().any(contains_null),
        _ => false,
    }
}

/// A TOML value as JSON; dates and times become their text.
fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Folds a multi-line parser message into one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(": ")
}
