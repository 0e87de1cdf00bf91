//! CommonJS as ES modules: the factory, the ES module view, the
//! synchronous `require` and the small helper module they share (see the
//! [parent module](super) for the design).
//!
//! Generated code goes on the first line, before the module's own text,
//! so that the module's lines keep their numbers.

use super::{is_identifier_name, Required, GENERATED};

/// The name of the helper module.
pub(crate) const HELPER_NAME: &str = "motu:commonjs";

/// The helper module: an ES module's namespace as CommonJS exports (one
/// object per namespace, `__esModule: true`, live getters), and the error
/// of a `require()` of an unknown specifier.
pub(crate) const HELPER: &str = "\
const views = new WeakMap();
export function toCommonJS(ns) {
  let view = views.get(ns);
  if (view === undefined) {
    view = Object.defineProperty({}, '__esModule', { value: true });
    for (const key of Object.keys(ns)) {
      Object.defineProperty(view, key, { get: () => ns[key], enumerable: true });
    }
    views.set(ns, view);
  }
  return view;
}
export function missing(specifier, from) {
  const error = new Error(`Cannot find module '${specifier}' from '${from}'`);
  error.code = 'MODULE_NOT_FOUND';
  throw error;
}
";

/// `s` as a JavaScript string literal.
pub(crate) fn js_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The specifier generated code imports the module `name` by.
fn generated(name: &str) -> String {
    js_string(&format!("{GENERATED}{name}"))
}

/// One line of imports and a `function <fn_name>(specifier)` that maps each
/// specifier of `table` to what it requires, for the module `from`.
fn require_function(table: &[(Vec<String>, Required)], fn_name: &str, from: &str) -> String {
    let mut imports = format!(
        "import {{ toCommonJS as __motu_esm, missing as __motu_missing }} from {};",
        generated(HELPER_NAME)
    );
    let mut cases = String::new();
    for (i, (specifiers, required)) in table.iter().enumerate() {
        let local = format!("__motu_r{i}");
        let value = match required {
            Required::CommonJs(name) => {
                imports.push_str(&format!(
                    "import {{ __motu_cjs as {local} }} from {};",
                    generated(name)
                ));
                format!("{local}()")
            }
            Required::Esm(name) => {
                imports.push_str(&format!("import * as {local} from {};", generated(name)));
                format!("__motu_esm({local})")
            }
            Required::Value(name) => {
                imports.push_str(&format!("import {local} from {};", generated(name)));
                local
            }
        };
        for s in specifiers {
            cases.push_str(&format!("case {}: ", js_string(s)));
        }
        cases.push_str(&format!("return {value}; "));
    }
    format!(
        "{imports}function {fn_name}(s) {{ switch (s) {{ {cases}}} return __motu_missing(s, {}); }}",
        js_string(from)
    )
}

/// An ES module's text with a `require` function in front, for an ES
/// module that calls a free `require`.
pub(crate) fn with_require(code: &str, table: &[(Vec<String>, Required)], name: &str) -> String {
    let mut out = require_function(table, "require", name);
    out.push_str(code);
    out
}

/// An ES module's text with the table of the `require` it makes with
/// `createRequire`, handed to `node:module` under the module's name.
pub(crate) fn with_require_table(
    code: &str,
    table: &[(Vec<String>, Required)],
    name: &str,
) -> String {
    let mut out = require_function(table, "__motu_required", name);
    out.push_str(&format!(
        "globalThis[Symbol.for('motu.require')]?.({}, __motu_required);",
        js_string(name)
    ));
    out.push_str(code);
    out
}

/// The factory of the CommonJS module `name` whose text is `code`: an ES
/// module exporting `__motu_cjs()`, which runs the code once and returns
/// `module.exports`.
pub(crate) fn factory(code: &str, table: &[(Vec<String>, Required)], name: &str) -> String {
    let filename = js_string(&format!("/{name}"));
    let dirname = js_string(&format!(
        "/{}",
        name.rsplit_once('/').map_or("", |(dir, _)| dir)
    ));
    let mut out = require_function(table, "__motu_require", name);
    // `var` without an initializer: the state survives the module's own
    // evaluation when another module called the factory first (a cycle).
    out.push_str(
        "var __motu_m; export function __motu_cjs() { if (__motu_m) return __motu_m.exports; \
         __motu_m = { exports: {}, id: ",
    );
    out.push_str(&filename);
    out.push_str(", filename: ");
    out.push_str(&filename);
    out.push_str(
        ", loaded: false }; (function (exports, require, module, __filename, __dirname) {",
    );
    out.push_str(code);
    out.push_str("\n}).call(__motu_m.exports, __motu_m.exports, __motu_require, __motu_m, ");
    out.push_str(&filename);
    out.push_str(", ");
    out.push_str(&dirname);
    out.push_str("); __motu_m.loaded = true; return __motu_m.exports; }\n");
    out
}

/// The ES module view of the CommonJS module whose factory is `factory`:
/// `default` and `names`; `node` when the importer is loaded as Node.js
/// would (then `default` is always `module.exports`).
pub(crate) fn esm_view(factory: &str, names: &[String], node: bool) -> String {
    let mut out = format!(
        "import {{ __motu_cjs }} from {};\nconst __motu_e = __motu_cjs();\n",
        generated(factory)
    );
    if node {
        out.push_str("export default __motu_e;\n");
    } else {
        out.push_str(
            "export default __motu_e != null && __motu_e.__esModule ? __motu_e.default : __motu_e;\n",
        );
    }
    for (i, name) in names
        .iter()
        .filter(|n| *n != "default" && *n != "__esModule" && is_identifier_name(n))
        .enumerate()
    {
        out.push_str(&format!(
            "const __motu_{i} = __motu_e == null ? undefined : __motu_e[{}]; export {{ __motu_{i} as {name} }};\n",
            js_string(name)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_factory_keeps_the_modules_lines() {
        let code = "exports.a = 1;\nexports.b = require('./b');";
        let table = vec![(
            vec!["./b".to_owned()],
            Required::CommonJs("lib/b.js".to_owned()),
        )];
        let out = factory(code, &table, "lib/a.js");
        let first = out.lines().next().unwrap();
        assert!(first.ends_with("{exports.a = 1;"), "{first}");
        assert_eq!(out.lines().nth(1).unwrap(), "exports.b = require('./b');");
        assert!(first.contains("\"motu-graph:lib/b.js\""), "{first}");
        assert!(
            first.contains("case \"./b\": return __motu_r0();"),
            "{first}"
        );
        assert!(out.contains("\"/lib/a.js\", \"/lib\")"), "{out}");
    }

    #[test]
    fn views_export_default_and_names() {
        let names = vec![
            "a".to_owned(),
            "default".to_owned(),
            "__esModule".to_owned(),
            "not-an-id".to_owned(),
        ];
        let view = esm_view("x.js", &names, false);
        assert!(
            view.contains("__motu_e.__esModule ? __motu_e.default"),
            "{view}"
        );
        assert!(view.contains("export { __motu_0 as a }"), "{view}");
        assert!(!view.contains("not-an-id"), "{view}");
        assert!(!view.contains("as default"), "{view}");
        assert!(esm_view("x.js", &names, true).contains("export default __motu_e;"));
    }
}
