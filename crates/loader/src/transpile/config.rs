//! The options transpiling follows: the project's `tsconfig.json` (found and
//! read, `extends` included, by `oxc_resolver`) and the project options.
//!
//! `compilerOptions` read, and what they do:
//!
//! - `jsx`: `react` (and `preserve`, `react-native`: a Worker cannot run JSX,
//!   so it is compiled anyway) is the classic runtime; `react-jsx` the
//!   automatic runtime; `react-jsxdev` the automatic runtime's development
//!   form. Without it: the classic runtime, as esbuild (and so wrangler)
//!   does.
//! - `jsxFactory`, `jsxFragmentFactory`: the classic runtime's functions.
//! - `jsxImportSource`: where the automatic runtime imports from
//!   (`<source>/jsx-runtime`); default `react`.
//! - `experimentalDecorators`, `emitDecoratorMetadata`, `strictNullChecks`
//!   (or `strict`): legacy decorators and their metadata.
//! - `useDefineForClassFields` (default: true when `target` is ES2022 or
//!   later, or not set): when false, class fields without an initializer
//!   are removed, as `tsc` does.
//! - `verbatimModuleSyntax`, `preserveValueImports`: only type-only imports
//!   are removed; otherwise an import whose bindings are used only as types
//!   goes too.
//!
//! A module's own pragmas (`@jsx`, `@jsxFrag`, `@jsxRuntime`,
//! `@jsxImportSource` in a comment before its first statement) win over
//! all of these.

use std::path::{Path, PathBuf};

use oxc_resolver::{ResolveOptions, Resolver, TsconfigDiscovery};

use crate::{LoaderError, ProjectOptions};

/// How a JSX module is compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jsx {
    /// Calls to a factory (`React.createElement(type, props, ...children)`).
    Classic {
        /// The factory.
        factory: String,
        /// The fragment.
        fragment: String,
    },
    /// Calls to functions imported from `<import_source>/jsx-runtime`.
    Automatic {
        /// The package (or path) the runtime is imported from.
        import_source: String,
        /// The development form (`jsx-dev-runtime`).
        development: bool,
    },
}

/// Everything that decides what a module becomes (besides its text). Its
/// `Debug` form is part of the cache key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranspileOptions {
    /// JSX.
    pub jsx: Jsx,
    /// Legacy (experimental) decorators; TC39 standard decorators are
    /// refused otherwise.
    pub legacy_decorators: bool,
    /// Emit `design:*` metadata for legacy decorators.
    pub decorator_metadata: bool,
    /// `strictNullChecks`, for the metadata of union types.
    pub strict_null_checks: bool,
    /// Class fields have define semantics (`useDefineForClassFields`).
    pub define_class_fields: bool,
    /// Remove only type-only imports (`verbatimModuleSyntax`).
    pub only_remove_type_imports: bool,
    /// Global expressions and what they become, in order of precedence
    /// (the first entry for a key wins).
    pub define: Vec<(String, String)>,
    /// The `tsconfig.json` read, if any (not part of what it decides; shown
    /// in errors).
    pub tsconfig: Option<PathBuf>,
}

impl TranspileOptions {
    /// The options of a project: `tsconfig` from `options.tsconfig` or the
    /// one nearest to `entry` (an absolute path).
    pub fn for_project(options: &ProjectOptions, entry: &Path) -> Result<Self, LoaderError> {
        let resolver = Resolver::new(ResolveOptions {
            tsconfig: Some(TsconfigDiscovery::Auto),
            ..ResolveOptions::default()
        });
        let found = match &options.tsconfig {
            Some(path) => {
                let path = absolute(&options.root.join(path));
                Some(
                    resolver
                        .resolve_tsconfig(&path)
                        .map_err(|e| tsconfig_error(&path, &e))?,
                )
            }
            None => resolver
                .find_tsconfig(entry)
                .map_err(|e| tsconfig_error(entry, &e))?,
        };
        let default = oxc_resolver::CompilerOptions::default();
        let co = found.as_ref().map_or(&default, |t| &t.compiler_options);

        let jsx = match co.jsx.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some(mode @ ("react-jsx" | "react-jsxdev")) => Jsx::Automatic {
                import_source: co
                    .jsx_import_source
                    .clone()
                    .unwrap_or_else(|| "react".into()),
                development: mode == "react-jsxdev",
            },
            _ => Jsx::Classic {
                factory: co
                    .jsx_factory
                    .clone()
                    .or_else(|| options.jsx_factory.clone())
                    .unwrap_or_else(|| "React.createElement".into()),
                fragment: co
                    .jsx_fragment_factory
                    .clone()
                    .or_else(|| options.jsx_fragment.clone())
                    .unwrap_or_else(|| "React.Fragment".into()),
            },
        };
        let define_class_fields = co.use_define_for_class_fields.unwrap_or_else(|| {
            co.target
                .as_deref()
                .is_none_or(|t| target_has_define_semantics(&t.to_ascii_lowercase()))
        });
        let node_env = serde_json::to_string(&options.node_env).unwrap_or_default();
        let mut define = options.define.clone();
        for key in [
            "process.env.NODE_ENV",
            "global.process.env.NODE_ENV",
            "globalThis.process.env.NODE_ENV",
        ] {
            if !define.iter().any(|(k, _)| k == key) {
                define.push((key.into(), node_env.clone()));
            }
        }
        Ok(Self {
            jsx,
            legacy_decorators: co.experimental_decorators == Some(true),
            decorator_metadata: co.emit_decorator_metadata == Some(true),
            strict_null_checks: co.strict_null_checks.or(co.strict).unwrap_or(false),
            define_class_fields,
            only_remove_type_imports: co.verbatim_module_syntax == Some(true)
                || co.preserve_value_imports == Some(true),
            define,
            tsconfig: found.map(|t| t.path().to_path_buf()),
        })
    }

    /// What of these options decides a module's output, as text (part of
    /// the cache key): everything but where the tsconfig was.
    pub fn fingerprint(&self) -> String {
        let Self {
            jsx,
            legacy_decorators,
            decorator_metadata,
            strict_null_checks,
            define_class_fields,
            only_remove_type_imports,
            define,
            tsconfig: _,
        } = self;
        format!(
            "{jsx:?} {legacy_decorators} {decorator_metadata} {strict_null_checks} \
             {define_class_fields} {only_remove_type_imports} {define:?}"
        )
    }

    /// The text a JavaScript module must contain for a `define` to apply
    /// to it: the last name of each key (`NODE_ENV` of
    /// `process.env.NODE_ENV`).
    pub fn define_triggers(&self) -> impl Iterator<Item = &str> {
        self.define
            .iter()
            .map(|(k, _)| k.rsplit('.').next().unwrap_or(k))
    }
}

