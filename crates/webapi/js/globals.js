// The small globals: atob and btoa (forgiving-base64) and `self`;
// performance and navigator are a group of their own (performance.js),
// loaded on first use.
//
// Ops used: `base64_encode(latin1)` and `base64_decode(string)` (both fail
// with an error named InvalidCharacterError).

// Runs an op, turning an error it names as a DOMException into one.
function opDOMException(name, ...args) {
  try {
    return op(name, ...args);
  } catch (e) {
    if (e && e.name !== 'TypeError' && e.name !== 'RangeError' && e.name !== 'Error') {
      throw new (loadGroup(EVENTS).DOMException)(e.message, e.name);
    }
    throw e;
  }
}

defineGlobal('btoa', function btoa(data) {
  if (arguments.length === 0) throw new TypeError('btoa needs an argument');
  return opDOMException('base64_encode', String(data));
});
defineGlobal('atob', function atob(data) {
  if (arguments.length === 0) throw new TypeError('atob needs an argument');
  return opDOMException('base64_decode', String(data));
});

lazyGlobals(PERFORMANCE, 'Performance performance Navigator navigator');

// The bytes of the Worker's Data and CompiledWasm modules, by module name,
// as a fresh ArrayBuffer: the loader's generated modules read their bytes
// through this (a registered symbol; the bytes are the Worker's own files).
//
// Op used: `module_bytes(name)`.
Object.defineProperty(globalThis, Symbol.for('motu.moduleBytes'), {
  __proto__: null,
  value: function moduleBytes(name) {
    const bytes = op('module_bytes', String(name));
    return bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
  },
});

// `self` names the global scope, as in every Web worker.
Object.defineProperty(globalThis, 'self', {
  get() { return globalThis; },
  set(value) { Object.defineProperty(globalThis, 'self', { value, writable: true, configurable: true, enumerable: true }); },
  configurable: true,
  enumerable: true,
});

// The well-known symbols of explicit resource management (`using`), which
// Workers have and the engines may lack: the registered symbols that code
// lowered by a transpiler falls back to, so both agree.
for (const name of ['dispose', 'asyncDispose']) {
  if (typeof Symbol[name] !== 'symbol') {
    Object.defineProperty(Symbol, name, { value: Symbol.for(`Symbol.${name}`) });
  }
}
