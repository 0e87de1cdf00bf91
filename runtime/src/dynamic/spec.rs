//! A dynamic Worker's [`WorkerSpec`]: its modules written to a folder of
//! their own and loaded as a project (so every module type the loader
//! knows works as it does for a project on disk), and its settings taken
//! from its code and its parent.

use std::path::{Path, PathBuf};

use motu_config::{NodeCompat, PlatformCompat};
use motu_engine::HostValue;
use motu_loader::{ModuleRule, ProjectOptions, RuleType};

use super::code::{DynamicCode, ModuleType};
use crate::WorkerSpec;

/// The rule type that makes a module of `kind` what it says, when its
/// file name alone would not.
fn rule_type(kind: ModuleType) -> Option<RuleType> {
    match kind {
        ModuleType::Text => Some(RuleType::Text),
        ModuleType::Data => Some(RuleType::Data),
        ModuleType::Wasm => Some(RuleType::CompiledWasm),
        ModuleType::Js | ModuleType::Cjs | ModuleType::Json => None,
    }
}

/// `name` with the characters globs give a meaning to escaped.
fn glob_literal(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '!') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Writes `code`'s modules under `dir` and the rules that give each the
/// type its code says. A JSON module whose name does not end in `.json`
/// is written as an ES module exporting the value.
fn write_modules(code: &DynamicCode, dir: &Path) -> Result<Vec<ModuleRule>, String> {
    let mut rules = Vec::new();
    for m in &code.modules {
        let path = dir.join(&m.name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("module '{}': {e}", m.name))?;
        }
        let content: std::borrow::Cow<[u8]> = match m.kind {
            ModuleType::Json if !m.name.ends_with(".json") => {
                let mut js = b"export default ".to_vec();
                js.extend_from_slice(&m.content);
                js.extend_from_slice(b";\n");
                js.into()
            }
            _ => (&m.content[..]).into(),
        };
        std::fs::write(&path, content).map_err(|e| format!("module '{}': {e}", m.name))?;
        if let Some(rule_type) = rule_type(m.kind) {
            // Rules match import specifiers as written: the base name under
            // any folder (`./a.txt`, `lib/a.txt`).
            let base = m.name.rsplit('/').next().unwrap_or(&m.name);
            let glob = format!("**/{}", glob_literal(base));
            rules.push(ModuleRule {
                rule_type,
                globs: vec![glob],
                fallthrough: true,
            });
        }
    }
    Ok(rules)
}

/// A text value for a platform binding's data.
fn text(s: &str) -> HostValue {
    HostValue::String(s.to_owned())
}

/// How long the isolate of a dynamic Worker without an id (`load()`, or
/// `get()` without one) stays without events at most: such code is
/// usually run once (Cloudflare's advice for one-off code), and a server
/// running one per request would otherwise hold thousands of isolates.
pub(crate) const ANONYMOUS_IDLE: std::time::Duration = std::time::Duration::from_secs(1);

/// The spec of dynamic Worker `name`, whose code is `code` and whose
/// parent is `parent`: its modules written under `dir` (which must not
/// exist yet), loaded as a project. An `anonymous` one (no id) keeps its
/// isolate at most [`ANONYMOUS_IDLE`] without events.
pub(crate) fn build(
    parent: &WorkerSpec,
    name: String,
    code: &DynamicCode,
    dir: &Path,
    anonymous: bool,
) -> Result<WorkerSpec, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let rules = write_modules(code, dir)?;
    let flags = code.compatibility_flags.clone();
    let date = Some(code.compatibility_date.as_str());
    let node = NodeCompat::resolve(date, &flags);
    let mut options = ProjectOptions::new(dir, PathBuf::from(&code.main_module));
    options.rules = rules;
    options.builtins = crate::builtin_modules(&node);
    options.confined = true;
    let mut spec = WorkerSpec::from_project(name, &options).map_err(|e| e.to_string())?;
    spec.engine = parent.engine.clone();
    spec.request_cf = parent.request_cf.clone();
    spec.compatibility_flags = flags.clone();
    spec.node_compat = node;
    spec.platform_compat = PlatformCompat::resolve(date, &flags);
    // One isolate per dynamic Worker, as Cloudflare has one per id.
    spec.max_instances = Some(1);
    let mut limits = parent.limits;
    if let Some(ms) = code.limits.cpu_ms.filter(|ms| *ms > 0.0) {
        limits.cpu = std::time::Duration::from_secs_f64(ms / 1000.0);
    }
    if let Some(n) = code.limits.subrequests {
        limits.subrequests = n;
    }
    if anonymous {
        limits.idle_timeout = limits.idle_timeout.min(ANONYMOUS_IDLE);
    }
    spec.limits = limits;
    if code.outbound == super::GlobalOutbound::Inherit {
        spec.egress_hosts = parent.egress_hosts.clone();
        spec.database_tls = parent.database_tls.clone();
    }
    spec.global_outbound = code.outbound.clone();
    spec.tails = code.tails.clone();
    spec.sandboxed = true;
    for (binding, wire) in &code.values {
        let data = HostValue::Map(vec![
            ("type".into(), text("value")),
            ("value".into(), wire.clone()),
        ]);
        spec.platform.push((binding.clone(), data));
    }
    for (binding, s) in &code.services {
        let data = HostValue::Map(vec![
            ("type".into(), text("service")),
            ("worker".into(), text(&s.worker)),
            (
                "entrypoint".into(),
                s.entrypoint.as_deref().map_or(HostValue::Null, text),
            ),
            ("props".into(), s.props.clone()),
        ]);
        spec.platform.push((binding.clone(), data));
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::glob_literal;

    #[test]
    fn glob_characters_are_escaped() {
        assert_eq!(glob_literal("a*b?.txt"), "a\\*b\\?.txt");
        assert_eq!(glob_literal("plain.txt"), "plain.txt");
    }
}
