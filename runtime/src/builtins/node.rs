//! The `node:*` modules (see `motu_webapi::node`), for a Worker with
//! `nodejs_compat`, and what the prelude is told of its Node.js
//! compatibility at start.

use std::sync::{Arc, OnceLock};

use motu_config::NodeCompat;
use motu_engine::HostValue;
use motu_loader::BuiltinModules;

/// Adds the `node:*` modules to `modules` when `node` has them.
pub(super) fn register(mut modules: BuiltinModules, node: &NodeCompat) -> BuiltinModules {
    if !node.modules {
        return modules;
    }
    // Made once per process; every Worker shares the sources.
    static SOURCES: OnceLock<Vec<(String, Arc<str>)>> = OnceLock::new();
    let sources = SOURCES.get_or_init(|| {
        motu_webapi::node::modules()
            .into_iter()
            .map(|(name, source)| (name, Arc::from(source)))
            .collect()
    });
    for (name, source) in sources {
        modules = modules.with(name.clone(), source.clone());
    }
    modules
}

/// The `nodejs` field of the `init` op: `{ globals, populateEnv }`, or
/// undefined without Node.js compatibility.
pub(crate) fn init_value(node: &NodeCompat) -> HostValue {
    if !node.modules {
        return HostValue::Undefined;
    }
    HostValue::Map(vec![
        ("globals".into(), HostValue::Bool(node.globals)),
        (
            "populateEnv".into(),
            HostValue::Bool(node.populate_process_env),
        ),
    ])
}