/// Whether a `target` of tsconfig gives class fields define semantics by
/// default (ES2022 and later).
fn target_has_define_semantics(target: &str) -> bool {
    match target.strip_prefix("es") {
        Some("next") => true,
        Some(year) => year.parse::<u32>().is_ok_and(|y| y >= 2022),
        None => false,
    }
}

/// `path` made absolute against the current folder (`oxc_resolver` looks
/// only at absolute paths).
pub(crate) fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn tsconfig_error(path: &Path, e: &oxc_resolver::ResolveError) -> LoaderError {
    LoaderError::Config {
        path: path.to_path_buf(),
        message: format!("cannot read tsconfig: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options_of(tsconfig: Option<&str>) -> TranspileOptions {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/index.ts"), "").unwrap();
        if let Some(text) = tsconfig {
            std::fs::write(dir.path().join("tsconfig.json"), text).unwrap();
        }
        let entry = absolute(&dir.path().join("src/index.ts"));
        TranspileOptions::for_project(&ProjectOptions::new(dir.path(), &entry), &entry).unwrap()
    }

    #[test]
    fn without_tsconfig_the_defaults_are_esbuilds() {
        let o = options_of(None);
        assert_eq!(
            o.jsx,
            Jsx::Classic {
                factory: "React.createElement".into(),
                fragment: "React.Fragment".into()
            }
        );
        assert!(!o.legacy_decorators);
        assert!(o.define_class_fields);
        assert!(!o.only_remove_type_imports);
        assert!(o
            .define
            .contains(&("process.env.NODE_ENV".into(), "\"production\"".into())));
        assert_eq!(o.tsconfig, None);
    }

    #[test]
    fn compiler_options_are_read_with_comments_and_trailing_commas() {
        let o = options_of(Some(
            r#"{
              // Hono's template
              "compilerOptions": {
                "target": "ES2021",
                "jsx": "react-jsx",
                "jsxImportSource": "hono/jsx", /* the automatic runtime */
                "experimentalDecorators": true,
                "emitDecoratorMetadata": true,
                "verbatimModuleSyntax": true,
              },
            }"#,
        ));
        assert_eq!(
            o.jsx,
            Jsx::Automatic {
                import_source: "hono/jsx".into(),
                development: false
            }
        );
        assert!(o.legacy_decorators && o.decorator_metadata && o.only_remove_type_imports);
        assert!(!o.define_class_fields, "ES2021 has set semantics");
        assert!(o.tsconfig.is_some());
    }

    #[test]
    fn extends_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("base.json"),
            r#"{ "compilerOptions": { "jsx": "react", "jsxFactory": "h", "useDefineForClassFields": false } }"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("tsconfig.json"),
            r#"{ "extends": "./base.json", "compilerOptions": { "jsxFragmentFactory": "Frag" } }"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("index.tsx"), "").unwrap();
        let entry = absolute(&dir.path().join("index.tsx"));
        let o = TranspileOptions::for_project(&ProjectOptions::new(dir.path(), &entry), &entry)
            .unwrap();
        assert_eq!(
            o.jsx,
            Jsx::Classic {
                factory: "h".into(),
                fragment: "Frag".into()
            }
        );
        assert!(!o.define_class_fields);
    }

    #[test]
    fn a_broken_tsconfig_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("tsconfig.json"),
            "{ \"compilerOptions\": [ }",
        )
        .unwrap();
        std::fs::write(dir.path().join("index.ts"), "").unwrap();
        let entry = absolute(&dir.path().join("index.ts"));
        let err = TranspileOptions::for_project(&ProjectOptions::new(dir.path(), &entry), &entry)
            .unwrap_err();
        assert!(err.to_string().contains("tsconfig"), "{err}");
    }

    #[test]
    fn targets() {
        assert!(target_has_define_semantics("es2022"));
        assert!(target_has_define_semantics("esnext"));
        assert!(!target_has_define_semantics("es2021"));
        assert!(!target_has_define_semantics("es5"));
    }
}
