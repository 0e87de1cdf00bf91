//! The `node:*` modules (see `motu_webapi::node`), for a Worker with
//! `nodejs_compat`, and what the prelude is told of its Node.js
//! compatibility at start.

use std::sync::{Arc, OnceLock};

use motu_config::NodeCompat;
use motu_engine::HostValue;
use motu_loader::BuiltinModules;

/// Adds the `node:*` modules to `modules` when `node` has them (only
/// `node:async_hooks` with `nodejs_als` alone).
pub(super) fn register(mut modules: BuiltinModules, node: &NodeCompat) -> BuiltinModules {
    if !node.any() {
        return modules;
    }
    // Made once per process; every Worker shares the sources.
    static SOURCES: OnceLock<Vec<(String, Arc<str>)>> = OnceLock::new();
    let sources = SOURCES.get_or_init(|| {
        // The importable-only modules first: a module implemented for real
        // replaces its stand-in.
        motu_webapi::node_unsupported::modules()
            .into_iter()
            .chain(motu_webapi::node::modules())
            .map(|(name, source)| (name, Arc::from(source)))
            .collect()
    });
    for (name, source) in sources {
        if !node.modules && name != "node:async_hooks" {
            continue;
        }
        modules = modules.with(name.clone(), source.clone());
    }
    modules
}

/// The `nodejs` field of the `init` op: `{ globals, populateEnv, alsOnly }`,
/// or undefined without Node.js compatibility.
pub(crate) fn init_value(node: &NodeCompat) -> HostValue {
    if !node.any() {
        return HostValue::Undefined;
    }
    HostValue::Map(vec![
        ("alsOnly".into(), HostValue::Bool(node.als_only)),
        ("globals".into(), HostValue::Bool(node.globals)),
        (
            "populateEnv".into(),
            HostValue::Bool(node.populate_process_env),
        ),
    ])
}
