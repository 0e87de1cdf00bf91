//! The built-in modules a Worker may import (`node:*`, `cloudflare:*`),
//! collected from each family's file for the loader
//! ([`BuiltinModules`]): which ones a Worker gets depends on its
//! compatibility settings.

mod node;

use motu_config::NodeCompat;
use motu_loader::BuiltinModules;

pub(crate) use node::init_value as node_init_value;

/// The built-in modules of a Worker whose Node.js compatibility is `node`.
pub fn builtin_modules(node: &NodeCompat) -> BuiltinModules {
    let modules = BuiltinModules::new();
    node::register(modules, node)
}
