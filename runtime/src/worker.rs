//! What a Worker is made of: its name, code, engine and vars.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use motu_config::{Limits, NodeCompat, PlatformCompat};
use motu_engine::{HostValue, MemoryModules, Syntax, WorkerCode};
use motu_loader::{Project, ProjectOptions};

use crate::RuntimeError;

/// A Worker as registered with the runtime. Its `Debug` shows the names of
/// its bindings, never their values (some are secrets).
#[derive(Clone)]
pub struct WorkerSpec {
    /// The Worker's name: unique, used in logs, routes and `NAME.localhost`.
    pub name: String,
    /// The engine to run it on; `None`: the runtime's default.
    pub engine: Option<String>,
    /// Its code.
    pub code: WorkerCode,
    /// The bindings in `env` (and, for service-worker scripts, globals).
    pub vars: Vec<(String, HostValue)>,
    /// CPU, memory and idle limits of its isolates.
    pub limits: Limits,
    /// How many isolates it may run at once; `None`: one per executor
    /// thread. Events go to the least-loaded one; another starts when all
    /// are busy.
    pub max_instances: Option<usize>,
    /// Service bindings: a name in `env` and the Worker it calls.
    pub services: Vec<(String, String)>,
    /// The named entrypoint a service binding calls over RPC, by binding
    /// (see [`with_service_entrypoint`](Self::with_service_entrypoint));
    /// a binding not listed calls the Worker's default export. Default none.
    pub service_entrypoints: Vec<(String, String)>,
    /// The props a service binding gives every call it makes (the callee's
    /// `ctx.props`), by binding (see
    /// [`with_service_props`](Self::with_service_props)); a binding not
    /// listed gives none (`ctx.props` is an empty object). Default none.
    pub service_props: Vec<(String, HostValue)>,
    /// The API base URL that relative URLs given to `Request`, `fetch()`
    /// and `Response.redirect()` resolve against. `None` (the default, as
    /// on Workers): relative URLs are a `TypeError`.
    pub base_url: Option<url::Url>,
    /// The Worker's compatibility flags, as its configuration gives them.
    /// Default none.
    pub compatibility_flags: Vec<String>,
    /// Its Node.js compatibility (resolved from its compatibility date and
    /// flags, see [`NodeCompat::resolve`]): the `process` and `Buffer`
    /// globals and how `process.env` is filled. The `node:*` modules
    /// themselves are given to the loader ([`crate::builtin_modules`]).
    /// Default none.
    pub node_compat: NodeCompat,
    /// What its compatibility date and flags decide of the platform's APIs
    /// (see [`PlatformCompat::resolve`]): WebSocket's default `binaryType`,
    /// whether `storage.deleteAll()` deletes the alarm. Default: the old
    /// behaviours (no date).
    pub platform_compat: PlatformCompat,
    /// The assets binding, if any: `env.<name>.fetch(request)` asks the
    /// Worker's static assets. Default none.
    pub assets: Option<crate::AssetBinding>,
    /// Storage bindings: KV namespaces (and the other kinds of
    /// [`BindingKind`](crate::BindingKind)), each a name in `env` and the
    /// id of its store in the runtime's [`Storage`](crate::Storage).
    /// Default none.
    pub storage: Vec<crate::StorageBinding>,
    /// Durable Object namespace bindings (see
    /// [`DurableBinding`](crate::DurableBinding)). Default none.
    pub durable: Vec<crate::DurableBinding>,
    /// How long one of the Durable Objects it hosts stays in memory
    /// without events. Default 10 s
    /// ([`motu_config::DEFAULT_IDLE_TIMEOUT_S`]).
    pub durable_idle: std::time::Duration,
    /// Fields copied into every fetch event's `request.cf`, as the JSON
    /// text of an object (a server's `[server.cf]`). Default none.
    pub request_cf: Option<String>,
    /// Bindings made in JavaScript from what they are given at start (an
    /// Analytics Engine dataset, a Hyperdrive configuration): each a name in
    /// `env` and a map whose `type` says which (`js/cloudflare/platform.js`).
    /// Default none. Their values may hold passwords: never logged.
    pub platform: Vec<(String, HostValue)>,
    /// Hosts (`name:port`) this Worker may connect to whatever they resolve
    /// to, beyond the server's egress policy: what its bindings open to it
    /// (a Hyperdrive configuration's database). Default none.
    pub egress_hosts: Vec<String>,
    /// The databases whose TLS the host speaks for the Worker (a Hyperdrive
    /// configuration whose connection string asks for TLS): a plain
    /// connection to one's address is upgraded before the Worker gets it.
    /// Default none.
    pub database_tls: Vec<crate::DatabaseTls>,
    /// Where its `fetch()` and sockets go: out under the egress policy (the
    /// default), nowhere, or to a service binding. Set for dynamic Workers
    /// by their code's `globalOutbound` (see [`GlobalOutbound`]).
    pub global_outbound: crate::GlobalOutbound,
    /// The Tail Workers that get a trace of each of its events (a dynamic
    /// Worker's `tails`). Default none.
    pub tails: Vec<crate::ServiceRef>,
    /// Whether its code is not trusted (a dynamic Worker's): the host then
    /// lets it call only itself and the service bindings its `platform`
    /// entries give it, with their props, whatever its JavaScript asks
    /// for. Default false: a configured Worker's prelude is trusted to name
    /// only what its config binds.
    pub sandboxed: bool,
}

