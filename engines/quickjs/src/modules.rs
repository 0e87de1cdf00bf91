//! Module resolution and loading from the Worker's `ModuleSource`.
//!
//! Specifiers resolve with the Worker's `ModuleSource::resolve`. A module's
//! source is compiled (or found in the bytecode cache) and read into the
//! isolate's context. This serves the static imports of a module Worker and
//! any dynamic `import()` later.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use motu_engine::ModuleSource;
use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::Declared;
use rquickjs::{Ctx, Module};

use crate::cache::BytecodeCache;
use crate::compile::{as_js_error, Kind, Options};
use crate::errors::throw;
use crate::exec::declare_module;

/// The modules of the Worker loaded into an isolate; set by `load_worker`.
pub(crate) type SharedSource = Rc<RefCell<Option<Arc<dyn ModuleSource>>>>;

/// How Worker modules compile: with their source text, so that functions'
/// `toString()` shows their code.
pub(crate) const WORKER_MODULE: Options = Options {
    kind: Kind::Module,
    strip_source: false,
    strip_debug: false,
};

/// Resolves specifiers with the Worker's `ModuleSource`.
pub(crate) struct WorkerResolver {
    pub(crate) source: SharedSource,
}

impl Resolver for WorkerResolver {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        let source = self.source.borrow().clone();
        let resolved = match source {
            Some(modules) => modules.resolve(base, name),
            None => motu_engine::resolve_specifier(base, name),
        };
        resolved.map_err(|msg| rquickjs::Error::new_resolving_message(base, name, msg))
    }
}

/// Loads modules from the Worker's source through the bytecode cache.
pub(crate) struct WorkerLoader {
    pub(crate) source: SharedSource,
    pub(crate) cache: Arc<BytecodeCache>,
    pub(crate) memory_limit: Option<usize>,
}

impl Loader for WorkerLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        let text = self.source.borrow().as_ref().and_then(|m| m.source(name));
        let Some(text) = text else {
            return Err(rquickjs::Error::new_loading_message(
                name,
                format!("the Worker has no module '{name}'"),
            ));
        };
        match self
            .cache
            .get(name, &text, WORKER_MODULE, self.memory_limit)
        {
            Ok(bytecode) => declare_module(ctx, &bytecode),
            Err(e) => Err(throw(ctx, &as_js_error(e))),
        }
    }
}
