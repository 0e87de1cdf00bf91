//! The import graph of a project, walked eagerly when it loads.
//!
//! From the entry, every static import, `export … from`, `import()` with a
//! literal specifier and `require()` with a literal specifier is resolved
//! ([`crate::resolve`]) and every file reached is read, transpiled and
//! turned into the ES module(s) its format needs ([`crate::format`]),
//! before any isolate exists. A missing package or file, a built-in module
//! motu does not provide, a file outside the project, or a module that does
//! not parse is one error naming the importing file and line. (A
//! `require()` or `import()` inside a `try` block that cannot be resolved
//! is left to fail at run time, where the module catches it, as esbuild
//! does.)
//!
//! Engines then only read the results: the JavaScript of each module by
//! name, the bytes of Data and CompiledWasm modules, and the links from
//! each (importing module, specifier) to a module name. An `import()` whose
//! specifier is computed at run time is resolved then, the same way, and
//! the part of the graph it reaches is walked at that moment.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use crate::format::rules::{RuleType, Rules};
use crate::format::{
    self, analyze, data_module, esm_view, factory, json_module, text_module, wasm_module,
    with_import_meta, with_require, with_require_table, Analysis, Format, Request, RequestKind,
    Required, GENERATED, HELPER, HELPER_NAME,
};
use crate::resolve::{Kind, Resolver, Target};
use crate::transpile::Transpiler;
use crate::{LoaderError, ModuleKind};

/// The name of the empty module a `browser` field's `false` maps to.
const EMPTY: &str = "motu:empty";

/// What a request resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Link {
    /// A file of the graph, by name.
    File(String),
    /// A built-in module, by name.
    Builtin(String),
}

/// A JavaScript file's text and what it asks for.
#[derive(Debug)]
struct Js {
    /// The JavaScript (transpiled when the file was TypeScript or JSX).
    code: String,
    /// The file's own text, when transpiling changed it (for error lines).
    original: Option<String>,
    analysis: Analysis,
    /// What each of `analysis.requests` resolved to (`None`: left to fail
    /// at run time).
    links: Vec<Option<Link>>,
}

/// A file of the graph.
#[derive(Debug)]
struct File {
    path: PathBuf,
    format: Format,
    node_esm: bool,
    js: Option<Js>,
}

/// Why a file cannot join the graph.
enum AddError {
    /// The importer's fault (no rule for the file type): reported at the
    /// import.
    Import(String),
    /// The file's own fault (unreadable, does not parse).
    Module(LoaderError),
}

/// The modules of a project and the links between them.
#[derive(Debug)]
pub(crate) struct Graph {
    resolver: Resolver,
    rules: Rules,
    transpiler: Transpiler,
    files: HashMap<String, File>,
    modules: HashMap<String, Arc<str>>,
    bytes: HashMap<String, Arc<[u8]>>,
    /// The text of each Text and JSON module, as its file has it (for
    /// `/bundle`).
    texts: HashMap<String, Arc<str>>,
    links: HashMap<String, HashMap<String, String>>,
    /// The entry's name, once added (its `import.meta.main` is true).
    entry: Option<String>,
}

impl Graph {
    /// An empty graph.
    pub(crate) fn new(resolver: Resolver, rules: Rules, transpiler: Transpiler) -> Self {
        Self {
            resolver,
            rules,
            transpiler,
            files: HashMap::new(),
            modules: HashMap::new(),
            bytes: HashMap::new(),
            texts: HashMap::new(),
            links: HashMap::new(),
            entry: None,
        }
    }

    /// The transpiler of the graph's TypeScript, JSX and `define`s.
    pub(crate) fn transpiler(&self) -> &Transpiler {
        &self.transpiler
    }

    /// Lets go of what resolving and transpiling keep between modules (the
    /// resolver's cache of the disk, the transpiler's `define` set-up):
    /// once the graph is walked, the Worker needs them only for an import
    /// that run time alone can see, which makes them again.
    pub(crate) fn settle(&mut self) {
        self.resolver.forget();
        self.transpiler.forget();
    }