impl std::fmt::Debug for WorkerSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerSpec")
            .field("name", &self.name)
            .field("engine", &self.engine)
            .field("entry", &self.code.entry)
            .field("syntax", &self.code.syntax)
            .field(
                "vars",
                &self.vars.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("limits", &self.limits)
            .field("max_instances", &self.max_instances)
            .field("services", &self.services)
            .field("base_url", &self.base_url.as_ref().map(url::Url::as_str))
            .field("compatibility_flags", &self.compatibility_flags)
            .field("node_compat", &self.node_compat)
            .field("platform_compat", &self.platform_compat)
            .field("assets", &self.assets.as_ref().map(|a| a.binding.as_str()))
            .field("storage", &self.storage)
            .field("durable", &self.durable)
            .field(
                "platform",
                &self.platform.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("egress_hosts", &self.egress_hosts)
            .field(
                "database_tls",
                &self
                    .database_tls
                    .iter()
                    .map(|d| &d.address)
                    .collect::<Vec<_>>(),
            )
            .field("global_outbound", &self.global_outbound)
            .field("tails", &self.tails.len())
            .field("sandboxed", &self.sandboxed)
            .finish()
    }
}

impl WorkerSpec {
    /// A Worker from one source string, named `worker.js`; module or script
    /// syntax is detected with [`detect_syntax`].
    pub fn from_source(name: impl Into<String>, source: impl Into<Arc<str>>) -> Self {
        let source = source.into();
        let syntax = detect_syntax(&source);
        Self {
            name: name.into(),
            engine: None,
            code: WorkerCode {
                syntax,
                entry: "worker.js".into(),
                modules: Arc::new(MemoryModules::new().with("worker.js", source)),
            },
            vars: Vec::new(),
            limits: Limits::default(),
            max_instances: None,
            services: Vec::new(),
            service_entrypoints: Vec::new(),
            service_props: Vec::new(),
            base_url: None,
            compatibility_flags: Vec::new(),
            node_compat: NodeCompat::default(),
            platform_compat: PlatformCompat::default(),
            assets: None,
            storage: Vec::new(),
            durable: Vec::new(),
            durable_idle: std::time::Duration::from_secs(motu_config::DEFAULT_IDLE_TIMEOUT_S),
            request_cf: None,
            platform: Vec::new(),
            egress_hosts: Vec::new(),
            database_tls: Vec::new(),
            global_outbound: Default::default(),
            tails: Vec::new(),
            sandboxed: false,
        }
    }

