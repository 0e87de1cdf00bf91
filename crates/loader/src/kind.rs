//! What kind of module a file is.

/// The kind of a module, which decides how it becomes JavaScript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
    /// JavaScript (`.js`, `.mjs`, `.cjs`), used as it is.
    JavaScript,
    /// TypeScript (`.ts`, `.mts`, `.cts`).
    TypeScript,
    /// TypeScript with JSX (`.tsx`).
    Tsx,
    /// JavaScript with JSX (`.jsx`).
    Jsx,
}

impl ModuleKind {
    /// The kind of the module named `name`, from its extension; `None` when
    /// the loader does not know the extension.
    pub fn of(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.').map(|(_, e)| e)?;
        Some(match ext {
            "js" | "mjs" | "cjs" => Self::JavaScript,
            "ts" | "mts" | "cts" => Self::TypeScript,
            "tsx" => Self::Tsx,
            "jsx" => Self::Jsx,
            _ => return None,
        })
    }

    /// Whether modules of this kind must be transpiled to run.
    pub fn needs_transpiling(self) -> bool {
        !matches!(self, Self::JavaScript)
    }
}

#[cfg(test)]
mod tests {
    use super::ModuleKind;

    #[test]
    fn kinds_follow_extensions() {
        assert_eq!(ModuleKind::of("a/b.js"), Some(ModuleKind::JavaScript));
        assert_eq!(ModuleKind::of("b.mts"), Some(ModuleKind::TypeScript));
        assert_eq!(ModuleKind::of("b.tsx"), Some(ModuleKind::Tsx));
        assert_eq!(ModuleKind::of("b.jsx"), Some(ModuleKind::Jsx));
        assert_eq!(ModuleKind::of("README"), None);
    }
}
