//! Which files a project may load, and the module name each is known by.
//!
//! A project's own files lie inside its root (the folder of its config),
//! and are named by their path relative to it (`src/index.ts`). Two layouts
//! that npm, pnpm and yarn make put a project's packages above its root,
//! and wrangler's bundler follows them, so motu does too:
//!
//! - **hoisted packages**: `node_modules` folders of the root's ancestors
//!   (a monorepo's packages are installed once, at its top; Node's own
//!   lookup walks up the same way);
//! - **workspaces**: when an ancestor is a workspace root (a `package.json`
//!   with `workspaces`, or a `pnpm-workspace.yaml`), its sibling packages,
//!   which `node_modules` links to by symbolic link, anywhere below it.
//!
//! A file there is named by its path from that ancestor, behind one `../`
//! per level between the ancestor and the root
//! (`../../node_modules/hono/dist/index.js`): unique, and telling in stack
//! traces. Anything else outside the root is refused.

use std::path::{Component, Path, PathBuf};

/// The folders a project's files may come from.
#[derive(Debug)]
pub(crate) struct Confinement {
    root: PathBuf,
    /// The nearest ancestor of the root that is a workspace root.
    workspace: Option<PathBuf>,
    /// Whether only the root's own files may be loaded (no hoisted
    /// packages, no workspace): for code that is not trusted.
    strict: bool,
}

impl Confinement {
    /// The confinement of a project at `root` (a real path).
    pub(crate) fn new(root: PathBuf) -> Self {
        let workspace = root.ancestors().skip(1).find(|dir| is_workspace_root(dir));
        Self {
            workspace: workspace.map(Path::to_path_buf),
            root,
            strict: false,
        }
    }

    /// The confinement of a project at `root` that may load its own files
    /// only.
    pub(crate) fn strict(root: PathBuf) -> Self {
        Self {
            root,
            workspace: None,
            strict: true,
        }
    }

    /// The project's root.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The module name of the file at the real path `path`, or `None` when
    /// the project may not load it.
    pub(crate) fn name(&self, path: &Path) -> Option<String> {
        if let Ok(relative) = path.strip_prefix(&self.root) {
            return module_name(relative);
        }
        if self.strict {
            return None;
        }
        for (levels, ancestor) in self.root.ancestors().enumerate().skip(1) {
            let Ok(relative) = path.strip_prefix(ancestor) else {
                continue;
            };
            let allowed =
                relative.starts_with("node_modules") || self.workspace.as_deref() == Some(ancestor);
            if !allowed {
                continue;
            }
            let name = module_name(relative)?;
            return Some(format!("{}{name}", "../".repeat(levels)));
        }
        None
    }
}

/// Whether `dir` is the root of an npm/yarn or pnpm workspace.
fn is_workspace_root(dir: &Path) -> bool {
    if dir.join("pnpm-workspace.yaml").is_file() {
        return true;
    }
    let Ok(text) = std::fs::read_to_string(dir.join("package.json")) else {
        return false;
    };
    serde_json::from_str::<serde_json::Value>(&text)
        .is_ok_and(|manifest| manifest.get("workspaces").is_some())
}

/// The module name of a path relative to the root: `/`-separated, with no
/// `.`, `..` or root components.
fn module_name(relative: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in relative.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn hoisted_packages_and_workspace_siblings_are_named_from_above() {
        let top = tempfile::tempdir().unwrap();
        let top = top.path().canonicalize().unwrap();
        let root = top.join("apps/api");
        write(&root.join("src/index.ts"), "");
        assert_eq!(
            Confinement::strict(root.clone()).name(&top.join("node_modules/hono/dist/index.js")),
            None
        );
        let plain = Confinement::new(root.clone());
        assert_eq!(
            plain.name(&root.join("src/index.ts")).as_deref(),
            Some("src/index.ts")
        );
        assert_eq!(
            plain
                .name(&top.join("node_modules/hono/dist/index.js"))
                .as_deref(),
            Some("../../node_modules/hono/dist/index.js")
        );
        assert_eq!(
            plain.name(&top.join("apps/node_modules/x/i.js")).as_deref(),
            Some("../node_modules/x/i.js")
        );
        // Without a workspace, a sibling folder is out of bounds.
        assert_eq!(plain.name(&top.join("packages/shared/index.js")), None);
        assert_eq!(plain.name(&top.join("apps/web/secret.js")), None);
        write(&top.join("package.json"), r#"{ "workspaces": ["apps/*"] }"#);
        let workspace = Confinement::new(root.clone());
        assert_eq!(
            workspace
                .name(&top.join("packages/shared/index.js"))
                .as_deref(),
            Some("../../packages/shared/index.js")
        );
        assert_eq!(
            workspace.name(&top.join("apps/web/x.js")).as_deref(),
            Some("../../apps/web/x.js")
        );
        assert_eq!(workspace.name(Path::new("/etc/passwd")), None);
    }
}