    /// The JavaScript of the module `name`.
    pub(crate) fn module(&self, name: &str) -> Option<Arc<str>> {
        self.modules.get(name).cloned()
    }

    /// The bytes of the Data or CompiledWasm module `name`.
    pub(crate) fn bytes(&self, name: &str) -> Option<Arc<[u8]>> {
        self.bytes.get(name).cloned()
    }

    /// The names of the project's files in the graph, sorted (node:fs's
    /// `/bundle`).
    pub(crate) fn bundle_files(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .files
            .keys()
            .filter(|name| name.as_str() != EMPTY)
            .cloned()
            .collect();
        names.sort();
        names
    }

    /// What `/bundle/NAME` holds: a Text or JSON module's text and a Data
    /// or CompiledWasm module's bytes as their files have them; for
    /// JavaScript, the module motu runs (transpiled, CommonJS wrapped), as
    /// the bundle a Worker is uploaded as holds its JavaScript.
    pub(crate) fn bundle_file(&self, name: &str) -> Option<Arc<[u8]>> {
        let file = self.files.get(name)?;
        match file.format {
            Format::Text | Format::Json => self.texts.get(name).map(|t| Arc::from(t.as_bytes())),
            Format::Data | Format::CompiledWasm => self.bytes.get(name).cloned(),
            Format::Esm | Format::CommonJs => {
                self.modules.get(name).map(|m| Arc::from(m.as_bytes()))
            }
        }
    }

    /// The module `specifier` imported by `referrer` was linked to, if the
    /// walk saw that import (or generated it).
    pub(crate) fn link(&self, referrer: &str, specifier: &str) -> Option<String> {
        if let Some(name) = specifier.strip_prefix(GENERATED) {
            return self.modules.contains_key(name).then(|| name.to_owned());
        }
        self.links.get(referrer)?.get(specifier).cloned()
    }

    /// Adds the entry `target` and walks everything it imports. Returns
    /// whether the entry is an ES module; when it is not (a service-worker
    /// script), its text is served as it is and nothing is walked.
    pub(crate) fn add_entry(&mut self, target: Target) -> Result<(String, bool), LoaderError> {
        let Target::File {
            path,
            name,
            node_esm,
        } = target
        else {
            unreachable!("an entry is a file");
        };
        if !is_javascript(&name) {
            return Err(LoaderError::Unsupported {
                module: name,
                message: "the entry must be a JavaScript or TypeScript module".into(),
            });
        }
        match self.add_file(path, name.clone(), node_esm, None) {
            Ok(_) => {}
            Err(AddError::Module(e)) => return Err(e),
            Err(AddError::Import(message)) => {
                return Err(LoaderError::Unsupported {
                    module: name,
                    message,
                })
            }
        }
        let file = &self.files[&name];
        if file.format == Format::Esm {
            self.entry = Some(name.clone());
            self.walk(vec![name.clone()])?;
            Ok((name, true))
        } else {
            let code = file.js.as_ref().map(|js| js.code.as_str()).unwrap_or("");
            self.modules.insert(name.clone(), Arc::from(code));
            Ok((name, false))
        }
    }

    /// Links `specifier`, imported by `referrer` at run time (an `import()`
    /// the walk could not see), walking what it reaches.
    pub(crate) fn link_late(&mut self, referrer: &str, specifier: &str) -> Result<String, String> {
        let Some(file) = self.files.get(referrer) else {
            return Err(format!(
                "cannot import '{specifier}' from '{referrer}', which is not a module of the project"
            ));
        };
        let importer = file.path.clone();
        let node = file.node_esm;
        let target = self
            .resolver
            .resolve(&importer, specifier, Kind::Import)
            .map_err(|m| format!("import '{specifier}' from '{referrer}': {m}"))?;
        let link = self.join(target, specifier).map_err(|e| match e {
            AddError::Import(m) => format!("import '{specifier}' from '{referrer}': {m}"),
            AddError::Module(e) => e.to_string(),
        })?;
        let name = self.import_name(&link, node).map_err(|e| e.to_string())?;
        self.links
            .entry(referrer.to_owned())
            .or_default()
            .insert(specifier.to_owned(), name.clone());
        Ok(name)
    }

