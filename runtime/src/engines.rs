//! The engines built into this binary.

use std::sync::Arc;

use motu_engine::Engine;

use crate::RuntimeError;

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
        let mut engines: Vec<Arc<dyn Engine>> = vec![Arc::new(motu_quickjs::QuickJsEngine::new())];
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
