//! Several Wrangler projects served together, as `wrangler dev -c
//! api/wrangler.toml -c web/wrangler.toml` runs them: each config is
//! translated as on its own, its Worker keeps its project folder (`root`:
//! its modules, `node_modules`, `.dev.vars` and relative paths are its
//! own), and the Workers are validated as one server's, so that a service
//! binding, a Durable Object's or a Workflow's `script_name` may name a
//! Worker of another of the configs. The server's settings (state folder,
//! limits) are the first config's, whose Worker is the one requests reach.

use std::path::{Path, PathBuf};

use crate::{ConfigError, Loaded, Settings};

impl Settings {
    /// Reads the Wrangler configs `files` (their `[env.NAME]` sections
    /// `wrangler_env` names) as one server's Workers, the first config's
    /// first; see the module docs.
    pub fn load_wrangler_projects(
        files: &[PathBuf],
        wrangler_env: Option<&str>,
        engines: &[&str],
    ) -> Result<Loaded, ConfigError> {
        Self::load_wrangler_projects_with_env(files, wrangler_env, engines, std::env::vars())
    }

    /// Like [`Settings::load_wrangler_projects`], with the process
    /// environment given.
    pub fn load_wrangler_projects_with_env(
        files: &[PathBuf],
        wrangler_env: Option<&str>,
        engines: &[&str],
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Loaded, ConfigError> {
        let Some(first) = files.first() else {
            return Err(ConfigError::Load {
                file: PathBuf::new(),
                message: "no config given".into(),
            });
        };
        let mut server: Option<toml::Table> = None;
        // Each Worker, with the config it came from.
        let mut workers: Vec<(String, toml::Value)> = Vec::new();
        let mut warnings = Vec::new();
        for file in files {
            let load_error = |message: String| ConfigError::Load {
                file: file.clone(),
                message,
            };
            if !crate::is_wrangler_config(file) {
                return Err(load_error(
                    "several configs are several Wrangler projects: each must be a wrangler.toml, wrangler.json or wrangler.jsonc".into(),
                ));
            }
            let text = std::fs::read_to_string(file).map_err(|e| load_error(e.to_string()))?;
            let translated = crate::wrangler::translate(file, &text, wrangler_env)?;
            let mut table: toml::Table =
                toml::from_str(&translated.toml).map_err(|e| load_error(e.to_string()))?;
            let root = project_folder(file);
            if let Some(toml::Value::Array(list)) = table.remove("workers") {
                for mut w in list {
                    if let toml::Value::Table(t) = &mut w {
                        t.insert("root".into(), root.display().to_string().into());
                    }
                    workers.push((file.display().to_string(), w));
                }
            }
            server.get_or_insert(table);
            warnings.extend(
                translated
                    .warnings
                    .into_iter()
                    .map(|w| (file.display().to_string(), w)),
            );
        }
        let names: Vec<String> = workers
            .iter()
            .filter_map(|(_, w)| w.get("name")?.as_str().map(str::to_owned))
            .collect();
        for (file, w) in &mut workers {
            join_services(file, w, &names, &mut warnings);
        }
        let workers = workers.into_iter().map(|(_, w)| w).collect();
        let mut merged = server.unwrap_or_default();
        merged.insert("workers".into(), toml::Value::Array(workers));
        let text = toml::to_string(&merged).map_err(|e| ConfigError::Load {
            file: first.clone(),
            message: e.to_string(),
        })?;
        let settings = Self::from_toml(first, &text, engines, env)?;
        Ok(Loaded {
            settings,
            warnings: warnings
                .into_iter()
                .map(|(file, w)| format!("{file}: {w}"))
                .collect(),
        })
    }
}

/// The absolute folder of a config file.
fn project_folder(file: &Path) -> PathBuf {
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// Makes the service bindings of Worker `w` (of config `file`) that its own
/// config could not resolve (`absent_services`) real ones when another
/// config declares their Worker (one of `names`), dropping that config's
/// warnings about them.
fn join_services(
    file: &str,
    w: &mut toml::Value,
    names: &[String],
    warnings: &mut Vec<(String, String)>,
) {
    let Some(t) = w.as_table_mut() else {
        return;
    };
    let Some(toml::Value::Array(absent)) = t.remove("absent_services") else {
        return;
    };
    let (found, still): (Vec<_>, Vec<_>) = absent.into_iter().partition(|s| {
        s.get("service")
            .and_then(toml::Value::as_str)
            .is_some_and(|name| names.iter().any(|n| n == name))
    });
    for s in &found {
        if let Some(binding) = s.get("binding").and_then(toml::Value::as_str) {
            let prefix = format!("service binding '{binding}' names Worker");
            warnings.retain(|(from, w)| from != file || !w.starts_with(&prefix));
        }
    }
    if !found.is_empty() {
        let services = t
            .entry("services")
            .or_insert_with(|| toml::Value::Array(Vec::new()));
        if let toml::Value::Array(list) = services {
            list.extend(found);
        }
    }
    if !still.is_empty() {
        t.insert("absent_services".into(), toml::Value::Array(still));
    }
}