    /// Adds the module `name` (a path inside the root) when an engine asks
    /// for it by name without importing it.
    pub(crate) fn add_by_name(&mut self, name: &str) -> Option<()> {
        if name
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return None;
        }
        let path = self.resolver.root().join(name);
        let target = self.resolver.file(&path).ok()?;
        match &target {
            Target::File { name: real, .. } if real == name => {}
            _ => return None,
        }
        let link = self.join(target, name).ok()?;
        if let Link::File(n) = link {
            // Its ES module face is itself, or its view.
            if !self.modules.contains_key(&n) {
                return None;
            }
        }
        Some(())
    }

    /// Adds the file or built-in `target` (asked for as `specifier`) and
    /// walks what it imports.
    fn join(&mut self, target: Target, specifier: &str) -> Result<Link, AddError> {
        let link = match target {
            Target::File {
                path,
                name,
                node_esm,
            } => {
                let rule = self.rules.matching(specifier);
                if self.add_file(path, name.clone(), node_esm, rule)? {
                    self.walk(vec![name.clone()]).map_err(AddError::Module)?;
                }
                Link::File(name)
            }
            Target::Builtin(name) => {
                self.add_builtin(&name);
                Link::Builtin(name)
            }
            Target::Empty => {
                self.add_empty().map_err(AddError::Module)?;
                Link::File(EMPTY.into())
            }
        };
        Ok(link)
    }

    /// Reads the file `name` and works out its format; returns whether it
    /// is a new JavaScript file, whose imports are still to walk.
    fn add_file(
        &mut self,
        path: PathBuf,
        name: String,
        node_esm: bool,
        rule: Option<RuleType>,
    ) -> Result<bool, AddError> {
        if self.files.contains_key(&name) {
            return Ok(false);
        }
        let read = |path: &PathBuf| {
            std::fs::read(path).map_err(|source| {
                AddError::Module(LoaderError::Read {
                    path: path.clone(),
                    source,
                })
            })
        };
        let (format, js) = match rule {
            Some(RuleType::Text) => {
                let text = String::from_utf8_lossy(&read(&path)?).into_owned();
                self.modules.insert(name.clone(), text_module(&text).into());
                self.texts.insert(name.clone(), text.into());
                (Format::Text, None)
            }
            Some(RuleType::Data) => {
                self.bytes.insert(name.clone(), read(&path)?.into());
                self.modules.insert(name.clone(), data_module(&name).into());
                (Format::Data, None)
            }
            Some(RuleType::CompiledWasm) => {
                self.bytes.insert(name.clone(), read(&path)?.into());
                self.modules.insert(name.clone(), wasm_module(&name).into());
                (Format::CompiledWasm, None)
            }
            _ if name.ends_with(".json") => {
                let text = String::from_utf8_lossy(&read(&path)?).into_owned();
                if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
                    return Err(AddError::Module(LoaderError::Transform {
                        module: name,
                        line: e.line() as u32,
                        column: e.column() as u32,
                        message: format!("SyntaxError: invalid JSON: {e}"),
                    }));
                }
                self.modules.insert(name.clone(), json_module(&text).into());
                self.texts.insert(name.clone(), text.into());
                (Format::Json, None)
            }
            Some(RuleType::ESModule | RuleType::CommonJS) => {
                let js = self.read_js(&path, &name)?;
                (self.js_format(&name, &js, node_esm), Some(js))
            }
            None if is_javascript(&name) => {
                let js = self.read_js(&path, &name)?;
                (self.js_format(&name, &js, node_esm), Some(js))
            }
            None => {
                let file = name.rsplit('/').next().unwrap_or(&name);
                let what = match file.rsplit_once('.') {
                    Some((_, ext)) => format!("'.{ext}' files"),
                    None => format!("'{name}' (a file without an extension)"),
                };
                return Err(AddError::Import(format!(
                    "no module rule matches {what}; add one to `rules` (Text, Data or CompiledWasm)"
                )));
            }
        };
        let is_js = js.is_some();
        self.files.insert(
            name,
            File {
                path,
                format,
                node_esm,
                js,
            },
        );
        Ok(is_js)
    }

    fn js_format(&self, name: &str, js: &Js, node_esm: bool) -> Format {
        format::js_format(format::goal(name), &js.analysis, node_esm)
    }

    /// Reads, transpiles and analyses the JavaScript file `name`.
    fn read_js(&self, path: &PathBuf, name: &str) -> Result<Js, AddError> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            AddError::Module(LoaderError::Read {
                path: path.clone(),
                source,
            })
        })?;
        let kind = ModuleKind::of(name).unwrap_or(ModuleKind::JavaScript);
        let code = self
            .transpiler
            .module(name, kind, &text)
            .map_err(AddError::Module)?
            .to_string();
        let original = (code != text).then_some(text);
        let analysis = analyze(&code, format::goal(name)).map_err(|e| {
            let (line, column) = line_column(&code, e.offset);
            AddError::Module(LoaderError::Transform {
                module: name.to_owned(),
                line,
                column,
                message: format!("SyntaxError: {}", e.message),
            })
        })?;
        let count = analysis.requests.len();
        Ok(Js {
            code,
            original,
            analysis,
            links: vec![None; count],
        })
    }

    fn add_builtin(&mut self, name: &str) {
        if !self.modules.contains_key(name) {
            if let Some(source) = self.resolver.builtins().source(name) {
                self.modules.insert(name.to_owned(), source);
            }
        }
    }

    fn add_empty(&mut self) -> Result<(), LoaderError> {
        if self.files.contains_key(EMPTY) {
            return Ok(());
        }
        self.files.insert(
            EMPTY.into(),
            File {
                path: self.resolver.root().to_path_buf(),
                format: Format::CommonJs,
                node_esm: false,
                js: Some(Js {
                    code: String::new(),
                    original: None,
                    analysis: Analysis::default(),
                    links: Vec::new(),
                }),
            },
        );
        self.generate(EMPTY)
    }

    /// Resolves the requests of the JavaScript files `start` and of every
    /// new file they reach, then generates their modules.
    fn walk(&mut self, start: Vec<String>) -> Result<(), LoaderError> {
        let mut queue = start;
        let mut done = Vec::new();
        while let Some(name) = queue.pop() {
            let (importer, requests) = {
                let file = &self.files[&name];
                let js = file.js.as_ref().expect("walked files are JavaScript");
                (file.path.clone(), js.analysis.requests.clone())
            };
            let mut links = Vec::with_capacity(requests.len());
            for request in &requests {
                let kind = match request.kind {
                    RequestKind::Require => Kind::Require,
                    _ => Kind::Import,
                };
                let target = match self.resolver.resolve(&importer, &request.specifier, kind) {
                    Ok(target) => target,
                    Err(_) if request.optional => {
                        links.push(None);
                        continue;
                    }
                    Err(message) => return Err(self.import_error(&name, request, message)),
                };
                let link = match target {
                    Target::File {
                        path,
                        name: target,
                        node_esm,
                    } => {
                        let rule = self.rules.matching(&request.specifier);
                        match self.add_file(path, target.clone(), node_esm, rule) {
                            Ok(true) => queue.push(target.clone()),
                            Ok(false) => {}
                            Err(AddError::Import(_)) if request.optional => {
                                links.push(None);
                                continue;
                            }
                            Err(AddError::Import(m)) => {
                                return Err(self.import_error(&name, request, m))
                            }
                            Err(AddError::Module(e)) => return Err(e),
                        }
                        Link::File(target)
                    }
                    Target::Builtin(builtin) => {
                        self.add_builtin(&builtin);
                        Link::Builtin(builtin)
                    }
                    Target::Empty => {
                        self.add_empty()?;
                        Link::File(EMPTY.into())
                    }
                };
                links.push(Some(link));
            }
            if let Some(js) = self.files.get_mut(&name).and_then(|f| f.js.as_mut()) {
                js.links = links;
            }
            done.push(name);
        }
        for name in done {
            self.generate(&name)?;
        }
        Ok(())
    }

    /// The error of `request` of the module `name`.
    fn import_error(&self, name: &str, request: &Request, message: String) -> LoaderError {
        let js = self.files[name]
            .js
            .as_ref()
            .expect("walked files are JavaScript");
        LoaderError::Import {
            module: name.to_owned(),
            line: js.line_of(request.offset, &request.specifier),
            specifier: request.specifier.clone(),
            message,
        }
    }

    /// The name an ES module imports `link` by: a CommonJS module's view.
    fn import_name(&mut self, link: &Link, node: bool) -> Result<String, LoaderError> {
        match link {
            Link::Builtin(name) => Ok(name.clone()),
            Link::File(name) if self.files[name].format == Format::CommonJs => {
                self.view(name, node)
            }
            Link::File(name) => Ok(name.clone()),
        }
    }

    /// What `require()` of `link` yields.
    fn required(&self, link: &Link) -> Required {
        match link {
            // A `node:*` module's default export is its `module.exports`,
            // what Node.js's `require()` gives.
            Link::Builtin(name) if name.starts_with("node:") => Required::Value(name.clone()),
            Link::Builtin(name) => Required::Esm(name.clone()),
            Link::File(name) => match self.files[name].format {
                Format::CommonJs => Required::CommonJs(name.clone()),
                Format::Esm => Required::Esm(name.clone()),
                _ => Required::Value(name.clone()),
            },
        }
    }

    /// Generates the module(s) of the JavaScript file `name`, whose
    /// requests are resolved.
    fn generate(&mut self, name: &str) -> Result<(), LoaderError> {
        let (format, node, requests, links) = {
            let file = &self.files[name];
            let js = file.js.as_ref().expect("generated files are JavaScript");
            (
                file.format,
                file.node_esm,
                js.analysis.requests.clone(),
                js.links.clone(),
            )
        };
        let mut table: Vec<(Vec<String>, Required)> = Vec::new();
        let mut imports: HashMap<String, String> = HashMap::new();
        for (request, link) in requests.iter().zip(&links) {
            let Some(link) = link else { continue };
            if request.kind == RequestKind::Require {
                let required = self.required(link);
                match table.iter_mut().find(|(_, r)| *r == required) {
                    Some((specifiers, _)) => {
                        if !specifiers.contains(&request.specifier) {
                            specifiers.push(request.specifier.clone());
                        }
                    }
                    None => table.push((vec![request.specifier.clone()], required)),
                }
            } else {
                let target = self.import_name(link, node)?;
                imports.insert(request.specifier.clone(), target);
            }
        }
        let js = self.files[name].js.as_ref().expect("JavaScript");
        let mut code = blank(&js.code, &js.analysis.blanks);
        if !js.analysis.import_metas.is_empty() {
            let main = self.entry.as_deref() == Some(name);
            code = with_import_meta(&code, &js.analysis.import_metas, name, main);
        }
        let module = match format {
            Format::CommonJs => factory(&code, &table, name),
            _ if js.analysis.calls_require => with_require(&code, &table, name),
            _ if js.analysis.creates_require => with_require_table(&code, &table, name),
            _ => code,
        };
        if format == Format::CommonJs || js.analysis.calls_require || js.analysis.creates_require {
            self.modules
                .entry(HELPER_NAME.into())
                .or_insert_with(|| Arc::from(HELPER));
        }
        self.modules.insert(name.to_owned(), module.into());
        // The text is in the module now; what stays is the analysis (for
        // views and late imports).
        if let Some(js) = self.files.get_mut(name).and_then(|f| f.js.as_mut()) {
            js.code = String::new();
            js.original = None;
        }
        if !imports.is_empty() {
            self.links
                .entry(name.to_owned())
                .or_default()
                .extend(imports);
        }
        Ok(())
    }

    /// The ES module view of the CommonJS module `name` (made on first
    /// use); `node`: for importers Node.js loads as ES modules.
    fn view(&mut self, name: &str, node: bool) -> Result<String, LoaderError> {
        let view = format!("{name}?{}", if node { "node-view" } else { "esm-view" });
        if !self.modules.contains_key(&view) {
            let names: Vec<String> = self
                .export_names(name, &mut BTreeSet::new())
                .into_iter()
                .collect();
            self.modules
                .insert(view.clone(), esm_view(name, &names, node).into());
        }
        Ok(view)
    }

    /// The names the module `name` exports (as the static analysis sees
    /// them), following re-exports.
    fn export_names(&self, name: &str, seen: &mut BTreeSet<String>) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        if !seen.insert(name.to_owned()) {
            return names;
        }
        let Some(file) = self.files.get(name) else {
            return names;
        };
        let Some(js) = &file.js else { return names };
        let (own, reexports, kind) = match file.format {
            Format::CommonJs => (
                &js.analysis.cjs_exports,
                &js.analysis.cjs_reexports,
                RequestKind::Require,
            ),
            _ => (
                &js.analysis.esm_exports,
                &js.analysis.esm_star,
                RequestKind::Static,
            ),
        };
        names.extend(own.iter().filter(|n| *n != "default").cloned());
        for specifier in reexports {
            let target = js
                .analysis
                .requests
                .iter()
                .zip(&js.links)
                .find(|(r, _)| r.kind == kind && &r.specifier == specifier)
                .and_then(|(_, l)| l.as_ref());
            if let Some(Link::File(target)) = target {
                names.extend(self.export_names(target, seen));
            }
        }
        names.remove("default");
        names
    }
}

