//! `motu dev` / `serve --watch`: new code on every change.
//!
//! Each Worker's project folder (recursively, but not `node_modules` or
//! hidden folders: its sources, `tsconfig.json`, `package.json` and the
//! lock file) and the config file's folder are watched with `notify`. A burst of events (an editor
//! saving several files, or writing one in steps) becomes one reload once
//! the files have been quiet for [`QUIET`]. A reload reads the config
//! again (when it changed), then evaluates the new code of every Worker
//! concerned in a throwaway isolate ([`Runtime::check`]); only when all of
//! them load does it register them. Registering a Worker again sends new
//! events to isolates of the new code while the old version's isolates
//! finish the events they have, so no request is dropped or served by a
//! half-loaded Worker. When the new code fails to load (a syntax error, a
//! top-level exception), the old version keeps serving and the error is
//! logged with its file, line and column.
//!
//! A Worker's assets folder is watched too: a change there reads the folder
//! again (off the actix thread) and swaps the new manifest in, without
//! touching the Worker's isolates. If the folder cannot be read, the
//! previous manifest keeps serving.
//!
//! A Worker with a custom build (`build.command`, see `custom_build`) has
//! its `watch_dir` folders watched too. A change under one (or a changed
//! config) runs the build again, off the actix thread, before anything
//! else of the batch is applied; the files the build writes then come as
//! the next batch (a new `main`, new assets), applied as above. A build
//! that fails is logged with its output and exit status, and nothing of
//! the batch is applied: the previous version keeps serving until a later
//! change builds. Builds run one at a time; changes made meanwhile wait
//! for the next batch. A build that writes into its own `watch_dir` would
//! run again for ever, as under wrangler: its output belongs elsewhere.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use actix::Addr;
use anyhow::Context;
use motu_config::Settings;
use motu_gateway::assets::Assets;
use motu_gateway::{GatewayActor, RouteTable, SetAssets, SetRoutes};
use motu_runtime::{EngineError, Runtime, RuntimeError};
use notify::{RecursiveMode, Watcher};

/// How long files must stay unchanged before a reload starts.
const QUIET: Duration = Duration::from_millis(150);

/// Loads the settings again, as the command line gave them.
type Load = Box<dyn Fn() -> anyhow::Result<Settings> + Send>;

/// What watching needs from the command line.
pub struct Watch {
    load: Load,
    builds: bool,
}

impl Watch {
    /// Watching that reloads the settings with `load`; `builds`: whether
    /// Workers' custom builds run again on changes (not with `--no-build`).
    pub fn new(load: impl Fn() -> anyhow::Result<Settings> + Send + 'static, builds: bool) -> Self {
        Self {
            load: Box::new(load),
            builds,
        }
    }

    /// Starts watching the files of `settings`; changes are applied to
    /// `runtime` and `gateway`. Must be called inside the actix system.
    pub fn start(
        self,
        settings: &Settings,
        runtime: Runtime,
        gateway: Addr<GatewayActor>,
        assets: crate::serve::SiteAssets,
    ) -> anyhow::Result<()> {
        let (events, changes) = mpsc::channel();
        let mut watcher = notify::recommended_watcher(events).context("cannot watch files")?;
        let mut watched = BTreeSet::new();
        for dir in watched_dirs(settings) {
            if watched.insert(dir.clone()) {
                watcher
                    .watch(&dir, RecursiveMode::Recursive)
                    .with_context(|| format!("cannot watch {}", dir.display()))?;
            }
        }
        if let Some(dir) = settings.file.as_deref().and_then(Path::parent) {
            let dir = non_empty(dir);
            if !watched.iter().any(|w| dir.starts_with(w)) {
                watcher
                    .watch(&dir, RecursiveMode::NonRecursive)
                    .with_context(|| format!("cannot watch {}", dir.display()))?;
            }
        }
        let (batches, mut batch_rx) = tokio::sync::mpsc::unbounded_channel();
        let roots: Vec<PathBuf> = watched
            .into_iter()
            .chain(
                settings
                    .file
                    .as_deref()
                    .and_then(Path::parent)
                    .map(non_empty),
            )
            .collect();
        let ignored = ignored_dirs(settings);
        std::thread::Builder::new()
            .name("motu-watch".into())
            .spawn(move || {
                // The watcher lives as long as this thread.
                let _watcher = watcher;
                debounce(&changes, &batches, &roots, &ignored);
            })?;
        tracing::info!("watching for changes");
        let mut state = State {
            load: self.load,
            builds: self.builds,
            settings: settings.clone(),
            runtime,
            gateway,
            assets,
            config_pending: false,
        };
        actix::spawn(async move {
            while let Some(paths) = batch_rx.recv().await {
                state.reload(&paths).await;
            }
        });
        Ok(())
    }
}

