//! The engines built into this binary.

use std::sync::Arc;

use motu_engine::Engine;

use crate::RuntimeError;

/// The prelude and its groups as QuickJS bytecode, compiled by the build
/// script (empty when cross-compiling).
const QUICKJS_PRELUDE: &[motu_quickjs::Precompiled] =
    include!(concat!(env!("OUT_DIR"), "/quickjs_prelude.rs"));

/// The QuickJS engine, reading the prelude from the bytecode compiled at
/// build time where it matches this QuickJS and this prelude.
pub fn quickjs_engine() -> motu_quickjs::QuickJsEngine {
    motu_quickjs::QuickJsEngine::new().with_precompiled(QUICKJS_PRELUDE)
}

/// The engines this build has, by name. QuickJS is always there and is the
/// default; V8 is there when the `v8` feature is on.
#[derive(Clone)]
pub struct EngineSet {
    engines: Vec<Arc<dyn Engine>>,
}

impl EngineSet {
    /// Every engine compiled in.
    pub fn builtin() -> Self {
        #[allow(unused_mut)]
        let mut engines: Vec<Arc<dyn Engine>> = vec![Arc::new(quickjs_engine())];
        #[cfg(feature = "v8")]
        engines.push(Arc::new(motu_v8::V8Engine::new()));
        Self { engines }
    }

    /// The names of the engines compiled in (`quickjs`, and `v8` with the
    /// `v8` feature).
    pub fn builtin_names() -> &'static [&'static str] {
        if cfg!(feature = "v8") {
            &["quickjs", "v8"]
        } else {
            &["quickjs"]
        }
    }

    /// The name of the default engine.
    pub fn default_name() -> &'static str {
        "quickjs"
    }

    /// The engine called `name`.
    pub fn get(&self, name: &str) -> Result<Arc<dyn Engine>, RuntimeError> {
        self.engines
            .iter()
            .find(|e| e.name() == name)
            .cloned()
            .ok_or_else(|| RuntimeError::UnknownEngine {
                name: name.to_owned(),
                available: Self::builtin_names().join(", "),
            })
    }
}

impl std::fmt::Debug for EngineSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.engines.iter().map(|e| e.name()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;
    use std::sync::Arc;

    use motu_engine::{Engine, Host, HostValue, JsError, OpId};

    use super::*;

    /// Answers the prelude's start-up op and the Web API ops.
    #[derive(Default)]
    struct WebHost(motu_webapi::OpState);

    impl Host for WebHost {
        fn call(&self, op: &str, args: Vec<HostValue>) -> Result<HostValue, JsError> {
            match op {
                "init" => Ok(HostValue::Map(vec![
                    ("syntax".into(), "script".into()),
                    ("env".into(), HostValue::Map(vec![])),
                ])),
                _ => motu_webapi::call(&self.0, op, args)
                    .unwrap_or_else(|| Err(JsError::type_error(op.to_owned()))),
            }
        }

        fn start(&self, _op: &str, _args: Vec<HostValue>, _id: OpId) -> Result<(), JsError> {
            Err(JsError::type_error("no async ops"))
        }
    }

    #[test]
    fn the_quickjs_prelude_comes_from_bytecode_compiled_at_build_time() {
        // The build script compiled the core and every group.
        assert_eq!(
            QUICKJS_PRELUDE.len(),
            1 + motu_webapi::prelude_chunks().len()
        );
        let engine = quickjs_engine();
        let cfg = motu_webapi::isolate_config();
        let mut iso = engine
            .new_isolate(&cfg, Rc::new(WebHost::default()))
            .expect("an isolate");
        // Stale or unused bytecode (another text, another QuickJS) would
        // have been compiled instead.
        assert_eq!(engine.precompiled_used(), 1);
        // A group loads from its bytecode too (TextEncoder's, which loads no
        // other group).
        iso.load_worker(&motu_engine::WorkerCode {
            syntax: motu_engine::Syntax::Script,
            entry: "worker.js".into(),
            modules: Arc::new(
                motu_engine::MemoryModules::new().with(
                    "worker.js",
                    "if (typeof new TextEncoder().encode !== 'function') throw new Error('no TextEncoder');",
                ),
            ),
        })
        .expect("the Worker loads");
        assert_eq!(engine.precompiled_used(), 2);
    }
}
