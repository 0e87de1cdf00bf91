//! Dynamic Workers: Workers a Worker starts at run time from code it gives,
//! through a Worker Loader binding (`worker_loaders` in its config), as
//! Cloudflare's Dynamic Worker Loaders do.
//!
//! # Concepts
//!
//! - **The binding** (`env.LOADER`, made by the prelude's
//!   `cloudflare/worker_loader.js`): `get(id, getCode)` and `load(code)`
//!   give a `WorkerStub` at once; its `getEntrypoint(name?, { props })` is
//!   a service binding to the dynamic Worker (its `fetch` and RPC methods).
//!   The code is asked for (`getCode()` called) only when a call finds the
//!   Worker not loaded: on the first call, and again after it was let go.
//! - **A dynamic Worker is a Worker** of the registry like any other, under
//!   a name no config can give (`parent:BINDING:id:ID`, or
//!   `parent:BINDING:#n` for `load()` and a `get()` without an id): its
//!   isolate (one at a time) runs under the supervisor and the watchdog,
//!   with its parent's limits (CPU and subrequests as its code's `limits`
//!   say), on its parent's engine. The gateway's routes never name it:
//!   only stubs reach it.
//! - **Its modules** are written to a folder of their own
//!   ([`spec::build`]) and loaded as a project, so ES modules, CommonJS,
//!   Text, Data, JSON and (on V8) WebAssembly modules, `node:*` and
//!   `cloudflare:*` imports work as they do in a project on disk.
//! - **Its `env`** holds what its parent gave: values copied as structured
//!   clone copies them, and service bindings (the parent's own, or
//!   `ctx.exports.Name({ props })`). Nothing else of its parent's reaches
//!   it. **`globalOutbound`** decides where its `fetch()` goes: out as its
//!   parent's (left out), nowhere (`null`), or to a service binding
//!   ([`GlobalOutbound`], enforced by the host's ops, not the prelude).
//! - **Tails** (`WorkerCode.tails`, [`tails`]): the host traces each event
//!   of the dynamic Worker (its request, `console` lines, uncaught
//!   exceptions, outcome) and calls every tail's `tail(events)` with it
//!   once the event is over.
//! - **The table** ([`DynamicWorkers`]) knows the loaded Workers and when
//!   each was last used. A Worker with no live isolate that was not called
//!   for its isolates' idle timeout (its parent's, `idle_timeout_s`; at
//!   most [`spec::ANONYMOUS_IDLE`] for one without an id, whose code is
//!   usually run once) is let go ([`sweep`]): unregistered, its folder
//!   deleted; the next call asks its parent for the code again, as
//!   Cloudflare may. When the parent is registered again (new code, as
//!   `motu dev` does on a change), all of its dynamic Workers are let go
//!   ([`forget_children`]): the code its loaders give may have changed.

mod code;
mod metrics;
pub(crate) mod ops;
mod spec;
pub(crate) mod tails;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use parking_lot::Mutex;

pub(crate) use code::DynamicCode;
pub(crate) use code::BLOCKED;
pub use code::{GlobalOutbound, ServiceRef};

use crate::{Registry, RuntimeError, WorkerSpec};

/// How often loaded dynamic Workers are looked over for idle ones.
pub(crate) const SWEEP: Duration = Duration::from_secs(1);

/// How the folders of dynamic Workers' modules are named in the temporary
/// folder: `motu-dynamic-PID-…`, by the process that made them.
const ROOT_PREFIX: &str = "motu-dynamic-";

/// Deletes the module folders that processes no longer running left (one
/// stopped by a signal deletes nothing).
fn remove_stale_roots() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(ROOT_PREFIX)) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let running = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if pid.is_some() && !running {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// One loaded dynamic Worker.
struct Loaded {
    /// The Worker whose loader loaded it.
    parent: String,
    /// Its modules' folder.
    dir: PathBuf,
    /// When a call last used it.
    last_used: Instant,
}

/// The loaded dynamic Workers of a runtime, shared by the registry (which
/// registers and lets them go) and the isolates' hosts (which ask whether
/// one is loaded before calling it).
#[derive(Clone, Default)]
pub(crate) struct DynamicWorkers(Arc<Shared>);

#[derive(Default)]
struct Shared {
    loaded: Mutex<HashMap<String, Loaded>>,
    /// The folder the modules are written under, made on first use and
    /// deleted with the runtime.
    root: Mutex<Option<tempfile::TempDir>>,
    /// Numbers anonymous Workers.
    next: AtomicU64,
    /// Numbers folders.
    next_dir: AtomicU64,
}

impl std::fmt::Debug for DynamicWorkers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamicWorkers")
            .field("loaded", &self.0.loaded.lock().len())
            .finish()
    }
}

impl DynamicWorkers {
    /// Whether `name` is loaded; if so, it counts as used now.
    pub(crate) fn touch(&self, name: &str) -> bool {
        match self.0.loaded.lock().get_mut(name) {
            Some(l) => {
                l.last_used = Instant::now();
                true
            }
            None => false,
        }
    }

