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
        let source = if withheld(name, node) {
            stand_in(name)
        } else {
            source.clone()
        };
        modules = modules.with(name.clone(), source);
    }
    modules
}

/// The stand-in of the withheld module `name` (see [`withheld`]).
fn stand_in(name: &str) -> Arc<str> {
    static STAND_INS: OnceLock<Vec<(&'static str, Arc<str>)>> = OnceLock::new();
    let all = STAND_INS.get_or_init(|| {
        GATED
            .iter()
            .map(|(module, flag, date)| {
                let why = why(module, flag, date);
                let source = motu_webapi::node::stand_in(module, &why)
                    .expect("the gated modules are node:* modules");
                (*module, Arc::from(source))
            })
            .collect()
    });
    all.iter()
        .find(|(module, _)| *module == name)
        .map(|(_, source)| source.clone())
        .expect("only a gated module is withheld")
}

/// The modules that have compatibility flags and dates of their own, as
/// on Workers: each with its flag and the date from which it is on.
const GATED: &[(&str, &str, &str)] = &[
    (
        "node:fs",
        "enable_nodejs_fs_module",
        motu_config::NODEJS_FS_MODULE_DATE,
    ),
    (
        "node:fs/promises",
        "enable_nodejs_fs_module",
        motu_config::NODEJS_FS_MODULE_DATE,
    ),
    (
        "node:http",
        "enable_nodejs_http_modules",
        motu_config::NODEJS_HTTP_MODULES_DATE,
    ),
    (
        "node:https",
        "enable_nodejs_http_modules",
        motu_config::NODEJS_HTTP_MODULES_DATE,
    ),
];

/// Whether the module `name` (`node:fs`) is left out for a Worker with
/// Node.js compatibility `node` (its flags and date do not have it): then
/// it is a stand-in whose functions throw, saying why — as wrangler's
/// bundle has a polyfill in its place on Workers, where the runtime lacks
/// the module.
fn withheld(name: &str, node: &NodeCompat) -> bool {
    match name {
        "node:fs" | "node:fs/promises" => !node.fs,
        "node:http" | "node:https" => !node.http,
        _ => false,
    }
}

/// Why a withheld module is not there.
fn why(module: &str, flag: &str, date: &str) -> String {
    format!(
        "{module} comes with nodejs_compat from the compatibility date {date}, or with the \
         {flag} compatibility flag"
    )
}

/// The names (without `node:`) of the `node:*` modules a Worker with
/// Node.js compatibility `node` can import, sorted (what
/// `module.builtinModules` lists), and those of them that are stand-ins
/// for want of their flag.
fn importable(node: &NodeCompat) -> (Vec<&'static str>, Vec<&'static str>) {
    // Made once per process: isolates start often.
    static ALL: OnceLock<Vec<String>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let mut names: Vec<String> = motu_webapi::node_unsupported::modules()
            .into_iter()
            .chain(motu_webapi::node::modules())
            .map(|(name, _)| name)
            .collect();
        names.sort();
        names.dedup();
        names
    });
    let names: Vec<&'static str> = all
        .iter()
        .filter(|name| node.modules || *name == "node:async_hooks")
        .map(String::as_str)
        .collect();
    let withheld = names
        .iter()
        .filter(|name| withheld(name, node))
        .map(|name| name.trim_start_matches("node:"))
        .collect();
    let names = names
        .into_iter()
        .map(|name| name.trim_start_matches("node:"))
        .collect();
    (names, withheld)
}

/// The `nodejs` field of the `init` op: `{ globals, populateEnv, alsOnly,
/// httpServer, builtins, withheld }` (`httpServer`: `http.createServer`
/// makes a server rather than throwing; `builtins`: the importable modules' names,
/// space-separated; `withheld`: those of them that are stand-ins for want of
/// their compatibility flag), or undefined without Node.js compatibility.
pub(crate) fn init_value(node: &NodeCompat) -> HostValue {
    if !node.any() {
        return HostValue::Undefined;
    }
    let (builtins, withheld) = importable(node);
    HostValue::Map(vec![
        ("alsOnly".into(), HostValue::Bool(node.als_only)),
        ("globals".into(), HostValue::Bool(node.globals)),
        ("httpServer".into(), HostValue::Bool(node.http_server)),
        (
            "populateEnv".into(),
            HostValue::Bool(node.populate_process_env),
        ),
        ("builtins".into(), HostValue::String(builtins.join(" "))),
        ("withheld".into(), HostValue::String(withheld.join(" "))),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compat(date: &str, flags: &[&str]) -> NodeCompat {
        let flags: Vec<String> = flags.iter().map(|f| (*f).to_owned()).collect();
        NodeCompat::resolve(Some(date), &flags)
    }

    #[test]
    fn gated_modules_are_stand_ins_until_their_flag() {
        let old = compat("2025-04-01", &["nodejs_compat"]);
        let (names, withheld) = importable(&old);
        assert!(names.contains(&"fs") && names.contains(&"punycode"));
        assert_eq!(withheld, ["fs", "fs/promises", "http", "https"]);
        let modules = register(BuiltinModules::new(), &old);
        let fs = modules.source("node:fs").unwrap();
        assert!(fs.contains("is not available") && fs.contains("enable_nodejs_fs_module"));
        assert!(!modules
            .source("node:path")
            .unwrap()
            .contains("is not available"));
        let new = compat("2025-09-15", &["nodejs_compat"]);
        assert!(importable(&new).1.is_empty());
        let fs = register(BuiltinModules::new(), &new)
            .source("node:fs")
            .unwrap();
        assert!(!fs.contains("is not available"));
    }
}