/// Turns file events into batches of changed paths, one per burst: a batch
/// goes once no relevant change has come for [`QUIET`]. Events that are not
/// relevant (the state folder's writes, hidden folders) neither join the
/// batch nor put it off, so steady storage writes cannot hold a reload back.
fn debounce(
    changes: &mpsc::Receiver<notify::Result<notify::Event>>,
    batches: &tokio::sync::mpsc::UnboundedSender<BTreeSet<PathBuf>>,
    roots: &[PathBuf],
    ignored: &[PathBuf],
) {
    let mut batch = BTreeSet::new();
    let mut quiet_at: Option<Instant> = None;
    loop {
        let event = match quiet_at {
            None => changes
                .recv()
                .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            Some(at) => changes.recv_timeout(at.saturating_duration_since(Instant::now())),
        };
        match event {
            Ok(Ok(event)) => {
                if matches!(event.kind, notify::EventKind::Access(_)) {
                    continue;
                }
                let mut any = false;
                for path in event.paths {
                    if relevant(&path, roots) && !ignored.iter().any(|i| path.starts_with(i)) {
                        any = true;
                        batch.insert(path);
                    }
                }
                if any {
                    quiet_at = Some(Instant::now() + QUIET);
                }
            }
            Ok(Err(e)) => tracing::warn!("watching files: {e}"),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                quiet_at = None;
                if batches.send(std::mem::take(&mut batch)).is_err() {
                    return;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Whether a change to `path` may matter: under a watched folder, not in a
/// hidden folder or `node_modules` there, and not an editor's swap or
/// backup file nor a log file (`motu dev > dev.log` in the project would
/// otherwise reload on each line it logs, and log a line for each reload).
fn relevant(path: &Path, roots: &[PathBuf]) -> bool {
    let Some(inside) = roots.iter().find_map(|r| path.strip_prefix(r).ok()) else {
        return false;
    };
    let hidden = inside.components().any(|c| {
        let c = c.as_os_str().to_string_lossy();
        let shown = [".", "..", ".assetsignore", ".well-known"];
        (c.starts_with('.') && !shown.contains(&c.as_ref()) && !motu_config::is_secret_file(&c))
            || c == "node_modules"
    });
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    !hidden
        && !name.ends_with('~')
        && !name.ends_with(".swp")
        && !name.ends_with(".swx")
        && !name.ends_with(".log")
}

/// Folders whose changes are never the project's: the state folder (a
/// `--persist-to` or `state_dir` inside the project would otherwise make
/// every storage write a change, and a steady stream of writes would keep
/// a real change from ever being quiet long enough to load).
fn ignored_dirs(settings: &Settings) -> Vec<PathBuf> {
    match &settings.server.state_dir {
        motu_config::StateDir::Folder(dir) => vec![non_empty(dir)],
        motu_config::StateDir::Throwaway => Vec::new(),
    }
}

/// Each Worker's project folder, each assets folder, and each existing
/// folder a custom build watches (one that does not exist is warned about).
fn watched_dirs(settings: &Settings) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for w in &settings.workers {
        dirs.push(non_empty(&w.root));
        if let Some(assets) = &w.assets {
            dirs.push(non_empty(&assets.directory));
        }
        for dir in w.build.iter().flat_map(|b| &b.watch_dirs) {
            if dir.is_dir() {
                dirs.push(non_empty(dir));
            } else {
                tracing::warn!(
                    worker = w.name.as_str(),
                    "the custom build's watch_dir {} is not a folder: changes there are not seen",
                    dir.display()
                );
            }
        }
    }
    dirs
}

/// Whether a change to `path` is under a folder `w`'s custom build
/// watches.
fn touches_build(w: &motu_config::WorkerSettings, path: &Path) -> bool {
    w.build
        .as_ref()
        .is_some_and(|b| b.watch_dirs.iter().any(|d| path.starts_with(non_empty(d))))
}

/// Whether a change to `path` concerns `w`'s code: in its project folder,
/// but not in its assets folder — unless in the folder of its `main`, which
/// builds put there too (Astro's `dist/_worker.js/`, beside the pages it
/// serves as assets).
fn touches_code(w: &motu_config::WorkerSettings, path: &Path) -> bool {
    let Some(main) = &w.main else {
        return false;
    };
    let in_main_folder = main
        .parent()
        .is_some_and(|dir| path.starts_with(non_empty(dir)));
    path.starts_with(non_empty(&w.root)) && (!touches_assets(w, path) || in_main_folder)
}

/// Whether a change to `path` is in `w`'s assets folder.
fn touches_assets(w: &motu_config::WorkerSettings, path: &Path) -> bool {
    w.assets
        .as_ref()
        .is_some_and(|a| path.starts_with(non_empty(&a.directory)))
}

/// `dir`, or `.` for the empty path, made absolute when possible (event
/// paths are absolute).
fn non_empty(dir: &Path) -> PathBuf {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// What a reload works on.
struct State {
    load: Load,
    /// Whether custom builds run again (see [`Watch::new`] and
    /// `custom_build::rebuild`).
    builds: bool,
    settings: Settings,
    runtime: Runtime,
    gateway: Addr<GatewayActor>,
    /// Each Worker's assets, swapped in place when read again.
    assets: crate::serve::SiteAssets,
    /// Whether a changed config has not been applied yet (the code it
    /// came with failed to load).
    config_pending: bool,
}

/// ` at FILE:LINE:COLUMN: ERROR` (the file's path under the Worker's
/// project folder `root`), or `: ERROR` when the error has no place.
fn describe(e: &RuntimeError, root: &Path) -> String {
    let js = match e {
        RuntimeError::StartFailed {
            error: EngineError::Exception(js),
            ..
        } => js.to_string(),
        other => other.to_string(),
    };
    match e.location() {
        Some(place) => format!(" at {}: {js}", root.join(place).display()),
        None => format!(": {js}"),
    }
}

impl State {
    /// Whether `path` is the Wrangler config or a secrets file of one of
    /// the Workers' project folders (of several projects served together,
    /// each has its own).
    fn project_config(&self, path: &Path) -> bool {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
            return false;
        };
        (name.starts_with("wrangler") || motu_config::is_secret_file(&name))
            && self
                .settings
                .workers
                .iter()
                .any(|w| path.parent() == Some(non_empty(&w.root).as_path()))
    }

    /// Applies a batch of changed paths.
    async fn reload(&mut self, paths: &BTreeSet<PathBuf>) {
        if paths.is_empty() {
            return;
        }
        let config_changed = self.config_pending
            || self.settings.file.as_deref().is_some_and(|file| {
                let file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
                // The config, or a file of its secrets beside it.
                let secrets = |p: &PathBuf| {
                    p.parent() == file.parent()
                        && p.file_name()
                            .is_some_and(|n| motu_config::is_secret_file(&n.to_string_lossy()))
                };
                paths.iter().any(|p| *p == file || secrets(p))
            })
            || paths.iter().any(|p| self.project_config(p));
        let settings = if config_changed {
            match (self.load)() {
                Ok(settings) => settings,
                Err(e) => {
                    tracing::error!("the config was not reloaded; the previous one stays: {e:#}");
                    return;
                }
            }
        } else {
            self.settings.clone()
        };
        // Custom builds first, for what they make to be loaded: each
        // Worker's whose watched folders changed, every one after a config
        // change.
        let due: Vec<_> = settings
            .workers
            .iter()
            .filter(|w| self.builds && w.build.is_some())
            .filter_map(|w| {
                let changed = paths.iter().find(|p| touches_build(w, p));
                (changed.is_some() || config_changed).then(|| (w.clone(), changed.cloned()))
            })
            .collect();
        if !crate::custom_build::rebuild(due).await {
            self.config_pending |= config_changed;
            return;
        }
        // Assets read again: every Worker's after a config change, else
        // those with a change in their folder. A folder that cannot be read
        // keeps its previous manifest.
        for w in &settings.workers {
            if !(config_changed || paths.iter().any(|p| touches_assets(w, p))) {
                continue;
            }
            let worker = w.clone();
            let loaded =
                tokio::task::spawn_blocking(move || crate::serve::load_assets(&worker)).await;
            match loaded {
                Ok(Ok(Some(server))) => {
                    match self.assets.get(&w.name) {
                        Some(site) => site.replace(server),
                        None => {
                            self.assets.insert(w.name.clone(), Assets::new(server));
                        }
                    }
                    tracing::info!(worker = w.name.as_str(), "assets reloaded");
                }
                Ok(Ok(None)) => {
                    self.assets.remove(&w.name);
                }
                Ok(Err(e)) => {
                    tracing::error!(
                        worker = w.name.as_str(),
                        "assets not reloaded; the previous files keep serving: {e:#}"
                    );
                }
                Err(e) => tracing::error!(worker = w.name.as_str(), "assets not reloaded: {e}"),
            }
        }
        // The Workers concerned: all after a config change, else those with
        // a changed file under their folder.
        let concerned: Vec<_> = settings
            .workers
            .iter()
            .filter(|w| w.main.is_some())
            .filter(|w| config_changed || paths.iter().any(|p| touches_code(w, p)))
            .collect();
        if concerned.is_empty() {
            if config_changed {
                self.apply_config(&settings);
                self.config_pending = false;
                self.settings = settings;
            }
            return;
        }
        let mut specs = Vec::new();
        for w in &concerned {
            let spec = match crate::serve::worker_spec(
                w,
                &settings.server,
                true,
                self.assets.get(&w.name),
            ) {
                Ok(Some(spec)) => spec,
                Ok(None) => continue,
                Err(e) => {
                    tracing::error!(
                        worker = w.name.as_str(),
                        "not reloaded; the previous version keeps serving: {e:#}"
                    );
                    self.config_pending |= config_changed;
                    return;
                }
            };
            if let Err(e) = self.runtime.check(spec.clone()).await {
                tracing::error!(
                    worker = w.name.as_str(),
                    "the new code of Worker '{}' failed to load{}; the previous version keeps serving",
                    w.name,
                    describe(&e, &w.root)
                );
                self.config_pending |= config_changed;
                return;
            }
            specs.push(spec);
        }
        for spec in specs {
            let name = spec.name.clone();
            if let Err(e) = self.runtime.register(spec).await {
                tracing::error!(worker = name.as_str(), "not reloaded: {e}");
                return;
            }
            tracing::info!(worker = name.as_str(), "reloaded");
        }
        if config_changed {
            self.apply_config(&settings);
        }
        self.config_pending = false;
        self.settings = settings;
    }

    /// Applies what a changed config changes besides the Workers' code:
    /// routes now; crons and removed Workers with the next start.
    fn apply_config(&self, settings: &Settings) {
        let mut routes = RouteTable::new();
        for w in &settings.workers {
            routes.add(&w.name, &w.routes, w.workers_dev);
        }
        self.gateway.do_send(SetRoutes(routes));
        self.gateway.do_send(SetAssets(self.assets.clone()));
        let crons = |s: &Settings| -> Vec<(String, Vec<String>)> {
            s.workers
                .iter()
                .map(|w| {
                    let list = w.crons.iter().map(|c| c.expression().to_owned()).collect();
                    (w.name.clone(), list)
                })
                .filter(|(_, list): &(String, Vec<String>)| !list.is_empty())
                .collect()
        };
        if crons(settings) != crons(&self.settings) {
            tracing::warn!("cron triggers changed: they apply when motu starts again");
        }
        for old in &self.settings.workers {
            if !settings.workers.iter().any(|w| w.name == old.name) {
                tracing::warn!(
                    worker = old.name.as_str(),
                    "removed from the config: its routes are gone; it stops when motu starts again"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_that_are_not_the_projects_are_left_out() {
        let roots = [PathBuf::from("/p")];
        let relevant = |path: &str| relevant(Path::new(path), &roots);
        assert!(relevant("/p/src/index.ts"));
        assert!(relevant("/p/.dev.vars"));
        assert!(relevant("/p/.dev.vars.staging"));
        assert!(relevant("/p/.env"));
        assert!(relevant("/p/.env.staging.local"));
        assert!(!relevant("/p/.environment/x"));
        assert!(!relevant("/elsewhere/index.ts"));
        assert!(!relevant("/p/node_modules/a/index.js"));
        assert!(!relevant("/p/.wrangler/state/x"));
        assert!(!relevant("/p/src/index.ts.swp"));
        assert!(!relevant("/p/src/index.ts~"));
        assert!(!relevant("/p/dev.log"));
    }
}
