// The bridge: take the op functions the engine installed and hide them from
// Worker code (see motu_engine::contract).
const op = globalThis.__motu_op;
const opAsync = globalThis.__motu_op_async;
delete globalThis.__motu_op;
delete globalThis.__motu_op_async;

// Defines a global the way Web IDL does: writable, configurable, not
// enumerable (unless `enumerable`).
function defineGlobal(name, value, enumerable = false) {
  Object.defineProperty(globalThis, name, {
    value, writable: true, configurable: true, enumerable,
  });
}

// Gives a class's prototype the tag `Object.prototype.toString` shows.
function tag(cls, name = cls.name) {
  Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: name, configurable: true });
}

// Converts a value to a byte string as Web IDL's ByteString does for header
// names and values, or throws a TypeError.
function toByteString(value, what) {
  const s = String(value);
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 255) throw new TypeError(`${what} contains a character above U+00FF`);
  }
  return s;
}

// Converts a value to a scalar-value string (lone surrogates become U+FFFD).
function toUSVString(value) {
  const s = String(value);
  return typeof s.toWellFormed === 'function' ? s.toWellFormed() : s.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
