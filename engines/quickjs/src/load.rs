//! Loading a Worker: its entry script, or its entry module with the modules
//! it imports.

use std::sync::Arc;

use motu_engine::{EngineError, Isolate, JsError, Syntax, WorkerCode};
use rquickjs::promise::PromiseState;
use rquickjs::{Persistent, Value};

use crate::compile::{Kind, Options};
use crate::errors::throw;
use crate::exec::{declare_module, run_script};
use crate::isolate::QuickJsIsolate;
use crate::modules::WORKER_MODULE;

/// How Worker scripts compile: with their source text, so that functions'
/// `toString()` shows their code.
const WORKER_SCRIPT: Options = Options {
    kind: Kind::Script,
    strip_source: false,
    strip_debug: false,
};

impl QuickJsIsolate {
    /// Evaluates the Worker's entry; for a module, waits for its top-level
    /// `await` and hands its namespace to the prelude.
    pub(crate) fn load(&mut self, code: &WorkerCode) -> Result<(), EngineError> {
        let source: Arc<str> = code.entry_source()?;
        *self.modules.borrow_mut() = Some(code.modules.clone());
        match code.syntax {
            Syntax::Script => {
                let bytecode = self.compile(&code.entry, &source, WORKER_SCRIPT)?;
                self.enter(|ctx| run_script(&ctx, &bytecode).map(drop))
            }
            Syntax::Module => self.load_module(&code.entry, &source),
        }
    }

    fn load_module(&mut self, entry: &str, source: &Arc<str>) -> Result<(), EngineError> {
        let bytecode = self.compile(entry, source, WORKER_MODULE)?;
        let (namespace, evaluated) = self.enter(|ctx| {
            let (module, promise) = declare_module(&ctx, &bytecode)?.eval()?;
            Ok((
                Persistent::save(&ctx, module.namespace()?),
                Persistent::save(&ctx, promise),
            ))
        })?;
        // Top-level `await` settles through promise jobs.
        self.run_microtasks()?;
        let register = self.register_module_hook();
        self.enter(|ctx| {
            let promise = evaluated.restore(&ctx)?;
            match promise.state() {
                PromiseState::Resolved => {}
                PromiseState::Rejected => {
                    // Throws the rejection reason.
                    let thrown = promise.result::<Value>().and_then(Result::err);
                    return Err(thrown.unwrap_or(rquickjs::Error::Exception));
                }
                PromiseState::Pending => return Err(throw(
                    &ctx,
                    &JsError::new(
                        "Error",
                        "the Worker's top-level await is still pending after its promise jobs ran",
                    ),
                )),
            }
            register
                .restore(&ctx)?
                .call::<_, ()>((namespace.restore(&ctx)?,))
        })
    }
}
