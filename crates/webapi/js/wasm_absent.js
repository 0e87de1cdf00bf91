// `WebAssembly` on an engine that has none (QuickJS, or V8 with
// `MOTU_V8_FLAGS=--no-expose-wasm`): a namespace whose
// compiling and instantiating functions fail with a CompileError that
// says so, instead of a ReferenceError where the name is first read. Code
// that only prepares WebAssembly when it is loaded (es-module-lexer in
// Astro's server build compiles its parser at module load and never uses
// it while serving) then starts; code that runs WebAssembly gets the
// error when it tries. `validate` answers false (no module is valid here).
//
// A CompiledWasm module (`import wasm from './x.wasm'`) evaluates here to a
// placeholder `WebAssembly.Module` that knows its file's name (the loader
// asks for it through `Symbol.for('motu.wasmAbsent')`): a Worker that
// imports WebAssembly for one route only (Next.js's handler imports
// `@vercel/og`'s `resvg.wasm` and `yoga.wasm` at its top, for images that
// most pages never draw) starts and serves its other routes; instantiating
// the placeholder fails with an error naming the file.

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
  // The file name of each placeholder module the loader made.
  const placeholders = new WeakMap();
  const unsupported = (module = undefined) => {
    const name = typeof module === 'object' && module !== null ? placeholders.get(module) : undefined;
    return new CompileError(name === undefined
      ? WASM_UNSUPPORTED
      : `${name}: a CompiledWasm module needs WebAssembly, which this engine does not have (QuickJS has none; run the Worker on V8)`);
  };
  const rejecting = module => Promise.reject(unsupported(module));
  // Constructors that cannot make anything here.
  const refusing = name => ({
    [name]: class {
      constructor(module = undefined) { throw unsupported(module); }
    },
  })[name];
  const Module = refusing('Module');
  const wasm = {
    compile: function compile() { return rejecting(); },
    compileStreaming: function compileStreaming() { return rejecting(); },
    instantiate: function instantiate(module = undefined) { return rejecting(module); },
    instantiateStreaming: function instantiateStreaming() { return rejecting(); },
    validate: function validate() { return false; },
    Module,
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
  // What the loader's CompiledWasm modules call (crates/loader): the
  // placeholder module of the file `name`.
  const placeholder = function placeholder(name) {
    const module = Object.create(Module.prototype);
    placeholders.set(module, String(name));
    return Object.freeze(module);
  };
  Object.defineProperty(wasm, Symbol.for('motu.wasmAbsent'), { value: placeholder });
  return wasm;
}

defineGlobal('WebAssembly', makeAbsentWebAssembly());
