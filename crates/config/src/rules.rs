//! Module rules (`rules`, as in wrangler): which imported files are Text,
//! Data or CompiledWasm modules.
//!
//! ```toml
//! [[workers.rules]]
//! type = "Text"             # Text, Data, CompiledWasm, ESModule or CommonJS
//! globs = ["**/*.md"]       # matched against import specifiers
//! fallthrough = true        # later rules of the same type still apply (default false)
//! ```
//!
//! A Worker's rules come before the default ones (`**/*.txt`, `**/*.html`,
//! `**/*.sql` as Text, `**/*.bin` as Data, `**/*.wasm` as CompiledWasm);
//! the loader's docs (`motu_loader::format::rules`) say how they combine.

use serde::Deserialize;

/// What a module rule makes of the files it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleRuleType {
    /// JavaScript, read by its content (the rule changes nothing, as when
    /// wrangler bundles).
    ESModule,
    /// JavaScript, read by its content (as above).
    CommonJS,
    /// The file as a string.
    Text,
    /// The file as an `ArrayBuffer`.
    Data,
    /// The file as a `WebAssembly.Module` (V8 only).
    CompiledWasm,
}

/// One module rule of a Worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleRuleSettings {
    /// `type`.
    pub rule_type: ModuleRuleType,
    /// `globs`: patterns matched against import specifiers.
    pub globs: Vec<String>,
    /// `fallthrough`: whether later rules of the same type still apply.
    /// Default false.
    pub fallthrough: bool,
}

/// A rule as the file spells it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    #[serde(rename = "type")]
    pub(crate) rule_type: Option<String>,
    #[serde(default)]
    pub(crate) globs: Vec<String>,
    pub(crate) fallthrough: Option<bool>,
}

/// Validates `rules`; an error is `(field under the rules, message)`.
pub(crate) fn validate(rules: &[RawRule]) -> Result<Vec<ModuleRuleSettings>, (String, String)> {
    let mut out = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let rule_type = match rule.rule_type.as_deref() {
            None => return Err((format!("rules[{i}].type"), "missing".into())),
            Some("ESModule") => ModuleRuleType::ESModule,
            Some("CommonJS") => ModuleRuleType::CommonJS,
            Some("Text") => ModuleRuleType::Text,
            Some("Data") => ModuleRuleType::Data,
            Some("CompiledWasm") => ModuleRuleType::CompiledWasm,
            Some(t @ ("PythonModule" | "PythonRequirement")) => {
                return Err((
                    format!("rules[{i}].type"),
                    format!("'{t}': Python Workers are not supported"),
                ))
            }
            Some(t) => {
                return Err((
                    format!("rules[{i}].type"),
                    format!(
                        "'{t}' is not a module type (Text, Data, CompiledWasm, ESModule, CommonJS)"
                    ),
                ))
            }
        };
        if rule.globs.is_empty() {
            return Err((
                format!("rules[{i}].globs"),
                "needs at least one glob".into(),
            ));
        }
        out.push(ModuleRuleSettings {
            rule_type,
            globs: rule.globs.clone(),
            fallthrough: rule.fallthrough.unwrap_or(false),
        });
    }
    Ok(out)
}
