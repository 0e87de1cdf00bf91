//! Module resolution and loading from the Worker's `ModuleSource`.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use motu_engine::{resolve_specifier, ModuleSource};
use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::Declared;
use rquickjs::{Ctx, Module};

/// The modules of the Worker being loaded; set by `load_worker`.
pub(crate) type SharedSource = Rc<RefCell<Option<Arc<dyn ModuleSource>>>>;

/// Resolves specifiers as `motu_engine::resolve_specifier` does.
pub(crate) struct WorkerResolver;

impl Resolver for WorkerResolver {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        resolve_specifier(base, name)
            .map_err(|msg| rquickjs::Error::new_resolving_message(base, name, msg))
    }
}

/// Loads modules from the Worker's source.
pub(crate) struct WorkerLoader(pub(crate) SharedSource);

impl Loader for WorkerLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        let source = self.0.borrow().as_ref().and_then(|m| m.source(name));
        match source {
            Some(text) => Module::declare(ctx.clone(), name, text.as_bytes()),
            None => Err(rquickjs::Error::new_loading_message(
                name,
                format!("the Worker has no module '{name}'"),
            )),
        }
    }
}
