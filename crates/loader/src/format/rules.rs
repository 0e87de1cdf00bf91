//! Module rules: which imported files become Text, Data or CompiledWasm
//! modules, as wrangler's `rules` key says.
//!
//! A rule has a type and globs. The project's rules are the user's, in
//! order, followed by wrangler's defaults:
//!
//! | type           | default globs                        | the module's default export |
//! |----------------|--------------------------------------|-----------------------------|
//! | `Text`         | `**/*.txt`, `**/*.html`, `**/*.sql`  | the file as a string (UTF-8) |
//! | `Data`         | `**/*.bin`                           | an `ArrayBuffer` of the bytes |
//! | `CompiledWasm` | `**/*.wasm`, `**/*.wasm?module`      | a `WebAssembly.Module` |
//!
//! As in wrangler, the first rule of a type that does not set
//! `fallthrough = true` is the last of that type: later rules of the same
//! type (the defaults included) are dropped. A file matches the first
//! remaining rule one of whose globs matches the import specifier (as
//! written, without a `?query`); `*` and `**` match across `/`, so
//! `**/*.txt` matches `./a.txt`, `a.txt` and `pkg/a.txt`. `ESModule` and
//! `CommonJS` rules are accepted and, as when wrangler bundles, do not
//! change how JavaScript is read (see [`crate::format`]).

use crate::LoaderError;

/// What a rule makes of the files it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleType {
    /// JavaScript, read as an ES module or CommonJS by its content.
    ESModule,
    /// JavaScript, read as an ES module or CommonJS by its content.
    CommonJS,
    /// A string of the file's text.
    Text,
    /// An `ArrayBuffer` of the file's bytes.
    Data,
    /// A `WebAssembly.Module` compiled from the file (V8 only).
    CompiledWasm,
}

impl RuleType {
    /// The type named `name` as wrangler spells it (`Text`, `Data`,
    /// `CompiledWasm`, `ESModule`, `CommonJS`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "ESModule" => Self::ESModule,
            "CommonJS" => Self::CommonJS,
            "Text" => Self::Text,
            "Data" => Self::Data,
            "CompiledWasm" => Self::CompiledWasm,
            _ => return None,
        })
    }

    /// The type's name as wrangler spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::ESModule => "ESModule",
            Self::CommonJS => "CommonJS",
            Self::Text => "Text",
            Self::Data => "Data",
            Self::CompiledWasm => "CompiledWasm",
        }
    }
}

/// One module rule (an entry of wrangler's `rules`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleRule {
    /// What matching files become.
    pub rule_type: RuleType,
    /// Glob patterns matched against import specifiers.
    pub globs: Vec<String>,
    /// Whether later rules of the same type still apply. Default `false`.
    pub fallthrough: bool,
}

impl ModuleRule {
    /// A rule of `rule_type` for `globs`, without fallthrough.
    pub fn new(rule_type: RuleType, globs: &[&str]) -> Self {
        Self {
            rule_type,
            globs: globs.iter().map(|g| (*g).to_owned()).collect(),
            fallthrough: false,
        }
    }
}

/// Wrangler's default rules, which follow the user's.
pub fn default_rules() -> Vec<ModuleRule> {
    vec![
        ModuleRule::new(RuleType::Text, &["**/*.txt", "**/*.html", "**/*.sql"]),
        ModuleRule::new(RuleType::Data, &["**/*.bin"]),
        ModuleRule::new(RuleType::CompiledWasm, &["**/*.wasm", "**/*.wasm?module"]),
    ]
}

/// The rules in force: the user's then the defaults, with the rules that
/// a rule without fallthrough ends dropped.
#[derive(Debug, Clone)]
pub(crate) struct Rules(Vec<ModuleRule>);

impl Rules {
    /// The rules in force for the user's `rules`; an invalid glob is an
    /// error naming it.
    pub(crate) fn new(user: &[ModuleRule]) -> Result<Self, LoaderError> {
        let mut kept: Vec<ModuleRule> = Vec::new();
        let mut closed: Vec<RuleType> = Vec::new();
        for rule in user.iter().cloned().chain(default_rules()) {
            if closed.contains(&rule.rule_type) {
                continue;
            }
            for glob in &rule.globs {
                fast_glob::validate(glob).map_err(|e| LoaderError::Rule {
                    glob: glob.clone(),
                    message: format!("{:?} at {}", e.kind, e.index),
                })?;
            }
            if !rule.fallthrough {
                closed.push(rule.rule_type);
            }
            kept.push(rule);
        }
        Ok(Self(kept))
    }

    /// The type of the first rule matching `specifier` (its `?query`
    /// ignored, except that `?module` stays for `**/*.wasm?module`).
    pub(crate) fn matching(&self, specifier: &str) -> Option<RuleType> {
        let bare = specifier.split(['?', '#']).next().unwrap_or(specifier);
        self.0
            .iter()
            .find(|rule| {
                rule.globs
                    .iter()
                    .any(|g| fast_glob::glob_match(g, bare) || fast_glob::glob_match(g, specifier))
            })
            .map(|rule| rule.rule_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_wrangler_extensions() {
        let rules = Rules::new(&[]).unwrap();
        assert_eq!(rules.matching("./a.txt"), Some(RuleType::Text));
        assert_eq!(rules.matching("a.txt"), Some(RuleType::Text));
        assert_eq!(rules.matching("../x/page.html"), Some(RuleType::Text));
        assert_eq!(rules.matching("pkg/schema.sql"), Some(RuleType::Text));
        assert_eq!(rules.matching("./blob.bin"), Some(RuleType::Data));
        assert_eq!(rules.matching("./add.wasm"), Some(RuleType::CompiledWasm));
        assert_eq!(
            rules.matching("./add.wasm?module"),
            Some(RuleType::CompiledWasm)
        );
        assert_eq!(rules.matching("./index.js"), None);
        assert_eq!(rules.matching("hono"), None);
    }

    #[test]
    fn a_rule_without_fallthrough_ends_its_type() {
        let md = ModuleRule::new(RuleType::Text, &["**/*.md"]);
        let rules = Rules::new(std::slice::from_ref(&md)).unwrap();
        assert_eq!(rules.matching("./README.md"), Some(RuleType::Text));
        // The default Text rule is dropped…
        assert_eq!(rules.matching("./a.txt"), None);
        // …but not the defaults of other types.
        assert_eq!(rules.matching("./a.bin"), Some(RuleType::Data));
        let rules = Rules::new(&[ModuleRule {
            fallthrough: true,
            ..md
        }])
        .unwrap();
        assert_eq!(rules.matching("./a.txt"), Some(RuleType::Text));
        assert_eq!(rules.matching("./README.md"), Some(RuleType::Text));
    }

    #[test]
    fn user_rules_come_first() {
        let rules = Rules::new(&[ModuleRule::new(RuleType::Data, &["**/*.txt"])]).unwrap();
        assert_eq!(rules.matching("./a.txt"), Some(RuleType::Data));
    }

    #[test]
    fn an_invalid_glob_is_an_error() {
        let err = Rules::new(&[ModuleRule::new(RuleType::Text, &["**/*.{md"])]).unwrap_err();
        assert!(err.to_string().contains("**/*.{md"), "{err}");
    }
}