    /// A Worker whose entry is the file at `path`, in the project folder
    /// [`project_root`] finds for it (see [`WorkerSpec::from_project`]).
    pub fn from_file(name: impl Into<String>, path: &Path) -> Result<Self, RuntimeError> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let mut options = ProjectOptions::new(project_root(&path), &path);
        options.builtins = crate::builtin_modules(&motu_config::NodeCompat::default());
        Self::from_project(name, &options)
    }

    /// A Worker loaded from a project folder by `motu_loader`: its modules
    /// are read from the folder on demand (and transformed as their kind
    /// needs), and nothing outside the folder can be imported. Module or
    /// script syntax is detected from the entry module.
    pub fn from_project(
        name: impl Into<String>,
        options: &ProjectOptions,
    ) -> Result<Self, RuntimeError> {
        let name = name.into();
        let project = Project::load(options).map_err(|e| RuntimeError::Source {
            worker: name.clone(),
            message: e.to_string(),
        })?;
        let entry = project.entry().to_owned();
        let syntax = if project.is_module() {
            Syntax::Module
        } else {
            Syntax::Script
        };
        Ok(Self {
            name,
            engine: None,
            code: WorkerCode {
                syntax,
                entry,
                modules: Arc::new(project),
            },
            vars: Vec::new(),
            limits: Limits::default(),
            max_instances: None,
            services: Vec::new(),
            service_entrypoints: Vec::new(),
            service_props: Vec::new(),
            base_url: None,
            compatibility_flags: Vec::new(),
            node_compat: NodeCompat::default(),
            platform_compat: PlatformCompat::default(),
            assets: None,
            storage: Vec::new(),
            durable: Vec::new(),
            durable_idle: std::time::Duration::from_secs(motu_config::DEFAULT_IDLE_TIMEOUT_S),
            request_cf: None,
            platform: Vec::new(),
            egress_hosts: Vec::new(),
            database_tls: Vec::new(),
            global_outbound: Default::default(),
            tails: Vec::new(),
            sandboxed: false,
        })
    }

    /// Sets the compatibility flags.
    pub fn with_compatibility_flags(mut self, flags: impl IntoIterator<Item = String>) -> Self {
        self.compatibility_flags = flags.into_iter().collect();
        self
    }

    /// A Worker whose code could not be loaded (`message` says why): each
    /// of its isolates fails to start with an `Error` of that message, so
    /// its events get a 500 and the reason is logged, while every other
    /// Worker serves (and `motu dev` can load it again once fixed).
    pub fn failing(name: impl Into<String>, message: &str) -> Self {
        // A `motu:` name: the error's stack shows no place in the Worker.
        const ENTRY: &str = "motu:load-error";
        // Rust's quoting of a string (`\"`, `\\`, `\n`, `\u{…}`) is a valid
        // JavaScript string literal; a NUL becomes a space first (`\0`
        // before a digit would not be).
        let quoted = format!("{:?}", message.replace('\0', " "));
        let source = format!("throw new Error({quoted});\n");
        let mut spec = Self::from_source(name, source.clone());
        spec.code = WorkerCode {
            syntax: Syntax::Module,
            entry: ENTRY.into(),
            modules: Arc::new(MemoryModules::new().with(ENTRY, source)),
        };
        spec
    }

    /// Sets the Node.js compatibility (see [`WorkerSpec::node_compat`]).
    pub fn with_node_compat(mut self, node: NodeCompat) -> Self {
        self.node_compat = node;
        self
    }

    /// Sets what the compatibility date and flags decide of the platform's
    /// APIs (see [`WorkerSpec::platform_compat`]).
    pub fn with_platform_compat(mut self, compat: PlatformCompat) -> Self {
        self.platform_compat = compat;
        self
    }

    /// Lets the Worker connect to `host` (`name:port`) whatever it resolves
    /// to (see [`WorkerSpec::egress_hosts`]).
    pub fn with_egress_host(mut self, host: impl Into<String>) -> Self {
        self.egress_hosts.push(host.into());
        self
    }

    /// Has the host speak TLS to a database for the Worker (see
    /// [`WorkerSpec::database_tls`]).
    pub fn with_database_tls(mut self, database: crate::DatabaseTls) -> Self {
        self.database_tls.push(database);
        self
    }

    /// Adds a binding made in JavaScript from `value` (see
    /// [`WorkerSpec::platform`]).
    pub fn with_platform_binding(mut self, binding: impl Into<String>, value: HostValue) -> Self {
        self.platform.push((binding.into(), value));
        self
    }

    /// Sets the fields copied into every `request.cf` (the JSON text of an
    /// object).
    pub fn with_request_cf(mut self, cf: Option<String>) -> Self {
        self.request_cf = cf;
        self
    }

    /// Sets the engine.
    pub fn with_engine(mut self, engine: impl Into<String>) -> Self {
        self.engine = Some(engine.into());
        self
    }

    /// Adds a binding to `env`.
    pub fn with_var(mut self, name: impl Into<String>, value: impl Into<HostValue>) -> Self {
        self.vars.push((name.into(), value.into()));
        self
    }

    /// Adds a service binding: `env.<binding>.fetch(request)` calls the
    /// Worker named `worker`.
    pub fn with_service(mut self, binding: impl Into<String>, worker: impl Into<String>) -> Self {
        self.services.push((binding.into(), worker.into()));
        self
    }

    /// Adds a service binding to a named entrypoint of `worker` (`export
    /// class <entrypoint> extends WorkerEntrypoint`): `env.<binding>.m(…)`
    /// calls its method `m` over RPC, and `env.<binding>.fetch(request)`
    /// its `fetch` handler.
    pub fn with_service_entrypoint(
        mut self,
        binding: impl Into<String>,
        worker: impl Into<String>,
        entrypoint: impl Into<String>,
    ) -> Self {
        let binding = binding.into();
        self.service_entrypoints
            .push((binding.clone(), entrypoint.into()));
        self.with_service(binding, worker)
    }

    /// Gives the service binding `binding` props: a plain object (a
    /// [`HostValue::Map`]) the called entrypoint reads as `ctx.props`.
    pub fn with_service_props(mut self, binding: impl Into<String>, props: HostValue) -> Self {
        self.service_props.push((binding.into(), props));
        self
    }

    /// Adds the assets binding: `env.<binding>.fetch(request)` is answered
    /// by `fetcher` (see [`AssetFetcher`](crate::AssetFetcher)).
    pub fn with_assets(
        mut self,
        binding: impl Into<String>,
        fetcher: Arc<dyn crate::AssetFetcher>,
    ) -> Self {
        self.assets = Some(crate::AssetBinding {
            binding: binding.into(),
            fetcher,
        });
        self
    }

    /// Adds a storage binding (e.g. [`StorageBinding::kv`](crate::StorageBinding::kv)).
    pub fn with_storage(mut self, binding: crate::StorageBinding) -> Self {
        self.storage.push(binding);
        self
    }

    /// Adds a Durable Object namespace binding.
    pub fn with_durable(mut self, binding: crate::DurableBinding) -> Self {
        self.durable.push(binding);
        self
    }

    /// Sets how long a Durable Object it hosts stays in memory without
    /// events (default 10 s).
    pub fn with_durable_idle(mut self, idle: std::time::Duration) -> Self {
        self.durable_idle = idle;
        self
    }

    /// Sets the limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Gives the Worker an API base URL, so relative URLs in `Request`,
    /// `fetch()` and `Response.redirect()` resolve against it (a test
    /// runner serving the Worker's files uses this; Workers have none).
    pub fn with_base_url(mut self, url: url::Url) -> Self {
        self.base_url = Some(url);
        self
    }

    /// Sets how many isolates it may run at once.
    pub fn with_max_instances(mut self, max: usize) -> Self {
        self.max_instances = Some(max);
        self
    }

    /// Forces module or script syntax instead of the detected one.
    pub fn with_syntax(mut self, syntax: Syntax) -> Self {
        self.code.syntax = syntax;
        self
    }
}

