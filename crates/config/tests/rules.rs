//! Module rules (`rules`) in motu.toml and in Wrangler configs.

use motu_config::{ConfigError, ModuleRuleSettings, ModuleRuleType};

mod common;

use common::Dir;

impl Dir {
    fn new() -> Self {
        Dir::with(&[("src/index.js", "export default {}")])
    }
    fn rules(
        &self,
        file: &str,
        text: &str,
        env: Option<&str>,
    ) -> Result<Vec<ModuleRuleSettings>, ConfigError> {
        let loaded = self.load_any(file, text, env, &[])?;
        Ok(loaded.settings.workers[0].rules.clone())
    }
}

fn rule(rule_type: ModuleRuleType, globs: &[&str], fallthrough: bool) -> ModuleRuleSettings {
    ModuleRuleSettings {
        rule_type,
        globs: globs.iter().map(|g| (*g).to_owned()).collect(),
        fallthrough,
    }
}

#[test]
fn motu_toml_rules_are_read() {
    let d = Dir::new();
    let rules = d
        .rules(
            "motu.toml",
            r#"
[[workers]]
name = "w"
main = "src/index.js"
[[workers.rules]]
type = "Text"
globs = ["**/*.md", "**/*.csv"]
fallthrough = true
[[workers.rules]]
type = "Data"
globs = ["**/*.dat"]
"#,
            None,
        )
        .unwrap();
    assert_eq!(
        rules,
        [
            rule(ModuleRuleType::Text, &["**/*.md", "**/*.csv"], true),
            rule(ModuleRuleType::Data, &["**/*.dat"], false),
        ]
    );
}

#[test]
fn wrangler_rules_are_read_and_inherited_by_environments() {
    let d = Dir::new();
    let text = r#"{
  "name": "w",
  "main": "src/index.js",
  // module rules
  "rules": [{ "type": "CompiledWasm", "globs": ["**/*.wasm.bin"] }],
  "env": { "staging": {}, "other": { "rules": [{ "type": "Text", "globs": ["**/*.tpl"] }] } }
}"#;
    let top = d.rules("wrangler.jsonc", text, None).unwrap();
    assert_eq!(
        top,
        [rule(
            ModuleRuleType::CompiledWasm,
            &["**/*.wasm.bin"],
            false
        )]
    );
    assert_eq!(
        d.rules("wrangler.jsonc", text, Some("staging")).unwrap(),
        top
    );
    assert_eq!(
        d.rules("wrangler.jsonc", text, Some("other")).unwrap(),
        [rule(ModuleRuleType::Text, &["**/*.tpl"], false)]
    );
}

#[test]
fn bad_rules_name_the_field() {
    let d = Dir::new();
    let err = |text: &str| {
        d.rules("wrangler.toml", text, None)
            .unwrap_err()
            .to_string()
    };
    let base = "name = \"w\"\nmain = \"src/index.js\"\n";
    let e = err(&format!(
        "{base}[[rules]]\ntype = \"Yaml\"\nglobs = [\"*.yml\"]\n"
    ));
    assert!(
        e.contains("rules[0].type") && e.contains("'Yaml' is not a module type"),
        "{e}"
    );
    let e = err(&format!(
        "{base}[[rules]]\ntype = \"PythonModule\"\nglobs = [\"*.py\"]\n"
    ));
    assert!(e.contains("Python Workers are not supported"), "{e}");
    let e = err(&format!("{base}[[rules]]\ntype = \"Text\"\n"));
    assert!(e.contains("rules[0].globs"), "{e}");
    let e = err(&format!("{base}rules = \"Text\"\n"));
    assert!(e.contains("rules") && e.contains("must be a list"), "{e}");
}
