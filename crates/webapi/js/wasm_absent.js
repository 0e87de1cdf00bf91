// `WebAssembly` on an engine that has none (QuickJS, or V8 with
// `MOTU_V8_FLAGS=--no-expose-wasm`): a namespace whose
// compiling and instantiating functions fail with a CompileError that
// says so, instead of a ReferenceError where the name is first read. Code
// that only prepares WebAssembly when it is loaded (es-module-lexer in
// Astro's server build compiles its parser at module load and never uses
// it while serving) then starts; code that runs WebAssembly gets the
// error when it tries. `validate` answers false (no module is valid here).

const WASM_UNSUPPORTED = 'WebAssembly is not available in this engine (QuickJS has none: run this Worker on V8, --engine v8 or engine = "v8")';

function makeAbsentWebAssembly() {
  class CompileError extends Error {
    constructor(message = undefined) {
      super(message);
      this.name = 'CompileError';
    }
  }
  class LinkError extends Error {
    constructor(message = undefined) {
      super(message);
      this.name = 'LinkError';
    }
  }
  class RuntimeError extends Error {
    constructor(message = undefined) {
      super(message);
      this.name = 'RuntimeError';
    }
  }
  const unsupported = () => new CompileError(WASM_UNSUPPORTED);
  const rejecting = () => Promise.reject(unsupported());
  // Constructors that cannot make anything here.
  const refusing = name => ({
    [name]: class {
      constructor() { throw unsupported(); }
    },
  })[name];
  const wasm = {
    compile: function compile() { return rejecting(); },
    compileStreaming: function compileStreaming() { return rejecting(); },
    instantiate: function instantiate() { return rejecting(); },
    instantiateStreaming: function instantiateStreaming() { return rejecting(); },
    validate: function validate() { return false; },
    Module: refusing('Module'),
    Instance: refusing('Instance'),
    Memory: refusing('Memory'),
    Table: refusing('Table'),
    Global: refusing('Global'),
    Tag: refusing('Tag'),
    CompileError,
    LinkError,
    RuntimeError,
  };
  for (const key of Object.keys(wasm)) {
    Object.defineProperty(wasm, key, { enumerable: false });
  }
  Object.defineProperty(wasm, Symbol.toStringTag, { value: 'WebAssembly', configurable: true });
  // What the loader's CompiledWasm modules check (crates/loader).
  Object.defineProperty(wasm, Symbol.for('motu.wasmAbsent'), { value: true });
  return wasm;
}

defineGlobal('WebAssembly', makeAbsentWebAssembly());