/// The project folder of the entry file at `path`: the nearest folder,
/// from the file's own upwards, that holds a `package.json` (the npm
/// project, whose `node_modules` the Worker imports from); else the file's
/// own folder. Nothing outside it is readable by the Worker's imports.
pub fn project_root(path: &Path) -> PathBuf {
    let folder = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    folder
        .ancestors()
        .find(|dir| dir.join("package.json").is_file())
        .map(Path::to_path_buf)
        .unwrap_or(folder)
}

/// Tells an ES module from a service-worker script: a line that starts with
/// an `import` or `export` declaration makes it a module.
pub fn detect_syntax(source: &str) -> Syntax {
    let is_decl = |line: &str, kw: &str| {
        line.strip_prefix(kw)
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| c.is_whitespace() || matches!(c, '{' | '*' | '"' | '\''))
    };
    let module = source
        .lines()
        .map(str::trim_start)
        .any(|line| is_decl(line, "export") || is_decl(line, "import"));
    if module {
        Syntax::Module
    } else {
        Syntax::Script
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_is_detected() {
        assert_eq!(detect_syntax("export default {}"), Syntax::Module);
        assert_eq!(detect_syntax("  import x from './x.js'\n"), Syntax::Module);
        assert_eq!(detect_syntax("import{a}from'./a.js'"), Syntax::Module);
        assert_eq!(
            detect_syntax("addEventListener('fetch', e => e.respondWith(new Response('x')))"),
            Syntax::Script
        );
        assert_eq!(
            detect_syntax("const exported = 1; import('./x.js')"),
            Syntax::Script
        );
    }
}