    /// A number not given before (for the names of anonymous Workers).
    pub(crate) fn next_number(&self) -> u64 {
        self.0.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// A new folder for a dynamic Worker's modules (not created yet).
    pub(crate) fn new_dir(&self) -> Result<PathBuf, String> {
        let mut root = self.0.root.lock();
        if root.is_none() {
            remove_stale_roots();
            let dir = tempfile::Builder::new()
                .prefix(&format!("{ROOT_PREFIX}{}-", std::process::id()))
                .tempdir()
                .map_err(|e| format!("cannot make a folder for dynamic Workers: {e}"))?;
            // The code of other tenants: for this process's user only.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
                .map_err(|e| format!("cannot make a folder for dynamic Workers: {e}"))?;
            *root = Some(dir);
        }
        let base = root
            .as_ref()
            .map(|d| d.path().to_path_buf())
            .unwrap_or_default();
        let n = self.0.next_dir.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(base.join(n.to_string()))
    }
}

/// Registers a dynamic Worker unless one of its name is loaded already
/// (then the new one is dropped and its folder deleted). Answers whether
/// it was registered.
#[derive(Debug, Message)]
#[rtype(result = "Result<bool, RuntimeError>")]
pub(crate) struct RegisterDynamic {
    /// The Worker whose loader loads it.
    pub(crate) parent: String,
    pub(crate) spec: WorkerSpec,
    pub(crate) dir: PathBuf,
    /// Whether its name is new (an anonymous Worker's): one loaded under
    /// it already is an error, not the same Worker.
    pub(crate) fresh: bool,
}

impl Handler<RegisterDynamic> for Registry {
    type Result = Result<bool, RuntimeError>;

    fn handle(&mut self, msg: RegisterDynamic, ctx: &mut Self::Context) -> Self::Result {
        let table = self.dynamic.clone();
        if table.touch(&msg.spec.name) {
            let _ = std::fs::remove_dir_all(&msg.dir);
            if msg.fresh {
                return Err(RuntimeError::Startup(format!(
                    "a dynamic Worker named '{}' is loaded already",
                    msg.spec.name
                )));
            }
            return Ok(false);
        }
        let name = msg.spec.name.clone();
        if let Err(e) =
            <Self as Handler<crate::Register>>::handle(self, crate::Register(msg.spec), ctx)
        {
            let _ = std::fs::remove_dir_all(&msg.dir);
            return Err(e);
        }
        metrics::loaded(&msg.parent);
        table.0.loaded.lock().insert(
            name,
            Loaded {
                parent: msg.parent,
                dir: msg.dir,
                last_used: Instant::now(),
            },
        );
        Ok(true)
    }
}

/// Takes out of `table` the Workers `pick` chooses, all under one lock.
fn take(table: &DynamicWorkers, pick: impl Fn(&str, &Loaded) -> bool) -> Vec<(String, Loaded)> {
    let mut loaded = table.0.loaded.lock();
    let names: Vec<String> = loaded
        .iter()
        .filter(|(name, l)| pick(name, l))
        .map(|(name, _)| name.clone())
        .collect();
    names
        .into_iter()
        .filter_map(|name| loaded.remove(&name).map(|l| (name, l)))
        .collect()
}

/// Unregisters the Workers taken out of the table and deletes their
/// folders: their isolates finish what they have, then go.
fn let_go(registry: &mut Registry, gone: Vec<(String, Loaded)>, why: &str) {
    for (name, l) in gone {
        registry.unregister(&name);
        let _ = std::fs::remove_dir_all(&l.dir);
        metrics::let_go(&l.parent);
        tracing::debug!(worker = name.as_str(), "dynamic Worker let go: {why}");
    }
}

/// Lets go of every dynamic Worker `parent` loaded: its code was replaced
/// (a new version registered, as `motu dev` does on a change), and the code
/// its loaders give may have changed with it, ids and all.
pub(crate) fn forget_children(registry: &mut Registry, parent: &str) {
    let gone = take(&registry.dynamic, |_, l| l.parent == parent);
    let_go(registry, gone, "its parent was loaded again");
}

/// Lets go of the dynamic Workers that have no live isolate and were not
/// called for their idle timeout (run by the registry every [`SWEEP`]). A
/// Worker is taken out of the table, its last use checked, under one lock:
/// a call that finds it loaded (`DynamicWorkers::touch`) either comes
/// first and keeps it, or finds it gone and loads it again.
pub(crate) fn sweep(registry: &mut Registry, _ctx: &mut Context<Registry>) {
    let gone = take(&registry.dynamic, |name, l| {
        !registry.has_instances(name)
            && registry
                .idle_timeout(name)
                .is_none_or(|idle| l.last_used.elapsed() >= idle)
    });
    let_go(registry, gone, "idle");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn module_folders_are_private_and_stale_ones_are_deleted() {
        let stale = std::env::temp_dir().join(format!("{ROOT_PREFIX}999999999-test"));
        std::fs::create_dir_all(stale.join("1")).unwrap();
        let table = DynamicWorkers::default();
        let dir = table.new_dir().unwrap();
        assert!(!stale.exists(), "a dead process's folder is deleted");
        let root = dir.parent().unwrap();
        let mode = std::fs::metadata(root).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let name = root.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(
            name.starts_with(&format!("{ROOT_PREFIX}{}-", std::process::id())),
            "{name}"
        );
        // A running process's folder (this one's) stays.
        remove_stale_roots();
        assert!(root.exists());
    }
}