impl Js {
    /// The 1-based line of the request at `offset` of the code, in the
    /// file's own text.
    fn line_of(&self, offset: u32, specifier: &str) -> u32 {
        if let Some(original) = &self.original {
            // Transpiling moved lines: find the specifier in the original.
            for quote in ['\'', '"', '`'] {
                if let Some(at) = original.find(&format!("{quote}{specifier}{quote}")) {
                    return line_column(original, at as u32).0;
                }
            }
        }
        line_column(&self.code, offset).0
    }
}

/// Whether `name` is a JavaScript or TypeScript file.
fn is_javascript(name: &str) -> bool {
    ModuleKind::of(name).is_some()
}

/// 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: u32) -> (u32, u32) {
    let before = &text[..(offset as usize).min(text.len())];
    let line = before.matches('\n').count() as u32 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    (line, column)
}

/// `code` with each byte range of `blanks` replaced by spaces (line breaks
/// kept), so that positions stay where they were.
fn blank(code: &str, blanks: &[(u32, u32)]) -> String {
    if blanks.is_empty() {
        return code.to_owned();
    }
    let mut out = String::with_capacity(code.len());
    let mut at = 0;
    let mut sorted = blanks.to_vec();
    sorted.sort_unstable();
    for (start, end) in sorted {
        let (start, end) = (start as usize, end as usize);
        if start < at || end > code.len() {
            continue;
        }
        out.push_str(&code[at..start]);
        out.extend(
            code[start..end]
                .chars()
                .map(|c| if c == '\n' || c == '\r' { c } else { ' ' }),
        );
        at = end;
    }
    out.push_str(&code[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanking_keeps_positions() {
        let code = "import a from './a.json' with {\n type: 'json' };\nx";
        let start = code.find("with").unwrap() as u32;
        let end = code.find(" };").unwrap() as u32 + 2;
        let out = blank(code, &[(start, end)]);
        assert_eq!(out.len(), code.len());
        assert_eq!(out.lines().count(), code.lines().count());
        assert!(!out.contains("with"));
        assert_eq!(line_column(code, code.find('x').unwrap() as u32), (3, 1));
    }
}
