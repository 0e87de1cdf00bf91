//! JSON, Text, Data and CompiledWasm modules.
//!
//! JSON and Text modules carry their value in their source. Data and
//! CompiledWasm modules do not carry their bytes: the loader keeps them
//! (`motu_engine::ModuleSource::bytes`) and the module asks the runtime for
//! them by its name through the prelude's module-bytes function
//! (`globalThis[Symbol.for('motu.moduleBytes')](name)`, an `ArrayBuffer`
//! copy of the bytes), so a large binary is never turned into a huge
//! string literal to parse.

use super::js_string;

/// The global (a registered symbol) under which the prelude offers a
/// Worker's Data and CompiledWasm bytes.
const BYTES: &str = "globalThis[Symbol.for(\"motu.moduleBytes\")]";

/// A JSON module: its default export is `JSON.parse` of `text` (so that a
/// `__proto__` key stays a key, unlike in an object literal).
pub(crate) fn json_module(text: &str) -> String {
    format!("export default JSON.parse({});\n", js_string(text))
}

/// A Text module: its default export is `text`.
pub(crate) fn text_module(text: &str) -> String {
    format!("export default {};\n", js_string(text))
}

/// A Data module named `name`: its default export is an `ArrayBuffer` of
/// its bytes.
pub(crate) fn data_module(name: &str) -> String {
    format!("export default {BYTES}({});\n", js_string(name))
}

/// A CompiledWasm module named `name`: its default export is a
/// `WebAssembly.Module` compiled from its bytes. Where the engine has no
/// WebAssembly (QuickJS), it is the prelude's stand-in's placeholder
/// module, which fails with an error naming the file when it is
/// instantiated (a Worker that only instantiates it on some routes serves
/// the others); with no `WebAssembly` at all, evaluating it throws that
/// error.
pub(crate) fn wasm_module(name: &str) -> String {
    let quoted = js_string(name);
    format!(
        "if (typeof WebAssembly !== \"object\") throw new Error({quoted} + \": a CompiledWasm module needs WebAssembly, which this engine does not have (QuickJS has none; run the Worker on V8)\");\n\
         const absent = WebAssembly[Symbol.for(\"motu.wasmAbsent\")];\n\
         export default absent ? absent({quoted}) : new WebAssembly.Module({BYTES}({quoted}));\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted() {
        assert_eq!(
            json_module("{\"__proto__\": 1}\n"),
            "export default JSON.parse(\"{\\\"__proto__\\\": 1}\\n\");\n"
        );
        assert_eq!(text_module("a\n'b'"), "export default \"a\\n'b'\";\n");
        assert!(data_module("x/a.bin").contains("(\"x/a.bin\")"));
        assert!(wasm_module("a.wasm").contains("new WebAssembly.Module"));
    }
}
