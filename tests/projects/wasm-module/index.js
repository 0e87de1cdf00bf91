// A CompiledWasm module (wrangler's default rule for `*.wasm`): the import
// is a WebAssembly.Module, instantiated synchronously.
import add from './add.wasm';
import same from './add.wasm?module';

const instance = new WebAssembly.Instance(add);

export default {
  fetch() {
    return Response.json({
      sum: instance.exports.add(2, 40),
      isModule: add instanceof WebAssembly.Module,
      same: add === same,
    });
  },
};
